// SPDX-License-Identifier: MIT
// The contract between the Cortex-M4 test image and the host that drives it in Unicorn: where
// things live in the emulated address space and the request/response block. Compiled into both,
// so the layout is the same on each side (fixed-width fields, explicit padding).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ubpf::m4 {

inline constexpr std::uint32_t kFlashBase = 0x08000000;  // image text and rodata
inline constexpr std::uint32_t kRamBase = 0x20000000;    // image data and bss
inline constexpr std::uint32_t kRamSize = 0x00010000;
inline constexpr std::uint32_t kStackTop = 0x20100000;  // native stack grows down from here
inline constexpr std::uint32_t kStackSize = 0x00004000;
inline constexpr std::uint32_t kAreaSize = 0x00100000;   // the most each area below may hold
inline constexpr std::uint32_t kBlockBase = 0x20200000;  // RunBlock and the allowed helper ids
inline constexpr std::uint32_t kCodeBase = kBlockBase + kAreaSize;
inline constexpr std::uint32_t kMemBase = kCodeBase + kAreaSize;
inline constexpr std::uint32_t kRodataBase = kMemBase + kAreaSize;

/// Filled by the host before calling `ubpf_m4_run(RunBlock*)` (a .data program at code_addr) or
/// `ubpf_m4_run_image(RunBlock*)` (a program image the image loads itself); the image writes the
/// outputs.
struct alignas(8) RunBlock {
    // in
    std::uint32_t code_addr;
    std::uint32_t code_count;  ///< instructions
    std::uint32_t mem_addr;
    std::uint32_t mem_len;
    std::uint32_t rodata_addr;
    std::uint32_t rodata_len;
    std::uint32_t allowed_addr;  ///< uint32_t helper ids
    std::uint32_t allowed_count;
    std::uint32_t allow_all;
    std::uint32_t mark;  ///< Thumb address of a host function called between verify and run (0: none)
    // Program images only: the raw image bytes, writable because the loader relocates them in
    // place to the addresses they have here; the run's helpers are the seed's.
    std::uint32_t image_addr;
    std::uint32_t image_len;
    std::uint32_t format;  ///< ubpf::Format
    /// Thumb address of the host's `void write(const char*, uint32_t)` for printf output (0: none).
    std::uint32_t output;
    /// Thumb address of the host's `uint64_t clock(uint32_t us)`: the time in the low word, 1 in
    /// the high word when there is a clock (0: no clock).
    std::uint32_t clock;
    /// 1: Execution::stop is set from the start, so a run longer than kStopSlice instructions
    /// ends with `stopped` (0: no stop flag).
    std::uint32_t stop;
    std::uint64_t budget;
    // out
    std::uint32_t ok;
    std::uint32_t error_code;
    std::uint32_t error_pc;
    std::uint32_t pad1;
    std::uint64_t r0;
    std::uint64_t instructions;
};
static_assert(sizeof(RunBlock) == 104);
static_assert(offsetof(RunBlock, budget) == 64 && offsetof(RunBlock, r0) == 88);

}  // namespace ubpf::m4
