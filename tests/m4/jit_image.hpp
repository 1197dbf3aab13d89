// SPDX-License-Identifier: MIT
// Runs programs as JIT code on the emulated Cortex-M4: the JIT image (tests/m4/image/m4_jit.cpp)
// verifies and compiles each program inside the emulator and runs the code it made; the host
// JIT compiles the same program, and both must produce the same bytes. A session keeps one
// emulator with the image loaded, so that many programs run quickly (differential tests).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ubpf/host/environment.hpp>
#include <ubpf/jit/compiler.hpp>

#include "emulator.hpp"
#include "seed_forwarder.hpp"

namespace ubpf::m4 {

struct JitImageRun {
    host::RunReport report;                  ///< as run_on_host would give it
    std::optional<Fault> fault;              ///< the emulator itself stopped (a test failure)
    bool compiled = false;                   ///< the device JIT produced code
    std::uint64_t verify_instructions = 0;   ///< M4 instructions of the verification
    std::uint64_t compile_instructions = 0;  ///< of the compilation
    std::uint64_t run_instructions = 0;      ///< of the compiled code's run (with its runtime calls)
    std::vector<std::uint8_t> code;          ///< the code the device JIT wrote
    std::uint32_t entry = 0;                 ///< offset of the entry in `code`
    std::string mismatch;                    ///< non-empty when the host JIT's output differs
    std::uint32_t stack_bytes = 0;           ///< native stack high-water mark of the whole call
    std::vector<std::uint8_t> image_after;   ///< a program image's buffer as the run left it (its .data)
};

/// The host JIT's output for `request` (verified as the image does it), or an error.
struct HostJit {
    Error error{};
    std::vector<std::uint8_t> code;
    std::uint32_t entry = 0;
    std::vector<std::uint32_t> offsets;  ///< code offset of each eBPF instruction
};
HostJit compile_on_host(const host::RunRequest& request, jit::Options options = {});
/// The same for a program image (request.image) that the Cortex-M4 loaded at kImageBase:
/// `relocated` is the image buffer as the M4 left it, so the code holds the M4's addresses.
HostJit compile_image_on_host(const host::RunRequest& request, std::span<const std::uint8_t> relocated,
                              jit::Options options = {});

class JitSession {
public:
    explicit JitSession(const std::string& elf_path);
    /// Verifies, compiles and runs `request` on the emulated Cortex-M4; the program's memory is
    /// mapped for this run only.
    JitImageRun run(const host::RunRequest& request);
    /// The JIT's options (on the M4 and on the host alike).
    void set_options(jit::Options options) { options_ = options; }
    /// Runs with Execution::stop set from the start (RunBlock::stop): on the interpreter and
    /// JIT code alike, a run ends with `stopped` after its first kStopSlice instructions.
    void set_stop_requested(bool on) { stop_requested_ = on; }
    /// Profiling aid: while set, each run() clears *hist and fills it with the PCs of the
    /// compile step's M4 instructions (Emulator::profile), which then sum to
    /// JitImageRun::compile_instructions. nullptr (the default): no profile.
    void set_compile_profile(Emulator::Histogram* hist) { compile_profile_ = hist; }
    /// The interpreter compiled into the same image, on the same stack and memory addresses:
    /// the reference for JIT code whose results depend on addresses.
    host::RunReport interpret(const host::RunRequest& request);

private:
    struct Call {
        CallResult result;
        host::RunReport report;
        std::vector<std::uint8_t> relocated;  ///< a program image's buffer after the run
        std::uint32_t stack_bytes = 0;
    };
    Call call(const char* entry, const host::RunRequest& request, bool jit);

    Emulator emu_;
    ElfImage image_;
    std::uint32_t mark_ = 0, mark_compiled_ = 0;
    std::uint64_t at_mark_ = 0, at_compiled_ = 0, at_run_ = 0;
    jit::Options options_{};
    bool stop_requested_ = false;
    Emulator::Histogram* compile_profile_ = nullptr;
    bool profiling_ = false;                  ///< this call profiles its compile step
    std::optional<SeedForwarder> forwarder_;  ///< printf and clock of program images
};

}  // namespace ubpf::m4
