// SPDX-License-Identifier: MIT
// The execution engines the CLI and the .data runner can choose from:
//   host          the interpreter compiled for this machine
//   m4-interp     the interpreter compiled for Cortex-M4 at -O2, run in Unicorn
//   m4-interp-Os  the same at -Os
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <ubpf/host/environment.hpp>

namespace ubpf::m4 {

struct EngineRun {
    host::RunReport report;
    std::optional<std::uint64_t> m4_instructions;  ///< emulated engines: M4 instructions of the run
    std::uint64_t m4_verify_instructions = 0;      ///< emulated engines: of the verification before it
    std::string failure;  ///< non-empty when the engine itself failed (emulator fault)
};

/// "host, m4-interp, m4-interp-Os"
std::string engine_names();

/// Runs `request` on the named engine; nullopt when there is no such engine.
std::optional<EngineRun> run_engine(std::string_view engine, const host::RunRequest& request);

}  // namespace ubpf::m4
