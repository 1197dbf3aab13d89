// SPDX-License-Identifier: MIT
// The eBPF -> ARMv7E-M Thumb-2 JIT: translates a verified program into a caller-provided buffer,
// with the interpreter's exact semantics (64-bit registers as register pairs, checked memory,
// the instruction budget charged per basic block, helpers and local calls). No heap, no
// exceptions; the bytes depend only on the program, so the host (as a cross-compiler) and the
// device emit the same code.
//
// Layout of the output:   [shared routines][entry][function bodies and slow-path stubs]
// Registers while JIT code runs:
//   r4, r5, r8-r11  the six most used eBPF register halves (callee-saved, so helpers keep them;
//           the heaviest in r4 and r5, where 16-bit encodings reach them)
//   ip      a seventh half in programs without calls (the slow routine keeps it)
//   r7      the context block (context.hpp): the other halves, budget, runtime pointers (a low
//           register, so that most of its loads and stores have 16-bit encodings)
//   r6      the budget counter: instructions still allowed (low, so that a charge is 16-bit)
//   r0-r3, lr  scratch
// One pass over the program after a short analysis (block leaders, fused groups, upper-half
// liveness, register choice). A forward branch waits in a chain threaded through the branches
// themselves until its target is emitted. Slow paths (an access outside the inline-checked
// region, a block the budget does not cover, call depth) branch to a stub placed after the next
// unconditional jump (or in an island jumped over, while the 16-bit branch still reaches it):
// `BL slow`, then what the runtime needs to know (pc, access kind, count, where to resume:
// context.hpp's StubData). While compiling, the end of the buffer holds a
// table of 12 bytes per eBPF instruction and, below it, the stubs still to be placed.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include "../config.hpp"
#include "../error.hpp"
#include "../isa.hpp"
#include "../verifier.hpp"
#include "context.hpp"
#include "thumb2.hpp"

namespace ubpf::jit {

/// Choices for one compilation.
struct Options {
    /// A debugging aid for the JIT itself: before every instruction, the upper halves that the
    /// liveness analysis found dead there are overwritten with a value made from the pc, so
    /// that a wrong analysis gives wrong results instead of lucky right ones. Slower, larger code.
    bool poison_dead_upper_halves = false;
    /// Loops whose loads step through memory (`for (p = buf; p != end; ++p) ... *p`, with a
    /// count down or up, or `a[i]`) get a second copy without those loads' checks, which runs
    /// when one check before the loop finds all that the loop can read inside one region;
    /// otherwise the loop runs as usual. Faster loops for more code (short loops only: see
    /// Compiler::kMaxHoistedLength). Ignored where Config::jit_loop_versioning leaves the
    /// feature out of the JIT.
    bool version_loops = false;
    /// Innermost loops choose which eBPF register halves they keep in ARM registers by their
    /// own use, rather than sharing the whole program's choice: a few loads and stores move
    /// the halves whose place changes where the loop is entered and where it is left. Loops
    /// entered at more than one instruction, or that call local functions, keep the program's
    /// choice. A loop that version_loops compiles twice runs both copies with its own choice
    /// (moved in before its range check).
    bool loop_registers = true;
    /// Constant blinding, against JIT spraying: no 32-bit value that the program chose (the
    /// immediates of ALU, jump, store and lddw instructions) appears as it is in the code.
    /// Each is loaded XORed with a key (MOVW/MOVT) and XORed back with the key (MOVW/MOVT, EOR),
    /// a new key for each constant, drawn from blinding_seed. Left as they are: values from
    /// -256 to 255 (at most 8 bits of one halfword), shift amounts and byte-swap widths, memory
    /// offsets (16 bits, as Linux leaves them), helper IDs (the verifier admits only registered
    /// ones) and loop versioning of a loop whose bound, base or step is such a constant. Slower,
    /// larger code: see docs/benchmarks.md.
    bool blind_constants = false;
    /// The keys' seed: a fresh random value for each compilation (the device's RNG), so that
    /// the code of a program cannot be predicted. The same seed gives the same code.
    std::uint32_t blinding_seed = 0;
};

/// JIT code runs only with memory below this address (jit::run() refuses other regions:
/// jit_region_too_high). So a base register that passed an access's check with an offset of
/// 0 or below points at most 32 KiB past a region: below 2^32 - 1, with an upper half of 0,
/// which the analysis uses. On Cortex-M only system and vendor space lies above 0xe0000000.
inline constexpr std::uint64_t kRegionCeiling = 0xffff0000u;

/// Where the code of a compiled program is in the buffer.
struct Compiled {
    std::uint32_t size = 0;   ///< bytes of code from the start of the buffer
    std::uint32_t entry = 0;  ///< offset of `int entry(Context*)`; call buffer + entry + 1 (Thumb)
    std::uint32_t slow = 0;   ///< offset of the shared slow-path routine (each BL to it is followed
                              ///< by a StubData, which disassemblers should show as data)
    /// The entries of the context's inline-check tables that the code reads (run() fills in
    /// those only): bit kind * 4 + log2(size) of region r's table (CheckRegion) in checks[r / 2],
    /// 16 bits up for odd r.
    std::uint32_t checks[2] = {};
};

template <Config C = Config{}>
class Compiler {
public:
    static_assert(C.max_instructions <= 0xffff, "JIT code passes instruction indices as 16 bits");
    static_assert(C.stack_frame_size <= 4095, "frame offsets use 12-bit immediates");

    /// Bytes of `out` the compilation of an n-instruction program uses besides the code.
    static constexpr std::size_t kScratchPerInstruction = 12;

    /// Compiles `program` into `out`, which must hold the code and, while
    /// compiling, kScratchPerInstruction bytes per instruction. `offsets`, when given (one per
    /// instruction), receives the code offset of each instruction.
    [[nodiscard]] static Result<Compiled> compile(const VerifiedProgram<C>& program,
                                                  std::span<std::uint8_t> out,
                                                  std::span<std::uint32_t> offsets = {},
                                                  Options options = {}) noexcept {
        bool missed = false;
        Result<Compiled> r = attempt(program, out, offsets, options, true, missed);
        // A 16-bit forward branch that did not reach its target: once more with 32-bit ones.
        if (missed) r = attempt(program, out, offsets, options, false, missed);
        return r;
    }

private:
    static Result<Compiled> attempt(const VerifiedProgram<C>& program, std::span<std::uint8_t> out,
                                    std::span<std::uint32_t> offsets, Options options, bool short_branches,
                                    bool& missed) noexcept {
        Compiler c(program, out);
        c.options_ = options;
        c.key_ = options.blinding_seed ^ 0x9e3779b9u;  // (xorshift32 needs a state other than 0)
        if (c.key_ == 0) c.key_ = 1;
        c.short_branches_ = short_branches;
        Result<Compiled> r = c.run();
        missed = c.short_missed_ && !c.full_;
        if (r && offsets.size() >= program.code.size())
            for (std::size_t i = 0; i < program.code.size(); ++i) offsets[i] = c.slots_[i].at;
        return r;
    }

    using Reg = thumb::Reg;
    using Cond = thumb::Cond;
    using Code = thumb::Code;
    using DpOp = thumb::DpOp;
    using Shift = thumb::Shift;
    using Op = isa::Op;
    static constexpr Reg T0 = thumb::r0, T1 = thumb::r1, T2 = thumb::r2, T3 = thumb::r3, T4 = thumb::lr;
    static constexpr Reg kCtx = thumb::r7, kBudget = static_cast<Reg>(kBudgetRegister);
    static constexpr Reg kMappedRegs[] = {thumb::r4, thumb::r5, thumb::r8, thumb::r9, thumb::r10, thumb::r11};
    static constexpr std::uint32_t kAllHi = 0x3ff;                 // r0-r9; r10's upper half is always 0
    static constexpr std::uint32_t kMaxBlock = StubData::kMaxAux;  // a block's count is a stub's aux
    static constexpr unsigned kMapped = 6;                         // kMappedRegs
    static constexpr std::size_t kMaxCode = std::size_t{1} << 22;  // chain links are 22 bits
    static constexpr std::size_t kChargeBytes = 4;                 // SUBS + B<c>, 16-bit each
    // A stub must lie within reach of its 16-bit B<c> (pc + 4 + 254). Islands of stubs are placed
    // early enough that whatever is emitted between two checks (at most an IT block and the
    // island's own branch) cannot push a stub out of reach.
    static constexpr std::size_t kReach = 258, kIslandMargin = 24;

    /// Per eBPF instruction while compiling (at the end of the buffer).
    struct Slot {
        std::uint32_t at;      ///< code offset once emitted; before, 1 + the last branch waiting (0: none)
        std::uint16_t live;    ///< upper halves live on entry (bit r for r0..r9)
        std::uint16_t next;    ///< the instruction control falls through to (kNoPc: none)
        std::uint16_t target;  ///< the jump target (kNoPc: none)
        std::uint8_t id;       ///< isa::Id
        std::uint8_t flags;
    };
    static constexpr std::uint16_t kNoPc = 0xffff;
    static constexpr std::uint32_t kBackTarget = 1u << 31;  // in `at` during the analysis
    static constexpr std::uint32_t kShortWaits = 1u << 30;  // in `at` before emission: see wait_short()
    static constexpr std::uint32_t kDirty = 1u << 30;       // in `at` during the analysis
    static constexpr unsigned kZeroShift = 20;              // known_zero_upper_halves()
    static constexpr std::uint32_t kZeroMask = kAllHi << kZeroShift;  // in `at` during the analysis
    static constexpr std::uint32_t kUseDef = (1u << kZeroShift) - 1;  // in `at`: use | def << 10
    // In `live` above the upper-half bits: see known_zero_upper_halves().
    static constexpr std::uint16_t kKeepsHi = 1u << 15, kNarrowJump = 1u << 14, kSrcHiZero = 1u << 13,
                                   kDstHiZero = 1u << 12;
    // On a load or store with an offset of 0 or below (kNarrowJump is only on jumps): its base's
    // upper half is known to be 0, so its check computes the address in 32 bits (one wrapped
    // below 0 lands at 0xffff8000 or above, where no region is: jit::run) and reads no upper half.
    static constexpr std::uint16_t kBaseHiZero = kNarrowJump;
    // In `live` while a versioned loop's copy is compiled (the bit holds bounds during the
    // analysis): a step of its pointer or count, done in the lower half (check_range()).
    static constexpr std::uint16_t kLoopStep = 1u << 10;
    // On a load or store with an offset above 0 whose check does not run in 32 bits by itself:
    // its base's upper half is known to be 0 there, so that the check of a pair from an offset
    // of 0 or below can (address()).
    static constexpr std::uint16_t kPairBaseHiZero = 1u << 11;
    static_assert(sizeof(Slot) == kScratchPerInstruction);
    /// A 16-bit forward branch placed before its target (short_placeholder()).
    struct ShortWait {
        std::uint32_t at;
        std::uint16_t target;
        Cond cond;
    };
    static constexpr std::uint8_t kLeader = 1, kEmitted = 2;
    // On a memory access: its base register probably points into the stack (check that inline).
    static constexpr std::uint8_t kStackAccess = 128;
    // A fused group (see fuse()): its kind on its first instruction, and on every member whether
    // its temporary register is dead after the group and how far back the group starts.
    enum class Group : std::uint8_t { none = 0, load_op = 1, mod = 2, mov_op = 3 };
    static constexpr unsigned kGroupShift = 2, kBackShift = 5;
    static constexpr std::uint8_t kTempDead = 16;
    // What a waiting branch becomes: kind << 26 | cond << 22 | link.
    enum class Wait : std::uint32_t { jump = 0, call = 1, past_charge = 2 };

    Compiler(const VerifiedProgram<C>& program, std::span<std::uint8_t> out) noexcept
        : prog_(program), code_(program.code), buf_(out.data()) {
        const std::size_t n = code_.size();
        const auto begin = reinterpret_cast<std::uintptr_t>(out.data());
        const std::uintptr_t end = begin + out.size();
        const std::uintptr_t table = (end - n * sizeof(Slot)) & ~std::uintptr_t{7};
        if ((begin & 1) != 0) {  // Thumb instructions are halfwords
            misaligned_ = true;
            return;
        }
        if (out.size() < n * sizeof(Slot) + 8 || table < begin) return;
        slots_ = reinterpret_cast<Slot*>(table);
        limit_ = table - begin;
        if (limit_ > kMaxCode) limit_ = kMaxCode & ~std::size_t{7};
        pending_top_ = limit_;
    }

    // ---- output ----------------------------------------------------------------------------

    void write(std::size_t at, Code c) noexcept { write(at, c.hw1, c.hw2, c.size()); }
    /// `size` bytes (2 or 4) of hw1, hw2 at `at`: code or data.
    void write(std::size_t at, std::uint16_t hw1, std::uint16_t hw2, unsigned size) noexcept {
        buf_[at] = static_cast<std::uint8_t>(hw1);
        buf_[at + 1] = static_cast<std::uint8_t>(hw1 >> 8);
        if (size == 4) {
            buf_[at + 2] = static_cast<std::uint8_t>(hw2);
            buf_[at + 3] = static_cast<std::uint8_t>(hw2 >> 8);
        }
    }
    [[nodiscard]] std::uint32_t read_word(std::size_t at) const noexcept {
        return buf_[at] | (buf_[at + 1] << 8) | (static_cast<std::uint32_t>(buf_[at + 2]) << 16) |
               (static_cast<std::uint32_t>(buf_[at + 3]) << 24);
    }
    /// Emits c, as a 16-bit instruction when one is equivalent: outside IT blocks, and setting
    /// flags only when no flags set earlier are still to be read (flags_live_). The flags set
    /// by one eBPF instruction's code are read within it, so they are dead between instructions.
    void put(Code c) noexcept {
        room();
        if (it_left_ > 0) {
            --it_left_;
            ++flag_writes_;  // (a compare, say)
        } else if (c.size() == 4) {
            // Data-processing forms (register, modified immediate): S, and ADC/SBC reading carry.
            const bool dp = (c.hw1 & 0xfe00) == 0xea00 || ((c.hw1 & 0xfa00) == 0xf000 && !(c.hw2 & 0x8000));
            const auto op = static_cast<DpOp>((c.hw1 >> 5) & 15);
            const bool consumer = dp && reads_carry(op), sets = dp && (c.hw1 & 0x10);
            // Flags it may set: its own, or a 16-bit form's (loads and stores have none).
            const bool memory = (c.hw1 & 0xfe00) == 0xf800 || (c.hw1 & 0xfe00) == 0xe800;
            if (sets || ((!flags_live_ || consumer) && !memory)) ++flag_writes_;
            // thumb::narrow() without its tests (size above; the empty Code stays empty)
            if (const Code n = thumb::detail::narrow32(c.hw1, c.hw2, !flags_live_ || consumer); n.ok()) c = n;
            track_flags(sets, consumer);
        } else if ((c.hw1 & 0xff00) == 0xbf00 && (c.hw1 & 15) != 0) {  // IT: 1-4 instructions follow
            it_left_ = 4 - static_cast<unsigned>(std::countr_zero(static_cast<unsigned>(c.hw1 & 15)));
        } else if ((c.hw1 & 0xff00) != 0x4600) {  // any 16-bit instruction but MOV (register) T1
            ++flag_writes_;
        }
        put_raw(c);
    }
    /// put(c) for a 32-bit instruction that has no 16-bit form and leaves the flags alone.
    void put_wide(Code c) noexcept {
        room();
        if (it_left_ > 0) --it_left_;
        put_raw(c);
    }
    /// put(thumb::dp_imm(...)), with the 16-bit form chosen from the fields (without encoding
    /// the 32-bit form and decoding it again).
    void put_dp_imm(DpOp op, bool s, Reg rd, Reg rn, std::uint32_t value) noexcept {
        bool may_set_flags = false;
        const Code c = dp_start(op, s, may_set_flags)
                           ? thumb::detail::narrow_dp_imm_fields(op, s, rd, rn, value, may_set_flags)
                           : Code{};
        put_dp(c.ok() ? c : thumb::dp_imm(op, s, rd, rn, value), rd);
    }
    /// put(thumb::dp_reg(...)) in the same way (without a shift, the usual case, and with one).
    void put_dp_reg(DpOp op, bool s, Reg rd, Reg rn, Reg rm) noexcept {
        dp_reg_here(op, s, rd, rn, rm, Shift::lsl, 0);
    }
    void put_dp_reg(DpOp op, bool s, Reg rd, Reg rn, Reg rm, Shift shift, unsigned amount) noexcept {
        dp_reg_here(op, s, rd, rn, rm, shift, amount);
    }
    [[gnu::always_inline]] void dp_reg_here(DpOp op, bool s, Reg rd, Reg rn, Reg rm, Shift shift,
                                            unsigned amount) noexcept {
        bool may_set_flags = false;
        // A shift the 32-bit form cannot hold has no 16-bit form either (the compilation fails).
        const Code c = dp_start(op, s, may_set_flags) && thumb::shift_fits(shift, amount)
                           ? thumb::detail::narrow_dp_reg_fields(
                                 op, s, rd, rn, rm, static_cast<unsigned>(shift), amount & 31, may_set_flags)
                           : Code{};
        put_dp(c.ok() ? c : thumb::dp_reg(op, s, rd, rn, rm, shift, amount), rd);
    }
    /// put_raw() of a data-processing instruction, which writes rd alone: the context words that
    /// other registers hold still hold there (stored()), so a load of one of them after it is
    /// skipped too (`ldr r2, [ctx]; subs r4, r2; asrs r4, #2; add r4, r2` loads once).
    void put_dp(Code c, Reg rd) noexcept {
        const unsigned kept = stored_count_;
        put_raw(c);
        stored_count_ = kept;
        forget(rd);
    }
    /// Before a data-processing instruction (s: it sets the flags), as put() does: false inside
    /// an IT block (32-bit there), else whether its 16-bit form may set flags, which it tracks.
    [[gnu::always_inline]] bool dp_start(DpOp op, bool s, bool& may_set_flags) noexcept {
        room();
        if (it_left_ > 0) {
            --it_left_;
            ++flag_writes_;  // (a compare, say)
            return false;
        }
        const bool consumer = reads_carry(op);
        may_set_flags = !flags_live_ || consumer;
        if (s || may_set_flags) ++flag_writes_;
        track_flags(s, consumer);
        return true;
    }
    // The wrappers of thumb2.hpp that the compiler emits most, through put_dp_imm/put_dp_reg.
    void put_mov_imm(Reg rd, std::uint32_t v) noexcept { put_dp_imm(DpOp::orr, false, rd, thumb::pc, v); }
    void put_cmp_imm(Reg rn, std::uint32_t v) noexcept { put_dp_imm(DpOp::sub, true, thumb::pc, rn, v); }
    void put_tst_imm(Reg rn, std::uint32_t v) noexcept { put_dp_imm(DpOp::and_, true, thumb::pc, rn, v); }
    void put_cmp_reg(Reg rn, Reg rm) noexcept { put_dp_reg(DpOp::sub, true, thumb::pc, rn, rm); }
    void put_tst_reg(Reg rn, Reg rm) noexcept { put_dp_reg(DpOp::and_, true, thumb::pc, rn, rm); }
    /// thumb::shift_imm: n 1..31 for lsl, 1..32 for lsr/asr.
    void put_shift_imm(Shift type, Reg rd, Reg rm, unsigned n) noexcept {
        if (n == 0 || type == Shift::ror)
            put(thumb::shift_imm(type, rd, rm, n));  // no encoding: the compilation fails
        else
            put_dp_reg(DpOp::orr, false, rd, thumb::pc, rm, type, n);
    }
    [[nodiscard]] static bool reads_carry(DpOp op) noexcept { return op == DpOp::adc || op == DpOp::sbc; }
    /// After an instruction outside IT blocks: flags it sets are live, a carry it reads is not.
    void track_flags(bool sets, bool consumer) noexcept {
        if (sets)
            flags_live_ = true;
        else if (consumer)
            flags_live_ = false;
    }
    /// LDR/STR of a context word, 16-bit when the offset reaches (kCtx is a low register):
    /// chosen here, as the most frequent instruction, rather than by put()'s general narrowing.
    void ctx_word(thumb::Mem op, Reg r, std::int32_t offset) noexcept {
        if (op == thumb::Mem::ldr && holds(r, offset)) return;
        const Code n = thumb::mem_word(op == thumb::Mem::ldr, r, kCtx, static_cast<unsigned>(offset));
        const Code c = n.ok() ? n : thumb::mem_imm(op, r, kCtx, offset);
        room();
        const bool conditional = it_left_ > 0;
        if (it_left_ > 0) --it_left_;         // a load or store sets no flags, 16-bit or not
        const unsigned kept = stored_count_;  // a store changes no register: earlier ones still hold
        put_raw(c);
        if (conditional) return;
        stored_count_ = kept;
        if (op == thumb::Mem::ldr) forget(r);  // a load changes r only
        stored(r, offset);
    }
    void forget(Reg r) noexcept {
        unsigned k = 0;
        for (unsigned j = 0; j < stored_count_; ++j)
            if (stored_[j].reg != r) stored_[k++] = stored_[j];
        stored_count_ = k;
    }
    /// Forwarding: the context words loaded or stored by the code emitted last (nothing but
    /// context stores and stores to eBPF memory since), so that loading one of them again into
    /// the same register is skipped.
    void stored(Reg r, std::int32_t offset) noexcept {
        unsigned k = 0;  // the word's older entry, else the older of two
        while (k < stored_count_ && stored_[k].offset != offset) ++k;
        if (k == 2) {
            stored_[0] = stored_[1];
            k = 1;
        }
        stored_[k] = Stored{offset, r};
        if (k == stored_count_) ++stored_count_;
    }
    [[nodiscard]] bool holds(Reg r, std::int32_t offset) const noexcept {
        for (unsigned k = 0; k < stored_count_; ++k)
            if (stored_[k].offset == offset && stored_[k].reg == r) return true;
        return false;
    }
    /// Emits c as it is.
    void put_raw(Code c) noexcept {
        stored_count_ = 0;
        if (pos_ + 4 <= limit_ && c.ok()) {  // the usual case: two halfword stores (buf_ is aligned)
            auto* at = reinterpret_cast<std::uint16_t*>(buf_ + pos_);
            at[0] = c.hw1;
            at[1] = c.hw2;  // for a 16-bit instruction, overwritten by the next one (or padding)
            pos_ += c.size();
            return;
        }
        if (!c.ok()) {
            bad_ = true;
            return;
        }
        put_word(c.hw1, c.hw2, c.size());
    }
    /// Emits `size` bytes (2 or 4) of hw1, hw2 as they are: code or data.
    void put_word(std::uint16_t hw1, std::uint16_t hw2, unsigned size = 4) noexcept {
        stored_count_ = 0;
        if (pos_ + size > limit_)
            full_ = true;
        else
            write(pos_, hw1, hw2, size);
        pos_ += size;
    }
    [[nodiscard]] static std::int32_t rel(std::size_t target, std::size_t from) noexcept {
        return static_cast<std::int32_t>(static_cast<std::int64_t>(target) -
                                         static_cast<std::int64_t>(from + 4));
    }
    /// B<c> / B to a known code offset: 16-bit when it reaches.
    void branch(Cond c, std::size_t target) noexcept {
        room();
        const std::int32_t off = rel(target, pos_);
        const Code narrow = c == Cond::al ? thumb::b_t2(off) : thumb::b_cond_t1(c, off);
        // Branches bypass thumb::narrow: their encodings are chosen here, and a 32-bit branch's
        // bits can look like a load with an immediate offset.
        put_raw(narrow.ok() ? narrow : c == Cond::al ? thumb::b_t4(off) : thumb::b_cond_t3(c, off));
    }
    /// A 32-bit placeholder for a branch resolved later, linked to `link` (1 + the previous one).
    void wait(Wait kind, Cond c, std::uint32_t& link) noexcept {
        room();
        const std::uint32_t w = (static_cast<std::uint32_t>(kind) << 26) |
                                (static_cast<std::uint32_t>(c) << 22) | (link & (kMaxCode - 1));
        link = (link & kShortWaits) | static_cast<std::uint32_t>(pos_ + 1);
        put_word(static_cast<std::uint16_t>(w), static_cast<std::uint16_t>(w >> 16));
        flags_live_ = false;
    }
    /// Resolves the placeholder at `at` to a branch to `target`.
    void patch(std::size_t at, std::uint32_t w, std::size_t target) noexcept {
        const auto kind = static_cast<Wait>(w >> 26);
        const auto c = static_cast<Cond>((w >> 22) & 15);
        const std::int32_t off = rel(target, at);
        const Code code = kind == Wait::call ? thumb::bl(off)
                          : c == Cond::al    ? thumb::b_t4(off)
                                             : thumb::b_cond_t3(c, off);
        if (!code.ok()) bad_ = true;
        write(at, code);
    }
    /// Instruction pc starts here: the branches waiting for it go here (past its charge if asked).
    void arrive(std::size_t pc) noexcept {
        Slot& s = slots_[pc];
        if (s.at & kShortWaits) land_short(pc);
        resolve(s.at);
        s.at = static_cast<std::uint32_t>(pos_);
        s.flags |= kEmitted;
        if (s.flags & kLeader) stored_count_ = 0;  // control may arrive from elsewhere
    }
    /// The placeholders chained from `link` (see wait()) become branches to here.
    void resolve(std::uint32_t link) noexcept {
        for (link &= kMaxCode - 1; link != 0 && !full_;) {
            const std::size_t at = link - 1;
            const std::uint32_t w = read_word(at);
            link = w & (kMaxCode - 1);
            patch(at, w, pos_ + (static_cast<Wait>(w >> 26) == Wait::past_charge ? kChargeBytes : 0));
        }
    }
    [[nodiscard]] bool emitted(std::size_t pc) const noexcept { return (slots_[pc].flags & kEmitted) != 0; }
    void branch_to_insn(Cond c, std::size_t pc) noexcept {
        if (in_loop_map_ >= 0 && !in_loop(loop_maps_[in_loop_map_], pc)) {
            to_pad(c, pc);
            return;
        }
        // Into a loop emitted already, from outside it: to its preheader.
        for (unsigned k = 0; k < next_loop_map_ && in_loop_map_ < 0; ++k)
            if (loop_maps_[k].entry == pc) {
                branch(c, loop_maps_[k].preheader);
                return;
            }
        if (emitted(pc))
            branch(c, slots_[pc].at);
        else if (!wait_short(c, pc))
            wait(Wait::jump, c, slots_[pc].at);
    }
    /// A forward branch to a near instruction as a 16-bit B<c> (B): kept in short_ until the
    /// instruction is emitted. If it then does not reach (stubs placed in between can push the
    /// target away), compile() starts again with 32-bit forward branches.
    bool wait_short(Cond c, std::size_t pc) noexcept {
        const std::size_t near = c == Cond::al ? 64 : 8;  // instructions, of ~12 bytes on average
        if (!short_branches_ || short_count_ == kMaxShort || pc - pc_ > near) return false;
        // A loop compiled twice may lie in between (a copy's exits are all far).
        if (unchecked_ptr_ >= 0 || (next_edge_ < edge_count_ && loop_edges_[next_edge_].head <= pc))
            return false;
        short_[short_count_++] = short_placeholder(c, pc);
        slots_[pc].at |= kShortWaits;
        return true;
    }
    /// A 16-bit B<c> (B) to the instruction at pc, its offset to be filled in by land().
    [[gnu::always_inline]] ShortWait short_placeholder(Cond c, std::size_t pc) noexcept {
        room();
        const ShortWait w{static_cast<std::uint32_t>(pos_), static_cast<std::uint16_t>(pc), c};
        put_raw(c == Cond::al ? thumb::b_t2(0) : thumb::b_cond_t1(c, 0));
        flags_live_ = false;
        return w;
    }
    void land_short(std::size_t pc) noexcept {
        for (unsigned k = 0; k < short_count_;) {
            const ShortWait w = short_[k];
            if (w.target != pc) {
                ++k;
                continue;
            }
            if (!land(w.at, w.cond)) short_missed_ = true;
            short_[k] = short_[--short_count_];
        }
    }
    /// BL to the function starting at pc (function index f).
    void call_function(std::size_t f, std::size_t pc) noexcept {
        if (emitted(pc))
            put_raw(thumb::bl(rel(func_entry_[f], pos_)));
        else
            wait(Wait::call, Cond::al, slots_[pc].at);
    }

    // ---- slow paths --------------------------------------------------------------------------

    /// A slow path whose stub is still to be placed (kept below the slot table meanwhile).
    struct Pending {
        std::uint32_t branch;  ///< code offset of the B<c> to the stub
        std::uint16_t pc;
        SiteKind kind;
        std::uint8_t aux;
        std::uint16_t target;  ///< budget_ja: the ja's target
        std::uint16_t lddw;    ///< budgets: which of the block's first 16 instructions are lddw
    };
    [[nodiscard]] Pending& pending(std::size_t k) noexcept {
        return reinterpret_cast<Pending*>(buf_ + pending_top_)[-1 - static_cast<std::ptrdiff_t>(k)];
    }
    /// Bytes of a stub: BL and its data.
    [[nodiscard]] static std::size_t stub_bytes(SiteKind kind) noexcept {
        return 4 + (StubData::wide(kind) ? 8 : 4);
    }
    /// B<c> (16-bit) to a stub emitted at the next flush_stubs() or island; the stub returns to
    /// just after it.
    void slow_path(Cond c, SiteKind kind, std::uint8_t aux, std::size_t target = 0,
                   std::uint16_t lddw = 0) noexcept {
        room();
        const auto at = static_cast<std::uint32_t>(pos_);
        put_raw(thumb::b_cond_t1(c, 0));  // patched when the stub is placed
        flags_live_ = false;
        if (limit_ < pos_ + sizeof(Pending)) {
            full_ = true;
            return;
        }
        limit_ -= sizeof(Pending);
        pending(pending_) =
            Pending{at, static_cast<std::uint16_t>(pc_), kind, aux, static_cast<std::uint16_t>(target), lddw};
        ++pending_;
        // The stub will start at most stub_bytes_ (the stubs before it) past the flush point.
        const std::size_t deadline = at + kReach - stub_bytes_;
        if (deadline < deadline_) deadline_ = deadline;
        stub_bytes_ += stub_bytes(kind);
    }
    /// Places the stubs of the slow paths since the last call: only where control never falls
    /// through (after an unconditional branch or a return, or in an island jumped over).
    void flush_stubs() noexcept {
        ++hold_;
        for (std::size_t k = 0; k < pending_ && !full_; ++k) {
            const Pending s = pending(k);
            const auto cond = static_cast<Cond>((buf_[s.branch + 1]) & 15);
            const Code to_stub = thumb::b_cond_t1(cond, rel(pos_, s.branch));
            if (!to_stub.ok()) bad_ = true;  // the islands keep every stub in reach
            write(s.branch, to_stub);
            // The B<c> reaches at most 258 bytes past itself, so back fits its 7 bits.
            const std::size_t back = StubData::back_for(pos_, s.branch + 2);
            if (back > StubData::kMaxBack || s.aux > StubData::kMaxAux) bad_ = true;
            put_raw(thumb::bl(rel(slow_, pos_)));
            put_word(s.pc,
                     StubData::make_info(s.kind, s.aux, static_cast<unsigned>(back) & StubData::kMaxBack));
            if (StubData::wide(s.kind)) put_word(s.target, s.lddw);
        }
        pending_ = 0;
        limit_ = pending_top_;
        deadline_ = kNoDeadline;
        stub_bytes_ = 0;
        --hold_;
    }
    /// Before an instruction that control may fall through: when the oldest waiting stubs could
    /// soon be out of reach, places them here behind a branch over them.
    void room(std::size_t extra = 0) noexcept {
        if (pos_ + kIslandMargin + extra > deadline_ && it_left_ == 0 && hold_ == 0) island();
    }
    void island() noexcept {
        ++hold_;
        const std::size_t at = pos_;
        const bool wide = stub_bytes_ + 4 > 2046;
        put_raw(wide ? thumb::b_t4(0) : thumb::b_t2(0));
        flush_stubs();
        const std::int32_t off = rel(pos_, at);
        const Code over = wide ? thumb::b_t4(off) : thumb::b_t2(off);
        if (!over.ok()) bad_ = true;
        if (!full_) write(at, over);
        --hold_;
    }

    // ---- constants and register halves ---------------------------------------------------------

    void load_imm(Reg rd, std::uint32_t v) noexcept {
        if (thumb::can_encode_modified(v))
            put_mov_imm(rd, v);
        else if (thumb::can_encode_modified(~v))
            put_dp_imm(DpOp::orn, false, rd, thumb::pc, ~v);  // MVN
        else {
            put_wide(thumb::movw(rd, v & 0xffff));
            if (v >> 16) put_wide(thumb::movt(rd, v >> 16));
        }
    }
    /// Options::blind_constants: whether the program's constant v is loaded blinded.
    [[nodiscard]] bool blinded(std::uint32_t v) const noexcept {
        return options_.blind_constants && v + 256u > 511u;  // outside -256..255
    }
    /// rd = v, a constant the program chose: a copy of the constant register when it holds v
    /// (choose_constant()), else materialise().
    void load_const(Reg rd, std::uint32_t v, Reg key) noexcept {
        if (holds_constant(v))
            mov(rd, const_reg_);
        else
            materialise(rd, v, key);
    }
    [[nodiscard]] bool holds_constant(std::uint32_t v) const noexcept {
        return const_reg_ != thumb::pc && v == const_value_;
    }
    /// A register holding the program's constant v as an operand: the constant register, or T2
    /// (materialise(), its key in T3).
    Reg constant_operand(std::uint32_t v) noexcept {
        if (holds_constant(v)) return const_reg_;
        materialise(T2, v, T3);
        return T2;
    }
    /// rd = v, blinded when blinded(v), with `key` (another register) holding the key afterwards.
    void materialise(Reg rd, std::uint32_t v, Reg key) noexcept {
        if (!blinded(v)) {
            load_imm(rd, v);
            return;
        }
        // xorshift32: a new key for each constant (the state is never 0)
        key_ ^= key_ << 13;
        key_ ^= key_ >> 17;
        key_ ^= key_ << 5;
        const std::uint32_t k = key_;
        put_wide(thumb::movw(rd, (v ^ k) & 0xffff));
        put_wide(thumb::movt(rd, (v ^ k) >> 16));
        put_wide(thumb::movw(key, k & 0xffff));
        put_wide(thumb::movt(key, k >> 16));
        put_dp_reg(DpOp::eor, false, rd, rd, key);
    }
    void mov(Reg rd, Reg rm) noexcept {
        if (rd != rm) put(thumb::mov_reg(rd, rm));
    }
    static constexpr unsigned half(unsigned r, bool hi) noexcept { return 2 * r + (hi ? 1 : 0); }
    [[nodiscard]] int mapped(unsigned r, bool hi) const noexcept { return map_[half(r, hi)]; }
    /// The register holding half (r, hi): its own, or `tmp` loaded from the context.
    Reg rd(unsigned r, bool hi, Reg tmp) noexcept {
        const int m = mapped(r, hi);
        if (m >= 0) return static_cast<Reg>(m);
        ctx_word(thumb::Mem::ldr, tmp, ctx::reg(r, hi));
        return tmp;
    }
    /// Half (r, hi) copied into `tmp`.
    void get(unsigned r, bool hi, Reg tmp) noexcept { mov(tmp, rd(r, hi, tmp)); }
    /// The register to compute half (r, hi) into: its own or `tmp` (then wb() stores it).
    [[nodiscard]] Reg wr(unsigned r, bool hi, Reg tmp) const noexcept {
        const int m = mapped(r, hi);
        return m >= 0 ? static_cast<Reg>(m) : tmp;
    }
    /// True when the upper half of r is read before being redefined on some path after the
    /// current instruction; a dead upper half is neither computed into memory nor zeroed.
    [[nodiscard]] bool live(unsigned r, bool hi) const noexcept {
        return !hi || r >= 10 || ((hi_out_ >> r) & 1);
    }
    void wb(unsigned r, bool hi, Reg v) noexcept {
        if (!hi && static_cast<int>(r) == dead_lo_) return;
        if (mapped(r, hi) < 0 && live(r, hi)) ctx_word(thumb::Mem::str, v, ctx::reg(r, hi));
    }
    /// Both halves of r: one LDRD when both live in the context (adjacent words there).
    void rd_pair(unsigned r, Reg tlo, Reg thi, Reg& lo, Reg& hi) noexcept {
        if (mapped(r, false) < 0 && mapped(r, true) < 0) {
            if (!holds(tlo, ctx::reg(r, false)) || !holds(thi, ctx::reg(r, true))) {
                const bool conditional = it_left_ > 0;
                put_wide(thumb::mem_dual(true, tlo, thi, kCtx, ctx::reg(r, false)));
                if (!conditional) {
                    stored(tlo, ctx::reg(r, false));
                    stored(thi, ctx::reg(r, true));
                }
            }
            lo = tlo;
            hi = thi;
            return;
        }
        lo = rd(r, false, tlo);
        hi = rd(r, true, thi);
    }
    /// Writes back both halves computed by wr(): one STRD when both live in the context.
    void wb_pair(unsigned r, Reg lo, Reg hi) noexcept {
        if (mapped(r, false) < 0 && mapped(r, true) < 0 && live(r, true) && lo != hi) {
            const bool conditional = it_left_ > 0;
            put_wide(thumb::mem_dual(false, lo, hi, kCtx, ctx::reg(r, false)));
            if (!conditional) {
                stored(lo, ctx::reg(r, false));
                stored(hi, ctx::reg(r, true));
            }
            return;
        }
        wb(r, false, lo);
        wb(r, true, hi);
    }
    /// Half (r, hi) = v.
    void set(unsigned r, bool hi, Reg v) noexcept {
        const int m = mapped(r, hi);
        if (!live(r, hi)) return;
        if (m >= 0)
            mov(static_cast<Reg>(m), v);
        else
            wb(r, hi, v);
    }
    void set_imm(unsigned r, bool hi, std::uint32_t v, Reg tmp) noexcept {
        if (!live(r, hi)) return;
        const Reg d = wr(r, hi, tmp);
        load_imm(d, v);
        wb(r, hi, d);
    }
    /// set_imm() of a constant the program chose (load_const(), `key` for its key).
    void set_const(unsigned r, bool hi, std::uint32_t v, Reg tmp, Reg key) noexcept {
        if (!live(r, hi)) return;
        const Reg d = wr(r, hi, tmp);
        load_const(d, v, key);
        wb(r, hi, d);
    }
    void flush(unsigned r) noexcept {
        if (pair_transfer(false, r)) return;
        for (bool hi : {false, true})
            if (mapped(r, hi) >= 0)
                ctx_word(thumb::Mem::str, static_cast<Reg>(mapped(r, hi)), ctx::reg(r, hi));
    }
    void reload(unsigned r, bool lower = true, bool upper = true) noexcept {
        if (lower && upper && pair_transfer(true, r)) return;
        for (bool hi : {false, true})
            if (mapped(r, hi) >= 0 && (hi ? upper : lower))
                ctx_word(thumb::Mem::ldr, static_cast<Reg>(mapped(r, hi)), ctx::reg(r, hi));
    }
    /// LDRD/STRD of both halves of r between their registers and the context, when that is
    /// shorter than two LDR/STR (a high register makes those 32-bit).
    bool pair_transfer(bool load, unsigned r) noexcept {
        const int lo = mapped(r, false), hi = mapped(r, true);
        if (lo < 0 || hi < 0 || (lo < 8 && hi < 8)) return false;
        put_wide(thumb::mem_dual(load, static_cast<Reg>(lo), static_cast<Reg>(hi), kCtx, ctx::reg(r, false)));
        return true;
    }

    // ---- analysis ---------------------------------------------------------------------------

    [[nodiscard]] const isa::OpInfo& row(std::size_t pc) const noexcept {
        return isa::info(static_cast<isa::Id>(slots_[pc].id));
    }
    [[nodiscard]] std::size_t jump_target(std::size_t pc, const isa::OpInfo& r) const noexcept {
        return jump_target(pc, r.form == isa::Form::jump_long);
    }
    /// long_form: ja32, whose offset is in imm.
    [[nodiscard]] std::size_t jump_target(std::size_t pc, bool long_form) const noexcept {
        return static_cast<std::size_t>(static_cast<std::int64_t>(pc) + 1 +
                                        (long_form ? code_[pc].imm : code_[pc].off));
    }
    [[nodiscard]] static constexpr bool is_jump(Op op) noexcept {
        return op == Op::ja || isa::is_conditional_jump(op);
    }
    /// The operations a single data-processing instruction does (with a register or a modified
    /// immediate), which the fused groups and alu_const() handle.
    [[nodiscard]] static constexpr bool add_sub_logic(Op op) noexcept {
        return op == Op::add || op == Op::sub || op == Op::or_ || op == Op::and_ || op == Op::xor_;
    }
    /// The data-processing instruction and modified immediate that compute a 32-bit `x op v`
    /// (add_sub_logic op): v itself, or -v for ADD and SUB (x + -K = x - K), or ~v for AND and
    /// OR (BIC, ORN: `and r, -8`); ok is false when none fits.
    struct DpImm {
        DpOp op;
        std::uint32_t v;
        bool ok;
    };
    [[nodiscard]] static DpImm dp_immediate(Op op, std::uint32_t v) noexcept {
        const DpOp plain = op == Op::add    ? DpOp::add
                           : op == Op::sub  ? DpOp::sub
                           : op == Op::or_  ? DpOp::orr
                           : op == Op::and_ ? DpOp::and_
                                            : DpOp::eor;
        if (!add_sub_logic(op)) return {plain, v, false};
        if (thumb::can_encode_modified(v)) return {plain, v, true};
        if (op == Op::add || op == Op::sub)
            return {op == Op::add ? DpOp::sub : DpOp::add, 0u - v, thumb::can_encode_modified(0u - v)};
        if (op == Op::xor_) return {plain, v, false};
        return {op == Op::and_ ? DpOp::bic : DpOp::orn, ~v, thumb::can_encode_modified(~v)};
    }
    /// Whether alu_const() takes v as the immediate of add_sub_logic op (dp_immediate()).
    [[nodiscard]] static bool alu_immediate(Op op, std::uint32_t v) noexcept {
        return dp_immediate(op, v).ok;
    }
    /// Whether a 32-bit compare takes v as its immediate (CMP/TST), in jump().
    [[nodiscard]] bool compare_immediate(std::uint32_t v) const noexcept {
        return thumb::can_encode_modified(v) && !blinded(v);
    }
    [[nodiscard]] static constexpr bool is_call(Op op) noexcept {
        return op == Op::call || op == Op::call_local || op == Op::callx;
    }
    /// The second half of an lddw (its opcode, 0, decodes as no instruction; verified programs
    /// have no other such slot).
    [[nodiscard]] bool second_slot(std::size_t pc) const noexcept {
        return slots_[pc].id == static_cast<std::uint8_t>(isa::Id::invalid);
    }
    /// How an instruction moves the guess of which registers hold stack addresses (stack_hint()).
    enum StackEffect : std::uint8_t {
        stack_none,     // writes no register
        stack_kill,     // dst is no stack address any more
        stack_load,     // an access through src, then dst written
        stack_store,    // an access through dst
        stack_call,     // R0-R5 come back changed
        stack_copy,     // 64-bit MOV: dst is one if src is
        stack_keep,     // 64-bit ADD/SUB of a constant, SUB of a register: pointer +- offset stays
        stack_add_reg,  // 64-bit ADD of a register: dst becomes one if src is
    };
    [[nodiscard]] static constexpr StackEffect stack_effect(const isa::OpInfo& r) noexcept {
        const Op op = r.op;
        if (op == Op::ldx || op == Op::ldxs) return stack_load;
        if (op == Op::st || op == Op::stx || isa::is_atomic(op)) return stack_store;
        if (is_call(op)) return stack_call;
        if (!isa::writes_dst(op)) return stack_none;
        const bool reg = r.form == isa::Form::dst_src;
        if (r.width == 64 && op == Op::mov && reg) return stack_copy;
        if (r.width == 64 && (op == Op::add || op == Op::sub))
            return reg && op == Op::add ? stack_add_reg : stack_keep;
        return stack_kill;
    }
    /// Which registers hold stack addresses, followed in program order (a guess at joins: it
    /// only picks which region an access checks inline; every access is checked all the same).
    [[gnu::always_inline]] void stack_hint(std::size_t pc, StackEffect e, std::uint32_t& stack) noexcept {
        if (follow_pointers(e, code_[pc], stack)) slots_[pc].flags |= kStackAccess;
    }
    /// Moves `regs`, the registers guessed to point into a region, past an instruction (effect
    /// e): bit r for register r, and again 16 bits up for a second region (data_hint()). Returns
    /// the bits of the register the instruction accesses memory through, if it does.
    [[gnu::always_inline]] static std::uint32_t follow_pointers(StackEffect e, const Insn& insn,
                                                                std::uint32_t& regs) noexcept {
        constexpr std::uint32_t kLanes = 0x10001u;
        const unsigned dst = insn.dst(), src = insn.src();
        const std::uint32_t d = kLanes << dst;
        std::uint32_t through = 0;
        switch (e) {
            case stack_none:
            case stack_keep:
                return 0;
            case stack_load:
                through = regs & (kLanes << src);
                break;
            case stack_store:
                return regs & d;
            case stack_call:
                regs &= ~(0x3fu * kLanes);
                return 0;
            case stack_copy:
                regs = (regs & ~d) | ((regs >> src) & kLanes) << dst;
                return 0;
            case stack_add_reg:
                regs |= ((regs >> src) & kLanes) << dst;
                return 0;
            case stack_kill:
                break;
        }
        regs &= ~d;
        return through;
    }
    /// While the code is written, in program order as stack_hint(): which registers point into
    /// the program's own first ctx::kDataRegions regions (from an lddw of an address inside one,
    /// which the loader's relocations give its .data and .rodata symbols; data_regs_, a lane of
    /// 16 bits each), and so which of them the access at pc, if any, checks inline
    /// (data_access_). (Called only when the program has regions of its own: data_regions_ > 0.)
    void data_hint(std::size_t pc) noexcept {
        static_assert(ctx::kDataRegions <= 2, "data_regs_ has two lanes");
        const Insn& insn = code_[pc];
        const auto e = static_cast<StackEffect>((kFacts[slots_[pc].id].def >> kStackShift) & 7);
        data_access_ = lane_region(follow_pointers(e, insn, data_regs_));
        if (row(pc).op != Op::lddw) return;
        const std::uint64_t value =
            static_cast<std::uint32_t>(insn.imm) | static_cast<std::uint64_t>(code_[pc + 1].imm) << 32;
        data_regs_ |= lanes_holding(value) << insn.dst();
    }
    /// The lanes (bit 0, bit 16) of the program's regions that hold address a.
    [[nodiscard]] std::uint32_t lanes_holding(std::uint64_t a) const noexcept {
        std::uint32_t lanes = 0;
        for (unsigned j = 0; j < data_regions_; ++j)
            if (prog_.regions[j].covers(a, 1)) lanes |= 1u << (16 * j);
        return lanes;
    }
    /// The region whose table checks an access through a pointer in `lanes` (any bits of lane
    /// 0 or 1): the program's first, its second, or else the fast one.
    [[nodiscard]] static CheckRegion lane_region(std::uint32_t lanes) noexcept {
        return (lanes & 0xffffu) != 0 ? CheckRegion::data
               : lanes != 0           ? static_cast<CheckRegion>(static_cast<unsigned>(CheckRegion::data) + 1)
                                      : CheckRegion::fast;
    }
    struct BackEdge {
        std::uint16_t from, to;
    };
    /// 1 + the latest of the back edges to pc (all of the program when some were not recorded).
    [[nodiscard]] std::size_t back_edge_end(std::size_t pc, const BackEdge* edges,
                                            unsigned count) const noexcept {
        if (count > kMaxLoopEdges) return code_.size();
        std::size_t end = 0;
        for (unsigned e = 0; e < count; ++e)
            if (edges[e].to == pc) end = std::max<std::size_t>(end, edges[e].from + 1u);
        return end;
    }
    [[nodiscard]] bool leader(std::size_t pc) const noexcept { return (slots_[pc].flags & kLeader) != 0; }
    void mark(std::size_t pc) noexcept {
        if (pc < code_.size()) slots_[pc].flags |= kLeader;
    }
    [[nodiscard]] Group group(std::size_t pc) const noexcept {
        return static_cast<Group>((slots_[pc].flags >> kGroupShift) & 3);
    }

    /// Block leaders, fused groups, upper-half liveness, and the register halves kept in r4, r5,
    /// r8-r11 (and ip).
    void analyse() noexcept {
        const std::size_t n = code_.size();
        for (std::size_t i = 0; i < n; ++i)
            slots_[i] = Slot{0, 0, kNoPc, kNoPc, static_cast<std::uint8_t>(isa::decode(code_[i])), 0};
        leaf_ = prog_.function_count == 1;
        for (std::size_t f : prog_.functions()) mark(f);
        std::uint32_t stack_regs = 1u << isa::kFramePointer;
        constexpr unsigned kMaxEdges = kMaxLoopEdges;
        BackEdge back_edges[kMaxEdges] = {};
        std::uint16_t over_ja[kMaxEdges];
        unsigned edges = 0, overs = 0;
        // Upper halves: `at` holds the instruction's use | def << 10 (until the code is written),
        // and known-zero upper halves (see known_zero_upper_halves()) start as all; `live`
        // holds its zero rule until the liveness sweeps.
        for (std::size_t pc = 0; pc < n;) {
            Slot& slot = slots_[pc];
            const Facts f = kFacts[slot.id];
            const Insn& insn = code_[pc];
            unsigned use = f.use, def = f.def;
            std::uint16_t rule = f.rule;
            if ((use | rule) & kByImm) {
                const isa::OpInfo& r = row(pc);
                const std::int32_t next_imm = (f.flow & flow_lddw) ? code_[pc + 1].imm : 0;
                if (use & kByImm) hi_parts(r, insn.imm, use, def);
                if (rule & kByImm) rule = zero_rule(r, insn.imm, next_imm);
            }
            if (static_cast<ZeroRule>(rule & 15) >= ZeroRule::load_gen) rule = checked_access(rule, insn);
            const std::uint32_t use_regs = hi_regs(use, insn), def_regs = hi_regs(def & kDefParts, insn);
            slot.at = use_regs | def_regs << 10 | kZeroMask | kDirty;  // (kBackTarget comes later)
            slot.live = static_cast<std::uint16_t>(rule | kBoundMask);
            if (static_cast<ZeroRule>(rule & 15) == ZeroRule::inc) {
                incremented_ |= bit(insn.dst());
                if (insn.imm != 1) stepped_ |= bit(insn.dst());
            }
            const std::size_t next = pc + ((f.flow & flow_lddw) ? 2 : 1);
            if (next < n && !(f.flow & flow_ends)) slot.next = static_cast<std::uint16_t>(next);
            if (f.flow & flow_jump) {
                const std::size_t t = jump_target(pc, (f.flow & flow_long) != 0);
                slot.target = static_cast<std::uint16_t>(t);
                if (t <= pc) slots_[t].at |= kBackTarget;
                mark(t);
                // What a forward conditional jump falls through to stays in its block unless
                // something else makes it a leader: the block is charged as a whole and the
                // taken edge gives back what it skips (exit_block()). Not where the taken edge
                // is probably the hot one: a backward jump, or (below) a forward one over a
                // `ja` that leaves the innermost loop.
                if (t <= pc) {
                    if (edges < kMaxEdges)
                        back_edges[edges] = {static_cast<std::uint16_t>(pc), static_cast<std::uint16_t>(t)};
                    ++edges;
                }
                if ((f.flow & flow_ends) || t <= pc) {
                    mark(pc + 1);
                } else if (pc + 1 < n && row(pc + 1).op == Op::ja) {
                    if (overs < kMaxEdges) over_ja[overs] = static_cast<std::uint16_t>(pc);
                    ++overs;
                }
            }
            if (f.flow & (flow_helper | flow_local | flow_split | flow_calls_out)) {
                if (f.flow & flow_helper) helpers_ = true;
                if (f.flow & flow_local) local_calls_ = true;
                if (f.flow & flow_split) {
                    mark(pc);
                    mark(pc + 1);
                }
                if (f.flow & flow_calls_out) leaf_ = false;  // these call out, clobbering ip
            }
            stack_hint(pc, static_cast<StackEffect>((def >> kStackShift) & 7), stack_regs);
            if (slot.id == static_cast<std::uint8_t>(isa::Id::mov64_reg) && insn.src() == isa::kFramePointer)
                frame_copies_ = true;
            pc = next;
        }
        // `jcc +1; ja L`: the ja's block is charged with the jump's when the ja goes back to the
        // head of the innermost loop around them (the taken edge leaves the loop), and charged
        // with L's block (merge_ja) when it leaves that loop (the taken edge stays in it).
        // (More than kMaxEdges of either: the ones not recorded stay charged with the jump.)
        for (unsigned k = 0; k < overs && k < kMaxEdges; ++k) {
            const std::size_t pc = over_ja[k];
            std::size_t head = kNoPc;
            for (unsigned e = 0; e < edges && e < kMaxEdges; ++e)
                if (back_edges[e].to <= pc && pc < back_edges[e].from &&
                    (head == kNoPc || back_edges[e].to > head))
                    head = back_edges[e].to;
            if (edges > kMaxEdges || slots_[pc + 1].target != head) mark(pc + 1);
        }
        // Blocks longer than one charge immediate are split; groups are found inside blocks.
        std::uint32_t run = 0;
        for (std::size_t pc = 0; pc < n;) {
            if (leader(pc)) run = 0;
            const bool lddw = (kFacts[slots_[pc].id].flow & flow_lddw) != 0;
            // The budget's stub data names the lddw (2 slots) among a block's first 16.
            if (run == kMaxBlock || (run >= 16 && lddw)) {
                mark(pc);
                run = 0;
            }
            const std::size_t group = run + 4 <= kMaxBlock ? find_group(pc) : 0;
            run += group != 0 ? static_cast<std::uint32_t>(group) : 1u;  // (an lddw counts once)
            pc += group != 0 ? group : lddw ? 2u : 1u;
        }
        if (frame_copies_) small_values();
        find_guards(back_edges, edges);
        known_zero_upper_halves();
        // Count guards are emitted where needed (their ADDs leave the upper half alone anyway).
        std::size_t reads_from = n, reads_to = 0;  // where count guards read upper halves
        for (unsigned k = 0; k < guard_count_; ++k) {
            EntryGuard& g = guards_[k];
            g.active = g.count && g.needed;
            if (!g.active) continue;
            reads_from = std::min<std::size_t>(reads_from, g.entry);
            reads_to = std::max<std::size_t>(reads_to, g.entry);
        }
        // Upper halves: backward liveness to a fixed point (live sets only grow). A sweep sees
        // every change except one at a back-edge target, whose sources came first. kDirty marks
        // an instruction whose set changed when last visited: after the first sweep (which also
        // applies the known-zero results), only instructions with such a successor are visited.
        // A sweep after the first starts at the latest back edge whose target changed.
        bool first = true;
        for (std::size_t top = n; top != 0; first = false) {
            const std::size_t from = top;
            top = 0;
            for (std::size_t pc = from; pc-- > 0;) {
                Slot& s = slots_[pc];
                if (first) {
                    if (second_slot(pc)) continue;
                    keep_zero_upper_halves(pc);
                    if (pc >= reads_from && pc <= reads_to) s.at |= count_guard_reads(pc);
                } else if (!((s.next != kNoPc && (slots_[s.next].at & kDirty)) ||
                             (s.target != kNoPc && (slots_[s.target].at & kDirty)))) {
                    s.at &= ~kDirty;
                    continue;
                }
                const std::uint32_t use = s.at & kAllHi, def = (s.at >> 10) & kAllHi;
                // (In the first sweep a back-edge target's `live` still holds its zero rule:
                // its set is empty so far.)
                const std::uint32_t succ =
                    first ? (s.next != kNoPc ? slots_[s.next].live : 0u) |
                                (s.target != kNoPc && s.target > pc ? slots_[s.target].live : 0u)
                          : succ_live(pc);
                const std::uint32_t in = (succ & kAllHi & ~def) | use;
                if (in != (s.live & kAllHi)) {
                    s.live = static_cast<std::uint16_t>(in | (s.live & ~kAllHi));
                    s.at |= kDirty;
                    if (s.at & kBackTarget) top = std::max(top, back_edge_end(pc, back_edges, edges));
                } else {
                    s.at &= ~kDirty;
                }
            }
        }
        // A guard's read of its pointer's upper half (keep_zero_access()) kept that half live into
        // the loop; it is no read in the loop, for the registers' weights.
        for (unsigned k = 0; k < guard_count_; ++k)
            if (guards_[k].active) slots_[guards_[k].entry].at &= ~bit(guards_[k].base);
        // Loops to version, ordered by head (emit_all() has hoistable() fill loop_ in again at
        // each head: one HoistedLoop at a time on the stack).
        if constexpr (C.jit_loop_versioning) {
            for (unsigned k = 0; options_.version_loops && k < edges && k < kMaxEdges; ++k) {
                if (!hoistable(back_edges[k].to, back_edges[k].from, loop_)) continue;
                // (never: a guard at the head has hoistable()'s entry, where control comes in)
                bool elsewhere = false;
                for (unsigned j = 0; j < guard_count_; ++j)
                    elsewhere = elsewhere || (guards_[j].active && guards_[j].head == back_edges[k].to &&
                                              guards_[j].entry != loop_.entry);
                if (elsewhere) continue;
                unsigned at = edge_count_++;
                for (; at > 0 && loop_edges_[at - 1].head > back_edges[k].to; --at)
                    loop_edges_[at] = loop_edges_[at - 1];
                loop_edges_[at] = {back_edges[k].to, back_edges[k].from, loop_.entry};
            }
        }
        find_loop_maps(back_edges, edges);
        choose_registers();
    }

    // ---- loops whose loads are checked once ----------------------------------------------------

    /// A loop whose loads through one pointer register are checked once, before it: the code
    /// runs a copy of the loop without their checks when the range that all its iterations can
    /// read lies in one region, and the loop as usual otherwise (emit_all()). No calls or inner
    /// loops; control comes in from before the loop at one place, the entry (its head, or a
    /// later instruction: the jumps there come to the range check), and every pass runs the
    /// steps and the test once (hoistable()). Two forms: the pointer steps by a constant
    /// (pointer form), or it is computed in each pass as `ptr = base; ptr += index` from a base
    /// the loop leaves alone and an index stepping by a constant (index form: what LLVM makes
    /// of `a[i]`). Iteration k (from 0) finds the pointer, or base +
    /// index, at p0 + s*k at the entry (the index form's index may instead step by -1 as its
    /// own count down to 0: `down`). The exit test either counts a register down by 1 to 0
    /// or a counter up by 1 to a limit (pointer form; the last iteration is then k* = n0 -
    /// after, n0 the count or limit - c0, `after` when the test comes after the count's step)
    /// or compares the stepping register with a bound the loop leaves alone (k* = (end - p0) /
    /// s - after, where end is the bound, or base + bound in the index form). The range read
    /// is then [p0 + first, W + last] with W = p0 + s*k* + s*after, i.e. p0 + s*n0 or `end`.
    /// "Before" and "after" count from the entry (rotated()).
    struct HoistedLoop {
        std::uint16_t head, back;
        std::uint16_t entry;       ///< where control comes in: the head, or later
        std::uint16_t test;        ///< the exit test
        std::uint16_t step;        ///< the step of `index`
        std::uint16_t bound_step;  ///< the count's step (kNoPc: compared with an end)
        std::uint16_t sum;         ///< index form: `ptr += index` (kNoPc: pointer form)
        std::uint16_t set_ptr;     ///< index form: `ptr = base`
        std::uint16_t reload;      ///< index form: a load through ptr into ptr (kNoPc: none)
        std::uint8_t ptr;          ///< the register the loads go through
        std::uint8_t index;        ///< the register that steps: ptr, or the index
        std::uint8_t base;         ///< index form: the base register, or kConstant (base_k)
        std::uint8_t bound;        ///< the counter or the end, or kConstant (bound_k)
        std::uint8_t limit;        ///< a counter counting up: what it is compared with (or kConstant)
        std::uint8_t hi_zero;      ///< index form: upper halves known to be 0 (kIndexHi, ...)
        bool to_end;               ///< the stepping register is compared with `bound`
        bool up;                   ///< pointer form: the counter steps by 1 up to `limit`
        bool down;                 ///< index form: the index steps by -1 and is the count, down to 0
        bool after;                ///< the exit test reads its register after that register's step
        bool stack;                ///< the loads check the stack's region inline (kStackAccess)
        bool ptr_hi_dead;          ///< index form: nothing reads ptr's upper half in the copy
        std::uint8_t shift;        ///< the step is 1 << shift
        std::int32_t first;        ///< the lowest byte read, from p0
        std::int32_t last;         ///< the highest byte read, from W
        std::uint32_t base_k, bound_k;
    };
    static constexpr std::uint8_t kConstant = 0xff;
    static constexpr std::uint8_t kIndexHi = 1, kBoundHi = 2, kBaseHi = 4;
    // Pointer form: the pointer's upper half is 0 at the entry, a load through it whose check
    // needs no upper half (kBaseHiZero); nothing need keep that half, and the range check
    // takes it as 0.
    static constexpr std::uint8_t kPtrHi = 8;
    struct LoopEdge {
        std::uint16_t head, back, entry;
    };
    static constexpr unsigned kMaxLoopEdges = 16;
    /// How many instructions a loop may have to be compiled twice (the copy without checks
    /// costs code; long loops gain less from it). Below 64: a pass's instructions are bits of
    /// 64-bit masks.
    static constexpr std::size_t kMaxHoistedLength = 60;
    static_assert(kMaxHoistedLength < 64);

    /// Whether a conditional jump `a op b` (b: the bound, or with `swapped` the other way round)
    /// ends a loop when `a` reaches the bound: one that leaves the loop, or the back edge.
    [[nodiscard]] static constexpr bool ends_at_bound(Op op, bool leaves, bool swapped) noexcept {
        if (op == Op::jeq || op == Op::jne) return op == (leaves ? Op::jeq : Op::jne);
        if (leaves) return swapped ? op == Op::jle || op == Op::jsle : op == Op::jge || op == Op::jsge;
        return swapped ? op == Op::jgt || op == Op::jsgt : op == Op::jlt || op == Op::jslt;
    }

    /// Whether the loop from `head` to the back edge at `back` is one HoistedLoop (filled in;
    /// `entry`: where control comes in, when an earlier call found it).
    bool hoistable(std::size_t head, std::size_t back, HoistedLoop& l,
                   std::size_t entry = kNoPc) const noexcept {
        if (head == prog_.entry || back - head >= kMaxHoistedLength) return false;
        for (std::size_t f : prog_.functions())  // (the range check comes before a prologue)
            if (f == head) return false;
        const auto inside = [&](std::size_t t) { return t >= head && t <= back; };
        // Where control comes in (from the jumps of the whole program, once: emit_all() passes
        // the entry analyse() found): only from before the loop, all at one place, the entry.
        // Falling into the head, or jumps to it, make that the head; else the loop starts later,
        // as LLVM lays out loops with branches (`ja entry` before the head, which is where the
        // passes go on after the entry's part).
        l.head = static_cast<std::uint16_t>(head);
        l.back = static_cast<std::uint16_t>(back);
        l.entry = static_cast<std::uint16_t>(entry != kNoPc ? entry : head);
        bool entered = false;
        const auto come_in = [&](std::size_t from, std::size_t t) {
            if (from > back || (entered && t != l.entry)) return false;
            l.entry = static_cast<std::uint16_t>(t);
            entered = true;
            return true;
        };
        for (std::size_t k = 1; entry == kNoPc && k <= 2 && k <= head; ++k)  // falling into the head
            if (slots_[head - k].next == head && !come_in(head - k, head)) return false;
        for (std::size_t pc = 0; entry == kNoPc && pc < code_.size(); ++pc) {  // jumps in
            const std::size_t t = slots_[pc].target;                           // (kNoPc is never in)
            if (t - head <= back - head && pc - head > back - head && !come_in(pc, t)) return false;
        }
        const std::size_t length = back + 1 - head;
        const auto rot = [&](std::size_t pc) { return rotated(l, pc); };
        // The body: no calls, no inner loops; where each register's only definition in it is
        // (def_at, for those in `defined` and not in `twice`), and which instructions a pass may
        // skip (bit rot(pc) of `skipped`): those a forward jump inside the loop jumps over, the
        // rest of a pass after a jump to its start.
        std::uint16_t def_at[11] = {};
        std::uint32_t defined = 0, twice = 0;
        std::uint64_t skipped = 0;
        // `jcc +1; ja out` leaves the loop when the condition does not hold: a test, not a branch.
        const auto over_ja = [&](std::size_t pc) {
            return slots_[pc].target == pc + 2 && pc + 1 < back && row(pc + 1).op == Op::ja &&
                   !inside(slots_[pc + 1].target);
        };
        for (std::size_t pc = head; pc <= back; pc += isa::slots(row(pc).op)) {
            const Op op = row(pc).op;
            if (is_call(op) || op == Op::exit || isa::is_atomic(op)) return false;
            const std::size_t t = slots_[pc].target;
            if (pc == back ? t != head : inside(t) && !over_ja(pc)) {
                // Where in the pass it goes: the next pass starts at the entry.
                const std::size_t to = t == l.entry ? length : rot(t);
                if (to <= rot(pc)) return false;  // an inner loop
                skipped |= ((std::uint64_t{1} << to) - 1) & ~((std::uint64_t{2} << rot(pc)) - 1);
            }
            if (kLoFacts[slots_[pc].id] & kLoDefinesDst) {
                const unsigned d = code_[pc].dst();
                twice |= defined & (1u << d);
                defined |= 1u << d;
                def_at[d] = static_cast<std::uint16_t>(pc);
            }
        }
        // The step of register r when its only definition in the loop adds a power of two
        // (1..2^15) (else 0).
        const auto step = [&](unsigned r) -> std::int64_t {
            if (r >= 10 || !(defined & (1u << r)) || (twice & (1u << r))) return 0;
            const std::size_t d = def_at[r];
            const isa::OpInfo& row_d = row(d);
            if (row_d.form != isa::Form::dst_imm) return 0;  // (32-bit too: see narrow_before)
            return row_d.op == Op::add   ? std::int64_t{code_[d].imm}
                   : row_d.op == Op::sub ? -std::int64_t{code_[d].imm}
                                         : 0;
        };
        const auto stepping = [&](unsigned r) {
            const std::int64_t s = step(r);
            return s > 0 && s <= 1 << 15 && std::has_single_bit(static_cast<std::uint64_t>(s));
        };
        const auto invariant = [&](unsigned r) { return r == isa::kFramePointer || !(defined & (1u << r)); };
        // An index counting itself down to 0 (index form: what LLVM makes of `a[i - 1]` with i
        // from n down to 1): a 64-bit step by -1.
        const auto counts_down = [&](unsigned r) { return step(r) == -1 && row(def_at[r]).width == 64; };
        // A 32-bit step of r before pc: r's upper half is 0 at pc whatever it was where the
        // loop starts. (An upper half the analysis found 0 at pc is 0 there too otherwise: a
        // 64-bit step keeps it 0 only from below 2^32 - 1.)
        const auto narrow_before = [&](unsigned r, std::size_t pc) {
            return r < 10 && (defined & (1u << r)) && rot(def_at[r]) < rot(pc) && row(def_at[r]).width == 32;
        };
        // Registers the range check reads whole: their upper halves must be live (else nothing
        // keeps them) unless known to be 0.
        const auto live_hi = [&](unsigned r) { return r < 10 && ((slots_[l.entry].live >> r) & 1) != 0; };
        l.sum = kNoPc;
        l.down = false;
        l.hi_zero = 0;
        l.ptr_hi_dead = false;
        // Index form: the last two definitions of ptr before the load are `ptr = base` (or an
        // lddw of a constant below 2^32) and `ptr += index`; ptr holds the pointer from there
        // to its next definition (`reload`; the load itself when it loads into ptr).
        const auto defines = [&](std::size_t q, unsigned r) {
            return (kLoFacts[slots_[q].id] & kLoDefinesDst) && code_[q].dst() == r;
        };
        const auto index_form = [&](unsigned p, std::size_t load) {
            l.hi_zero = 0;
            l.reload = kNoPc;
            if (p >= 10 || !(twice & (1u << p))) return false;
            // (in the order of a pass: from the entry)
            std::size_t d[2] = {kNoPc, kNoPc};
            for_pass(l, [&](std::size_t q) {
                if (!defines(q, p)) return;
                if (rot(q) < rot(load))
                    d[0] = std::exchange(d[1], q);
                else if (l.reload == kNoPc)
                    l.reload = static_cast<std::uint16_t>(q);
            });
            if (d[0] == kNoPc) return false;
            const isa::OpInfo &r1 = row(d[0]), &r2 = row(d[1]);
            if (r2.op != Op::add || r2.width != 64 || r2.form != isa::Form::dst_src) return false;
            const unsigned y = code_[d[1]].src();
            unsigned index = y;
            // Whether the analysis found r's upper half 0 where the mov or the add reads it,
            // and so where the loop starts (unless a 32-bit step of r comes before that).
            const auto read_as_zero = [&](unsigned r) {
                const std::size_t at = r == y ? d[1] : d[0];
                const std::uint16_t flags = r == y ? kSrcHiZero : kSrcHiZero | kKeepsHi;
                return (slots_[at].live & flags) != 0 && !narrow_before(r, at);
            };
            if (r1.op == Op::lddw) {
                if (code_[d[0] + 1].imm != 0) return false;  // an address has upper half 0
                l.base = kConstant;
                l.base_k = static_cast<std::uint32_t>(code_[d[0]].imm);
                l.hi_zero |= kBaseHi;
            } else if (r1.op == Op::mov && r1.width == 64 && r1.form == isa::Form::dst_src) {
                unsigned base = code_[d[0]].src();
                if (!(stepping(y) || counts_down(y)) || !invariant(base)) std::swap(index, base);
                if (!invariant(base)) return false;
                l.base = static_cast<std::uint8_t>(base);
                if (base == isa::kFramePointer || read_as_zero(base))
                    l.hi_zero |= kBaseHi;
                else if (!live_hi(base))
                    return false;
            } else {
                return false;
            }
            if (!(stepping(index) || counts_down(index)) || index == p) return false;
            if (read_as_zero(index)) l.hi_zero |= kIndexHi;
            l.ptr = static_cast<std::uint8_t>(p);
            l.index = static_cast<std::uint8_t>(index);
            l.set_ptr = static_cast<std::uint16_t>(d[0]);
            l.sum = static_cast<std::uint16_t>(d[1]);
            return true;
        };
        // The pointer: the base of the first load through a register stepping by 1 << shift,
        // or through a pointer of the index form.
        std::size_t pc = head;
        for (; pc <= back; pc += isa::slots(row(pc).op)) {
            const Op op = row(pc).op;
            if (op != Op::ldx && op != Op::ldxs) continue;
            const unsigned p = code_[pc].src();
            if (stepping(p)) {
                l.ptr = l.index = static_cast<std::uint8_t>(p);
                break;
            }
            if (index_form(p, pc)) break;
        }
        if (pc > back) return false;
        const bool indexed = l.sum != kNoPc;
        l.shift = static_cast<std::uint8_t>(std::countr_zero(static_cast<std::uint64_t>(step(l.index))));
        // The exit test: a jump leaving the loop when the stepping register reaches its bound,
        // or the back edge taken until it does; or (pointer form) `jeq n, 0` leaving / `jne n,
        // 0` as the back edge with n counting down, or the same tests of a counter stepping
        // by 1 up to a limit (what LLVM makes of `for (i = 0; i < n; i++) sum += a[i]`).
        std::size_t test = kNoPc;
        for (pc = head; pc <= back && test == kNoPc; pc += isa::slots(row(pc).op)) {
            const isa::OpInfo& r = row(pc);
            const Insn& insn = code_[pc];
            if (r.width != 64 || !isa::is_conditional_jump(r.op)) continue;
            const bool stays = pc < back && over_ja(pc);                     // taken: the loop goes on
            if (pc < back && inside(slots_[pc].target) && !stays) continue;  // a branch
            const bool leaves = pc < back && !stays;
            const unsigned a = insn.dst(), b = insn.src();
            const bool cond_src = r.form == isa::Form::cond_src;
            // A count down to 0: another register beside the pointer, or the index itself
            // when it counts down (then the only test taken).
            const bool down = indexed && counts_down(l.index);
            if (!cond_src && insn.imm == 0 && r.op == (leaves ? Op::jeq : Op::jne) &&
                (down ? a == l.index : !indexed && a != l.ptr && step(a) == -1)) {
                l.bound = static_cast<std::uint8_t>(a);
                l.to_end = l.up = false;
                l.down = down;
                // (a count the test compares in its lower half: known below 2^32 where the
                // loop starts, or a count guard's, 0xffffffff when it is not: EntryGuard)
                const bool narrow = !down && (slots_[pc].live & kNarrowJump) != 0;
                if (down ? (l.hi_zero & kIndexHi) || live_hi(a) : live_hi(l.ptr) && (narrow || live_hi(a))) {
                    test = pc;
                    if (narrow) l.hi_zero |= kBoundHi;
                }
                continue;
            }
            if (down) continue;
            // x: what the test compares with its bound y (a register, or kConstant): the
            // stepping register, or (pointer form) a counter stepping by 1.
            unsigned x = l.index;
            if (!indexed) {
                const unsigned c = cond_src && step(a) != 1 ? b : a;
                if (c != l.ptr && step(c) == 1 && !(cond_src && (a == l.ptr || b == l.ptr))) x = c;
            }
            const bool up = x != l.index, swapped = cond_src && b == x;
            unsigned y = kConstant;
            if (cond_src) {
                y = swapped ? a : b;
                if (a == b || (a != x && !swapped) || y >= 10 || !invariant(y)) continue;
            } else if (a != x || insn.imm < 0 || !(indexed || up)) {
                continue;
            }
            if (!ends_at_bound(r.op, leaves, swapped)) continue;
            // Upper halves the range check reads: the index form and a counter take those the
            // analysis found 0 at the test as 0 where the loop starts (the bound does not change
            // in the loop; narrow_before() for the stepping register). Where a 32-bit step of
            // that register comes before the test (and the sum), its upper half where the loop
            // starts does not matter: the range check reads its lower half only.
            std::uint8_t zero = 0;
            if (indexed || up) {
                const std::uint16_t flags = slots_[pc].live;
                if (flags & kNarrowJump) zero = kIndexHi | kBoundHi;
                if ((flags & kSrcHiZero) && cond_src) zero |= swapped ? kIndexHi : kBoundHi;
                if ((flags & kDstHiZero) && cond_src)
                    zero |= swapped ? kBoundHi : kIndexHi;  // (mirrored: jump())
                if (narrow_before(x, pc)) zero &= static_cast<std::uint8_t>(~kIndexHi);
                if (narrow_before(x, pc) && (!indexed || narrow_before(x, l.sum))) zero |= kIndexHi;
                if (!cond_src) zero |= kBoundHi;
            }
            if (const Op e = row(l.entry).op; !indexed && !live_hi(l.ptr) &&
                                              (e == Op::ldx || e == Op::ldxs) &&
                                              code_[l.entry].src() == l.ptr && code_[l.entry].off <= 0 &&
                                              (slots_[l.entry].live & kBaseHiZero))
                zero |= kPtrHi;
            if ((!(zero & kIndexHi) && !(l.hi_zero & kIndexHi) && !live_hi(x) &&
                 !(x == l.ptr && (zero & kPtrHi))) ||
                (!(zero & kBoundHi) && !live_hi(y)) || (!indexed && !live_hi(l.ptr) && !(zero & kPtrHi)))
                continue;
            l.up = up;
            l.to_end = !up;
            l.bound = static_cast<std::uint8_t>(up ? x : y);  // the counter, or the end
            l.limit = static_cast<std::uint8_t>(y);
            l.bound_k = static_cast<std::uint32_t>(insn.imm);
            l.hi_zero |= zero;
            test = pc;
        }
        if (test == kNoPc) return false;
        l.after = rot(def_at[l.to_end ? l.index : l.bound]) < rot(test);
        l.test = static_cast<std::uint16_t>(test);
        l.step = def_at[l.index];
        l.bound_step = l.to_end ? kNoPc : def_at[l.bound];
        // Every pass runs the steps, the test and the index form's `ptr = base; ptr += index`
        // once, in this order (a pass runs forward from the entry, in rotated order).
        const auto every_pass = [&](std::size_t at) { return at == kNoPc || !((skipped >> rot(at)) & 1); };
        if (!every_pass(test) || !every_pass(l.step) || !every_pass(l.bound_step) ||
            (indexed && (!every_pass(l.set_ptr) || !every_pass(l.sum))))
            return false;
        // The range of every load through the pointer: iteration k reads p0 + s*(k + stepped)
        // + off, for k up to k* (k* - 1 when the load comes after the test). The index form's
        // pointer is computed at the sum; its loads come after that.
        const std::int32_t s = std::int32_t{1} << l.shift;
        bool any = false;
        for (pc = head; pc <= back; pc += isa::slots(row(pc).op)) {
            const isa::OpInfo& r = row(pc);
            if ((r.op != Op::ldx && r.op != Op::ldxs) || code_[pc].src() != l.ptr) continue;
            if (indexed && (rot(pc) < rot(l.sum) || (l.reload != kNoPc && rot(pc) > rot(l.reload))))
                return false;
            const bool stack = (slots_[pc].flags & kStackAccess) != 0;
            const std::int32_t stepped = rot(l.step) < rot(indexed ? l.sum : pc) ? s : 0, off = code_[pc].off;
            const std::int32_t past_test = rot(pc) > rot(test) ? 1 : 0;  // (not in the last pass)
            std::int32_t first = stepped + off;
            std::int32_t last = stepped - past_test * s + off + r.width / 8 - 1 - (l.after ? s : 0);
            if (l.down) {
                // Pass k's index at the sum is i0 - k - stepped, k up to k* = i0 - after (less 1
                // past the test): the lowest byte from base, the highest from p0 = base + i0.
                first = (l.after ? 1 : 0) + past_test - stepped + off;
                last = -stepped + off + r.width / 8 - 1;
            }
            if (any && stack != l.stack) return false;
            l.first = any ? std::min(l.first, first) : first;
            l.last = any ? std::max(l.last, last) : last;
            l.stack = stack;
            any = true;
        }
        if (indexed) l.ptr_hi_dead = ptr_hi_unread(l);
        return !blinds_loop(l);
    }
    /// Options::blind_constants: the range check and the copy without checks would use a
    /// blinded constant of the loop as it is (its bound, base or step), so it is not versioned.
    [[nodiscard]] bool blinds_loop(const HoistedLoop& l) const noexcept {
        if (!options_.blind_constants) return false;
        if ((l.base == kConstant && blinded(l.base_k)) ||
            ((l.bound == kConstant || l.limit == kConstant) && blinded(l.bound_k)))
            return true;
        for (const std::size_t at : {std::size_t{l.step}, std::size_t{l.bound_step}})
            if (at != kNoPc && row(at).form == isa::Form::dst_imm &&
                blinded(static_cast<std::uint32_t>(code_[at].imm)))
                return true;
        return false;
    }
    /// The position of pc in a pass of the loop: from the entry to the back edge, then from the
    /// head to the entry.
    [[nodiscard]] static std::size_t rotated(const HoistedLoop& l, std::size_t pc) noexcept {
        return pc >= l.entry ? pc - l.entry : pc - l.head + (l.back + 1u - l.entry);
    }
    /// Calls f(pc) for the instructions of the loop in the order of a pass (rotated()).
    template <typename F>
    void for_pass(const HoistedLoop& l, F f) const noexcept {
        for (std::size_t pc = l.entry; pc <= l.back; pc += isa::slots(row(pc).op)) f(pc);
        for (std::size_t pc = l.head; pc < l.entry; pc += isa::slots(row(pc).op)) f(pc);
    }
    /// Index form: the instructions of the loop where ptr holds the pointer, after `ptr =
    /// base` up to its next definition in the pass (without one: the whole loop). The copy
    /// without checks computes its lower half only there (its upper half is 0, and no check
    /// reads it).
    [[nodiscard]] bool in_ptr_window(const HoistedLoop& l, std::size_t pc) const noexcept {
        return l.reload == kNoPc ||
               (rotated(l, pc) > rotated(l, l.set_ptr) && rotated(l, pc) <= rotated(l, l.reload));
    }
    /// Index form: whether the copy may leave ptr's upper half as it is in the window (else it
    /// sets it to 0 at the sum): nothing there reads ptr but the sum and the loads through it,
    /// and it is dead where the loop is left from there.
    [[nodiscard]] bool ptr_hi_unread(const HoistedLoop& l) const noexcept {
        const unsigned p = l.ptr;
        // A reload that leaves ptr's upper half as it is (kKeepsHi: known to be 0) passes on
        // the one the copy did not keep: not where something reads it after the reload.
        if (l.reload != kNoPc && (slots_[l.reload].live & kKeepsHi) && (succ_live(l.reload) & bit(p)))
            return false;
        for (std::size_t pc = l.head; pc <= l.back; pc += isa::slots(row(pc).op)) {
            if (!in_ptr_window(l, pc)) continue;
            const unsigned f = kLoFacts[slots_[pc].id];
            const Op op = row(pc).op;
            if ((f & kLoReadsSrc) && code_[pc].src() == p && op != Op::ldx && op != Op::ldxs) return false;
            if ((f & kLoReadsDst) && code_[pc].dst() == p && pc != l.sum) return false;
            const std::size_t out = pc < l.back ? slots_[pc].target : slots_[pc].next;
            if (out != kNoPc && ((slots_[out].live >> p) & 1)) return false;
        }
        return true;
    }
    /// The register halves kept in r4, r5, r8-r11 (and ip): weights from the accesses that
    /// remain, so that ALU32 values cost one ARM register; accesses inside loops count 16.
    /// The loops of find_loop_maps() also choose from their own accesses alone.
    void choose_registers() noexcept {
        // (at most 2 a half from each of a loop's 64 instructions, doubled below: 16 bits)
        std::uint16_t loop_weight[kMaxLoopMaps][22];
        for (unsigned k = 0; k < loop_map_count_; ++k) std::fill_n(loop_weight[k], 22, std::uint16_t{0});
        const std::size_t n = code_.size();
        std::uint32_t weight[22] = {};
        ConstantWeight constants[kConstantCandidates];
        unsigned constant_count = 0;
        std::size_t loop_start = n;    // smallest back-edge target at or after pc (reverse sweep)
        unsigned j = loop_map_count_;  // loop_maps_[j - 1]: the last one starting at or before pc
        std::uint64_t again = 0;       // bit pc - head: the instruction at pc may go on to a next pass
        for (std::size_t pc = n; pc-- > 0;) {
            Slot& s = slots_[pc];
            const std::uint32_t at = s.at;
            s.at = 0;  // for the code offset
            const std::size_t t = s.target;
            if (t <= pc && t < loop_start) loop_start = t;
            std::uint16_t* loop = nullptr;
            if (j > 0 && loop_maps_[j - 1].head > pc) {
                --j;
                again = 0;
            }
            // A loop map's own weights count once each instruction that may go on to another
            // pass; those that only lead out (a way out's tail) run once a loop.
            if (j > 0 && pc <= loop_maps_[j - 1].last) {
                const std::size_t head = loop_maps_[j - 1].head, last = loop_maps_[j - 1].last;
                const auto goes_on = [&](std::size_t to) {
                    return to == head || (to > pc && to <= last && ((again >> (to - head)) & 1));
                };
                if (goes_on(t) || goes_on(s.next)) {
                    again |= std::uint64_t{1} << (pc - head);
                    loop = loop_weight[j - 1];
                }
            }
            weigh(pc, at, loop_start <= pc ? 16 : 1, weight, loop);
            if (kFacts[s.id].use & kConstantOperand)
                weigh_constant(pc, loop_start <= pc ? 16 : 1, constants, constant_count);
        }
        unsigned lightest = 0;
        const unsigned picked = pick(weight, map_, 0, &lightest);
        if (constant_count != 0 && !local_calls_)
            choose_constant(weight[lightest], picked, constants, constant_count);
        std::copy_n(map_, 22, program_map_);
        // A loop keeps the program's register for each half both choose, so that only the
        // halves whose place changes move; a loop that chooses as the program does is dropped.
        unsigned kept_maps = 0;
        for (unsigned k = 0; k < loop_map_count_; ++k) {
            LoopMap& l = loop_maps_[k];
            std::int8_t choice[22];
            for (unsigned h = 0; h < 22; ++h)  // (a tie goes to a half in a register already)
                loop_weight[k][h] = static_cast<std::uint16_t>(
                    2 * loop_weight[k][h] + (map_[h] >= 0 && loop_weight[k][h] != 0 ? 1 : 0));
            const unsigned reserved = const_reg_ != thumb::pc ? 1u : 0u;
            pick(loop_weight[k], choice, reserved);
            std::uint32_t used = reserved != 0 ? 1u << const_reg_ : 0u;
            for (unsigned h = 0; h < 22; ++h) {
                l.map[h] = choice[h] >= 0 && map_[h] >= 0 ? map_[h] : -1;
                if (l.map[h] >= 0) used |= 1u << l.map[h];
            }
            l.moved = 0;
            for (unsigned h = 0; h < 22; ++h) {
                if (choice[h] >= 0 && l.map[h] < 0) {
                    unsigned i = 0;
                    while ((used >> mapped_reg(i)) & 1) ++i;
                    l.map[h] = static_cast<std::int8_t>(mapped_reg(i));
                    used |= 1u << mapped_reg(i);
                }
                if (l.map[h] != map_[h]) l.moved |= 1u << h;
            }
            if (l.moved != 0) loop_maps_[kept_maps++] = l;
        }
        loop_map_count_ = kept_maps;
    }
    /// How many registers can hold eBPF halves (or the constant): ip too in a leaf.
    [[nodiscard]] unsigned mapped_count() const noexcept { return kMapped + (leaf_ ? 1u : 0u); }
    /// The i-th register that holds eBPF halves: r4, r5, r8-r11, then ip (leaf_ only).
    [[nodiscard]] static unsigned mapped_reg(unsigned i) noexcept {
        return i < kMapped ? kMappedRegs[i] : thumb::ip;
    }
    /// Adds w to the program's weight of each half the instruction at pc reads or writes (`at`
    /// as the analysis leaves it: use | def << 10), and 1 to its loop's if it has one: upper
    /// halves read, or written and read later; lower halves in its fields, except a fused
    /// group's temporary that is dead after it.
    [[gnu::always_inline]] void weigh(std::size_t pc, std::uint32_t at, std::uint32_t w,
                                      std::uint32_t* weight, std::uint16_t* loop) const noexcept {
        const auto add = [&](unsigned h) {
            weight[h] += w;
            if (loop != nullptr) ++loop[h];
        };
        std::uint32_t m = at & kAllHi;
        if (const std::uint32_t def = (at >> 10) & kAllHi; def != 0) m |= def & succ_live(pc);
        for (; m != 0; m &= m - 1) add(half(static_cast<unsigned>(std::countr_zero(m)), true));
        const unsigned fields = kFacts[slots_[pc].id].def;  // nothing for a second slot
        if ((fields & (kFieldDst | kFieldSrc)) == 0) return;
        const Insn& insn = code_[pc];
        const std::uint8_t flags = slots_[pc].flags;
        const unsigned tmp = (flags & kTempDead) ? code_[pc - (flags >> kBackShift)].dst() : 99;
        if ((fields & kFieldDst) && insn.dst() != tmp) add(half(insn.dst(), false));
        if ((fields & kFieldSrc) && insn.src() != tmp) add(half(insn.src(), false));
    }
    /// The heaviest halves, best first (ties: the lower half number), get r4.., then ip (less
    /// `reserved` registers, which hold something else).
    /// Returns how many it picked, and in `lightest` (when given) the last of them.
    template <typename Weight>
    unsigned pick(const Weight* weight, std::int8_t* map, unsigned reserved,
                  unsigned* lightest = nullptr) const noexcept {
        const unsigned regs = mapped_count() - reserved;
        std::uint8_t best[kMapped + 1] = {};
        unsigned count = 0;
        for (unsigned h = 0; h < 22; ++h) {
            map[h] = -1;
            if (weight[h] == 0) continue;
            unsigned k = count < regs ? count++ : regs;
            for (; k > 0 && weight[best[k - 1]] < weight[h]; --k)
                if (k < regs) best[k] = best[k - 1];
            if (k < regs) best[k] = static_cast<std::uint8_t>(h);
        }
        for (unsigned k = 0; k < count; ++k) map[best[k]] = static_cast<std::int8_t>(mapped_reg(k));
        if (lightest != nullptr && count != 0) *lightest = best[count - 1];
        return count;
    }
    /// A constant the program chose, and the M4 instructions a register holding it would save
    /// (weighted as the halves are: 16 for each use in a loop).
    struct ConstantWeight {
        std::uint32_t value, weight;
    };
    static constexpr unsigned kConstantCandidates = 8;
    /// The instructions that loading v into a register takes (materialise()).
    [[nodiscard]] unsigned constant_cost(std::uint32_t v) const noexcept {
        if (blinded(v)) return 5;
        return thumb::can_encode_modified(v) || thumb::can_encode_modified(~v) || v <= 0xffff ? 1u : 2u;
    }
    /// Adds what the constant register would save at pc to the constant's weight: a constant
    /// that the instruction's code loads into a register (an ALU operand that is no immediate
    /// the instruction can hold, a multiplier or 32-bit divisor, a compare's operand that
    /// needs a register; a MOV of it saves one instruction less, a copy staying).
    void weigh_constant(std::size_t pc, std::uint32_t w, ConstantWeight* table,
                        unsigned& count) const noexcept {
        const isa::OpInfo& r = row(pc);
        const Op op = r.op;
        const auto v = static_cast<std::uint32_t>(code_[pc].imm);
        bool loaded = true;
        if (r.form == isa::Form::cond_imm) {
            const bool wide = r.width == 64 && (slots_[pc].live & kNarrowJump) == 0;
            loaded = !(wide && v == 0 && (op == Op::jeq || op == Op::jne)) && (wide || !compare_immediate(v));
        } else if (add_sub_logic(op)) {
            loaded = blinded(v) || !alu_immediate(op, v);  // (alu_const() leaves a blinded one out)
        } else if (op == Op::mul) {
            // (the udiv + mls idiom loads its divisor once, often for the next such one too)
            loaded = !((slots_[pc].flags >> kBackShift) == 2 && group(pc - 2) == Group::mod);
        }
        if (!loaded) return;
        const unsigned cost = constant_cost(v) - (op == Op::mov ? 1u : 0u);  // (a MOV copies it)
        if (cost == 0) return;
        unsigned k = 0;
        while (k < count && table[k].value != v) ++k;
        if (k == count) {
            if (count == kConstantCandidates) return;
            table[count++] = {v, 0};
        }
        table[k].weight += w * cost;
    }
    /// The constant register: the heaviest constant gets a register that no half needs (`picked`
    /// of them have one), or the lightest half's (of weight `lightest`) when it saves more than
    /// that half's accesses cost. Only in programs without local calls (whose functions would
    /// have to keep it); entry() loads it.
    void choose_constant(std::uint32_t lightest, unsigned picked, const ConstantWeight* table,
                         unsigned count) noexcept {
        unsigned best = 0;
        for (unsigned k = 1; k < count; ++k)
            if (table[k].weight > table[best].weight) best = k;
        const ConstantWeight c = table[best];
        if (c.weight < 2 * constant_cost(c.value)) return;  // used once, outside loops
        if (picked < mapped_count()) {
            const_reg_ = static_cast<Reg>(mapped_reg(picked));  // pick() gives r4.. in order
        } else if (c.weight > lightest) {
            const_reg_ = static_cast<Reg>(mapped_reg(picked - 1));  // the lightest half's
            for (std::int8_t& m : map_)
                if (m == const_reg_) m = -1;
        } else {
            return;
        }
        const_value_ = c.value;
    }
    /// An innermost loop with its own choice of the halves in registers (find_loop_maps()).
    struct LoopMap {
        std::uint16_t head, last, entry;
        std::int8_t map[22];
        std::uint32_t moved;      // bit h: half h is somewhere else than in the program's choice
        std::uint32_t preheader;  // its code offset, once emitted (jumps in from after the loop)
    };
    static constexpr unsigned kMaxLoopMaps = 4, kMaxPads = 4;
    /// A way out of such a loop: the halves move back, then a branch to target.
    struct Pad {
        std::uint32_t link;  // the branches waiting for it (as Slot::at)
        std::uint16_t target;
    };
    /// A loop whose pointer is known to fit in 32 bits in every pass but the first, because
    /// the access at its entry checked it (a load or store through it with an offset of 0 or
    /// below, the first instruction there) and the loop steps it by a small amount. Where
    /// control comes in from before the loop, a test of the pointer's upper half guards the
    /// entry (enter_guard()): when it is not 0, the access at the entry would fail (no region
    /// reaches 2^32 - 2^15: jit::run), so the guard charges that block and fails as the access
    /// would; otherwise the analysis may take the upper half as 0 there, and the entry's check,
    /// run in every pass, works in 32 bits. A loop that Options::version_loops compiles twice
    /// has its guard before its range check.
    ///
    /// A loop may also have a count guard: a register the loop counts down by 1 (a 64-bit ADD of
    /// -1) and compares with 0 (a 64-bit jeq or jne) in one block, which nothing else in the loop
    /// reads or writes, and whose loop is left only on the edge where the count is 0 (or ends
    /// the program). Then the count is done in 32 bits: the ADD leaves the upper half alone
    /// (taken as 0) and the test compares the lower half. The results are the same because no
    /// run gets that far into the count: jit::run caps the budget at 2^32 - 2 instructions and
    /// another instruction runs after each step, so fewer than 2^31 steps run (one more past a
    /// block's cut-off: runtime::budget). From a count below 2^32
    /// both reach 0 after the same steps (or, from 0, neither does); from one above, the 64-bit
    /// count does not reach 0 and the guard (where its upper half is not 0) sets the lower
    /// half to 0xffffffff, which needs 2^32 - 1 steps. The count is not seen elsewhere, and
    /// the loop ends with it 0 (upper half too: it was 0 at the entry, which the register
    /// still holds) or not at all.
    struct EntryGuard {
        std::uint16_t head, last, entry;
        std::uint8_t base;   ///< the pointer register (or the count)
        bool count;          ///< a count guard
        bool needed;         ///< the analysis cannot tell the upper half is 0 on some way in
        bool active;         ///< and found it 0 at the entry with the guard: the guard is emitted
        std::uint16_t step;  ///< a count guard's ADD of -1
    };
    static constexpr unsigned kMaxGuards = 6;
    /// The loops to guard (EntryGuard), ordered by head: a loop [head, last] (the furthest
    /// jump back to its head) that code before it enters only at its entry (its head, or where
    /// a `ja` just before the head goes), with no function starting in it and no jump into it
    /// from after it.
    void find_guards(const BackEdge* back, unsigned edges) noexcept {
        constexpr unsigned kKeeping = rule_set(ZeroRule::gen, ZeroRule::bounded, ZeroRule::inc,
                                               ZeroRule::copy, ZeroRule::load_gen, ZeroRule::load_bounded);
        if (edges > kMaxLoopEdges) return;
        for (unsigned e = 0; e < edges && guard_count_ < kMaxGuards; ++e) {
            const std::uint16_t head = back[e].to;
            std::uint16_t last = 0;
            bool first = true;
            for (unsigned k = 0; k < edges; ++k) {
                if (back[k].to != head) continue;
                first = first && k >= e;
                last = std::max(last, back[k].from);
            }
            if (!first || head == 0) continue;
            const std::size_t before = head >= 2 && second_slot(head - 1u) ? head - 2u : head - 1u;
            std::size_t entry = head;
            if (row(before).op == Op::ja) {
                entry = slots_[before].target;
                if (entry <= head || entry > last) continue;
            } else if (slots_[before].next != head) {
                continue;
            }
            const auto add = [&](unsigned reg, bool count, std::size_t step) {
                if (guard_count_ == kMaxGuards) return;
                unsigned at = guard_count_++;
                for (; at > 0 && guards_[at - 1].head > head; --at) guards_[at] = guards_[at - 1];
                guards_[at] = EntryGuard{
                    head,  last,  static_cast<std::uint16_t>(entry), static_cast<std::uint8_t>(reg), count,
                    false, false, static_cast<std::uint16_t>(step)};
            };
            if (const std::size_t step = count_step(head, last, entry); step != kNoPc)
                add(code_[step].dst(), true, step);
            // (the access checks its base as checked_access() says: its rule is one of the last)
            const auto rule = static_cast<ZeroRule>(slots_[entry].live & 15);
            if (rule < ZeroRule::load_gen) continue;
            const unsigned base = rule == ZeroRule::checked_store ? code_[entry].dst() : code_[entry].src();
            // Only where the loop can keep the upper half 0: what writes it there zero-extends,
            // adds up to kMaxStep or copies (`live` holds each instruction's zero rule still).
            bool keeps = true;
            for (std::size_t pc = head; pc <= last && keeps; ++pc)
                keeps = ((slots_[pc].at >> 10) & bit(base)) == 0 ||
                        ((kKeeping >> (slots_[pc].live & 15)) & 1) != 0;
            if (keeps) add(base, false, kNoPc);
        }
        if (guard_count_ == 0) return;
        bool ok[kMaxGuards];
        for (unsigned k = 0; k < guard_count_; ++k) {
            const EntryGuard& g = guards_[k];
            ok[k] = prog_.entry < g.head || prog_.entry > g.last;
            for (std::size_t f : prog_.functions()) ok[k] = ok[k] && (f < g.head || f > g.last);
        }
        // Jumps from after a loop into it go back: they are among the back edges. Falling into a
        // loop from before it is falling into its head (seen above), so only forward jumps from
        // before it are left to look at.
        for (unsigned e = 0; e < edges; ++e)
            for (unsigned k = 0; k < guard_count_; ++k)
                if (back[e].from > guards_[k].last && back[e].to >= guards_[k].head &&
                    back[e].to <= guards_[k].last)
                    ok[k] = false;
        const std::size_t before = guards_[guard_count_ - 1].head;
        for (std::size_t pc = 0; pc < before; ++pc) {
            const std::size_t t = slots_[pc].target;
            if (t == kNoPc || t <= pc) continue;
            for (unsigned k = 0; k < guard_count_; ++k)
                if (pc < guards_[k].head && t > guards_[k].head && t <= guards_[k].last &&
                    t != guards_[k].entry)
                    ok[k] = false;
        }
        unsigned kept = 0;
        for (unsigned k = 0; k < guard_count_; ++k) {
            if (!ok[k]) continue;
            guards_[kept++] = guards_[k];
            // A count's ADD of -1 leaves its upper half as it is (a rule no ADD has otherwise)
            if (guards_[k].count) {
                std::uint16_t& rule = slots_[guards_[k].step].live;
                rule = static_cast<std::uint16_t>((rule & ~15u) | static_cast<unsigned>(ZeroRule::same));
            }
        }
        guard_count_ = kept;
    }
    /// The count of the loop [head, last] (entered at `entry`) that a count guard can take
    /// (EntryGuard), as the pc of its step (kNoPc: none): the first 64-bit ADD of -1 whose
    /// register a 64-bit jeq or jne with 0 tests in the same block (the step's own test, not
    /// one that other paths share), with no other instruction of the loop reading or writing
    /// that register, and no way out of the loop but that test's edge where it is 0.
    [[nodiscard]] std::size_t count_step(std::size_t head, std::size_t last,
                                         std::size_t entry) const noexcept {
        std::size_t step = kNoPc, test = kNoPc;
        const auto tests = [&](std::size_t q, unsigned c) {
            const isa::OpInfo& t = row(q);
            return (t.op == Op::jeq || t.op == Op::jne) && t.width == 64 && t.form == isa::Form::cond_imm &&
                   code_[q].imm == 0 && code_[q].dst() == c;
        };
        for (std::size_t pc = head; pc <= last && test == kNoPc; ++pc) {
            const isa::OpInfo& r = row(pc);
            if (r.op != Op::add || r.width != 64 || r.form != isa::Form::dst_imm || code_[pc].imm != -1)
                continue;
            const unsigned c = code_[pc].dst();
            for (std::size_t q = pc + 1; q <= last && !leader(q) && test == kNoPc; ++q) {  // after it
                if (tests(q, c))
                    test = q;
                else if (touches(q, c))
                    break;
            }
            for (std::size_t q = pc; q > head && !leader(q) && test == kNoPc;) {  // or before it
                if (tests(--q, c))
                    test = q;
                else if (touches(q, c))
                    break;
            }
            step = test != kNoPc ? pc : kNoPc;
        }
        if (test == kNoPc) return kNoPc;
        const unsigned c = code_[step].dst();
        // Where the test goes when the count is 0 (or a `ja` there that only the test comes to:
        // `jne n, 0, +1; ja out`; not the entry, which code before the loop comes to)
        const std::size_t zero = row(test).op == Op::jeq ? slots_[test].target : slots_[test].next;
        if (zero == entry) return kNoPc;
        const std::size_t out = zero >= head && zero <= last && row(zero).op == Op::ja ? zero : kNoPc;
        for (std::size_t pc = head; pc <= last; ++pc) {  // (an lddw's second slot: nothing)
            if (pc == step) continue;
            if (pc != test && touches(pc, c)) return kNoPc;
            for (const std::size_t q : {slots_[pc].next, slots_[pc].target}) {
                if (q == kNoPc || (pc == test && q == zero)) continue;
                if (q == out || ((q < head || q > last) && pc != out)) return kNoPc;
            }
        }
        return step;
    }
    /// Whether the instruction at pc reads or writes register r (either half).
    [[nodiscard]] bool touches(std::size_t pc, unsigned r) const noexcept {
        const unsigned f = kLoFacts[slots_[pc].id];
        const auto next = static_cast<LoNext>(f & 7);
        if (next == lo_local) return true;
        const std::uint32_t written = next == lo_helper          ? 1u  // R0 out
                                      : (f & kLoDefinesDst) != 0 ? 1u << code_[pc].dst()
                                                                 : 0u;
        return ((lo_reads(f, code_[pc]) | written) & (1u << r)) != 0 ||
               ((slots_[pc].at | slots_[pc].at >> 10) & bit(r)) != 0;  // (its upper halves)
    }
    /// The pointer guard whose entry is pc, if any (kMaxGuards: none).
    [[nodiscard]] unsigned guard_at(std::size_t pc) const noexcept {
        unsigned k = 0;
        while (k < guard_count_ && (guards_[k].entry != pc || guards_[k].count)) ++k;
        return k < guard_count_ ? k : kMaxGuards;
    }
    /// Options::loop_registers: the innermost loops [head, last] (no other back edge's target
    /// inside; none when some back edges were not recorded) that code elsewhere enters at one
    /// instruction only, that call no local functions (whose code has the program's choice;
    /// helper calls are fine, and an exit moves the halves back first), and
    /// that go out to at most kMaxPads places. choose_registers() gives them their own choice.
    void find_loop_maps(const BackEdge* back, unsigned edges) noexcept {
        if (!options_.loop_registers || edges > kMaxLoopEdges) return;
        unsigned count = 0;
        // A loop ends at the furthest jump back to its head before the next jump's target back
        // (a jump back to the head from further on enters the loop from outside).
        for (unsigned e = 0; e < edges && count < kMaxLoopMaps; ++e) {
            const std::uint16_t head = back[e].to;
            std::size_t next = kNoPc;  // the nearest target of a jump back after the head
            bool first = true;
            for (unsigned k = 0; k < edges; ++k) {
                first = first && !(back[k].to == head && k < e);
                if (back[k].to > head && back[k].to < next) next = back[k].to;
            }
            std::uint16_t last = 0;
            for (unsigned k = 0; k < edges; ++k)
                if (back[k].to == head && back[k].from < next) last = std::max(last, back[k].from);
            // (choose_registers() keeps a bit per instruction)
            if (!first || last == 0 || last - head >= 64) continue;
            unsigned at = count++;  // (innermost loops never overlap: ordered by head, they are apart)
            for (; at > 0 && loop_maps_[at - 1].head > head; --at) loop_maps_[at] = loop_maps_[at - 1];
            loop_maps_[at] = LoopMap{head, last, kNoPc, {}, 0, 0};
        }
        // A program's only loop already weighs most in the program's choice.
        if (count == 0) return;
        bool other_loops = false;
        for (unsigned k = 0; k < edges; ++k) other_loops = other_loops || back[k].to != loop_maps_[0].head;
        if (count == 1 && !other_loops) return;
        bool ok[kMaxLoopMaps];
        std::uint16_t exits[kMaxLoopMaps][kMaxPads];
        unsigned exit_count[kMaxLoopMaps] = {};
        for (unsigned k = 0; k < count; ++k) {
            ok[k] = true;
            for (std::size_t f : prog_.functions())  // (calls would enter there)
                if (loop_maps_[k].head <= f && f <= loop_maps_[k].last) ok[k] = false;
        }
        const auto loop_of = [&](std::size_t pc) {
            unsigned k = 0;
            while (k < count && !in_loop(loop_maps_[k], pc)) ++k;
            return k;
        };
        const auto enter = [&](unsigned j, std::uint16_t to) {
            LoopMap& l = loop_maps_[j];
            if (l.entry != kNoPc && l.entry != to) ok[j] = false;
            l.entry = to;
        };
        const std::size_t n = code_.size();
        for (std::size_t pc = 0, in = 0; pc < n; ++pc) {
            while (in < count && loop_maps_[in].last < pc) ++in;
            const Slot& s = slots_[pc];
            if (in == count || pc < loop_maps_[in].head) {  // outside: jumps in, or falling into a head
                if (s.target != kNoPc) {
                    if (const unsigned j = loop_of(s.target); j < count) enter(j, s.target);
                }
                if (in < count && s.next == loop_maps_[in].head) enter(static_cast<unsigned>(in), s.next);
                continue;
            }
            const auto k = static_cast<unsigned>(in);
            const Op op = row(pc).op;
            if (op == Op::call_local) ok[k] = false;  // (helpers use the loop's choice; exits: emit())
            for (const std::uint16_t to : {s.next, s.target}) {
                if (to == kNoPc || in_loop(loop_maps_[k], to)) continue;
                unsigned x = 0;  // a way out
                while (x < exit_count[k] && exits[k][x] != to) ++x;
                if (x == kMaxPads)
                    ok[k] = false;
                else if (x == exit_count[k])
                    exits[k][exit_count[k]++] = to;
                if (const unsigned j = loop_of(to); j < count) enter(j, to);
            }
        }
        for (unsigned k = 0; k < count; ++k) {
            const LoopMap& l = loop_maps_[k];
            // A loop compiled twice (version_loops) may be one: both copies run with its choice.
            for (unsigned e = 0; e < edge_count_; ++e) {
                const LoopEdge& v = loop_edges_[e];
                const bool same = v.head == l.head && v.back == l.last && v.entry == l.entry;
                ok[k] = ok[k] && (same || v.back < l.head || v.head > l.last);
            }
            // (a guard at the same head comes first, from the program's places, to the same entry)
            for (unsigned g = 0; g < guard_count_; ++g)
                ok[k] =
                    ok[k] && !(guards_[g].active && guards_[g].head == l.head && guards_[g].entry != l.entry);
            if (ok[k] && l.entry != kNoPc) loop_maps_[loop_map_count_++] = l;
        }
    }
    /// Upper halves live after the instruction at pc.
    [[nodiscard]] std::uint32_t succ_live(std::size_t pc) const noexcept {
        const Slot& s = slots_[pc];
        const std::uint32_t t = s.target != kNoPc ? slots_[s.target].live : 0u;
        return (t | (s.next != kNoPc ? slots_[s.next].live : 0u)) & kAllHi;
    }

    /// How an instruction changes which upper halves are known to be 0: ALU32 results,
    /// zero-extending loads and non-negative constants give 0; AND, OR, XOR, MOV, unsigned
    /// shifts and divisions keep it. Alongside, the registers known to be at most 2^32 - 2
    /// ("bounded": upper half 0 and lower half not all ones), so that adding 1 keeps the upper
    /// half 0: small constants and loads give them (`bounded`), a 64-bit MOV copies them, and a
    /// conditional jump gives them on the edge where its operands compare below a 32-bit bound
    /// (`branch`: a loop counter under its limit). `inc` is a 64-bit ADD of 1 to kMaxStep. For
    /// a register with such an ADD of 2 or more (a pointer stepping through words, `stepped_`),
    /// bounded means below 2^32 - 2^15, as a checked base is: only checks, loads of at most 16
    /// bits and copies of such registers give it.
    static constexpr std::int32_t kMaxStep = 0x7fff;
    enum class ZeroRule : std::uint8_t {
        same,
        gen,
        kill,
        copy,
        either,
        both,
        call,
        atomic32,
        atomic64,
        bounded,
        inc,
        branch,
        // An access through a base register that passed its check (an offset <= 0, another
        // register than dst and r10): the base then points at most 32 KiB past a region,
        // below kRegionCeiling + 2^15, so its upper half is 0 and it is bounded. The load's
        // own rule for dst is gen, bounded or kill. (Last, in this order: checked_access()
        // maps them by position.)
        load_gen,
        load_bounded,
        load_kill,
        checked_store
    };
    /// The instruction's ZeroRule and what keep_zero_upper_halves() looks at: kRuleWrites (an
    /// ALU operation or a load writing dst), kRuleJump64 (a 64-bit conditional jump). Above
    /// them (kBoundShift), `live` holds the bounded registers on entry during the analysis.
    static constexpr std::uint16_t kRuleWrites = 1u << 4, kRuleJump64 = 1u << 5;
    static constexpr unsigned kBoundShift = 6;
    static constexpr std::uint16_t kBoundMask = kAllHi << kBoundShift;
    /// A set of ZeroRules, a bit each.
    static constexpr unsigned rule_set(auto... kinds) noexcept {
        return ((1u << static_cast<unsigned>(kinds)) | ...);
    }
    /// The ZeroRule of an instruction (row r, immediate imm; an lddw's second one: next_imm)
    /// with kRuleWrites and kRuleJump64.
    [[nodiscard]] static constexpr std::uint16_t zero_rule(const isa::OpInfo& r, std::int32_t imm,
                                                           std::int32_t next_imm) noexcept {
        const bool writes = isa::is_alu(r.op) || r.op == Op::lddw || r.op == Op::ldx;
        const bool jump64 = isa::is_conditional_jump(r.op) && r.width == 64;
        return static_cast<std::uint16_t>(static_cast<unsigned>(zero_rule_of(r, imm, next_imm)) |
                                          (writes ? kRuleWrites : 0u) | (jump64 ? kRuleJump64 : 0u));
    }
    /// The rule of a load or store (rule: its kind for a checked base): that rule when the
    /// offset is 0 or below and the base is another register than dst and r10, else the rule
    /// of an access that says nothing of its base.
    [[nodiscard]] static std::uint16_t checked_access(std::uint16_t rule, const Insn& insn) noexcept {
        const auto kind = static_cast<ZeroRule>(rule & 15);
        const bool store = kind == ZeroRule::checked_store;
        const unsigned base = store ? insn.dst() : insn.src();
        if (insn.off <= 0 && base != isa::kFramePointer && (store || base != insn.dst())) return rule;
        constexpr ZeroRule kUnchecked[] = {ZeroRule::gen, ZeroRule::bounded, ZeroRule::kill, ZeroRule::same};
        const ZeroRule plain =
            kUnchecked[static_cast<unsigned>(kind) - static_cast<unsigned>(ZeroRule::load_gen)];
        return static_cast<std::uint16_t>((rule & ~15u) | static_cast<unsigned>(plain));
    }
    [[nodiscard]] static constexpr ZeroRule zero_rule_of(const isa::OpInfo& r, std::int32_t imm,
                                                         std::int32_t next_imm) noexcept {
        const Op op = r.op;
        const bool reg = r.form == isa::Form::dst_src;
        const bool nonneg = imm >= 0;
        if (isa::is_alu(op)) {
            if (op == Op::le || op == Op::be || op == Op::bswap)
                return imm != 64 ? ZeroRule::gen : op == Op::le ? ZeroRule::same : ZeroRule::kill;
            // A constant result or mask other than all ones (ALU32) or below 2^31 (64-bit)
            if ((op == Op::mov || op == Op::and_) && !reg && (r.width == 32 ? imm != -1 : nonneg))
                return ZeroRule::bounded;
            if (r.width == 32) return ZeroRule::gen;
            switch (op) {
                case Op::mov:
                    return reg ? ZeroRule::copy : ZeroRule::kill;
                case Op::add:
                    return !reg && imm >= 1 && imm <= kMaxStep ? ZeroRule::inc : ZeroRule::kill;
                case Op::and_:
                    return reg ? ZeroRule::either : ZeroRule::same;
                case Op::or_:
                case Op::xor_:
                    return reg ? ZeroRule::both : nonneg ? ZeroRule::same : ZeroRule::kill;
                case Op::rsh:
                    return !reg && (imm & 63) >= 32 ? ZeroRule::gen : ZeroRule::same;
                case Op::arsh:  // a non-negative value stays non-negative
                case Op::div:   // unsigned (sdiv and smod are other ops): at most the dividend
                case Op::mod:
                    return ZeroRule::same;
                default:
                    return ZeroRule::kill;
            }
        }
        if (op == Op::lddw)
            return next_imm != 0 ? ZeroRule::kill : imm != -1 ? ZeroRule::bounded : ZeroRule::gen;
        // (as accesses through a checked base: checked_access() decides)
        if (op == Op::ldx)
            return r.width == 64   ? ZeroRule::load_kill
                   : r.width == 32 ? ZeroRule::load_gen
                                   : ZeroRule::load_bounded;
        if (op == Op::ldxs) return ZeroRule::load_kill;
        if (op == Op::st || op == Op::stx) return ZeroRule::checked_store;
        if (is_call(op)) return ZeroRule::call;
        if (isa::is_atomic(op)) return r.width == 32 ? ZeroRule::atomic32 : ZeroRule::atomic64;
        if (isa::is_conditional_jump(op)) return ZeroRule::branch;
        return ZeroRule::same;
    }
    /// Upper halves known to be 0 after the instruction at pc (rule: its zero_rule(); regs: its
    /// register byte), given z before and b, the bounded registers before (def: the
    /// instruction's upper-half def, from hi_effect()).
    [[nodiscard]] static std::uint32_t zero_after(std::uint32_t rule, unsigned regs, std::uint32_t z,
                                                  std::uint32_t b, std::uint32_t def) noexcept {
        const std::uint32_t d = bit(regs & 15);
        const bool kept = (z & d) != 0, zs = (z & bit(regs >> 4)) != 0;
        switch (static_cast<ZeroRule>(rule & 15)) {
            case ZeroRule::same:
            case ZeroRule::branch:
                return z;
            case ZeroRule::gen:
            case ZeroRule::bounded:
            case ZeroRule::checked_store:  // d is the base
                return z | d;
            case ZeroRule::load_gen:
            case ZeroRule::load_bounded:
                return z | d | bit(regs >> 4);
            case ZeroRule::load_kill:
                return (z & ~d) | bit(regs >> 4);
            case ZeroRule::kill:
                return z & ~d;
            case ZeroRule::copy:
                return zs ? z | d : z & ~d;
            case ZeroRule::either:
                return kept || zs ? z | d : z & ~d;
            case ZeroRule::both:
                return kept && zs ? z | d : z & ~d;
            case ZeroRule::inc:  // x bounded, so x + k < 2^32
                return (z & ~d) | (b & d);
            case ZeroRule::call:
                return z & ~0x3fu;    // R0-R5 come back changed; R6-R9 are kept
            case ZeroRule::atomic32:  // 32-bit fetches zero-extend
                return z | def;
            case ZeroRule::atomic64:
                break;
        }
        return z & ~def;
    }
    /// Bounded registers after an instruction that is not a conditional jump (z: known-zero
    /// upper halves after it): any register it writes loses the fact unless it is `bounded` or
    /// a copy of a bounded one. (A stepped register is bounded only below 2^32 - 2^15: by a
    /// check, a load of at most 16 bits or a copy of such a register.)
    [[nodiscard]] static std::uint32_t bounded_after(std::uint32_t rule, unsigned regs, std::uint32_t z,
                                                     std::uint32_t b, std::uint32_t def,
                                                     std::uint32_t stepped) noexcept {
        const std::uint32_t d = bit(regs & 15);
        const auto kind = static_cast<ZeroRule>(rule & 15);
        std::uint32_t out = b & ~def & ~((rule & kRuleWrites) ? d : 0u);
        constexpr unsigned kBoundsDst =
            rule_set(ZeroRule::bounded, ZeroRule::load_bounded, ZeroRule::checked_store);
        constexpr unsigned kBoundsSrc =
            rule_set(ZeroRule::load_gen, ZeroRule::load_bounded, ZeroRule::load_kill);
        const std::uint32_t s = bit(regs >> 4);
        if ((((kBoundsDst >> static_cast<unsigned>(kind)) & 1) &&
             (kind != ZeroRule::bounded || !(stepped & d))) ||
            (kind == ZeroRule::copy && (b & s) && (!(stepped & d) || (stepped & s))))
            out |= d;
        if ((kBoundsSrc >> static_cast<unsigned>(kind)) & 1) out |= s;
        return out & z;
    }
    /// Bounded registers on the two edges of the conditional jump at pc, from b before (z:
    /// known-zero upper halves). x < y with y < 2^32, or x <= y with y <= 2^32 - 2, bounds x;
    /// for a 32-bit jump the compared lower halves bound x when its upper half is 0. Signed
    /// jumps and jset give nothing.
    void branch_bounds(std::size_t pc, std::uint32_t z, std::uint32_t b, std::uint32_t& taken,
                       std::uint32_t& fall) const noexcept {
        const isa::OpInfo& r = row(pc);
        const Insn& insn = code_[pc];
        const bool wide = r.width == 64, reg = r.form == isa::Form::cond_src;
        const std::uint32_t d = bit(insn.dst()), s = reg ? bit(insn.src()) : 0u;
        // y is below 2^32 (lt) or at most 2^32 - 2 (le): dst's bound by src or the constant
        const bool s_lt = reg ? !wide || (z & s) : !wide || insn.imm >= 0;
        const bool s_le = reg ? (b & s) != 0 : wide ? insn.imm >= 0 : insn.imm != -1;
        // and src's bound by dst (nothing for a constant)
        const bool d_lt = reg && (!wide || (z & d)), d_le = reg && (b & d);
        std::uint32_t t = 0, f = 0;
        switch (r.op) {
            case Op::jlt:  // taken: dst < src
                t = s_lt ? d : 0u;
                break;
            case Op::jge:  // not taken: dst < src
                f = s_lt ? d : 0u;
                break;
            case Op::jle:  // taken: dst <= src; not taken: src < dst
                t = s_le ? d : 0u;
                f = d_lt ? s : 0u;
                break;
            case Op::jgt:  // taken: src < dst; not taken: dst <= src
                t = d_lt ? s : 0u;
                f = s_le ? d : 0u;
                break;
            case Op::jeq:  // taken: equal
                t = (s_le ? d : 0u) | (d_le ? s : 0u);
                break;
            case Op::jne:
                f = (s_le ? d : 0u) | (d_le ? s : 0u);
                break;
            default:
                break;
        }
        taken = (b | (t & ~stepped_)) & z;  // (what they give is not below 2^32 - 2^15)
        fall = (b | (f & ~stepped_)) & z;
    }
    // ---- small values and frame addresses ----------------------------------------------------

    /// What small_values() knows of a register's value, in two bits (bit r of `low` and of
    /// `high`), so that where ways join the classes meet with ANDs (join()):
    enum class Small : std::uint8_t {
        none = 0,     // nothing
        below16 = 1,  // below 2^16
        frame = 2,    // r10 plus a constant in [-stack_frame_size, 0] (see small_step())
        below8 = 3,   // below 2^8
    };
    struct Classes {
        std::uint32_t low = 0, high = 0;
    };
    [[nodiscard]] static Classes join(Classes a, Classes b) noexcept {
        return {a.low & b.low, a.high & b.high & ~(a.low ^ b.low)};  // below 2^8 and a frame: none
    }
    [[nodiscard]] static Small small_of(Classes v, unsigned r) noexcept {
        return static_cast<Small>(((v.low >> r) & 1) | ((v.high >> r) & 1) << 1);  // (r10: frame)
    }
    [[nodiscard]] static constexpr bool below16(Small c) noexcept {
        return (static_cast<unsigned>(c) & 1) != 0;
    }
    [[nodiscard]] static constexpr Small small_constant(std::uint64_t x) noexcept {
        return x < 0x100 ? Small::below8 : x < 0x10000 ? Small::below16 : Small::none;
    }
    /// What an instruction does to the classes (kSmallOps): the operation, and for ALU
    /// operations whether the operand is the immediate and whether it is 64-bit.
    enum SmallOp : std::uint8_t {
        small_none,     // writes no register
        small_clobber,  // dst: nothing known
        small_mov,
        small_and,
        small_or,  // and XOR
        small_add,
        small_sub,
        small_mul,
        small_lsh,
        small_rsh,
        small_keep,  // ARSH, DIV, MOD: a value below 2^16 stays below its bound
        small_swap,  // LE, BE, BSWAP
        small_load8,
        small_load16,
        small_lddw,
        small_call,
        small_atomic,
    };
    static constexpr std::uint8_t kSmallImm = 0x40, kSmallWide = 0x80;
    [[nodiscard]] static constexpr unsigned small_alu_op(Op op) noexcept {
        constexpr struct {
            Op op;
            SmallOp small;
        } kAlu[] = {{Op::mov, small_mov},   {Op::and_, small_and}, {Op::or_, small_or},
                    {Op::xor_, small_or},   {Op::add, small_add},  {Op::sub, small_sub},
                    {Op::mul, small_mul},   {Op::lsh, small_lsh},  {Op::rsh, small_rsh},
                    {Op::arsh, small_keep}, {Op::div, small_keep}, {Op::mod, small_keep},
                    {Op::le, small_swap},   {Op::be, small_swap},  {Op::bswap, small_swap}};
        for (const auto& m : kAlu)
            if (m.op == op) return m.small;
        return small_clobber;
    }
    static constexpr std::array<std::uint8_t, isa::kOpCount + 1> kSmallOps = [] {
        std::array<std::uint8_t, isa::kOpCount + 1> t{};
        for (std::size_t i = 0; i < isa::kOpCount; ++i) {
            const isa::OpInfo& r = isa::kOps[i];
            unsigned s = small_none;
            if (isa::is_alu(r.op)) {
                s = small_alu_op(r.op);
                s |= (r.form == isa::Form::dst_imm ? kSmallImm : 0u) | (r.width == 64 ? kSmallWide : 0u);
            } else if (r.op == Op::ldx) {
                s = r.width == 8 ? small_load8 : r.width == 16 ? small_load16 : small_clobber;
            } else if (r.op == Op::ldxs) {
                s = small_clobber;
            } else if (r.op == Op::lddw) {
                s = small_lddw;
            } else if (is_call(r.op)) {
                s = small_call;
            } else if (isa::is_atomic(r.op)) {
                s = small_atomic;
            }
            t[i] = static_cast<std::uint8_t>(s);
        }
        return t;
    }();
    /// small_values()'s step over the instruction at pc: v (the classes; r10's is always
    /// frame) and copies (the registers holding a copy of r10 in this block, r10 among them)
    /// after it. r10 is at least one frame above the stack's bottom (at or above 0) and at most
    /// the stack's top (at most kRegionCeiling, jit::run), so r10 plus a constant in
    /// [-stack_frame_size, 0] is a frame address, and that plus less than 2^16 is below 2^32.
    /// A 64-bit ALU operation's ZeroRule becomes `bounded` for a result below 2^16 and `gen`
    /// for one below 2^32 (the known-zero upper halves then follow it), else what zero_rule()
    /// gives.
    [[gnu::always_inline]] void small_step(std::size_t pc, Classes& v, std::uint32_t& copies) noexcept {
        const std::uint8_t op = kSmallOps[slots_[pc].id];
        if (op == small_none) return;
        const Insn& insn = code_[pc];
        const unsigned d = insn.dst();
        std::uint32_t written = 1u << d;
        Small c = Small::none;
        bool fits = false;  // below 2^32 without a class
        switch (op & 31) {  // what writes something other than an ALU result to dst
            case small_clobber:
                break;
            case small_load8:
                c = Small::below8;
                break;
            case small_load16:
                c = Small::below16;
                break;
            case small_lddw:
                c = small_constant(static_cast<std::uint32_t>(insn.imm) |
                                   static_cast<std::uint64_t>(code_[pc + 1].imm) << 32);
                break;
            case small_call:
                written = 0x3f;  // R0-R5
                break;
            case small_atomic:
                written = 1u | 1u << insn.src();  // a fetch writes src, a compare-exchange R0
                break;
            default:
                c = small_alu(pc, op, v, copies, fits);
                break;
        }
        copies &= ~written;
        if (op == (small_mov | kSmallWide) || op == small_mov)  // (r10 < 2^32: a MOV32 copies it too)
            copies |= ((copies >> insn.src()) & 1) << d;
        const auto cls = static_cast<unsigned>(c);
        v.low = (v.low & ~written) | (cls & 1u) << d;
        v.high = (v.high & ~written) | (cls >> 1) << d;
        if (op < kSmallWide) return;
        Slot& slot = slots_[pc];
        auto kind = static_cast<ZeroRule>(slot.live & 15);
        if (kind == ZeroRule::inc) return;
        if (below16(c)) {
            kind = ZeroRule::bounded;
        } else if (c == Small::frame || fits) {
            if (kind != ZeroRule::bounded) kind = ZeroRule::gen;
        } else if (kind == ZeroRule::gen || kind == ZeroRule::bounded) {  // (from an earlier sweep?)
            const std::uint8_t rule = kFacts[slot.id].rule;
            kind = static_cast<ZeroRule>((rule & kByImm ? zero_rule(row(pc), insn.imm, 0) : rule) & 15);
        }
        slot.live = static_cast<std::uint16_t>((slot.live & ~15u) | static_cast<unsigned>(kind));
    }
    /// The class of an ALU operation's result (op: its SmallOp), or Small::none with `fits`
    /// when it is below 2^32 for another reason.
    [[gnu::always_inline]] Small small_alu(std::size_t pc, std::uint8_t op, Classes v, std::uint32_t copies,
                                           bool& fits) const noexcept {
        const Insn& insn = code_[pc];
        const unsigned d = insn.dst();
        const bool wide = op >= kSmallWide, imm = (op & kSmallImm) != 0;
        const Small a = small_of(v, d);
        const Small b =
            !imm ? small_of(v, insn.src())
                 : small_constant(wide ? static_cast<std::uint64_t>(static_cast<std::int64_t>(insn.imm))
                                       : static_cast<std::uint32_t>(insn.imm));
        const bool copy = ((copies >> d) & 1) != 0;
        const unsigned n = static_cast<unsigned>(insn.imm) & (wide ? 63u : 31u), width = wide ? 64u : 32u;
        constexpr auto kFrame = static_cast<std::int32_t>(C.stack_frame_size);
        switch (op & 31) {
            case small_mov:
                return b;
            case small_and:
                return a == Small::below8 || b == Small::below8 ? Small::below8
                       : below16(a) || below16(b)               ? Small::below16
                                                                : Small::none;
            case small_or:
                if (!below16(a) || !below16(b)) return Small::none;
                return a == Small::below8 && b == Small::below8 ? a : Small::below16;
            case small_add:
                if (copy && imm && insn.imm >= -kFrame && insn.imm <= 0) return Small::frame;
                fits = (a == Small::frame && below16(b)) || (b == Small::frame && below16(a));
                return a == Small::below8 && b == Small::below8 ? Small::below16 : Small::none;
            case small_sub:
                return copy && imm && insn.imm >= 0 && insn.imm <= kFrame ? Small::frame : Small::none;
            case small_mul:
                return a == Small::below8 && b == Small::below8 ? Small::below16 : Small::none;
            case small_lsh:
                if (!imm) return Small::none;
                return n == 0 ? a : a == Small::below8 && n <= 8 ? Small::below16 : Small::none;
            case small_rsh:
                if (below16(a)) return a == Small::below16 && imm && n >= 8 ? Small::below8 : a;
                if (!imm) return Small::none;
                return n + 8 >= width ? Small::below8 : n + 16 >= width ? Small::below16 : Small::none;
            case small_keep:  // (an ARSH of a value below 2^16 is a logical shift; x / 0 = 0, x % 0 = x)
                return below16(a) ? a : Small::none;
            case small_swap:
                return insn.imm == 16 ? Small::below16 : Small::none;
            default:
                return Small::none;
        }
    }
    /// Classes of register values (Small) forward to a fixed point, block by block: a block
    /// leader's classes on entry wait in its slot's known-zero and bound fields (`low` in
    /// kZeroMask, `high` in kBoundMask, which known_zero_upper_halves() starts from all ones
    /// again) and kDirty, set while no way into it has been followed. So LLVM's `r = r10;
    /// r += -K; r += i << 2` into a stack array, i masked to a few bits, is known to be below
    /// 2^32, and code through r checks its address in 32 bits.
    void small_values() noexcept {
        const std::size_t n = code_.size();
        constexpr std::uint32_t kR10 = 1u << isa::kFramePointer;
        const auto store = [this](std::size_t q, Classes v) {
            Slot& t = slots_[q];
            t.at = (t.at & ~(kZeroMask | kDirty)) | (v.low & kAllHi) << kZeroShift;
            t.live = static_cast<std::uint16_t>((t.live & ~kBoundMask) | (v.high & kAllHi) << kBoundShift);
        };
        for (std::size_t f : prog_.functions()) store(f, Classes{});
        // Each sweep starts at the earliest leader whose classes changed after the sweep before
        // passed it (they only shrink, so this ends).
        for (std::size_t from = 0; from < n;) {
            std::size_t again = n;
            const auto meet = [&](std::size_t q, std::size_t pc, Classes v) {
                Slot& t = slots_[q];
                if (!(t.at & kDirty)) {
                    const Classes old{(t.at & kZeroMask) >> kZeroShift,
                                      static_cast<std::uint32_t>(t.live & kBoundMask) >> kBoundShift};
                    v = join(old, v);
                    if (v.low == old.low && v.high == old.high) return;
                }
                store(q, v);
                if (q <= pc) again = std::min(again, q);
            };
            Classes v{};
            std::uint32_t copies = kR10;
            bool reached = false, falls = false;  // falls: the instruction before falls through to pc
            for (std::size_t pc = from; pc < n;) {
                const Slot& s = slots_[pc];
                if (s.flags & kLeader) {
                    if (falls) meet(pc, pc - 1, v);
                    reached = !(s.at & kDirty);
                    v = {(s.at & kZeroMask) >> kZeroShift,
                         (static_cast<std::uint32_t>(s.live & kBoundMask) >> kBoundShift) |
                             kR10};  // r10: frame
                    copies = kR10;
                }
                const std::size_t next = s.next;
                falls = reached && next != kNoPc;
                if (reached) {
                    small_step(pc, v, copies);
                    if (s.target != kNoPc) meet(s.target, pc, v);
                }
                pc = next != kNoPc ? next : pc + 1;  // (an lddw's next is 2 on)
            }
            from = again;
        }
        for (std::size_t pc = 0; pc < n; ++pc) {
            if (!leader(pc)) continue;
            slots_[pc].at |= kZeroMask | kDirty;
            slots_[pc].live |= kBoundMask;
        }
    }

    /// Known-zero upper halves and bounded registers, forward to a fixed point (the sets only
    /// shrink; function starts know nothing). Two uses: an instruction whose destination's
    /// upper half is 0 before and after leaves it alone (kKeepsHi: neither written nor, for
    /// MOV/AND/OR/XOR and the ADD of 1, read), and a 64-bit jump whose operands' upper halves are
    /// 0 compares the lower halves (kNarrowJump). Both take the upper halves they no longer read
    /// out of the instruction's use/def in `at`.
    void known_zero_upper_halves() noexcept {
        for (std::size_t f : prog_.functions()) {  // function_starts[0] is 0
            slots_[f].at &= ~kZeroMask;
            slots_[f].live &= ~kBoundMask;
        }
        // Only registers with an ADD of 1 read their bounds: the others start (and stay) without,
        // so that no sweep is spent on them; without any, the bounds are left alone.
        if (incremented_ == 0) {
            known_zero_sweeps<false>();
            return;
        }
        const auto keep = static_cast<std::uint16_t>(incremented_ << kBoundShift | ~kBoundMask);
        for (std::size_t pc = 0; pc < code_.size(); ++pc) slots_[pc].live &= keep;
        known_zero_sweeps<true>();
    }
    /// Sweeps in program order, each visiting the instructions whose input changed (kDirty;
    /// the first sweep all): only a change at a back-edge target needs another sweep.
    template <bool kBounds>
    void known_zero_sweeps() noexcept {
        const std::size_t n = code_.size();
        Slot* const slots = slots_;
        // The successor q's input meets z and b (in their places in `at` and `live`); true when
        // q changed and comes at or before pc.
        const auto meet = [slots](std::size_t q, std::size_t pc, std::uint32_t z, std::uint32_t b) {
            if (q == kNoPc) return false;
            Slot& t = slots[q];
            const std::uint32_t at = t.at, live = kBounds ? t.live : 0u;
            if ((at & ~z & kZeroMask) == 0 && (!kBounds || (live & ~b & kBoundMask) == 0)) return false;
            t.at = (at & (z | ~kZeroMask)) | kDirty;
            if (kBounds) t.live = static_cast<std::uint16_t>(live & (b | ~kBoundMask));
            return q <= pc;
        };
        const std::size_t guarded_below = guard_count_ != 0 ? guards_[guard_count_ - 1].head : 0;
        // A sweep after the first starts at the earliest instruction that changed behind one.
        for (std::size_t from = 0; from < n;) {
            std::size_t again = n;
            for (std::size_t pc = from; pc < n; ++pc) {
                Slot& s = slots[pc];
                if ((s.at & kDirty) == 0) continue;  // second slots are never dirty
                s.at &= ~kDirty;
                const std::uint32_t rule = s.live, regs = code_[pc].regs;
                const std::uint32_t z = (s.at & kZeroMask) >> kZeroShift, b = rule >> kBoundShift;
                const std::uint32_t def = (s.at >> 10) & kAllHi;
                const std::uint32_t out = zero_after(rule, regs, z, b, def);
                std::uint32_t taken = 0, fall = 0;
                if constexpr (kBounds) {
                    if (static_cast<ZeroRule>(rule & 15) == ZeroRule::branch)
                        branch_bounds(pc, out, b, taken, fall);
                    else
                        taken = fall = bounded_after(rule, regs, out, b, def, stepped_);
                }
                std::uint32_t out_next = out, out_target = out;
                if (pc < guarded_below) [[unlikely]] {
                    out_next |= guarded(pc, s.next, out);
                    out_target |= guarded(pc, s.target, out);
                }
                if (meet(s.next, pc, out_next << kZeroShift, fall << kBoundShift))
                    again = std::min<std::size_t>(again, s.next);
                if (meet(s.target, pc, out_target << kZeroShift, taken << kBoundShift))
                    again = std::min<std::size_t>(again, s.target);
            }
            from = again;
        }
    }
    /// The registers the guards test on the edge from pc to q (out: known-zero upper halves
    /// after pc): what the guards add there (EntryGuard).
    [[gnu::noinline]] std::uint32_t guarded(std::size_t pc, std::size_t q, std::uint32_t out) noexcept {
        std::uint32_t tested = 0;
        for (unsigned k = 0; k < guard_count_; ++k) {
            EntryGuard& g = guards_[k];
            if (pc >= g.head || q != g.entry) continue;
            g.needed = g.needed || (out & bit(g.base)) == 0;  // (the sets only shrink)
            tested |= bit(g.base);
        }
        return tested;
    }
    /// The upper halves that count guards read where control comes in at pc (they stay live
    /// on the way in; analyse() takes them out again after the liveness sweeps).
    [[nodiscard]] std::uint32_t count_guard_reads(std::size_t pc) const noexcept {
        std::uint32_t m = 0;
        for (unsigned k = 0; k < guard_count_; ++k)
            if (guards_[k].active && guards_[k].count && guards_[k].entry == pc) m |= bit(guards_[k].base);
        return m;
    }
    /// Applies the known-zero upper halves at pc (analyse() calls it once per instruction).
    [[gnu::always_inline]] void keep_zero_upper_halves(std::size_t pc) noexcept {
        std::uint32_t& at = slots_[pc].at;
        const std::uint32_t z = (at & kZeroMask) >> kZeroShift;
        const std::uint32_t rule = slots_[pc].live;
        slots_[pc].live = 0;
        at &= kBackTarget | kUseDef;
        const Insn& insn = code_[pc];
        if (const auto kind = static_cast<ZeroRule>(rule & 15); kind >= ZeroRule::load_gen) {
            const bool store = kind == ZeroRule::checked_store;
            return keep_zero_access(pc, rule, z, store, z & bit(store ? insn.dst() : insn.src()),
                                    kBaseHiZero);
        }
        {
            bool store = false;
            std::uint16_t flag = kBaseHiZero;
            if (const std::uint32_t base = unchecked_base(pc, rule, z, store, flag))
                return keep_zero_access(pc, rule, z, store, base, flag);
        }
        if ((rule & (kRuleWrites | kRuleJump64)) == 0) return;
        const std::uint32_t d = bit(insn.dst()), s = bit(insn.src());
        std::uint32_t use = at & kAllHi, def = (at >> 10) & kAllHi;
        const isa::OpInfo& r = row(pc);
        std::uint16_t flag = 0;
        if (z & d) {
            if (rule & kRuleJump64) {
                const bool src_zero = insn.src() == isa::kFramePointer || (z & s) != 0;
                if (r.form == isa::Form::cond_src ? src_zero : insn.imm >= 0) {
                    flag = kNarrowJump;
                    use &= ~(d | s);
                } else if (r.form == isa::Form::cond_src && mirrors(r.op)) {
                    // only dst's upper half is 0: jump() compares the other way round
                    flag = kDstHiZero;
                    use &= ~d;
                }
            } else if (keeps_hi(rule, insn, z, def, d)) {
                flag = kKeepsHi;
                def &= ~d;
                // (an ADD is ZeroRule::inc, or a count guard's step: ZeroRule::same)
                if (r.width == 64 && (r.op == Op::mov || r.op == Op::and_ || r.op == Op::or_ ||
                                      r.op == Op::xor_ || r.op == Op::add))
                    use &= ~(d | (r.form == isa::Form::dst_src ? s : 0u));
            }
            // A 64-bit shift by a constant of a value below 2^32 reads the lower half only (a
            // shift by 0 emits nothing, so its dst keeps the half it has).
            // So does a 64-bit multiply, which leaves out the product with it.
            if (r.width == 64 &&
                (r.op == Op::mul || (r.form == isa::Form::dst_imm && (insn.imm & 63) != 0 &&
                                     (r.op == Op::lsh || r.op == Op::rsh || r.op == Op::arsh)))) {
                flag |= kDstHiZero;
                use &= ~d;
                // x * x: the source is the same register, its upper half as 0 (use no longer
                // has it, so nothing keeps it up to date).
                if (r.form == isa::Form::dst_src && insn.src() == insn.dst()) flag |= kSrcHiZero;
            }
        }
        // A 64-bit operation with a register whose upper half is 0 (another than dst; r10's
        // always is): OR and XOR leave dst's upper half as it is, AND and MOV make it 0, ADD and SUB
        // and the unsigned and equality jumps take a constant 0 for it (kSrcHiZero; signed
        // jumps only where they compute dst - src), and MUL leaves out the product with it.
        // (kDstHiZero comes only from a multiply here: shifts by a constant have no src.)
        const bool src_zero = insn.src() == isa::kFramePointer || (z & s) != 0;
        if ((flag & ~kDstHiZero) == 0 && src_zero && r.width == 64 && insn.src() != insn.dst() &&
            (r.form == isa::Form::dst_src || r.form == isa::Form::cond_src)) {
            switch (r.op) {
                case Op::or_:
                case Op::xor_:
                    flag = kKeepsHi | kSrcHiZero;
                    def &= ~d;
                    use &= ~(d | s);
                    break;
                case Op::and_:
                    flag = kSrcHiZero;
                    use &= ~(d | s);
                    break;
                case Op::mov:  // dst's upper half becomes 0
                    flag = kSrcHiZero;
                    use &= ~s;
                    break;
                case Op::mul:
                    flag |= kSrcHiZero;
                    use &= ~s;
                    break;
                case Op::add:
                case Op::sub:
                case Op::jeq:
                case Op::jne:
                case Op::jset:
                case Op::jgt:
                case Op::jge:
                case Op::jlt:
                case Op::jle:
                case Op::jslt:
                case Op::jsge:
                    flag = kSrcHiZero;
                    use &= ~s;
                    break;
                default:
                    break;
            }
        }
        if (flag == 0) return;
        slots_[pc].live = flag;
        at = (at & kBackTarget) | use | def << 10;
    }
    /// Whether an instruction that writes dst's upper half (bit d of def, 0 before: z) leaves
    /// it 0 (kKeepsHi).
    [[nodiscard, gnu::always_inline]] static bool keeps_hi(std::uint32_t rule, const Insn& insn,
                                                           std::uint32_t z, std::uint32_t def,
                                                           std::uint32_t d) noexcept {
        return (def & d) != 0 && (zero_after(rule, insn.regs, z, rule >> kBoundShift, def) & d) != 0;
    }
    /// keep_zero_upper_halves() for an access whose base's upper half is known to be 0 (base:
    /// its bit, or 0 when it is not) with an offset of 0 or below, or above 0 with the base
    /// below 2^32 - 2^15 (unchecked_base()): that upper half is not read (kBaseHiZero), and a
    /// load's dst is as for an ALU operation.
    /// (base_flag: kPairBaseHiZero instead, for an access whose own check still reads it.)
    void keep_zero_access(std::size_t pc, std::uint32_t rule, std::uint32_t z, bool store, std::uint32_t base,
                          std::uint16_t base_flag) noexcept {
        std::uint32_t& at = slots_[pc].at;
        const Insn& insn = code_[pc];
        const std::uint32_t d = bit(insn.dst());
        std::uint32_t def = (at >> 10) & kAllHi;
        std::uint16_t flag = base != 0 ? base_flag : 0;
        if (base_flag != kBaseHiZero) base = 0;  // (read by its own check)
        if (!store && (z & d) != 0 && keeps_hi(rule, insn, z, def, d)) {
            flag |= kKeepsHi;
            def &= ~d;
        }
        slots_[pc].live = flag;
        // A guarded entry: the guard reads the upper half where control comes in, so it stays live.
        std::uint32_t unread = base;
        if (guard_count_ != 0 && base != 0) {
            if (const unsigned k = guard_at(pc);
                k < kMaxGuards && guards_[k].needed && bit(guards_[k].base) == base) {
                guards_[k].active = true;
                unread = 0;
            }
        }
        at = (at & kBackTarget) | (at & kAllHi & ~unread) | def << 10;
    }
    /// For a load or store at pc that checked_access() gave the rule of an access saying nothing
    /// of its base (store: it is a store), the bit of that base when its check can still run
    /// in 32 bits (kBaseHiZero), else 0: its upper half is 0, and its offset is 0 or below (a
    /// load into its own base), or above 0 with the base bounded as a stepped register is,
    /// below 2^32 - 2^15 (a check with an offset of 0 or below put it at most 0x7fff past a
    /// region, all of which end at 0xffff0000; a load of at most 16 bits; a copy of such), so
    /// that base + offset, at most 0x7fff more, stays below 2^32.
    /// A load or store with an offset above 0 whose base's upper half is 0 without that bound
    /// gets kPairBaseHiZero instead (flag).
    [[nodiscard]] std::uint32_t unchecked_base(std::size_t pc, std::uint32_t rule, std::uint32_t z,
                                               bool& store, std::uint16_t& flag) const noexcept {
        const auto effect = static_cast<StackEffect>((kFacts[slots_[pc].id].def >> kStackShift) & 7);
        if (effect != stack_load && effect != stack_store) return 0;
        const Insn& insn = code_[pc];
        if (isa::is_atomic(row(pc).op)) return 0;
        store = effect == stack_store;
        const std::uint32_t base = z & bit(store ? insn.dst() : insn.src());
        if (insn.off <= 0 || (base & (rule >> kBoundShift) & stepped_) != 0) return base;
        flag = kPairBaseHiZero;
        return base;
    }
    /// The destination's upper half when the instruction at pc leaves it as it is (kKeepsHi).
    [[nodiscard]] std::uint32_t kept(std::size_t pc) const noexcept {
        return (slots_[pc].live & kKeepsHi) ? bit(code_[pc].dst()) : 0u;
    }
    /// Upper halves to compute for the group of len instructions at p: those live after it,
    /// except a destination that its first writer in the group keeps.
    [[nodiscard]] std::uint32_t group_out(std::size_t p, std::size_t len) const noexcept {
        std::uint32_t keep = 0, seen = 0;
        for (std::size_t k = p; k < p + len; ++k) {
            const std::uint32_t d = bit(code_[k].dst());
            if ((seen & d) == 0) keep |= kept(k);
            seen |= d;
        }
        return succ_live(p + len - 1) & ~keep;
    }
    static constexpr std::uint32_t bit(unsigned r) noexcept { return (1u << r) & kAllHi; }  // r < 16
    /// The operands whose upper halves an instruction reads or writes (hi_parts(): "HiParts").
    static constexpr unsigned hi_dst = 1, hi_src = 2, hi_r0 = 4, hi_args = 8, hi_all = 16, hi_exit = 32;
    /// Upper halves the instruction (row r, immediate imm) reads (use) and always writes (def),
    /// as HiParts. Conservative: anything the emitted code may read counts as a use.
    static constexpr void hi_parts(const isa::OpInfo& r, std::int32_t imm, unsigned& use,
                                   unsigned& def) noexcept {
        const Op op = r.op;
        const bool reg_form = r.form == isa::Form::dst_src || r.form == isa::Form::cond_src;
        use = def = 0;
        if (isa::is_alu(op)) {
            if (op == Op::le || op == Op::be || op == Op::bswap) {
                if (imm == 64)
                    use = hi_dst;
                else
                    def = hi_dst;
                return;
            }
            def = hi_dst;
            if (r.width != 64 || op == Op::movsx) return;
            const bool from_lo_only = op == Op::lsh && !reg_form && (imm & 63) >= 32;
            if (op != Op::mov && !from_lo_only) use = hi_dst;
            if (reg_form && op != Op::lsh && op != Op::rsh && op != Op::arsh) use |= hi_src;
        } else if (isa::is_conditional_jump(op)) {
            if (r.width == 64) use = hi_dst | (reg_form ? hi_src : 0u);
        } else if (op == Op::call || op == Op::callx) {
            use = hi_args | (op == Op::callx ? hi_dst : 0u);
            def = hi_r0;
        } else if (op == Op::call_local) {
            use = hi_all;  // the callee may read anything and leaves R1-R5 to the caller
        } else if (op == Op::exit) {
            use = hi_exit;
        } else if (op == Op::lddw) {
            def = hi_dst;
        } else if (op == Op::ldx || op == Op::ldxs) {
            use = hi_src;
            def = hi_dst;
        } else if (op == Op::st || op == Op::stx) {
            use = hi_dst | (op == Op::stx && r.width == 64 ? hi_src : 0u);
        } else if (isa::is_atomic(op)) {
            const bool wide = r.width == 64;
            use = hi_dst | (wide ? hi_src : 0u);
            if (op == Op::atomic_cmpxchg) {
                use |= wide ? hi_r0 : 0u;
                def = hi_r0;
            } else if (isa::writes_src(op) || (r.select_value & isa::kAtomicFetch)) {
                def = hi_src;
            }
        }
    }
    /// The upper halves that HiParts `parts` name for `insn`.
    [[nodiscard, gnu::always_inline]] std::uint32_t hi_regs(unsigned parts, const Insn& insn) const noexcept {
        std::uint32_t m = (parts & hi_dst) ? bit(insn.dst()) : 0u;
        if (parts & hi_src) m |= bit(insn.src());
        if (parts & (hi_r0 | hi_args | hi_all | hi_exit)) {
            if (parts & hi_r0) m |= 1u;
            if (parts & hi_args) m |= 0x3eu;
            if (parts & hi_all) m |= kAllHi;
            if (parts & hi_exit) m |= prog_.function_count > 1 ? 0x3fu : 1u;  // R0; a caller's R1-R5
        }
        return m;
    }

    /// Per isa::Id, what the analysis's first sweep needs: the zero rule and the upper-half
    /// parts (kByImm: they depend on the immediate and are found per instruction), the stack
    /// effect (in `def` above the parts) and how control goes on (flow_*).
    struct Facts {
        std::uint8_t rule, use, def, flow;
    };
    static constexpr std::uint8_t kByImm = 0x80;
    // In `use` (beside HiParts): the immediate may be a constant the code loads into a register
    // (weigh_constant()).
    static constexpr std::uint8_t kConstantOperand = 0x40;
    static constexpr unsigned kDefParts = 7, kStackShift = 3;          // in `def`: HiParts, StackEffect
    static constexpr std::uint8_t kFieldDst = 0x40, kFieldSrc = 0x80;  // in `def`: the row's fields
    static constexpr unsigned flow_jump = 1,                           // ja or a conditional jump
        flow_ends = 2,                                                 // ja or exit: nothing falls through
        flow_helper = 4,                                               // call or callx
        flow_local = 8,                                                // call_local
        flow_split = 16,                                               // a call or exit: a block of its own
        flow_calls_out = 32,  // a call, or a 64-bit division that calls a routine (clobbering ip)
        flow_lddw = 64,       // two slots
        flow_long = 128;      // ja32: the offset is in imm
    static constexpr std::array<Facts, isa::kOpCount + 1> kFacts = [] {
        std::array<Facts, isa::kOpCount + 1> t{};
        for (std::size_t i = 0; i < isa::kOpCount; ++i) {
            const isa::OpInfo& r = isa::kOps[i];
            const Op op = r.op;
            // The immediates that the rules and parts tell apart (64, -1 and >= 0, 1, shifts by
            // 32 or more) and an lddw's second one (0 or not): a row that gives the same for
            // all of them does not depend on its immediates.
            unsigned use = 0, def = 0;
            hi_parts(r, 0, use, def);
            const std::uint16_t rule = zero_rule(r, 0, 0);
            bool rule_by_imm = false, parts_by_imm = false;
            for (const std::int32_t imm : {0, 1, -1, 32, 63, 64}) {
                unsigned u = 0, d = 0;
                hi_parts(r, imm, u, d);
                parts_by_imm |= u != use || d != def;
                for (const std::int32_t next : {0, 1}) rule_by_imm |= zero_rule(r, imm, next) != rule;
            }
            const bool calls_out =
                is_call(op) || (isa::is_alu(op) && r.width == 64 &&
                                (op == Op::div || op == Op::mod || op == Op::sdiv || op == Op::smod));
            const unsigned flow = (is_jump(op) ? flow_jump : 0u) | (isa::ends_flow(op) ? flow_ends : 0u) |
                                  (op == Op::call || op == Op::callx ? flow_helper : 0u) |
                                  (op == Op::call_local ? flow_local : 0u) |
                                  (is_call(op) || op == Op::exit ? flow_split : 0u) |
                                  (calls_out ? flow_calls_out : 0u) | (op == Op::lddw ? flow_lddw : 0u) |
                                  (r.form == isa::Form::jump_long ? flow_long : 0u);
            const bool constant_operand =
                r.form == isa::Form::cond_imm ||
                (r.form == isa::Form::dst_imm && (add_sub_logic(op) || op == Op::mul || op == Op::mov ||
                                                  (r.width == 32 && (op == Op::div || op == Op::mod))));
            t[i] = Facts{static_cast<std::uint8_t>(rule_by_imm ? kByImm : rule),
                         static_cast<std::uint8_t>((parts_by_imm ? kByImm : use) |
                                                   (constant_operand ? kConstantOperand : 0u)),
                         static_cast<std::uint8_t>(def | stack_effect(r) << kStackShift |
                                                   ((r.fields & isa::kDst) ? kFieldDst : 0u) |
                                                   ((r.fields & isa::kSrc) ? kFieldSrc : 0u)),
                         static_cast<std::uint8_t>(flow)};
        }
        return t;
    }();
    /// Instructions in the block starting at `start`; `lddw` gets bit i set when its i-th is one.
    [[nodiscard]] std::uint32_t block_length(std::size_t start, std::uint16_t* lddw = nullptr,
                                             std::size_t* last = nullptr) const noexcept {
        std::uint32_t count = 0;
        std::uint32_t mask = 0;
        std::size_t pc = start, at = start;
        do {
            const Op op = row(pc).op;
            if (op == Op::lddw && count < 16) mask |= 1u << count;
            ++count;
            at = pc;
            pc += isa::slots(op);
        } while (pc < code_.size() && !leader(pc));
        if (lddw != nullptr) *lddw = static_cast<std::uint16_t>(mask);
        if (last != nullptr) *last = at;
        return count;
    }

    // ---- shared routines, entry ----------------------------------------------------------------

    /// A 16-bit B<c> (B for Cond::al) from `at` to here, emitted there as a placeholder.
    bool land(std::size_t at, Cond c) noexcept {
        const std::int32_t off = rel(pos_, at);
        const Code b = c == Cond::al ? thumb::b_t2(off) : thumb::b_cond_t1(c, off);
        if (!b.ok()) {
            bad_ = true;  // never code with a branch left unresolved
            return false;
        }
        if (!full_) write(at, b);
        return true;
    }
    [[nodiscard]] std::size_t placeholder() noexcept {
        const std::size_t at = pos_;
        put_raw(thumb::b_t2(0));
        return at;
    }

    void shared_routines() noexcept {
        using namespace thumb;
        // Without local calls every exit finds SP where the entry left it, or 14 words below
        // when the slow routine fails (dropped on the way to fault_exit, with r0 = 0, which
        // the helper-status test passes on), so the entry's SP is not kept in the context.
        if (!local_calls_) {
            const std::size_t fail = slow_routine();
            if (!full_) write(fail, cbz(r0, rel(pos_, fail)));
            put(add_sp(14 * 4));
        }
        // After a helper call that did not return 0: 1 ends the program, 2 is an error.
        std::size_t to_exit = 0;
        if (helpers_) {
            helper_status_ = pos_;
            put_cmp_imm(r0, 1);
            to_exit = placeholder();
        }
        fault_exit_ = pos_;  // r0 = 1: stopped with the context's error
        put_mov_imm(r0, 1);
        const std::size_t to_return = placeholder();
        exit_ok_ = pos_;  // main's exit: R0 from its registers
        flush(0);
        exit_ctx_ = pos_;  // R0 already in the context
        if (helpers_) land(to_exit, Cond::eq);
        put_mov_imm(r0, 0);
        land(to_return, Cond::al);
        // r0 = status: the budget left goes back to the context; unwinds from any call depth.
        ctx_word(Mem::str, kBudget, ctx::kBudget);
        if (local_calls_) {
            ctx_word(Mem::ldr, r1, ctx::kEntrySp);
            put(mov_reg(sp, r1));
        }
        put_wide(pop(0x8ff8));  // {r3-r11, pc} (high registers: no 16-bit form)
        if (local_calls_) {
            const std::size_t fail = slow_routine();
            if (!full_) write(fail, b_cond_t1(Cond::eq, rel(fault_exit_, fail)));
        }
    }
    /// slow: every register to runtime::slow, which may change r2, r3 and r6 in the copy.
    /// Returns the offset of the 16-bit branch taken when runtime::slow fails (to be patched).
    std::size_t slow_routine() noexcept {
        using namespace thumb;
        slow_ = pos_;
        put_wide(push(0x5fff));  // {r0-r12, lr}: 14 words keep SP 8-aligned
        put(mov_reg(r0, kCtx));
        put(mov_reg(r1, sp));
        ctx_word(Mem::ldr, r2, ctx::kFnSlow);
        put(blx(r2));
        if (local_calls_) put_cmp_imm(r0, 0);
        const std::size_t fail = placeholder();
        put_wide(pop(0x9fff));  // {r0-r12, pc}
        return fail;
    }

    void entry() noexcept {
        using namespace thumb;
        entry_ = pos_;
        put_wide(push(0x4ff8));  // {r3-r11, lr}: 10 words keep SP 8-aligned
        put(mov_reg(kCtx, r0));
        if (local_calls_) {  // exits unwind from any call depth
            put(mov_reg(r1, sp));
            ctx_word(Mem::str, r1, ctx::kEntrySp);
        }
        ctx_word(Mem::ldr, kBudget, ctx::kBudget);
        // Halves dead where main starts are never read before being written (lower halves: a
        // short look-ahead, when main is inline).
        const std::uint32_t live_hi = slots_[prog_.entry].live & kAllHi;
        std::uint32_t mapped_lo = 0;
        for (unsigned r = 0; r <= isa::kFramePointer; ++r) mapped_lo |= mapped(r, false) >= 0 ? 1u << r : 0u;
        unsigned steps = 48;
        const std::uint32_t live_lo = local_calls_ ? mapped_lo : lo_read(prog_.entry, mapped_lo, steps);
        for (unsigned r = 0; r <= isa::kFramePointer; ++r)
            reload(r, ((live_lo >> r) & 1) != 0, ((live_hi >> r) & 1) != 0);
        if (const_reg_ != thumb::pc) materialise(const_reg_, const_value_, T0);
        // Without local calls main is inline code whose exits jump to exit_ok (it follows here
        // when it starts at pc 0). Otherwise main is called like a local function, so that a
        // local call to it returns normally.
        if (!local_calls_) {
            if (prog_.entry != 0) branch_to_insn(Cond::al, prog_.entry);
            return;
        }
        std::size_t f = 0;
        while (f + 1 < prog_.function_count && prog_.function_starts[f] != prog_.entry) ++f;
        call_function(f, prog_.entry);
        branch(Cond::al, exit_ok_);
    }

    /// SUBS r6, #count: 16-bit (count <= kMaxBlock), as kChargeBytes assumes.
    void subtract_budget(std::uint32_t count) noexcept {
        const std::size_t at = pos_;
        put(thumb::sub_imm(kBudget, kBudget, count, true));
        if (pos_ != at + 2) bad_ = true;
    }
    /// ADDS r6, #count (16-bit: count <= kMaxBlock): a charge given back.
    void give_back(std::uint32_t count) noexcept {
        put(thumb::detail::narrow_add_sub_imm(false, true, kBudget, kBudget, count, true));
    }
    /// A branch into the block at pc (emitted already) past its charge, which the block
    /// branching made for it.
    void branch_past_charge(Cond c, std::size_t pc) noexcept { branch(c, slots_[pc].at + kChargeBytes); }
    /// Charges the block starting at pc_: SUBS r6, #count and its stub. Returns the count.
    std::uint32_t put_charge() noexcept {
        const Charged& b = charged_block();
        const std::uint32_t count = b.count;
        const std::uint16_t lddw = b.lddw;
        subtract_budget(count);
        slow_path(Cond::mi, lddw != 0 ? SiteKind::budget_lddw : SiteKind::budget,
                  static_cast<std::uint8_t>(count), 0, lddw);
        return count;
    }
    /// A block's length (block_length()), found once for its charges.
    struct Charged {
        std::uint16_t pc, lddw;
        std::uint32_t count;
        std::uint16_t last;  ///< the block's last instruction
    };
    /// A block that ends in a jump back to an earlier block T, whose charge it makes too: the
    /// jump enters T past T's charge (a conditional one gives T's count back on its
    /// fall-through). A loop whose pass runs through two blocks, as LLVM lays out a loop entered
    /// at its test (`ja test`), then makes one charge a pass. runtime::budget follows the jump
    /// when it cuts such a block.
    struct Carry {
        std::uint16_t jump = kNoPc;  ///< the block's last instruction (kNoPc: no carry)
        std::uint16_t target = kNoPc;
        std::uint16_t own = 0, count = 0;  ///< instructions of the block and of T's
        std::uint16_t lddw = 0;            ///< T's lddw (StubData::ja_layout())
    };
    /// The block at `start`, whose last instruction is at `last`, ends in a jump to an earlier
    /// block (the only blocks that carry).
    [[nodiscard]] bool ends_back(std::size_t start, std::size_t last) const noexcept {
        const Op op = row(last).op;
        return (op == Op::ja || isa::is_conditional_jump(op)) && jump_target(last, row(last)) < start;
    }
    /// The block starting at pc_ (block_length() once: a guard charges its loop's entry block,
    /// which is charged again where it starts).
    const Charged& charged_block() noexcept {
        if (charged_.pc != pc_) {
            std::size_t last = 0;
            charged_ = {static_cast<std::uint16_t>(pc_), 0, 0, 0};
            charged_.count = block_length(pc_, &charged_.lddw, &last);
            charged_.last = static_cast<std::uint16_t>(last);
        }
        return charged_;
    }
    /// The carry of the block at pc_ (none: jump == kNoPc). Not when T is a call or an exit
    /// (past a cut-off only stores are refused, so such a block's own charge must stop the run),
    /// a lone ja, a block that carries itself (its jump would skip a third charge), a jump into
    /// or out of a loop with registers of its own, or when the two counts do not fit one charge.
    [[nodiscard]] Carry carry_of() noexcept {
        const Charged& b = charged_block();
        const std::size_t start = pc_, last = b.last;
        const std::uint32_t own = b.count;
        if (b.lddw != 0 || !ends_back(start, last)) return {};
        std::uint16_t lddw = 0;
        std::size_t t_last = 0;
        const std::size_t t = jump_target(last, row(last));
        const Op op = row(t).op;
        if (op == Op::ja || op == Op::exit || is_call(op)) return {};
        const std::uint32_t count = block_length(t, &lddw, &t_last);
        if (own + count > kMaxBlock || (lddw >> StubData::kJaLddwBits) != 0 || ends_back(t, t_last))
            return {};
        for (unsigned k = 0; k < loop_map_count_; ++k)
            if (in_loop(loop_maps_[k], start) != in_loop(loop_maps_[k], t)) return {};
        return {static_cast<std::uint16_t>(last), static_cast<std::uint16_t>(t),
                static_cast<std::uint16_t>(own), static_cast<std::uint16_t>(count), lddw};
    }
    /// Charges the block starting at pc_ (a leader), with the block its jump goes back to when
    /// it carries (carry_of()).
    void charge() noexcept {
        carry_ = carry_of();
        if (carry_.jump == kNoPc) {
            block_left_ = put_charge();
            return;
        }
        block_left_ = carry_.own + carry_.count;
        subtract_budget(block_left_);
        slow_path(Cond::mi, SiteKind::budget_ja, static_cast<std::uint8_t>(block_left_), carry_.target,
                  StubData::ja_layout(carry_.own, carry_.lddw));
    }
    /// With `extra` instructions of this block left before the jump at pc_ + extra to `target`:
    /// the count the block's carry adds to what a branch taken before that jump gives back
    /// (0: no carry there).
    [[nodiscard]] std::uint32_t carried(std::size_t extra, std::size_t target) const noexcept {
        return carry_.jump == pc_ + extra && carry_.target == target ? carry_.count : 0u;
    }
    /// A conditional branch to the instruction at pc that ends the current eBPF instruction. When
    /// instructions of the block follow (a forward jump's fall-through stays in the block), the
    /// taken edge gives back their charge: `IT c; ADD r6, #n; B` (inside the IT block the ADD
    /// leaves the compare's flags for the branch).
    void exit_block(Cond c, std::size_t pc) noexcept {
        const std::uint32_t skipped = block_left_ - 1;
        if (skipped == 0) {
            branch_to_insn(c, pc);
            return;
        }
        if (const std::uint32_t k = carried(0, pc); k != 0) {  // the carry's jump
            if (skipped != k) bad_ = true;  // (never: only T's count is left at the block's end)
            branch_past_charge(c, pc);
            give_back(k);
            return;
        }
        // `jcc +1; ja L` in one block (L is the head of the innermost loop around them, see
        // analyse()): the loop's edge becomes the inverted branch to L, and the loop's exit falls
        // through, giving back the ja's charge. The ja has no code of its own (emit_all()).
        // (With a carry, the ja's: to L past its charge, giving back L's count too.)
        if (pc == pc_ + 2 && row(pc_ + 1).op == Op::ja && !leader(pc_ + 1)) {
            const std::size_t l = jump_target(pc_ + 1, row(pc_ + 1));
            const std::uint32_t k = carried(1, l);
            if (skipped == 1 + k) {
                folded_ja_ = static_cast<std::uint32_t>(pos_);
                if (k != 0)
                    branch_past_charge(thumb::invert(c), l);
                else
                    branch_to_insn(thumb::invert(c), l);
                give_back(skipped);
                return;
            }
        }
        put(thumb::it_then(c, 2));
        give_back(skipped);
        branch_to_insn(Cond::al, pc);  // the last instruction of the IT block
        it_left_ = 0;
    }

    // ---- memory ---------------------------------------------------------------------------------

    /// Where an access goes: [base + disp], or [base + index] for a checked access of one to
    /// four bytes at the checked start (the host address of the inline region's start in T3 and
    /// the offset in T2, or after the slow path the host address in T3 and 0 in T2).
    struct Address {
        Reg base;
        Reg index;  // thumb::pc: none
        std::int32_t disp;
    };
    /// True when [r10 + off, + size) lies in the current frame: no run-time check needed.
    [[nodiscard]] static bool in_frame(std::int32_t off, unsigned size) noexcept {
        return off >= -static_cast<std::int32_t>(C.stack_frame_size) &&
               off + static_cast<std::int32_t>(size) <= 0;
    }
    /// Two loads or two stores under one check: the second one's pc (kNoPc: none) and the range
    /// of both, from the base register (start, and span bytes).
    struct AccessPair {
        std::size_t second = kNoPc;
        std::int16_t start = 0;
        unsigned span = 0;
    };
    /// The access that the check of the load or store at pc can cover too: the next access,
    /// within three instructions, when it is of the same kind through the same base register
    /// (not r10) and both fill 1, 2, 4 or 8 bytes (sizes the context has counts for: a range
    /// rounded up could pass a region's end where both are inside), with only ALU instructions
    /// between that leave the base alone and nothing jumping in. Failing at the second is then
    /// what the interpreter does once the first is made: nothing between them can store, fail
    /// or leave. A first store must store a register of at most 32 bits, which the runtime can
    /// store itself when the second fails (runtime::memory()).
    [[nodiscard]] AccessPair access_partner(std::size_t pc, AccessKind kind) const noexcept {
        const Insn& first = code_[pc];
        const bool load = kind == AccessKind::load;
        const unsigned base = load ? first.src() : first.dst();
        if (base == isa::kFramePointer ||
            (load ? first.dst() == base : row(pc).op != Op::stx || row(pc).width > 32))
            return {};
        for (std::size_t q = pc + 1; q < code_.size() && q <= pc + 3 && !leader(q); ++q) {
            const Op op = row(q).op;
            if (load ? op == Op::ldx || op == Op::ldxs : op == Op::st || op == Op::stx) {
                const Insn& second = code_[q];
                const std::int16_t start = std::min(first.off, second.off);
                const auto span = static_cast<unsigned>(
                    std::max(first.off + row(pc).width / 8, second.off + row(q).width / 8) - start);
                if ((load ? second.src() : second.dst()) != base || span > 8 || !std::has_single_bit(span))
                    return {};
                return {q, start, span};
            }
            if (!isa::is_alu(op) || code_[q].dst() == base) return {};
        }
        return {};
    }
    /// T0 = lo + off (32 bits; flags: the carry for the upper half).
    void add_offset(Reg lo, std::int32_t off, bool flags) noexcept {
        const std::uint32_t mag = static_cast<std::uint32_t>(off < 0 ? -off : off);
        const DpOp op = off < 0 ? DpOp::sub : DpOp::add;
        if (thumb::can_encode_modified(mag)) {
            put_dp_imm(op, flags, T0, lo, mag);
        } else {
            put_wide(thumb::movw(T2, mag));
            put_dp_reg(op, flags, T0, lo, T2);
        }
    }
    /// lo:hi += off (64 bits) into T0:T1, unless off is 0.
    void add_offset64(Reg& lo, Reg& hi, std::int32_t off) noexcept {
        if (off == 0) return;
        add_offset(lo, off, true);
        put_dp_imm(off < 0 ? DpOp::sbc : DpOp::adc, false, T1, hi, 0);
        lo = T0;
        hi = T1;
    }
    /// The context offset of the {start, count} pair that checks an access inline, which the
    /// code now reads (Compiled::checks).
    std::int32_t use_check(CheckRegion region, AccessKind kind, unsigned size) noexcept {
        const auto r = static_cast<unsigned>(region);
        checks_[r / 2] |= 1u << (static_cast<unsigned>(kind) * 4 + log2_size(size) + 16 * (r % 2));
        return check_offset(region, kind, size);
    }
    /// Flags HS unless address lo:hi is a valid start in the region whose start and count of
    /// valid starts are in T3 and T4: address - start, upper half 0, below the count (hi may be
    /// kZeroHi: the address is 32 bits). `spare` (not lo) receives the upper half's borrow.
    void compare_with_region(Reg lo, Reg hi, Reg spare = T0) noexcept {
        put_dp_reg(DpOp::sub, false, T2, lo, T3);
        put_cmp_reg(T2, T4);
        if (hi != kZeroHi) put_dp_imm(DpOp::sbc, true, spare, hi, 0);
    }
    // ---- stack arrays: accesses the code before them in their block keeps inside the frame ----

    /// The look-back's bounds, per access: how deep its questions nest (the native stack) and
    /// how many instructions all of them may look at (`steps`: the compile cost).
    static constexpr unsigned kLookBackDepth = 8, kLookBackSteps = 48;
    /// The instruction before pc in its block that last wrote register r (its lower half or
    /// all of it), or kNoPc: none there, or first a call or an atomic operation, which this
    /// look-back does not follow, or the look-back's bounds reached.
    [[nodiscard]] std::size_t last_write(std::size_t pc, unsigned r, unsigned depth,
                                         unsigned& steps) const noexcept {
        for (std::size_t q = pc; depth != 0 && !leader(q) && q-- > 0;) {
            if (steps == 0) return kNoPc;
            --steps;
            if (second_slot(q)) continue;
            const Op op = row(q).op;
            if (is_call(op) || isa::is_atomic(op)) return kNoPc;
            if ((kLoFacts[slots_[q].id] & kLoDefinesDst) && code_[q].dst() == r) return q;
        }
        return kNoPc;
    }
    /// Whether register r's 64-bit value before pc is at most `max` (below 2^31), from the
    /// instructions before it in its block: a constant, an AND with one, a zero-extending byte
    /// or halfword load, copies, shifts by a constant and sums of such values.
    [[nodiscard]] bool value_max(std::size_t pc, unsigned r, std::int64_t& max, unsigned depth,
                                 unsigned& steps) const noexcept {
        const std::size_t q = last_write(pc, r, depth, steps);
        if (q == kNoPc) return false;
        const Insn& insn = code_[q];
        const isa::OpInfo& row_q = row(q);
        const bool imm = row_q.form == isa::Form::dst_imm, wide = row_q.width == 64;
        const std::int64_t k =
            wide ? std::int64_t{insn.imm} : std::int64_t{static_cast<std::uint32_t>(insn.imm)};
        std::int64_t a = 0, b = 0;
        switch (row_q.op) {
            case Op::mov:
                if (imm) {
                    max = k;
                } else if (!value_max(q, insn.src(), max, depth - 1, steps)) {
                    return false;
                }
                break;
            case Op::and_:  // at most the constant, or either operand
                if (imm ? k < 0
                        : !value_max(q, insn.src(), b, depth - 1, steps) &&
                              !value_max(q, insn.dst(), b, depth - 1, steps))
                    return false;
                max = imm ? k : b;
                break;
            case Op::lsh:
            case Op::rsh:
                if (!imm || !value_max(q, insn.dst(), a, depth - 1, steps)) return false;
                b = insn.imm & (wide ? 63 : 31);
                if (row_q.op == Op::lsh && b > 31) return false;  // (a < 2^31: a << b stays below 2^62)
                max = row_q.op == Op::lsh ? a << b : a >> b;
                break;
            case Op::add:
                if (!value_max(q, insn.dst(), a, depth - 1, steps) ||
                    (imm ? k < 0 : !value_max(q, insn.src(), b, depth - 1, steps)))
                    return false;
                max = a + (imm ? k : b);
                break;
            case Op::ldx:  // (ldxs sign-extends: another op)
                if (row_q.width > 16) return false;
                max = row_q.width == 8 ? 0xff : 0xffff;
                break;
            default:
                return false;
        }
        return max >= 0 && max < (std::int64_t{1} << 31);
    }
    /// Whether register r before pc holds r10 plus an offset in [lo, hi], from the instructions
    /// before it in its block: a 64-bit copy of r10 (or of such a register) plus or minus
    /// constants and values value_max() bounds. (64-bit arithmetic: r10 + lo is the address
    /// itself, whatever the steps on the way.)
    [[nodiscard]] bool frame_offsets(std::size_t pc, unsigned r, std::int64_t& lo, std::int64_t& hi,
                                     unsigned depth, unsigned& steps) const noexcept {
        if (r == isa::kFramePointer) {
            lo = hi = 0;
            return true;
        }
        const std::size_t q = last_write(pc, r, depth, steps);
        if (q == kNoPc || row(q).width != 64) return false;
        const Insn& insn = code_[q];
        const bool imm = row(q).form == isa::Form::dst_imm;
        std::int64_t v = 0;
        switch (row(q).op) {
            case Op::mov:
                return !imm && frame_offsets(q, insn.src(), lo, hi, depth - 1, steps);
            case Op::add:
            case Op::sub:
                if (imm) {
                    if (!frame_offsets(q, insn.dst(), lo, hi, depth - 1, steps)) return false;
                    v = row(q).op == Op::add ? insn.imm : -std::int64_t{insn.imm};
                    lo += v;
                    hi += v;
                    return true;
                }
                if (row(q).op == Op::sub) return false;
                if (frame_offsets(q, insn.dst(), lo, hi, depth - 1, steps) &&
                    value_max(q, insn.src(), v, depth - 1, steps)) {
                    hi += v;
                    return true;
                }
                if (frame_offsets(q, insn.src(), lo, hi, depth - 1, steps) &&
                    value_max(q, insn.dst(), v, depth - 1, steps)) {
                    hi += v;
                    return true;
                }
                return false;
            default:
                return false;
        }
    }
    /// Whether the access of `size` bytes at pc through base + off stays in the frame for
    /// every value the code before it in its block can give base (a stack array's element,
    /// `r10 - 32 + ((i & 7) << 2)`): no run-time check needed, as for r10 + a constant.
    [[nodiscard]] bool in_frame_array(std::size_t pc, unsigned base, std::int16_t off,
                                      unsigned size) const noexcept {
        std::int64_t lo = 0, hi = 0;
        unsigned steps = kLookBackSteps;
        // (only where stack_hint() guessed a stack address: the look-back costs)
        return frame_copies_ && (slots_[pc].flags & kStackAccess) &&
               frame_offsets(pc, base, lo, hi, kLookBackDepth, steps) &&
               lo + off >= -static_cast<std::int64_t>(C.stack_frame_size) && hi + off + size <= 0;
    }

    Address address(unsigned base, std::int16_t off, unsigned size, AccessKind kind) noexcept {
        using namespace thumb;
        if (base == isa::kFramePointer && in_frame(off, size)) {
            const Reg fp = rd(base, false, T0);
            if (off >= -255) return {fp, pc, off};
            put(subw(T0, fp, static_cast<unsigned>(-off)));
            return {T0, pc, 0};
        }
        // Checked with the access before (access_partner()), or before the loop (HoistedLoop), or
        // in the frame whatever the base (in_frame_array()).
        if (pc_ == covered_ || (static_cast<int>(base) == unchecked_ptr_ && kind == AccessKind::load) ||
            in_frame_array(pc_, base, off, size)) {
            if (pc_ == covered_) covered_ = kNoPc;
            const Reg lo = rd(base, false, T0);
            if (off >= -255 && off + 4 <= 4095) return {lo, pc, off};
            add_offset(lo, off, false);
            return {T0, pc, 0};
        }
        // A load or store whose check covers the next one too: the range of both.
        AccessPair pair = kind != AccessKind::atomic ? access_partner(pc_, kind) : AccessPair{};
        unsigned first_value = 0;  // a first store's value for the runtime (StubData::pair_value())
        if (pair.second != kNoPc && kind == AccessKind::store) {
            const unsigned src = code_[pc_].src();
            const int m = mapped(src, false);
            if (m > 12) pair = {};  // (r0-r12 only: the stub's BL overwrites lr)
            first_value = StubData::pair_value(m >= 0 ? static_cast<unsigned>(m) : src, m < 0);
        }
        const std::size_t partner = pair.second;
        const std::int16_t first = off;
        unsigned checked = size;
        std::uint16_t layout = 0;
        if (partner != kNoPc) {
            off = pair.start;
            checked = pair.span;
            layout = StubData::pair_layout(static_cast<unsigned>(first - off),
                                           static_cast<unsigned>(code_[partner].off - off),
                                           log2_size(row(partner).width / 8u), first_value);
            covered_ = partner;
        }
        Reg lo = T0, hi = T1;
        // (A pair from an offset of 0 or below: its first load's base known to fit in 32 bits
        // is enough.)
        if ((slots_[pc_].live & kBaseHiZero) ||
            (partner != kNoPc && off <= 0 && (slots_[pc_].live & kPairBaseHiZero))) {
            lo = rd(base, false, T0);
            hi = kZeroHi;
            if (off != 0) {
                add_offset(lo, off, false);
                lo = T0;
            }
        } else {
            rd_pair(base, T0, T1, lo, hi);
            add_offset64(lo, hi, off);
        }
        const CheckRegion region = (slots_[pc_].flags & kStackAccess) ? CheckRegion::stack : data_access_;
        put_wide(thumb::mem_dual(true, T3, T4, kCtx, use_check(region, kind, checked)));  // start, count
        compare_with_region(lo, hi, T4);  // (lo may be T0, read again below)
        const auto aux = static_cast<std::uint8_t>(log2_size(size) | (unsigned{hi} << 2));
        if (partner != kNoPc)
            slow_path(Cond::hs, SiteKind::pair, aux, partner, layout);
        else
            slow_path(Cond::hs, static_cast<SiteKind>(kind), aux);
        if (kind == AccessKind::atomic) {
            put_dp_reg(DpOp::add, false, T3, T3, T2);
            return {T3, pc, first - off};
        }
        // Regions lie at their own addresses (jit::run), so once the check (or its slow path)
        // passed, the lower half of the address checked is the host address.
        if (size == 8 || first != off) return {lo, pc, first - off};
        return {T3, T2, 0};
    }
    void access(thumb::Mem m, Reg rt, const Address& a, std::int32_t extra = 0) noexcept {
        put(a.index != thumb::pc ? thumb::mem_reg(m, rt, a.base, a.index)
                                 : thumb::mem_imm(m, rt, a.base, a.disp + extra));
    }

    void load(const Insn& insn, const isa::OpInfo& r) noexcept {
        using thumb::Mem;
        const unsigned size = r.width / 8;
        const Address a = address(insn.src(), insn.off, size, AccessKind::load);
        const unsigned dst = insn.dst();
        const bool sx = r.op == Op::ldxs;
        if (size == 8) {
            // Two words (LDRD would fault on unaligned data); the base may be dst's own half, or
            // T0. In T0 and T1, kept in the context by one STRD, an instruction reading dst next
            // finds both there (rd_pair()).
            const Reg lo = wr(dst, false, T0), hi = wr(dst, true, T1);
            if (lo == a.base) {
                access(Mem::ldr, hi, a, 4);
                access(Mem::ldr, lo, a);
            } else {
                access(Mem::ldr, lo, a);
                access(Mem::ldr, hi, a, 4);
            }
            wb_pair(dst, lo, hi);
            return;
        }
        const Reg lo = wr(dst, false, T1);
        const Mem m = size == 1   ? (sx ? Mem::ldrsb : Mem::ldrb)
                      : size == 2 ? (sx ? Mem::ldrsh : Mem::ldrh)
                                  : Mem::ldr;
        access(m, lo, a);
        wb(dst, false, lo);
        if (sx)
            sign_hi(dst, lo);
        else
            set_imm(dst, true, 0, T2);
    }
    /// hi of r = the sign of lo (in register `lo`).
    void sign_hi(unsigned r, Reg lo) noexcept {
        const Reg h = wr(r, true, T2);
        put_shift_imm(Shift::asr, h, lo, 31);
        wb(r, true, h);
    }

    void store(const Insn& insn, const isa::OpInfo& r) noexcept {
        using thumb::Mem;
        const unsigned size = r.width / 8;
        const Address a = address(insn.dst(), insn.off, size, AccessKind::store);
        Reg lo = T1, hi = T2;
        if (r.op == Op::st) {
            load_const(T1, static_cast<std::uint32_t>(insn.imm), T4);  // (T4 is free after address())
            if (size == 8) load_imm(T2, insn.imm < 0 ? 0xffffffffu : 0);
        } else {
            lo = rd(insn.src(), false, T1);
            if (size == 8) hi = rd(insn.src(), true, T2);
        }
        const Mem m = size == 1 ? Mem::strb : size == 2 ? Mem::strh : Mem::str;
        const unsigned kept = stored_count_;  // a store changes no register and no context word
        access(m, lo, a);
        if (size == 8) access(Mem::str, hi, a, 4);
        stored_count_ = kept;
    }

    void atomic(const Insn& insn, const isa::OpInfo& r) noexcept {
        using namespace thumb;
        const unsigned size = r.width / 8;
        const Address a = address(insn.dst(), insn.off, size, AccessKind::atomic);
        const std::int32_t d = 0;
        // One base register in T0 (T1-T4 hold values below).
        put(a.disp >= 0 ? addw(T0, a.base, static_cast<unsigned>(a.disp))
                        : subw(T0, a.base, static_cast<unsigned>(-a.disp)));
        const unsigned src = insn.src();
        const bool wide = size == 8;
        put(mem_imm(Mem::ldr, T1, T0, d));                // old lo
        if (wide) put(mem_imm(Mem::ldr, T2, T0, d + 4));  // old hi
        const Op op = r.op;
        if (op == Op::atomic_cmpxchg) {
            const Reg r0lo = rd(0, false, T3);
            put_cmp_reg(T1, r0lo);
            if (wide) {
                const Reg r0hi = rd(0, true, T4);
                put(it(Cond::eq, 0x8));
                put_cmp_reg(T2, r0hi);
            }
            const Reg vlo = rd(src, false, T3);  // loads keep the flags
            const Reg vhi = wide ? rd(src, true, T4) : vlo;
            put(it_then(Cond::eq, wide ? 2 : 1));
            put(mem_imm(Mem::str, vlo, T0, d));
            if (wide) put(mem_imm(Mem::str, vhi, T0, d + 4));
            set(0, false, T1);
            if (wide)
                set(0, true, T2);
            else
                set_imm(0, true, 0, T3);
            return;
        }
        const Reg vlo = rd(src, false, T3);
        const Reg vhi = wide ? rd(src, true, T4) : vlo;
        if (op == Op::atomic_xchg) {
            put(mem_imm(Mem::str, vlo, T0, d));
            if (wide) put(mem_imm(Mem::str, vhi, T0, d + 4));
        } else {
            DpOp lo_op = DpOp::add, hi_op = DpOp::adc;
            if (op == Op::atomic_or || op == Op::atomic_fetch_or) lo_op = hi_op = DpOp::orr;
            if (op == Op::atomic_and || op == Op::atomic_fetch_and) lo_op = hi_op = DpOp::and_;
            if (op == Op::atomic_xor || op == Op::atomic_fetch_xor) lo_op = hi_op = DpOp::eor;
            put_dp_reg(lo_op, wide && lo_op == DpOp::add, T3, T1, vlo);
            if (wide) put_dp_reg(hi_op, false, T4, T2, vhi);
            put(mem_imm(Mem::str, T3, T0, d));
            if (wide) put(mem_imm(Mem::str, T4, T0, d + 4));
        }
        if (isa::info(isa::decode(insn)).select_value & isa::kAtomicFetch) {
            set(src, false, T1);
            if (wide)
                set(src, true, T2);
            else
                set_imm(src, true, 0, T3);
        }
    }

    // ---- ALU ------------------------------------------------------------------------------------

    /// Stands for operand b's upper half when it is 0 (kSrcHiZero): no register holds it.
    static constexpr Reg kZeroHi = thumb::pc;
    /// Loads operand b of the ALU or jump instruction at pc into (blo, bhi) registers (bhi is
    /// kZeroHi when the analysis found it 0, or the caller knows it: hi_zero).
    void operand_b(std::size_t pc, const Insn& insn, const isa::OpInfo& r, Reg& blo, Reg& bhi,
                   bool hi_zero = false) noexcept {
        const bool reg_form = r.form == isa::Form::dst_src || r.form == isa::Form::cond_src;
        if (reg_form) {
            if (r.width == 64 && (hi_zero || (slots_[pc].live & kSrcHiZero))) {
                blo = rd(insn.src(), false, T2);
                bhi = kZeroHi;
            } else if (r.width == 64)
                rd_pair(insn.src(), T2, T3, blo, bhi);
            else
                blo = bhi = rd(insn.src(), false, T2);
        } else {
            blo = constant_operand(static_cast<std::uint32_t>(insn.imm));
            bhi = T3;
            if (r.width == 64) load_imm(T3, insn.imm < 0 ? 0xffffffffu : 0);
        }
    }

    [[gnu::always_inline]] void alu(const Insn& insn, const isa::OpInfo& r) noexcept {
        using namespace thumb;
        const unsigned dst = insn.dst();
        const bool wide = r.width == 64;
        const Op op = r.op;
        switch (op) {
            case Op::mov:
            case Op::movsx: {
                if (r.form == isa::Form::dst_imm) {
                    const auto lo = static_cast<std::uint32_t>(insn.imm);
                    const std::uint32_t hi = wide && insn.imm < 0 ? 0xffffffffu : 0;
                    if (lo == hi && live(dst, true)) {  // 0 or -1: both halves from one register
                        const Reg v = wr(dst, false, T0);
                        load_imm(v, lo);
                        wb(dst, false, v);
                        set(dst, true, v);
                        return;
                    }
                    set_const(dst, false, lo, T0, T1);
                    set_imm(dst, true, hi, T1);
                    return;
                }
                const unsigned src = insn.src();
                if (op == Op::mov) {  // a half in the context is loaded into dst's own register
                    set(dst, false, rd(src, false, wr(dst, false, T0)));
                    if (!wide || (slots_[pc_].live & kSrcHiZero))  // (src's upper half is 0)
                        set_imm(dst, true, 0, T1);
                    else if (live(dst, true))
                        set(dst, true, rd(src, true, wr(dst, true, T1)));
                    return;
                }
                const Reg s = rd(src, false, T0);
                const Reg lo = wr(dst, false, T0);
                if (insn.off == 8) put(extend(Extend::sxtb, lo, s));
                if (insn.off == 16) put(extend(Extend::sxth, lo, s));
                if (insn.off == 32) mov(lo, s);
                wb(dst, false, lo);
                if (wide)
                    sign_hi(dst, lo);
                else
                    set_imm(dst, true, 0, T1);
                return;
            }
            case Op::neg: {
                const Reg alo = rd(dst, false, T0);
                if (!wide) {
                    const Reg lo = wr(dst, false, T0);
                    put_dp_imm(DpOp::rsb, false, lo, alo, 0);
                    wb(dst, false, lo);
                    set_imm(dst, true, 0, T1);
                    return;
                }
                const Reg ahi = rd(dst, true, T1);
                const Reg lo = wr(dst, false, T0), hi = wr(dst, true, T1);
                put_dp_imm(DpOp::rsb, true, lo, alo, 0);
                put_dp_reg(DpOp::sbc, false, hi, ahi, ahi, Shift::lsl, 1);
                wb(dst, false, lo);
                wb(dst, true, hi);
                return;
            }
            case Op::le:
            case Op::be:
            case Op::bswap: {
                const auto width = static_cast<unsigned>(insn.imm);
                const bool swap = op != Op::le;
                if (width == 64) {
                    if (!swap) return;
                    const Reg alo = rd(dst, false, T0);
                    const Reg ahi = rd(dst, true, T1);
                    put(rev(T2, alo));
                    put(rev(T3, ahi));
                    set(dst, false, T3);
                    set(dst, true, T2);
                    return;
                }
                const Reg alo = rd(dst, false, T0);
                const Reg lo = wr(dst, false, T0);
                if (width == 16) {
                    if (swap) {
                        put(rev16(lo, alo));
                        put(extend(Extend::uxth, lo, lo));
                    } else {
                        put(extend(Extend::uxth, lo, alo));
                    }
                } else if (swap) {
                    put(rev(lo, alo));
                }
                wb(dst, false, lo);
                set_imm(dst, true, 0, T1);
                return;
            }
            default:
                break;
        }
        // The lower halves alone: for a versioned loop's `ptr += index`, and where dst's upper half
        // is dead or stays as it is (kKeepsHi: an ADD of a frame address and a small value).
        if ((C.jit_loop_versioning && (slots_[pc_].live & kLoopStep)) ||
            (wide && r.form == isa::Form::dst_src && add_sub_logic(op) && !live(dst, true))) {
            const Reg a = rd(dst, false, T0);  // (one statement each: the order code is emitted in)
            alu32(op, dst, a, rd(insn.src(), false, T2));
            return;
        }
        Reg blo = T2, bhi = T3;
        if (op == Op::mul && wide && r.form == isa::Form::dst_imm && insn.imm >= 0) {  // b < 2^31
            blo = constant_operand(static_cast<std::uint32_t>(insn.imm));
            bhi = kZeroHi;
        } else {
            operand_b(pc_, insn, r, blo, bhi);
        }
        if (!wide) {
            alu32(op, dst, rd(dst, false, T0), blo);
            return;
        }
        Reg alo = T0, ahi = T1;
        if (op == Op::and_ && bhi == kZeroHi) {  // dst's upper half becomes 0 unread
            alo = rd(dst, false, T0);
        } else if (op == Op::mul && (slots_[pc_].live & kDstHiZero)) {  // (a multiply's dst below 2^32)
            alo = rd(dst, false, T0);
            ahi = kZeroHi;
        } else {
            rd_pair(dst, T0, T1, alo, ahi);
        }
        alu64(op, dst, alo, ahi, blo, bhi);
    }

    void alu32(Op op, unsigned dst, Reg a, Reg b) noexcept {
        using namespace thumb;
        const Reg lo = wr(dst, false, T0);
        switch (op) {
            case Op::add:
                put_dp_reg(DpOp::add, false, lo, a, b);
                break;
            case Op::sub:
                put_dp_reg(DpOp::sub, false, lo, a, b);
                break;
            case Op::mul:
                put(mul(lo, a, b));
                break;
            case Op::div:
                put_wide(udiv(lo, a, b));  // UDIV by 0 gives 0 (CCR.DIV_0_TRP clear), as eBPF wants
                break;
            case Op::sdiv:
                put_wide(sdiv(lo, a, b));  // INT_MIN / -1 = INT_MIN, x / 0 = 0
                break;
            case Op::mod:
                put_wide(udiv(T4, a, b));
                put_wide(mls(lo, T4, b, a));  // x % 0 = x - 0 * 0
                break;
            case Op::smod:
                put_wide(sdiv(T4, a, b));
                put_wide(mls(lo, T4, b, a));
                break;
            case Op::or_:
                put_dp_reg(DpOp::orr, false, lo, a, b);
                break;
            case Op::and_:
                put_dp_reg(DpOp::and_, false, lo, a, b);
                break;
            case Op::xor_:
                put_dp_reg(DpOp::eor, false, lo, a, b);
                break;
            case Op::lsh:
            case Op::rsh:
            case Op::arsh:
                put_dp_imm(DpOp::and_, false, T4, b, 31);
                put(shift_reg(op == Op::lsh   ? Shift::lsl
                              : op == Op::rsh ? Shift::lsr
                                              : Shift::asr,
                              lo, a, T4));
                break;
            default:
                break;
        }
        wb(dst, false, lo);
        set_imm(dst, true, 0, T1);
    }

    void alu64(Op op, unsigned dst, Reg alo, Reg ahi, Reg blo, Reg bhi) noexcept {
        using namespace thumb;
        switch (op) {
            case Op::add:
            case Op::sub:
            case Op::or_:
            case Op::and_:
            case Op::xor_: {
                const Reg lo = wr(dst, false, T0), hi = wr(dst, true, T1);
                DpOp lo_op = DpOp::add, hi_op = DpOp::adc;
                if (op == Op::sub) lo_op = DpOp::sub, hi_op = DpOp::sbc;
                if (op == Op::or_) lo_op = hi_op = DpOp::orr;
                if (op == Op::and_) lo_op = hi_op = DpOp::and_;
                if (op == Op::xor_) lo_op = hi_op = DpOp::eor;
                const bool carry = op == Op::add || op == Op::sub;
                put_dp_reg(lo_op, carry, lo, alo, blo);
                if (!carry && !live(dst, true)) {  // halves apart: nothing to compute for a dead one
                    wb(dst, false, lo);
                    return;
                }
                if ((bhi == kZeroHi || ahi == kZeroHi) && op == Op::and_) {
                    wb(dst, false, lo);
                    set_imm(dst, true, 0, T1);
                    return;
                }
                if (ahi == kZeroHi) {   // (a fused `A = B; A op= C` with B's upper half 0; C's is not)
                    if (op == Op::sub)  // 0 - bhi - borrow = bhi - 2 * bhi - borrow
                        put_dp_reg(DpOp::sbc, false, hi, bhi, bhi, Shift::lsl, 1);
                    else if (op == Op::add)
                        put_dp_imm(DpOp::adc, false, hi, bhi, 0);
                    else
                        mov(hi, bhi);
                } else if (bhi == kZeroHi) {  // ADC/SBC #0 (OR and XOR with it keep dst's: kKeepsHi)
                    put_dp_imm(hi_op, false, hi, ahi, 0);
                } else {
                    put_dp_reg(hi_op, false, hi, ahi, bhi);
                }
                wb_pair(dst, lo, hi);
                return;
            }
            case Op::mul: {
                // (the product in T0, T1 as other results are, so that the next instruction reading
                // it from the context finds it there: stored())
                const Reg lo = wr(dst, false, T0);
                if (!live(dst, true)) {  // the low word of the product only
                    put(mul(lo, alo, blo));
                    wb(dst, false, lo);
                    return;
                }
                // The upper half: umull's, plus ahi * blo and alo * bhi where these halves are
                // not known to be 0 (kZeroHi).
                const bool a_hi = ahi != kZeroHi, b_hi = bhi != kZeroHi;
                if (a_hi && b_hi) {
                    put(mul(T4, alo, bhi));
                    put_wide(mla(T4, ahi, blo, T4));
                } else if (a_hi || b_hi) {
                    put(a_hi ? mul(T4, ahi, blo) : mul(T4, alo, bhi));
                }
                const Reg hi = wr(dst, true, T1);  // (ahi is read by now; UMULL may overwrite its inputs)
                if (!a_hi && !b_hi) {
                    put_wide(umull(lo, hi, alo, blo));
                } else {
                    put_wide(umull(lo, T3, alo, blo));  // ahi and bhi are read by now; lr may hold a half
                    put_dp_reg(DpOp::add, false, hi, T3, T4);
                }
                wb_pair(dst, lo, hi);
                return;
            }
            case Op::div:
            case Op::mod:
            case Op::sdiv:
            case Op::smod: {
                // a -> r0:r1, b -> r2:r3: each half is already there or in an eBPF register.
                mov(T2, blo);
                mov(T3, bhi);
                mov(T1, ahi);
                mov(T0, alo);
                const int k = op == Op::div ? 0 : op == Op::mod ? 1 : op == Op::sdiv ? 2 : 3;
                ctx_word(Mem::ldr, T4, ctx::kFnDivide + 4 * k);
                put(blx(T4));
                set(dst, false, T0);
                set(dst, true, T1);
                return;
            }
            case Op::lsh:
            case Op::rsh:
            case Op::arsh: {
                // Branch-free 64-bit shifts: register shifts of 32..255 give 0 (LSL/LSR), so the
                // out-of-range terms vanish; ASR needs its (n - 32) term only when n >= 32.
                put_dp_imm(DpOp::and_, false, T4, blo, 63);
                mov(T0, alo);
                mov(T1, ahi);
                put(sub_imm(T2, T4, 32, op == Op::arsh));
                if (op == Op::lsh) {
                    put(shift_reg(Shift::lsl, T2, T0, T2));
                    put_dp_imm(DpOp::rsb, false, T3, T4, 32);
                    put(shift_reg(Shift::lsl, T1, T1, T4));
                    put(shift_reg(Shift::lsr, T3, T0, T3));
                    put_dp_reg(DpOp::orr, false, T1, T1, T2);
                    put(shift_reg(Shift::lsl, T0, T0, T4));
                    put_dp_reg(DpOp::orr, false, T1, T1, T3);
                } else if (op == Op::rsh) {
                    put(shift_reg(Shift::lsr, T2, T1, T2));
                    put_dp_imm(DpOp::rsb, false, T3, T4, 32);
                    put(shift_reg(Shift::lsr, T0, T0, T4));
                    put(shift_reg(Shift::lsl, T3, T1, T3));
                    put_dp_reg(DpOp::orr, false, T0, T0, T2);
                    put(shift_reg(Shift::lsr, T1, T1, T4));
                    put_dp_reg(DpOp::orr, false, T0, T0, T3);
                } else {
                    // flags of n - 32: PL when n >= 32
                    put_dp_imm(DpOp::rsb, false, T3, T4, 32);
                    put(shift_reg(Shift::lsr, T0, T0, T4));
                    put(shift_reg(Shift::lsl, T3, T1, T3));
                    put_dp_reg(DpOp::orr, false, T0, T0, T3);
                    put(it_then(Cond::pl, 2));
                    put(shift_reg(Shift::asr, T3, T1, T2));
                    put_dp_reg(DpOp::orr, false, T0, T0, T3);
                    put(shift_reg(Shift::asr, T1, T1, T4));
                }
                set(dst, false, T0);
                set(dst, true, T1);
                return;
            }
            default:
                return;
        }
    }

    /// 64-bit shifts by a constant, which need no temporaries.
    /// dst = from (dst unless fused with a mov) shifted by the constant; hi_zero: from's upper
    /// half is known to be 0 (kDstHiZero), so only its lower half is read.
    bool shift_const(const Insn& insn, const isa::OpInfo& r, unsigned from, bool hi_zero = false) noexcept {
        using namespace thumb;
        if (r.form != isa::Form::dst_imm || (r.op != Op::lsh && r.op != Op::rsh && r.op != Op::arsh))
            return false;
        const unsigned dst = insn.dst();
        const unsigned n = static_cast<unsigned>(insn.imm) & (r.width - 1);
        // (A 64-bit right shift by 32 or more reads no lower half: none is loaded.)
        const Reg alo = r.width == 64 && n >= 32 && r.op != Op::lsh ? T0 : rd(from, false, T0);
        if (r.width == 32) {
            const Reg lo = wr(dst, false, T0);
            if (n == 0)
                mov(lo, alo);
            else
                put_shift_imm(r.op == Op::lsh   ? Shift::lsl
                              : r.op == Op::rsh ? Shift::lsr
                                                : Shift::asr,
                              lo, alo, n);
            wb(dst, false, lo);
            set_imm(dst, true, 0, T1);
            return true;
        }
        if (n == 0) return true;
        const Reg lo = wr(dst, false, T0), hi = wr(dst, true, T1);
        if (hi_zero && (n < 32 || r.op != Op::lsh)) {  // (after RSH and ARSH it stays 0: kKeepsHi)
            if (r.op == Op::lsh) {
                if (live(dst, true)) {
                    put_shift_imm(Shift::lsr, hi, alo, 32 - n);
                    wb(dst, true, hi);
                }
                put_shift_imm(Shift::lsl, lo, alo, n);
            } else if (n < 32) {
                put_shift_imm(Shift::lsr, lo, alo, n);
            } else {
                put_mov_imm(lo, 0);  // every bit comes from the upper half
            }
            wb(dst, false, lo);
            return true;
        }
        // A left shift by 32 or more does not read the upper half (hi_parts() agrees).
        const Reg ahi = r.op == Op::lsh && n >= 32 ? T1 : rd(from, true, T1);
        if (r.op == Op::lsh) {
            if (n < 32) {
                put_shift_imm(Shift::lsl, hi, ahi, n);
                put_dp_reg(DpOp::orr, false, hi, hi, alo, Shift::lsr, 32 - n);
                put_shift_imm(Shift::lsl, lo, alo, n);
            } else {
                if (n == 32)
                    mov(hi, alo);
                else
                    put_shift_imm(Shift::lsl, hi, alo, n - 32);
                put_mov_imm(lo, 0);
            }
        } else if (r.op == Op::rsh) {
            if (n < 32) {
                put_shift_imm(Shift::lsr, lo, alo, n);
                put_dp_reg(DpOp::orr, false, lo, lo, ahi, Shift::lsl, 32 - n);
                put_shift_imm(Shift::lsr, hi, ahi, n);
            } else {
                if (n == 32)
                    mov(lo, ahi);
                else
                    put_shift_imm(Shift::lsr, lo, ahi, n - 32);
                put_mov_imm(hi, 0);
            }
        } else {
            if (n < 32) {
                put_shift_imm(Shift::lsr, lo, alo, n);
                put_dp_reg(DpOp::orr, false, lo, lo, ahi, Shift::lsl, 32 - n);
                put_shift_imm(Shift::asr, hi, ahi, n);
            } else {
                if (n == 32)
                    mov(lo, ahi);
                else
                    put_shift_imm(Shift::asr, lo, ahi, n - 32);
                put_shift_imm(Shift::asr, hi, ahi, 31);
            }
        }
        wb(dst, false, lo);
        wb(dst, true, hi);
        return true;
    }

    /// The lower half of dst = a <op> v (v a modified immediate).
    void alu32_imm(DpOp op, unsigned dst, Reg a, std::uint32_t v) noexcept {
        const Reg lo = wr(dst, false, T0);
        // The instruction sets the flags (no cost: a 16-bit form sets them anyway, a 32-bit one
        // has the S bit), so that a `jeq`/`jne` of the lower half with 0 right after needs no
        // compare (Z is the result's).
        const bool z = !flags_live_ && it_left_ == 0;
        put_dp_imm(op, z, lo, a, v);
        if (z) zero_flags_ = {static_cast<int>(dst), flag_writes_, static_cast<std::uint16_t>(pc_)};
        wb(dst, false, lo);
    }
    /// ADD/SUB/AND/OR/XOR with a constant that fits a modified immediate.
    /// dst = from (dst unless fused with a mov) op the constant.
    bool alu_const(const Insn& insn, const isa::OpInfo& r, unsigned from) noexcept {
        using namespace thumb;
        if (r.form != isa::Form::dst_imm || blinded(static_cast<std::uint32_t>(insn.imm))) return false;
        const Op op = r.op;
        if (!add_sub_logic(op)) return false;
        // A 64-bit step in the lower half: a versioned loop's (kLoopStep: its upper half stays
        // 0; a 32-bit one is emitted as usual: it writes the upper half, which may have been dead
        // before it), or an ADD that leaves the upper half 0 (kKeepsHi: ZeroRule::inc, x + k <
        // 2^32, or a count guard's -1).
        if (r.width == 64 && (op == Op::add || op == Op::sub) &&
            (slots_[pc_].live & (kLoopStep | kKeepsHi))) {
            const std::int32_t v = op == Op::add ? insn.imm : -insn.imm;
            const auto k = static_cast<std::uint32_t>(v < 0 ? -v : v);
            if (thumb::can_encode_modified(k))
                alu32_imm(v < 0 ? DpOp::sub : DpOp::add, insn.dst(), rd(from, false, T0), k);
            else {  // (no ADD that sets the flags holds k; the operands in this order, as emitted)
                const Reg a = rd(from, false, T0);
                alu32(Op::add, insn.dst(), a, constant_operand(static_cast<std::uint32_t>(v)));
            }
            return true;
        }
        const DpImm k = dp_immediate(op, static_cast<std::uint32_t>(insn.imm));
        if (!k.ok) return false;
        const DpOp lo_op = k.op;
        const std::uint32_t v = k.v;
        // ADD and SUB: x + -K = x - K (K = -imm as a 64-bit value has upper half 0; imm = INT_MIN
        // is encodable as it is); the constant's upper half is all ones when it is negative.
        const bool negated = (op == Op::add || op == Op::sub) && v != static_cast<std::uint32_t>(insn.imm);
        const DpOp hi_op = op == Op::xor_ ? DpOp::eor : (lo_op == DpOp::sub) ? DpOp::sbc : DpOp::adc;
        const bool negative = (insn.imm < 0) != negated;
        const unsigned dst = insn.dst();
        const bool wide = r.width == 64;
        const bool logic = op == Op::and_ || op == Op::or_ || op == Op::xor_;
        if (!wide || (logic && (insn.imm >= 0 || op != Op::xor_))) {
            // The upper half becomes 0 (ALU32; AND with a constant >= 0), all ones (OR with one
            // < 0) or stays (OR/XOR with one >= 0, AND with one < 0): no work on it.
            alu32_imm(lo_op, dst, rd(from, false, T0), v);
            if (!wide || (op == Op::and_ && insn.imm >= 0))
                set_imm(dst, true, 0, T1);
            else if (op == Op::or_ && insn.imm < 0)
                set_imm(dst, true, 0xffffffffu, T1);
            else if (from != dst && live(dst, true))  // the upper half stays: from's
                set(dst, true, rd(from, true, wr(dst, true, T1)));
            return true;
        }
        const Reg lo = wr(dst, false, T0);
        Reg alo = T0, ahi = T1;
        rd_pair(from, T0, T1, alo, ahi);
        const Reg hi = wr(dst, true, T1);
        put_dp_imm(lo_op, op == Op::add || op == Op::sub, lo, alo, v);
        put_dp_imm(hi_op, false, hi, ahi, negative ? 0xffffffffu : 0);
        wb_pair(dst, lo, hi);
        return true;
    }

    // ---- jumps and calls ------------------------------------------------------------------------

    /// Whether jump() compares a 64-bit `a op b` as `b mirrored(op) a` when only a's upper half
    /// is known to be 0 (the equality and unsigned jumps: a signed one would need both halves).
    [[nodiscard]] static constexpr bool mirrors(Op op) noexcept {
        return op == Op::jeq || op == Op::jne || op == Op::jset || op == Op::jgt || op == Op::jge ||
               op == Op::jlt || op == Op::jle;
    }
    /// The jump that compares b with a as `op` compares a with b (mirrors(op)).
    [[nodiscard]] static constexpr Op mirrored(Op op) noexcept {
        switch (op) {
            case Op::jgt:
                return Op::jlt;
            case Op::jge:
                return Op::jle;
            case Op::jlt:
                return Op::jgt;
            case Op::jle:
                return Op::jge;
            default:
                return op;
        }
    }
    void jump(const Insn& original, const isa::OpInfo& row64) noexcept {
        using namespace thumb;
        const std::size_t target = jump_target(pc_, row64);
        // A 64-bit jump with a register whose dst's upper half alone is known to be 0
        // (kDstHiZero): src compared with dst, the mirrored way, b's upper half as 0.
        Insn insn = original;
        const bool mirror = row64.width == 64 && (slots_[pc_].live & kDstHiZero) != 0;
        if (mirror) insn.regs = static_cast<std::uint8_t>(original.regs >> 4 | (original.regs & 15) << 4);
        if (row64.op == Op::ja) {
            if (const std::uint32_t k = carried(0, target); k != 0) {
                if (block_left_ != 1 + k) bad_ = true;  // (never: see exit_block())
                branch_past_charge(Cond::al, target);
            } else {
                branch_to_insn(Cond::al, target);
            }
            return;
        }
        // Operands below 2^32 (kNarrowJump): their lower halves compare alike, signed or not.
        isa::OpInfo r = row64;
        if (mirror) r.op = mirrored(r.op);
        if (slots_[pc_].live & kNarrowJump) {
            r.width = 32;
            r.op = r.op == Op::jsgt   ? Op::jgt
                   : r.op == Op::jsge ? Op::jge
                   : r.op == Op::jslt ? Op::jlt
                   : r.op == Op::jsle ? Op::jle
                                      : r.op;
        }
        if (r.width == 64 && r.form == isa::Form::cond_imm && insn.imm == 0 &&
            (r.op == Op::jeq || r.op == Op::jne)) {
            // A 64-bit value is 0 when the OR of its halves is.
            Reg lo = T0, hi = T1;
            rd_pair(insn.dst(), T0, T1, lo, hi);
            put_dp_reg(DpOp::orr, true, T4, lo, hi);
            exit_block(r.op == Op::jeq ? Cond::eq : Cond::ne, target);
            return;
        }
        // A 32-bit comparison with a constant that fits the instruction needs no register.
        const auto v = static_cast<std::uint32_t>(insn.imm);
        const bool imm = r.width == 32 && r.form == isa::Form::cond_imm && compare_immediate(v);
        Reg blo = T2, bhi = T3;
        if (!imm) operand_b(pc_, insn, r, blo, bhi, mirror);
        // == 0 / != 0 right after an ALU instruction that set the flags for dst: no compare,
        // and dst need not even be read.
        const bool flags_set =
            imm && v == 0 && (r.op == Op::jeq || r.op == Op::jne) && flags_hold(insn.dst());
        // (a 64-bit compare reads both halves of a: one LDRD when both are in the context)
        Reg alo = T0, ahi = T1;
        if (r.width == 64 && !(r.op == Op::jset && bhi == kZeroHi))
            rd_pair(insn.dst(), T0, T1, alo, ahi);
        else if (!flags_set)
            alo = rd(insn.dst(), false, T0);
        Cond c = Cond::al;
        if (r.width == 32) {
            if (r.op == Op::jset && imm)
                put_tst_imm(alo, v);
            else if (r.op == Op::jset)
                put_tst_reg(alo, blo);
            else if (!imm)
                put_cmp_reg(alo, blo);
            else if (!flags_set)
                put_cmp_imm(alo, v);
            switch (r.op) {
                case Op::jeq:
                    c = Cond::eq;
                    break;
                case Op::jne:
                    c = Cond::ne;
                    break;
                case Op::jset:
                    c = Cond::ne;
                    break;
                case Op::jgt:
                    c = Cond::hi;
                    break;
                case Op::jge:
                    c = Cond::hs;
                    break;
                case Op::jlt:
                    c = Cond::lo;
                    break;
                case Op::jle:
                    c = Cond::ls;
                    break;
                case Op::jsgt:
                    c = Cond::gt;
                    break;
                case Op::jsge:
                    c = Cond::ge;
                    break;
                case Op::jslt:
                    c = Cond::lt;
                    break;
                case Op::jsle:
                    c = Cond::le;
                    break;
                default:
                    break;
            }
            exit_block(c, target);
            return;
        }
        if (r.op == Op::jset && bhi == kZeroHi) {  // the upper halves' AND is 0
            put_tst_reg(alo, blo);
            exit_block(Cond::ne, target);
            return;
        }
        switch (r.op) {
            case Op::jeq:
            case Op::jne:
                if (bhi == kZeroHi)
                    put_cmp_imm(ahi, 0);
                else
                    put_cmp_reg(ahi, bhi);
                put(it(Cond::eq, 0x8));
                put_cmp_reg(alo, blo);
                c = r.op == Op::jeq ? Cond::eq : Cond::ne;
                break;
            case Op::jset:
                put_tst_reg(alo, blo);
                put(it(Cond::eq, 0x8));
                put_tst_reg(ahi, bhi);
                c = Cond::ne;
                break;
            case Op::jgt:
            case Op::jle:
                if (bhi == kZeroHi) {
                    // An upper half other than 0 is greater (CMP #0 leaves C set and Z clear);
                    // else the lower halves decide.
                    put_cmp_imm(ahi, 0);
                    put(it(Cond::eq, 0x8));
                    put_cmp_reg(alo, blo);
                    c = r.op == Op::jgt ? Cond::hi : Cond::ls;
                    break;
                }
                [[fallthrough]];
            default: {
                // a - b (or b - a) as a 64-bit subtraction; its carry and N/V decide.
                const bool swap = r.op == Op::jgt || r.op == Op::jle || r.op == Op::jsgt || r.op == Op::jsle;
                if (swap && bhi == kZeroHi) bad_ = true;  // keep_zero_upper_halves() never asks for it
                if (swap) {
                    put_cmp_reg(blo, alo);
                    put_dp_reg(DpOp::sbc, true, T4, bhi, ahi);
                } else {  // (kSrcHiZero only here: jgt and jle have their own way above)
                    put_cmp_reg(alo, blo);
                    if (bhi == kZeroHi)
                        put_dp_imm(DpOp::sbc, true, T4, ahi, 0);
                    else
                        put_dp_reg(DpOp::sbc, true, T4, ahi, bhi);
                }
                switch (r.op) {
                    case Op::jgt:
                        c = Cond::lo;
                        break;  // b < a
                    case Op::jle:
                        c = Cond::hs;
                        break;  // b >= a
                    case Op::jge:
                        c = Cond::hs;
                        break;
                    case Op::jlt:
                        c = Cond::lo;
                        break;
                    case Op::jsgt:
                        c = Cond::lt;
                        break;
                    case Op::jsle:
                        c = Cond::ge;
                        break;
                    case Op::jsge:
                        c = Cond::ge;
                        break;
                    case Op::jslt:
                        c = Cond::lt;
                        break;
                    default:
                        break;
                }
                break;
            }
        }
        exit_block(c, target);
    }

    void helper_call(const Insn& insn, const isa::OpInfo& r) noexcept {
        using namespace thumb;
        for (unsigned k = 1; k <= 5; ++k) flush(k);
        const bool callx = r.op == Op::callx;
        if (callx) {  // the id is the register's value
            Reg lo = T2, hi = T3;
            rd_pair(insn.dst(), T2, T3, lo, hi);
            mov(T2, lo);
            mov(T3, hi);
        } else {
            load_imm(T2, static_cast<std::uint32_t>(insn.imm));
        }
        put(mov_reg(T0, kCtx));
        load_imm(T1, static_cast<std::uint32_t>(pc_) | (callx ? 0x80000000u : 0));
        ctx_word(Mem::ldr, T4, ctx::kFnHelper);
        put(blx(T4));
        put_cmp_imm(T0, 0);
        branch(Cond::ne, helper_status_);
        reload(0);
    }

    void local_call(const Insn& insn) noexcept {
        using namespace thumb;
        const Reg fp = rd(isa::kFramePointer, false, T0);
        put(subw(T0, fp, C.stack_frame_size));
        ctx_word(Mem::ldr, T1, ctx::kStackBase);
        put_cmp_reg(T0, T1);
        slow_path(Cond::ls, SiteKind::error, static_cast<std::uint8_t>(ErrorCode::call_depth_exceeded));
        set(isa::kFramePointer, false, T0);
        const auto target = static_cast<std::size_t>(static_cast<std::int64_t>(pc_) + 1 + insn.imm);
        std::size_t f = 0;
        while (f + 1 < prog_.function_count && prog_.function_starts[f] != target) ++f;
        call_function(f, target);
        const Reg fp2 = wr(isa::kFramePointer, false, T0);
        if (mapped(isa::kFramePointer, false) < 0)
            ctx_word(Mem::ldr, fp2, ctx::reg(isa::kFramePointer, false));
        put(addw(fp2, fp2, C.stack_frame_size));
        wb(isa::kFramePointer, false, fp2);
    }

    /// A local function saves the caller's r6-r9 and its return address in a 40-byte frame.
    static constexpr unsigned kSaveFrame = 40;
    void function_prologue() noexcept {
        using namespace thumb;
        put(sub_sp(kSaveFrame));
        put(mem_imm(Mem::str, lr, sp, 32));
        for (unsigned r = 6; r <= 9; ++r)
            for (bool hi : {false, true}) {
                const Reg v = rd(r, hi, T0);
                put(mem_imm(Mem::str, v, sp, static_cast<std::int32_t>(4 * (2 * (r - 6) + (hi ? 1 : 0)))));
            }
    }
    void function_epilogue() noexcept {
        using namespace thumb;
        for (unsigned r = 6; r <= 9; ++r)
            for (bool hi : {false, true}) {
                const Reg v = wr(r, hi, T0);
                put(mem_imm(Mem::ldr, v, sp, static_cast<std::int32_t>(4 * (2 * (r - 6) + (hi ? 1 : 0)))));
                wb(r, hi, v);
            }
        put(mem_imm(Mem::ldr, lr, sp, 32));
        put(add_sp(kSaveFrame));
        put(bx(lr));
    }

    // ---- driver ---------------------------------------------------------------------------------

    /// Before a HoistedLoop (falling into its head): branches to the loop with checks
    /// (range_failed_) unless all that its iterations can read through the pointer lies in one
    /// region; else the copy without those checks follows.
    void check_range(const HoistedLoop& l) noexcept {
        range_failed_ = 0;
        short_fails_ = 0;
        // 16-bit B<c> when they may reach (past the copy: end_unchecked_copy()).
        const auto fail = [&](Cond c) {
            // (end_unchecked_copy() lands them at the head: not where a later entry is)
            if (!short_branches_ || short_fails_ == kMaxShortFails || l.entry != l.head) {
                wait(Wait::jump, c, range_failed_);
                return;
            }
            short_fail_[short_fails_++] = short_placeholder(c, l.head);
        };
        // Register r below 2^32: known (the analysis found its upper half 0), or tested here.
        const auto below_2_32 = [&](unsigned r, std::uint8_t known) {
            if (l.hi_zero & known) return;
            put_cmp_imm(rd(r, true, T0), 0);
            fail(Cond::ne);
        };
        // The same, and the lower half in its register or tlo (both halves with one LDRD).
        const auto lower_below_2_32 = [&](unsigned r, std::uint8_t known, Reg tlo, Reg thi) {
            if (l.hi_zero & known) return rd(r, false, tlo);
            Reg rlo = tlo, rhi = thi;
            rd_pair(r, tlo, thi, rlo, rhi);
            put_cmp_imm(rhi, 0);
            fail(Cond::ne);
            return rlo;
        };
        // The copy steps the pointer (or index) and the count and adds base + index in their
        // lower halves (kLoopStep), and tests them there (kNarrowJump): p0, n0, the bound and
        // all the pointer's values in the copy are below 2^32.
        Reg lo = T0, hi = T1, plo = T2, phi = T3;  // W = p0 + s*k* + s*after, into lo:hi
        std::int32_t last = l.last;
        const bool indexed = l.sum != kNoPc;
        if (indexed) {
            // Base, index and bound below 2^32 (known, or tested here); p0 = base + index
            // without a carry out of the lower half. (end = base + bound with one would be
            // below p0: the test of end - p0 below fails then.)
            below_2_32(l.index, kIndexHi);
            if (!l.down) below_2_32(l.bound, kBoundHi);
            below_2_32(l.base, kBaseHi);
            base_plus(l, rd(l.index, false, T2), T2, T3);
            fail(Cond::hs);
            if (l.down) {
                // The index counts itself down: i0 at least 1 when the test comes after the
                // step (k* = i0 - 1); the highest byte read is from p0.
                if (l.after) {
                    put_cmp_imm(rd(l.index, false, T0), 0);
                    fail(Cond::eq);
                }
                lo = T2;
            } else {
                if (l.bound == kConstant) load_imm(T0, l.bound_k);
                base_plus(l, l.bound == kConstant ? T0 : rd(l.bound, false, T0), T0, T3);
            }
            load_imm(T1, 0);
        } else if (l.to_end) {
            rd_pair(l.bound, T0, T1, lo, hi);  // W = end, the pointer's last value
            plo = lower_below_2_32(l.ptr, kPtrHi, T2, T3);
            put_cmp_imm(hi, 0);
            fail(Cond::ne);
        }
        if (l.to_end) {
            put_dp_reg(DpOp::sub, true, T4, lo, plo);  // end - p0: not below 0, a multiple of s
            fail(Cond::lo);
            if (l.after) fail(Cond::eq);  // the first test must not find p0 == end (k* >= 0)
            if (l.shift != 0) {
                // The low `shift` bits, shifted to the top (no mask: one from 2^9 - 1 up is no
                // modified immediate), must all be 0.
                put_dp_reg(DpOp::orr, true, T4, thumb::pc, T4, Shift::lsl, 32u - l.shift);
                fail(Cond::ne);
            }
        } else if (!l.down) {  // (a count: the index form counting down is done above)
            if (l.up) {
                // The counter's start c0 and its limit below 2^32 (known, or tested here), n0 =
                // limit - c0 without a borrow: then every compare of the two sees the same.
                below_2_32(l.bound, kIndexHi);
                below_2_32(l.limit, kBoundHi);
                if (l.limit == kConstant) load_imm(T1, l.bound_k);
                const Reg limit = l.limit == kConstant ? T1 : rd(l.limit, false, T1);
                const Reg c0 = rd(l.bound, false, T0);
                put_dp_reg(DpOp::sub, true, T2, limit, c0);
                fail(Cond::lo);
                if (l.after) put_dp_imm(DpOp::sub, true, T2, T2, 1);
            } else {
                const Reg clo = lower_below_2_32(l.bound, kBoundHi, T0, T1);
                put_dp_imm(DpOp::sub, true, T2, clo, l.after ? 1 : 0);  // T2 = k* = n0 - after
            }
            if (l.after) fail(Cond::lo);  // (n0 = 0: the count would pass its bound)
            if (l.shift != 0) {           // T2:T3 = s*k*
                put_shift_imm(Shift::lsr, T3, T2, 32u - l.shift);
                put_shift_imm(Shift::lsl, T2, T2, l.shift);
            }
            if (l.hi_zero & kPtrHi) {
                plo = rd(l.ptr, false, T0);
                load_imm(T1, 0);
                phi = T1;
            } else {
                rd_pair(l.ptr, T0, T1, plo, phi);
            }
            put_dp_reg(DpOp::add, true, T0, plo, T2);  // p0 + s*k*: W less s*after
            if (l.shift != 0)
                put_dp_reg(DpOp::adc, false, T1, phi, T3);
            else
                put_dp_imm(DpOp::adc, false, T1, phi, 0);
            // The pointer's last value: that, plus s when it steps before the test.
            if (rotated(l, l.step) < rotated(l, l.test)) {
                put_dp_imm(DpOp::add, true, T2, T0, 1u << l.shift);
                put_dp_imm(DpOp::adc, true, T3, T1, 0);
            } else {
                put_cmp_imm(T1, 0);
            }
            fail(Cond::ne);
            lo = T0;
            hi = T1;
            last += l.after ? std::int32_t{1} << l.shift : 0;
        }
        // The highest byte read and the lowest, each a valid start for one byte.
        add_offset64(lo, hi, last);
        put_wide(thumb::mem_dual(true, T3, T4, kCtx, use_check(loop_region(l), AccessKind::load, 1)));
        compare_with_region(lo, hi);
        fail(Cond::hs);
        if (indexed) {
            if (l.down) load_imm(T0, 0);                                 // (the lowest byte from the base)
            base_plus(l, l.down ? T0 : rd(l.index, false, T0), T0, T2);  // (T3, T4: the region)
            load_imm(T1, 0);
            lo = T0;
            hi = T1;
        } else if (l.hi_zero & kPtrHi) {
            lo = rd(l.ptr, false, T0);
            load_imm(T1, 0);
            hi = T1;
        } else {
            rd_pair(l.ptr, T0, T1, lo, hi);
        }
        add_offset64(lo, hi, l.first);
        compare_with_region(lo, hi);
        fail(Cond::hs);
        unchecked_ptr_ = l.ptr;
        test_live_ = slots_[l.test].live;
        slots_[l.test].live |= kNarrowJump;
        slots_[l.step].live |= kLoopStep;
        if (l.bound_step != kNoPc) slots_[l.bound_step].live |= kLoopStep;
        if (indexed) slots_[l.sum].live |= kLoopStep;
        // The copy's own liveness: nothing in it reads the index form's ptr's upper half.
        hidden_hi_ = 0;
        if (l.ptr_hi_dead)
            for (std::size_t pc = l.head; pc <= l.back; ++pc)
                if (in_ptr_window(l, pc) && (slots_[pc].live & bit(l.ptr))) {
                    slots_[pc].live &= static_cast<std::uint16_t>(~bit(l.ptr));
                    hidden_hi_ |= std::uint64_t{1} << (pc - l.head);
                }
    }
    /// The region a HoistedLoop's range is checked against: the stack, the program's own region
    /// its pointer (or the index form's base: a register, or an lddw's constant) points into
    /// (data_hint(), as the loop's loads are checked), or the first region.
    [[nodiscard]] CheckRegion loop_region(const HoistedLoop& l) const noexcept {
        if (l.stack) return CheckRegion::stack;
        if (l.sum != kNoPc && l.base == kConstant) return lane_region(lanes_holding(l.base_k));
        return lane_region((data_regs_ >> (l.sum != kNoPc ? l.base : l.ptr)) & 0x10001u);
    }
    /// out = the index form's base + v, lower halves, carry set when it passes 2^32 (tmp: for
    /// the base).
    void base_plus(const HoistedLoop& l, Reg v, Reg out, Reg tmp) noexcept {
        Reg b = tmp;
        if (l.base == kConstant)
            load_imm(tmp, l.base_k);
        else
            b = rd(l.base, false, tmp);
        put_dp_reg(DpOp::add, true, out, v, b);
    }
    /// After the copy of a HoistedLoop without checks: its way out past the back edge, then the
    /// loop again, with checks, where the range check's failures go.
    void end_unchecked_copy() noexcept {
        const HoistedLoop& l = loop_;
        if (row(l.back).op != Op::ja || folded_pc_ == l.back) {
            // A 16-bit B when short branches are tried: the loop with checks comes in between,
            // short enough for its 2 KB reach (compile() tries again with 32-bit ones if not).
            // With the loop's own registers: to the pad that moves them back (leave_loop_map()).
            if (in_loop_map_ >= 0) {
                branch_to_insn(Cond::al, l.back + 1u);
            } else if (short_branches_ && short_count_ < kMaxShort) {
                short_[short_count_++] = short_placeholder(Cond::al, l.back + 1u);
                slots_[l.back + 1].at |= kShortWaits;
            } else {
                wait(Wait::jump, Cond::al, slots_[l.back + 1].at);
            }
        }
        flush_stubs();
        slots_[l.test].live = test_live_;
        slots_[l.step].live &= static_cast<std::uint16_t>(~kLoopStep);
        if (l.bound_step != kNoPc) slots_[l.bound_step].live &= static_cast<std::uint16_t>(~kLoopStep);
        if (l.sum != kNoPc) slots_[l.sum].live &= static_cast<std::uint16_t>(~kLoopStep);
        for (std::uint64_t m = hidden_hi_; m != 0; m &= m - 1)
            slots_[l.head + static_cast<unsigned>(std::countr_zero(m))].live |=
                static_cast<std::uint16_t>(bit(l.ptr));
        for (unsigned k = 0; k < short_fails_; ++k)
            if (!land(short_fail_[k].at, short_fail_[k].cond)) short_missed_ = true;
        for (std::size_t pc = l.head; pc <= l.back; ++pc) {
            slots_[pc].at = 0;
            slots_[pc].flags &= static_cast<std::uint8_t>(~kEmitted);
        }
        slots_[l.entry].at = range_failed_;
        unchecked_ptr_ = -1;
        pc_ = l.head;
        ++next_edge_;  // (no other loop versioned has this head: it would jump into this one)
    }

    // ---- loops with their own registers (Options::loop_registers) ------------------------------
    [[nodiscard]] static bool in_loop(const LoopMap& l, std::size_t pc) noexcept {
        return l.head <= pc && pc <= l.last;
    }
    /// A branch out of the loop being emitted: to the pad for pc (emitted after the loop).
    void to_pad(Cond c, std::size_t pc) noexcept {
        unsigned k = 0;
        while (k < pad_count_ && pads_[k].target != pc) ++k;
        if (k == kMaxPads) {  // (find_loop_maps() counted the ways out)
            bad_ = true;
            return;
        }
        if (k == pad_count_) pads_[pad_count_++] = Pad{0, static_cast<std::uint16_t>(pc)};
        wait(Wait::jump, c, pads_[k].link);
    }
    /// Moves the halves in `moved` (bit h: half h) from their place in `from` to their place in
    /// `to` (-1: the context) where code from pc may read them: stores first, then loads, so
    /// that no order matters.
    void move_halves(const std::int8_t* from, const std::int8_t* to, std::uint32_t moved,
                     std::size_t pc) noexcept {
        std::uint32_t lo = 0;
        for (std::uint32_t m = moved & 0x155555u; m != 0; m &= m - 1) lo |= 1u << (std::countr_zero(m) / 2);
        unsigned steps = 12;
        // (r10 always: a local function's caller reads it after the return, unseen by lo_read())
        lo = lo_read(pc, lo, steps) | (lo & (1u << isa::kFramePointer));
        const std::uint32_t hi = slots_[pc].live & kAllHi;
        std::uint32_t read = 0;  // the halves of `moved` that code from pc may read
        for (std::uint32_t m = moved; m != 0; m &= m - 1) {
            const auto h = static_cast<unsigned>(std::countr_zero(m));
            if (((((h & 1) ? hi : lo) >> (h / 2)) & 1) != 0) read |= 1u << h;
        }
        const auto transfer = [&](thumb::Mem op, const std::int8_t* place) {
            for (std::uint32_t m = read; m != 0; m &= m - 1) {
                const auto h = static_cast<unsigned>(std::countr_zero(m));
                if (place[h] >= 0) ctx_word(op, static_cast<Reg>(place[h]), ctx::reg(h / 2, (h & 1) != 0));
            }
        };
        transfer(thumb::Mem::str, from);
        transfer(thumb::Mem::ldr, to);
        stored_count_ = 0;
        t2_k_ = kNoConst;
    }
    /// At the head of the next loop map: the jumps from before the loop (to its entry) come to
    /// a preheader that moves the halves into the loop's registers (and so do those from after
    /// it: branch_to_insn()). A versioned loop's range check follows it (and goes to the entry).
    void enter_loop_map(bool versioned = false) noexcept {
        LoopMap& l = loop_maps_[next_loop_map_];
        arrive(l.entry);
        l.preheader = static_cast<std::uint32_t>(pos_);
        slots_[l.entry].at = 0;
        slots_[l.entry].flags &= static_cast<std::uint8_t>(~kEmitted);
        move_halves(map_, l.map, l.moved, l.entry);
        std::copy_n(l.map, 22, map_);
        in_loop_map_ = static_cast<int>(next_loop_map_++);
        pad_count_ = 0;
        if (l.entry != l.head && !versioned) branch_to_insn(Cond::al, l.entry);
    }
    /// A guard where control comes into a loop (EntryGuard), at its head: the jumps into the
    /// loop come here, and on when the register's upper half is 0. Otherwise a pointer guard
    /// charges the entry's block and fails its access through its slow path, with the
    /// address's upper half that upper half (no region is that high); a count guard sets the
    /// count's lower half to 0xffffffff.
    void enter_guard(const EntryGuard& g) noexcept {
        room(32);  // (no island inside: the branch past the failing part is 16-bit)
        ++hold_;
        arrive(g.entry);
        const Reg hi = rd(g.base, true, T0);  // (r0 or a register of its own: below r13)
        const bool low = hi < thumb::r8;      // CBZ, else CMP + BEQ
        if (!low) put_cmp_imm(hi, 0);
        const std::size_t pass = placeholder();
        if (g.count) {
            const Reg lo = wr(g.base, false, T1);
            load_imm(lo, 0xffffffffu);
            if (lo == T1) ctx_word(thumb::Mem::str, T1, ctx::reg(g.base, false));
        } else {
            const std::size_t head = pc_;
            pc_ = g.entry;  // (the stubs' pc)
            put_charge();
            put_cmp_imm(hi, 0);  // (the budget's slow path may have changed the flags)
            const isa::OpInfo& r = row(g.entry);
            const bool store = r.op == Op::st || r.op == Op::stx;
            slow_path(Cond::ne, store ? SiteKind::store : SiteKind::load,
                      static_cast<std::uint8_t>(log2_size(r.width / 8u) | unsigned{hi} << 2));
            pc_ = head;
        }
        if (low && !full_)
            write(pass, thumb::cbz(hi, rel(pos_, pass)));
        else
            land(pass, Cond::eq);
        stored_count_ = 0;  // (the context words a count guard stored: on one way here only)
        --hold_;
        slots_[g.entry].at = 0;
        slots_[g.entry].flags &= static_cast<std::uint8_t>(~kEmitted);
    }
    /// The guards of a loop whose head is pc_, if any (versioned: its range check comes next),
    /// then on to the entry.
    void enter_guards(bool versioned) noexcept {
        std::size_t entry = kNoPc;
        for (; next_guard_ < guard_count_ && guards_[next_guard_].head <= pc_; ++next_guard_) {
            const EntryGuard& g = guards_[next_guard_];
            if (!g.active || g.head != pc_) continue;
            enter_guard(g);
            entry = g.entry;
        }
        if (entry == kNoPc || entry == pc_ || versioned) return;
        if (next_loop_map_ < loop_map_count_ && loop_maps_[next_loop_map_].head == pc_)
            return;  // (its moves first)
        branch_to_insn(Cond::al, entry);
    }
    /// Past the loop's last instruction: its fall-through, then its pads, move the halves back.
    /// (A versioned loop's copy without checks leaves past its back edge through a pad to `out`:
    /// it joins the fall-through's moves.)
    void leave_loop_map() noexcept {
        const LoopMap& l = loop_maps_[in_loop_map_];
        in_loop_map_ = -1;
        std::int8_t inner[22];
        std::copy_n(map_, 22, inner);
        std::copy_n(program_map_, 22, map_);
        const std::size_t out = l.last + 1u;
        const bool falls = row(l.last).op != Op::ja || folded_pc_ == l.last;
        if (falls) {
            for (unsigned k = 0; k < pad_count_; ++k)
                if (pads_[k].target == out) {
                    resolve(pads_[k].link);
                    pads_[k] = pads_[--pad_count_];
                    break;
                }
            move_halves(inner, map_, l.moved, out);
            if (pad_count_ > 0) branch_to_insn(Cond::al, out);
        }
        for (unsigned k = 0; k < pad_count_; ++k) {
            resolve(pads_[k].link);
            move_halves(inner, map_, l.moved, pads_[k].target);
            branch_to_insn(Cond::al, pads_[k].target);
        }
        if (pad_count_ > 0 || !falls) flush_stubs();
    }

    void emit_all() noexcept {
        data_regions_ = static_cast<unsigned>(std::min<std::size_t>(prog_.regions.size(), ctx::kDataRegions));
        shared_routines();
        entry();
        const std::size_t n = code_.size();
        std::size_t f = 0;
        pc_ = 0;
        // Where the loop must look up: the end, a versioned loop's head, or the end of its copy.
        const auto next_stop = [&] { return next_edge_ < edge_count_ ? loop_edges_[next_edge_].head : n; };
        for (std::size_t stop = next_stop(); !full_;) {
            // (past a versioned loop's copy without checks, its loop with checks comes next)
            if (in_loop_map_ >= 0 && pc_ > loop_maps_[in_loop_map_].last && unchecked_ptr_ < 0)
                leave_loop_map();
            if (pc_ >= stop) {
                if constexpr (C.jit_loop_versioning) {
                    if (unchecked_ptr_ >= 0) {
                        end_unchecked_copy();  // the loop again, with checks
                        stop = next_stop();
                        continue;
                    }
                    if (pc_ < n) {
                        if (pc_ == loop_edges_[next_edge_].head &&
                            hoistable(pc_, loop_edges_[next_edge_].back, loop_,
                                      loop_edges_[next_edge_].entry)) {
                            const std::size_t in = loop_.entry;
                            enter_guards(true);  // (at hoistable()'s entry: analyse())
                            if (next_loop_map_ < loop_map_count_ && loop_maps_[next_loop_map_].head == pc_)
                                enter_loop_map(true);  // (the same loop: find_loop_maps())
                            arrive(in);                // the jumps into the loop come to its range check
                            slots_[in].at = 0;
                            slots_[in].flags &= static_cast<std::uint8_t>(~kEmitted);
                            check_range(loop_);
                            if (in != pc_) wait(Wait::jump, Cond::al, slots_[in].at);  // the copy's entry
                            stop = loop_.back + 1u;
                        } else {  // (never: heads are leaders, never folded into other instructions)
                            ++next_edge_;
                            stop = next_stop();
                            continue;
                        }
                    }
                }
                if (pc_ >= n) break;
            }
            const std::size_t pc = pc_;
            const isa::OpInfo& r = row(pc);
            enter_guards(false);
            if (next_loop_map_ < loop_map_count_ && pc == loop_maps_[next_loop_map_].head) enter_loop_map();
            if (leader(pc)) {
                // From a block's start to the end of its charge the code is one piece (merge_ja
                // jumps past a charge): a function's prologue takes at most 70 bytes.
                const bool function_start = f < prog_.function_count && prog_.function_starts[f] == pc;
                room(function_start ? 80 : 16);
                ++hold_;
                if (function_start) {
                    func_entry_[f] = static_cast<std::uint32_t>(pos_);
                    arrive(pc);  // calls go to the prologue, jumps (backward ones only) past it
                    if (local_calls_) function_prologue();
                    slots_[pc].at = static_cast<std::uint32_t>(pos_);
                    ++f;
                } else {
                    arrive(pc);
                }
                t2_k_ = kNoConst;  // control may arrive from elsewhere
                covered_ = kNoPc;  // (access_partner() never pairs across a leader)
                if (r.op == Op::ja && merge_ja()) {
                    --hold_;
                    flush_stubs();
                    ++pc_;
                    continue;
                }
                charge();
                --hold_;
            } else {
                arrive(pc);
            }
            flags_live_ = false;
            if (leader(pc)) zero_flags_.reg = -1;  // control may come from elsewhere
            if (options_.poison_dead_upper_halves) poison(slots_[pc].live & kAllHi);
            // An exit restores the caller's R6-R9 halves whatever this function leaves live.
            hi_out_ = r.op == Op::exit ? kAllHi : succ_live(pc) & ~kept(pc);
            if (data_regions_ > 0) data_hint(pc);
            const std::size_t fused = fuse();
            std::size_t step = isa::slots(r.op);
            if (fused == 0) {
                emit(code_[pc], r);
                if (r.op == Op::ja || r.op == Op::exit) flush_stubs();
            } else {
                // Instructions folded into the first one are never jump targets (not leaders).
                for (std::size_t k = 1; k < fused; ++k) {
                    slots_[pc + k].at = static_cast<std::uint32_t>(pos_);
                    slots_[pc + k].flags |= kEmitted;
                    if (data_regions_ > 0) data_hint(pc + k);
                }
                step = fused;
            }
            std::uint32_t left = block_left_ - (fused > 0 ? static_cast<std::uint32_t>(fused) : 1u);
            std::size_t next = pc + step;
            if (folded_ja_ != kNoFold) {  // the ja after a conditional jump (exit_block())
                slots_[next].at = folded_ja_;
                slots_[next].flags |= kEmitted;
                folded_ja_ = kNoFold;
                folded_pc_ = next;
                --left;
                ++next;
            }
            block_left_ = left;
            pc_ = next;
        }
        flush_stubs();
    }

    /// What lo_read() needs of each instruction, one byte per isa::Id: how it goes on (LoNext)
    /// and which lower halves it reads and defines.
    enum LoNext : std::uint8_t { lo_on, lo_exit, lo_helper, lo_local, lo_ja, lo_branch };
    static constexpr std::uint8_t kLoReadsSrc = 8, kLoReadsDst = 16, kLoDefinesDst = 32, kLoReadsR0 = 64,
                                  kLoTwoSlots = 128;
    static constexpr std::array<std::uint8_t, isa::kOpCount + 1> kLoFacts = [] {
        std::array<std::uint8_t, isa::kOpCount + 1> t{};
        for (std::size_t i = 0; i < isa::kOpCount; ++i) {
            const isa::OpInfo& r = isa::kOps[i];
            const Op op = r.op;
            const bool defines =
                op == Op::mov || op == Op::movsx || op == Op::lddw || op == Op::ldx || op == Op::ldxs;
            const bool dst = (r.fields & isa::kDst) != 0;
            unsigned f = op == Op::exit                      ? lo_exit
                         : op == Op::call || op == Op::callx ? lo_helper
                         : op == Op::call_local              ? lo_local
                         : op == Op::ja                      ? lo_ja
                         : isa::is_conditional_jump(op)      ? lo_branch
                                                             : lo_on;
            if (r.fields & isa::kSrc) f |= kLoReadsSrc;
            if (dst && !defines) f |= kLoReadsDst;
            if (dst && (isa::is_alu(op) || defines)) f |= kLoDefinesDst;
            if (isa::is_atomic(op)) f |= kLoReadsR0;  // cmpxchg
            if (isa::slots(op) == 2) f |= kLoTwoSlots;
            t[i] = static_cast<std::uint8_t>(f);
        }
        return t;
    }();
    /// The lower halves an instruction (kLoFacts f) reads, other than a local call's.
    [[nodiscard]] std::uint32_t lo_reads(unsigned f, const Insn& insn) const noexcept {
        switch (static_cast<LoNext>(f & 7)) {
            case lo_exit:  // R0; a local function's caller also sees R1-R5
                return prog_.function_count == 1 ? 1u : 0x3fu;
            case lo_helper:  // R1-R5 (callx: its dst too)
                return 0x3eu | ((f & kLoReadsDst) ? 1u << insn.dst() : 0u);
            default:
                return ((f & kLoReadsR0) ? 1u : 0u) | ((f & kLoReadsSrc) ? 1u << insn.src() : 0u) |
                       ((f & kLoReadsDst) ? 1u << insn.dst() : 0u);
        }
    }
    /// Of the lower halves in `wanted`, those that some path from q may read before redefining
    /// them (a short, bounded look-ahead; anything it cannot see counts as a read).
    [[nodiscard]] std::uint32_t lo_read(std::size_t q, std::uint32_t wanted, unsigned& steps) const noexcept {
        const std::size_t n = code_.size();
        std::uint32_t read = 0, open = wanted;  // open: neither read nor redefined yet
        const auto reads = [&](std::uint32_t m) {
            read |= m & open;
            open &= ~m;
        };
        while (q < n && open != 0) {
            if (steps == 0) break;
            --steps;
            const unsigned f = kLoFacts[slots_[q].id];
            const Insn& insn = code_[q];
            const auto next = static_cast<LoNext>(f & 7);
            if (next == lo_local) break;
            reads(lo_reads(f, insn));
            if (next == lo_exit) return read;
            if (next == lo_helper) {
                open &= ~1u;  // R0 is the result
                ++q;
                continue;
            }
            if (f & kLoDefinesDst) open &= ~(1u << insn.dst());
            if (next == lo_ja) {
                q = slots_[q].target;
                continue;
            }
            if (next == lo_branch) {  // the taken path looks half as far ahead
                unsigned half = steps / 2;
                const std::uint32_t taken = lo_read(slots_[q].target, open, half);
                read |= taken;
                open &= ~taken;
            }
            q += (f & kLoTwoSlots) ? 2 : 1;
        }
        return read | open;
    }
    [[nodiscard]] bool lo_dead(std::size_t q, unsigned r, unsigned& steps) const noexcept {
        return lo_read(q, 1u << r, steps) == 0;
    }
    /// Whether the flags still describe register r's lower half as alu32_imm() left them: no
    /// instruction that may set flags was emitted since, no leader came between (emit_all()),
    /// and no instruction between wrote r or went anywhere but on.
    [[nodiscard]] bool flags_hold(unsigned r) const noexcept {
        if (zero_flags_.reg != static_cast<int>(r) || zero_flags_.at != flag_writes_) return false;
        for (std::size_t q = zero_flags_.pc + 1u; q < pc_; q += isa::slots(row(q).op)) {
            const unsigned f = kLoFacts[slots_[q].id];
            if ((f & 7) != lo_on || isa::is_atomic(row(q).op) || ((f & kLoDefinesDst) && code_[q].dst() == r))
                return false;
        }
        return true;
    }
    [[nodiscard]] bool is(std::size_t q, Op op, unsigned width, isa::Form form) const noexcept {
        if (q >= code_.size() || leader(q)) return false;
        const isa::OpInfo& r = row(q);
        return r.op == op && r.width == width && r.form == form;
    }
    /// Finds a group starting at p (see fuse()), records it in the slots and returns its length
    /// (0: none).
    [[gnu::always_inline]] std::size_t find_group(std::size_t p) noexcept {
        const isa::OpInfo& r0 = row(p);
        if ((r0.op != Op::ldx && r0.op != Op::mov) || p + 1 >= code_.size()) return 0;  // no group starts
        const unsigned a = code_[p].dst();
        const Insn& i1 = code_[p + 1];
        const isa::OpInfo& r1 = row(p + 1);
        const Op op = r1.op;
        Group g = Group::none;
        std::size_t len = 2;
        bool temp_dead = false;
        // (64 steps: a loaded value read once in a loop is dead only at the loop's next load,
        // 46 instructions on in crc32's unrolled body; a read ends the look-ahead at once)
        unsigned steps = 64;
        if (load_op(p) && lo_dead(p + 2, a, steps)) {
            g = Group::load_op;
            temp_dead = true;
        } else if (r0.op == Op::mov && r0.width == 32 && r0.form == isa::Form::dst_src) {
            const unsigned b = code_[p].src();
            if (a == b) return 0;
            if (mod_idiom(p)) {
                g = Group::mod;
                len = 4;
                steps = 24;
                temp_dead = lo_dead(p + 4, a, steps);
            } else if (!leader(p + 1) && i1.dst() == a && r1.width == 32 &&
                       (((r1.form == isa::Form::dst_src || r1.form == isa::Form::dst_imm) &&
                         (add_sub_logic(op) || op == Op::mul)) ||
                        (r1.form == isa::Form::dst_imm &&
                         (op == Op::lsh || op == Op::rsh || op == Op::arsh))) &&
                       !(r1.form == isa::Form::dst_src && i1.src() == a)) {
                g = Group::mov_op;
            }
        } else if (r0.op == Op::mov && r0.width == 64 && r0.form == isa::Form::dst_src) {
            const bool by_register =
                r1.form == isa::Form::dst_src && i1.src() != a &&
                (add_sub_logic(op) || op == Op::mul || op == Op::lsh || op == Op::rsh || op == Op::arsh ||
                 op == Op::div || op == Op::mod || op == Op::sdiv || op == Op::smod);
            const bool by_constant =
                r1.form == isa::Form::dst_imm &&
                (add_sub_logic(op) || ((op == Op::rsh || op == Op::arsh) && (i1.imm & 63) != 0));
            if (code_[p].src() != a && !leader(p + 1) && i1.dst() == a && r1.width == 64 &&
                (by_register || by_constant))
                g = Group::mov_op;
        }
        if (g == Group::none) return 0;
        slots_[p].flags |= static_cast<std::uint8_t>(static_cast<unsigned>(g) << kGroupShift);
        for (std::size_t k = 0; k < len; ++k)
            slots_[p + k].flags |= static_cast<std::uint8_t>((temp_dead ? kTempDead : 0) | (k << kBackShift));
        return len;
    }
    [[nodiscard]] bool mod_idiom(std::size_t p) const noexcept {
        const unsigned a = code_[p].dst(), b = code_[p].src();
        if (a == b || p + 3 >= code_.size()) return false;
        const Insn& i1 = code_[p + 1];
        return is(p + 1, Op::div, 32, isa::Form::dst_imm) && i1.dst() == a && i1.off == 0 &&
               is(p + 2, Op::mul, 32, isa::Form::dst_imm) && code_[p + 2].dst() == a &&
               code_[p + 2].imm == i1.imm && is(p + 3, Op::sub, 32, isa::Form::dst_src) &&
               code_[p + 3].dst() == b && code_[p + 3].src() == a;
    }
    /// wA = *(B/H/W *)(..); wC op= wA (C != A), for the caller to check that A is dead after.
    [[nodiscard]] bool load_op(std::size_t p) const noexcept {
        if (p + 1 >= code_.size() || leader(p + 1)) return false;
        const isa::OpInfo& r0 = row(p);
        if (r0.op != Op::ldx || r0.width == 64) return false;
        const isa::OpInfo& r1 = row(p + 1);
        const Insn& i1 = code_[p + 1];
        const unsigned a = code_[p].dst();
        const Op op = r1.op;
        return r1.width == 32 && r1.form == isa::Form::dst_src && i1.src() == a && i1.dst() != a &&
               (add_sub_logic(op) || op == Op::mul);
    }
    /// Emits the group found at pc_ by the analysis as one, and returns how many instructions it
    /// took (0: none).
    ///   wA = *(..); wC op= wA            ->  the loaded value stays in a scratch register
    ///   wA = wB; wA /= K; wA *= K; wB -= wA   ->  udiv + mls (wB %= K, as LLVM writes it)
    ///   wA = wB; wA op= X (or <<, >> K)       ->  one 3-operand instruction
    ///   A = B; A op= C (64-bit; C a register or a constant)  ->  computed from B and C into A
    [[gnu::always_inline]] std::size_t fuse() noexcept {
        using namespace thumb;
        const std::size_t p = pc_;
        // T2 still holds the divisor of the previous group if only such a group came between.
        const std::int64_t k_prev = t2_k_;
        t2_k_ = kNoConst;
        const Group g = group(p);
        if (g == Group::none) return zero_extend(p);
        if (g == Group::load_op) {
            const unsigned a = code_[p].dst();
            hi_out_ = group_out(p, 2);
            dead_lo_ = static_cast<int>(a);
            load(code_[p], row(p));
            dead_lo_ = -1;
            const Insn& i1 = code_[p + 1];
            alu32(row(p + 1).op, i1.dst(), rd(i1.dst(), false, T0), wr(a, false, T1));
            return 2;
        }
        const unsigned a = code_[p].dst(), b = code_[p].src();
        const Insn& i1 = code_[p + 1];
        if (g == Group::mod) {
            hi_out_ = group_out(p, 4);
            // The divisor: the constant register, or T2 (left there for the next such group)
            const auto k = static_cast<std::uint32_t>(i1.imm);
            const Reg kr = k_prev == i1.imm && !holds_constant(k) ? T2 : constant_operand(k);
            t2_k_ = kr == T2 ? i1.imm : k_prev;
            const Reg vb = rd(b, false, T0);
            const Reg qa = wr(a, false, T1);
            const Reg rb = wr(b, false, T0);
            put_wide(udiv(qa, vb, kr));
            put_wide(mls(rb, qa, kr, vb));  // b - (b / K) * K; UDIV by 0 gives 0, as eBPF wants
            if (!(slots_[p].flags & kTempDead)) {
                put(mul(qa, qa, kr));
                wb(a, false, qa);
            }
            wb(b, false, rb);
            set_imm(a, true, 0, T1);
            set_imm(b, true, 0, T3);
            return 4;
        }
        const isa::OpInfo& row1 = row(p + 1);
        if (row(p).width == 64) {
            if (C.jit_loop_versioning &&
                (slots_[p + 1].live & kLoopStep)) {  // versioned `ptr = base; ptr += index`
                hi_out_ = succ_live(p + 1);
                const Reg vb = rd(b, false, T0);
                alu32(Op::add, a, vb, rd(i1.src(), false, T2));
                return 2;
            }
            // Computed from B into A at once. Not when the known-zero analysis took upper halves
            // out of the operation (their halves may then be stale), nor out of the MOV but
            // for B's upper half as 0 in an ADD, SUB or logic operation with C's not 0.
            const std::uint16_t mov_flags = slots_[p].live, op_flags = slots_[p + 1].live;
            const bool b_hi_zero = (mov_flags & (kKeepsHi | kSrcHiZero)) != 0;  // (a MOV keeps A's: B's is 0)
            if ((op_flags & (kKeepsHi | kDstHiZero)) != 0 ||
                (b_hi_zero && !(row1.form == isa::Form::dst_src && add_sub_logic(row1.op) &&
                                (op_flags & kSrcHiZero) == 0)))
                return 0;
            hi_out_ = succ_live(p + 1);
            if (row1.form == isa::Form::dst_imm)  // nothing emitted when it cannot fuse
                return shift_const(i1, row1, b) || alu_const(i1, row1, b) ? 2 : 0;
            Reg blo = T2, bhi = T3, alo = T0, ahi = T1;
            operand_b(p + 1, i1, row1, blo, bhi);
            if (b_hi_zero) {
                alo = rd(b, false, T0);
                ahi = kZeroHi;
            } else {
                rd_pair(b, T0, T1, alo, ahi);
            }
            alu64(row1.op, a, alo, ahi, blo, bhi);
            return 2;
        }
        hi_out_ = group_out(p, 2);
        const auto v = static_cast<std::uint32_t>(i1.imm);
        const Op op = row1.op;
        if (op == Op::lsh || op == Op::rsh || op == Op::arsh) return shift_const(i1, row1, b) ? 2 : 0;
        if (const DpImm k = dp_immediate(op, v); row1.form == isa::Form::dst_imm && k.ok && !blinded(v)) {
            alu32_imm(k.op, a, rd(b, false, T0), k.v);
            set_imm(a, true, 0, T1);
            t2_k_ = k_prev;
            return 2;
        }
        Reg blo = T2, bhi = T3;
        operand_b(p + 1, i1, row1, blo, bhi);
        alu32(row1.op, a, rd(b, false, T0), blo);
        // These write only T0, T1 and registers of eBPF halves: a divisor in T2 stays valid.
        if (row1.form == isa::Form::dst_src && mapped(i1.src(), false) >= 0) t2_k_ = k_prev;
        return 2;
    }

    /// Options::poison_dead_upper_halves: every upper half not in `live` gets 0xdead0000 | pc.
    void poison(std::uint32_t live) noexcept {
        for (unsigned r = 0; r < 10; ++r) {
            if ((live >> r) & 1) continue;
            const Reg d = wr(r, true, T0);
            load_imm(d, 0xdead0000u | static_cast<std::uint32_t>(pc_ & 0xffff));
            if (mapped(r, true) < 0) ctx_word(thumb::Mem::str, d, ctx::reg(r, true));
        }
    }

    /// `r <<= 32; r >>= 32` (how LLVM zero-extends a 32-bit value): the upper half becomes 0.
    [[gnu::always_inline]] std::size_t zero_extend(std::size_t p) noexcept {
        const Insn& i0 = code_[p];
        const isa::OpInfo& r0 = row(p);
        if (r0.op != Op::lsh || r0.width != 64 || r0.form != isa::Form::dst_imm || i0.imm != 32 ||
            !is(p + 1, Op::rsh, 64, isa::Form::dst_imm) || code_[p + 1].imm != 32 ||
            code_[p + 1].dst() != i0.dst())
            return 0;
        hi_out_ = group_out(p, 2);
        set_imm(i0.dst(), true, 0, T1);
        return 2;
    }

    /// A block that is only `ja T` charges itself and T's block at once and jumps past T's
    /// charge, saving a charge per loop iteration. runtime::budget follows the ja when it cuts
    /// such a block. Not when T is itself a lone ja (its charge would cover a third block), the
    /// sum does not fit one charge, or T is a call or an exit: past a cut-off in the merged
    /// block only stores are refused (runtime::budget), so T's own charge must stop the run.
    [[gnu::always_inline]] bool merge_ja() noexcept {
        carry_ = {};  // (charge() does not run for this block)
        const std::size_t t = jump_target(pc_, row(pc_));
        const Op target_op = row(t).op;
        if (t == pc_ || target_op == Op::ja || target_op == Op::exit || is_call(target_op)) return false;
        std::uint16_t lddw = 0;
        std::size_t t_last = 0;
        const std::uint32_t count = 1 + block_length(t, &lddw, &t_last);
        // (nor into a block that may charge another one too: see carry_of())
        if (count > kMaxBlock || (lddw >> StubData::kJaLddwBits) != 0 || ends_back(t, t_last)) return false;
        // (past the charge would be past a preheader, or out of a loop without its pad)
        if (in_loop_map_ >= 0 && !in_loop(loop_maps_[in_loop_map_], t)) return false;
        for (unsigned k = 0; k < loop_map_count_; ++k)
            if (loop_maps_[k].entry == t && static_cast<int>(k) != in_loop_map_) return false;
        for (unsigned k = 0; k < guard_count_; ++k)
            if (guards_[k].entry == t && guards_[k].active) return false;  // (past its guard)
        if constexpr (C.jit_loop_versioning)  // (past the charge would be past its range check)
            for (unsigned k = next_edge_; k < edge_count_; ++k)
                if (loop_edges_[k].head == t || loop_edges_[k].entry == t) return false;
        subtract_budget(count);
        slow_path(Cond::mi, SiteKind::budget_ja, static_cast<std::uint8_t>(count), t,
                  StubData::ja_layout(1, lddw));
        if (emitted(t))
            branch_past_charge(Cond::al, t);
        else
            wait(Wait::past_charge, Cond::al, slots_[t].at);
        return true;
    }

    [[gnu::always_inline]] void emit(const Insn& insn, const isa::OpInfo& r) noexcept {
        const Op op = r.op;
        if (isa::is_alu(op)) {
            if (!shift_const(insn, r, insn.dst(), (slots_[pc_].live & kDstHiZero) != 0) &&
                !alu_const(insn, r, insn.dst()))
                alu(insn, r);
        } else if (is_jump(op)) {
            jump(insn, r);
        } else if (op == Op::call || op == Op::callx) {
            helper_call(insn, r);
        } else if (op == Op::call_local) {
            local_call(insn);
        } else if (op == Op::exit) {
            // In a loop with registers of its own, what the exit reads goes back to the program's
            // places first (R0, a caller's R1-R5 and r10; the epilogue restores R6-R9 there).
            const int loop = in_loop_map_;
            if (loop >= 0) {
                move_halves(map_, program_map_, loop_maps_[loop].moved, pc_);
                std::copy_n(program_map_, 22, map_);
            }
            if (local_calls_)
                function_epilogue();
            else
                branch(Cond::al, exit_ok_);
            if (loop >= 0) std::copy_n(loop_maps_[loop].map, 22, map_);
        } else if (op == Op::lddw) {
            set_const(insn.dst(), false, static_cast<std::uint32_t>(insn.imm), T0, T1);
            set_const(insn.dst(), true, static_cast<std::uint32_t>(code_[pc_ + 1].imm), T1, T2);
        } else if (op == Op::ldx || op == Op::ldxs) {
            load(insn, r);
        } else if (op == Op::st || op == Op::stx) {
            store(insn, r);
        } else if (isa::is_atomic(op)) {
            atomic(insn, r);
        }
    }

    Result<Compiled> run() noexcept {
        if (misaligned_) return Error{ErrorCode::jit_buffer_misaligned, 0};
        if (slots_ == nullptr) return Error{ErrorCode::jit_buffer_too_small, 0};
        analyse();
        emit_all();
        // (Once the buffer is full, the positions counted past its end can leave branches out of
        // reach: a larger buffer is the remedy then, whatever failed after.)
        if (full_) return Error{ErrorCode::jit_buffer_too_small, 0};
        if (bad_) return Error{ErrorCode::jit_encoding_failed, static_cast<std::uint32_t>(pc_)};
        return Compiled{static_cast<std::uint32_t>(pos_),
                        static_cast<std::uint32_t>(entry_),
                        static_cast<std::uint32_t>(slow_),
                        {checks_[0], checks_[1]}};
    }

    const VerifiedProgram<C>& prog_;
    std::span<const Insn> code_;
    std::uint8_t* buf_;
    Slot* slots_ = nullptr;
    std::size_t limit_ = 0;        // code stays below: the lowest pending stub
    std::size_t pending_top_ = 0;  // the stubs still to be placed grow down from here
    std::size_t pending_ = 0;
    static constexpr std::size_t kNoDeadline = ~std::size_t{0};
    std::size_t deadline_ = kNoDeadline;  // islands: the latest flush point all pending stubs reach
    std::size_t stub_bytes_ = 0;          // bytes of the pending stubs at most
    unsigned hold_ = 0;                   // > 0: no island here (a charge, a stub, an island)
    std::size_t pos_ = 0, slow_ = 0;
    bool full_ = false, bad_ = false, misaligned_ = false;
    Options options_{};
    bool flags_live_ = false;        // flags set by the code so far are still to be read
    std::uint32_t flag_writes_ = 0;  // instructions emitted that may have set the flags
    struct ZeroFlags {
        int reg = -1;          // the eBPF register whose lower half the flags' Z and N describe (-1: none)
        std::uint32_t at = 0;  // flag_writes_ after the instruction that set them
        std::uint16_t pc = 0;  // where that instruction's code was emitted (pc_)
    };
    ZeroFlags zero_flags_{};  // see alu32_imm() and flags_hold()
    struct Stored {
        std::int32_t offset;
        Reg reg;
    };
    Stored stored_[2] = {};  // see stored()
    unsigned stored_count_ = 0;
    unsigned it_left_ = 0;  // instructions of the current IT block still to come
    // 16-bit forward branches waiting for their target (see wait_short()).
    static constexpr unsigned kMaxShort = 16;
    ShortWait short_[kMaxShort];  // the first short_count_ are in use
    unsigned short_count_ = 0;
    bool short_branches_ = true, short_missed_ = false;
    std::uint32_t block_left_ = 0;  // instructions of the charged block not yet emitted
    static constexpr std::uint32_t kNoFold = ~std::uint32_t{0};
    std::uint32_t folded_ja_ = kNoFold;  // the code offset of a ja folded into its jump (exit_block())
    std::size_t folded_pc_ = kNoPc;      // the last such ja
    std::size_t pc_ = 0;
    std::uint32_t hi_out_ = kAllHi;     // upper halves live after the instruction being emitted
    std::int8_t map_[22] = {};          // where each half is (-1: in the context): program_map_ or a loop's
    std::int8_t program_map_[22] = {};  // the program's choice (choose_registers())
    LoopMap loop_maps_[kMaxLoopMaps];   // Options::loop_registers: by head (the first loop_map_count_)
    unsigned loop_map_count_ = 0, next_loop_map_ = 0;
    int in_loop_map_ = -1;  // the loop map whose code is being emitted
    Pad pads_[kMaxPads];    // its ways out so far (the first pad_count_)
    unsigned pad_count_ = 0;
    static constexpr std::int64_t kNoConst = std::int64_t{1} << 40;
    std::uint32_t key_ = 1;                      // Options::blind_constants: the key generator's state
    Reg const_reg_ = thumb::pc;                  // the constant register (pc: none), see choose_constant()
    std::uint32_t const_value_ = 0;              // and the constant it holds
    std::int64_t t2_k_ = kNoConst;               // the constant in T2 left by a fused group, if any
    int dead_lo_ = -1;                           // a lower half being written that nothing reads: no store
    std::size_t covered_ = kNoPc;                // an access checked with the one before (access_partner())
    bool leaf_ = false;                          // one function, no calls: ip is free for an eBPF half
    bool frame_copies_ = false;                  // a 64-bit MOV from r10: small_values() has work
    LoopEdge loop_edges_[kMaxLoopEdges] = {};    // Options::version_loops: the back edges by head
    EntryGuard guards_[kMaxGuards] = {};         // find_guards(): by head
    Charged charged_{kNoPc, 0, 0, 0};            // the last block put_charge() charged
    Carry carry_{};                              // the carry of the block being emitted (charge())
    unsigned guard_count_ = 0, next_guard_ = 0;  // next_guard_: the first whose head is still to come
    unsigned edge_count_ = 0, next_edge_ = 0;    // next_edge_: the first whose head is still to come
    HoistedLoop loop_{};                         // the loop being versioned
    std::uint64_t hidden_hi_ = 0;     // a copy's instructions whose `live` lost ptr (check_range())
    int unchecked_ptr_ = -1;          // while compiling a loop's copy without checks: its pointer
    std::uint32_t range_failed_ = 0;  // the range checks' branches to the loop with checks
    std::uint16_t test_live_ = 0;     // the exit test's `live` outside the copy
    static constexpr unsigned kMaxShortFails = 12;  // (a range check has at most 10)
    ShortWait short_fail_[kMaxShortFails];          // the same as 16-bit branches (short_fails_ of them)
    unsigned short_fails_ = 0;
    std::uint32_t incremented_ = 0;  // registers with a 64-bit ADD of 1 to kMaxStep (ZeroRule::inc)
    std::uint32_t stepped_ = 0;      // those with one of 2 or more: bounded below 2^32 - 2^15
    std::array<std::uint32_t, C.max_functions> func_entry_;  // set as each function starts
    unsigned data_regions_ = 0;                              // the program's regions data_hint() follows
    std::uint32_t data_regs_ = 0;                            // data_hint(): the registers pointing into each
    CheckRegion data_access_ =
        CheckRegion::fast;          // the region the access at pc_ checks inline, unless the stack
    std::uint32_t checks_[2] = {};  // Compiled::checks
    bool helpers_ = false;          // the program calls helpers
    bool local_calls_ = false;      // the program has local calls (else main is inline, frameless)
    std::size_t fault_exit_ = 0, exit_ok_ = 0, exit_ctx_ = 0, helper_status_ = 0, entry_ = 0;
};

}  // namespace ubpf::jit
