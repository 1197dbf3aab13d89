// SPDX-License-Identifier: MIT
// Differential test: random verified programs (ALU of both widths, 32-bit values used by 64-bit
// operations, jumps including backward ones under the budget and loop exit tests over a back
// edge, loads, stores and atomics into the stack and the caller's regions, helper calls, callx
// and local calls) run on the interpreter and as JIT code on the
// emulated Cortex-M4; r0, the error, the executed instruction count and the memory must agree. The
// interpreter (the same source as on the host) runs inside the same emulated image, so addresses
// and the values programs compute from them are the same for both.
//   ubpf_jit_differential [--programs N] [--seed S] [--from K] [Catch2 options]
// (--from K generates the programs before K without running them: to rerun a failure quickly)
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/host/disassembler.hpp>
#include <ubpf/host/environment.hpp>
#include <ubpf/isa.hpp>

#include "image/layout.hpp"
#include "jit_image.hpp"

namespace {

int g_programs = 2000;
unsigned g_seed = 1;
int g_from = 0;

using ubpf::Insn;
using ubpf::isa::Id;
using ubpf::isa::Op;

class Generator {
public:
    explicit Generator(unsigned seed) : rng_(seed) {}

    ubpf::host::RunRequest next(std::vector<Insn>& code) {
        code.clear();
        const int main_len = pick(4, 40);
        const int f_len = pick(1, 8);
        // main: slots [0, main_end), then function f.
        std::vector<Item> main_items, f_items;
        for (int i = 0; i < main_len; ++i) main_items.push_back(item(true));
        for (int i = 0; i < f_len; ++i) f_items.push_back(item(false));
        layout(main_items, code);
        const auto f_start = static_cast<std::int32_t>(code.size());
        layout(f_items, code);
        // Local calls now know where f is.
        for (std::size_t pc = 0; pc < static_cast<std::size_t>(f_start); ++pc)
            if (code[pc].opcode == 0x85 && code[pc].src() == 1)
                code[pc].imm = f_start - static_cast<std::int32_t>(pc) - 1;
        ubpf::host::RunRequest request;
        request.mem.resize(64);
        for (auto& b : request.mem) b = static_cast<std::uint8_t>(rng_());
        request.rodata.resize(32);
        for (auto& b : request.rodata) b = static_cast<std::uint8_t>(rng_());
        request.budget = static_cast<std::uint64_t>(pick(0, 40) == 0 ? pick(0, 20) : pick(100, 3000));
        return request;
    }

private:
    struct Item {
        std::vector<Insn> insns;  // 1 or 2 slots, or a mov + callx pair
        int jump = -1;            // index of the slot in `insns` that jumps, its target item below
        int target = 0;           // target item index (relative to this function's items)
        int landing = 0;          // the slot of this item that jumps to it land on
    };

    int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    unsigned writable() {
        static constexpr unsigned kRegs[] = {0, 2, 4, 5, 6, 7, 8, 9};
        return kRegs[pick(0, 7)];
    }
    std::int32_t imm() {
        static constexpr std::int32_t kEdges[] = {
            0,      1,       -1,   2,          7,
            31,     32,      33,   63,         64,
            255,    256,     -256, 0x7fffffff, static_cast<std::int32_t>(0x80000000),
            0xffff, 0x10000, 4095};
        switch (pick(0, 3)) {
            case 0:
                return kEdges[pick(0, 17)];
            case 1:
                return pick(-20, 20);
            default:
                return static_cast<std::int32_t>(rng_());
        }
    }
    static Insn make(Id id, unsigned dst, unsigned src, std::int16_t off, std::int32_t imm) {
        // Fields the row does not use must be zero (the selector is set below).
        const unsigned fields = ubpf::isa::info(id).fields;
        Insn insn = Insn::make(ubpf::isa::info(id).opcode, fields & ubpf::isa::kDst ? dst : 0,
                               fields & ubpf::isa::kSrc ? src : 0, fields & ubpf::isa::kOff ? off : 0,
                               fields & ubpf::isa::kImm ? imm : 0);
        ubpf::isa::set_selector(ubpf::isa::info(id), insn);
        return insn;
    }
    /// A memory operand: base register and offset, often inside the stack or a region.
    void operand(unsigned size, unsigned& base, std::int16_t& off) {
        switch (pick(0, 5)) {
            case 0:
            case 1:
                base = 10;
                off = static_cast<std::int16_t>(-pick(1, 64) * 8 + pick(0, 7) * (pick(0, 3) == 0 ? 1 : 0));
                if (pick(0, 15) == 0) off = static_cast<std::int16_t>(pick(-600, 8));
                return;
            case 2:
            case 3:
                base = 1;  // mem, 64 bytes
                off = static_cast<std::int16_t>(pick(-2, 64 - static_cast<int>(size) + 2));
                return;
            case 4:
                base = 3;  // rodata, 32 bytes, read-only
                off = static_cast<std::int16_t>(pick(-1, 32 - static_cast<int>(size) + 1));
                return;
            default:
                base = static_cast<unsigned>(pick(0, 10));
                off = static_cast<std::int16_t>(pick(-16, 16));
        }
    }

    Item item(bool in_main) {
        Item it;
        const int kind = pick(0, 99);
        if (kind < 45 && pick(0, 3) == 0) {  // a 32-bit value meets a 64-bit operation
            wide_after_narrow(it);
        } else if (kind < 45) {  // ALU
            Id id;
            do {
                id = static_cast<Id>(pick(0, static_cast<int>(ubpf::isa::kOpCount) - 1));
            } while (!ubpf::isa::is_alu(ubpf::isa::info(id).op));
            it.insns.push_back(make(id, writable(), static_cast<unsigned>(pick(0, 10)), 0, imm()));
        } else if (kind < 62 && pick(0, 2) == 0) {  // a counter loop near 2^32
            counter_loop(it);
        } else if (kind < 62 && pick(0, 1) == 0) {  // loads stepping through memory
            if (const int form = pick(0, 6); form < 2)
                stepping_loop(it);
            else if (form < 4)
                index_loop(it);
            else if (form < 6)
                rotated_loop(it);
            else
                down_loop(it);
        } else if (kind < 60) {  // conditional jumps and ja, forward or backward
            Id id;
            do {
                id = static_cast<Id>(pick(0, static_cast<int>(ubpf::isa::kOpCount) - 1));
            } while (!ubpf::isa::is_conditional_jump(ubpf::isa::info(id).op) &&
                     ubpf::isa::info(id).op != Op::ja);
            it.insns.push_back(make(id, static_cast<unsigned>(pick(0, 10)),
                                    static_cast<unsigned>(pick(0, 10)), 0,
                                    ubpf::isa::info(id).form == ubpf::isa::Form::jump_long ? 0 : imm()));
            it.jump = 0;
            it.target = pick(-6, 6);
            const unsigned counter = it.insns[0].dst();
            if (ubpf::isa::is_conditional_jump(ubpf::isa::info(id).op) && counter != 1 && counter != 3 &&
                counter != 10 && pick(0, 3) == 0) {
                // A counter stepped before its test (`add x, 1`, which the JIT keeps 32-bit where
                // it knows x <= 2^32 - 2; r1 and r3 stay the region pointers).
                it.insns.insert(it.insns.begin(), make(Id::add64_imm, counter, 0, 0, 1));
                it.jump = 1;
            }
            if (ubpf::isa::is_conditional_jump(ubpf::isa::info(id).op) && pick(0, 3) == 0) {
                // A loop's exit test over its back edge, `jcc +1; ja back` (which the JIT folds).
                it.insns[static_cast<std::size_t>(it.jump)].off = 1;
                it.insns.push_back(make(Id::ja, 0, 0, 0, 0));
                it.jump = static_cast<int>(it.insns.size()) - 1;
                it.target = pick(-6, -1);
            }
        } else if (kind < 82) {  // loads, stores, atomics
            Id id;
            Op op;
            do {
                id = static_cast<Id>(pick(0, static_cast<int>(ubpf::isa::kOpCount) - 1));
                op = ubpf::isa::info(id).op;
            } while (op != Op::ldx && op != Op::ldxs && op != Op::st && op != Op::stx &&
                     !ubpf::isa::is_atomic(op));
            const unsigned size = ubpf::isa::info(id).width / 8;
            unsigned base = 0;
            std::int16_t off = 0;
            operand(size, base, off);
            if (pick(0, 7) == 0) {  // through a copy of r10 (the JIT checks such accesses against the stack)
                base = static_cast<unsigned>(pick(6, 9));
                it.insns.push_back(make(Id::mov64_reg, base, 10, 0, 0));
                it.insns.push_back(make(Id::add64_imm, base, 0, 0, -pick(1, 72) * 8));
                off = static_cast<std::int16_t>(pick(-8, 8));
                if (pick(0, 1) == 0) {  // plus an index into a stack array: masked (mostly), shifted
                    const unsigned index = base == 9 ? 8 : base + 1;
                    if (pick(0, 3) != 0)
                        it.insns.push_back(make(pick(0, 1) ? Id::and_64_imm : Id::and_32_imm, index, 0, 0,
                                                (1 << pick(0, 6)) - 1));
                    if (pick(0, 1) == 0) it.insns.push_back(make(Id::lsh64_imm, index, 0, 0, pick(0, 3)));
                    it.insns.push_back(make(Id::add64_reg, base, index, 0, 0));
                }
            }
            if (op == Op::ldx || op == Op::ldxs) {
                it.insns.push_back(make(id, writable(), base, off, 0));
                if (pick(0, 2) == 0) {  // a second load nearby from the same base (checked as a pair)
                    static constexpr Id kLoads[] = {Id::ldxb, Id::ldxh, Id::ldxw, Id::ldxdw, Id::ldxsh};
                    for (int k = pick(0, 2); k > 0; --k)
                        it.insns.push_back(make(Id::add32_imm, writable(), 0, 0, pick(-20, 20)));
                    it.insns.push_back(make(kLoads[pick(0, 4)], writable(), base,
                                            static_cast<std::int16_t>(off + pick(-8, 8)), 0));
                }
            } else {
                unsigned src = static_cast<unsigned>(pick(0, 10));
                if (ubpf::isa::writes_src(op)) src = writable();
                it.insns.push_back(make(id, base, src, off, imm()));
                if (op == Op::stx && pick(0, 2) == 0) {  // a second store nearby (checked as a pair)
                    // Often the next element (one check of twice the size), sometimes from mem's
                    // last one: the second fails after the runtime made the first.
                    static constexpr Id kStores[] = {Id::stxb,  Id::stxh, Id::stxw,
                                                     Id::stxdw, Id::stb,  Id::stw};
                    const bool next = size <= 4 && pick(0, 1) == 0;
                    if (next && base == 1 && pick(0, 2) == 0) off = static_cast<std::int16_t>(64 - size);
                    it.insns.back().off = off;
                    for (int k = pick(0, 2); k > 0; --k)
                        it.insns.push_back(make(Id::add32_imm, writable(), 0, 0, pick(-20, 20)));
                    it.insns.push_back(
                        make(next ? id : kStores[pick(0, 5)], base, static_cast<unsigned>(pick(0, 10)),
                             static_cast<std::int16_t>(next ? off + size : off + pick(-8, 8)), imm()));
                }
            }
        } else if (kind < 87) {  // lddw
            it.insns.push_back(make(Id::lddw, writable(), 0, 0, imm()));
            it.insns.push_back(Insn::make(0, 0, 0, 0, imm()));
        } else if (kind < 93) {  // helpers, by id or by register
            static constexpr std::int32_t kIds[] = {5, 100, 101, 102, 103, 100, 102};
            const std::int32_t helper = kIds[pick(0, 6)];
            if (pick(0, 2) == 0) {
                const unsigned r = writable();
                it.insns.push_back(make(Id::mov64_imm, r, 0, 0, pick(0, 9) == 0 ? 77 : helper));
                it.insns.push_back(make(Id::callx, r, 0, 0, 0));
            } else {
                it.insns.push_back(make(Id::call, 0, 0, 0, helper));
            }
        } else if (in_main) {  // a local call (target fixed once f's place is known)
            it.insns.push_back(make(Id::call_local, 0, 0, 0, 0));
        } else {
            it.insns.push_back(make(Id::mov64_imm, writable(), 0, 0, imm()));
        }
        return it;
    }

    /// A value written by a 32-bit operation (upper half 0, which the JIT knows) used as the
    /// source of a 64-bit one whose dst's upper half is not 0 (ADD/SUB carry into it, AND and MOV
    /// clear it, OR/XOR keep it, jumps compare it), or shifted by a constant as a 64-bit value.
    void wide_after_narrow(Item& it) {
        static constexpr Id kWide[] = {Id::add64_reg,  Id::sub64_reg, Id::and_64_reg, Id::or_64_reg,
                                       Id::xor_64_reg, Id::mov64_reg, Id::jeq_reg,    Id::jne_reg,
                                       Id::jset_reg,   Id::jgt_reg,   Id::jge_reg,    Id::jlt_reg,
                                       Id::jle_reg,    Id::jsgt_reg,  Id::jslt_reg};
        static constexpr Id kShift[] = {Id::lsh64_imm, Id::rsh64_imm, Id::arsh64_imm};
        const unsigned src = writable();
        unsigned dst = writable();
        if (dst == src) dst = src == 0 ? 2 : 0;
        it.insns.push_back(make(pick(0, 1) ? Id::mov32_imm : Id::add32_imm, src, 0, 0, imm()));
        if (pick(0, 3) == 0) {
            static constexpr std::int32_t kCounts[] = {0, 1, 7, 31, 32, 33, 40, 63};
            it.insns.push_back(make(kShift[pick(0, 2)], src, 0, 0, kCounts[pick(0, 7)]));
            return;
        }
        const Id id = kWide[pick(0, 14)];
        if (pick(0, 1) == 0) {  // dst's upper half not 0 (and its lower half near the carry)
            it.insns.push_back(make(Id::lddw, dst, 0, 0, pick(0, 1) ? -1 - pick(0, 3) : pick(0, 9)));
            it.insns.push_back(Insn::make(0, 0, 0, 0, pick(-2, 2)));
        }
        it.insns.push_back(make(id, dst, src, 0, 0));
        if (ubpf::isa::is_conditional_jump(ubpf::isa::info(id).op)) {
            it.jump = static_cast<int>(it.insns.size()) - 1;
            it.target = pick(-3, 3);
        }
    }

    /// `x = K; y = L; loop: x += 1; if (x cmp y) goto loop` with K and L near 2^32 - 1, so that
    /// 64-bit counters reach 0xffffffff and carry into their upper halves (the JIT keeps
    /// `x += 1` 32-bit where it knows x <= 2^32 - 2).
    void counter_loop(Item& it) {
        static constexpr std::int32_t kStart[] = {-3, -2, -1, 1}, kLimit[] = {-2, -1, 4};
        static constexpr Op kCompare[] = {Op::jlt, Op::jle, Op::jgt,  Op::jge,
                                          Op::jeq, Op::jne, Op::jslt, Op::jsle};
        const unsigned x = writable();
        unsigned y = writable();
        if (y == x) y = x == 0 ? 2 : 0;
        const auto mov = [&](unsigned r, std::int32_t v) {
            it.insns.push_back(make(pick(0, 3) != 0 ? Id::mov32_imm : Id::mov64_imm, r, 0, 0, v));
        };
        mov(x, kStart[pick(0, 3)]);
        mov(y, kLimit[pick(0, 2)]);
        it.insns.push_back(make(Id::add64_imm, x, 0, 0, 1));
        const Op op = kCompare[pick(0, 7)];
        Id id;
        do {  // the compare's row: either width, register or constant
            id = static_cast<Id>(pick(0, static_cast<int>(ubpf::isa::kOpCount) - 1));
        } while (ubpf::isa::info(id).op != op);
        const bool swap = ubpf::isa::info(id).form == ubpf::isa::Form::cond_src && pick(0, 3) == 0;
        it.insns.push_back(make(id, swap ? y : x, swap ? x : y, 0, kLimit[pick(0, 2)]));
        it.jump = 3;
        it.target = 0;
        it.landing = 2;
    }

    // The loops' regions: mem (r1, 64 bytes), rodata (r3, 32) and the stack below r10 (512).
    static constexpr unsigned kLoopBases[] = {1, 3, 10};
    static constexpr std::int32_t kLoopSizes[] = {64, 32, 512};
    static constexpr Id kLoopLoads[] = {Id::ldxb,  Id::ldxh,  Id::ldxw, Id::ldxdw,
                                        Id::ldxsb, Id::ldxsh, Id::ldxsw};
    /// r = hi:lo (a mov when it sign-extends to that, else an lddw).
    static void set64(Item& it, unsigned r, std::uint32_t lo, std::uint32_t hi) {
        if (hi == (lo >> 31 ? 0xffffffffu : 0u)) {
            it.insns.push_back(make(Id::mov64_imm, r, 0, 0, static_cast<std::int32_t>(lo)));
            return;
        }
        it.insns.push_back(make(Id::lddw, r, 0, 0, static_cast<std::int32_t>(lo)));
        it.insns.push_back(Insn::make(0, 0, 0, 0, static_cast<std::int32_t>(hi)));
    }
    /// `a op b` (a 64-bit compare; b a register, or with `constant` the immediate k); its offset
    /// is set later.
    void compare(Item& it, Op op, bool constant, unsigned a, unsigned b, std::int32_t k) {
        Id id;
        const auto form = constant ? ubpf::isa::Form::cond_imm : ubpf::isa::Form::cond_src;
        do {
            id = static_cast<Id>(pick(0, static_cast<int>(ubpf::isa::kOpCount) - 1));
        } while (ubpf::isa::info(id).op != op || ubpf::isa::info(id).form != form ||
                 ubpf::isa::info(id).width != 64);
        it.insns.push_back(make(id, a, b, 0, k));
    }
    /// `r += v`, 64-bit or (`narrow`) 32-bit.
    static void step_by(Item& it, unsigned r, std::int32_t v, bool narrow) {
        it.insns.push_back(make(narrow ? Id::add32_imm : Id::add64_imm, r, 0, 0, v));
    }
    /// A loop's passes: often just about those that reach the region's end (to_end; the range
    /// check's edge), sometimes 0 or 1, else any up to past the region.
    std::int32_t loop_passes(int region, std::int32_t to_end, std::int32_t step) {
        return pick(0, 9) == 0   ? pick(0, 1)
               : pick(0, 1) == 0 ? std::max(0, to_end + pick(-2, 1))
                                 : pick(1, kLoopSizes[region] / step + 2);
    }

    /// Sometimes a loop's pointer p comes in with a nonzero upper half (through the scratch
    /// register x): its first access fails, where the JIT's entry guard must fail it too.
    void above_2_32(Item& it, unsigned p, unsigned x) {
        if (pick(0, 15) != 0) return;
        const auto hi = static_cast<std::uint32_t>(pick(1, 3));
        set64(it, x, 0, pick(0, 1) == 0 ? hi : hi << 30);
        it.insns.push_back(make(Id::add64_reg, p, x, 0, 0));
    }
    /// A loop whose loads step through the stack or a region (what Options::version_loops
    /// versions): the pointer starts near the region's start and steps by 1, 2, 4 or 8; the loop
    /// either counts down to 0 (testing before or after the count's step), compares the
    /// pointer with an end, which its steps may meet or miss, or counts a counter up by 1 to a
    /// limit (a register or a constant; tested at the top or as the back edge; starting near 0,
    /// 2^31 or 2^32, sometimes past the limit or with an upper half of 1, so that the count
    /// would wrap). Counts and ends are often too large for the region, loads may come before or
    /// after the pointer's step and sometimes a store through the pointer follows them. Steps
    /// are sometimes 32-bit adds.
    void stepping_loop(Item& it) {
        const int region = pick(0, 2);
        unsigned p = writable(), c = writable(), x = writable(), m = writable();  // r0 sums what x loads
        while (p == 0) p = writable();
        while (c == p || c == 0) c = writable();
        while (x == p || x == c || x == 0) x = writable();
        while (m == p || m == c || m == x || m == 0) m = writable();
        const std::int32_t step = 1 << pick(0, 3);
        const std::int32_t start = region == 2 ? -pick(1, 64) * 8 : pick(-2, 8);
        const std::int32_t to_end = ((region == 2 ? 0 : kLoopSizes[region]) - start) / step;
        const std::int32_t passes = loop_passes(region, to_end, step);
        const auto add = [&](unsigned r, std::int32_t v) { step_by(it, r, v, pick(0, 5) == 0); };
        it.insns.push_back(make(Id::mov64_reg, p, kLoopBases[region], 0, 0));
        add(p, start);
        above_2_32(it, p, x);
        // 0: count stepped, then tested; 1: tested, then stepped; 2: end; 3: a counter up to a limit
        const int form = pick(0, 3);
        bool constant = false;  // form 3: the limit is the compare's immediate
        std::uint32_t limit = 0;
        if (form == 2) {
            it.insns.push_back(make(Id::mov64_reg, c, p, 0, 0));
            add(c, passes * step + (pick(0, 5) == 0 ? pick(1, step) : 0));
        } else if (form == 3) {
            const int near = pick(0, 7);
            const std::uint32_t c0 = near == 0   ? 0x7ffffffeu
                                     : near == 1 ? 0xfffffffeu
                                                 : static_cast<std::uint32_t>(pick(0, 8));
            set64(it, c, c0, pick(0, 11) == 0 ? 1 : 0);
            limit = c0 + static_cast<std::uint32_t>(passes + (pick(0, 5) == 0 ? pick(-3, 0) : 0));
            const std::uint32_t limit_hi = limit < c0 || pick(0, 11) == 0 ? 1 : 0;  // (carried)
            constant = limit_hi == 0 && limit < 0x80000000u && pick(0, 2) == 0;
            if (!constant) set64(it, m, limit, limit_hi);
        } else if (pick(0, 7) == 0) {
            set64(it, c, static_cast<std::uint32_t>(passes), 1);  // upper half 1: 2^32 passes more
        } else {
            it.insns.push_back(make(Id::mov64_imm, c, 0, 0, passes));
        }
        it.landing = static_cast<int>(it.insns.size());
        const bool step_first = pick(0, 3) == 0;
        const bool at_top = form == 3 && pick(0, 2) == 0;
        const bool swap = form == 3 && !constant && pick(0, 3) == 0;  // `limit op c`
        const auto count_up_test = [&](const Op(&ops)[3], const Op(&swapped)[3]) {
            compare(it, swap ? swapped[pick(0, 2)] : ops[pick(0, 2)], constant, swap ? m : c, swap ? c : m,
                    static_cast<std::int32_t>(limit));
        };
        std::size_t exit_at = 0;
        if (at_top) {
            exit_at = it.insns.size();
            count_up_test({Op::jge, Op::jeq, Op::jsge}, {Op::jle, Op::jeq, Op::jsle});
        }
        if (step_first) add(p, step);
        for (int k = pick(1, 2); k > 0; --k) {
            it.insns.push_back(make(kLoopLoads[pick(0, 6)], x, p, static_cast<std::int16_t>(pick(-8, 8)), 0));
            it.insns.push_back(make(Id::add64_reg, 0, x, 0, 0));
        }
        if (pick(0, 4) == 0)
            it.insns.push_back(make(Id::stxb, p, 0, static_cast<std::int16_t>(pick(-2, 2)), 0));
        if (form == 0) {
            if (!step_first) add(p, step);
            add(c, -1);
            it.insns.push_back(make(Id::jeq_imm, c, 0, 1, 0));  // leaves the loop
            it.insns.push_back(make(Id::ja, 0, 0, 0, 0));
        } else if (form == 1) {
            it.insns.push_back(make(Id::jeq_imm, c, 0, step_first ? 2 : 3, 0));  // leaves the loop
            add(c, -1);
            if (!step_first) add(p, step);
            it.insns.push_back(make(Id::ja, 0, 0, 0, 0));
        } else if (form == 2) {
            if (!step_first) add(p, step);
            it.insns.push_back(make(Id::jne_reg, p, c, 0, 0));
        } else {
            if (!step_first) add(p, step);
            add(c, 1);
            if (at_top) {
                it.insns.push_back(make(Id::ja, 0, 0, 0, 0));
                it.insns[exit_at].off = static_cast<std::int16_t>(it.insns.size() - exit_at - 1);
            } else {
                count_up_test({Op::jlt, Op::jne, Op::jslt}, {Op::jgt, Op::jne, Op::jsgt});
            }
        }
        it.jump = static_cast<int>(it.insns.size()) - 1;
        it.target = 0;
    }

    /// A pointer loop laid out as LLVM lays out loops with branches: `ja entry` before it, the
    /// steps and the test at its head (`jcc +1` to the entry, then `ja out`), the loads from the
    /// entry on, maybe a branch over one instruction, a jump back to the head in the middle
    /// (`continue`) or a store, then `ja head`. The count counts down to 0 (sometimes from above
    /// 2^32, which only the budget ends) or up to a limit, or the pointer is compared with an
    /// end; the pointer steps at the head or at the end of the body; sometimes a branch skips
    /// the count's step (the loop is then not versioned).
    void rotated_loop(Item& it) {
        const int region = pick(0, 2);
        unsigned regs[] = {2, 4, 5, 6, 7, 8, 9};  // r0 sums what the loads give
        std::shuffle(std::begin(regs), std::end(regs), rng_);
        const unsigned p = regs[0], c = regs[1], x = regs[2], m = regs[3];
        const std::int32_t step = 1 << pick(0, 3);
        const std::int32_t start = region == 2 ? -pick(1, 64) * 8 : pick(-2, 8);
        const std::int32_t to_end = ((region == 2 ? 0 : kLoopSizes[region]) - start) / step;
        const std::int32_t passes = std::max(1, loop_passes(region, to_end, step));
        const auto add = [&](unsigned r, std::int32_t v) { step_by(it, r, v, pick(0, 7) == 0); };
        const auto jump = [&](Id id, unsigned a, unsigned b, std::int32_t k) {
            it.insns.push_back(make(id, a, b, 0, k));
            return it.insns.size() - 1;
        };
        it.insns.push_back(make(Id::mov64_reg, p, kLoopBases[region], 0, 0));
        add(p, start);
        above_2_32(it, p, x);
        const int form = pick(0, 2);  // 0: count down, 1: count up to a limit, 2: an end
        if (form == 0) {
            if (pick(0, 7) == 0)
                set64(it, c, static_cast<std::uint32_t>(passes),
                      1);  // 2^32 passes more: a count guard's case
            else
                it.insns.push_back(make(Id::mov64_imm, c, 0, 0, passes));
        } else if (form == 1) {
            set64(it, c, static_cast<std::uint32_t>(pick(0, 4)), 0);
            it.insns.push_back(make(Id::mov64_reg, m, c, 0, 0));
            add(m, passes + (pick(0, 5) == 0 ? pick(-2, 1) : 0));
        } else {
            it.insns.push_back(make(Id::mov64_reg, c, p, 0, 0));
            add(c, passes * step + (pick(0, 5) == 0 ? pick(1, step) : 0));
        }
        const std::size_t enter = jump(Id::ja, 0, 0, 0);
        it.landing = static_cast<int>(it.insns.size());  // (jumps from other items land at the head)
        const std::size_t head = it.insns.size();
        const bool step_at_head = pick(0, 2) != 0;
        const bool skip = pick(0, 9) == 0;  // a branch over the count's step (an end: the pointer's)
        const auto skippable = [&](bool here) {
            if (skip && here) it.insns[jump(Id::jeq_imm, x, 0, 0x55)].off = 1;
        };
        if (step_at_head) {
            skippable(form == 2);
            add(p, step);
        }
        if (form != 2) {
            skippable(true);
            add(c, form == 0 ? -1 : 1);
        }
        std::size_t test = 0;
        if (form == 0)
            test = jump(Id::jne_imm, c, 0, 0);
        else if (form == 1)
            test = jump(pick(0, 1) == 0 ? Id::jlt_reg : Id::jne_reg, c, m, 0);
        else
            test = jump(Id::jne_reg, p, c, 0);
        const std::size_t out = jump(Id::ja, 0, 0, 0);
        const std::size_t entry = it.insns.size();
        it.insns[test].off = 1;  // over the `ja out`, to the entry
        it.insns[enter].off = static_cast<std::int16_t>(entry - enter - 1);
        for (int k = pick(1, 2); k > 0; --k) {
            it.insns.push_back(make(kLoopLoads[pick(0, 6)], x, p, static_cast<std::int16_t>(pick(-8, 8)), 0));
            it.insns.push_back(make(Id::add64_reg, 0, x, 0, 0));
        }
        if (pick(0, 2) == 0) {  // a branch over one instruction
            jump(Id::jgt_imm, x, 0, pick(0, 200));
            it.insns.back().off = 1;
            it.insns.push_back(make(Id::add64_imm, 0, 0, 0, 1));
        }
        if (pick(0, 3) == 0) {  // `continue`: back to the head
            const std::size_t at = jump(Id::jeq_imm, x, 0, pick(0, 3));
            it.insns[at].off = static_cast<std::int16_t>(static_cast<std::int64_t>(head) -
                                                         static_cast<std::int64_t>(at) - 1);
        }
        if (pick(0, 4) == 0)
            it.insns.push_back(make(Id::stxb, p, 0, static_cast<std::int16_t>(pick(-2, 2)), 0));
        if (!step_at_head) add(p, step);
        const std::size_t back = jump(Id::ja, 0, 0, 0);
        it.insns[back].off =
            static_cast<std::int16_t>(static_cast<std::int64_t>(head) - static_cast<std::int64_t>(back) - 1);
        it.insns[out].off = static_cast<std::int16_t>(it.insns.size() - out - 1);
        it.jump = -1;
    }
    /// A loop reading `base[i]` as LLVM compiles it (the index form Options::version_loops
    /// versions): `p = base; p += i` (or `p = i; p += base`) before the loads, i stepping by 1,
    /// 2, 4 or 8 from near 0 and compared with a bound, a register or a constant: as the back
    /// edge (`jlt`, `jne`, `jslt`, or `jgt`/`jsgt` the other way round) or leaving at the top
    /// (`jge`, `jeq`, `jsge`, `jle`). The bound is often just about where the loads reach the
    /// region's end, sometimes not a multiple of the step away. Sometimes the base's upper half
    /// is all ones and the index's 1 (they cancel in the sum), the base is above 2^32, or base and
    /// index carry out of their lower halves (the loads then fail), and the index's or the
    /// bound's upper half is 1, or the base is an lddw of the region's address in the loop (the
    /// image places mem and rodata at fixed addresses, for the interpreter as for the JIT). The
    /// index may step before the sum, between it and the loads or after them, sometimes by a
    /// 32-bit add; the last load may go into p; a store through p may follow. A quarter of them
    /// are laid out as LLVM lays out loops with branches (see rotated_loop()): `ja entry`, the
    /// head with the step after the loads and the test as `jcc +1; ja out`, the body from the
    /// entry with maybe a branch over one instruction or a jump back to the head, `ja head`;
    /// an eighth are entered at their test at the bottom (`ja test`, the body, the test back
    /// to the body), so that the sum and the loads come before the entry in the code.
    void index_loop(Item& it) {
        unsigned regs[] = {2, 4, 5, 6, 7, 8, 9};  // r0 sums what the loads give
        std::shuffle(std::begin(regs), std::end(regs), rng_);
        const unsigned p = regs[0], i = regs[1], n = regs[2], x = regs[3], b = regs[4];
        const int region = pick(0, 2);
        const std::int32_t step = 1 << pick(0, 3);
        const std::int32_t base_off = region == 2 ? -pick(1, 64) * 8 : pick(-4, 8);
        const std::int32_t i0 = pick(0, 8);
        const auto lddw = [&](unsigned r, std::int32_t lo, std::int32_t hi) {
            it.insns.push_back(make(Id::lddw, r, 0, 0, lo));
            it.insns.push_back(Insn::make(0, 0, 0, 0, hi));
        };
        const auto add = [&](unsigned r, std::int32_t v) {
            it.insns.push_back(make(Id::add64_imm, r, 0, 0, v));
        };
        // base = region + base_off (less 2^32, plus 2^32, or 2^32 - 64 with the region in i).
        enum { plain, wrapped, high, carry } variant = plain;
        if (const int v = pick(0, 15); v < 3) variant = v == 0 ? wrapped : v == 1 ? high : carry;
        if (variant == plain) {
            it.insns.push_back(make(Id::mov64_reg, b, kLoopBases[region], 0, 0));
        } else {
            lddw(b, variant == carry ? -64 : 0, variant == wrapped ? -1 : variant == high ? 1 : 0);
            if (variant != carry) it.insns.push_back(make(Id::add64_reg, b, kLoopBases[region], 0, 0));
        }
        add(b, base_off);
        const std::int32_t hi_i = variant == wrapped || pick(0, 11) == 0 ? 1 : 0;
        const std::int32_t hi_n = pick(0, 11) == 0 ? 1 - hi_i : hi_i;
        const auto set = [&](unsigned r, std::int32_t v, std::int32_t hi) {
            set64(it, r, static_cast<std::uint32_t>(v), static_cast<std::uint32_t>(hi));
        };
        const std::int32_t to_end = ((region == 2 ? 0 : kLoopSizes[region]) - base_off - i0) / step;
        const std::int32_t passes = loop_passes(region, to_end, step);
        const std::int32_t bound = i0 + passes * step + (pick(0, 5) == 0 ? pick(1, step) : 0);
        const bool constant = variant != carry && hi_n == 0 && pick(0, 2) == 0;
        if (variant == carry) {  // i and the bound from the region's address: 64 + i0, 64 + bound
            it.insns.push_back(make(Id::mov64_reg, i, kLoopBases[region], 0, 0));
            add(i, 64 + i0);
            it.insns.push_back(make(Id::mov64_reg, n, kLoopBases[region], 0, 0));
            add(n, 64 + bound);
        } else {
            set(i, i0, hi_i);
            if (!constant) set(n, bound, hi_n);
        }
        it.landing = static_cast<int>(it.insns.size());
        // Entered in the middle: at the body after the head's test (as rotated_loop()), or at
        // the test at the bottom, which is the back edge.
        const int layout = pick(0, 7);
        const bool rotated = layout < 2, bottom = layout == 2;
        const bool at_top = !rotated && !bottom && pick(0, 2) == 0;
        const bool swap = !constant && pick(0, 3) == 0;
        // The compare: the op for `i op bound` (swapped: `bound op i`).
        const auto test = [&](Op op) { compare(it, op, constant, swap ? n : i, swap ? i : n, bound); };
        static constexpr Op kStay[] = {Op::jlt, Op::jne, Op::jslt},
                            kStaySwapped[] = {Op::jgt, Op::jne, Op::jsgt};
        const int step_at = pick(0, 3);       // 0: before the sum, 1: between it and the loads, else after
        const bool narrow = pick(0, 4) == 0;  // a 32-bit step (from an index maybe above 2^32)
        std::size_t exit_at = 0, enter = 0, out = 0;
        const bool index_first = pick(0, 1) == 0;
        const auto sum = [&] {                                         // p = base + i
            if (variant == plain && region != 2 && pick(0, 2) == 0) {  // p = &region[base_off]; p += i
                const std::uint32_t address = region == 0 ? ubpf::m4::kMemBase : ubpf::m4::kRodataBase;
                lddw(p, static_cast<std::int32_t>(address + static_cast<std::uint32_t>(base_off)), 0);
                it.insns.push_back(make(Id::add64_reg, p, i, 0, 0));
            } else {
                it.insns.push_back(make(Id::mov64_reg, p, index_first ? i : b, 0, 0));
                it.insns.push_back(make(Id::add64_reg, p, index_first ? b : i, 0, 0));
            }
        };
        // Sometimes the head computes p for the next pass (after the loads in a pass: not the
        // index form), from a start before the loop at base + i or outside the region.
        const bool carried = rotated && pick(0, 3) == 0;
        if (carried) {
            it.insns.push_back(make(Id::mov64_reg, p, b, 0, 0));
            add(p, pick(0, 1) == 0 ? i0 : pick(0, 1) == 0 ? -64 : 4096);
        }
        std::size_t head = it.insns.size();
        if (rotated) {  // `ja entry`; head: [the step] `i op bound` +1, `ja out`; entry: the body
            enter = it.insns.size();
            it.insns.push_back(make(Id::ja, 0, 0, 0, 0));
            head = it.insns.size();
            if (step_at >= 2) step_by(it, i, step, narrow);
            if (carried) sum();
            test(swap ? kStaySwapped[pick(0, 2)] : kStay[pick(0, 2)]);
            it.insns.back().off = 1;
            out = it.insns.size();
            it.insns.push_back(make(Id::ja, 0, 0, 0, 0));
            it.insns[enter].off = static_cast<std::int16_t>(it.insns.size() - enter - 1);
        }
        if (bottom) {  // `ja test`; the body; the test back to the body
            enter = it.insns.size();
            it.insns.push_back(make(Id::ja, 0, 0, 0, 0));
            it.landing = static_cast<int>(it.insns.size());
        }
        if (at_top) {
            static constexpr Op kLeave[] = {Op::jge, Op::jeq, Op::jsge},
                                kLeaveSwapped[] = {Op::jle, Op::jeq, Op::jsle};
            exit_at = it.insns.size();
            test(swap ? kLeaveSwapped[pick(0, 2)] : kLeave[pick(0, 2)]);
        }
        if (step_at == 0) step_by(it, i, step, narrow);
        if (!carried) sum();
        if (step_at == 1) step_by(it, i, step, narrow);
        const bool reload = loads_through(it, p, x, 8);
        if (rotated && pick(0, 2) == 0) {  // a branch over one instruction
            it.insns.push_back(make(Id::jgt_imm, reload ? p : x, 0, 1, pick(0, 200)));
            it.insns.push_back(make(Id::add64_imm, 0, 0, 0, 1));
        }
        if (rotated && pick(0, 3) == 0) {  // `continue`: back to the head
            const auto at = static_cast<std::int64_t>(it.insns.size());
            it.insns.push_back(make(Id::jeq_imm, reload ? p : x, 0,
                                    static_cast<std::int16_t>(static_cast<std::int64_t>(head) - at - 1),
                                    pick(0, 3)));
        }
        if (!reload && pick(0, 4) == 0)
            it.insns.push_back(make(Id::stxb, p, 0, static_cast<std::int16_t>(pick(-2, 2)), 0));
        if (step_at >= 2 && !rotated) step_by(it, i, step, narrow);
        if (rotated) {
            const auto back = static_cast<std::int64_t>(it.insns.size());
            it.insns.push_back(
                make(Id::ja, 0, 0, static_cast<std::int16_t>(static_cast<std::int64_t>(head) - back - 1), 0));
            it.insns[out].off = static_cast<std::int16_t>(it.insns.size() - out - 1);
            it.jump = -1;
            return;
        }
        if (at_top) {
            it.insns.push_back(make(Id::ja, 0, 0, 0, 0));
            it.insns[exit_at].off = static_cast<std::int16_t>(it.insns.size() - exit_at - 1);
        } else {
            if (bottom) it.insns[enter].off = static_cast<std::int16_t>(it.insns.size() - enter - 1);
            test(swap ? kStaySwapped[pick(0, 2)] : kStay[pick(0, 2)]);
        }
        it.jump = static_cast<int>(it.insns.size()) - 1;
        it.target = 0;
    }

    /// An index loop's loads: one or two through p at offsets from -8 to max_off, each added to
    /// r0; true when the last goes into p itself.
    bool loads_through(Item& it, unsigned p, unsigned x, int max_off) {
        const bool reload = pick(0, 3) == 0;
        for (int k = pick(1, 2); k > 0; --k) {
            const unsigned into = reload && k == 1 ? p : x;
            it.insns.push_back(
                make(kLoopLoads[pick(0, 6)], into, p, static_cast<std::int16_t>(pick(-8, max_off)), 0));
            it.insns.push_back(make(Id::add64_reg, 0, into, 0, 0));
        }
        return reload;
    }
    /// A loop reading `base[i]` with i counting itself down by 1 to 0 (the index form with a
    /// step of -1: what LLVM makes of `a[i - 1]` for i from n down to 1): base near a region's
    /// start, i from about where the loads reach the region's end (sometimes past it, 0 or 1,
    /// or with its upper half 1); the test `jeq i, 0` at the top or `jne i, 0` as the back edge,
    /// the step before the sum or after the loads; the last load may go into p, a store through
    /// p may follow.
    void down_loop(Item& it) {
        unsigned regs[] = {2, 4, 5, 6, 7, 8, 9};  // r0 sums what the loads give
        std::shuffle(std::begin(regs), std::end(regs), rng_);
        const unsigned p = regs[0], i = regs[1], x = regs[2], b = regs[3];
        const int region = pick(0, 2);
        const std::int32_t base_off = region == 2 ? -pick(1, 64) * 8 : pick(-4, 4);
        const std::int32_t room = (region == 2 ? 0 : kLoopSizes[region]) - base_off;
        const std::int32_t i0 = pick(0, 9) == 0 ? pick(0, 1) : std::max(0, room + pick(-4, 1));
        it.insns.push_back(make(Id::mov64_reg, b, kLoopBases[region], 0, 0));
        it.insns.push_back(make(Id::add64_imm, b, 0, 0, base_off));
        set64(it, i, static_cast<std::uint32_t>(i0), pick(0, 11) == 0 ? 1u : 0u);
        it.landing = static_cast<int>(it.insns.size());
        const bool at_top = pick(0, 2) == 0;
        const bool step_first = !at_top && pick(0, 2) == 0;
        const std::size_t exit_at = it.insns.size();
        if (at_top) it.insns.push_back(make(Id::jeq_imm, i, 0, 0, 0));
        if (step_first) it.insns.push_back(make(Id::add64_imm, i, 0, 0, -1));
        const bool index_first = pick(0, 1) == 0;
        it.insns.push_back(make(Id::mov64_reg, p, index_first ? i : b, 0, 0));
        it.insns.push_back(make(Id::add64_reg, p, index_first ? b : i, 0, 0));
        const bool reload = loads_through(it, p, x, 4);
        if (!reload && pick(0, 4) == 0)
            it.insns.push_back(make(Id::stxb, p, 0, static_cast<std::int16_t>(pick(-2, 2)), 0));
        if (!step_first) it.insns.push_back(make(Id::add64_imm, i, 0, 0, -1));
        if (at_top) {
            it.insns.push_back(make(Id::ja, 0, 0, 0, 0));
            it.insns[exit_at].off = static_cast<std::int16_t>(it.insns.size() - exit_at - 1);
        } else {
            it.insns.push_back(make(Id::jne_imm, i, 0, 0, 0));
        }
        it.jump = static_cast<int>(it.insns.size()) - 1;
        it.target = 0;
    }

    /// Appends the items and an exit; jumps get offsets to their target item (clamped inside).
    static void layout(std::vector<Item>& items, std::vector<Insn>& code) {
        std::vector<std::size_t> start;
        const std::size_t base = code.size();
        std::size_t at = base;
        for (const Item& it : items) {
            start.push_back(at);
            at += it.insns.size();
        }
        start.push_back(at);  // the final exit
        for (std::size_t i = 0; i < items.size(); ++i) {
            Item& it = items[i];
            if (it.jump >= 0) {
                const auto n = static_cast<std::int64_t>(items.size());
                std::int64_t t = static_cast<std::int64_t>(i) + it.target;
                t = t < 0 ? 0 : t > n ? n : t;
                const auto from = static_cast<std::int64_t>(start[i]) + it.jump + 1;
                const auto landing = t < n ? items[static_cast<std::size_t>(t)].landing : 0;
                const auto offset =
                    static_cast<std::int64_t>(start[static_cast<std::size_t>(t)]) + landing - from;
                Insn& j = it.insns[static_cast<std::size_t>(it.jump)];
                if (ubpf::isa::info(ubpf::isa::decode(j)).form == ubpf::isa::Form::jump_long)
                    j.imm = static_cast<std::int32_t>(offset);
                else
                    j.off = static_cast<std::int16_t>(offset);
            }
            code.insert(code.end(), it.insns.begin(), it.insns.end());
        }
        code.push_back(make(Id::exit, 0, 0, 0, 0));
    }

    std::mt19937 rng_;
};

std::string describe(const ubpf::host::RunReport& r) {
    std::string s = r.ok ? "r0 " + std::to_string(r.r0) : "error " + ubpf::host::error_text(r.error);
    return s + ", " + std::to_string(r.instructions) + " instructions";
}

}  // namespace

TEST_CASE("random programs: interpreter and Cortex-M4 JIT code agree", "[jit][differential]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    Generator gen(g_seed);
    std::vector<Insn> code;
    int verified = 0, errors = 0;
    for (int i = 0; i < g_programs; ++i) {
        ubpf::host::RunRequest request = gen.next(code);
        request.code = code;
        if (i < g_from) continue;
        // The reference interpreter runs in the same image, so that pointer values (r1, r3, r10)
        // and everything computed from them are the same for both engines.
        const auto compare = [&](const ubpf::host::RunRequest& req) {
            const ubpf::host::RunReport want = session.interpret(req);
            const ubpf::m4::JitImageRun got = session.run(req);
            INFO("program " << i << " (seed " << g_seed << "), budget " << req.budget << ":\n"
                            << ubpf::host::disassemble(code));
            REQUIRE_FALSE(got.fault.has_value());
            REQUIRE(got.mismatch.empty());
            REQUIRE(describe(got.report) == describe(want));
            INFO("result: " << describe(want));
            REQUIRE(got.report.mem_after == want.mem_after);
            return want;
        };
        // Every other program with poisoned dead upper halves (a liveness mistake shows), every
        // other pair with loops versioned, every third with its constants blinded (a new seed
        // each time).
        session.set_options(
            {.poison_dead_upper_halves = i % 2 == 1,
             .version_loops = i % 4 >= 2,
             .blind_constants = i % 3 == 0,
             .blinding_seed = static_cast<std::uint32_t>(g_seed * 131u + static_cast<unsigned>(i))});
        const ubpf::host::RunReport want = compare(request);
        if (want.error.code >= ubpf::ErrorCode::stack_too_small || want.ok) ++verified;
        if (!want.ok) ++errors;
        // Again with the budget running out at a random instruction of that run: the cut-off
        // (inside a block the JIT charges at once), its error and the memory left must match.
        if (want.instructions > 0) {
            std::mt19937 cut(g_seed * 7919u + static_cast<unsigned>(i));  // --from K reruns it alike
            request.budget = std::uniform_int_distribution<std::uint64_t>(0, want.instructions - 1)(cut);
            compare(request);
        }
    }
    // The generator must mostly make programs the verifier accepts, and runs of both kinds
    // (over enough of them: --from may leave a single one).
    if (const int ran = g_programs - g_from; ran >= 100) {
        CHECK(verified > ran / 2);
        CHECK(errors < ran);
    }
}

// A forward conditional jump's fall-through stays in the jump's block: the block is charged at
// once and the taken edge gives back what it skips. Expected values by hand from the
// interpreter's rule (the budget-th instruction executed is the last to run), also checked
// against the interpreter itself.
TEST_CASE("budget cut-offs in a block that goes on past a forward jump", "[jit][budget]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    struct Case {
        const char* what;
        const char* source;
        std::uint64_t budget;
        std::uint32_t error_pc;  // every case runs out of budget
        std::uint8_t mem0, mem1;
    };
    // Blocks: {0-3} (2 and 3 fall through from the jeq), the exit at 4, {5} and the exit at 6.
    const char* fall =
        "mov %r0, 0\njeq %r0, 1, +3\nstxb [%r1+0], %r0\nstxb [%r1+1], %r0\nexit\n"
        "stxb [%r1+2], %r0\nexit";
    // The same with the jump taken (r0 = 1): 0, 1, 5, 6 run.
    const char* taken =
        "mov %r0, 1\njeq %r0, 1, +3\nstxb [%r1+0], %r0\nstxb [%r1+1], %r0\nexit\n"
        "stxb [%r1+0], %r0\nexit";
    const Case cases[] = {
        // Instructions 0, 1, 2 run: the first store happens, the second (pc 3) is past the cut.
        {"fall-through, cut between the stores", fall, 3, 3, 0x00, 0xbb},
        {"fall-through, cut at the first store", fall, 2, 2, 0xaa, 0xbb},
        {"fall-through, cut at the jump", fall, 1, 1, 0xaa, 0xbb},
        // Taken: the block's charge (4) failed with 2 or 3 left, the jump gives back 2; the
        // store at pc 5 runs (it lies past the cut-off the failed charge remembered, pc 2 or 3,
        // but on the other path) and the exit at 6 is the instruction that cannot run.
        {"taken after a charge that did not fit, store past the old cut-off", taken, 3, 6, 0x01, 0xbb},
        {"taken, the target's own charge fails", taken, 2, 5, 0xaa, 0xbb},
        {"taken, cut at the jump", taken, 1, 1, 0xaa, 0xbb},
    };
    for (const Case& c : cases) {
        INFO(c.what << ", budget " << c.budget);
        const ubpf::host::AssemblyResult assembled = ubpf::host::assemble(c.source);
        REQUIRE(assembled.error.empty());
        ubpf::host::RunRequest request;
        request.code = assembled.code;
        request.mem = {0xaa, 0xbb, 0xcc, 0xdd};
        request.budget = c.budget;
        const ubpf::host::RunReport want = session.interpret(request);
        const ubpf::m4::JitImageRun got = session.run(request);
        REQUIRE_FALSE(got.fault.has_value());
        for (const ubpf::host::RunReport* r : {&want, &got.report}) {
            REQUIRE_FALSE(r->ok);
            CHECK(r->error.code == ubpf::ErrorCode::budget_exhausted);
            CHECK(r->error.pc == c.error_pc);
            REQUIRE(r->mem_after.size() == 4);
            CHECK(r->mem_after[0] == c.mem0);
            CHECK(r->mem_after[1] == c.mem1);
        }
    }
}

// A loop entered at its test (`ja test`, as LLVM lays out loops): the test's block {4, 5} and
// the swap-like block {6, 7, 8} each charge the head's block {2, 3} too and jump past its
// charge (carry_of()). So a cut-off may lie in the head's block, at lower pcs than the stores
// of the block that charged, which must still run; or in the charging block, whose jump then
// enters the head's block, whose stores must not. Expected values from the hand trace below
// (the budget-th instruction executed is the last to run), also checked against the interpreter.
TEST_CASE("budget cut-offs in a block charged with the block its jump goes back to", "[jit][budget]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    const char* source =
        "mov %r0, 0\nja +2\n"                         // 0, 1: into the loop at its test
        "stxb [%r1+0], %r0\nadd %r0, 1\n"             // 2, 3: the head
        "stxb [%r1+1], %r0\njlt %r0, 2, -4\n"         // 4, 5: the test, back to the head
        "stxb [%r1+2], %r0\njge %r0, 3, +1\nja -7\n"  // 6-8: back to the head (folded ja)
        "exit";                                       // 9
    // The pcs executed, worked out by hand: r0 0 -> 3, the test taken twice, then 6-8 once.
    const std::uint32_t trace[] = {0, 1, 4, 5, 2, 3, 4, 5, 2, 3, 4, 5, 6, 7, 8, 2, 3, 4, 5, 6, 7, 9};
    const ubpf::host::AssemblyResult assembled = ubpf::host::assemble(source);
    REQUIRE(assembled.error.empty());
    for (std::uint64_t budget = 0; budget <= std::size(trace); ++budget) {
        INFO("budget " << budget);
        // The memory after the first `budget` instructions: each store writes r0 as it was.
        std::uint8_t mem[4] = {0xaa, 0xbb, 0xcc, 0xdd};
        std::uint8_t r0 = 0;
        for (std::size_t k = 0; k < budget && k < std::size(trace); ++k) {
            if (trace[k] == 3) ++r0;
            if (trace[k] == 2 || trace[k] == 4 || trace[k] == 6) mem[trace[k] / 2 - 1] = r0;
        }
        ubpf::host::RunRequest request;
        request.code = assembled.code;
        request.mem = {0xaa, 0xbb, 0xcc, 0xdd};
        request.budget = budget;
        const ubpf::host::RunReport want = session.interpret(request);
        const ubpf::m4::JitImageRun got = session.run(request);
        REQUIRE_FALSE(got.fault.has_value());
        for (const ubpf::host::RunReport* r : {&want, &got.report}) {
            REQUIRE(r->mem_after.size() == 4);
            CHECK(std::equal(std::begin(mem), std::end(mem), r->mem_after.begin()));
            if (budget == std::size(trace)) {
                CHECK(r->ok);
                CHECK(r->r0 == 3);
            } else {
                REQUIRE_FALSE(r->ok);
                CHECK(r->error.code == ubpf::ErrorCode::budget_exhausted);
                CHECK(r->error.pc == trace[budget]);
            }
        }
    }
}

// Budgets above what the JIT's signed counter holds (2^31 - 1) wait in a reserve; the executed
// count comes out the same. The loop runs 3 * 1000 + 3 instructions (hand count: mov, mov,
// then add, sub, jne 1000 times, exit).
TEST_CASE("a budget above 2^31 runs and counts like the interpreter's", "[jit][budget]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    const ubpf::host::AssemblyResult assembled = ubpf::host::assemble(
        "mov %r1, 1000\nmov %r0, 0\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit");
    REQUIRE(assembled.error.empty());
    for (const std::uint64_t budget : {std::uint64_t{3003}, std::uint64_t{0x80000000},
                                       std::uint64_t{0xfffffffe}, std::uint64_t{1} << 40}) {
        INFO("budget " << budget);
        ubpf::host::RunRequest request;
        request.code = assembled.code;
        request.budget = budget;
        const ubpf::m4::JitImageRun got = session.run(request);
        REQUIRE_FALSE(got.fault.has_value());
        REQUIRE(got.report.ok);
        CHECK(got.report.r0 == 500500);  // 1000 + 999 + ... + 1
        CHECK(got.report.instructions == 3003);
        CHECK(describe(got.report) == describe(session.interpret(request)));
    }
}

// Execution::stop: JIT code reads it when its budget counter, which then holds at most kStopSlice
// (65536), is refilled from the reserve. Hand count: the counter starts at 65536; the block of
// pc 0 charges 1, the loop's block (pc 1-2) 2 per iteration, so after 32767 iterations 1 is left
// and the next charge (pc 1) goes to the runtime, which finds the flag set. The interpreter
// stops 65536 instructions in, at the jne (pc 2: tests/unit/interpreter_test.cpp).
TEST_CASE("a stop flag ends JIT code within a slice of the budget", "[jit][budget]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    const ubpf::host::AssemblyResult assembled =
        ubpf::host::assemble("mov %r1, 100000\nloop:\nsub %r1, 1\njne %r1, 0, loop\nexit");
    REQUIRE(assembled.error.empty());
    ubpf::host::RunRequest request;
    request.code = assembled.code;
    request.budget = 10'000'000;
    // No flag set: 1 + 2 * 100000 + 1 instructions, as without slices.
    const ubpf::m4::JitImageRun full = session.run(request);
    REQUIRE_FALSE(full.fault.has_value());
    REQUIRE(full.report.ok);
    CHECK(full.report.instructions == 200002);
    session.set_stop_requested(true);
    const ubpf::m4::JitImageRun got = session.run(request);
    REQUIRE_FALSE(got.fault.has_value());
    CHECK_FALSE(got.report.ok);
    CHECK(got.report.error == ubpf::Error{ubpf::ErrorCode::stopped, 1});
    const ubpf::host::RunReport interpreted = session.interpret(request);
    CHECK(interpreted.error == ubpf::Error{ubpf::ErrorCode::stopped, 2});
    // A budget that fits one slice never looks at the flag: the budget runs out first.
    request.budget = 1000;
    CHECK(session.run(request).report.error.code == ubpf::ErrorCode::budget_exhausted);
}

int main(int argc, char** argv) {
    Catch::Session session;
    using Catch::clara::Opt;
    session.cli(session.cli() | Opt(g_programs, "n")["--programs"]("number of random programs (2000)") |
                Opt(g_seed, "seed")["--seed"]("random seed (1)") |
                Opt(g_from, "k")["--from"]("run only programs k and later (0)"));
    if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
    return session.run();
}
