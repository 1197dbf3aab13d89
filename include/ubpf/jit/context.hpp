// SPDX-License-Identifier: MIT
// The contract between JIT code and its runtime: the layout of the context block that JIT code
// addresses through r10 (fixed word offsets, so host and device emit identical bytes), the
// encoding of the small words JIT code passes to the runtime, and the runtime functions that
// JIT code calls through pointers held in the block. Nothing here depends on where code or
// data live.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "../error.hpp"
#include "../helpers.hpp"
#include "../interpreter.hpp"
#include "../isa.hpp"
#include "../memory.hpp"

namespace ubpf::jit {

/// Byte offsets in the context block, as JIT code addresses them ([r10, #offset]).
namespace ctx {
inline constexpr std::int32_t kRegs = 0;         ///< r0..r10, {lo, hi} words each
inline constexpr std::int32_t kBudget = 88;      ///< instructions still allowed (in and out)
inline constexpr std::int32_t kEntrySp = 92;     ///< native SP at entry, to unwind from any depth
inline constexpr std::int32_t kStackBase = 96;   ///< lowest address of the eBPF stack
inline constexpr std::int32_t kFastStart = 100;  ///< the region checked inline
inline constexpr std::int32_t kFastCount = 104;  ///< [kind][size]: valid start offsets in it (12 words)
inline constexpr std::int32_t kFnMemory = 152;   ///< Runtime::memory
inline constexpr std::int32_t kFnBudget = 156;   ///< Runtime::budget
inline constexpr std::int32_t kFnHelper = 160;   ///< Runtime::helper
inline constexpr std::int32_t kFnDivide = 164;   ///< 4 words: 64-bit div, mod, sdiv, smod
inline constexpr std::int32_t kError = 180;      ///< code << 16 | pc
inline constexpr std::int32_t kPending = 184;    ///< budget cut-off pc + 1 (0: none), see budget()
inline constexpr std::int32_t kSize = 188;

constexpr std::int32_t reg(unsigned r, bool hi) noexcept {
    return kRegs + static_cast<std::int32_t>(8 * r + (hi ? 4 : 0));
}
}  // namespace ctx

/// Memory access kinds as JIT code reports them: the permission the access needs.
enum class AccessKind : std::uint8_t { load = 0, store = 1, atomic = 2 };

/// The word JIT code passes with an access that failed its inline check: pc | kind << 16 |
/// log2(size) << 20.
constexpr std::uint32_t access_info(std::uint32_t pc, AccessKind kind, unsigned size) noexcept {
    const unsigned lg = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
    return pc | (static_cast<std::uint32_t>(kind) << 16) | (lg << 20);
}
/// Index of the inline-check count for an access.
constexpr std::int32_t fast_count_offset(AccessKind kind, unsigned size) noexcept {
    const unsigned lg = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
    return ctx::kFastCount + static_cast<std::int32_t>(4 * (static_cast<unsigned>(kind) * 4 + lg));
}
constexpr std::uint32_t error_word(ErrorCode code, std::uint32_t pc) noexcept {
    return (static_cast<std::uint32_t>(code) << 16) | pc;
}

/// The context block. Its first kSize bytes are what JIT code sees (32-bit words, laid out as
/// in namespace ctx on the 32-bit target); the rest is for the runtime functions only.
struct Context {
    std::uint32_t regs[22];
    std::uint32_t budget;
    std::uint32_t entry_sp;
    std::uint32_t stack_base;
    std::uint32_t fast_start;
    std::uint32_t fast_count[12];
    std::uint32_t fn_memory;
    std::uint32_t fn_budget;
    std::uint32_t fn_helper;
    std::uint32_t fn_divide[4];
    std::uint32_t error;
    std::uint32_t pending;
    // Runtime only.
    std::span<const Insn> code;
    std::span<const Helper> helpers;
    HelperPolicy policy;
    const MemoryMap* memory;
    HelperContext* helper_context;

    [[nodiscard]] std::uint64_t reg(unsigned r) const noexcept {
        return regs[2 * r] | (static_cast<std::uint64_t>(regs[2 * r + 1]) << 32);
    }
    void set_reg(unsigned r, std::uint64_t v) noexcept {
        regs[2 * r] = static_cast<std::uint32_t>(v);
        regs[2 * r + 1] = static_cast<std::uint32_t>(v >> 32);
    }
};
static_assert(offsetof(Context, budget) == ctx::kBudget && offsetof(Context, fast_count) == ctx::kFastCount);
static_assert(offsetof(Context, fn_divide) == ctx::kFnDivide && offsetof(Context, pending) == ctx::kPending);
static_assert(offsetof(Context, code) >= ctx::kSize);

/// What JIT code calls. AAPCS functions; a 64-bit result {value, ok} comes back in r0:r1.
namespace runtime {

constexpr std::uint64_t pack(std::uint32_t value, bool ok) noexcept {
    return value | (static_cast<std::uint64_t>(ok ? 1 : 0) << 32);
}

/// An access failed its inline check: the full check of the interpreter (every region with its
/// permissions). Returns {host address, 1}, or {0, 0} with the interpreter's error recorded.
inline std::uint64_t memory(std::uint32_t lo, std::uint32_t hi, Context* c, std::uint32_t info) noexcept {
    const std::uint64_t addr = lo | (static_cast<std::uint64_t>(hi) << 32);
    const std::uint32_t pc = info & 0xffff;
    const auto kind = static_cast<AccessKind>((info >> 16) & 0xf);
    const std::size_t size = std::size_t{1} << ((info >> 20) & 3);
    const Access need = kind == AccessKind::load    ? Access::read
                        : kind == AccessKind::store ? Access::write
                                                    : Access::read_write;
    // An instruction past the budget cut-off of this block never runs: the budget ran out first.
    if (c->pending != 0 && c->pending - 1 <= pc) {
        c->error = error_word(ErrorCode::budget_exhausted, c->pending - 1);
        return 0;
    }
    if (void* p = c->memory->translate(addr, size, need))
        return pack(static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(p)), true);
    ErrorCode why = ErrorCode::out_of_bounds_load;
    if (kind != AccessKind::load)
        why = c->memory->translate(addr, size, Access::read) != nullptr ? ErrorCode::store_to_readonly
                                                                        : ErrorCode::out_of_bounds_store;
    c->error = error_word(why, pc);
    return 0;
}

/// A block of `count` instructions starting at `start` (info = start | count << 16) did not fit
/// the budget: `after` is the budget counter after subtracting count (wrapped). The run stops at
/// the first instruction of the block that the budget does not cover; the instructions before
/// it still run. So the cut-off is remembered (pending) and the block goes on: the counter is
/// set to 0 so that the next charge stops the run, and every store and atomic from now on takes
/// the full check, which refuses those past the cut-off, so memory is left as the interpreter
/// leaves it (loads and register writes there are harmless; stores at a constant frame offset
/// are unchecked, and the stack is not visible after a failed run). A fault before the cut-off
/// keeps its own error.
inline std::uint64_t budget(std::uint32_t after, std::uint32_t info, Context* c) noexcept {
    const std::uint32_t start = info & 0xffff;
    const std::uint32_t count = info >> 16;
    const std::uint32_t remaining = after + count;  // what was left before the charge
    if (c->pending != 0) {
        c->error = error_word(ErrorCode::budget_exhausted, c->pending - 1);
        return 0;
    }
    std::uint32_t pc = start;
    // A charge covers one straight block, or a lone `ja` and the block it goes to (merge_ja).
    for (std::uint32_t i = 0; i < remaining; ++i) {
        const Insn& insn = c->code[pc];
        const isa::OpInfo& row = isa::info(isa::decode(insn));
        const std::int32_t off = row.form == isa::Form::jump_long ? insn.imm : insn.off;
        pc = row.op == isa::Op::ja ? static_cast<std::uint32_t>(static_cast<std::int32_t>(pc) + 1 + off)
                                   : pc + isa::slots(row.op);
    }
    if (remaining == 0) {
        c->error = error_word(ErrorCode::budget_exhausted, pc);
        return 0;
    }
    c->pending = pc + 1;
    for (unsigned lg = 0; lg < 4; ++lg) {
        c->fast_count[static_cast<unsigned>(AccessKind::store) * 4 + lg] = 0;
        c->fast_count[static_cast<unsigned>(AccessKind::atomic) * 4 + lg] = 0;
    }
    return pack(0, true);
}

/// `call imm` or `callx` at pc: the interpreter's helper call on the context's registers.
/// Returns 0 to continue, 1 when the helper ended the program normally, 2 on an error.
inline std::uint32_t helper(Context* c, std::uint32_t pc) noexcept {
    const Insn& insn = c->code[pc];
    const bool callx = insn.opcode == isa::info(isa::Id::callx).opcode;
    const std::uint64_t id = callx ? c->reg(insn.dst()) : static_cast<std::uint32_t>(insn.imm);
    std::uint64_t reg[6];
    for (unsigned r = 0; r < 6; ++r) reg[r] = c->reg(r);
    const ErrorCode why =
        ubpf::detail::call_helper(c->helpers, c->policy, id, callx, reg, *c->memory, *c->helper_context);
    if (why != ErrorCode::none) {
        c->error = error_word(why, pc);
        return 2;
    }
    c->set_reg(0, reg[0]);
    return c->helper_context->outcome() == HelperContext::Outcome::exit_program ? 1 : 0;
}

// 64-bit division has no instruction: the interpreter's definitions, called with a in r0:r1
// and b in r2:r3.
inline std::uint64_t div64(std::uint64_t a, std::uint64_t b) noexcept {
    return ubpf::detail::alu(isa::Op::div, a, b);
}
inline std::uint64_t mod64(std::uint64_t a, std::uint64_t b) noexcept {
    return ubpf::detail::alu(isa::Op::mod, a, b);
}
inline std::uint64_t sdiv64(std::uint64_t a, std::uint64_t b) noexcept {
    return ubpf::detail::alu(isa::Op::sdiv, a, b);
}
inline std::uint64_t smod64(std::uint64_t a, std::uint64_t b) noexcept {
    return ubpf::detail::alu(isa::Op::smod, a, b);
}

}  // namespace runtime

}  // namespace ubpf::jit
