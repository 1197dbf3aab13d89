// SPDX-License-Identifier: MIT
// Thumb/Thumb-2 encoders for ARMv7E-M (Cortex-M4): every instruction the JIT emits, as constexpr
// functions in the order of the ARMv7-M Architecture Reference Manual (A5 immediate helpers,
// then the A7.7 instruction pages alphabetically). Each returns the halfwords of one
// instruction; an encoding that cannot express its operands returns an empty Code, so callers
// ask first (e.g. modified_immediate()) and fall back to another sequence.
// Golden vectors from llvm-mc and a Capstone cross-check are in tests/jit/.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>

#include "../config.hpp"

namespace ubpf::jit::thumb {

/// An ARM core register number, r0..r15.
using Reg = std::uint8_t;
inline constexpr Reg r0 = 0, r1 = 1, r2 = 2, r3 = 3, r4 = 4, r5 = 5, r6 = 6, r7 = 7, r8 = 8, r9 = 9, r10 = 10,
                     r11 = 11, ip = 12, sp = 13, lr = 14, pc = 15;

/// Condition codes (A7.3).
enum class Cond : std::uint8_t { eq, ne, hs, lo, mi, pl, vs, vc, hi, ls, ge, lt, gt, le, al };

[[nodiscard]] constexpr Cond invert(Cond c) noexcept {
    return static_cast<Cond>(static_cast<unsigned>(c) ^ 1u);
}

/// One encoded instruction: 1 halfword (16-bit encoding; hw2 is 0) or 2 (32-bit, hw1 first in
/// memory). The size follows from hw1 as for the CPU (A5.1); the empty Code (operands that
/// cannot be encoded) is 0xffff 0xffff, a permanently undefined encoding. Four bytes, so that
/// encoders return it in a register.
struct Code {
    std::uint16_t hw1 = 0xffff;
    std::uint16_t hw2 = 0xffff;

    /// Bytes: 2 or 4 (4 for the empty Code).
    [[nodiscard]] constexpr unsigned size() const noexcept { return hw1 >= 0xe800 ? 4 : 2; }
    [[nodiscard]] constexpr bool ok() const noexcept { return (hw1 & hw2) != 0xffff; }
    friend constexpr bool operator==(const Code&, const Code&) = default;
};
static_assert(sizeof(Code) == 4);

namespace detail {
constexpr Code t16(unsigned hw) noexcept {
    return {static_cast<std::uint16_t>(hw), 0};
}
constexpr Code t32(unsigned hw1, unsigned hw2) noexcept {
    return {static_cast<std::uint16_t>(hw1), static_cast<std::uint16_t>(hw2)};
}
constexpr bool low(Reg r) noexcept {
    return r < 8;
}
}  // namespace detail

// ---- A5.3.2 Modified immediate constants ---------------------------------------------------

/// ThumbExpandImm(imm12) (A5.3.2).
[[nodiscard]] constexpr std::uint32_t thumb_expand_imm(std::uint32_t imm12) noexcept {
    const std::uint32_t x = imm12 & 0xff;
    if ((imm12 >> 10) == 0) {
        switch ((imm12 >> 8) & 3) {
            case 0:
                return x;
            case 1:
                return x | (x << 16);
            case 2:
                return (x << 8) | (x << 24);
            default:
                return x | (x << 8) | (x << 16) | (x << 24);
        }
    }
    const std::uint32_t value = 0x80 | (imm12 & 0x7f);
    const unsigned rot = (imm12 >> 7) & 31;
    return (value >> rot) | (value << (32 - rot));
}

/// The i:imm3:imm8 field that ThumbExpandImm turns into `value`, if there is one.
[[nodiscard]] constexpr std::optional<std::uint16_t> modified_immediate(std::uint32_t value) noexcept {
    const std::uint32_t b = value & 0xff;
    if (value == b) return static_cast<std::uint16_t>(b);
    if (b != 0 && value == (b | (b << 16))) return static_cast<std::uint16_t>(0x100 | b);
    const std::uint32_t b1 = (value >> 8) & 0xff;
    if (b1 != 0 && value == ((b1 << 8) | (b1 << 24))) return static_cast<std::uint16_t>(0x200 | b1);
    if (b != 0 && value == b * 0x01010101u) return static_cast<std::uint16_t>(0x300 | b);
    // An 8-bit value with its top bit set, rotated right by 8..31: that is, shifted left by
    // 24..1 (no wrap-around), so the rotation follows from the highest set bit.
    const auto lead = static_cast<unsigned>(std::countl_zero(value));  // <= 23: value > 0xff
    const unsigned shift = 24 - lead;
    if (((value >> shift) << shift) != value) return std::nullopt;
    return static_cast<std::uint16_t>(((8 + lead) << 7) | ((value >> shift) & 0x7f));
}
[[nodiscard]] constexpr bool can_encode_modified(std::uint32_t value) noexcept {
    return modified_immediate(value).has_value();
}

// ---- A5.3 data-processing groups, shared by the instruction pages below ---------------------

/// Opcodes of "data processing (modified immediate)" and "(shifted register)" (A5.3.1, A5.3.11).
enum class DpOp : std::uint8_t {
    and_ = 0,
    bic = 1,
    orr = 2,
    orn = 3,
    eor = 4,
    add = 8,
    adc = 10,
    sbc = 11,
    sub = 13,
    rsb = 14
};
enum class Shift : std::uint8_t { lsl, lsr, asr, ror };

/// <op>{S}.W Rd, Rn, #value (T32, modified immediate).
[[nodiscard]] constexpr Code dp_imm(DpOp op, bool s, Reg rd, Reg rn, std::uint32_t value) noexcept {
    const auto imm = modified_immediate(value);
    if (!imm) return {};
    const unsigned i = (*imm >> 11) & 1, imm3 = (*imm >> 8) & 7, imm8 = *imm & 0xff;
    return detail::t32(0xf000 | (i << 10) | (static_cast<unsigned>(op) << 5) | (s ? 0x10 : 0) | rn,
                       (imm3 << 12) | (unsigned{rd} << 8) | imm8);
}
/// Whether a register operand's shift fits the encoding: amount 0..31, or 32 for lsr/asr.
[[nodiscard]] constexpr bool shift_fits(Shift shift, unsigned amount) noexcept {
    return amount < 32 || (amount == 32 && (shift == Shift::lsr || shift == Shift::asr));
}
/// <op>{S}.W Rd, Rn, Rm{, <shift> #amount} (T32, shifted register). amount 0..31; for lsr/asr a
/// shift of 32 is written as amount 32.
[[nodiscard]] constexpr Code dp_reg(DpOp op, bool s, Reg rd, Reg rn, Reg rm, Shift shift = Shift::lsl,
                                    unsigned amount = 0) noexcept {
    if (!shift_fits(shift, amount)) return {};
    const unsigned imm5 = amount & 31;
    return detail::t32(0xea00 | (static_cast<unsigned>(op) << 5) | (s ? 0x10 : 0) | rn,
                       ((imm5 >> 2) << 12) | (unsigned{rd} << 8) | ((imm5 & 3) << 6) |
                           (static_cast<unsigned>(shift) << 4) | rm);
}

// ---- A7.7 instructions, alphabetically ------------------------------------------------------

// ADC, ADD, AND, ASR, BIC, EOR, ORN, ORR, RSB, SBC, SUB: the forms above. Named wrappers:
[[nodiscard]] constexpr Code add_imm(Reg rd, Reg rn, std::uint32_t v, bool s = false) noexcept {
    return dp_imm(DpOp::add, s, rd, rn, v);
}
[[nodiscard]] constexpr Code sub_imm(Reg rd, Reg rn, std::uint32_t v, bool s = false) noexcept {
    return dp_imm(DpOp::sub, s, rd, rn, v);
}
/// ADDW Rd, Rn, #0..4095 (T4, no flags).
[[nodiscard]] constexpr Code addw(Reg rd, Reg rn, unsigned imm12) noexcept {
    if (imm12 > 4095) return {};
    return detail::t32(0xf200 | (((imm12 >> 11) & 1) << 10) | rn,
                       (((imm12 >> 8) & 7) << 12) | (unsigned{rd} << 8) | (imm12 & 0xff));
}
/// SUBW Rd, Rn, #0..4095 (T4, no flags).
[[nodiscard]] constexpr Code subw(Reg rd, Reg rn, unsigned imm12) noexcept {
    if (imm12 > 4095) return {};
    return detail::t32(0xf2a0 | (((imm12 >> 11) & 1) << 10) | rn,
                       (((imm12 >> 8) & 7) << 12) | (unsigned{rd} << 8) | (imm12 & 0xff));
}
/// ADD SP, SP, #imm (T2, 16-bit, imm multiple of 4 up to 508).
[[nodiscard]] constexpr Code add_sp(unsigned imm) noexcept {
    if (imm % 4 != 0 || imm > 508) return {};
    return detail::t16(0xb000 | (imm / 4));
}
/// SUB SP, SP, #imm (T1, 16-bit, imm multiple of 4 up to 508).
[[nodiscard]] constexpr Code sub_sp(unsigned imm) noexcept {
    if (imm % 4 != 0 || imm > 508) return {};
    return detail::t16(0xb080 | (imm / 4));
}

/// B<c> label (T1, 16-bit): offset from this instruction's address + 4, even, -256..254.
[[nodiscard]] constexpr Code b_cond_t1(Cond c, std::int32_t offset) noexcept {
    if (c == Cond::al || offset % 2 != 0 || offset < -256 || offset > 254) return {};
    return detail::t16(0xd000 | (static_cast<unsigned>(c) << 8) |
                       ((static_cast<unsigned>(offset) >> 1) & 0xff));
}
/// B label (T2, 16-bit): -2048..2046.
[[nodiscard]] constexpr Code b_t2(std::int32_t offset) noexcept {
    if (offset % 2 != 0 || offset < -2048 || offset > 2046) return {};
    return detail::t16(0xe000 | ((static_cast<unsigned>(offset) >> 1) & 0x7ff));
}
/// B<c>.W label (T3): -1048576..1048574.
[[nodiscard]] constexpr Code b_cond_t3(Cond c, std::int32_t offset) noexcept {
    if (c == Cond::al || offset % 2 != 0 || offset < -1048576 || offset > 1048574) return {};
    const auto u = static_cast<std::uint32_t>(offset);
    const unsigned s = (u >> 20) & 1, j2 = (u >> 19) & 1, j1 = (u >> 18) & 1;
    const unsigned imm6 = (u >> 12) & 0x3f, imm11 = (u >> 1) & 0x7ff;
    return detail::t32(0xf000 | (s << 10) | (static_cast<unsigned>(c) << 6) | imm6,
                       0x8000 | (j1 << 13) | (j2 << 11) | imm11);
}
namespace detail {
// B.W (T4) and BL share the S:I1:I2:imm10:imm11 offset (I1 = NOT(J1 XOR S), I2 = NOT(J2 XOR S)).
constexpr Code b_long(std::int32_t offset, unsigned hw2_bits) noexcept {
    if (offset % 2 != 0 || offset < -16777216 || offset > 16777214) return {};
    const auto u = static_cast<std::uint32_t>(offset);
    const unsigned s = (u >> 24) & 1, i1 = (u >> 23) & 1, i2 = (u >> 22) & 1;
    const unsigned j1 = (~(i1 ^ s)) & 1, j2 = (~(i2 ^ s)) & 1;
    return t32(0xf000 | (s << 10) | ((u >> 12) & 0x3ff),
               hw2_bits | (j1 << 13) | (j2 << 11) | ((u >> 1) & 0x7ff));
}
}  // namespace detail
/// B.W label (T4): -16777216..16777214.
[[nodiscard]] constexpr Code b_t4(std::int32_t offset) noexcept {
    return detail::b_long(offset, 0x9000);
}
/// BL label: -16777216..16777214.
[[nodiscard]] constexpr Code bl(std::int32_t offset) noexcept {
    return detail::b_long(offset, 0xd000);
}
/// BLX Rm.
[[nodiscard]] constexpr Code blx(Reg rm) noexcept {
    return detail::t16(0x4780 | (unsigned{rm} << 3));
}
/// BX Rm.
[[nodiscard]] constexpr Code bx(Reg rm) noexcept {
    return detail::t16(0x4700 | (unsigned{rm} << 3));
}
/// CBZ/CBNZ Rn, label: forward only, 0..126, low register.
[[nodiscard]] constexpr Code cbz(Reg rn, std::int32_t offset, bool nonzero = false) noexcept {
    if (!detail::low(rn) || offset < 0 || offset > 126 || offset % 2 != 0) return {};
    const auto u = static_cast<unsigned>(offset);
    return detail::t16(0xb100 | (nonzero ? 0x800 : 0) | (((u >> 6) & 1) << 9) | (((u >> 1) & 31) << 3) | rn);
}
/// CMP Rn, #value (T2, modified immediate) / CMN / TST / TEQ: flag-only forms of SUB/ADD/AND/EOR.
[[nodiscard]] constexpr Code cmp_imm(Reg rn, std::uint32_t v) noexcept {
    return dp_imm(DpOp::sub, true, pc, rn, v);
}
[[nodiscard]] constexpr Code cmn_imm(Reg rn, std::uint32_t v) noexcept {
    return dp_imm(DpOp::add, true, pc, rn, v);
}
[[nodiscard]] constexpr Code cmp_reg(Reg rn, Reg rm) noexcept {
    return dp_reg(DpOp::sub, true, pc, rn, rm);
}
[[nodiscard]] constexpr Code tst_imm(Reg rn, std::uint32_t v) noexcept {
    return dp_imm(DpOp::and_, true, pc, rn, v);
}
[[nodiscard]] constexpr Code tst_reg(Reg rn, Reg rm) noexcept {
    return dp_reg(DpOp::and_, true, pc, rn, rm);
}
/// IT{x{y{z}}} firstcond: `mask` as in the encoding (e.g. 0x8 for IT, 0x4 for ITT with cond's
/// low bit 0).
[[nodiscard]] constexpr Code it(Cond first, unsigned mask) noexcept {
    if (first == Cond::al || mask == 0 || mask > 15) return {};
    return detail::t16(0xbf00 | (static_cast<unsigned>(first) << 4) | mask);
}
/// IT with `n` (1..4) instructions all executed under `c` (then-only blocks).
[[nodiscard]] constexpr Code it_then(Cond c, unsigned n) noexcept {
    if (n < 1 || n > 4) return {};
    const unsigned low = static_cast<unsigned>(c) & 1;
    unsigned mask = 1u << (4 - n);
    for (unsigned k = 1; k < n; ++k) mask |= low << (4 - k);
    return it(c, mask);
}

/// LDR/STR family with an immediate offset.
enum class Mem : std::uint8_t { strb, strh, str, ldrb, ldrh, ldr, ldrsb, ldrsh };
namespace detail {
// Tables at namespace scope: a local array in a function is copied to the stack on every call.
// First halfword of <op>.W Rt, [Rn, Rm] and of the imm8 form, by Mem (| 0x80: the imm12 form).
inline constexpr std::uint16_t kMemWide[] = {0xf800, 0xf820, 0xf840, 0xf810, 0xf830, 0xf850, 0xf910, 0xf930};
// <op> Rt, [Rn, Rm] (T1), by Mem.
inline constexpr std::uint16_t kMemRegT1[] = {0x5400, 0x5200, 0x5000, 0x5c00, 0x5a00, 0x5800, 0x5600, 0x5e00};
}  // namespace detail
/// <op>.W Rt, [Rn, #offset]: offset 0..4095 (T3/T2 imm12) or -255..-1 (T4 imm8, P=1 U=0 W=0).
[[nodiscard]] constexpr Code mem_imm(Mem op, Reg rt, Reg rn, std::int32_t offset) noexcept {
    const unsigned wide = detail::kMemWide[static_cast<unsigned>(op)];
    if (rn == pc) return {};
    if (offset >= 0 && offset <= 4095)
        return detail::t32(wide | 0x80 | rn, (unsigned{rt} << 12) | unsigned(offset));
    if (offset < 0 && offset >= -255)
        return detail::t32(wide | rn, (unsigned{rt} << 12) | 0xc00 | unsigned(-offset));
    return {};
}
/// <op> Rt, [Rn, Rm]: 16-bit (T1) when all three are low registers, else <op>.W (T2, no shift).
[[nodiscard]] constexpr Code mem_reg(Mem op, Reg rt, Reg rn, Reg rm) noexcept {
    const auto k = static_cast<unsigned>(op);
    if (rn == pc || rm == sp || rm == pc) return {};
    if (detail::low(rt) && detail::low(rn) && detail::low(rm))
        return detail::t16(detail::kMemRegT1[k] | (unsigned{rm} << 6) | (unsigned{rn} << 3) | rt);
    return detail::t32(detail::kMemWide[k] | rn, (unsigned{rt} << 12) | rm);
}
/// LDR/STR Rt, [Rn, #offset] (T1, 16-bit): low Rt and Rn, offset multiple of 4 up to 124.
[[nodiscard]] constexpr Code mem_word(bool load, Reg rt, Reg rn, unsigned offset) noexcept {
    if (!detail::low(rt) || !detail::low(rn) || offset % 4 != 0 || offset > 124) return {};
    return detail::t16((load ? 0x6800 : 0x6000) | ((offset / 4) << 6) | (unsigned{rn} << 3) | rt);
}
/// LDR/STR Rt, [SP, #offset] (T2/T1 16-bit): low Rt, offset multiple of 4 up to 1020.
[[nodiscard]] constexpr Code mem_sp(bool load, Reg rt, unsigned offset) noexcept {
    if (!detail::low(rt) || offset % 4 != 0 || offset > 1020) return {};
    return detail::t16((load ? 0x9800 : 0x9000) | (unsigned{rt} << 8) | (offset / 4));
}
/// LDRD/STRD Rt, Rt2, [Rn, #offset]: offset multiple of 4 in -1020..1020.
[[nodiscard]] constexpr Code mem_dual(bool load, Reg rt, Reg rt2, Reg rn, std::int32_t offset) noexcept {
    if (offset % 4 != 0 || offset < -1020 || offset > 1020) return {};
    const unsigned u = offset >= 0 ? 1 : 0;
    const unsigned imm8 = static_cast<unsigned>(offset >= 0 ? offset : -offset) / 4;
    return detail::t32(0xe940 | (u << 7) | (load ? 0x10 : 0) | rn,
                       (unsigned{rt} << 12) | (unsigned{rt2} << 8) | imm8);
}
/// LSL/LSR/ASR/ROR Rd, Rn, Rm (T2, register-controlled, no flags).
[[nodiscard]] constexpr Code shift_reg(Shift type, Reg rd, Reg rn, Reg rm) noexcept {
    return detail::t32(0xfa00 | (static_cast<unsigned>(type) << 5) | rn, 0xf000 | (unsigned{rd} << 8) | rm);
}
/// LSL/LSR/ASR Rd, Rm, #n (T2: MOV with a shift, no flags). n 1..31 for lsl, 1..32 for lsr/asr.
[[nodiscard]] constexpr Code shift_imm(Shift type, Reg rd, Reg rm, unsigned n) noexcept {
    if (n == 0 || type == Shift::ror) return {};
    return dp_reg(DpOp::orr, false, rd, pc, rm, type, n);
}
/// MLA Rd, Rn, Rm, Ra: Rd = Ra + Rn * Rm.
[[nodiscard]] constexpr Code mla(Reg rd, Reg rn, Reg rm, Reg ra) noexcept {
    return detail::t32(0xfb00 | rn, (unsigned{ra} << 12) | (unsigned{rd} << 8) | rm);
}
/// MLS Rd, Rn, Rm, Ra: Rd = Ra - Rn * Rm.
[[nodiscard]] constexpr Code mls(Reg rd, Reg rn, Reg rm, Reg ra) noexcept {
    return detail::t32(0xfb00 | rn, (unsigned{ra} << 12) | (unsigned{rd} << 8) | 0x10 | rm);
}
/// MOV.W Rd, #value (T2, modified immediate, no flags).
[[nodiscard]] constexpr Code mov_imm(Reg rd, std::uint32_t v) noexcept {
    return dp_imm(DpOp::orr, false, rd, pc, v);
}
/// MOVW Rd, #imm16 (T3).
[[nodiscard]] constexpr Code movw(Reg rd, unsigned imm16) noexcept {
    if (imm16 > 0xffff) return {};
    return detail::t32(0xf240 | (((imm16 >> 11) & 1) << 10) | (imm16 >> 12),
                       (((imm16 >> 8) & 7) << 12) | (unsigned{rd} << 8) | (imm16 & 0xff));
}
/// MOVT Rd, #imm16.
[[nodiscard]] constexpr Code movt(Reg rd, unsigned imm16) noexcept {
    if (imm16 > 0xffff) return {};
    return detail::t32(0xf2c0 | (((imm16 >> 11) & 1) << 10) | (imm16 >> 12),
                       (((imm16 >> 8) & 7) << 12) | (unsigned{rd} << 8) | (imm16 & 0xff));
}
/// MOV Rd, Rm (T1, 16-bit, any registers, no flags).
[[nodiscard]] constexpr Code mov_reg(Reg rd, Reg rm) noexcept {
    return detail::t16(0x4600 | ((unsigned{rd} & 8) << 4) | (unsigned{rm} << 3) | (rd & 7));
}
/// MUL Rd, Rn, Rm (T2, no flags).
[[nodiscard]] constexpr Code mul(Reg rd, Reg rn, Reg rm) noexcept {
    return detail::t32(0xfb00 | rn, 0xf000 | (unsigned{rd} << 8) | rm);
}
/// MVN.W Rd, #value (T1, modified immediate, no flags).
[[nodiscard]] constexpr Code mvn_imm(Reg rd, std::uint32_t v) noexcept {
    return dp_imm(DpOp::orn, false, rd, pc, v);
}
/// NOP (T1).
[[nodiscard]] constexpr Code nop() noexcept {
    return detail::t16(0xbf00);
}
/// POP {registers} (T1 16-bit when only r0..r7 and pc, else T2).
[[nodiscard]] constexpr Code pop(unsigned list) noexcept {
    if (list == 0 || (list & (1u << sp)) || ((list & (1u << pc)) && (list & (1u << lr)))) return {};
    if ((list & ~0x80ffu) == 0) return detail::t16(0xbc00 | ((list >> 15) << 8) | (list & 0xff));
    // T2 with one register is UNPREDICTABLE: that is LDR Rt, [SP], #4 (T3).
    if ((list & (list - 1)) == 0)
        return detail::t32(0xf85d, (unsigned(std::countr_zero(list)) << 12) | 0xb04);
    return detail::t32(0xe8bd, list);
}
/// PUSH {registers} (T1 16-bit when only r0..r7 and lr, else T2).
[[nodiscard]] constexpr Code push(unsigned list) noexcept {
    if (list == 0 || (list & ((1u << sp) | (1u << pc)))) return {};
    if ((list & ~0x40ffu) == 0) return detail::t16(0xb400 | ((list >> 14) << 8) | (list & 0xff));
    // T2 with one register is UNPREDICTABLE: that is STR Rt, [SP, #-4]! (T4).
    if ((list & (list - 1)) == 0)
        return detail::t32(0xf84d, (unsigned(std::countr_zero(list)) << 12) | 0xd04);
    return detail::t32(0xe92d, list);
}
/// REV Rd, Rm / REV16 Rd, Rm (T2).
[[nodiscard]] constexpr Code rev(Reg rd, Reg rm) noexcept {
    return detail::t32(0xfa90 | rm, 0xf080 | (unsigned{rd} << 8) | rm);
}
[[nodiscard]] constexpr Code rev16(Reg rd, Reg rm) noexcept {
    return detail::t32(0xfa90 | rm, 0xf090 | (unsigned{rd} << 8) | rm);
}
/// SDIV / UDIV Rd, Rn, Rm.
[[nodiscard]] constexpr Code sdiv(Reg rd, Reg rn, Reg rm) noexcept {
    return detail::t32(0xfb90 | rn, 0xf0f0 | (unsigned{rd} << 8) | rm);
}
[[nodiscard]] constexpr Code udiv(Reg rd, Reg rn, Reg rm) noexcept {
    return detail::t32(0xfbb0 | rn, 0xf0f0 | (unsigned{rd} << 8) | rm);
}
/// SMULL / UMULL RdLo, RdHi, Rn, Rm.
[[nodiscard]] constexpr Code smull(Reg lo, Reg hi, Reg rn, Reg rm) noexcept {
    return detail::t32(0xfb80 | rn, (unsigned{lo} << 12) | (unsigned{hi} << 8) | rm);
}
[[nodiscard]] constexpr Code umull(Reg lo, Reg hi, Reg rn, Reg rm) noexcept {
    return detail::t32(0xfba0 | rn, (unsigned{lo} << 12) | (unsigned{hi} << 8) | rm);
}
/// SXTB, SXTH, UXTB, UXTH Rd, Rm (T2, no rotation).
enum class Extend : std::uint8_t { sxth = 0, uxth = 1, sxtb = 4, uxtb = 5 };
[[nodiscard]] constexpr Code extend(Extend kind, Reg rd, Reg rm) noexcept {
    return detail::t32(0xfa0f | (static_cast<unsigned>(kind) << 4), 0xf080 | (unsigned{rd} << 8) | rm);
}

// ---- Narrowing: the 16-bit encoding of an instruction built above, when there is one --------

namespace detail {
// Decoders of the 32-bit encodings the encoders above produce; each returns an empty Code when
// the instruction has no equivalent 16-bit encoding.

// ADD/SUB{S} Rd, Rn, #value (from dp_imm, addw, subw): 16-bit ADDS/SUBS (T1 imm3, T2 imm8)
// set NZCV like the 32-bit S form; the SP forms (ADD Rd, SP, #imm8*4; ADD/SUB SP, SP) leave
// the flags alone.
constexpr Code narrow_add_sub_imm(bool sub, bool s, unsigned rd, unsigned rn, std::uint32_t value,
                                  bool may_set_flags) noexcept {
    if (rn == sp && !s && value % 4 == 0) {
        if (!sub && rd < 8 && value <= 1020) return t16(0xa800 | (rd << 8) | (value / 4));
        if (rd == sp && value <= 508) return t16((sub ? 0xb080 : 0xb000) | (value / 4));
        return {};
    }
    if (rd >= 8 || rn >= 8 || !(s || may_set_flags)) return {};
    if (value <= 7) return t16((sub ? 0x1e00 : 0x1c00) | (value << 6) | (rn << 3) | rd);
    if (rd == rn && value <= 255) return t16((sub ? 0x3800 : 0x3000) | (rd << 8) | value);
    return {};
}

// <op>{S}.W Rd, Rn, #value (dp_imm: modified immediate), from its fields: the JIT narrows here
// before encoding the 32-bit form, narrow_dp_imm() after decoding one.
UBPF_HOT_INLINE constexpr Code narrow_dp_imm_fields(DpOp op, bool s, unsigned rd, unsigned rn,
                                                    std::uint32_t value, bool may_set_flags) noexcept {
    // A value below 256 is the plain byte (imm12 < 256): ThumbExpandImm_C leaves C alone, as the
    // 16-bit forms do.
    const bool byte = value < 256;
    if (op == DpOp::orr && rn == pc) {  // MOV{S}.W Rd, #imm -> MOVS Rd, #imm8 (sets N, Z)
        if (byte && rd < 8 && (s || may_set_flags)) return t16(0x2000 | (rd << 8) | value);
        return {};
    }
    if (op == DpOp::sub && s && rd == pc) {  // CMP.W Rn, #imm -> CMP Rn, #imm8
        if (byte && rn < 8) return t16(0x2800 | (rn << 8) | value);
        return {};
    }
    if ((op == DpOp::add || op == DpOp::sub) && rd != pc)
        return narrow_add_sub_imm(op == DpOp::sub, s, rd, rn, value, may_set_flags);
    if (op == DpOp::rsb && value == 0 && rd < 8 && rn < 8 && (s || may_set_flags))
        return t16(0x4240 | (rn << 3) | rd);  // RSBS Rd, Rn, #0 (NEGS): NZCV as RSBS.W
    return {};
}
[[gnu::always_inline]] constexpr Code narrow_dp_imm(unsigned h1, unsigned h2, bool may_set_flags) noexcept {
    const unsigned imm12 = (((h1 >> 10) & 1) << 11) | (((h2 >> 12) & 7) << 8) | (h2 & 0xff);
    // A replicated pattern of a zero byte is UNPREDICTABLE, not an encoding of 0. (Otherwise a
    // value below 256 comes only from the plain byte.)
    if ((imm12 >> 10) == 0 && (imm12 & 0x300) != 0 && (imm12 & 0xff) == 0) return {};
    return narrow_dp_imm_fields(static_cast<DpOp>((h1 >> 5) & 15), (h1 & 0x10) != 0, (h2 >> 8) & 15, h1 & 15,
                                thumb_expand_imm(imm12), may_set_flags);
}

// <op>{S}.W Rd, Rn, Rm{, shift} (dp_reg, shift_imm, cmp_reg, tst_reg), from its fields (imm5
// as encoded: 0 for a shift of 32): the JIT narrows here before encoding the 32-bit form,
// narrow_dp_reg() after decoding one.
UBPF_HOT_INLINE constexpr Code narrow_dp_reg_fields(DpOp op, bool s, unsigned rd, unsigned rn, unsigned rm,
                                                    unsigned type, unsigned imm5,
                                                    bool may_set_flags) noexcept {
    const bool flags_ok = s || may_set_flags;
    const bool all_low = rd < 8 && rn < 8 && rm < 8;
    if (op == DpOp::orr && rn == pc) {  // MOV{S}.W Rd, Rm{, shift #n}
        if (type == 0 && imm5 == 0) {
            if (s) return rd < 8 && rm < 8 ? t16((rm << 3) | rd) : Code{};  // MOVS Rd, Rm (N, Z)
            if (rd == pc || rm == pc || (rd == sp && rm == sp)) return {};
            return t16(0x4600 | ((rd & 8) << 4) | (rm << 3) | (rd & 7));  // MOV Rd, Rm: no flags
        }
        // LSLS/LSRS/ASRS Rd, Rm, #imm5: N, Z and C as the 32-bit S form; a shift of 32 is 0
        // in both encodings. ROR #n and RRX have no 16-bit form.
        if (type == 3 || rd >= 8 || rm >= 8 || !flags_ok) return {};
        return t16((type << 11) | (imm5 << 6) | (rm << 3) | rd);
    }
    if (type != 0 || imm5 != 0) return {};  // the 16-bit register forms have no shift
    if (s && rd == pc) {                    // flag-only forms
        if (op == DpOp::sub) {              // CMP
            if (rn < 8 && rm < 8) return t16(0x4280 | (rm << 3) | rn);
            // T2: at least one high register, neither PC, Rm not SP (as for CMP.W).
            if (rn == pc || rm == pc || rm == sp) return {};
            return t16(0x4500 | ((rn & 8) << 4) | (rm << 3) | (rn & 7));
        }
        if (rn >= 8 || rm >= 8) return {};
        if (op == DpOp::add) return t16(0x42c0 | (rm << 3) | rn);   // CMN
        if (op == DpOp::and_) return t16(0x4200 | (rm << 3) | rn);  // TST
        return {};
    }
    if (op == DpOp::orn && rn == pc) {  // MVN{S}.W Rd, Rm -> MVNS Rd, Rm (N, Z; C unchanged)
        if (rd < 8 && rm < 8 && flags_ok) return t16(0x43c0 | (rm << 3) | rd);
        return {};
    }
    if (rd == pc) return {};
    if (op == DpOp::add) {
        // ADD Rdn, Rm (T2) keeps the flags and takes high registers; SP and PC are excluded
        // (SP forms are other instructions, PC operands UNPREDICTABLE or branches).
        const bool no_sp_pc = rd != sp && rn != sp && rn != pc && rm != sp && rm != pc;
        if (!s && no_sp_pc && (rd == rn || rd == rm))
            return t16(0x4400 | ((rd & 8) << 4) | ((rd == rn ? rm : rn) << 3) | (rd & 7));
        if (all_low && flags_ok) return t16(0x1800 | (rm << 6) | (rn << 3) | rd);  // ADDS T1
        return {};
    }
    if (!all_low || !flags_ok) return {};
    if (op == DpOp::sub) return t16(0x1a00 | (rm << 6) | (rn << 3) | rd);  // SUBS T1
    // Two-operand forms Rdn = Rdn <op> Rm: ANDS/EORS/ORRS/BICS set N, Z (C, V kept, as the
    // unshifted 32-bit forms); ADCS/SBCS set NZCV.
    unsigned base = 0;
    bool commutative = true;
    switch (op) {
        case DpOp::and_:
            base = 0x4000;
            break;
        case DpOp::eor:
            base = 0x4040;
            break;
        case DpOp::adc:
            base = 0x4140;
            break;
        case DpOp::orr:
            base = 0x4300;
            break;
        case DpOp::sbc:
            base = 0x4180;
            commutative = false;
            break;
        case DpOp::bic:
            base = 0x4380;
            commutative = false;
            break;
        default:
            return {};
    }
    if (rd == rn) return t16(base | (rm << 3) | rd);
    if (commutative && rd == rm) return t16(base | (rn << 3) | rd);
    return {};
}
[[gnu::always_inline]] constexpr Code narrow_dp_reg(unsigned h1, unsigned h2, bool may_set_flags) noexcept {
    return narrow_dp_reg_fields(static_cast<DpOp>((h1 >> 5) & 15), (h1 & 0x10) != 0, (h2 >> 8) & 15, h1 & 15,
                                h2 & 15, (h2 >> 4) & 3, (((h2 >> 12) & 7) << 2) | ((h2 >> 6) & 3),
                                may_set_flags);
}

inline constexpr std::uint16_t kMemImmT1[] = {0x7000, 0x8000, 0x6000};  // STRB, STRH, STR; loads add 0x800
inline constexpr std::uint16_t kShiftRegT1[] = {0x4080, 0x40c0, 0x4100,
                                                0x41c0};  // LSLS, LSRS, ASRS, RORS Rdn, Rm

// LDR/STR{B,H}.W Rt, [Rn, #imm12] (mem_imm T2/T3; the signed loads have no 16-bit immediate
// form, and negative offsets none at all).
[[gnu::always_inline]] constexpr Code narrow_mem_imm(unsigned h1, unsigned h2) noexcept {
    const unsigned size = (h1 >> 5) & 3, load = (h1 >> 4) & 1, rn = h1 & 15;
    const unsigned rt = h2 >> 12, imm = h2 & 0xfff;
    if (size == 3 || rt >= 8) return {};
    if (rn == sp) {  // LDR/STR Rt, [SP, #imm8*4] (T2)
        if (size == 2 && imm % 4 == 0 && imm <= 1020)
            return t16((load ? 0x9800 : 0x9000) | (rt << 8) | (imm / 4));
        return {};
    }
    const unsigned scale = 1u << size;
    if (rn >= 8 || imm % scale != 0 || imm / scale > 31) return {};
    return t16(kMemImmT1[size] | (load << 11) | ((imm / scale) << 6) | (rn << 3) | rt);
}

[[gnu::always_inline]] constexpr Code narrow32(unsigned h1, unsigned h2, bool may_set_flags) noexcept {
    if ((h1 & 0xfa00) == 0xf000 && (h2 & 0x8000) == 0) return narrow_dp_imm(h1, h2, may_set_flags);
    const unsigned wide_op = h1 & 0xfbf0;
    if ((wide_op == 0xf200 || wide_op == 0xf2a0) && (h2 & 0x8000) == 0) {  // ADDW/SUBW: no flags
        const unsigned imm12 = (((h1 >> 10) & 1) << 11) | (((h2 >> 12) & 7) << 8) | (h2 & 0xff);
        const unsigned rn = h1 & 15;
        if (rn == pc) return {};  // ADR
        return narrow_add_sub_imm(wide_op == 0xf2a0, false, (h2 >> 8) & 15, rn, imm12, may_set_flags);
    }
    if ((h1 & 0xfe00) == 0xea00 && (h2 & 0x8000) == 0) return narrow_dp_reg(h1, h2, may_set_flags);
    if ((h1 & 0xff80) == 0xf880) return narrow_mem_imm(h1, h2);
    const unsigned rd = (h2 >> 8) & 15, rm = h2 & 15, rn = h1 & 15;
    // LSL/LSR/ASR/ROR{S}.W Rd, Rn, Rm -> LSLS/LSRS/ASRS/RORS Rdn, Rm (N, Z, C as the S form).
    if ((h1 & 0xff80) == 0xfa00 && (h2 & 0xf0f0) == 0xf000) {
        if (rd != rn || rd >= 8 || rm >= 8 || !((h1 & 0x10) != 0 || may_set_flags)) return {};
        return t16(kShiftRegT1[(h1 >> 5) & 3] | (rm << 3) | rd);
    }
    // MUL Rd, Rn, Rm -> MULS Rdm, Rn, Rdm: sets N, Z (C, V kept on ARMv7-M) where MUL sets none.
    if ((h1 & 0xfff0) == 0xfb00 && (h2 & 0xf0f0) == 0xf000) {
        if (rd >= 8 || rn >= 8 || rm >= 8 || !may_set_flags || (rd != rm && rd != rn)) return {};
        return t16(0x4340 | ((rd == rm ? rn : rm) << 3) | rd);
    }
    // SXTH/UXTH/SXTB/UXTB Rd, Rm without rotation: no flags.
    if ((h1 & 0xffaf) == 0xfa0f && (h2 & 0xf0f0) == 0xf080) {
        if (rd >= 8 || rm >= 8) return {};
        // 16-bit opc is U:byte (SXTH, SXTB, UXTH, UXTB); the 32-bit op has U in bit 4, byte in 6.
        const unsigned opc = (((h1 >> 4) & 1) << 1) | ((h1 >> 6) & 1);
        return t16(0xb200 | (opc << 6) | (rm << 3) | rd);
    }
    // REV/REV16 Rd, Rm (Rm appears twice in the 32-bit encoding): no flags.
    if ((h1 & 0xfff0) == 0xfa90 && (h2 & 0xf0e0) == 0xf080 && rn == rm) {
        if (rd >= 8 || rm >= 8) return {};
        return t16(((h2 & 0x10) != 0 ? 0xba40 : 0xba00) | (rm << 3) | rd);
    }
    return {};
}
// The empty Code has no 16-bit form (put() narrows without testing ok() first).
static_assert(!narrow32(0xffff, 0xffff, true).ok());
}  // namespace detail

/// The 16-bit encoding of a 32-bit instruction from the encoders above, or `c` itself when
/// there is none (or `c` is already 16-bit or empty). The result has the same effect on
/// registers and memory; when `c` sets flags the result sets the same ones in the same way.
/// When `c` leaves the flags alone, a result that sets them is returned only if
/// `may_set_flags` (the caller knows they are dead). Only for code outside IT blocks: there
/// the 16-bit data-processing forms set flags.
[[nodiscard]] constexpr Code narrow(Code c, bool may_set_flags) noexcept {
    if (c.size() != 4 || !c.ok()) return c;
    const Code n = detail::narrow32(c.hw1, c.hw2, may_set_flags);
    return n.ok() ? n : c;
}

}  // namespace ubpf::jit::thumb
