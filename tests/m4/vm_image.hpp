// SPDX-License-Identifier: MIT
// Runs a program through the Cortex-M4 test image (tests/m4/image/m4_vm.cpp) inside the
// emulator, in the same environment as the host runs (include/ubpf/host/environment.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <ubpf/host/environment.hpp>

#include "emulator.hpp"

namespace ubpf::m4 {

struct ImageRun {
    host::RunReport report;                    ///< as run_on_host would give it
    std::uint64_t m4_instructions = 0;         ///< emulated Cortex-M4 instructions of the whole call
    std::uint64_t m4_verify_instructions = 0;  ///< of which verification (to the mark)
    std::uint32_t stack_bytes = 0;             ///< native stack high-water mark of the call
    std::optional<Fault> fault;                ///< set when the image itself went wrong (a test failure)
};

/// What an image with another entry point adds (the JIT image: its code buffer and report).
struct ImageHooks {
    std::string entry = "ubpf_m4_run";
    /// Maps and writes what the entry needs besides the RunBlock; appends its arguments.
    std::function<void(Emulator&, std::vector<Arg>&)> before;
    /// Reads results once the call returned (also after a fault).
    std::function<void(Emulator&)> after;
};

/// Loads `elf_path` into a fresh emulated Cortex-M4 and runs `request` through it.
ImageRun run_on_image(const std::string& elf_path, const host::RunRequest& request,
                      const ImageHooks& hooks = {});

}  // namespace ubpf::m4
