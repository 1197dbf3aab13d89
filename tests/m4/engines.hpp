// SPDX-License-Identifier: MIT
// The execution engines the CLI and the .data runner can choose from:
//   host          the interpreter compiled for this machine
//   m4-interp     the interpreter compiled for Cortex-M4 at -O2, run in Unicorn
//   m4-interp-Os  the same at -Os
//   m4-jit        the JIT compiled for Cortex-M4 at -O2 compiles the program in Unicorn and the
//                 code runs there (m4_instructions: the code alone)
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <ubpf/host/environment.hpp>

namespace ubpf::m4 {

struct EngineRun {
    host::RunReport report;
    std::optional<std::uint64_t> m4_instructions;  ///< emulated engines: M4 instructions of the run
    std::uint64_t m4_verify_instructions = 0;      ///< emulated engines: of the verification before it
    std::optional<std::uint64_t> m4_compile_instructions;  ///< m4-jit: M4 instructions of the compilation
    std::optional<std::uint64_t> jit_code_bytes;           ///< m4-jit: bytes of Thumb-2 code
    std::string failure;  ///< non-empty when the engine itself failed (emulator fault)
};

/// "host, m4-interp, m4-interp-Os, m4-jit"
std::string engine_names();

/// Runs `request` on the named engine; nullopt when there is no such engine.
std::optional<EngineRun> run_engine(std::string_view engine, const host::RunRequest& request);

/// Many runs on one engine: the emulated engines keep one emulator with their image loaded
/// (each run starts from the image as loaded), which saves setting one up per program.
class EngineSession {
public:
    /// Throws std::invalid_argument when there is no such engine.
    explicit EngineSession(std::string_view engine);
    ~EngineSession();
    EngineSession(const EngineSession&) = delete;
    EngineSession& operator=(const EngineSession&) = delete;
    EngineRun run(const host::RunRequest& request);

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace ubpf::m4
