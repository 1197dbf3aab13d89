// SPDX-License-Identifier: MIT
// `ubpf jit PROGRAM`: the host JIT's Thumb-2 code for a program, disassembled with Capstone and
// interleaved with the eBPF instructions it came from.
#pragma once

#include <ostream>

#include <ubpf/host/environment.hpp>
#include <ubpf/jit/compiler.hpp>

namespace ubpf::tools {

/// Verifies and compiles the program of `request` as the m4-jit engine does and prints the code;
/// returns the process exit code.
int print_jit(const host::RunRequest& request, jit::Options options, std::ostream& out);

}  // namespace ubpf::tools
