// SPDX-License-Identifier: MIT
// The interpreter: runs a verified program with 64-bit registers, checked memory, an
// instruction budget, helpers and local calls. Three dispatch modes (Config::dispatch) come from
// the same handlers: threaded (computed goto, where the compiler supports it), a portable switch
// loop, and compact (generic handlers decoded from the opcode table: smallest code).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <type_traits>
#include <utility>

#include "config.hpp"
#include "error.hpp"
#include "helpers.hpp"
#include "isa.hpp"
#include "memory.hpp"
#include "verifier.hpp"

namespace ubpf {

/// Everything one run needs besides the program. The caller owns every buffer.
struct Execution {
    std::span<std::uint8_t> stack;        ///< at least Config::stack_size() bytes
    std::span<const Region> regions;      ///< memory the program may use besides its stack
    std::array<std::uint64_t, 5> args{};  ///< initial r1..r5
    std::uint64_t budget = 1'000'000;     ///< instructions the run may execute
    void* user = nullptr;                 ///< handed to helpers through HelperContext::user()
    /// Set from another thread to end a long run: checked every kStopSlice instructions, at no
    /// cost in between; the run then fails with `stopped`.
    const std::atomic<bool>* stop = nullptr;
};

/// How many instructions a run with Execution::stop goes between two looks at it.
inline constexpr std::uint64_t kStopSlice = 1u << 16;

/// The result of a run that ended with `exit`.
struct Outcome {
    std::uint64_t r0 = 0;
    std::uint64_t instructions = 0;  ///< eBPF instructions executed
};

namespace detail {

template <class T>
constexpr auto as_signed(T v) noexcept {
    return static_cast<std::make_signed_t<T>>(v);
}
template <class T>
constexpr T shift_mask() noexcept {
    return static_cast<T>(sizeof(T) * 8 - 1);
}
template <class T>
constexpr T shl(T a, T b) noexcept {
    return static_cast<T>(a << (b & shift_mask<T>()));
}
template <class T>
constexpr T shr(T a, T b) noexcept {
    return static_cast<T>(a >> (b & shift_mask<T>()));
}
template <class T>
constexpr T sar(T a, T b) noexcept {
    return static_cast<T>(as_signed(a) >> (b & shift_mask<T>()));
}
// RFC 9669: x / 0 = 0, x % 0 = x; signed MIN / -1 wraps to MIN and MIN % -1 = 0.
/// True when both 64-bit operands fit 32 bits: a 32-bit CPU then divides in hardware instead
/// of calling the compiler's 64-bit division routine.
template <class T>
constexpr bool both_narrow(T a, T b) noexcept {
    return sizeof(T) == 8 && (static_cast<std::uint64_t>(a | b) >> 32) == 0;
}
/// Restoring (shift-and-subtract) division of 64-bit values, b != 0: the quotient, and the
/// remainder in `rem`. Size-optimised builds use it instead of the compiler's 64-bit division
/// routine, which is about 900 bytes of Cortex-M code; it is slower (64 rounds), and 64-bit
/// operands that fit 32 bits still take the hardware divider.
constexpr std::uint64_t divide_small(std::uint64_t a, std::uint64_t b, std::uint64_t& rem) noexcept {
    std::uint64_t r = 0;
    for (int i = 0; i < 64; ++i) {
        const bool carry = (r >> 63) != 0;  // 2r overflows: then it is certainly >= b
        r = (r << 1) | (a >> 63);
        a <<= 1;  // a's low bits collect the quotient as its dividend bits move into r
        if (carry || r >= b) {
            r -= b;
            a |= 1;
        }
    }
    rem = r;
    return a;
}
/// a / b (or a % b with `mod`) of unsigned T, b != 0; `small` picks divide_small for 64-bit T.
template <bool kSmall, class T>
constexpr T udivmod(T a, T b, bool mod) noexcept {
    if (both_narrow(a, b)) {
        const auto x = static_cast<std::uint32_t>(a), y = static_cast<std::uint32_t>(b);
        return mod ? x % y : x / y;
    }
    if constexpr (kSmall && sizeof(T) == 8) {
        std::uint64_t rem = 0;
        const std::uint64_t q = divide_small(a, b, rem);
        return mod ? rem : q;
    } else {
        return static_cast<T>(mod ? a % b : a / b);
    }
}
template <bool kSmall, class T>
constexpr T udiv(T a, T b) noexcept {
    if (b == 0) return 0;
    return udivmod<kSmall>(a, b, false);
}
template <bool kSmall, class T>
constexpr T umod(T a, T b) noexcept {
    if (b == 0) return a;
    return udivmod<kSmall>(a, b, true);
}
/// Signed division through the unsigned one on magnitudes (truncating toward zero; the
/// remainder takes the dividend's sign), so size-optimised builds need no signed routine.
template <bool kSmall, class T>
constexpr T sdivmod(T a, T b, bool mod) noexcept {
    if constexpr (kSmall && sizeof(T) == 8) {
        const bool a_negative = as_signed(a) < 0, b_negative = as_signed(b) < 0;
        const T q = udivmod<kSmall>(a_negative ? T{0} - a : a, b_negative ? T{0} - b : b, mod);
        return static_cast<T>((mod ? a_negative : a_negative != b_negative) ? T{0} - q : q);
    } else {
        return static_cast<T>(mod ? as_signed(a) % as_signed(b) : as_signed(a) / as_signed(b));
    }
}
template <bool kSmall, class T>
constexpr T sdiv(T a, T b) noexcept {
    if (b == 0) return 0;
    if (as_signed(b) == -1) return static_cast<T>(T{0} - a);
    return sdivmod<kSmall>(a, b, false);
}
template <bool kSmall, class T>
constexpr T smod(T a, T b) noexcept {
    if (b == 0) return a;
    if (as_signed(b) == -1) return 0;
    return sdivmod<kSmall>(a, b, true);
}
/// The result of ALU operation `op` on operands of its width (T = uint32_t or uint64_t): the one
/// definition every dispatch mode uses. kSmall: divide 64-bit values with divide_small.
template <class T, bool kSmall = false>
constexpr T alu(isa::Op op, T a, T b) noexcept {
    using isa::Op;
    switch (op) {
        case Op::add:
            return static_cast<T>(a + b);
        case Op::sub:
            return static_cast<T>(a - b);
        case Op::mul:
            return static_cast<T>(a * b);
        case Op::div:
            return udiv<kSmall>(a, b);
        case Op::sdiv:
            return sdiv<kSmall>(a, b);
        case Op::or_:
            return a | b;
        case Op::and_:
            return a & b;
        case Op::lsh:
            return shl(a, b);
        case Op::rsh:
            return shr(a, b);
        case Op::neg:
            return static_cast<T>(T{0} - a);
        case Op::mod:
            return umod<kSmall>(a, b);
        case Op::smod:
            return smod<kSmall>(a, b);
        case Op::xor_:
            return a ^ b;
        case Op::mov:
            return b;
        case Op::arsh:
            return sar(a, b);
        default:
            return a;
    }
}
/// Whether conditional jump `op` is taken for operands of its width.
template <class T>
constexpr bool holds(isa::Op op, T a, T b) noexcept {
    using isa::Op;
    switch (op) {
        case Op::jeq:
            return a == b;
        case Op::jgt:
            return a > b;
        case Op::jge:
            return a >= b;
        case Op::jset:
            return (a & b) != 0;
        case Op::jne:
            return a != b;
        case Op::jsgt:
            return as_signed(a) > as_signed(b);
        case Op::jsge:
            return as_signed(a) >= as_signed(b);
        case Op::jlt:
            return a < b;
        case Op::jle:
            return a <= b;
        case Op::jslt:
            return as_signed(a) < as_signed(b);
        case Op::jsle:
            return as_signed(a) <= as_signed(b);
        default:
            return false;
    }
}
/// The set of operations `ops` as a bit mask (all of them are below 32), so that the compact
/// interpreter tests membership with one shift instead of a chain of compares.
constexpr std::uint32_t op_mask(std::initializer_list<isa::Op> ops) noexcept {
    std::uint32_t mask = 0;
    for (isa::Op op : ops) mask |= std::uint32_t{1} << static_cast<unsigned>(op);
    return mask;
}
constexpr bool in_mask(isa::Op op, std::uint32_t mask) noexcept {
    return static_cast<unsigned>(op) < 32 && ((mask >> static_cast<unsigned>(op)) & 1u) != 0;
}
/// True for the operations that treat their operands as signed.
constexpr bool is_signed(isa::Op op) noexcept {
    using isa::Op;
    static_assert(static_cast<unsigned>(Op::jsle) < 32);
    return in_mask(op, op_mask({Op::sdiv, Op::smod, Op::arsh, Op::jsgt, Op::jsge, Op::jslt, Op::jsle}));
}
/// True for the shifts, whose count a 32-bit operation masks to 5 bits.
constexpr bool is_shift(isa::Op op) noexcept {
    using isa::Op;
    return in_mask(op, op_mask({Op::lsh, Op::rsh, Op::arsh}));
}
/// Sign-extends the low `bits` bits (8, 16 or 32) of v to 64 bits. Casts, not a variable 64-bit
/// shift: a 32-bit CPU does them in one instruction.
constexpr std::uint64_t sign_extend(std::uint64_t v, unsigned bits) noexcept {
    if (bits == 8) return static_cast<std::uint64_t>(static_cast<std::int8_t>(v));
    if (bits == 16) return static_cast<std::uint64_t>(static_cast<std::int16_t>(v));
    return static_cast<std::uint64_t>(static_cast<std::int32_t>(v));
}
/// The low `width` bits of v (16, 32 or 64) with their bytes reversed.
constexpr std::uint64_t byte_swap(std::uint64_t v, unsigned width) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    if (width == 16) return __builtin_bswap16(static_cast<std::uint16_t>(v));
    if (width == 32) return __builtin_bswap32(static_cast<std::uint32_t>(v));
    return __builtin_bswap64(v);
#else
    std::uint64_t out = 0;
    for (unsigned i = 0; i < width / 8; ++i) out = (out << 8) | ((v >> (8 * i)) & 0xff);
    return out;
#endif
}
/// The low `width` bits (16, 32 or 64) of v.
constexpr std::uint64_t truncate(std::uint64_t v, unsigned width) noexcept {
    if (width == 16) return static_cast<std::uint16_t>(v);
    if (width == 32) return static_cast<std::uint32_t>(v);
    return v;
}
/// The read-modify-write of an atomic instruction (selected by imm) on T at p.
template <class T>
inline void atomic_update(void* p, std::int32_t op, std::uint64_t& src, std::uint64_t& r0) noexcept {
    using isa::Id;
    constexpr auto imm = [](Id id) { return isa::info(id).select_value; };
    const T old = load_le<T>(p);
    const T value = static_cast<T>(src);
    switch (op) {
        case imm(Id::atomic_add64):
        case imm(Id::atomic_fetch_add64):
            store_le<T>(p, static_cast<T>(old + value));
            break;
        case imm(Id::atomic_or64):
        case imm(Id::atomic_fetch_or64):
            store_le<T>(p, static_cast<T>(old | value));
            break;
        case imm(Id::atomic_and64):
        case imm(Id::atomic_fetch_and64):
            store_le<T>(p, static_cast<T>(old & value));
            break;
        case imm(Id::atomic_xor64):
        case imm(Id::atomic_fetch_xor64):
            store_le<T>(p, static_cast<T>(old ^ value));
            break;
        case imm(Id::atomic_xchg64):
            store_le<T>(p, value);
            break;
        case imm(Id::atomic_cmpxchg64):
            if (old == static_cast<T>(r0)) store_le<T>(p, value);
            r0 = old;  // cmpxchg returns the old value in r0, not in src
            return;
        default:
            return;
    }
    if (op & isa::kAtomicFetch) src = old;  // fetch variants and xchg return the old value in src
}

/// The one way both engines call a helper (the interpreter and JIT code through its runtime):
/// look-up, the run-time allow-list check of callx (the verifier proved it for `call imm`), the
/// pointer-argument checks, the call. r1..r5 are reg[1..5]; the result goes to reg[0]. Returns
/// the error that stops the program; with none the caller still checks ctx.outcome() for an exit.
inline ErrorCode call_helper(std::span<const Helper> helpers, const HelperPolicy& policy, std::uint64_t id,
                             bool callx, std::uint64_t* reg, const MemoryMap& memory,
                             HelperContext& ctx) noexcept {
    const Helper* helper = find_helper(helpers, id);
    if (helper == nullptr) return ErrorCode::unknown_helper;
    if (callx && !policy.allows(id)) return ErrorCode::helper_not_allowed;
    if (!arguments_valid(*helper, reg + 1, memory)) return ErrorCode::helper_bad_pointer;
    reg[0] = helper->fn(reg[1], reg[2], reg[3], reg[4], reg[5], ctx);
    if (ctx.outcome() == HelperContext::Outcome::fail) return ctx.error();
    return ErrorCode::none;
}

}  // namespace detail

/// Runs programs verified under configuration C.
template <Config C = Config{}>
class Interpreter {
public:
    static constexpr bool kThreaded = UBPF_HAS_COMPUTED_GOTO && C.dispatch == Dispatch::threaded;
    static constexpr bool kCompact = C.dispatch == Dispatch::compact;

    /// Runs `program` from its entry to `exit`, or to the first error (with its pc).
    [[nodiscard]] static Result<Outcome> run(const VerifiedProgram<C>& program,
                                             const Execution& exec) noexcept {
        return execute(program, exec, std::make_index_sequence<256>{});
    }

private:
    // Opcodes is 0..255: the threaded label table is built with one entry per opcode byte.
    template <std::size_t... Opcodes>
    static Result<Outcome> execute(const VerifiedProgram<C>& program, const Execution& exec,
                                   std::index_sequence<Opcodes...>) noexcept;
};

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"
#pragma GCC diagnostic ignored "-Wpedantic"  // computed goto is a GNU extension
#endif

namespace detail {

/// What every engine checks about an Execution before running: none, or the error the run
/// fails with.
template <Config C>
[[nodiscard]] constexpr Error check_execution(const Execution& exec) noexcept {
    if (exec.stack.size() < C.stack_size()) return Error{ErrorCode::stack_too_small, 0};
    for (const Region& r : exec.regions)
        if (!r.well_formed()) return Error{ErrorCode::invalid_region, 0};
    return {};
}

/// The memory a run of `program` may touch: its stack, the caller's regions and its own.
template <Config C>
[[nodiscard]] inline MemoryMap memory_of(const VerifiedProgram<C>& program, const Execution& exec) noexcept {
    return MemoryMap{Region::of(exec.stack.data(), C.stack_size(), Access::read_write), exec.regions,
                     program.regions};
}

}  // namespace detail

template <Config C>
template <std::size_t... Opcodes>
Result<Outcome> Interpreter<C>::execute(const VerifiedProgram<C>& program, const Execution& exec,
                                        std::index_sequence<Opcodes...>) noexcept {
    using isa::Id;
    if (const Error e = detail::check_execution<C>(exec); e.code != ErrorCode::none) return e;
    const MemoryMap memory = detail::memory_of(program, exec);
    HelperContext helper_context{memory, exec.user};

    const Insn* const code = program.code.data();
    const Insn* pc = code + program.entry;
    std::uint64_t reg[isa::kRegisterCount] = {};
    for (std::size_t i = 0; i < exec.args.size(); ++i) reg[1 + i] = exec.args[i];
    reg[isa::kFramePointer] = reinterpret_cast<std::uintptr_t>(exec.stack.data()) + C.stack_size();

    struct Frame {
        const Insn* return_to;
        std::uint64_t saved[4];  // r6..r9
    };
    // Not cleared (a cost on every run): a record is read only at a depth a call has written.
    // GCC 12 at -O2 cannot see that and warns (-Wmaybe-uninitialized) where exit reads it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
    Frame frames[C.max_call_depth > 1 ? C.max_call_depth - 1 : 1];  // main needs no frame record
    std::size_t depth = 0;
    std::uint64_t helper_id = 0;

    // A pointer-sized counter (one register on a 32-bit MCU; budgets are capped at its range),
    // started one above the budget so that charging is "decrement, branch if zero".
    constexpr auto kMaxBudget = static_cast<std::uint64_t>(UINTPTR_MAX - 1);
    const auto budget = static_cast<std::uintptr_t>(exec.budget < kMaxBudget ? exec.budget : kMaxBudget);
    // With a stop flag the budget is spent in slices; the flag is read when a slice runs out.
    std::uintptr_t slice =
        exec.stop != nullptr && budget > kStopSlice ? static_cast<std::uintptr_t>(kStopSlice) : budget;
    std::uintptr_t unsliced = budget - slice;  // budget beyond the current slice
    std::uint64_t sliced = 0;                  // instructions of the slices already spent
    std::uintptr_t remaining = slice + 1;
    const auto executed = [&] { return sliced + (slice + 1 - remaining); };
#define UBPF_CHARGE() \
    if (UBPF_UNLIKELY(--remaining == 0)) goto budget_exhausted
    const auto at = [&] { return static_cast<std::uint32_t>(pc - code); };
    const auto imm64 = [&] { return static_cast<std::uint64_t>(static_cast<std::int64_t>(pc->imm)); };
    const auto address = [&](unsigned r) {
        return reg[r] + static_cast<std::uint64_t>(static_cast<std::int64_t>(pc->off));
    };

#if UBPF_HAS_COMPUTED_GOTO
    const void* const* labels = nullptr;  // only the threaded mode has (and links) a label table
    if constexpr (kThreaded) {
        // Indexed by the opcode byte itself, so dispatch is one load from one table (no
        // opcode -> row step). Each entry is the handler of the opcode's first row; opcodes the
        // verifier rejects go to L_invalid.
        // clang-format off
        static constexpr const void* by_row[] = {
#define UBPF_LABEL(name, ...) &&L_##name,
            UBPF_ISA_TABLE(UBPF_LABEL)
#undef UBPF_LABEL
            &&L_invalid};
        // clang-format on
        static_assert(sizeof by_row / sizeof by_row[0] == isa::kOpCount + 1);
        static const void* const table[] = {by_row[static_cast<std::size_t>(isa::kFirstRow[Opcodes])]...};
        static_assert(sizeof table / sizeof table[0] == 256);
        labels = table;
    }
#define UBPF_THREADED_DISPATCH() goto* labels[pc->opcode]
#else
#define UBPF_THREADED_DISPATCH() goto dispatch
#endif

// Fetches the instruction at pc, charging it to the budget, and runs its handler.
#define UBPF_DISPATCH()                  \
    do {                                 \
        if constexpr (kThreaded) {       \
            UBPF_CHARGE();               \
            UBPF_THREADED_DISPATCH();    \
        } else if constexpr (kCompact) { \
            goto compact;                \
        } else {                         \
            goto dispatch;               \
        }                                \
    } while (0)
// Threaded: charge before stepping. GCC then shares one budget exit among the handlers instead
// of keeping the old and the new pc apart for each (one M4 instruction less per instruction).
#define UBPF_NEXT()                                                             \
    do {                                                                        \
        if constexpr (kThreaded) {                                              \
            if (UBPF_UNLIKELY(--remaining == 0)) goto budget_exhausted_at_next; \
            ++pc;                                                               \
            UBPF_THREADED_DISPATCH();                                           \
        } else {                                                                \
            ++pc;                                                               \
            UBPF_DISPATCH();                                                    \
        }                                                                       \
    } while (0)
#define UBPF_JUMP(offset)   \
    do {                    \
        pc += 1 + (offset); \
        UBPF_DISPATCH();    \
    } while (0)
#define UBPF_OP(name) \
    case Id::name:    \
        L_##name:
#define UBPF_DST reg[pc->dst()]
#define UBPF_SRC reg[pc->src()]

// An ALU operation in its four forms, computed by detail::alu at the operation's width.
#define UBPF_ALU(name) UBPF_ALU_EXPR(name, detail::alu(isa::Op::name, a, b))
#define UBPF_ALU_EXPR(name, expr)                            \
    UBPF_OP(name##64_imm) {                                  \
        const std::uint64_t a = UBPF_DST, b = imm64();       \
        UBPF_DST = (expr);                                   \
        UBPF_NEXT();                                         \
    }                                                        \
    UBPF_OP(name##64_reg) {                                  \
        const std::uint64_t a = UBPF_DST, b = UBPF_SRC;      \
        UBPF_DST = (expr);                                   \
        UBPF_NEXT();                                         \
    }                                                        \
    UBPF_OP(name##32_imm) {                                  \
        const auto a = static_cast<std::uint32_t>(UBPF_DST); \
        const auto b = static_cast<std::uint32_t>(pc->imm);  \
        UBPF_DST = static_cast<std::uint32_t>(expr);         \
        UBPF_NEXT();                                         \
    }                                                        \
    UBPF_OP(name##32_reg) {                                  \
        const auto a = static_cast<std::uint32_t>(UBPF_DST); \
        const auto b = static_cast<std::uint32_t>(UBPF_SRC); \
        UBPF_DST = static_cast<std::uint32_t>(expr);         \
        UBPF_NEXT();                                         \
    }
// Unsigned and signed division share opcodes; the offset field (0 or 1) picks one.
#define UBPF_DIVMOD(name, sname)                                                         \
    UBPF_ALU_DIV_FORM(name##64_imm, sname##64_imm, std::uint64_t, imm64(), name, sname)  \
    UBPF_ALU_DIV_FORM(name##64_reg, sname##64_reg, std::uint64_t, UBPF_SRC, name, sname) \
    UBPF_ALU_DIV_FORM(name##32_imm, sname##32_imm, std::uint32_t, pc->imm, name, sname)  \
    UBPF_ALU_DIV_FORM(name##32_reg, sname##32_reg, std::uint32_t, UBPF_SRC, name, sname)
#define UBPF_ALU_DIV_FORM(id, sid, T, bv, op, sop)                               \
    UBPF_OP(id) UBPF_OP(sid) {                                                   \
        const auto a = static_cast<T>(UBPF_DST), b = static_cast<T>(bv);         \
        UBPF_DST = detail::alu(pc->off != 0 ? isa::Op::sop : isa::Op::op, a, b); \
        UBPF_NEXT();                                                             \
    }
#define UBPF_JMP(name) UBPF_JMP_EXPR(name, detail::holds(isa::Op::name, a, b))
#define UBPF_JMP_EXPR(name, expr)                             \
    UBPF_JMP_FORM(name##_imm, std::uint64_t, imm64(), expr)   \
    UBPF_JMP_FORM(name##_reg, std::uint64_t, UBPF_SRC, expr)  \
    UBPF_JMP_FORM(name##32_imm, std::uint32_t, pc->imm, expr) \
    UBPF_JMP_FORM(name##32_reg, std::uint32_t, UBPF_SRC, expr)
#define UBPF_JMP_FORM(name, T, bv, expr)                                 \
    UBPF_OP(name) {                                                      \
        const auto a = static_cast<T>(UBPF_DST), b = static_cast<T>(bv); \
        if (expr) UBPF_JUMP(pc->off);                                    \
        UBPF_NEXT();                                                     \
    }
// Loads zero-extend unsigned T and sign-extend signed T.
#define UBPF_LOAD(name, T)                                                               \
    UBPF_OP(name) {                                                                      \
        const void* p = memory.translate(address(pc->src()), sizeof(T), Access::read);   \
        if (UBPF_UNLIKELY(p == nullptr)) goto load_fault;                                \
        UBPF_DST = static_cast<std::uint64_t>(static_cast<std::int64_t>(load_le<T>(p))); \
        UBPF_NEXT();                                                                     \
    }
#define UBPF_STORE(name, T, value)                                                \
    UBPF_OP(name) {                                                               \
        void* p = memory.translate(address(pc->dst()), sizeof(T), Access::write); \
        if (UBPF_UNLIKELY(p == nullptr)) goto store_fault;                        \
        store_le<T>(p, static_cast<T>(value));                                    \
        UBPF_NEXT();                                                              \
    }
// clang-format off
#define UBPF_ATOMIC(sfx, T)                                                                    \
    UBPF_OP(atomic_add##sfx) UBPF_OP(atomic_or##sfx) UBPF_OP(atomic_and##sfx)                  \
    UBPF_OP(atomic_xor##sfx) UBPF_OP(atomic_fetch_add##sfx) UBPF_OP(atomic_fetch_or##sfx)      \
    UBPF_OP(atomic_fetch_and##sfx) UBPF_OP(atomic_fetch_xor##sfx) UBPF_OP(atomic_xchg##sfx)    \
    UBPF_OP(atomic_cmpxchg##sfx) {                                                             \
        void* p = memory.translate(address(pc->dst()), sizeof(T), Access::read_write);         \
        if (UBPF_UNLIKELY(p == nullptr)) goto store_fault;                                     \
        detail::atomic_update<T>(p, pc->imm, UBPF_SRC, reg[0]);                                \
        UBPF_NEXT();                                                                           \
    }

    // clang-format on

    if constexpr (kThreaded) UBPF_DISPATCH();

    // Compact mode: ALU, jumps, loads and stores are decoded from the table row at run time by
    // one generic handler each (small code, for -Os builds); the rest reuse the handlers below.
    // A plain `if`: C++ forbids jumping into an `if constexpr` from the handlers.
    if (kCompact) {
    compact:
        UBPF_CHARGE();
        {
            const isa::OpInfo& row = isa::info(isa::decode(*pc));
            const bool wide = row.width == 64;
            const bool from_register = row.form == isa::Form::dst_src || row.form == isa::Form::cond_src;
            const std::uint64_t b = from_register ? UBPF_SRC : imm64();
            switch (row.op) {
                case isa::Op::movsx:
                    UBPF_DST = detail::sign_extend(UBPF_SRC, static_cast<unsigned>(pc->off));
                    if (!wide) UBPF_DST = static_cast<std::uint32_t>(UBPF_DST);
                    break;
                case isa::Op::le:
                    UBPF_DST = detail::truncate(UBPF_DST, static_cast<unsigned>(pc->imm));
                    break;
                case isa::Op::be:
                case isa::Op::bswap:
                    UBPF_DST = detail::byte_swap(UBPF_DST, static_cast<unsigned>(pc->imm));
                    break;
                case isa::Op::ja:
                    UBPF_JUMP(row.form == isa::Form::jump_long ? pc->imm : pc->off);
                case isa::Op::ldx:
                case isa::Op::ldxs: {
                    const void* p = memory.translate(address(pc->src()), row.width / 8u, Access::read);
                    if (UBPF_UNLIKELY(p == nullptr)) goto load_fault;
                    std::uint64_t value = 0;
                    std::memcpy(&value, p, row.width / 8u);  // little-endian host
                    UBPF_DST = row.op == isa::Op::ldxs ? detail::sign_extend(value, row.width) : value;
                    break;
                }
                case isa::Op::st:
                case isa::Op::stx: {
                    void* p = memory.translate(address(pc->dst()), row.width / 8u, Access::write);
                    if (UBPF_UNLIKELY(p == nullptr)) goto store_fault;
                    const std::uint64_t value = row.op == isa::Op::st ? imm64() : UBPF_SRC;
                    std::memcpy(p, &value, row.width / 8u);  // little-endian host
                    break;
                }
                case isa::Op::call:
                case isa::Op::call_local:
                    goto L_call;
                case isa::Op::callx:
                    goto L_callx;
                case isa::Op::exit:
                    goto L_exit;
                case isa::Op::lddw:
                    goto L_lddw;
                default:
                    if (isa::is_atomic(row.op)) {
                        if (wide) goto L_atomic_add64;
                        goto L_atomic_add32;
                    }
                    {
                        // 32-bit operations run at 64 bits on operands extended from 32 (signed
                        // ones sign-extended, shift counts masked to 31) with the result's low
                        // half kept: the same result, and one copy of alu/holds less in flash.
                        std::uint64_t x = UBPF_DST, y = b;
                        if (!wide) {
                            const bool sign = detail::is_signed(row.op);
                            x = sign ? detail::sign_extend(x, 32) : static_cast<std::uint32_t>(x);
                            y = sign ? detail::sign_extend(y, 32) : static_cast<std::uint32_t>(y);
                            if (detail::is_shift(row.op)) y &= 31;
                        }
                        if (isa::is_alu(row.op)) {
                            const std::uint64_t r = detail::alu<std::uint64_t, true>(row.op, x, y);
                            UBPF_DST = wide ? r : static_cast<std::uint32_t>(r);
                        } else if (detail::holds(row.op, x, y)) {
                            UBPF_JUMP(pc->off);
                        }
                    }
                    break;
            }
        }
        UBPF_NEXT();
    }

dispatch:
    UBPF_CHARGE();
    switch (isa::kFirstRow[pc->opcode]) {
        UBPF_ALU(add)
        UBPF_ALU(sub)
        UBPF_ALU(mul)
        UBPF_DIVMOD(div, sdiv)
        UBPF_ALU(or_)
        UBPF_ALU(and_)
        UBPF_ALU(lsh)
        UBPF_ALU(rsh)
        UBPF_OP(neg64) {
            UBPF_DST = detail::alu(isa::Op::neg, UBPF_DST, std::uint64_t{0});
            UBPF_NEXT();
        }
        UBPF_OP(neg32) {
            UBPF_DST = detail::alu(isa::Op::neg, static_cast<std::uint32_t>(UBPF_DST), std::uint32_t{0});
            UBPF_NEXT();
        }
        UBPF_DIVMOD(mod, smod)
        UBPF_ALU(xor_)
        UBPF_OP(mov64_imm) {
            UBPF_DST = imm64();
            UBPF_NEXT();
        }
        // mov and movsx share opcodes; the offset is the source width to sign-extend (0: none).
        UBPF_OP(mov64_reg) UBPF_OP(movsx864) UBPF_OP(movsx1664) UBPF_OP(movsx3264) {
            UBPF_DST =
                pc->off != 0 ? detail::sign_extend(UBPF_SRC, static_cast<unsigned>(pc->off)) : UBPF_SRC;
            UBPF_NEXT();
        }
        UBPF_OP(mov32_imm) {
            UBPF_DST = static_cast<std::uint32_t>(pc->imm);
            UBPF_NEXT();
        }
        UBPF_OP(mov32_reg) UBPF_OP(movsx832) UBPF_OP(movsx1632) {
            UBPF_DST = static_cast<std::uint32_t>(
                pc->off != 0 ? detail::sign_extend(UBPF_SRC, static_cast<unsigned>(pc->off)) : UBPF_SRC);
            UBPF_NEXT();
        }
        UBPF_ALU(arsh)
        // On a little-endian host "to little endian" only truncates to the width.
        UBPF_OP(le16) UBPF_OP(le32) UBPF_OP(le64) {
            UBPF_DST = detail::truncate(UBPF_DST, static_cast<unsigned>(pc->imm));
            UBPF_NEXT();
        }
        UBPF_OP(be16) UBPF_OP(be32) UBPF_OP(be64) UBPF_OP(bswap16) UBPF_OP(bswap32) UBPF_OP(bswap64) {
            UBPF_DST = detail::byte_swap(UBPF_DST, static_cast<unsigned>(pc->imm));
            UBPF_NEXT();
        }
        UBPF_OP(ja) {
            UBPF_JUMP(pc->off);
        }
        UBPF_OP(ja32) {
            UBPF_JUMP(pc->imm);
        }
        UBPF_JMP(jeq)
        UBPF_JMP(jgt)
        UBPF_JMP(jge)
        UBPF_JMP(jset)
        UBPF_JMP(jne)
        UBPF_JMP(jsgt)
        UBPF_JMP(jsge)
        UBPF_JMP(jlt)
        UBPF_JMP(jle)
        UBPF_JMP(jslt)
        UBPF_JMP(jsle)
        UBPF_OP(call) UBPF_OP(call_local) {
            if (pc->src() == 0) {
                helper_id = static_cast<std::uint32_t>(pc->imm);
                goto call_helper;
            }
            if (UBPF_UNLIKELY(depth + 1 >= C.max_call_depth)) goto call_depth_exceeded;
            frames[depth] = Frame{pc + 1, {reg[6], reg[7], reg[8], reg[9]}};
            ++depth;
            reg[isa::kFramePointer] -= C.stack_frame_size;
            UBPF_JUMP(pc->imm);
        }
        UBPF_OP(callx) {
            helper_id = UBPF_DST;
            goto call_helper;
        }
        UBPF_OP(exit) {
            if (depth == 0) return Outcome{reg[0], executed()};
            --depth;
            reg[6] = frames[depth].saved[0];
            reg[7] = frames[depth].saved[1];
            reg[8] = frames[depth].saved[2];
            reg[9] = frames[depth].saved[3];
            reg[isa::kFramePointer] += C.stack_frame_size;
            pc = frames[depth].return_to;
            UBPF_DISPATCH();
        }
        UBPF_OP(lddw) {
            UBPF_DST = static_cast<std::uint32_t>(pc->imm) |
                       (static_cast<std::uint64_t>(static_cast<std::uint32_t>(pc[1].imm)) << 32);
            pc += 2;
            UBPF_DISPATCH();
        }
        UBPF_LOAD(ldxw, std::uint32_t)
        UBPF_LOAD(ldxh, std::uint16_t)
        UBPF_LOAD(ldxb, std::uint8_t)
        UBPF_LOAD(ldxdw, std::uint64_t)
        UBPF_LOAD(ldxsw, std::int32_t)
        UBPF_LOAD(ldxsh, std::int16_t)
        UBPF_LOAD(ldxsb, std::int8_t)
        UBPF_STORE(stw, std::uint32_t, pc->imm)
        UBPF_STORE(sth, std::uint16_t, pc->imm)
        UBPF_STORE(stb, std::uint8_t, pc->imm)
        UBPF_STORE(stdw, std::uint64_t, imm64())
        UBPF_STORE(stxw, std::uint32_t, UBPF_SRC)
        UBPF_STORE(stxh, std::uint16_t, UBPF_SRC)
        UBPF_STORE(stxb, std::uint8_t, UBPF_SRC)
        UBPF_STORE(stxdw, std::uint64_t, UBPF_SRC)
        UBPF_ATOMIC(32, std::uint32_t)
        UBPF_ATOMIC(64, std::uint64_t)
        case Id::invalid:
        L_invalid:
            break;  // unreachable: the verifier rejected unknown opcodes
    }
    return Error{ErrorCode::unknown_opcode, at()};

call_helper : {
    const ErrorCode why =
        detail::call_helper(program.helpers, program.policy, helper_id,
                            pc->opcode == isa::info(isa::Id::callx).opcode, reg, memory, helper_context);
    if (UBPF_UNLIKELY(why != ErrorCode::none)) return Error{why, at()};
    if (UBPF_UNLIKELY(helper_context.outcome() == HelperContext::Outcome::exit_program))
        return Outcome{reg[0], executed()};
    UBPF_NEXT();
}
load_fault:
    return Error{ErrorCode::out_of_bounds_load, at()};
store_fault : {
    const std::size_t size = isa::info(isa::kFirstRow[pc->opcode]).width / 8;
    const bool readable = memory.translate(address(pc->dst()), size, Access::read) != nullptr;
    return Error{readable ? ErrorCode::store_to_readonly : ErrorCode::out_of_bounds_store, at()};
}
call_depth_exceeded:
    return Error{ErrorCode::call_depth_exceeded, at()};
budget_exhausted_at_next:
    ++pc;
budget_exhausted:
    if (unsliced != 0) {  // a slice ran out, not the budget: look at the stop flag
        if (exec.stop->load(std::memory_order_relaxed)) return Error{ErrorCode::stopped, at()};
        sliced += slice;
        slice = unsliced > kStopSlice ? static_cast<std::uintptr_t>(kStopSlice) : unsliced;
        unsliced -= slice;
        remaining = slice + 1;
        UBPF_DISPATCH();  // charges the instruction at pc to the new slice
    }
    return Error{ErrorCode::budget_exhausted, at()};

#undef UBPF_THREADED_DISPATCH
#undef UBPF_CHARGE
#undef UBPF_DISPATCH
#undef UBPF_NEXT
#undef UBPF_JUMP
#undef UBPF_OP
#undef UBPF_DST
#undef UBPF_SRC
#undef UBPF_ALU
#undef UBPF_ALU_EXPR
#undef UBPF_DIVMOD
#undef UBPF_ALU_DIV_FORM
#undef UBPF_JMP
#undef UBPF_JMP_EXPR
#undef UBPF_JMP_FORM
#undef UBPF_LOAD
#undef UBPF_STORE
#undef UBPF_ATOMIC
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop  // -Wmaybe-uninitialized (frames)
#endif
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

}  // namespace ubpf
