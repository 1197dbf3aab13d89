// SPDX-License-Identifier: MIT
// CLI glue for the SUIT host helpers (include/ubpf/host/suit_sodium.hpp). Usage errors print
// one line and return 2; other failures return 1.
#include "suit_commands.hpp"

#include <charconv>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>

#include <ubpf/host/suit_sodium.hpp>

namespace ubpf::tools {
namespace {

namespace hs = ubpf::host::suit;

struct Usage {
    std::string what;
};

std::string value_of(const std::vector<std::string>& args, std::size_t& i) {
    if (i + 1 >= args.size()) throw Usage{"option " + args[i] + " needs a value"};
    return args[++i];
}

std::uint32_t parse_u32(const std::string& text, const char* option) {
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        throw Usage{std::string{option} + " needs a whole number from 0 to 4294967295, not '" + text + "'"};
    return value;
}

int usage_error(const std::string& what, const char* usage) {
    std::cerr << "error: " << what << "\nusage: " << usage << "\n";
    return 2;
}

}  // namespace

int cmd_keygen(std::vector<std::string> args) {
    constexpr const char* kUsage = "ubpf keygen -o KEY   (writes KEY and KEY.pub)";
    try {
        std::string out;
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (args[i] == "-o")
                out = value_of(args, i);
            else
                throw Usage{"unexpected argument '" + args[i] + "'"};
        }
        if (out.empty()) throw Usage{"-o KEY is required"};
        hs::keygen(out);
        std::cout << "wrote " << out << " (private, PKCS#8 PEM) and " << out << ".pub (public, SPKI PEM)\n";
        return 0;
    } catch (const Usage& e) {
        return usage_error(e.what, kUsage);
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}

int cmd_sign(std::vector<std::string> args) {
    constexpr const char* kUsage =
        "ubpf sign IMAGE --key KEY --seq N --slot S --uri URI [--board NAME] [--vendor DOMAIN] -o MANIFEST";
    try {
        std::string image_path, key_path, out;
        bool have_seq = false, have_slot = false;
        hs::SignOptions options;
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            if (a == "--key") {
                key_path = value_of(args, i);
            } else if (a == "--seq") {
                options.sequence_number = parse_u32(value_of(args, i), "--seq");
                have_seq = true;
            } else if (a == "--slot") {
                options.slot = parse_u32(value_of(args, i), "--slot");
                have_slot = true;
            } else if (a == "--uri") {
                options.uri = value_of(args, i);
            } else if (a == "--board") {
                options.board = value_of(args, i);
            } else if (a == "--vendor") {
                options.vendor_domain = value_of(args, i);
            } else if (a == "-o") {
                out = value_of(args, i);
            } else if (!a.empty() && a[0] == '-' && a != "-") {
                throw Usage{"unknown option '" + a + "'"};
            } else if (image_path.empty()) {
                image_path = a;
            } else {
                throw Usage{"more than one IMAGE given"};
            }
        }
        if (image_path.empty() || key_path.empty() || !have_seq || !have_slot || options.uri.empty() ||
            out.empty())
            throw Usage{"IMAGE, --key, --seq, --slot, --uri and -o are required"};
        if (options.sequence_number == 0)
            throw Usage{"--seq must be at least 1 (a device starts at 0 and needs a greater number)"};
        std::ifstream in(image_path, std::ios::binary);
        if (!in) throw std::runtime_error{"cannot read " + image_path};
        const std::vector<std::uint8_t> image{std::istreambuf_iterator<char>(in), {}};
        const auto envelope = hs::sign(image, key_path, options);
        hs::write_file(out, {reinterpret_cast<const char*>(envelope.data()), envelope.size()}, 0644);
        std::cout << "wrote " << out << ": " << envelope.size() << " bytes, seq " << options.sequence_number
                  << ", slot .ram." << options.slot << ", board " << options.board << ", image "
                  << image.size() << " bytes\n";
        if (envelope.size() > ubpf::suit::Limits{}.manifest_buffer)
            std::cerr << "warning: larger than RIOT's 640-byte manifest buffer (SUIT_MANIFEST_BUFSIZE)\n";
        if (options.slot > 9)
            std::cerr << "note: RIOT's gen_manifest.py cannot address slot " << options.slot
                      << "; this manifest names it as ASCII digits, which RIOT's RAM storage accepts\n";
        return 0;
    } catch (const Usage& e) {
        return usage_error(e.what, kUsage);
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace ubpf::tools
