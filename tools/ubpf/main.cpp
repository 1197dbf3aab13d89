// SPDX-License-Identifier: MIT
// `ubpf`: the host command line for the µBPF VM.
//   ubpf build SRC.c -o OBJ.o [--cpu v1|v2|v3|v4]
//   ubpf pack OBJ.o --format text|fc|extended|elf -o OUT [--helpers ID,ID,...]
//   ubpf run PROGRAM [--format F] [--helpers ID,...] [--mem FILE] [--budget N] [--engine E]
//   ubpf verify PROGRAM [--format F] [--helpers ID,...]
//   ubpf asm SOURCE [-o OUT]
//   ubpf disasm PROGRAM [--format F] [--helpers ID,...]
//   ubpf jit PROGRAM                             (Thumb-2 code of the JIT, with the eBPF)
//   ubpf plugin [MEMORY-HEX] [--engine E]        (bpf_conformance plugin protocol)
//   and the SUIT and device commands (keygen, sign, serve, deploy, exec, status, stop).
// `ubpf CMD --help` prints the usage of CMD. Usage errors exit 2, other failures 1.
// PROGRAM is a .data file, assembly text, a program image (ELF object, Femto-Containers or
// extended header, bare text), detected from the contents unless --format says.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/host/data_file.hpp>
#include <ubpf/host/disassembler.hpp>
#include <ubpf/host/environment.hpp>
#include <ubpf/host/packer.hpp>
#include <ubpf/loader.hpp>
#include <ubpf/seed_helpers.hpp>

#include "device_commands.hpp"
#include "engines.hpp"
#include "jit_command.hpp"
#include "suit_commands.hpp"
#include "toolchain.hpp"

namespace {

using ubpf::Insn;
using ubpf::host::RunReport;
using ubpf::host::RunRequest;

/// Each command's usage lines, in the order `ubpf --help` prints them.
struct CommandUsage {
    std::string_view command;
    std::string_view lines;
};
constexpr CommandUsage kCommands[] = {
    {"build", "  ubpf build SRC.c -o OBJ.o [--cpu v1|v2|v3|v4]\n"},
    {"pack", "  ubpf pack OBJ.o --format text|fc|extended|elf -o OUT [--helpers ID,ID,...]\n"},
    {"run", "  ubpf run PROGRAM [--format F] [--helpers ID,...] [--mem FILE] [--budget N] [--engine E]\n"},
    {"verify", "  ubpf verify PROGRAM [--format F] [--helpers ID,...]\n"},
    {"asm", "  ubpf asm SOURCE [-o OUT]\n"},
    {"disasm", "  ubpf disasm PROGRAM [--format F] [--helpers ID,...]\n"},
    {"jit", "  ubpf jit PROGRAM [--version-loops] [--no-loop-registers] [--blind SEED]\n"},
    {"plugin", "  ubpf plugin [MEMORY-HEX] [--engine E]\n"},
    {"keygen", "  ubpf keygen -o KEY\n"},
    {"sign",
     "  ubpf sign IMAGE --key KEY --seq N --slot S --uri URI [--board NAME] [--vendor DOMAIN]\n"
     "           -o MANIFEST\n"},
    {"serve", "  ubpf serve DIR [--listen HOST:PORT]\n"},
    {"deploy",
     "  ubpf deploy SRC.c|OBJ.o|IMAGE --device coap://HOST:PORT --slot S --key KEY [--format F]\n"
     "           [--helpers ID,...] [--jit] [--serve-host HOST]\n"},
    {"exec",
     "  ubpf exec --device coap://HOST:PORT --slot S [--engine interp|jit] [--model short|coap|long]\n"
     "           [--format F] [--helpers ID,...]\n"},
    {"status", "  ubpf status --device coap://HOST:PORT\n"},
    {"stop", "  ubpf stop --device coap://HOST:PORT --slot S\n"},
};

bool is_command(std::string_view command) {
    for (const CommandUsage& c : kCommands)
        if (c.command == command) return true;
    return false;
}

/// The usage of one command, or of all when `command` is empty.
std::string usage(std::string_view command = {}) {
    std::string text = "usage:\n";
    for (const CommandUsage& c : kCommands)
        if (command.empty() || c.command == command) text += c.lines;
    if (command.empty() || command == "run" || command == "plugin")
        text += "E (run, plugin) is one of: " + ubpf::m4::engine_names() + "\n";
    if (command.empty() || text.find("PROGRAM") != std::string::npos)
        text +=
            "PROGRAM is a .data file, assembly text or a program image (ELF object, fc or extended\n"
            "header, bare text); '-' reads standard input.\n";
    return text;
}

struct UsageError {
    std::string what;
};

std::optional<std::string> read_file(const std::string& path) {
    if (path == "-") return std::string{std::istreambuf_iterator<char>(std::cin), {}};
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string{std::istreambuf_iterator<char>(in), {}};
}

bool looks_like_text(const std::string& bytes) {
    for (unsigned char c : bytes)
        if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t')) return false;
    return true;
}

/// What the seed's helpers work with when the CLI runs an image: printf to stdout, the host
/// clock, and empty stores.
struct HostPlatform final : ubpf::seed::Output, ubpf::seed::Clock {
    void write(const char* text, std::size_t length) noexcept override {
        std::fwrite(text, 1, length, stdout);
    }
    std::optional<std::uint32_t> now_ms() noexcept override {
        return static_cast<std::uint32_t>(now().count() / 1000);
    }
    std::optional<std::uint32_t> now_us() noexcept override {
        return static_cast<std::uint32_t>(now().count());
    }
    static std::chrono::microseconds now() {
        return std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now().time_since_epoch());
    }
};

/// Options that say how to read and run a program file.
struct LoadOptions {
    std::optional<ubpf::Format> format;                 ///< --format; default: detected
    std::optional<std::vector<std::uint32_t>> helpers;  ///< --helpers
};

/// A program with whatever run settings its file carries.
struct Loaded {
    std::vector<Insn> code;
    RunRequest settings;
    // Program images: the relocated bytes, what the loader made of them, and the helpers'
    // world. Loaded is not moved once the settings point into it.
    std::vector<std::uint8_t> original;  ///< the file as read, for disassembly
    std::vector<std::uint8_t> bytes;
    std::optional<ubpf::Image> image;
    HostPlatform platform;
    ubpf::seed::Store<64> local_store, global_store;
    ubpf::seed::Environment environment;
};

bool is_image(const std::string& bytes) {
    const bool elf = bytes.size() >= 4 && bytes.compare(0, 4,
                                                        "\x7f"
                                                        "ELF") == 0;
    if (elf) return true;
    const auto detected =
        ubpf::detect_format(std::span{reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
    return detected && *detected != ubpf::Format::text;
}

/// Loads an image file into `loaded`; false (after printing why) on error.
bool load_image_file(const std::string& path, const std::string& bytes, const LoadOptions& options,
                     Loaded& loaded) {
    loaded.original.assign(bytes.begin(), bytes.end());
    loaded.bytes = loaded.original;
    ubpf::Format format = ubpf::Format::text;
    if (options.format) {
        format = *options.format;
    } else {
        const auto detected = ubpf::detect_format(loaded.bytes);
        if (!detected) {
            std::cerr << "error: " << path << ": " << detected.error().message() << "\n";
            return false;
        }
        format = *detected;
    }
    const auto image = ubpf::load_image(loaded.bytes, format);
    if (!image) {
        std::cerr << "error: " << path << " (" << ubpf::format_name(format)
                  << "): " << image.error().message() << " at byte " << image.error().pc << "\n";
        return false;
    }
    loaded.image = *image;
    loaded.code.assign(image->code.begin(), image->code.end());
    const ubpf::HelperPolicy requested =
        options.helpers ? ubpf::HelperPolicy::only(std::span<const std::uint32_t>{*options.helpers})
                        : ubpf::HelperPolicy::all();
    const ubpf::Program program = loaded.image->program(requested);
    loaded.environment.platform.output = &loaded.platform;
    loaded.environment.platform.clock = &loaded.platform;
    loaded.environment.local = &loaded.local_store;
    loaded.environment.global = &loaded.global_store;
    loaded.settings.code = program.code;
    loaded.settings.policy = program.helpers;
    loaded.settings.program_regions = program.regions;
    loaded.settings.helpers = ubpf::seed::kHelpers;
    loaded.settings.user = &loaded.environment;
    // The raw bytes too, for the Cortex-M4 engines, which load the image at their own addresses
    // and apply the image's helper list themselves to the policy asked for.
    loaded.settings.image = std::span<const std::uint8_t>{loaded.original};
    loaded.settings.format = format;
    loaded.settings.allowed_helpers = options.helpers;
    return true;
}

/// Loads PROGRAM into `loaded`; on failure prints why and returns false.
bool load_program(const std::string& path, Loaded& loaded, const LoadOptions& options = {}) {
    const auto bytes = read_file(path);
    if (!bytes) {
        std::cerr << "error: cannot read '" << path << "': " << std::strerror(errno) << "\n";
        return false;
    }
    std::string message;
    if (path.size() > 5 && path.substr(path.size() - 5) == ".data") {
        const ubpf::host::DataFile file = ubpf::host::parse_data_file(*bytes);
        if (!file.parse_error.empty()) {
            std::cerr << "error: " << path << ": " << file.parse_error << "\n";
            return false;
        }
        loaded.code = file.program(message);
        loaded.settings.mem = file.mem;
        loaded.settings.rodata = file.rodata;
        loaded.settings.allowed_helpers = file.helpers;
        if (file.budget) loaded.settings.budget = *file.budget;
    } else if (options.format || is_image(*bytes)) {
        return load_image_file(path, *bytes, options, loaded);
    } else if (looks_like_text(*bytes)) {
        ubpf::host::AssemblyResult assembled = ubpf::host::assemble(*bytes);
        message = assembled.error;
        loaded.code = std::move(assembled.code);
    } else {
        if (bytes->size() % sizeof(Insn) != 0) {
            std::cerr << "error: " << path << ": " << bytes->size()
                      << " bytes of byte code is not a multiple of 8\n";
            return false;
        }
        loaded.code.resize(bytes->size() / sizeof(Insn));
        std::memcpy(static_cast<void*>(loaded.code.data()), bytes->data(), bytes->size());
    }
    if (!message.empty()) {
        std::cerr << "error: " << path << ": " << message << "\n";
        return false;
    }
    if (options.helpers) loaded.settings.allowed_helpers = options.helpers;
    loaded.settings.code = loaded.code;
    return true;
}

void print_error(const ubpf::Error& error, const std::vector<Insn>& code) {
    std::cerr << "error: " << ubpf::host::error_text(error);
    const std::string insn = ubpf::host::error_instruction(error, code);
    if (!insn.empty()) std::cerr << ": " << insn;
    std::cerr << "\n";
}

/// Runs on the named engine; prints and returns nullopt when the engine itself fails.
std::optional<ubpf::m4::EngineRun> run_engine(const std::string& engine, const RunRequest& request) {
    auto run = ubpf::m4::run_engine(engine, request);
    if (!run)
        throw UsageError{"unknown engine '" + engine + "' (available: " + ubpf::m4::engine_names() + ")"};
    if (!run->failure.empty()) {
        std::cerr << "error: " << run->failure << "\n";
        return std::nullopt;
    }
    return run;
}

/// A whole decimal number, or a usage error naming the option.
std::uint64_t parse_count(const std::string& text, const char* option) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        throw UsageError{std::string{option} + " needs a non-negative whole number, not '" + text + "'"};
    return value;
}

std::string take_value(std::vector<std::string>& args, std::size_t& i) {
    if (i + 1 >= args.size()) throw UsageError{"option " + args[i] + " needs a value"};
    return args[++i];
}

ubpf::Format parse_format(const std::string& text) {
    for (ubpf::Format f :
         {ubpf::Format::text, ubpf::Format::femto_containers, ubpf::Format::extended, ubpf::Format::elf})
        if (text == ubpf::format_name(f)) return f;
    throw UsageError{"unknown format '" + text + "' (text, fc, extended or elf)"};
}

/// "1,2,0x52": helper ids, decimal or 0x-hex.
std::vector<std::uint32_t> parse_helpers(const std::string& text) {
    std::vector<std::uint32_t> ids;
    std::stringstream list(text);
    std::string item;
    while (std::getline(list, item, ',')) {
        const bool hex = item.size() > 2 && (item.compare(0, 2, "0x") == 0 || item.compare(0, 2, "0X") == 0);
        std::uint32_t id = 0;
        const char* first = item.data() + (hex ? 2 : 0);
        const auto [end, ec] = std::from_chars(first, item.data() + item.size(), id, hex ? 16 : 10);
        if (item.empty() || ec != std::errc{} || end != item.data() + item.size())
            throw UsageError{"--helpers needs ids like 1,2,0x52, not '" + text + "'"};
        ids.push_back(id);
    }
    return ids;
}

/// Consumes --format and --helpers at args[i]; true when it did.
bool take_load_option(std::vector<std::string>& args, std::size_t& i, LoadOptions& options) {
    if (args[i] == "--format") {
        options.format = parse_format(take_value(args, i));
        return true;
    }
    if (args[i] == "--helpers") {
        options.helpers = parse_helpers(take_value(args, i));
        return true;
    }
    return false;
}

int cmd_run(std::vector<std::string> args) {
    std::string path, mem_path, engine = "host";
    std::optional<std::uint64_t> budget;
    LoadOptions options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (take_load_option(args, i, options)) continue;
        if (args[i] == "--mem")
            mem_path = take_value(args, i);
        else if (args[i] == "--engine")
            engine = take_value(args, i);
        else if (args[i] == "--budget")
            budget = parse_count(take_value(args, i), "--budget");
        else if (path.empty())
            path = args[i];
        else
            throw UsageError{"unexpected argument '" + args[i] + "'"};
    }
    if (path.empty()) throw UsageError{"run needs a PROGRAM"};
    Loaded loaded;
    if (!load_program(path, loaded, options)) return 1;
    if (!mem_path.empty()) {
        const auto mem = read_file(mem_path);
        if (!mem) {
            std::cerr << "error: cannot read '" << mem_path << "': " << std::strerror(errno) << "\n";
            return 1;
        }
        loaded.settings.mem.assign(mem->begin(), mem->end());
    }
    if (budget) loaded.settings.budget = *budget;
    const auto run = run_engine(engine, loaded.settings);
    std::fflush(stdout);  // helper output comes before the result or the error
    if (!run) return 1;
    const RunReport& report = run->report;
    if (!report.ok) {
        print_error(report.error, loaded.code);
        return 1;
    }
    std::printf("result: %" PRIu64 " (0x%" PRIx64 ")\n", report.r0, report.r0);
    std::printf("instructions: %" PRIu64 "\n", report.instructions);
    if (run->m4_instructions) {
        std::printf("m4-instructions: %" PRIu64 "\n", *run->m4_instructions);
        std::printf("m4-verify-instructions: %" PRIu64 "\n", run->m4_verify_instructions);
        if (run->m4_compile_instructions)
            std::printf("m4-compile-instructions: %" PRIu64 "\n", *run->m4_compile_instructions);
    }
    return 0;
}

int cmd_verify(std::vector<std::string> args) {
    std::string path;
    LoadOptions options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (take_load_option(args, i, options)) continue;
        if (!path.empty()) throw UsageError{"verify needs exactly one PROGRAM"};
        path = args[i];
    }
    if (path.empty()) throw UsageError{"verify needs a PROGRAM"};
    Loaded loaded;
    if (!load_program(path, loaded, options)) return 1;
    const RunRequest& r = loaded.settings;
    const ubpf::HelperPolicy policy =
        r.policy            ? *r.policy
        : r.allowed_helpers ? ubpf::HelperPolicy::only(std::span<const std::uint32_t>{*r.allowed_helpers})
                            : ubpf::HelperPolicy::all();
    const auto helpers =
        r.helpers.empty() ? std::span<const ubpf::Helper>{ubpf::host::test_helpers::kAll} : r.helpers;
    const auto verified = ubpf::verify({r.code, policy, r.program_regions}, helpers);
    if (!verified) {
        print_error(verified.error(), loaded.code);
        return 1;
    }
    std::printf("ok: %zu instructions, %zu functions", loaded.code.size(), verified->function_count);
    if (loaded.image) std::printf(", format %s", ubpf::format_name(loaded.image->format));
    std::printf("\n");
    return 0;
}

int cmd_asm(std::vector<std::string> args) {
    std::string in, out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "-o")
            out = take_value(args, i);
        else if (in.empty())
            in = args[i];
        else
            throw UsageError{"unexpected argument '" + args[i] + "'"};
    }
    if (in.empty()) throw UsageError{"asm needs a SOURCE"};
    Loaded loaded;
    if (!load_program(in, loaded)) return 1;
    if (out.empty()) {
        for (const Insn& insn : loaded.code) {
            std::uint64_t word;
            std::memcpy(&word, &insn, sizeof word);
            std::printf("0x%016" PRIx64 "\n", word);
        }
        return 0;
    }
    std::ofstream file(out, std::ios::binary);
    file.write(reinterpret_cast<const char*>(loaded.code.data()),
               static_cast<std::streamsize>(loaded.code.size() * sizeof(Insn)));
    if (!file) {
        std::cerr << "error: cannot write '" << out << "'\n";
        return 1;
    }
    return 0;
}

int cmd_disasm(std::vector<std::string> args) {
    std::string path;
    LoadOptions options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (take_load_option(args, i, options)) continue;
        if (!path.empty()) throw UsageError{"disasm needs exactly one PROGRAM"};
        path = args[i];
    }
    if (path.empty()) throw UsageError{"disasm needs a PROGRAM"};
    Loaded loaded;
    if (!load_program(path, loaded, options)) return 1;
    if (!loaded.image) {
        std::cout << ubpf::host::disassemble(loaded.code);
        return 0;
    }
    // Show the code as the file holds it, before relocation: data and rodata loads print as
    // offsets into their sections rather than as this run's host addresses.
    const auto offset = static_cast<std::size_t>(
        reinterpret_cast<const std::uint8_t*>(loaded.image->code.data()) - loaded.bytes.data());
    std::vector<Insn> original(loaded.code.size());
    std::memcpy(static_cast<void*>(original.data()), loaded.original.data() + offset,
                original.size() * sizeof(Insn));
    std::cout << "; " << ubpf::format_name(loaded.image->format) << " image, " << original.size()
              << " instructions\n";
    for (std::size_t pc = 0; pc < original.size(); ++pc) {
        const Insn& insn = original[pc];
        if ((insn.opcode == ubpf::formats::kLddwData || insn.opcode == ubpf::formats::kLddwRodata) &&
            pc + 1 < original.size()) {
            std::cout << "lddw %r" << insn.dst() << ", "
                      << (insn.opcode == ubpf::formats::kLddwData ? ".data" : ".rodata") << "+"
                      << static_cast<std::uint32_t>(insn.imm) << "\n";
            ++pc;
            continue;
        }
        std::cout << ubpf::host::disassemble(original, pc) << "\n";
        if (insn.opcode == ubpf::isa::info(ubpf::isa::Id::lddw).opcode) ++pc;
    }
    return 0;
}

int cmd_jit(std::vector<std::string> args) {
    ubpf::jit::Options options;
    std::string program;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--version-loops") {
            options.version_loops = true;
        } else if (a == "--no-loop-registers") {
            options.loop_registers = false;
        } else if (a == "--blind") {
            const std::uint64_t seed = parse_count(take_value(args, i), "--blind");
            if (seed > 0xffffffffu) throw UsageError{"--blind needs a SEED below 2^32"};
            options.blind_constants = true;
            options.blinding_seed = static_cast<std::uint32_t>(seed);
        } else if (program.empty())
            program = a;
        else
            throw UsageError{"unexpected argument '" + a + "'"};
    }
    if (program.empty()) throw UsageError{"jit needs a PROGRAM"};
    Loaded loaded;
    if (!load_program(program, loaded)) return 1;
    loaded.settings.code = loaded.code;
    return ubpf::tools::print_jit(loaded.settings, options, std::cout);
}

int cmd_build(std::vector<std::string> args) {
    std::string source, out, cpu = "v3";
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "-o")
            out = take_value(args, i);
        else if (args[i] == "--cpu")
            cpu = take_value(args, i);
        else if (source.empty())
            source = args[i];
        else
            throw UsageError{"unexpected argument '" + args[i] + "'"};
    }
    if (source.empty() || out.empty()) throw UsageError{"build needs SRC.c and -o OBJ.o"};
    if (cpu != "v1" && cpu != "v2" && cpu != "v3" && cpu != "v4")
        throw UsageError{"--cpu must be v1, v2, v3 or v4, not '" + cpu + "'"};
    const std::string error = ubpf::tools::compile_to_bpf(source, out, cpu);
    if (!error.empty()) {
        std::cerr << "error: " << error << "\n";
        return 1;
    }
    return 0;
}

int cmd_pack(std::vector<std::string> args) {
    std::string object, out;
    ubpf::host::PackOptions options;
    bool have_format = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "-o") {
            out = take_value(args, i);
        } else if (args[i] == "--format") {
            options.format = parse_format(take_value(args, i));
            have_format = true;
        } else if (args[i] == "--helpers") {
            options.helpers = parse_helpers(take_value(args, i));
        } else if (object.empty()) {
            object = args[i];
        } else {
            throw UsageError{"unexpected argument '" + args[i] + "'"};
        }
    }
    if (object.empty() || out.empty() || !have_format)
        throw UsageError{"pack needs OBJ.o, --format and -o OUT"};
    if (options.helpers && options.format != ubpf::Format::extended)
        throw UsageError{"--helpers applies to --format extended only (the list travels in its header)"};
    const auto bytes = read_file(object);
    if (!bytes) {
        std::cerr << "error: cannot read '" << object << "': " << std::strerror(errno) << "\n";
        return 1;
    }
    std::vector<std::uint8_t> image;
    if (options.format == ubpf::Format::elf) {
        const std::string error = ubpf::tools::strip_object(object, out);
        if (!error.empty()) {
            std::cerr << "error: " << error << "\n";
            return 1;
        }
        const auto stripped = read_file(out);
        image.assign(stripped->begin(), stripped->end());
    } else {
        try {
            image = ubpf::host::pack(
                std::span{reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size()}, options);
        } catch (const ubpf::host::PackError& e) {
            std::cerr << "error: " << object << ": cannot pack as " << ubpf::format_name(options.format)
                      << ": " << e.what() << "\n";
            return 1;
        }
    }
    // Load a copy as the device would, so that a bad image fails here and not on the device.
    std::vector<std::uint8_t> check = image;
    const auto loaded = ubpf::load_image(check, options.format);
    if (!loaded) {
        std::cerr << "error: " << object << ": the packed image does not load: " << loaded.error().message()
                  << " at byte " << loaded.error().pc << "\n";
        return 1;
    }
    // And verify it against the seed's helpers and its own helper list.
    if (const auto verified = ubpf::verify(loaded->program(ubpf::HelperPolicy::all()), ubpf::seed::kHelpers);
        !verified) {
        std::cerr << object << ": ";
        print_error(verified.error(), std::vector<Insn>(loaded->code.begin(), loaded->code.end()));
        return 1;
    }
    if (options.format != ubpf::Format::elf) {
        std::ofstream file(out, std::ios::binary);
        file.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
        if (!file) {
            std::cerr << "error: cannot write '" << out << "'\n";
            return 1;
        }
    }
    return 0;
}

/// Whitespace-separated hex bytes ("b7 00 …" or "b700…"), as the public runner sends them.
std::optional<std::vector<std::uint8_t>> parse_hex(const std::string& text) {
    std::vector<std::uint8_t> out;
    int high = -1;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
        const int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10);
        if (high < 0)
            high = v;
        else {
            out.push_back(static_cast<std::uint8_t>(high * 16 + v));
            high = -1;
        }
    }
    if (high >= 0) return std::nullopt;
    return out;
}

int cmd_plugin(std::vector<std::string> args) {
    std::string engine = "host";
    std::string memory_hex;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--engine")
            engine = take_value(args, i);
        else if (args[i].rfind("--", 0) == 0)
            continue;  // unknown runner options are ignored
        else if (memory_hex.empty())
            memory_hex = args[i];
    }
    const std::string input{std::istreambuf_iterator<char>(std::cin), {}};
    const auto program = parse_hex(input);
    const auto memory = parse_hex(memory_hex);
    if (!program || !memory || program->size() % sizeof(Insn) != 0) {
        std::cout << "malformed hex input\n";
        return 1;
    }
    std::vector<Insn> code(program->size() / sizeof(Insn));
    std::memcpy(static_cast<void*>(code.data()), program->data(), program->size());
    RunRequest request;
    request.code = code;
    request.mem = *memory;
    const auto run = ubpf::m4::run_engine(engine, request);
    if (!run) {
        std::cout << "unknown engine '" << engine << "'\n";
        return 1;
    }
    if (!run->failure.empty()) {
        std::cout << run->failure << "\n";
        return 1;
    }
    if (!run->report.ok) {
        std::cout << ubpf::host::error_text(run->report.error) << "\n";
        return 1;
    }
    std::printf("%" PRIx64 "\n", run->report.r0);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << usage();
        return args.empty() ? 2 : 0;
    }
    const std::string command = args[0];
    args.erase(args.begin());
    const bool help =
        std::ranges::any_of(args, [](const std::string& a) { return a == "--help" || a == "-h"; });
    if (help && is_command(command)) {
        std::cout << usage(command);
        return 0;
    }
    try {
        if (command == "build") return cmd_build(args);
        if (command == "pack") return cmd_pack(args);
        if (command == "run") return cmd_run(args);
        if (command == "verify") return cmd_verify(args);
        if (command == "asm") return cmd_asm(args);
        if (command == "disasm") return cmd_disasm(args);
        if (command == "jit") return cmd_jit(args);
        if (command == "plugin") return cmd_plugin(args);
        if (command == "keygen") return ubpf::tools::cmd_keygen(args);
        if (command == "sign") return ubpf::tools::cmd_sign(args);
        if (command == "serve") return ubpf::tools::cmd_serve(args);
        if (command == "deploy") return ubpf::tools::cmd_deploy(args);
        if (command == "exec") return ubpf::tools::cmd_exec(args);
        if (command == "status") return ubpf::tools::cmd_status(args);
        if (command == "stop") return ubpf::tools::cmd_stop(args);
        throw UsageError{"unknown command '" + command + "'"};
    } catch (const UsageError& e) {
        std::cerr << "error: " << e.what << "\n" << usage();
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    }
}
