// SPDX-License-Identifier: MIT
// The eBPF -> ARMv7E-M Thumb-2 JIT: translates a verified program into a caller-provided buffer,
// with the interpreter's exact semantics (64-bit registers as register pairs, checked memory,
// the instruction budget charged per basic block, helpers and local calls). No heap, no
// exceptions; the bytes depend only on the program, so the host (as a cross-compiler) and the
// device emit the same code.
//
// Layout of the output:   [shared routines][entry][function bodies][cold stubs]
// Registers while JIT code runs:
//   r4-r9   the six most used eBPF register halves (callee-saved, so helpers keep them)
//   r10     the context block (context.hpp): the other halves, budget, runtime pointers
//   r11     the budget counter: instructions still allowed
//   r0-r3, ip, lr  scratch
// Two passes: the first sizes everything (every branch to a not yet known place has a fixed
// size), the second writes. A per-instruction offset table lives at the end of the buffer
// during compilation (or in a span the caller gives, to map eBPF to Thumb afterwards).
#pragma once

#include <array>
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

/// Where the code of a compiled program is in the buffer.
struct Compiled {
    std::uint32_t size = 0;      ///< bytes of code from the start of the buffer
    std::uint32_t entry = 0;     ///< offset of `int entry(Context*)`; call buffer + entry + 1 (Thumb)
    std::uint32_t hot_size = 0;  ///< bytes before the out-of-line stubs
};

template <Config C = Config{}>
class Compiler {
public:
    static_assert(C.max_instructions <= 0xffff, "JIT code passes instruction indices as 16 bits");
    static_assert(C.stack_frame_size <= 4095, "frame offsets use 12-bit immediates");

    /// Compiles `program` into `out`. `offsets`, when given (one per instruction), receives the
    /// code offset of each instruction; otherwise the end of `out` is used as scratch.
    [[nodiscard]] static Result<Compiled> compile(const VerifiedProgram<C>& program,
                                                  std::span<std::uint8_t> out,
                                                  std::span<std::uint32_t> offsets = {}) noexcept {
        Compiler c(program, out, offsets);
        return c.run();
    }

private:
    using Reg = thumb::Reg;
    using Cond = thumb::Cond;
    using Code = thumb::Code;
    using DpOp = thumb::DpOp;
    using Shift = thumb::Shift;
    using Op = isa::Op;
    static constexpr Reg T0 = thumb::r0, T1 = thumb::r1, T2 = thumb::r2, T3 = thumb::r3, T4 = thumb::ip,
                         T5 = thumb::lr;
    static constexpr Reg kCtx = thumb::r10, kBudget = thumb::r11;
    static constexpr std::uint32_t kLeader = 0x80000000u;  // offset-table flag: a block starts here
    // While compiling, each offset-table word also holds which eBPF registers have a live upper
    // half on entry to the instruction (bits 21-30 for r0-r9), so code offsets are below 2 MiB.
    static constexpr unsigned kLiveShift = 21;
    static constexpr std::uint32_t kOffMask = (1u << kLiveShift) - 1;
    static constexpr std::uint32_t kAllHi = 0x3ff;   // r0-r9; r10's upper half is always 0
    static constexpr std::uint32_t kMaxBlock = 255;  // a charge fits one modified immediate
    static constexpr unsigned kMapped = 6;           // r4..r9

    Compiler(const VerifiedProgram<C>& program, std::span<std::uint8_t> out,
             std::span<std::uint32_t> offsets) noexcept
        : prog_(program), code_(program.code), buf_(out.data()), cap_(out.size()) {
        const std::size_t n = code_.size();
        if (offsets.size() >= n) {
            offs_ = offsets.data();
        } else {
            // The table sits at the end of the buffer, 4-aligned; code must stay below it.
            const auto end = reinterpret_cast<std::uintptr_t>(out.data()) + out.size();
            const std::uintptr_t table = (end - n * 4) & ~std::uintptr_t{3};
            if (out.size() < n * 4 + 4 || table < reinterpret_cast<std::uintptr_t>(out.data())) {
                cap_ = 0;
                offs_ = nullptr;
            } else {
                offs_ = reinterpret_cast<std::uint32_t*>(table);
                cap_ = table - reinterpret_cast<std::uintptr_t>(out.data());
            }
        }
        if (cap_ > kOffMask) cap_ = kOffMask;
    }

    // ---- output ----------------------------------------------------------------------------

    void put(Code c) noexcept {
        if (!c.ok()) {
            bad_ = true;
            return;
        }
        if (pos_ + c.size > cap_) {
            full_ = true;
        } else if (writing_) {
            buf_[pos_] = static_cast<std::uint8_t>(c.hw1);
            buf_[pos_ + 1] = static_cast<std::uint8_t>(c.hw1 >> 8);
            if (c.size == 4) {
                buf_[pos_ + 2] = static_cast<std::uint8_t>(c.hw2);
                buf_[pos_ + 3] = static_cast<std::uint8_t>(c.hw2 >> 8);
            }
        }
        pos_ += c.size;
    }
    [[nodiscard]] std::int32_t rel(std::size_t target) const noexcept {
        return static_cast<std::int32_t>(static_cast<std::int64_t>(target) -
                                         static_cast<std::int64_t>(pos_ + 4));
    }
    /// B<c>.W / B.W to a code offset (always 32-bit, so sizes do not depend on distances).
    void branch(Cond c, std::size_t target) noexcept {
        put(c == Cond::al ? thumb::b_t4(rel(target)) : thumb::b_cond_t3(c, rel(target)));
    }
    void call(std::size_t target) noexcept { put(thumb::bl(rel(target))); }
    /// A forward branch to a place not yet emitted in the first pass: offset 0 then.
    void branch_known(Cond c, std::size_t target, bool known) noexcept {
        if (known)
            branch(c, target);
        else
            put(c == Cond::al ? thumb::b_t4(0) : thumb::b_cond_t3(c, 0));
    }
    void branch_to_insn(Cond c, std::size_t target_pc) noexcept {
        const std::uint32_t o = offs_[target_pc] & kOffMask;
        branch_known(c, o, writing_ || target_pc <= pc_);
    }
    /// Starts a cold stub: returns the hot position to come back to.
    std::size_t begin_cold() noexcept {
        const std::size_t hot = pos_;
        pos_ = cold_;
        return hot;
    }
    void end_cold(std::size_t hot) noexcept {
        cold_ = pos_;
        pos_ = hot;
    }

    // ---- constants and register halves ---------------------------------------------------------

    void load_imm(Reg rd, std::uint32_t v) noexcept {
        if (thumb::can_encode_modified(v))
            put(thumb::mov_imm(rd, v));
        else if (thumb::can_encode_modified(~v))
            put(thumb::mvn_imm(rd, ~v));
        else {
            put(thumb::movw(rd, v & 0xffff));
            if (v >> 16) put(thumb::movt(rd, v >> 16));
        }
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
        put(thumb::mem_imm(thumb::Mem::ldr, tmp, kCtx, ctx::reg(r, hi)));
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
        if (mapped(r, hi) < 0 && live(r, hi)) put(thumb::mem_imm(thumb::Mem::str, v, kCtx, ctx::reg(r, hi)));
    }
    /// Both halves of r: one LDRD when both live in the context (adjacent words there).
    void rd_pair(unsigned r, Reg tlo, Reg thi, Reg& lo, Reg& hi) noexcept {
        if (mapped(r, false) < 0 && mapped(r, true) < 0) {
            put(thumb::mem_dual(true, tlo, thi, kCtx, ctx::reg(r, false)));
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
            put(thumb::mem_dual(false, lo, hi, kCtx, ctx::reg(r, false)));
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
    /// lr holds an eBPF half only in programs without calls (leaf_); the few places that clobber
    /// lr (the entry's call, cold stubs calling shared routines) save it in the context around.
    void flush_lr() noexcept {
        if (lr_half_ >= 0) put(thumb::mem_imm(thumb::Mem::str, thumb::lr, kCtx, lr_slot()));
    }
    void reload_lr() noexcept {
        if (lr_half_ >= 0) put(thumb::mem_imm(thumb::Mem::ldr, thumb::lr, kCtx, lr_slot()));
    }
    [[nodiscard]] std::int32_t lr_slot() const noexcept {
        return ctx::reg(static_cast<unsigned>(lr_half_) / 2, (lr_half_ & 1) != 0);
    }
    void flush(unsigned r) noexcept {
        for (bool hi : {false, true})
            if (mapped(r, hi) >= 0 && mapped(r, hi) != thumb::lr)
                put(thumb::mem_imm(thumb::Mem::str, static_cast<Reg>(mapped(r, hi)), kCtx, ctx::reg(r, hi)));
    }
    void reload(unsigned r) noexcept {
        for (bool hi : {false, true})
            if (mapped(r, hi) >= 0 && mapped(r, hi) != thumb::lr)
                put(thumb::mem_imm(thumb::Mem::ldr, static_cast<Reg>(mapped(r, hi)), kCtx, ctx::reg(r, hi)));
    }

    // ---- analysis ---------------------------------------------------------------------------

    [[nodiscard]] const isa::OpInfo& row(std::size_t pc) const noexcept {
        return isa::info(isa::decode(code_[pc]));
    }
    [[nodiscard]] std::int64_t jump_target(std::size_t pc) const noexcept {
        const isa::OpInfo& r = row(pc);
        return static_cast<std::int64_t>(pc) + 1 +
               (r.form == isa::Form::jump_long ? code_[pc].imm : code_[pc].off);
    }
    [[nodiscard]] static bool is_jump(Op op) noexcept { return op == Op::ja || isa::is_conditional_jump(op); }
    [[nodiscard]] static bool is_call(Op op) noexcept {
        return op == Op::call || op == Op::call_local || op == Op::callx;
    }

    /// Marks block leaders in the offset table and picks the register halves to keep in r4-r9.
    void analyse() noexcept {
        const std::size_t n = code_.size();
        for (std::size_t i = 0; i < n; ++i) offs_[i] = 0;
        leaf_ = prog_.function_count == 1;
        for (std::size_t f : prog_.functions()) offs_[f] |= kLeader;
        std::uint32_t weight[22] = {};
        std::size_t loop_start = n;  // smallest back-edge target at or after pc (reverse sweep)
        for (std::size_t pc = n; pc-- > 0;) {
            // A second slot of lddw follows an lddw opcode (second slots have opcode 0).
            if (pc > 0 && code_[pc - 1].opcode == isa::info(isa::Id::lddw).opcode) continue;
            const isa::OpInfo& r = row(pc);
            if (is_jump(r.op)) {
                const auto t = static_cast<std::size_t>(jump_target(pc));
                offs_[t] |= kLeader;
                if (pc + 1 < n) offs_[pc + 1] |= kLeader;
                if (t <= pc && t < loop_start) loop_start = t;
            }
            if (is_call(r.op) ||
                (isa::is_alu(r.op) && r.width == 64 &&
                 (r.op == Op::div || r.op == Op::mod || r.op == Op::sdiv || r.op == Op::smod)))
                leaf_ = false;  // these call out, clobbering lr
            if (is_call(r.op) || r.op == Op::exit) {
                offs_[pc] |= kLeader;
                if (pc + 1 < n) offs_[pc + 1] |= kLeader;
            }
        }
        // Upper halves: backward liveness to a fixed point (live sets only grow), then weights
        // from the accesses that remain, so that ALU32 values cost one ARM register.
        for (bool changed = true; changed;) {
            changed = false;
            for (std::size_t pc = n; pc-- > 0;) {
                if (pc > 0 && code_[pc - 1].opcode == isa::info(isa::Id::lddw).opcode) continue;
                std::uint32_t use = 0, def = 0;
                hi_effect(pc, use, def);
                const std::uint32_t in = (succ_live(pc) & ~def) | use;
                if (in != live_in(pc)) {
                    offs_[pc] = (offs_[pc] & (kLeader | kOffMask)) | (in << kLiveShift);
                    changed = true;
                }
            }
        }
        loop_start = n;
        for (std::size_t pc = n; pc-- > 0;) {
            if (pc > 0 && code_[pc - 1].opcode == isa::info(isa::Id::lddw).opcode) continue;
            const isa::OpInfo& r = row(pc);
            if (is_jump(r.op)) {
                const auto t = static_cast<std::size_t>(jump_target(pc));
                if (t <= pc && t < loop_start) loop_start = t;
            }
            std::uint32_t use = 0, def = 0;
            hi_effect(pc, use, def);
            const std::uint32_t m = use | (def & succ_live(pc));
            const std::uint32_t w = loop_start <= pc ? 16 : 1;
            for (unsigned k = 0; k < 10; ++k)
                if ((m >> k) & 1) weight[half(k, true)] += w;
            // Lower halves, except a fused group's temporary that is dead after it (no register).
            const Insn& insn = code_[pc];
            const unsigned tmp = fused_temp(pc);
            if ((r.fields & isa::kDst) && insn.dst() != tmp) weight[half(insn.dst(), false)] += w;
            if ((r.fields & isa::kSrc) && insn.src() != tmp) weight[half(insn.src(), false)] += w;
        }
        // Blocks longer than one charge immediate are split.
        std::uint32_t run = 0;
        for (std::size_t pc = 0; pc < n; pc += isa::slots(row(pc).op)) {
            if (offs_[pc] & kLeader) run = 0;
            if (run == kMaxBlock) {
                offs_[pc] |= kLeader;
                run = 0;
            }
            ++run;
        }
        for (auto& m : map_) m = -1;
        lr_half_ = -1;
        for (unsigned k = 0; k < kMapped + (leaf_ ? 1u : 0u); ++k) {
            unsigned best = 22;
            for (unsigned h = 0; h < 22; ++h)
                if (map_[h] < 0 && weight[h] > 0 && (best == 22 || weight[h] > weight[best])) best = h;
            if (best == 22) break;
            map_[best] = static_cast<std::int8_t>(k < kMapped ? thumb::r4 + k : thumb::lr);
            if (k == kMapped) lr_half_ = static_cast<std::int8_t>(best);
        }
    }
    [[nodiscard]] std::uint32_t live_in(std::size_t pc) const noexcept {
        return pc < code_.size() ? (offs_[pc] >> kLiveShift) & kAllHi : 0;
    }
    /// Upper halves live after the instruction at pc.
    [[nodiscard]] std::uint32_t succ_live(std::size_t pc) const noexcept {
        const Op op = row(pc).op;
        if (op == Op::exit) return 0;
        const std::uint32_t t = is_jump(op) ? live_in(static_cast<std::size_t>(jump_target(pc))) : 0;
        return op == Op::ja ? t : t | live_in(pc + isa::slots(op));
    }
    static constexpr std::uint32_t bit(unsigned r) noexcept { return r < 10 ? 1u << r : 0; }
    /// Upper halves the instruction at pc reads (use) and always writes (def). Conservative:
    /// anything the emitted code may read counts as a use.
    void hi_effect(std::size_t pc, std::uint32_t& use, std::uint32_t& def) const noexcept {
        const isa::OpInfo& r = row(pc);
        const Insn& insn = code_[pc];
        const Op op = r.op;
        const unsigned dst = insn.dst(), src = insn.src();
        const bool reg_form = r.form == isa::Form::dst_src || r.form == isa::Form::cond_src;
        use = def = 0;
        if (isa::is_alu(op)) {
            if (op == Op::le || op == Op::be || op == Op::bswap) {
                if (insn.imm == 64)
                    use = bit(dst);
                else
                    def = bit(dst);
                return;
            }
            def = bit(dst);
            if (r.width != 64 || op == Op::movsx) return;
            if (op != Op::mov) use = bit(dst);
            if (reg_form && op != Op::lsh && op != Op::rsh && op != Op::arsh) use |= bit(src);
        } else if (isa::is_conditional_jump(op)) {
            if (r.width == 64) use = bit(dst) | (reg_form ? bit(src) : 0);
        } else if (op == Op::call || op == Op::callx) {
            use = 0x3e | (op == Op::callx ? bit(dst) : 0);
            def = 1;
        } else if (op == Op::call_local) {
            use = kAllHi;  // the callee may read anything and leaves R1-R5 to the caller
        } else if (op == Op::exit) {
            use = prog_.function_count > 1 ? 0x3f : 1;
        } else if (op == Op::lddw) {
            def = bit(dst);
        } else if (op == Op::ldx || op == Op::ldxs) {
            use = bit(src);
            def = bit(dst);
        } else if (op == Op::st || op == Op::stx) {
            use = bit(dst) | (op == Op::stx && r.width == 64 ? bit(src) : 0);
        } else if (isa::is_atomic(op)) {
            const bool wide = r.width == 64;
            use = bit(dst) | (wide ? bit(src) : 0);
            if (op == Op::atomic_cmpxchg) {
                use |= wide ? 1u : 0u;
                def = 1;
            } else if (isa::writes_src(op) || (r.select_value & isa::kAtomicFetch)) {
                def = bit(src);
            }
        }
    }
    [[nodiscard]] std::uint32_t block_length(std::size_t start) const noexcept {
        std::uint32_t count = 0;
        std::size_t pc = start;
        do {
            ++count;
            pc += isa::slots(row(pc).op);
        } while (pc < code_.size() && !(offs_[pc] & kLeader));
        return count;
    }

    // ---- shared routines, entry, stubs ---------------------------------------------------------

    void shared_routines() noexcept {
        using namespace thumb;
        // common_return: r0 = status. Unwinds from any call depth.
        common_return_ = pos_;
        put(mem_imm(Mem::ldr, r1, kCtx, ctx::kEntrySp));
        put(mov_reg(sp, r1));
        put(pop(0x8ff8));  // {r3-r11, pc}
        fault_exit_ = pos_;
        put(mov_imm(r0, 1));
        put(mem_imm(Mem::str, kBudget, kCtx, ctx::kBudget));
        branch(Cond::al, common_return_);
        error_r0_ = pos_;  // r0 = error word
        put(mem_imm(Mem::str, r0, kCtx, ctx::kError));
        branch(Cond::al, fault_exit_);
        exit_ok_ = pos_;  // main's exit: R0 from its registers
        flush(0);
        exit_ctx_ = pos_;  // R0 already in the context
        put(mov_imm(r0, 0));
        put(mem_imm(Mem::str, kBudget, kCtx, ctx::kBudget));
        branch(Cond::al, common_return_);
        helper_status_ = pos_;  // r0 = 1 (exit) or 2 (error)
        put(cmp_imm(r0, 1));
        branch(Cond::eq, exit_ctx_);
        branch(Cond::al, fault_exit_);
        // mem_slow: r0:r1 = address, r3 = info; returns r0 = host address or unwinds.
        mem_slow_ = pos_;
        put(push((1u << r2) | (1u << lr)));
        put(mov_reg(r2, kCtx));
        put(mem_imm(Mem::ldr, ip, kCtx, ctx::kFnMemory));
        put(blx(ip));
        put(cmp_imm(r1, 0));
        branch(Cond::eq, fault_exit_);
        put(pop((1u << r2) | (1u << pc)));
        // budget_slow: r1 = info; the counter has gone below zero.
        budget_slow_ = pos_;
        put(push((1u << r0) | (1u << lr)));
        put(mov_reg(r0, kBudget));
        put(mov_reg(r2, kCtx));
        put(mem_imm(Mem::ldr, ip, kCtx, ctx::kFnBudget));
        put(blx(ip));
        put(cmp_imm(r1, 0));
        branch(Cond::eq, fault_exit_);
        put(mov_reg(kBudget, r0));
        put(pop((1u << r0) | (1u << pc)));
    }

    void entry() noexcept {
        using namespace thumb;
        entry_ = pos_;
        put(push(0x4ff8));  // {r3-r11, lr}: 10 words keep SP 8-aligned
        put(mov_reg(kCtx, r0));
        put(mov_reg(r1, sp));
        put(mem_imm(Mem::str, r1, kCtx, ctx::kEntrySp));
        put(mem_imm(Mem::ldr, kBudget, kCtx, ctx::kBudget));
        for (unsigned r = 0; r <= isa::kFramePointer; ++r) reload(r);
        // main is called like a local function, so that a local call to it returns normally.
        std::size_t f = 0;
        while (f + 1 < prog_.function_count && prog_.function_starts[f] != prog_.entry) ++f;
        if (writing_)
            call(func_entry_[f]);
        else
            put(thumb::bl(0));
        branch(Cond::al, exit_ok_);
    }

    /// A stub in cold code that reports `code` at the current pc.
    void error_stub(Cond c, ErrorCode code) noexcept {
        const std::size_t target = cold_;
        branch_known(c, target, writing_);
        const std::size_t hot = begin_cold();
        const std::uint32_t w = error_word(code, static_cast<std::uint32_t>(pc_));
        put(thumb::movw(T0, w & 0xffff));
        put(thumb::movt(T0, w >> 16));
        branch(Cond::al, error_r0_);
        end_cold(hot);
    }

    void charge(std::uint32_t count) noexcept {
        put(thumb::sub_imm(kBudget, kBudget, count, true));
        const std::size_t target = cold_;
        branch_known(Cond::lo, target, writing_);
        const std::size_t resume = pos_;
        const std::size_t hot = begin_cold();
        put(thumb::movw(T1, static_cast<unsigned>(pc_)));
        put(thumb::movt(T1, count));
        flush_lr();
        call(budget_slow_);
        reload_lr();
        branch(Cond::al, resume);
        end_cold(hot);
    }

    // ---- memory ---------------------------------------------------------------------------------

    /// True when [r10 + off, + size) lies in the current frame: no run-time check needed.
    [[nodiscard]] static bool in_frame(std::int32_t off, unsigned size) noexcept {
        return off >= -static_cast<std::int32_t>(C.stack_frame_size) &&
               off + static_cast<std::int32_t>(size) <= 0;
    }
    /// Leaves the host address of [base + off, + size) in `out` (r0 when checked).
    Reg address(unsigned base, std::int16_t off, unsigned size, AccessKind kind, std::int32_t& disp,
                bool direct = false) noexcept {
        using namespace thumb;
        if (base == isa::kFramePointer && in_frame(off, size)) {
            const Reg fp = rd(base, false, T0);
            if (off >= -255) {
                disp = off;
                return fp;
            }
            put(subw(T0, fp, static_cast<unsigned>(-off)));
            disp = 0;
            return T0;
        }
        disp = 0;
        Reg lo = T0, hi = T1;
        rd_pair(base, T0, T1, lo, hi);
        const std::uint32_t mag = static_cast<std::uint32_t>(off < 0 ? -off : off);
        const DpOp lo_op = off < 0 ? DpOp::sub : DpOp::add;
        const DpOp hi_op = off < 0 ? DpOp::sbc : DpOp::adc;
        Reg ahi = T1;
        if (off == 0 && direct && lo != T0) {
            // The access uses the eBPF register itself; its cold stub (finish_direct) redoes the
            // access at the address the slow path returns.
            put(mem_imm(Mem::ldr, T2, kCtx, ctx::kFastStart));
            put(dp_reg(DpOp::sub, false, T2, lo, T2));
            put(mem_imm(Mem::ldr, T3, kCtx, fast_count_offset(kind, size)));
            put(cmp_reg(T2, T3));
            put(dp_imm(DpOp::sbc, true, T3, hi, 0));
            direct_target_ = cold_;
            branch_known(Cond::hs, direct_target_, writing_);
            direct_lo_ = lo;
            direct_hi_ = hi;
            direct_info_ = access_info(static_cast<std::uint32_t>(pc_), kind, size);
            return lo;
        }
        if (off == 0) {
            mov(T0, lo);  // the slow path returns the host address in r0
            ahi = hi;
        } else if (can_encode_modified(mag)) {
            put(dp_imm(lo_op, true, T0, lo, mag));
        } else {
            put(movw(T2, mag));
            put(dp_reg(lo_op, true, T0, lo, T2));
        }
        if (off != 0) put(dp_imm(hi_op, false, T1, hi, 0));
        put(mem_imm(Mem::ldr, T2, kCtx, ctx::kFastStart));
        put(dp_reg(DpOp::sub, false, T2, T0, T2));
        put(mem_imm(Mem::ldr, T3, kCtx, fast_count_offset(kind, size)));
        put(cmp_reg(T2, T3));
        put(dp_imm(DpOp::sbc, true, T3, ahi, 0));
        const std::size_t target = cold_;
        branch_known(Cond::hs, target, writing_);
        const std::size_t resume = pos_;
        const std::size_t hot = begin_cold();
        const std::uint32_t info = access_info(static_cast<std::uint32_t>(pc_), kind, size);
        mov(T1, ahi);
        put(movw(T3, info & 0xffff));
        put(movt(T3, info >> 16));
        flush_lr();
        call(mem_slow_);
        reload_lr();
        branch(Cond::al, resume);
        end_cold(hot);
        return T0;
    }

    /// The cold stub of a direct access: slow path, then the access again with r0 as its base.
    void finish_direct(const Insn& insn, const isa::OpInfo& r) noexcept {
        using namespace thumb;
        const std::size_t resume = pos_;
        const std::size_t hot = begin_cold();
        if (cold_ != direct_target_) bad_ = true;  // nothing else may have gone to cold code
        mov(T0, direct_lo_);
        mov(T1, direct_hi_);
        put(movw(T3, direct_info_ & 0xffff));
        put(movt(T3, direct_info_ >> 16));
        flush_lr();
        call(mem_slow_);
        reload_lr();
        load_access(insn, r, T0, 0);
        branch(Cond::al, resume);
        end_cold(hot);
    }
    void load(const Insn& insn, const isa::OpInfo& r) noexcept {
        const unsigned size = r.width / 8;
        std::int32_t d = 0;
        direct_target_ = kNone;
        const Reg a = address(insn.src(), insn.off, size, AccessKind::load, d, true);
        const bool direct = direct_target_ != kNone;
        load_access(insn, r, a, d);
        if (direct) finish_direct(insn, r);
        const unsigned dst = insn.dst();
        const Reg lo = wr(dst, false, T1);
        if (size == 8) {
            wb(dst, false, lo);
            wb(dst, true, wr(dst, true, T2));
            return;
        }
        wb(dst, false, lo);
        if (r.op == Op::ldxs)
            sign_hi(dst, lo);
        else
            set_imm(dst, true, 0, T2);
    }
    /// The load instruction(s) alone, from [a + d] into dst's registers (or T1, T2).
    void load_access(const Insn& insn, const isa::OpInfo& r, Reg a, std::int32_t d) noexcept {
        using thumb::Mem;
        const unsigned size = r.width / 8;
        const unsigned dst = insn.dst();
        const bool sx = r.op == Op::ldxs;
        const Reg lo = wr(dst, false, T1);
        if (size == 8) {
            // Two words (LDRD would fault on unaligned data); the base may be dst's own half.
            const Reg hi = wr(dst, true, T2);
            if (lo == a) {
                put(thumb::mem_imm(Mem::ldr, hi, a, d + 4));
                put(thumb::mem_imm(Mem::ldr, lo, a, d));
            } else {
                put(thumb::mem_imm(Mem::ldr, lo, a, d));
                put(thumb::mem_imm(Mem::ldr, hi, a, d + 4));
            }
            return;
        }
        const Mem m = size == 1   ? (sx ? Mem::ldrsb : Mem::ldrb)
                      : size == 2 ? (sx ? Mem::ldrsh : Mem::ldrh)
                                  : Mem::ldr;
        put(thumb::mem_imm(m, lo, a, d));
    }
    /// hi of r = the sign of lo (in register `lo`).
    void sign_hi(unsigned r, Reg lo) noexcept {
        const Reg h = wr(r, true, T2);
        put(thumb::shift_imm(Shift::asr, h, lo, 31));
        wb(r, true, h);
    }

    void store(const Insn& insn, const isa::OpInfo& r) noexcept {
        using thumb::Mem;
        const unsigned size = r.width / 8;
        std::int32_t d = 0;
        const Reg a = address(insn.dst(), insn.off, size, AccessKind::store, d);
        Reg lo = T1, hi = T2;
        if (r.op == Op::st) {
            load_imm(T1, static_cast<std::uint32_t>(insn.imm));
            if (size == 8) load_imm(T2, insn.imm < 0 ? 0xffffffffu : 0);
        } else {
            lo = rd(insn.src(), false, T1);
            if (size == 8) hi = rd(insn.src(), true, T2);
        }
        const Mem m = size == 1 ? Mem::strb : size == 2 ? Mem::strh : Mem::str;
        put(thumb::mem_imm(m, lo, a, d));
        if (size == 8) put(thumb::mem_imm(Mem::str, hi, a, d + 4));
    }

    void atomic(const Insn& insn, const isa::OpInfo& r) noexcept {
        using namespace thumb;
        const unsigned size = r.width / 8;
        std::int32_t d = 0;
        const Reg a = address(insn.dst(), insn.off, size, AccessKind::atomic, d);
        if (a != T0) {  // a frame address: fp + d
            put(d >= 0 ? addw(T0, a, static_cast<unsigned>(d)) : subw(T0, a, static_cast<unsigned>(-d)));
            d = 0;
        }
        const unsigned src = insn.src();
        const bool wide = size == 8;
        put(mem_imm(Mem::ldr, T1, T0, d));                // old lo
        if (wide) put(mem_imm(Mem::ldr, T2, T0, d + 4));  // old hi
        const Op op = r.op;
        if (op == Op::atomic_cmpxchg) {
            const Reg r0lo = rd(0, false, T3);
            put(cmp_reg(T1, r0lo));
            if (wide) {
                const Reg r0hi = rd(0, true, T4);
                put(it(Cond::eq, 0x8));
                put(cmp_reg(T2, r0hi));
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
            put(dp_reg(lo_op, wide && lo_op == DpOp::add, T3, T1, vlo));
            if (wide) put(dp_reg(hi_op, false, T4, T2, vhi));
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

    /// Loads operand b of an ALU or jump instruction into (blo, bhi) registers.
    void operand_b(const Insn& insn, const isa::OpInfo& r, Reg& blo, Reg& bhi) noexcept {
        const bool reg_form = r.form == isa::Form::dst_src || r.form == isa::Form::cond_src;
        if (reg_form) {
            if (r.width == 64)
                rd_pair(insn.src(), T2, T3, blo, bhi);
            else
                blo = bhi = rd(insn.src(), false, T2);
        } else {
            load_imm(T2, static_cast<std::uint32_t>(insn.imm));
            blo = T2;
            bhi = T3;
            if (r.width == 64) load_imm(T3, insn.imm < 0 ? 0xffffffffu : 0);
        }
    }

    void alu(const Insn& insn, const isa::OpInfo& r) noexcept {
        using namespace thumb;
        const unsigned dst = insn.dst();
        const bool wide = r.width == 64;
        Op op = r.op;
        if (op == Op::div && insn.off == 1) op = Op::sdiv;
        if (op == Op::mod && insn.off == 1) op = Op::smod;
        switch (op) {
            case Op::mov:
            case Op::movsx: {
                if (r.form == isa::Form::dst_imm) {
                    set_imm(dst, false, static_cast<std::uint32_t>(insn.imm), T0);
                    set_imm(dst, true, wide && insn.imm < 0 ? 0xffffffffu : 0, T1);
                    return;
                }
                const unsigned src = insn.src();
                if (op == Op::mov) {
                    const Reg lo = rd(src, false, T0);
                    if (wide) {
                        const Reg hi = rd(src, true, T1);
                        set(dst, false, lo);
                        set(dst, true, hi);
                    } else {
                        set(dst, false, lo);
                        set_imm(dst, true, 0, T1);
                    }
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
                    put(dp_imm(DpOp::rsb, false, lo, alo, 0));
                    wb(dst, false, lo);
                    set_imm(dst, true, 0, T1);
                    return;
                }
                const Reg ahi = rd(dst, true, T1);
                const Reg lo = wr(dst, false, T0), hi = wr(dst, true, T1);
                put(dp_imm(DpOp::rsb, true, lo, alo, 0));
                put(dp_reg(DpOp::sbc, false, hi, ahi, ahi, Shift::lsl, 1));
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
        Reg blo = T2, bhi = T3;
        operand_b(insn, r, blo, bhi);
        if (!wide) {
            alu32(op, dst, rd(dst, false, T0), blo);
            return;
        }
        Reg alo = T0, ahi = T1;
        rd_pair(dst, T0, T1, alo, ahi);
        alu64(op, dst, alo, ahi, blo, bhi);
    }

    void alu32(Op op, unsigned dst, Reg a, Reg b) noexcept {
        using namespace thumb;
        const Reg lo = wr(dst, false, T0);
        switch (op) {
            case Op::add:
                put(dp_reg(DpOp::add, false, lo, a, b));
                break;
            case Op::sub:
                put(dp_reg(DpOp::sub, false, lo, a, b));
                break;
            case Op::mul:
                put(mul(lo, a, b));
                break;
            case Op::div:
                put(udiv(lo, a, b));  // UDIV by 0 gives 0 (CCR.DIV_0_TRP clear), as eBPF wants
                break;
            case Op::sdiv:
                put(sdiv(lo, a, b));  // INT_MIN / -1 = INT_MIN, x / 0 = 0
                break;
            case Op::mod:
                put(udiv(T4, a, b));
                put(mls(lo, T4, b, a));  // x % 0 = x - 0 * 0
                break;
            case Op::smod:
                put(sdiv(T4, a, b));
                put(mls(lo, T4, b, a));
                break;
            case Op::or_:
                put(dp_reg(DpOp::orr, false, lo, a, b));
                break;
            case Op::and_:
                put(dp_reg(DpOp::and_, false, lo, a, b));
                break;
            case Op::xor_:
                put(dp_reg(DpOp::eor, false, lo, a, b));
                break;
            case Op::lsh:
            case Op::rsh:
            case Op::arsh:
                put(dp_imm(DpOp::and_, false, T4, b, 31));
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
                put(dp_reg(lo_op, carry, lo, alo, blo));
                put(dp_reg(hi_op, false, hi, ahi, bhi));
                wb_pair(dst, lo, hi);
                return;
            }
            case Op::mul:
                put(mul(T4, alo, bhi));
                put(mla(T4, ahi, blo, T4));
                put(umull(T1, T3, alo, blo));  // ahi and bhi are read by now; lr may hold a half
                put(dp_reg(DpOp::add, false, T3, T3, T4));
                set(dst, false, T1);
                set(dst, true, T3);
                return;
            case Op::div:
            case Op::mod:
            case Op::sdiv:
            case Op::smod: {
                // a -> r0:r1, b -> r2:r3, without overwriting an input still to be read.
                mov(T4, bhi);
                mov(T2, blo);
                mov(T3, T4);
                mov(T1, ahi);
                mov(T0, alo);
                const int k = op == Op::div ? 0 : op == Op::mod ? 1 : op == Op::sdiv ? 2 : 3;
                put(mem_imm(Mem::ldr, T4, kCtx, ctx::kFnDivide + 4 * k));
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
                put(dp_imm(DpOp::and_, false, T4, blo, 63));
                mov(T0, alo);
                mov(T1, ahi);
                put(sub_imm(T2, T4, 32, op == Op::arsh));
                if (op == Op::lsh) {
                    put(shift_reg(Shift::lsl, T2, T0, T2));
                    put(dp_imm(DpOp::rsb, false, T3, T4, 32));
                    put(shift_reg(Shift::lsl, T1, T1, T4));
                    put(shift_reg(Shift::lsr, T3, T0, T3));
                    put(dp_reg(DpOp::orr, false, T1, T1, T2));
                    put(shift_reg(Shift::lsl, T0, T0, T4));
                    put(dp_reg(DpOp::orr, false, T1, T1, T3));
                } else if (op == Op::rsh) {
                    put(shift_reg(Shift::lsr, T2, T1, T2));
                    put(dp_imm(DpOp::rsb, false, T3, T4, 32));
                    put(shift_reg(Shift::lsr, T0, T0, T4));
                    put(shift_reg(Shift::lsl, T3, T1, T3));
                    put(dp_reg(DpOp::orr, false, T0, T0, T2));
                    put(shift_reg(Shift::lsr, T1, T1, T4));
                    put(dp_reg(DpOp::orr, false, T0, T0, T3));
                } else {
                    // flags of n - 32: PL when n >= 32
                    put(dp_imm(DpOp::rsb, false, T3, T4, 32));
                    put(shift_reg(Shift::lsr, T0, T0, T4));
                    put(shift_reg(Shift::lsl, T3, T1, T3));
                    put(dp_reg(DpOp::orr, false, T0, T0, T3));
                    put(it_then(Cond::pl, 2));
                    put(shift_reg(Shift::asr, T3, T1, T2));
                    put(dp_reg(DpOp::orr, false, T0, T0, T3));
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
    bool shift_const(const Insn& insn, const isa::OpInfo& r) noexcept {
        using namespace thumb;
        if (r.form != isa::Form::dst_imm || (r.op != Op::lsh && r.op != Op::rsh && r.op != Op::arsh))
            return false;
        const unsigned dst = insn.dst();
        const unsigned n = static_cast<unsigned>(insn.imm) & (r.width - 1);
        const Reg alo = rd(dst, false, T0);
        if (r.width == 32) {
            const Reg lo = wr(dst, false, T0);
            if (n == 0)
                mov(lo, alo);
            else
                put(shift_imm(r.op == Op::lsh   ? Shift::lsl
                              : r.op == Op::rsh ? Shift::lsr
                                                : Shift::asr,
                              lo, alo, n));
            wb(dst, false, lo);
            set_imm(dst, true, 0, T1);
            return true;
        }
        const Reg ahi = rd(dst, true, T1);
        if (n == 0) return true;
        const Reg lo = wr(dst, false, T0), hi = wr(dst, true, T1);
        if (r.op == Op::lsh) {
            if (n < 32) {
                put(shift_imm(Shift::lsl, hi, ahi, n));
                put(dp_reg(DpOp::orr, false, hi, hi, alo, Shift::lsr, 32 - n));
                put(shift_imm(Shift::lsl, lo, alo, n));
            } else {
                if (n == 32)
                    mov(hi, alo);
                else
                    put(shift_imm(Shift::lsl, hi, alo, n - 32));
                put(mov_imm(lo, 0));
            }
        } else if (r.op == Op::rsh) {
            if (n < 32) {
                put(shift_imm(Shift::lsr, lo, alo, n));
                put(dp_reg(DpOp::orr, false, lo, lo, ahi, Shift::lsl, 32 - n));
                put(shift_imm(Shift::lsr, hi, ahi, n));
            } else {
                if (n == 32)
                    mov(lo, ahi);
                else
                    put(shift_imm(Shift::lsr, lo, ahi, n - 32));
                put(mov_imm(hi, 0));
            }
        } else {
            if (n < 32) {
                put(shift_imm(Shift::lsr, lo, alo, n));
                put(dp_reg(DpOp::orr, false, lo, lo, ahi, Shift::lsl, 32 - n));
                put(shift_imm(Shift::asr, hi, ahi, n));
            } else {
                if (n == 32)
                    mov(lo, ahi);
                else
                    put(shift_imm(Shift::asr, lo, ahi, n - 32));
                put(shift_imm(Shift::asr, hi, ahi, 31));
            }
        }
        wb(dst, false, lo);
        wb(dst, true, hi);
        return true;
    }

    /// ADD/SUB/AND/OR/XOR with a constant that fits a modified immediate.
    bool alu_const(const Insn& insn, const isa::OpInfo& r) noexcept {
        using namespace thumb;
        if (r.form != isa::Form::dst_imm) return false;
        const Op op = r.op;
        if (op != Op::add && op != Op::sub && op != Op::and_ && op != Op::or_ && op != Op::xor_) return false;
        auto v = static_cast<std::uint32_t>(insn.imm);
        DpOp lo_op = DpOp::add, hi_op = DpOp::adc;
        if (op == Op::sub) lo_op = DpOp::sub, hi_op = DpOp::sbc;
        if (op == Op::or_) lo_op = hi_op = DpOp::orr;
        if (op == Op::and_) lo_op = hi_op = DpOp::and_;
        if (op == Op::xor_) lo_op = hi_op = DpOp::eor;
        if (!can_encode_modified(v)) return false;
        const unsigned dst = insn.dst();
        const bool wide = r.width == 64;
        const Reg lo = wr(dst, false, T0);
        if (!wide) {
            put(dp_imm(lo_op, false, lo, rd(dst, false, T0), v));
            wb(dst, false, lo);
            set_imm(dst, true, 0, T1);
            return true;
        }
        Reg alo = T0, ahi = T1;
        rd_pair(dst, T0, T1, alo, ahi);
        const Reg hi = wr(dst, true, T1);
        put(dp_imm(lo_op, op == Op::add || op == Op::sub, lo, alo, v));
        put(dp_imm(hi_op, false, hi, ahi, insn.imm < 0 ? 0xffffffffu : 0));
        wb_pair(dst, lo, hi);
        return true;
    }

    // ---- jumps and calls ------------------------------------------------------------------------

    void jump(const Insn& insn, const isa::OpInfo& r) noexcept {
        using namespace thumb;
        const auto target = static_cast<std::size_t>(jump_target(pc_));
        if (r.op == Op::ja) {
            branch_to_insn(Cond::al, target);
            return;
        }
        if (r.width == 64 && r.form == isa::Form::cond_imm && insn.imm == 0 &&
            (r.op == Op::jeq || r.op == Op::jne)) {
            // A 64-bit value is 0 when the OR of its halves is.
            Reg lo = T0, hi = T1;
            rd_pair(insn.dst(), T0, T1, lo, hi);
            put(dp_reg(DpOp::orr, true, T4, lo, hi));
            branch_to_insn(r.op == Op::jeq ? Cond::eq : Cond::ne, target);
            return;
        }
        Reg blo = T2, bhi = T3;
        operand_b(insn, r, blo, bhi);
        const Reg alo = rd(insn.dst(), false, T0);
        Cond c = Cond::al;
        if (r.width == 32) {
            if (r.op == Op::jset)
                put(tst_reg(alo, blo));
            else
                put(cmp_reg(alo, blo));
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
            branch_to_insn(c, target);
            return;
        }
        const Reg ahi = rd(insn.dst(), true, T1);
        switch (r.op) {
            case Op::jeq:
            case Op::jne:
                put(cmp_reg(ahi, bhi));
                put(it(Cond::eq, 0x8));
                put(cmp_reg(alo, blo));
                c = r.op == Op::jeq ? Cond::eq : Cond::ne;
                break;
            case Op::jset:
                put(tst_reg(alo, blo));
                put(it(Cond::eq, 0x8));
                put(tst_reg(ahi, bhi));
                c = Cond::ne;
                break;
            default: {
                // a - b (or b - a) as a 64-bit subtraction; its carry and N/V decide.
                const bool swap = r.op == Op::jgt || r.op == Op::jle || r.op == Op::jsgt || r.op == Op::jsle;
                if (swap) {
                    put(cmp_reg(blo, alo));
                    put(dp_reg(DpOp::sbc, true, T4, bhi, ahi));
                } else {
                    put(cmp_reg(alo, blo));
                    put(dp_reg(DpOp::sbc, true, T4, ahi, bhi));
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
        branch_to_insn(c, target);
    }

    void helper_call(const Insn& insn, const isa::OpInfo& r) noexcept {
        using namespace thumb;
        for (unsigned k = 1; k <= 5; ++k) flush(k);
        if (r.op == Op::callx) flush(insn.dst());
        put(mov_reg(T0, kCtx));
        put(movw(T1, static_cast<unsigned>(pc_)));
        put(mem_imm(Mem::ldr, T4, kCtx, ctx::kFnHelper));
        put(blx(T4));
        put(cmp_imm(T0, 0));
        branch(Cond::ne, helper_status_);
        reload(0);
    }

    void local_call(const Insn& insn) noexcept {
        using namespace thumb;
        const Reg fp = rd(isa::kFramePointer, false, T0);
        put(subw(T0, fp, C.stack_frame_size));
        put(mem_imm(Mem::ldr, T1, kCtx, ctx::kStackBase));
        put(cmp_reg(T0, T1));
        error_stub(Cond::ls, ErrorCode::call_depth_exceeded);
        set(isa::kFramePointer, false, T0);
        const auto target = static_cast<std::size_t>(static_cast<std::int64_t>(pc_) + 1 + insn.imm);
        std::size_t f = 0;
        while (f + 1 < prog_.function_count && prog_.function_starts[f] != target) ++f;
        if (writing_ || func_entry_[f] != 0)
            call(func_entry_[f]);
        else
            put(bl(0));
        const Reg fp2 = wr(isa::kFramePointer, false, T0);
        if (mapped(isa::kFramePointer, false) < 0)
            put(mem_imm(Mem::ldr, fp2, kCtx, ctx::reg(isa::kFramePointer, false)));
        put(addw(fp2, fp2, C.stack_frame_size));
        wb(isa::kFramePointer, false, fp2);
    }

    /// A local function saves the caller's r6-r9 and its return address in a 40-byte frame.
    static constexpr unsigned kSaveFrame = 40;
    void function_prologue() noexcept {
        using namespace thumb;
        put(sub_sp(kSaveFrame));
        put(mem_imm(Mem::str, lr, sp, 32));
        reload_lr();
        if (leaf_) return;  // no local calls: nothing reads R6-R9 after this function
        for (unsigned r = 6; r <= 9; ++r)
            for (bool hi : {false, true}) {
                const Reg v = rd(r, hi, T0);
                put(mem_imm(Mem::str, v, sp, static_cast<std::int32_t>(4 * (2 * (r - 6) + (hi ? 1 : 0)))));
            }
    }
    void function_epilogue() noexcept {
        using namespace thumb;
        for (unsigned r = 6; r <= 9 && !leaf_; ++r)
            for (bool hi : {false, true}) {
                const Reg v = wr(r, hi, T0);
                put(mem_imm(Mem::ldr, v, sp, static_cast<std::int32_t>(4 * (2 * (r - 6) + (hi ? 1 : 0)))));
                wb(r, hi, v);
            }
        flush_lr();
        put(mem_imm(Mem::ldr, lr, sp, 32));
        put(add_sp(kSaveFrame));
        put(bx(lr));
    }

    // ---- driver ---------------------------------------------------------------------------------

    void emit_all() noexcept {
        pos_ = 0;
        cold_ = cold_base_;
        hi_out_ = kAllHi;
        t2_k_ = kNoConst;
        shared_routines();
        entry();
        const std::size_t n = code_.size();
        std::size_t f = 0;
        for (pc_ = 0; pc_ < n;) {
            const isa::OpInfo& r = row(pc_);
            if (f < prog_.function_count && prog_.function_starts[f] == pc_) {
                func_entry_[f] = static_cast<std::uint32_t>(pos_);
                function_prologue();
                ++f;
            }
            const bool leader = (offs_[pc_] & kLeader) != 0;
            offs_[pc_] = static_cast<std::uint32_t>(pos_) | (offs_[pc_] & ~kOffMask);
            if (leader) {
                t2_k_ = kNoConst;  // control may arrive from elsewhere
                if (r.op == Op::ja && merge_ja()) {
                    ++pc_;
                    continue;
                }
                charge(block_length(pc_));
            }
            // An exit restores the caller's R6-R9 halves whatever this function leaves live.
            hi_out_ = r.op == Op::exit ? kAllHi : succ_live(pc_);
            const std::size_t fused = fuse();
            if (fused == 0) emit(code_[pc_], r);
            // Instructions folded into the first one are never jump targets (not leaders).
            for (std::size_t k = 1; k < fused; ++k)
                offs_[pc_ + k] = static_cast<std::uint32_t>(pos_) | (offs_[pc_ + k] & ~kOffMask);
            pc_ += fused > 0 ? fused : isa::slots(r.op);
        }
    }

    /// True when the lower half of r is redefined before any read on every path from q (a short,
    /// bounded look-ahead; anything it cannot see counts as a read).
    [[nodiscard]] bool lo_dead(std::size_t q, unsigned r, unsigned& steps) const noexcept {
        const std::size_t n = code_.size();
        while (q < n) {
            if (steps == 0) return false;
            --steps;
            const isa::OpInfo& ri = row(q);
            const Insn& insn = code_[q];
            const Op op = ri.op;
            if (op == Op::call_local) return false;
            if (op == Op::exit) return r != 0 && (prog_.function_count == 1 || r > 5);
            if (op == Op::call || op == Op::callx) {
                if ((r >= 1 && r <= 5) || (op == Op::callx && insn.dst() == r)) return false;
                if (r == 0) return true;
                ++q;
                continue;
            }
            if (isa::is_atomic(op) && r == 0) return false;  // cmpxchg reads R0
            const bool defines =
                op == Op::mov || op == Op::movsx || op == Op::lddw || op == Op::ldx || op == Op::ldxs;
            if (((ri.fields & isa::kSrc) && insn.src() == r) ||
                ((ri.fields & isa::kDst) && insn.dst() == r && !defines))
                return false;
            if ((isa::is_alu(op) || defines) && (ri.fields & isa::kDst) && insn.dst() == r) return true;
            if (op == Op::ja) {
                q = static_cast<std::size_t>(jump_target(q));
                continue;
            }
            if (isa::is_conditional_jump(op) && !lo_dead(static_cast<std::size_t>(jump_target(q)), r, steps))
                return false;
            q += isa::slots(op);
        }
        return false;
    }
    [[nodiscard]] bool is(std::size_t q, Op op, unsigned width, isa::Form form) const noexcept {
        if (q >= code_.size() || (offs_[q] & kLeader)) return false;
        const isa::OpInfo& r = row(q);
        return r.op == op && r.width == width && r.form == form;
    }
    /// The register a fusion starting at or covering pc uses only as a dead temporary (none: 99).
    [[nodiscard]] unsigned fused_temp(std::size_t pc) const noexcept {
        for (std::size_t back = 0; back < 4 && back <= pc; ++back) {
            const std::size_t p = pc - back;
            if (p + 1 >= code_.size()) continue;
            const isa::OpInfo& r0 = row(p);
            const unsigned a = code_[p].dst();
            unsigned steps = 24;
            if (r0.op == Op::mov && r0.width == 32 && r0.form == isa::Form::dst_src && mod_idiom(p) &&
                lo_dead(p + 4, a, steps))
                return a;
            steps = 24;
            if (back <= 1 && load_op(p) && lo_dead(p + 2, a, steps)) return a;
        }
        return 99;
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
        if (p + 1 >= code_.size() || (offs_[p + 1] & kLeader)) return false;
        const isa::OpInfo& r0 = row(p);
        if (r0.op != Op::ldx || r0.width == 64) return false;
        const isa::OpInfo& r1 = row(p + 1);
        const Insn& i1 = code_[p + 1];
        const unsigned a = code_[p].dst();
        const Op op = r1.op;
        return r1.width == 32 && r1.form == isa::Form::dst_src && i1.src() == a && i1.dst() != a &&
               (op == Op::add || op == Op::sub || op == Op::mul || op == Op::or_ || op == Op::and_ ||
                op == Op::xor_);
    }
    /// Emits a group of instructions starting at pc_ as one, and returns how many it took (0: none).
    ///   wA = wB; wA /= K; wA *= K; wB -= wA   ->  udiv + mls (wB %= K, as LLVM writes it)
    ///   wA = wB; wA op= X                     ->  one 3-operand instruction
    std::size_t fuse() noexcept {
        using namespace thumb;
        const std::size_t p = pc_;
        // T2 still holds the divisor of the previous group if only such a group came between.
        const std::int64_t k_prev = t2_k_;
        t2_k_ = kNoConst;
        if (p + 1 >= code_.size()) return 0;
        const isa::OpInfo& r0 = row(p);
        unsigned steps = 24;
        if (load_op(p) && lo_dead(p + 2, code_[p].dst(), steps)) {
            // The loaded value stays in a scratch register: it is consumed at once.
            const unsigned a = code_[p].dst();
            hi_out_ = succ_live(p + 1);
            dead_lo_ = static_cast<int>(a);
            load(code_[p], r0);
            dead_lo_ = -1;
            const Insn& i1 = code_[p + 1];
            alu32(row(p + 1).op, i1.dst(), rd(i1.dst(), false, T0), wr(a, false, T1));
            return 2;
        }
        if (r0.op != Op::mov || r0.width != 32 || r0.form != isa::Form::dst_src) return 0;
        const unsigned a = code_[p].dst(), b = code_[p].src();
        if (a == b) return 0;
        const Insn& i1 = code_[p + 1];
        if (is(p + 1, Op::div, 32, isa::Form::dst_imm) && i1.dst() == a && i1.off == 0 &&
            is(p + 2, Op::mul, 32, isa::Form::dst_imm) && code_[p + 2].dst() == a &&
            code_[p + 2].imm == i1.imm && is(p + 3, Op::sub, 32, isa::Form::dst_src) &&
            code_[p + 3].dst() == b && code_[p + 3].src() == a) {
            hi_out_ = succ_live(p + 3);
            if (k_prev != i1.imm) load_imm(T2, static_cast<std::uint32_t>(i1.imm));
            t2_k_ = i1.imm;
            const Reg vb = rd(b, false, T0);
            const Reg qa = wr(a, false, T1);
            const Reg rb = wr(b, false, T0);
            put(udiv(qa, vb, T2));
            put(mls(rb, qa, T2, vb));  // b - (b / K) * K; UDIV by 0 gives 0, as eBPF wants
            unsigned look = 24;
            if (!lo_dead(p + 4, a, look)) {
                put(mul(qa, qa, T2));
                wb(a, false, qa);
            }
            wb(b, false, rb);
            set_imm(a, true, 0, T1);
            set_imm(b, true, 0, T3);
            return 4;
        }
        if ((offs_[p + 1] & kLeader) || i1.dst() != a) return 0;
        const isa::OpInfo& r1 = row(p + 1);
        const Op op = r1.op;
        if (r1.width != 32 || (r1.form != isa::Form::dst_src && r1.form != isa::Form::dst_imm) ||
            (op != Op::add && op != Op::sub && op != Op::mul && op != Op::or_ && op != Op::and_ &&
             op != Op::xor_) ||
            (r1.form == isa::Form::dst_src && i1.src() == a))
            return 0;
        hi_out_ = succ_live(p + 1);
        Reg blo = T2, bhi = T3;
        operand_b(i1, r1, blo, bhi);
        alu32(op, a, rd(b, false, T0), blo);
        // These write only T0, T1 and registers of eBPF halves: a divisor in T2 stays valid.
        if (r1.form == isa::Form::dst_src && mapped(i1.src(), false) >= 0) t2_k_ = k_prev;
        return 2;
    }

    /// A block that is only `ja T` charges itself and T's block at once and jumps past T's
    /// charge (8 bytes: SUBS.W + B<c>.W), saving a charge per loop iteration. runtime::budget
    /// follows the ja when it walks such a block. Not when T is itself a lone ja (its charge
    /// would cover a third block) or the sum does not fit one charge.
    bool merge_ja() noexcept {
        const auto t = static_cast<std::size_t>(jump_target(pc_));
        if (t == pc_ || row(t).op == Op::ja) return false;
        const std::uint32_t count = 1 + block_length(t);
        if (count > kMaxBlock) return false;
        charge(count);
        branch_known(Cond::al, (offs_[t] & kOffMask) + 8, writing_ || t <= pc_);
        return true;
    }

    void emit(const Insn& insn, const isa::OpInfo& r) noexcept {
        const Op op = r.op;
        if (isa::is_alu(op)) {
            if (!shift_const(insn, r) && !alu_const(insn, r)) alu(insn, r);
        } else if (is_jump(op)) {
            jump(insn, r);
        } else if (op == Op::call || op == Op::callx) {
            helper_call(insn, r);
        } else if (op == Op::call_local) {
            local_call(insn);
        } else if (op == Op::exit) {
            function_epilogue();
        } else if (op == Op::lddw) {
            set_imm(insn.dst(), false, static_cast<std::uint32_t>(insn.imm), T0);
            set_imm(insn.dst(), true, static_cast<std::uint32_t>(code_[pc_ + 1].imm), T1);
        } else if (op == Op::ldx || op == Op::ldxs) {
            load(insn, r);
        } else if (op == Op::st || op == Op::stx) {
            store(insn, r);
        } else if (isa::is_atomic(op)) {
            atomic(insn, r);
        }
    }

    Result<Compiled> run() noexcept {
        if (offs_ == nullptr) return Error{ErrorCode::jit_buffer_too_small, 0};
        analyse();
        // Pass 1: sizes (cold code is sized after the hot code, from offset 0).
        writing_ = false;
        cold_base_ = 0;
        emit_all();
        const std::size_t hot_size = pos_;
        const std::size_t cold_size = cold_;
        if (bad_) return Error{ErrorCode::jit_encoding_failed, static_cast<std::uint32_t>(pc_)};
        if (hot_size + cold_size > cap_) return Error{ErrorCode::jit_buffer_too_small, 0};
        // Pass 2: the same code, now with every target known.
        writing_ = true;
        full_ = false;
        cold_base_ = hot_size;
        emit_all();
        if (bad_) return Error{ErrorCode::jit_encoding_failed, static_cast<std::uint32_t>(pc_)};
        if (full_ || pos_ != hot_size || cold_ != hot_size + cold_size)
            return Error{ErrorCode::jit_buffer_too_small, 0};
        for (std::size_t i = 0; i < code_.size(); ++i) offs_[i] &= kOffMask;
        return Compiled{static_cast<std::uint32_t>(cold_), static_cast<std::uint32_t>(entry_),
                        static_cast<std::uint32_t>(hot_size)};
    }

    const VerifiedProgram<C>& prog_;
    std::span<const Insn> code_;
    std::uint8_t* buf_;
    std::size_t cap_;
    std::uint32_t* offs_ = nullptr;
    std::size_t pos_ = 0, cold_ = 0, cold_base_ = 0;
    bool writing_ = false, full_ = false, bad_ = false;
    std::size_t pc_ = 0;
    std::uint32_t hi_out_ = kAllHi;  // upper halves live after the instruction being emitted
    std::int8_t map_[22] = {};
    std::int8_t lr_half_ = -1;  // the half kept in lr, if any
    static constexpr std::int64_t kNoConst = std::int64_t{1} << 40;
    std::int64_t t2_k_ = kNoConst;  // the constant in T2 left by a fused group, if any
    static constexpr std::size_t kNone = ~std::size_t{0};
    std::size_t direct_target_ = kNone;  // cold stub position of a pending direct access
    Reg direct_lo_ = T0, direct_hi_ = T1;
    std::uint32_t direct_info_ = 0;
    int dead_lo_ = -1;   // a lower half being written that nothing reads: no store
    bool leaf_ = false;  // one function, no calls: lr is free for an eBPF half
    std::array<std::uint32_t, C.max_functions> func_entry_{};
    std::size_t common_return_ = 0, fault_exit_ = 0, error_r0_ = 0, exit_ok_ = 0, exit_ctx_ = 0,
                helper_status_ = 0, mem_slow_ = 0, budget_slow_ = 0, entry_ = 0;
};

}  // namespace ubpf::jit
