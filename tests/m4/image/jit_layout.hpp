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

/// JitBlock::options: jit::Options::poison_dead_upper_halves, jit::Options::version_loops,
/// jit::Options::loop_registers left off, and jit::Options::blind_constants.
inline constexpr std::uint32_t kJitPoison = 1, kJitVersionLoops = 2, kJitNoLoopRegisters = 4, kJitBlind = 8;

/// Filled by the host before calling `ubpf_m4_jit(RunBlock*, JitBlock*)`.
struct alignas(8) JitBlock {
    // in
    std::uint32_t code_addr;
    std::uint32_t code_capacity;
    std::uint32_t mark_compiled;  ///< Thumb address of a host function called after compiling (0: none)
    std::uint32_t options;        ///< kJitPoison | kJitVersionLoops | kJitNoLoopRegisters | kJitBlind
    // out
    std::uint32_t compiled;  ///< 1 when the JIT produced code
    std::uint32_t code_size;
    std::uint32_t entry;
    // in
    std::uint32_t blinding_seed;  ///< jit::Options::blinding_seed
};
static_assert(sizeof(JitBlock) == 32);

}  // namespace ubpf::m4

namespace ubpf::m4 {

// --- Running code the host compiled (ubpf_m4_jit_run_code) ------------------------------------
// The host (ubpf-device) keeps a program's memory, its eBPF code and its JIT code in host memory
// mapped into the emulator at the same addresses, so the code, every region and every pointer a
// helper gets mean the same on both sides. The image re-verifies the program against a helper
// table whose functions trap to the host, and runs the code in place with ubpf::jit::run.

inline constexpr std::uint32_t kMaxCodeRegions = 8;  ///< of the program's own, and of the caller's
inline constexpr std::uint32_t kMaxCodeHelpers = 32;
inline constexpr std::uint32_t kCodeOpaqueBytes = 64;  ///< room for jit::Compiled, HelperPolicy

struct CodeRegion {
    std::uint32_t start;
    std::uint32_t size;
    std::uint32_t access;  ///< ubpf::Access
};
/// One helper the program may call: its id and ArgSpecs (kind, size_from, bytes, as in ArgSpec).
struct CodeHelper {
    std::uint32_t id;
    std::uint8_t kind[5];
    std::uint8_t size_from[5];
    std::uint16_t bytes[5];
};
static_assert(sizeof(CodeHelper) == 24);

/// What a helper call hands to the host's `void call(HelperCall*)`, and what comes back.
struct alignas(8) HelperCall {
    std::uint32_t index;    ///< in the host's helper table (CodeBlock::helpers)
    std::uint32_t outcome;  ///< out: ubpf::HelperContext::Outcome
    std::uint64_t args[5];
    std::uint64_t r0;     ///< out
    std::uint32_t error;  ///< out: ubpf::ErrorCode when outcome is fail
    std::uint32_t pad;
};
static_assert(sizeof(HelperCall) == 64);

/// Filled by the host before calling `ubpf_m4_jit_run_code(CodeBlock*)`.
struct alignas(8) CodeBlock {
    // in: both sides' view of the shared types and the configuration, so a mismatch fails loudly
    std::uint32_t compiled_size;  ///< sizeof(jit::Compiled) on the host
    std::uint32_t policy_size;    ///< sizeof(HelperPolicy)
    std::uint32_t max_instructions, max_functions, max_call_depth, stack_frame_size;
    // in: the program, its memory and the run
    std::uint32_t code_addr;     ///< the JIT code, run in place
    std::uint32_t program_addr;  ///< eBPF instructions
    std::uint32_t program_count;
    std::uint32_t entry;
    std::uint32_t regions_addr;  ///< CodeRegion[region_count]: the program's own regions
    std::uint32_t region_count;
    std::uint32_t exec_regions_addr;  ///< CodeRegion[exec_region_count]: Execution::regions
    std::uint32_t exec_region_count;
    std::uint32_t helpers_addr;  ///< CodeHelper[helper_count], in the host table's order
    std::uint32_t helper_count;
    std::uint32_t helper_trap;  ///< Thumb address of the host's `void call(HelperCall*)`
    std::uint32_t mark;         ///< Thumb address of a host function called after verifying (0: none)
    std::uint32_t stack_addr;
    std::uint32_t stack_len;
    std::uint64_t args[5];
    std::uint64_t budget;
    alignas(8) std::uint8_t policy[kCodeOpaqueBytes];    ///< HelperPolicy, byte for byte
    alignas(8) std::uint8_t compiled[kCodeOpaqueBytes];  ///< jit::Compiled, byte for byte
    // out
    std::uint32_t ok;
    std::uint32_t error_code;  ///< ubpf::ErrorCode, or kCodeAbiMismatch
    std::uint32_t error_pc;
    std::uint32_t pad;
    std::uint64_t r0;
    std::uint64_t instructions;
};
/// The image was built with other types or another configuration than the host's.
inline constexpr std::uint32_t kCodeAbiMismatch = 0xffff;

}  // namespace ubpf::m4
