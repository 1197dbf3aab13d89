// SPDX-License-Identifier: MIT
// The commands that talk to a device over CoAP: serve, deploy, exec, status, stop. Usage errors
// exit 2, other failures 1.
#include "device_commands.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include <ubpf/host/packer.hpp>
#include <ubpf/host/suit_sodium.hpp>
#include <ubpf/loader.hpp>
#include <ubpf/seed_helpers.hpp>
#include <ubpf/service/requests.hpp>

#include "coap.hpp"
#include "toolchain.hpp"

namespace ubpf::tools {
namespace {

namespace fs = std::filesystem;

struct CommandError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
/// A mistake in the command line: exit status 2, as in the other commands.
struct UsageError : CommandError {
    using CommandError::CommandError;
};

std::string value_of(const std::vector<std::string>& args, std::size_t& i) {
    if (i + 1 >= args.size()) throw UsageError{"option " + args[i] + " needs a value"};
    return args[++i];
}

std::vector<std::uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CommandError{"cannot read '" + path + "'"};
    return {std::istreambuf_iterator<char>(in), {}};
}

coap::Endpoint device_endpoint(const std::string& uri) {
    const auto e = coap::parse_uri(uri);
    if (!e) throw UsageError{"--device needs coap://HOST:PORT, not '" + uri + "'"};
    return *e;
}

std::optional<std::uint32_t> parse_number(const std::string& text, std::uint32_t max) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(text.c_str(), &end, 0);
    if (text.empty() || *end != '\0' || v > max) return std::nullopt;
    return static_cast<std::uint32_t>(v);
}

/// An option's number, at most `max`.
std::uint32_t number(const std::string& text, const char* option, std::uint32_t max) {
    const auto v = parse_number(text, max);
    if (!v) throw UsageError{std::string(option) + ": bad value '" + text + "'"};
    return *v;
}

Format format_named(const std::string& name) {
    for (Format f : {Format::text, Format::femto_containers, Format::extended, Format::elf})
        if (name == format_name(f)) return f;
    throw UsageError{"unknown format '" + name + "' (text, fc, extended or elf)"};
}

service::HelperList helper_list(const std::string& text) {
    service::HelperList list;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t comma = text.find(',', start);
        const std::string item =
            text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!list.push(static_cast<std::uint8_t>(number(item, "--helpers", 255))))
            throw UsageError{"--helpers: too many ids"};
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return list;
}

/// Sends a request and turns transport failures and error codes into words.
coap::Response ask(const coap::Endpoint& device, coap::Method method, const std::string& path,
                   const std::vector<std::uint8_t>& payload = {}, unsigned timeout_ms = 10000) {
    coap::Response r = coap::request(device, method, path, payload, timeout_ms);
    if (!r.error.empty())
        throw CommandError{"device " + device.host + ":" + std::to_string(device.port) + ": " + r.error};
    return r;
}

std::string failure_text(const coap::Response& r) {
    return coap::code_text(r.code) + (r.payload.empty() ? "" : ": " + r.text());
}

/// A CoAP file server on the first free port from `port` up, running on its own thread.
class FileServer {
public:
    FileServer(const std::string& host, std::uint16_t port) {
        for (int attempt = 0; attempt < 50 && !server_; ++attempt) {
            try {
                endpoint_ = {host, static_cast<std::uint16_t>(port + attempt)};
                server_ = std::make_unique<coap::Server>(endpoint_);
            } catch (const std::runtime_error&) {
            }
        }
        if (!server_) throw CommandError{"cannot open a CoAP file server on " + host};
    }
    ~FileServer() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    void add(const std::string& name, std::vector<std::uint8_t> bytes) {
        server_->serve(name, std::move(bytes));
    }
    void start() {
        thread_ = std::thread([this] { server_->run(stop_); });
    }
    [[nodiscard]] std::string url(const std::string& name) const {
        const bool v6 = endpoint_.host.find(':') != std::string::npos;
        return "coap://" + (v6 ? "[" + endpoint_.host + "]" : endpoint_.host) + ":" +
               std::to_string(endpoint_.port) + "/" + name;
    }

private:
    coap::Endpoint endpoint_;
    std::unique_ptr<coap::Server> server_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

int serve(std::vector<std::string> args) {
    std::string dir, listen = "127.0.0.1:5684";
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--listen")
            listen = value_of(args, i);
        else if (dir.empty())
            dir = args[i];
        else
            throw UsageError{"unexpected argument '" + args[i] + "'"};
    }
    if (dir.empty()) throw UsageError{"serve needs a DIR"};
    const auto endpoint = coap::parse_host_port(listen);
    if (!endpoint) throw UsageError{"--listen needs HOST:PORT"};
    coap::Server server(*endpoint);
    std::size_t files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        const std::string name = fs::relative(entry.path(), dir).generic_string();
        server.serve(name, read_bytes(entry.path().string()));
        std::cout << "serving coap://" << listen << "/" << name << "\n";
        ++files;
    }
    std::cout << files << " files; Ctrl-C stops" << std::endl;
    static std::atomic<bool> stop{false};
    std::signal(SIGINT, [](int) { stop = true; });
    std::signal(SIGTERM, [](int) { stop = true; });
    server.run(stop);
    return 0;
}

/// The program as an image: a C source is built and packed, an object packed, an image as is.
std::vector<std::uint8_t> image_for(const std::string& input, Format format,
                                    const std::optional<std::vector<std::uint32_t>>& helpers) {
    const fs::path temp = fs::temp_directory_path() / ("ubpf-deploy-" + std::to_string(::getpid()));
    fs::create_directories(temp);
    struct Cleanup {
        fs::path p;
        ~Cleanup() { fs::remove_all(p); }
    } cleanup{temp};
    std::string object = input;
    if (fs::path(input).extension() == ".c") {
        std::cout << "building " << input << std::endl;
        object = (temp / "program.o").string();
        const std::string error = compile_to_bpf(input, object, "v3");
        if (!error.empty()) throw CommandError{error};
    }
    std::vector<std::uint8_t> bytes = read_bytes(object);
    const bool is_elf = bytes.size() >= 4 && bytes[0] == 0x7f && bytes[1] == 'E';
    if (!is_elf) return bytes;  // already an image
    if (format == Format::elf) {
        const std::string stripped = (temp / "program.elf").string();
        const std::string error = strip_object(object, stripped);
        if (!error.empty()) throw CommandError{error};
        return read_bytes(stripped);
    }
    try {
        return host::pack(bytes, {format, helpers});
    } catch (const host::PackError& e) {
        throw CommandError{"cannot pack as " + std::string(format_name(format)) + ": " + e.what()};
    }
}

/// The options every device command shares: which device, which slot, the image format and
/// the helper list.
struct Target {
    std::string device_uri;
    std::uint32_t slot = 0;
    Format format = Format::extended;
    std::optional<service::HelperList> helpers;

    /// Consumes one of the shared options at args[i]; false when args[i] is none of them.
    bool take(const std::vector<std::string>& args, std::size_t& i) {
        const std::string& a = args[i];
        if (a == "--device")
            device_uri = value_of(args, i);
        else if (a == "--slot")
            slot = number(value_of(args, i), "--slot", 15);
        else if (a == "--format")
            format = format_named(value_of(args, i));
        else if (a == "--helpers")
            helpers = helper_list(value_of(args, i));
        else
            return false;
        return true;
    }
    [[nodiscard]] coap::Endpoint device(const char* command) const {
        if (device_uri.empty()) throw UsageError{std::string(command) + " needs --device coap://HOST:PORT"};
        return device_endpoint(device_uri);
    }
};

int deploy(std::vector<std::string> args) {
    Target target;
    std::string input, key_path, serve_host = "127.0.0.1";
    bool jit = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (target.take(args, i))
            continue;
        else if (a == "--key")
            key_path = value_of(args, i);
        else if (a == "--serve-host")
            serve_host = value_of(args, i);
        else if (a == "--jit")
            jit = true;
        else if (input.empty())
            input = a;
        else
            throw UsageError{"unexpected argument '" + a + "'"};
    }
    if (input.empty() || key_path.empty())
        throw UsageError{"deploy needs SRC.c|IMAGE, --device coap://HOST:PORT and --key KEY"};
    const coap::Endpoint device = target.device("deploy");
    const std::uint32_t slot = target.slot;
    const Format format = target.format;
    std::optional<std::vector<std::uint32_t>> helpers;
    if (target.helpers) helpers.emplace(target.helpers->view().begin(), target.helpers->view().end());
    const auto key = host::suit::load_private_key(key_path);

    const std::vector<std::uint8_t> image = image_for(input, format, helpers);
    std::cout << "image: " << image.size() << " bytes, format " << format_name(format) << std::endl;

    // The next sequence number: one above the device's, or the time when it cannot say.
    std::uint32_t sequence = static_cast<std::uint32_t>(std::time(nullptr));
    const coap::Response seq = ask(device, coap::Method::get, "suit/sequence");
    if (seq.ok()) {
        const auto current = parse_number(seq.text(), 0xfffffffeu);
        if (!current) throw CommandError{"device sequence number: bad value '" + seq.text() + "'"};
        sequence = *current + 1;
    }

    FileServer files(serve_host, 56100);
    const std::string image_name = "slot" + std::to_string(slot) + "-" + std::to_string(sequence) + ".bin";
    const std::string manifest_name = image_name + ".suit";
    host::suit::SignOptions sign;
    sign.sequence_number = sequence;
    sign.slot = slot;
    sign.uri = files.url(image_name);
    const std::vector<std::uint8_t> manifest = host::suit::sign(image, key, sign);
    files.add(image_name, image);
    files.add(manifest_name, manifest);
    files.start();
    std::cout << "signed manifest: sequence " << sequence << ", " << files.url(manifest_name) << std::endl;

    service::PullRequest pull;
    pull.address = "::1";  // unused: the manifest field is a whole URL
    const std::string manifest_url = files.url(manifest_name);
    pull.manifest = manifest_url;
    pull.config.slot = static_cast<std::uint8_t>(slot);
    pull.config.format = format;
    pull.config.jit = jit;
    pull.helpers = target.helpers.value_or(service::HelperList{});
    pull.erase = true;
    std::array<char, service::kMaxPullLength> payload{};
    const std::size_t n = service::encode_pull(pull, payload);
    if (n == 0) throw CommandError{"the pull request does not fit (manifest URL too long?)"};
    const coap::Response accepted = ask(device, coap::Method::post, "suit/pull",
                                        std::vector<std::uint8_t>(payload.begin(), payload.begin() + n));
    if (!accepted.ok()) throw CommandError{"the device refused the update: " + failure_text(accepted)};
    std::cout << "device is fetching the update" << std::flush;

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const coap::Response status = ask(device, coap::Method::get, "status");
        const auto decoded = service::decode_status(status.text());
        if (!decoded) throw CommandError{"unexpected status from the device: " + status.text()};
        if (decoded->pull == service::PullState::loaded) break;
        if (decoded->pull == service::PullState::failed) {
            std::cout << std::endl;
            const coap::Response why = ask(device, coap::Method::get, "suit/last");
            std::string reason{service::message(decoded->pull_error)};
            if (why.ok() && !why.payload.empty()) reason += ": " + why.text();
            throw CommandError{"update of slot " + std::to_string(slot) + " failed: " + reason};
        }
        if (std::chrono::steady_clock::now() > deadline)
            throw CommandError{"the device did not finish the update in 30 s"};
        std::cout << "." << std::flush;
    }
    std::cout << "\nslot " << slot << " updated (sequence " << sequence << ")" << std::endl;
    return 0;
}

int exec(std::vector<std::string> args) {
    Target target;
    std::string engine = "interp", model = "short";
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (target.take(args, i))
            continue;
        else if (a == "--engine")
            engine = value_of(args, i);
        else if (a == "--model")
            model = value_of(args, i);
        else
            throw UsageError{"unexpected argument '" + a + "'"};
    }
    const coap::Endpoint device = target.device("exec");
    if (engine != "interp" && engine != "jit") throw UsageError{"--engine is interp or jit"};
    const char* path = model == "short"  ? "short-execution"
                       : model == "coap" ? "with_coap_pkt"
                       : model == "long" ? "long-running"
                                         : nullptr;
    if (path == nullptr) throw UsageError{"--model is short, coap or long"};
    service::ExecuteRequest request;
    request.config.slot = static_cast<std::uint8_t>(target.slot);
    request.config.format = target.format;
    request.config.jit = engine == "jit";
    request.config.jit_compile = engine == "jit";
    if (target.helpers) {
        request.helpers = *target.helpers;
    } else {
        // As the seed's tools do: no list means every helper (the seed's 30).
        for (const Helper& h : seed::kHelpers) (void)request.helpers.push(static_cast<std::uint8_t>(h.id));
    }
    std::array<char, service::kMaxExecuteLength> payload{};
    const std::size_t n = service::encode_execute(request, payload);
    const coap::Response r = ask(device, coap::Method::post, path,
                                 std::vector<std::uint8_t>(payload.begin(), payload.begin() + n));
    if (!r.ok()) {
        std::cerr << "error: " << failure_text(r) << "\n";
        return 1;
    }
    if (model == "short") {
        const auto result = service::decode_result(r.text());
        if (!result) {
            std::cerr << "error: unexpected answer: " << r.text() << "\n";
            return 1;
        }
        std::printf("result: %lld (0x%llx)\n", static_cast<long long>(*result),
                    static_cast<unsigned long long>(*result));
    } else {
        std::cout << coap::code_text(r.code) << (r.payload.empty() ? "" : " " + r.text()) << "\n";
    }
    return 0;
}

int status(std::vector<std::string> args) {
    std::string device_uri;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--device")
            device_uri = value_of(args, i);
        else
            throw UsageError{"unexpected argument '" + args[i] + "'"};
    }
    if (device_uri.empty()) throw UsageError{"status needs --device coap://HOST:PORT"};
    const coap::Response r = ask(device_endpoint(device_uri), coap::Method::get, "status");
    if (!r.ok()) {
        std::cerr << "error: " << failure_text(r) << "\n";
        return 1;
    }
    std::cout << r.text() << "\n";
    return 0;
}

int stop(std::vector<std::string> args) {
    std::string device_uri;
    std::uint32_t slot = 0;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--device")
            device_uri = value_of(args, i);
        else if (args[i] == "--slot")
            slot = number(value_of(args, i), "--slot", 15);
        else
            throw UsageError{"unexpected argument '" + args[i] + "'"};
    }
    if (device_uri.empty()) throw UsageError{"stop needs --device coap://HOST:PORT --slot S"};
    const std::string payload = std::to_string(slot);
    const coap::Response r = ask(device_endpoint(device_uri), coap::Method::post, "stop",
                                 std::vector<std::uint8_t>(payload.begin(), payload.end()));
    if (!r.ok()) {
        std::cerr << "error: " << failure_text(r) << "\n";
        return 1;
    }
    std::cout << (r.payload.empty() ? "stopped" : r.text()) << "\n";
    return 0;
}

template <class F>
int guarded(F f, std::vector<std::string> args) {
    try {
        return f(std::move(args));
    } catch (const UsageError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    } catch (const CommandError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    } catch (const host::suit::SuitError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

int cmd_serve(std::vector<std::string> args) {
    return guarded(serve, std::move(args));
}
int cmd_deploy(std::vector<std::string> args) {
    return guarded(deploy, std::move(args));
}
int cmd_exec(std::vector<std::string> args) {
    return guarded(exec, std::move(args));
}
int cmd_status(std::vector<std::string> args) {
    return guarded(status, std::move(args));
}
int cmd_stop(std::vector<std::string> args) {
    return guarded(stop, std::move(args));
}

}  // namespace ubpf::tools
