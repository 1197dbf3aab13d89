// SPDX-License-Identifier: MIT
// Runs a program as JIT code on the emulated Cortex-M4: the JIT image (tests/m4/image/m4_jit.cpp)
// verifies and compiles it inside the emulator and runs the code it made; the host JIT compiles
// the same program, and both must produce the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ubpf/host/environment.hpp>

#include "vm_image.hpp"

namespace ubpf::m4 {

struct JitImageRun {
    ImageRun image;                          ///< report, fault, all M4 instructions of the call
    bool compiled = false;                   ///< the device JIT produced code
    std::uint64_t compile_instructions = 0;  ///< M4 instructions of the compilation alone
    std::uint64_t run_instructions = 0;      ///< M4 instructions from the compiled code's start to the end
    std::vector<std::uint8_t> code;          ///< the code the device JIT wrote
    std::uint32_t entry = 0;                 ///< offset of the entry in `code`
    std::string mismatch;                    ///< non-empty when the host JIT's output differs
};

/// The host JIT's output for `request` (verified like the image does), or an error.
struct HostJit {
    Error error{};
    std::vector<std::uint8_t> code;
    std::uint32_t entry = 0;
    std::vector<std::uint32_t> offsets;  ///< code offset of each eBPF instruction
};
HostJit compile_on_host(const host::RunRequest& request);

JitImageRun run_jit_on_image(const std::string& elf_path, const host::RunRequest& request);

}  // namespace ubpf::m4
