// SPDX-License-Identifier: MIT
// The JIT image's part of the host<->image contract (next to layout.hpp): where the code buffer
// is and what the image reports about the compilation.
#pragma once

#include <cstdint>

#include "layout.hpp"

namespace ubpf::m4 {

inline constexpr std::uint32_t kJitCodeBase = kRodataBase + kAreaSize;  // mapped writable + executable
inline constexpr std::uint32_t kJitCodeSize = 0x00040000;
inline constexpr std::uint32_t kJitBlockBase = kJitCodeBase + kJitCodeSize;

/// Filled by the host before calling `ubpf_m4_jit(RunBlock*, JitBlock*)`.
struct alignas(8) JitBlock {
    // in
    std::uint32_t code_addr;
    std::uint32_t code_capacity;
    std::uint32_t mark_compiled;  ///< Thumb address of a host function called after compiling (0: none)
    // out
    std::uint32_t compiled;  ///< 1 when the JIT produced code
    std::uint32_t code_size;
    std::uint32_t entry;
};
static_assert(sizeof(JitBlock) == 24);

}  // namespace ubpf::m4
