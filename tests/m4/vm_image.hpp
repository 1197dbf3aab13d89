// SPDX-License-Identifier: MIT
// Runs a program through the Cortex-M4 test image (tests/m4/image/m4_vm.cpp) inside the
// emulator, in the same environment as the host runs (include/ubpf/host/environment.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <ubpf/host/environment.hpp>

#include "emulator.hpp"
#include "seed_forwarder.hpp"

namespace ubpf::m4 {

struct ImageRun {
    host::RunReport report;                    ///< as run_on_host would give it
    std::uint64_t m4_instructions = 0;         ///< emulated Cortex-M4 instructions of the whole call
    std::uint64_t m4_verify_instructions = 0;  ///< of which verification (to the mark)
    std::uint32_t stack_bytes = 0;             ///< native stack high-water mark of the call
    std::optional<Fault> fault;                ///< set when the image itself went wrong (a test failure)
};

/// One emulated Cortex-M4 with the image loaded, for many runs (each starts from the image as
/// loaded: zeroed eBPF stack; the program's memory is mapped for its run only).
class VmSession {
public:
    explicit VmSession(const std::string& elf_path);
    /// Runs a .data program, or a program image (request.image) the image loads itself.
    ImageRun run(const host::RunRequest& request);

private:
    Emulator emu_;
    ElfImage image_;
    std::uint32_t mark_ = 0;
    std::uint64_t at_mark_ = 0;
    std::uint32_t stack_addr_ = 0, stack_size_ = 0;
    std::optional<SeedForwarder> forwarder_;  ///< printf and clock of program images
};

/// Loads `elf_path` into a fresh emulated Cortex-M4 and runs `request` through it.
ImageRun run_on_image(const std::string& elf_path, const host::RunRequest& request);

}  // namespace ubpf::m4
