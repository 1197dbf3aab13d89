// SPDX-License-Identifier: MIT
// `ubpf`: the host command line for the µBPF VM.
//   ubpf run PROGRAM [--mem FILE] [--budget N] [--engine host]
//   ubpf verify PROGRAM
//   ubpf asm SOURCE [-o OUT]
//   ubpf disasm PROGRAM
//   ubpf plugin [MEMORY-HEX] [--engine host]      (bpf_conformance plugin protocol)
// PROGRAM is a .data file, assembly text, or raw byte code (detected from the contents).
#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/host/data_file.hpp>
#include <ubpf/host/disassembler.hpp>
#include <ubpf/host/environment.hpp>

#include "engines.hpp"

namespace {

using ubpf::Insn;
using ubpf::host::RunReport;
using ubpf::host::RunRequest;

constexpr const char* kUsage =
    "usage:\n"
    "  ubpf run PROGRAM [--mem FILE] [--budget N] [--engine host|m4-interp|m4-interp-Os]\n"
    "  ubpf verify PROGRAM\n"
    "  ubpf asm SOURCE [-o OUT]\n"
    "  ubpf disasm PROGRAM\n"
    "  ubpf plugin [MEMORY-HEX] [--engine host|m4-interp|m4-interp-Os]\n"
    "PROGRAM is a .data file, assembly text or raw byte code; '-' reads standard input.\n";

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

/// A program with whatever run settings its file carries.
struct Loaded {
    std::vector<Insn> code;
    RunRequest settings;
};

/// Loads PROGRAM; on failure prints why and returns nullopt.
std::optional<Loaded> load_program(const std::string& path) {
    const auto bytes = read_file(path);
    if (!bytes) {
        std::cerr << "error: cannot read '" << path << "': " << std::strerror(errno) << "\n";
        return std::nullopt;
    }
    Loaded loaded;
    std::string message;
    if (path.size() > 5 && path.substr(path.size() - 5) == ".data") {
        const ubpf::host::DataFile file = ubpf::host::parse_data_file(*bytes);
        if (!file.parse_error.empty()) {
            std::cerr << "error: " << path << ": " << file.parse_error << "\n";
            return std::nullopt;
        }
        loaded.code = file.program(message);
        loaded.settings.mem = file.mem;
        loaded.settings.rodata = file.rodata;
        loaded.settings.allowed_helpers = file.helpers;
        if (file.budget) loaded.settings.budget = *file.budget;
    } else if (looks_like_text(*bytes)) {
        ubpf::host::AssemblyResult assembled = ubpf::host::assemble(*bytes);
        message = assembled.error;
        loaded.code = std::move(assembled.code);
    } else {
        if (bytes->size() % sizeof(Insn) != 0) {
            std::cerr << "error: " << path << ": " << bytes->size()
                      << " bytes of byte code is not a multiple of 8\n";
            return std::nullopt;
        }
        loaded.code.resize(bytes->size() / sizeof(Insn));
        std::memcpy(static_cast<void*>(loaded.code.data()), bytes->data(), bytes->size());
    }
    if (!message.empty()) {
        std::cerr << "error: " << path << ": " << message << "\n";
        return std::nullopt;
    }
    return loaded;
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

int cmd_run(std::vector<std::string> args) {
    std::string path, mem_path, engine = "host";
    std::optional<std::uint64_t> budget;
    for (std::size_t i = 0; i < args.size(); ++i) {
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
    auto loaded = load_program(path);
    if (!loaded) return 1;
    if (!mem_path.empty()) {
        const auto mem = read_file(mem_path);
        if (!mem) {
            std::cerr << "error: cannot read '" << mem_path << "': " << std::strerror(errno) << "\n";
            return 1;
        }
        loaded->settings.mem.assign(mem->begin(), mem->end());
    }
    if (budget) loaded->settings.budget = *budget;
    loaded->settings.code = loaded->code;
    const auto run = run_engine(engine, loaded->settings);
    if (!run) return 1;
    const RunReport& report = run->report;
    if (!report.ok) {
        print_error(report.error, loaded->code);
        return 1;
    }
    std::printf("result: %" PRIu64 " (0x%" PRIx64 ")\n", report.r0, report.r0);
    std::printf("instructions: %" PRIu64 "\n", report.instructions);
    if (run->m4_instructions) {
        std::printf("m4-instructions: %" PRIu64 "\n", *run->m4_instructions);
        std::printf("m4-verify-instructions: %" PRIu64 "\n", run->m4_verify_instructions);
    }
    return 0;
}

int cmd_verify(std::vector<std::string> args) {
    if (args.size() != 1) throw UsageError{"verify needs exactly one PROGRAM"};
    const auto loaded = load_program(args[0]);
    if (!loaded) return 1;
    const ubpf::HelperPolicy policy =
        loaded->settings.allowed_helpers
            ? ubpf::HelperPolicy::only(std::span<const std::uint32_t>{*loaded->settings.allowed_helpers})
            : ubpf::HelperPolicy::all();
    const auto verified = ubpf::verify({loaded->code, policy}, ubpf::host::test_helpers::kAll);
    if (!verified) {
        print_error(verified.error(), loaded->code);
        return 1;
    }
    std::printf("ok: %zu instructions, %zu functions\n", loaded->code.size(), verified->function_count);
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
    const auto loaded = load_program(in);
    if (!loaded) return 1;
    if (out.empty()) {
        for (const Insn& insn : loaded->code) {
            std::uint64_t word;
            std::memcpy(&word, &insn, sizeof word);
            std::printf("0x%016" PRIx64 "\n", word);
        }
        return 0;
    }
    std::ofstream file(out, std::ios::binary);
    file.write(reinterpret_cast<const char*>(loaded->code.data()),
               static_cast<std::streamsize>(loaded->code.size() * sizeof(Insn)));
    if (!file) {
        std::cerr << "error: cannot write '" << out << "'\n";
        return 1;
    }
    return 0;
}

int cmd_disasm(std::vector<std::string> args) {
    if (args.size() != 1) throw UsageError{"disasm needs exactly one PROGRAM"};
    const auto loaded = load_program(args[0]);
    if (!loaded) return 1;
    std::cout << ubpf::host::disassemble(loaded->code);
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
        std::cout << kUsage;
        return args.empty() ? 2 : 0;
    }
    const std::string command = args[0];
    args.erase(args.begin());
    try {
        if (command == "run") return cmd_run(args);
        if (command == "verify") return cmd_verify(args);
        if (command == "asm") return cmd_asm(args);
        if (command == "disasm") return cmd_disasm(args);
        if (command == "plugin") return cmd_plugin(args);
        throw UsageError{"unknown command '" + command + "'"};
    } catch (const UsageError& e) {
        std::cerr << "error: " << e.what << "\n" << kUsage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    }
}
