// SPDX-License-Identifier: MIT
// The external tools `ubpf build` and `ubpf pack --format elf` run: clang's BPF target and
// llvm-strip. Their own diagnostics go straight to the user's terminal.
#pragma once

#include <string>

namespace ubpf::tools {

/// Compiles a C file to a BPF object (clang -O2 -target bpf -mcpu=CPU; clang-19 for v4).
/// Returns "" on success, else a one-line reason (the compiler's messages are already printed).
std::string compile_to_bpf(const std::string& source, const std::string& object, const std::string& cpu);

/// Writes `object` without debug information and BTF to `out` (the seed's raw-ELF preparation).
std::string strip_object(const std::string& object, const std::string& out);

}  // namespace ubpf::tools
