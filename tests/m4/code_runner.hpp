// SPDX-License-Identifier: MIT
// Runs JIT code that the host compiled on the emulated Cortex-M4, as a device runs its own:
// the code, the program and all memory it may touch live in host memory that every emulator
// maps at the same addresses (SharedMemory), so nothing is copied or moved. The JIT image
// (image/m4_jit.cpp, ubpf_m4_jit_run_code) re-verifies the program and runs the code with the
// JIT runtime compiled for the M4; each helper call traps to the host, which runs the host's
// own helper (ubpf::Helper) on the same memory. This is what ubpf-device's Platform::run_jit is.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <ubpf/interpreter.hpp>
#include <ubpf/jit/compiler.hpp>

namespace ubpf::m4 {

/// Host memory below 4 GiB, at an address the images' own memory map leaves free, so that a
/// Cortex-M4 can see it where the host does. Zeroed; page aligned.
class SharedMemory {
public:
    /// Throws std::runtime_error when no such place is free.
    explicit SharedMemory(std::size_t size);
    ~SharedMemory();
    SharedMemory(const SharedMemory&) = delete;
    SharedMemory& operator=(const SharedMemory&) = delete;

    [[nodiscard]] std::span<std::uint8_t> bytes() const { return {base_, size_}; }
    /// True when [start, start + size) lies inside.
    [[nodiscard]] bool holds(std::uintptr_t start, std::size_t size) const;

private:
    std::uint8_t* base_ = nullptr;
    std::size_t size_ = 0;
};

/// One run's inputs, taken apart from the templates (VerifiedProgram<C>, Compiled) by run().
struct CodeRequest {
    Config config;
    std::span<const std::uint8_t> code;      ///< the JIT code
    std::span<const std::uint8_t> compiled;  ///< jit::Compiled, byte for byte
    std::span<const std::uint8_t> policy;    ///< HelperPolicy, byte for byte
    std::span<const Insn> program;
    std::span<const Region> program_regions;
    std::uint32_t entry = 0;
    std::span<const Helper> helpers;  ///< the verified program's table, run on the host
    const Execution* exec = nullptr;
    const MemoryMap* memory = nullptr;  ///< the run's memory on the host, for the helpers
    const std::atomic<bool>* stop = nullptr;
};

/// How a run went on the emulated CPU, besides its result.
struct CodeRunInfo {
    std::uint64_t m4_instructions = 0;  ///< of the code's run with its runtime (verification excluded)
    bool interrupted = false;           ///< the stop flag ended it between two helper calls
    std::string failure;                ///< the emulator itself failed (a bug, never the program's fault)
};

class CodeRunner {
public:
    /// Runs an emulator does before a new one takes its place. Unicorn 2.0.1 keeps about 17 KB
    /// more of host memory after each run (ubpf-device measured: RSS +35 MB over 2000 runs of
    /// JIT code) and gives it back when the emulator is closed, so this bounds the growth.
    static constexpr unsigned kRunsPerEmulator = 1000;

    /// `shared` holds everything the programs run here may address; `image` is m4_jit.elf.
    CodeRunner(const SharedMemory& shared, std::string image, unsigned runs_per_emulator = kRunsPerEmulator);
    ~CodeRunner();
    CodeRunner(const CodeRunner&) = delete;
    CodeRunner& operator=(const CodeRunner&) = delete;

    /// Runs `compiled` (made by jit::Compiler<C> from `program` into `code`) with `exec`, as
    /// jit::run does on a device. A set `stop` ends the run with ErrorCode::stopped, at a helper
    /// call (the service's helpers check it) or within Emulator::kInterruptSlice M4
    /// instructions. An emulator failure gives ErrorCode::no_program and `info.failure`.
    template <Config C>
    Result<Outcome> run(const VerifiedProgram<C>& program, std::span<const std::uint8_t> code,
                        const jit::Compiled& compiled, const Execution& exec, const std::atomic<bool>& stop,
                        CodeRunInfo& info) {
        static_assert(std::is_trivially_copyable_v<jit::Compiled> &&
                      std::is_trivially_copyable_v<HelperPolicy>);
        const MemoryMap memory = ubpf::detail::memory_of(program, exec);
        CodeRequest r;
        r.config = C;
        r.code = code;
        r.compiled = {reinterpret_cast<const std::uint8_t*>(&compiled), sizeof compiled};
        r.policy = {reinterpret_cast<const std::uint8_t*>(&program.policy), sizeof program.policy};
        r.program = program.code;
        r.program_regions = program.regions;
        r.entry = program.entry;
        r.helpers = program.helpers;
        r.exec = &exec;
        r.memory = &memory;
        r.stop = &stop;
        return run(r, info);
    }
    Result<Outcome> run(const CodeRequest& request, CodeRunInfo& info);

    /// Emulators started so far (one per concurrent run, and one per runs_per_emulator runs).
    [[nodiscard]] unsigned emulators_started() const { return started_.load(); }

private:
    struct Session;
    std::unique_ptr<Session> take();
    void give_back(std::unique_ptr<Session> session);

    const SharedMemory& shared_;
    std::string image_;
    unsigned runs_per_emulator_;
    std::atomic<unsigned> started_{0};
    std::mutex mutex_;
    std::vector<std::unique_ptr<Session>> idle_;  ///< one emulator per concurrent run, kept
};

}  // namespace ubpf::m4
