// SPDX-License-Identifier: MIT
// Speed and size on the emulated Cortex-M4, in instructions (deterministic, not timed):
//   ubpf_m4_bench [--write docs/benchmarks.md]   every workload and size, footprint, stack
//   ubpf_m4_bench --quick                          only check native == interpreter == host C
//   ubpf_m4_bench --check-footprint FILE           fail if -Os ROM grew > 10% over FILE's figure
//   ubpf_m4_bench --update-baseline FILE           write the current -Os ROM figure to FILE
//   ubpf_m4_bench --profile-compile NAME|FILE.bin  where the M4 JIT's compile step of workload NAME
//                                                  (bench/workloads/NAME.c), or of the bare eBPF
//                                                  text in FILE.bin, spends its instructions:
//                                                  the total (= "compile M4 insns"), then the top
//                                                  source lines and the functions, innermost inlined
//                                                  frame first, the functions as compiled (inlined
//                                                  callees in their caller) and the lines of the
//                                                  eight largest (PCs mapped by arm-none-eabi-addr2line
//                                                  on m4_jit.elf, which is built with -g)
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <ubpf/host/assembler.hpp>
#include <ubpf/host/data_file.hpp>

#include "emulator.hpp"
#include "image/layout.hpp"
#include "jit_image.hpp"
#include "markdown.hpp"
#include "vm_image.hpp"
#include "workloads/inputs.hpp"

extern "C" {
std::uint64_t fletcher16(std::uint8_t*, std::uint64_t);
std::uint64_t fletcher32(std::uint8_t*, std::uint64_t);
std::uint64_t crc32(std::uint8_t*, std::uint64_t);
std::uint64_t bubble_sort(std::uint8_t*, std::uint64_t);
std::uint64_t moving_average(std::uint8_t*, std::uint64_t);
std::uint64_t sieve(std::uint8_t*, std::uint64_t);
std::uint64_t mix64(std::uint8_t*, std::uint64_t);
}

namespace {

using namespace ubpf;
using namespace ubpf::m4;

const std::map<std::string_view, std::uint64_t (*)(std::uint8_t*, std::uint64_t)> kHostNative = {
    {"fletcher16", fletcher16},
    {"fletcher32", fletcher32},
    {"crc32", crc32},
    {"bubble_sort", bubble_sort},
    {"moving_average", moving_average},
    {"sieve", sieve},
    {"mix64", mix64},
};

const std::string kImageDir = UBPF_M4_IMAGE_DIR;

/// One JIT mode's figures for a workload.
struct JitFigures {
    std::uint64_t executed = 0;  ///< M4 instructions of the JIT code's run (runtime calls included)
    std::uint64_t compile = 0;   ///< M4 instructions of the JIT compiling the program on the M4
    std::size_t bytes = 0;       ///< bytes of Thumb-2 code
};
/// The JIT's modes measured: as compiled by default, jit::Options::version_loops and
/// jit::Options::blind_constants (a fixed seed), in the tables' column order.
constexpr jit::Options kJitModes[] = {
    {}, {.version_loops = true}, {.blind_constants = true, .blinding_seed = 1}};

struct Row {
    std::string name;
    std::size_t size = 0;
    std::uint64_t native = 0;       ///< M4 instructions, gcc -O2 native code
    std::uint64_t interpreted = 0;  ///< M4 instructions of Interpreter::run (-O2 image)
    std::uint64_t ebpf = 0;         ///< eBPF instructions executed
    std::uint64_t verify = 0;       ///< M4 instructions of verify
    std::size_t program = 0;        ///< eBPF instructions in the program
    /// The JIT in each of kJitModes.
    JitFigures jit[std::size(kJitModes)] = {};
};

std::vector<Insn> load_bin(const std::string& name) {
    const std::string path =
        name.ends_with(".bin") ? name : std::string{UBPF_WORKLOADS_BIN_DIR} + "/" + name + ".bin";
    std::ifstream in(path, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    if (bytes.empty() || bytes.size() % sizeof(Insn) != 0) throw std::runtime_error("bad workload " + name);
    std::vector<Insn> code(bytes.size() / sizeof(Insn));
    std::memcpy(static_cast<void*>(code.data()), bytes.data(), bytes.size());
    return code;
}

/// One workload at one size: native and interpreted on the M4, both checked against host C.
Row measure(const bench::WorkloadInfo& w, std::size_t size) {
    Row row{std::string{w.name}, size};
    std::vector<std::uint8_t> reference = bench::make_input(w.name, size);
    const std::uint64_t expected = kHostNative.at(w.name)(reference.data(), reference.size());
    const std::vector<std::uint8_t> input = bench::make_input(w.name, size);

    Emulator emu;
    const ElfImage native = emu.load_elf(UBPF_WORKLOADS_NATIVE_ELF);
    emu.set_stack(kStackTop, kStackSize);
    emu.map(kMemBase, static_cast<std::uint32_t>(size));
    emu.write(kMemBase, input);
    const Arg args[] = {Arg::u32(kMemBase), Arg::u64(size)};
    const CallResult call = emu.call(native.symbols.at(std::string{w.name}), args, 1'000'000'000);
    if (call.fault || call.r0_r1() != expected)
        throw std::runtime_error(row.name + ": native M4 result differs from host C");
    row.native = call.instructions;

    const std::vector<Insn> code = load_bin(row.name);
    host::RunRequest request;
    request.code = code;
    request.mem = input;
    request.budget = 1'000'000'000;
    const ImageRun run = run_on_image(kImageDir + "/m4_vm_O2.elf", request);
    if (run.fault || !run.report.ok || run.report.r0 != expected || run.report.mem_after != reference)
        throw std::runtime_error(row.name + ": interpreted result differs from host C");
    row.interpreted = run.m4_instructions - run.m4_verify_instructions;
    row.verify = run.m4_verify_instructions;
    row.ebpf = run.report.instructions;
    row.program = code.size();

    JitSession session(kImageDir + "/m4_jit.elf");
    for (std::size_t m = 0; m < std::size(kJitModes); ++m) {
        session.set_options(kJitModes[m]);
        const JitImageRun jit = session.run(request);
        if (jit.fault || !jit.mismatch.empty() || !jit.report.ok || jit.report.r0 != expected ||
            jit.report.mem_after != reference || jit.report.instructions != row.ebpf)
            throw std::runtime_error(row.name + ": JIT result differs from host C");
        row.jit[m] = {jit.run_instructions, jit.compile_instructions, jit.code.size()};
    }
    return row;
}

struct Footprint {
    std::uint32_t rom = 0;      ///< text + rodata the VM adds
    std::uint32_t ram = 0;      ///< data + bss the VM adds
    std::uint32_t library = 0;  ///< of the ROM: C library and libgcc routines (memcpy, 64-bit division)
};

/// C library and compiler runtime routines, which most firmware links anyway.
bool is_library_symbol(const std::string& name) {
    return name.rfind("mem", 0) == 0 || name.rfind("__aeabi_", 0) == 0 || name.rfind("__udiv", 0) == 0 ||
           name.rfind("__div", 0) == 0 || name.rfind("__mod", 0) == 0 || name.rfind("__umod", 0) == 0;
}

/// ROM (text + rodata) of verifier + JIT compiler + runtime: the JIT probe minus the empty image.
/// ROM of footprint_jit_{variant}{opt}.elf minus footprint_empty_{opt}.elf.
std::uint32_t jit_rom(const std::string& opt, const std::string& variant = "") {
    const auto jit = elf_section_sizes(kImageDir + "/footprint_jit_" + variant + opt + ".elf");
    const auto empty = elf_section_sizes(kImageDir + "/footprint_empty_" + opt + ".elf");
    const auto rom = [](const std::map<std::string, std::uint32_t>& s) {
        std::uint32_t sum = 0;
        for (const auto& [name, size] : s)
            if (name == ".text" || name == ".rodata" || name == ".ARM.exidx") sum += size;
        return sum;
    };
    return rom(jit) - rom(empty);
}

Footprint footprint(const std::string& opt) {
    const auto sum = [](const std::map<std::string, std::uint32_t>& s,
                        std::initializer_list<const char*> names) {
        std::uint32_t total = 0;
        for (const char* n : names)
            if (const auto it = s.find(n); it != s.end()) total += it->second;
        return total;
    };
    const std::string vm_path = kImageDir + "/footprint_vm_" + opt + ".elf";
    const auto vm = elf_section_sizes(vm_path);
    const auto empty = elf_section_sizes(kImageDir + "/footprint_empty_" + opt + ".elf");
    Footprint out{sum(vm, {".text", ".ARM.exidx"}) - sum(empty, {".text", ".ARM.exidx"}),
                  sum(vm, {".data", ".bss"}) - sum(empty, {".data", ".bss"}), 0};
    Emulator emu;
    for (const auto& [name, size] : emu.load_elf(vm_path).sizes)
        if (is_library_symbol(name)) out.library += size;
    return out;
}

/// sizeof(ubpf::Vm<>) on Cortex-M4: footprint_empty returns it.
std::uint32_t sizeof_vm() {
    Emulator emu;
    const ElfImage image = emu.load_elf(kImageDir + "/footprint_empty_Os.elf");
    emu.set_stack(kStackTop, kStackSize);
    const Arg none[] = {Arg::u32(0), Arg::u32(0), Arg::u32(0), Arg::u32(0), Arg::u32(0)};
    const CallResult r = emu.call(image.symbols.at("footprint_empty"), none, 1000);
    if (r.fault) throw std::runtime_error("footprint_empty faulted: " + r.fault->what);
    return r.r0;
}

/// The deepest native stack use of `run` (a request's stack bytes) over every .data file of the
/// corpora.
template <typename Run>
std::uint32_t stack_high_water(Run run, int& files) {
    std::uint32_t deepest = 0;
    for (const std::string& dir :
         {std::string{UBPF_SOURCE_DIR} + "/tests/data", std::string{UBPF_CONFORMANCE_DIR} + "/tests"}) {
        if (!std::filesystem::is_directory(dir)) continue;
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            if (entry.path().extension() != ".data") continue;
            std::ifstream in(entry.path());
            const auto file = host::parse_data_file(std::string{std::istreambuf_iterator<char>(in), {}});
            std::string message;
            const std::vector<Insn> code = file.program(message);
            if (!file.parse_error.empty() || !message.empty()) continue;
            host::RunRequest request;
            request.code = code;
            request.mem = file.mem;
            request.rodata = file.rodata;
            request.allowed_helpers = file.helpers;
            if (file.budget) request.budget = *file.budget;
            deepest = std::max(deepest, run(request));
            ++files;
        }
    }
    return deepest;
}

/// M4 instructions one execution of `insn` costs in the interpreter of `image`: a 1000-round
/// loop with the instruction twice, minus the same loop with it once.
std::uint64_t marginal_cost(const std::string& image, const std::string& insn) {
    const auto run_with = [&](int copies) {
        std::string source = "mov %r2, 1000\nmov %r5, 77\nmov %r6, 3\nstdw [%r10-8], 5\nloop:\n";
        for (int i = 0; i < copies; ++i) source += insn + "\n";
        source += "add %r2, -1\njne %r2, 0, loop\nmov %r0, 0\nexit\n";
        const auto assembled = host::assemble(source);
        if (!assembled.ok()) throw std::runtime_error(insn + ": " + assembled.error);
        host::RunRequest request;
        request.code = assembled.code;
        request.mem = std::vector<std::uint8_t>(16, 1);
        const ImageRun run = run_on_image(image, request);
        if (run.fault || !run.report.ok) throw std::runtime_error(insn + ": run failed");
        return run.m4_instructions - run.m4_verify_instructions;
    };
    return (run_with(2) - run_with(1)) / 1000;
}

/// Representative instructions for the cost table: the Fletcher-16 loop's, and a few more.
constexpr const char* kCostProbes[] = {
    "mov32 %r5, %r6",
    "mov %r5, %r6",
    "add32 %r5, %r6",
    "add %r5, 1",
    "mul32 %r5, 255",
    "div32 %r5, 255",
    "mod %r5, %r6",
    "lsh32 %r5, 8",
    "arsh %r5, 3",
    "be16 %r5",
    "ldxb %r7, [%r1+0]",
    "ldxw %r7, [%r10-8]",
    "stxw [%r10-8], %r5",
    "jeq %r5, 0, +0",
    "jeq32 %r6, 3, +0",
    "ja +0",
    "call 5",
};

std::uint32_t read_baseline(const std::string& path) {
    std::ifstream in(path);
    const std::string key = "os_rom_bytes:";
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key, 0) == 0) return static_cast<std::uint32_t>(std::stoul(line.substr(key.size())));
    throw std::runtime_error("no 'os_rom_bytes:' line in " + path);
}

std::string fmt(const char* format, double a) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, a);
    return buf;
}

/// Where a PC is in the source: the innermost (inlined) frame that addr2line reports.
struct Location {
    std::string function;
    std::string line;    ///< file basename:line
    std::string symbol;  ///< the outermost frame: the function the code was compiled into
};

/// A demangled name made readable: without the ubpf:: and ubpf::jit:: qualifiers, and with
/// Config{4096u, ...} (one configuration per image) as Config.
std::string shorten(std::string name) {
    for (const std::string prefix : {"ubpf::jit::", "ubpf::"})
        for (std::size_t at; (at = name.find(prefix)) != std::string::npos;) name.erase(at, prefix.size());
    for (std::size_t at = 0; (at = name.find("Config{", at)) != std::string::npos;) {
        const std::size_t end = name.find('}', at);
        if (end == std::string::npos) break;
        const std::size_t args = at + std::strlen("Config");
        name.erase(args, end + 1 - args);
    }
    return name;
}

/// The locations of the histogram's PCs (in its order), from one run of addr2line over `elf`.
std::vector<Location> locate(const std::string& elf, const Emulator::Histogram& hist) {
    std::string path = (std::filesystem::temp_directory_path() / "ubpf_pcs_XXXXXX").string();
    const int fd = mkstemp(path.data());
    if (fd < 0) throw std::runtime_error("cannot create a temporary file");
    close(fd);
    {
        std::ofstream out(path);
        for (const auto& entry : hist) out << "0x" << std::hex << entry.first << "\n";
    }
    // -a prints each address before its frames (innermost first, function then file:line).
    const std::string command = "arm-none-eabi-addr2line -a -f -i -C -e '" + elf + "' < '" + path + "'";
    FILE* pipe = popen(command.c_str(), "r");
    std::string output;
    if (pipe != nullptr) {
        char buf[4096];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, n);
        if (pclose(pipe) != 0) output.clear();
    }
    std::filesystem::remove(path);
    std::vector<Location> out;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("0x", 0) != 0) continue;  // an outer frame: only the innermost counts
        Location at;
        std::getline(lines, at.function);
        at.function = shorten(at.function);
        std::getline(lines, at.line);
        at.line = at.line.substr(0, at.line.find(" ("));  // drop " (discriminator N)"
        at.line = at.line.substr(at.line.find_last_of('/') + 1);
        at.symbol = at.function;
        // Outer frames (function, file:line) follow until the next address.
        while (lines.peek() != EOF && lines.peek() != '0') {
            std::string outer, file_line;
            std::getline(lines, outer);
            std::getline(lines, file_line);
            at.symbol = shorten(outer);
        }
        out.push_back(at);
    }
    if (out.size() != hist.size()) throw std::runtime_error("arm-none-eabi-addr2line failed: " + command);
    return out;
}

/// Prints the `limit` largest groups of `counts` (of `total` instructions), largest first.
void print_top(const std::map<std::string, std::uint64_t>& counts, std::uint64_t total, std::size_t limit) {
    std::vector<std::pair<std::string, std::uint64_t>> sorted(counts.begin(), counts.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::uint64_t cumulative = 0;
    std::printf("%9s %6s %6s  %s\n", "M4 insns", "%", "cum %", "where");
    for (std::size_t i = 0; i < sorted.size() && i < limit; ++i) {
        cumulative += sorted[i].second;
        std::printf("%9" PRIu64 " %6.2f %6.2f  %s\n", sorted[i].second,
                    100.0 * static_cast<double>(sorted[i].second) / static_cast<double>(total),
                    100.0 * static_cast<double>(cumulative) / static_cast<double>(total),
                    sorted[i].first.c_str());
    }
    if (sorted.size() > limit) std::printf("(%zu more)\n", sorted.size() - limit);
}

/// --profile-compile: the M4 JIT compiles workload `name` (as measure() does, at its first size)
/// with a PC histogram on its compile step; the histogram's PCs grouped by source line and by
/// function, innermost inlined frame first.
int profile_compile(const std::string& name) {
    const bool file = name.ends_with(".bin");
    const bench::WorkloadInfo* w = file ? nullptr : bench::find_workload(name);
    if (!file && w == nullptr) throw std::runtime_error("no workload " + name + " in bench/workloads");
    const std::vector<Insn> code = load_bin(name);
    host::RunRequest request;
    request.code = code;
    if (!file) request.mem = bench::make_input(w->name, w->sizes.front());
    request.budget = 1'000'000'000;
    const std::string elf = kImageDir + "/m4_jit.elf";
    JitSession session(elf);
    Emulator::Histogram hist;
    session.set_compile_profile(&hist);
    const JitImageRun jit = session.run(request);
    if (jit.fault || !jit.compiled || !jit.mismatch.empty() || !jit.report.ok)
        throw std::runtime_error(name + ": the JIT run failed");
    std::uint64_t total = 0;
    for (const auto& entry : hist) total += entry.second;
    if (total != jit.compile_instructions) throw std::runtime_error("the profile misses instructions");
    std::printf("%s: %zu eBPF insns, compile M4 insns %" PRIu64 " (%zu distinct PCs, %s)\n", name.c_str(),
                code.size(), total, hist.size(), elf.c_str());

    const std::vector<Location> where = locate(elf, hist);
    std::map<std::string, std::uint64_t> by_line, by_function, by_symbol;
    std::map<std::string, std::map<std::string, std::uint64_t>> lines_of;  // by symbol
    std::map<std::string, std::uint64_t> calls;  // the count at a symbol's lowest PC: its entry
    std::size_t i = 0;
    for (const auto& entry : hist) {
        by_line[where[i].line + "  " + where[i].function] += entry.second;
        by_function[where[i].function] += entry.second;
        by_symbol[where[i].symbol] += entry.second;
        calls.try_emplace(where[i].symbol, entry.second);  // the histogram is sorted by PC
        lines_of[where[i].symbol][where[i].line + "  " + where[i].function] += entry.second;
        ++i;
    }
    std::printf("\nby source line (file:line  innermost inlined function; ubpf:: left out):\n");
    print_top(by_line, total, 40);
    std::printf("\nby function (innermost inlined):\n");
    print_top(by_function, total, by_function.size());
    std::printf("\nby function compiled (outermost frame: inlined callees counted in their caller):\n");
    std::map<std::string, std::uint64_t> with_calls;
    for (const auto& [symbol, count] : by_symbol)
        with_calls[symbol + "  (" + std::to_string(calls[symbol]) + " calls)"] = count;
    print_top(with_calls, total, with_calls.size());
    std::vector<std::pair<std::uint64_t, std::string>> biggest;
    for (const auto& [symbol, count] : by_symbol) biggest.emplace_back(count, symbol);
    std::sort(biggest.rbegin(), biggest.rend());
    for (std::size_t k = 0; k < biggest.size() && k < 8; ++k) {
        std::printf("\nsource lines of %s:\n", biggest[k].second.c_str());
        print_top(lines_of[biggest[k].second], total, 200);
    }
    return 0;
}

int run(int argc, char** argv) {
    std::string write_path, check_path, update_path;
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--write" && i + 1 < argc)
            write_path = argv[++i];
        else if (a == "--check-footprint" && i + 1 < argc)
            check_path = argv[++i];
        else if (a == "--update-baseline" && i + 1 < argc)
            update_path = argv[++i];
        else if (a == "--quick")
            quick = true;
        else if (a == "--profile-compile" && i + 1 < argc)
            return profile_compile(argv[++i]);
        else {
            std::fprintf(stderr,
                         "usage: ubpf_m4_bench [--write FILE | --quick | --check-footprint FILE | "
                         "--update-baseline FILE | --profile-compile WORKLOAD|FILE.bin]\n");
            return 2;
        }
    }
    const Footprint os = footprint("Os"), o2 = footprint("O2");
    if (!check_path.empty()) {
        const std::uint32_t baseline = read_baseline(check_path);
        std::printf("-Os ROM of verifier + interpreter: %u bytes (baseline %u, limit %u)\n", os.rom, baseline,
                    baseline + baseline / 10);
        return os.rom <= baseline + baseline / 10 ? 0 : 1;
    }
    if (!update_path.empty()) {
        std::ofstream out(update_path);
        out << "# -Os ROM (text + rodata) of verifier + interpreter on Cortex-M4, bytes; CI fails above "
               "+10%.\n"
            << "# Regenerate with: build/bench/ubpf_m4_bench --update-baseline bench/footprint-baseline.txt\n"
            << "os_rom_bytes: " << os.rom << "\n";
        return out ? 0 : 1;
    }

    std::vector<Row> rows;
    for (const bench::WorkloadInfo& w : bench::kWorkloads) {
        for (std::size_t size : w.sizes) {
            if (quick && size != w.sizes.front()) continue;
            rows.push_back(measure(w, size));
            const Row& r = rows.back();
            std::printf("%-15s %5zu B  native %9" PRIu64 "  interpreter %10" PRIu64 "  JIT %9" PRIu64
                        " (%.2fx native, %.2fx versioned, %.2fx blinded)  eBPF %8" PRIu64 "  %.2f M4/eBPF\n",
                        r.name.c_str(), r.size, r.native, r.interpreted, r.jit[0].executed,
                        static_cast<double>(r.jit[0].executed) / static_cast<double>(r.native),
                        static_cast<double>(r.jit[1].executed) / static_cast<double>(r.native),
                        static_cast<double>(r.jit[2].executed) / static_cast<double>(r.native), r.ebpf,
                        static_cast<double>(r.interpreted) / static_cast<double>(r.ebpf));
        }
    }
    if (quick) {
        std::printf("%zu workloads agree: native M4 == interpreted M4 == host C\n", rows.size());
        return 0;
    }
    int files_o2 = 0, files_os = 0;
    const auto on_image = [](std::string image) {
        return [image](const host::RunRequest& request) { return run_on_image(image, request).stack_bytes; };
    };
    const std::uint32_t stack_o2 = stack_high_water(on_image(kImageDir + "/m4_vm_O2.elf"), files_o2);
    const std::uint32_t stack_os = stack_high_water(on_image(kImageDir + "/m4_vm_Os.elf"), files_os);
    // The JIT image (-O2): verification, compilation and the compiled code's run, which calls
    // the runtime's slow paths and the helpers.
    JitSession jit_session(kImageDir + "/m4_jit.elf");
    int files_jit = 0;
    const std::uint32_t stack_jit = stack_high_water(
        [&](const host::RunRequest& request) { return jit_session.run(request).stack_bytes; }, files_jit);
    std::printf("footprint: -Os ROM %u B, -O2 ROM %u B, stack %u/%u B (JIT %u B) over %d files\n", os.rom,
                o2.rom, stack_o2, stack_os, stack_jit, files_o2);
    if (write_path.empty()) return 0;

    std::ostringstream t;
    t << "## Cortex-M4: interpreter vs native\n\n"
      << "Emulated Cortex-M4 instructions (Unicorn 2.0.1, exact counts; `scripts/bench.sh` regenerates "
         "this).\n"
      << "Native: the workload's C compiled with `arm-none-eabi-gcc -O2 -mcpu=cortex-m4 -mthumb`.\n"
      << "Interpreter: the same C compiled with `clang -O2 -target bpf -mcpu=v3`, run by the VM built\n"
      << "with `arm-none-eabi-g++ -O2` (threaded dispatch), counting `Interpreter::run` only.\n"
      << "JIT: the same eBPF compiled by the JIT running on the M4 (`-O2` image), counting the\n"
      << "code's run (with its runtime calls), not the compilation. Versioned: the JIT with\n"
      << "`jit::Options::version_loops` (short loops whose loads step through memory get a copy\n"
      << "without those loads' checks). Blinded: the JIT with `jit::Options::blind_constants`\n"
      << "(every constant the program chose loaded XORed with a key and XORed back).\n"
      << "Every result is checked against the C compiled for the host.\n\n"
      << "| workload | input bytes | eBPF insns executed | native M4 insns | interpreter M4 insns "
         "| interpreter / native | M4 insns per eBPF insn | JIT M4 insns | JIT / native | versioned / native "
         "| blinded / native |\n"
      << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const Row& r : rows) {
        t << "| " << r.name << " | " << r.size << " | " << r.ebpf << " | " << r.native << " | "
          << r.interpreted << " | "
          << fmt("%.1f", static_cast<double>(r.interpreted) / static_cast<double>(r.native)) << " | "
          << fmt("%.2f", static_cast<double>(r.interpreted) / static_cast<double>(r.ebpf)) << " | "
          << r.jit[0].executed;
        for (const JitFigures& j : r.jit)
            t << " | " << fmt("%.2f", static_cast<double>(j.executed) / static_cast<double>(r.native));
        t << " |\n";
    }
    t << "\nJIT compile cost on the M4 (M4 instructions per eBPF instruction of the program) and code\n"
      << "size (bytes of Thumb-2 per eBPF instruction):\n\n| workload | eBPF insns | compile M4 insns "
         "| per eBPF insn | code bytes | per eBPF insn | versioned: per eBPF insn | code bytes | per eBPF "
         "insn | blinded: per eBPF insn | code bytes | per eBPF insn |\n"
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    double bytes_ratio[std::size(kJitModes)] = {};  // bytes per eBPF instruction, summed
    int programs = 0;
    for (const Row& r : rows)
        if (r.size == bench::find_workload(r.name)->sizes.front()) {
            const auto n = static_cast<double>(r.program);
            t << "| " << r.name << " | " << r.program << " | " << r.jit[0].compile;
            for (std::size_t m = 0; m < std::size(kJitModes); ++m) {
                const JitFigures& j = r.jit[m];
                t << " | " << fmt("%.0f", static_cast<double>(j.compile) / n) << " | " << j.bytes << " | "
                  << fmt("%.1f", static_cast<double>(j.bytes) / n);
                bytes_ratio[m] += static_cast<double>(j.bytes) / n;
            }
            t << " |\n";
            ++programs;
        }
    const auto average = [&](std::size_t m) {
        return fmt("%.1f", programs != 0 ? bytes_ratio[m] / programs : 0.0);
    };
    t << "\nAverage code size: " << average(0) << " bytes per eBPF instruction (versioned: " << average(1)
      << ", blinded: " << average(2) << "). JIT ROM (verifier + compiler + runtime, image minus the empty\n"
      << "one): " << jit_rom("Os") << " B at -Os, " << jit_rom("O2") << " B at -O2; without loop versioning\n"
      << "(`Config::jit_loop_versioning = false`) " << jit_rom("Os", "lean_") << " B at -Os.\n";
    t << "\nVerification cost (M4 instructions per eBPF instruction of the program, -O2):";
    for (const Row& r : rows)
        if (r.size == bench::find_workload(r.name)->sizes.front())
            t << " " << r.name << " "
              << fmt("%.0f", static_cast<double>(r.verify) / static_cast<double>(r.program)) << ";";
    t << "\n\n";

    std::ostringstream f;
    f << "## Cortex-M4: footprint\n\n"
      << "Verifier + interpreter, measured from linked `arm-none-eabi-g++ -mcpu=cortex-m4 -mthumb` images:\n"
      << "one that verifies and runs a program, minus the same image without the VM (so libgcc and\n"
      << "newlib routines the VM pulls in are counted).\n\n"
      << "| build | dispatch | ROM (text + rodata) | of which VM code and tables | of which libc/libgcc "
         "routines | static RAM (data + bss) |\n|---|---|---:|---:|---:|---:|\n"
      << "| -Os | compact | " << os.rom << " B | " << os.rom - os.library << " B | " << os.library << " B | "
      << os.ram << " B |\n"
      << "| -O2 | threaded | " << o2.rom << " B | " << o2.rom - o2.library << " B | " << o2.library << " B | "
      << o2.ram << " B |\n\n"
      << "The libc/libgcc column is memcpy and memset (struct copies and clears), which most firmware\n"
      << "links anyway; -O2 adds libgcc's 64-bit division (-Os divides 64-bit values with a small\n"
      << "shift-and-subtract loop instead).\n\n"
      << "- RAM per VM instance: `sizeof(ubpf::Vm<>)` = " << sizeof_vm() << " B on Cortex-M4, plus the\n"
      << "  caller's eBPF stack (`Config::stack_size()`, 8 frames x 512 B = 4096 B by default).\n"
      << "- Native stack high-water mark of verify + run (stack painted, read back) over the " << files_o2
      << "\n  `.data` files of the own corpus and bpf_conformance: " << stack_o2 << " B at -O2, " << stack_os
      << " B at -Os; with the JIT (verify + compile + run, -O2): " << stack_jit << " B.\n"
      << "- Baseline for CI: `bench/footprint-baseline.txt` (fails when -Os ROM grows more than 10%).\n\n";
    std::ostringstream c;
    c << "## Cortex-M4: where the interpreter's instructions go\n\n"
      << "Emulated M4 instructions one eBPF instruction costs, dispatch and budget included: a\n"
      << "1000-round loop with the instruction twice minus the loop with it once. The threaded\n"
      << "dispatch itself (charge the budget, advance pc, load the opcode and its handler from one\n"
      << "256-entry table, jump) is 7 of them.\n\n"
      << "| eBPF instruction | -O2, threaded | -Os, compact |\n|---|---:|---:|\n";
    for (const char* probe : kCostProbes)
        c << "| `" << probe << "` | " << marginal_cost(kImageDir + "/m4_vm_O2.elf", probe) << " | "
          << marginal_cost(kImageDir + "/m4_vm_Os.elf", probe) << " |\n";
    c << "\n`call 5` calls the unwind helper with r1 = the memory pointer (not 0: it returns at once).\n"
      << "`mod %r5, %r6` divides values that fit 32 bits, which takes the hardware-division path. Loads\n"
      << "from the caller's\n"
      << "regions are checked before the stack, so `ldxw` from the stack pays for one region miss.\n\n";

    if (!bench::write_section(write_path, "m4-footprint", f.str()) ||
        !bench::write_section(write_path, "m4-costs", c.str()) ||
        !bench::write_section(write_path, "m4-workloads", t.str())) {
        std::fprintf(stderr, "cannot write %s\n", write_path.c_str());
        return 1;
    }
    std::printf("wrote %s\n", write_path.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
