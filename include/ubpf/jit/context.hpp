// SPDX-License-Identifier: MIT
// The contract between JIT code and its runtime: the layout of the context block that JIT code
// addresses through r7 (fixed word offsets, so host and device emit identical bytes), the data
// that follows each slow-path call in the code (StubData), and the runtime functions that JIT
// code calls through pointers held in the block. Nothing here depends on where code or data
// live, and nothing reads the program's bytecode.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "../error.hpp"
#include "../helpers.hpp"
#include "../interpreter.hpp"
#include "../isa.hpp"
#include "../memory.hpp"

namespace ubpf::jit {

/// Byte offsets in the context block, as JIT code addresses them ([r7, #offset]).
namespace ctx {
inline constexpr std::int32_t kRegs = 0;         ///< r0..r10, {lo, hi} words each
inline constexpr std::int32_t kBudget = 88;      ///< instructions still allowed (in and out)
inline constexpr std::int32_t kFnSlow = 92;      ///< runtime::slow (below 128: a 16-bit LDR reaches)
inline constexpr std::int32_t kStackBase = 96;   ///< lowest address of the eBPF stack
inline constexpr std::int32_t kFastStart = 100;  ///< the region checked inline
inline constexpr std::int32_t kEntrySp = 104;    ///< native SP at entry (with local calls: to unwind)
inline constexpr std::int32_t kFnHelper = 108;   ///< runtime::helper
inline constexpr std::int32_t kFnDivide = 112;   ///< 4 words: 64-bit div, mod, sdiv, smod
inline constexpr std::int32_t kError = 128;      ///< code << 16 | pc
inline constexpr std::int32_t kPending = 132;    ///< budget cut-off pc + 1 (0: none), see budget()
/// [kind][size]: {the region's start, the number of valid start offsets in it} for an access,
/// adjacent so that one LDRD loads both (12 pairs); kStackCheck the same for the stack, and
/// kDataCheck for the program's own first kDataRegions regions (its .data, .rodata).
inline constexpr std::int32_t kFastCheck = 136;
inline constexpr std::int32_t kStackCheck = 232;
inline constexpr std::int32_t kDataCheck = 328;
inline constexpr unsigned kDataRegions = 2;
inline constexpr std::int32_t kSize = kDataCheck + 96 * kDataRegions;

constexpr std::int32_t reg(unsigned r, bool hi) noexcept {
    return kRegs + static_cast<std::int32_t>(8 * r + (hi ? 4 : 0));
}
}  // namespace ctx

/// The ARM register that holds the budget counter (instructions still allowed) while JIT code
/// runs: a low register, so that a block's charge `SUBS r6, #count` is a 16-bit instruction. The
/// counter is signed (a charge that makes it negative goes to the slow path), so it holds at
/// most kMaxCounter; runtime::budget refills it from Context::reserve.
inline constexpr unsigned kBudgetRegister = 6;
inline constexpr std::uint32_t kMaxCounter = 0x7fffffff;

/// Memory access kinds as JIT code reports them: the permission the access needs.
enum class AccessKind : std::uint8_t { load = 0, store = 1, atomic = 2 };

/// The permission an access of this kind needs.
constexpr Access access_need(AccessKind kind) noexcept {
    return kind == AccessKind::load    ? Access::read
           : kind == AccessKind::store ? Access::write
                                       : Access::read_write;
}
/// log2 of an access size (1, 2, 4 or 8 bytes).
constexpr unsigned log2_size(unsigned size) noexcept {
    return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}
/// The region an access is checked against inline: the fast one (the caller's first), the stack,
/// or one of the program's own (data + j).
enum class CheckRegion : std::uint8_t { fast = 0, stack = 1, data = 2 };
/// The inline check's {start, count} pair for an access.
constexpr std::int32_t check_offset(CheckRegion region, AccessKind kind, unsigned size) noexcept {
    const auto which = static_cast<unsigned>(region);
    const std::int32_t table = which == 0   ? ctx::kFastCheck
                               : which == 1 ? ctx::kStackCheck
                                            : ctx::kDataCheck + static_cast<std::int32_t>(96 * (which - 2));
    return table + static_cast<std::int32_t>(8 * (static_cast<unsigned>(kind) * 4 + log2_size(size)));
}
constexpr std::uint32_t error_word(ErrorCode code, std::uint32_t pc) noexcept {
    return (static_cast<std::uint32_t>(code) << 16) | pc;
}

/// What a slow-path call in JIT code is for. The first three are AccessKind.
enum class SiteKind : std::uint8_t {
    load = 0,
    store = 1,
    atomic = 2,
    budget = 3,       ///< a block of `aux` instructions starting at pc did not fit the budget
    budget_ja = 4,    ///< the same for a block ending in a jump charged with its target's (`target`)
    error = 5,        ///< stop with ErrorCode `aux` at pc
    budget_lddw = 6,  ///< as budget, for a block with lddw among its first 16 instructions (`lddw`)
    pair = 7,         ///< two loads or two stores checked at once (the second at pc `target`): memory()
};
/// What follows each `BL slow` in JIT code (halfwords): the return address points at it, so the
/// code carries what its slow paths need and the runtime needs no bytecode. The stub has no
/// branch back: `back` says where the code resumes, just after the B<c> that went to the stub.
struct StubData {
    std::uint16_t pc;  ///< eBPF instruction
    /// SiteKind | aux << 3 | back << 9. aux (6 bits): accesses log2(size) | register of the upper
    /// half << 2, budgets the block's count, errors the ErrorCode. back (7 bits): the stub's BL
    /// is 2 + 2 * back bytes past the resume address.
    std::uint16_t info;
    std::uint16_t target;  ///< budget_ja: the jump's target; pair: the second access's pc
    /// budget_lddw: bit i set when the block's i-th instruction is lddw; budget_ja: the same for
    /// the target's block (bits 0-9) and the count of the charging block's own instructions
    /// (ja_layout()); pair: pair_layout()
    std::uint16_t lddw;
    static constexpr unsigned kMaxAux = 63, kMaxBack = 127;
    [[nodiscard]] static constexpr std::uint16_t make_info(SiteKind kind, unsigned aux,
                                                           unsigned back) noexcept {
        return static_cast<std::uint16_t>(static_cast<unsigned>(kind) | aux << 3 | back << 9);
    }
    [[nodiscard]] SiteKind kind() const noexcept { return static_cast<SiteKind>(info & 7); }
    [[nodiscard]] unsigned aux() const noexcept { return (info >> 3) & kMaxAux; }
    [[nodiscard]] unsigned back() const noexcept { return info >> 9; }
    /// `back` for a stub whose BL is at `bl` and whose code resumes at `resume`.
    [[nodiscard]] static constexpr std::size_t back_for(std::size_t bl, std::size_t resume) noexcept {
        return (bl - resume) / 2 - 1;
    }
    /// Where the code resumes, from the address of this data (just past the BL).
    [[nodiscard]] std::uintptr_t resume(std::uintptr_t data) const noexcept { return data - 6 - 2 * back(); }
    /// Bytes of data after the BL.
    [[nodiscard]] std::uint32_t size() const noexcept { return wide(kind()) ? 8 : 4; }
    /// True for the kinds whose data has `target` and `lddw`.
    [[nodiscard]] static constexpr bool wide(SiteKind kind) noexcept {
        return kind == SiteKind::budget_ja || kind == SiteKind::budget_lddw || kind == SiteKind::pair;
    }
    /// pair's `lddw`: the two accesses' offsets from the checked start (0..7), the second's
    /// log2(size) (the first's is in aux, as for a single access) and, for two stores, where the
    /// first one's value is (`first_value`, pair_value()): the runtime makes that store itself
    /// when the second one fails, as the interpreter would have.
    [[nodiscard]] static constexpr std::uint16_t pair_layout(unsigned first, unsigned second,
                                                             unsigned second_lg,
                                                             unsigned first_value = 0) noexcept {
        return static_cast<std::uint16_t>(first | second << 3 | second_lg << 6 | first_value << 8);
    }
    /// pair_layout()'s first_value for a store of the value in ARM register `reg` (r0-r12)
    /// or, in_context, in the lower half of eBPF register `reg` in the context.
    [[nodiscard]] static constexpr unsigned pair_value(unsigned reg, bool in_context) noexcept {
        return 1u | reg << 1 | (in_context ? 1u : 0u) << 5;
    }
    [[nodiscard]] unsigned pair_first() const noexcept { return lddw & 7; }
    [[nodiscard]] unsigned pair_second() const noexcept { return (lddw >> 3) & 7; }
    [[nodiscard]] std::size_t pair_second_size() const noexcept {
        return std::size_t{1} << ((lddw >> 6) & 3);
    }
    [[nodiscard]] bool pair_stores() const noexcept { return ((lddw >> 8) & 1) != 0; }
    [[nodiscard]] unsigned pair_value_reg() const noexcept { return (lddw >> 9) & 15; }
    [[nodiscard]] bool pair_value_in_context() const noexcept { return ((lddw >> 13) & 1) != 0; }
    /// budget_ja's `lddw`: a block of `own` instructions (no lddw among them) whose last jumps to
    /// a block with lddw at the positions in `target_lddw` (of its first 10 instructions).
    static constexpr unsigned kJaLddwBits = 10;
    [[nodiscard]] static constexpr std::uint16_t ja_layout(unsigned own, std::uint16_t target_lddw) noexcept {
        return static_cast<std::uint16_t>(target_lddw | (own - 1) << kJaLddwBits);
    }
    [[nodiscard]] unsigned own() const noexcept { return (lddw >> kJaLddwBits) + 1u; }
    [[nodiscard]] std::uint32_t target_lddw() const noexcept { return lddw & ((1u << kJaLddwBits) - 1); }
    /// The pc of the k-th instruction of a block at `start` with lddw at `mask` (an lddw takes
    /// two slots; none after the 16th).
    [[nodiscard]] static std::uint32_t nth(std::uint32_t start, std::uint32_t k,
                                           std::uint32_t mask) noexcept {
        const std::uint32_t below = k >= 16 ? mask : mask & ((1u << k) - 1);
        return start + k + static_cast<std::uint32_t>(std::popcount(below));
    }
    /// The pc where a charge of this site that covers `k` instructions stops: the k-th along
    /// the block (for budget_ja: along the block, then along its target's).
    [[nodiscard]] std::uint32_t cut(std::uint32_t k) const noexcept {
        if (kind() != SiteKind::budget_ja) return nth(pc, k, kind() == SiteKind::budget_lddw ? lddw : 0u);
        if (k < own()) return pc + k;
        return nth(target, k - own(), target_lddw());
    }
};

/// The context block. Its first kSize bytes are what JIT code sees (32-bit words, laid out as
/// in namespace ctx on the 32-bit target); the rest is for the runtime functions only.
struct Context {
    std::uint32_t regs[22];
    std::uint32_t budget;
    std::uint32_t fn_slow;
    std::uint32_t stack_base;
    std::uint32_t fast_start;
    std::uint32_t entry_sp;
    std::uint32_t fn_helper;
    std::uint32_t fn_divide[4];
    std::uint32_t error;
    std::uint32_t pending;
    /// For each access kind and size: {start, count}, see check_offset().
    struct Check {
        std::uint32_t start, count;
    };
    Check fast_check[12];
    Check stack_check[12];
    Check data_check[ctx::kDataRegions][12];
    // Runtime only.
    /// Where the block whose charge did not fit starts (pending): instructions run in the order
    /// of pc - split (mod 2^32), as a block that goes on into its jump's target block does.
    std::uint32_t split;
    std::uint32_t reserve;  ///< budget not yet in the counter (which holds at most counter_cap())
    /// Execution::stop: when set, the counter holds at most kStopSlice, and runtime::budget looks
    /// at the flag each time it refills the counter from the reserve.
    const std::atomic<bool>* stop;
    std::span<const Helper> helpers;
    HelperPolicy policy;
    const MemoryMap* memory;
    HelperContext* helper_context;

    [[nodiscard]] std::uint32_t counter_cap() const noexcept {
        return stop != nullptr ? static_cast<std::uint32_t>(kStopSlice) : kMaxCounter;
    }
    [[nodiscard]] std::uint64_t reg(unsigned r) const noexcept {
        return regs[2 * r] | (static_cast<std::uint64_t>(regs[2 * r + 1]) << 32);
    }
    void set_reg(unsigned r, std::uint64_t v) noexcept {
        regs[2 * r] = static_cast<std::uint32_t>(v);
        regs[2 * r + 1] = static_cast<std::uint32_t>(v >> 32);
    }
};
static_assert(offsetof(Context, budget) == ctx::kBudget && offsetof(Context, fast_check) == ctx::kFastCheck);
static_assert(offsetof(Context, fn_divide) == ctx::kFnDivide && offsetof(Context, pending) == ctx::kPending);
static_assert(offsetof(Context, stack_check) == ctx::kStackCheck && offsetof(Context, error) == ctx::kError);
static_assert(offsetof(Context, data_check) == ctx::kDataCheck);
static_assert(offsetof(Context, fn_slow) == ctx::kFnSlow && offsetof(Context, entry_sp) == ctx::kEntrySp);
static_assert(offsetof(Context, fn_helper) == ctx::kFnHelper &&
              offsetof(Context, stack_base) == ctx::kStackBase &&
              offsetof(Context, fast_start) == ctx::kFastStart);
static_assert(offsetof(Context, helpers) >= ctx::kSize);

/// What JIT code calls: AAPCS functions.
namespace runtime {

/// The counter (kBudgetRegister, signed) is negative from a block whose charge did not fit until
/// the run stops, or until a jump leaves that block before its cut-off (see budget()).
inline bool budget_overdrawn(const std::uint32_t* saved) noexcept {
    return static_cast<std::int32_t>(saved[kBudgetRegister]) < 0;
}
/// True when the instruction at pc comes at or after the budget's cut-off: the budget ran out
/// before it (the order of the charged block and its target block: Context::split).
inline bool past_cut(const Context* c, const std::uint32_t* saved, std::uint32_t pc) noexcept {
    return budget_overdrawn(saved) && pc - c->split >= c->pending - 1 - c->split;
}

/// The interpreter's full check of an access at pc (every region with its permissions): its
/// host address, or nullptr with the error in c->error.
inline void* translate(Context* c, std::uint32_t pc, std::uint64_t addr, std::size_t size, SiteKind kind,
                       const std::uint32_t* saved) noexcept {
    const bool load = kind == SiteKind::load;
    const Access need = access_need(load ? AccessKind::load : static_cast<AccessKind>(kind));
    // An instruction past the budget cut-off of this block never runs: the budget ran out first.
    if (past_cut(c, saved, pc)) {
        c->error = error_word(ErrorCode::budget_exhausted, c->pending - 1);
        return nullptr;
    }
    if (void* p = c->memory->translate(addr, size, need)) return p;
    ErrorCode why = ErrorCode::out_of_bounds_load;
    if (!load)
        why = c->memory->translate(addr, size, Access::read) != nullptr ? ErrorCode::store_to_readonly
                                                                        : ErrorCode::out_of_bounds_store;
    c->error = error_word(why, pc);
    return nullptr;
}

/// An access failed its inline check. The address is r2 + r3 (offset in the inline region and
/// its start) with its upper half in the register the site names (pc: 0). On success r3 = host address
/// and r2 = 0, so the access [r3, r2] that follows in the code goes there. For a pair the
/// address is where the checked range of two accesses starts: each is checked in program order
/// (nothing between them stores, fails or jumps, so failing at the second is what the
/// interpreter does, after making the first: a first store is made here), and r3 = the host
/// address of that start (regions are mapped at their own addresses).
inline bool memory(Context* c, const StubData& site, std::uint32_t* saved) noexcept {
    const unsigned hi = site.aux() >> 2;  // (saved holds r0-r12 and lr)
    const std::uint64_t addr = (saved[2] + saved[3]) | (hi < 13 ? std::uint64_t{saved[hi]} << 32 : 0);
    const std::size_t size = std::size_t{1} << (site.aux() & 3);
    if (site.kind() != SiteKind::pair) {
        void* p = translate(c, site.pc, addr, size, site.kind(), saved);
        if (p == nullptr) return false;
        saved[3] = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(p));
        saved[2] = 0;
        return true;
    }
    const SiteKind kind = site.pair_stores() ? SiteKind::store : SiteKind::load;
    void* first = translate(c, site.pc, addr + site.pair_first(), size, kind, saved);
    if (first == nullptr) return false;
    if (translate(c, site.target, addr + site.pair_second(), site.pair_second_size(), kind, saved) ==
        nullptr) {
        if (site.pair_stores()) {  // (a store of at most 4 bytes, little-endian)
            const unsigned r = site.pair_value_reg();
            const std::uint32_t value =
                site.pair_value_in_context() ? static_cast<std::uint32_t>(c->reg(r)) : saved[r];
            std::memcpy(first, &value, size);
        }
        return false;
    }
    saved[3] = static_cast<std::uint32_t>(addr);
    saved[2] = 0;
    return true;
}

/// A block's charge did not fit: the counter (kBudgetRegister) is the budget after subtracting
/// the block's count. The run stops at the first instruction of the block that the budget does
/// not cover; the instructions before it still run. A block may go on past forward conditional
/// jumps: its charge counts the instructions along its fall-through path, and a jump taken out
/// of it adds back those it skips. So the counter is left negative (budget minus count), the
/// cut-off remembered (pending), and the block goes on: while the counter is negative, every
/// store and atomic takes the full check (runtime::memory), which refuses those past the cut-off,
/// so memory is left as the interpreter leaves it (loads and register writes there are harmless;
/// stores at a constant frame offset are unchecked, and the stack is not visible after a failed
/// run). A jump out of the block before the cut-off makes the counter the true budget again;
/// otherwise the next charge finds it negative and stops the run. A fault before the cut-off keeps
/// its own error. A block ending in a jump may charge the jump's target block too (budget_ja),
/// whose code the jump enters past its charge: the cut-off then lies on the path through both,
/// and past_cut() orders the target's instructions after the block's (a conditional jump's
/// fall-through gives the target's count back). The stub data says which of the block's first
/// 16 instructions are lddw (two slots); later ones start a new block. Budgets above the
/// counter's cap (2^31 - 1, or kStopSlice with a stop flag, which is read at each refill) are
/// handed out in parts from Context::reserve.
inline bool budget(Context* c, const StubData& site, std::uint32_t* saved) noexcept {
    const std::uint32_t count = site.aux();
    const auto before = static_cast<std::int32_t>(saved[kBudgetRegister] + count);  // before the charge
    if (before < 0) {
        c->error = error_word(ErrorCode::budget_exhausted, c->pending - 1);
        return false;
    }
    std::uint64_t remaining = static_cast<std::uint64_t>(before) + c->reserve;
    if (remaining >= count) {  // the reserve covers it: a slice ran out, not the budget
        if (c->stop != nullptr && c->stop->load(std::memory_order_relaxed)) {
            c->error = error_word(ErrorCode::stopped, site.pc);
            return false;
        }
        const std::uint64_t cap = c->counter_cap();
        const std::uint64_t kept = remaining < cap ? remaining : cap;
        c->reserve = static_cast<std::uint32_t>(remaining - kept);
        saved[kBudgetRegister] = static_cast<std::uint32_t>(kept - count);
        return true;
    }
    c->reserve = 0;
    const std::uint32_t cut = site.cut(static_cast<std::uint32_t>(remaining));
    if (remaining == 0) {
        c->error = error_word(ErrorCode::budget_exhausted, cut);
        return false;
    }
    c->pending = cut + 1;
    c->split = site.kind() == SiteKind::budget_ja ? site.pc : 0u;
    for (unsigned k = static_cast<unsigned>(AccessKind::store) * 4; k < 12; ++k) {
        c->fast_check[k].count = 0;
        c->stack_check[k].count = 0;
        for (auto& data : c->data_check) data[k].count = 0;
    }
    saved[kBudgetRegister] = static_cast<std::uint32_t>(remaining) - count;
    return true;
}

/// The shared slow routine of JIT code calls this with r0-r12 and lr as it pushed them (`saved`,
/// which it pops afterwards). Returns true to go on, false to stop with c->error.
inline bool slow(Context* c, std::uint32_t* saved) noexcept {
    StubData site{};
    const auto* data = reinterpret_cast<const std::uint16_t*>(static_cast<std::uintptr_t>(saved[13] & ~1u));
    site.pc = data[0];
    site.info = data[1];
    if (site.size() == 8) {
        site.target = data[2];
        site.lddw = data[3];
    }
    saved[13] = static_cast<std::uint32_t>(site.resume(saved[13]));  // even offsets: Thumb bit kept
    switch (site.kind()) {
        case SiteKind::load:
        case SiteKind::store:
        case SiteKind::atomic:
        case SiteKind::pair:
            return memory(c, site, saved);
        case SiteKind::budget:
        case SiteKind::budget_ja:
        case SiteKind::budget_lddw:
            return budget(c, site, saved);
        default:
            c->error = error_word(static_cast<ErrorCode>(site.aux()), site.pc);
            return false;
    }
}

/// `call imm` (id_hi unused) or `callx` (pc_callx bit 31) at pc: the interpreter's helper call on
/// the context's registers. Returns 0 to continue, 1 when the helper ended the program normally,
/// 2 on an error.
inline std::uint32_t helper(Context* c, std::uint32_t pc_callx, std::uint32_t id_lo,
                            std::uint32_t id_hi) noexcept {
    const bool callx = (pc_callx >> 31) != 0;
    const std::uint32_t pc = pc_callx & 0xffff;
    const std::uint64_t id = callx ? id_lo | (static_cast<std::uint64_t>(id_hi) << 32) : id_lo;
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
