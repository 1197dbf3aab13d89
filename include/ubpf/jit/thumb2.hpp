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

/// One encoded instruction: 1 halfword (16-bit encoding) or 2 (32-bit, hw1 first in memory).
struct Code {
    std::uint16_t hw1 = 0;
    std::uint16_t hw2 = 0;
    std::uint8_t size = 0;  ///< bytes: 2, 4, or 0 when the operands cannot be encoded

    [[nodiscard]] constexpr bool ok() const noexcept { return size != 0; }
    friend constexpr bool operator==(const Code&, const Code&) = default;
};

namespace detail {
constexpr Code t16(unsigned hw) noexcept {
    return {static_cast<std::uint16_t>(hw), 0, 2};
}
constexpr Code t32(unsigned hw1, unsigned hw2) noexcept {
    return {static_cast<std::uint16_t>(hw1), static_cast<std::uint16_t>(hw2), 4};
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
    // An 8-bit value with its top bit set, rotated right by 8..31.
    for (unsigned rot = 8; rot < 32; ++rot) {
        const std::uint32_t unrotated = (value << rot) | (value >> (32 - rot));
        if (unrotated >= 0x80 && unrotated <= 0xff)
            return static_cast<std::uint16_t>((rot << 7) | (unrotated & 0x7f));
    }
    return std::nullopt;
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
/// <op>{S}.W Rd, Rn, Rm{, <shift> #amount} (T32, shifted register). amount 0..31; for lsr/asr a
/// shift of 32 is written as amount 32.
[[nodiscard]] constexpr Code dp_reg(DpOp op, bool s, Reg rd, Reg rn, Reg rm, Shift shift = Shift::lsl,
                                    unsigned amount = 0) noexcept {
    if (amount > 32 || (amount == 32 && (shift == Shift::lsl || shift == Shift::ror))) return {};
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
/// <op>.W Rt, [Rn, #offset]: offset 0..4095 (T3/T2 imm12) or -255..-1 (T4 imm8, P=1 U=0 W=0).
[[nodiscard]] constexpr Code mem_imm(Mem op, Reg rt, Reg rn, std::int32_t offset) noexcept {
    constexpr unsigned kImm12[] = {0xf880, 0xf8a0, 0xf8c0, 0xf890, 0xf8b0, 0xf8d0, 0xf990, 0xf9b0};
    constexpr unsigned kImm8[] = {0xf800, 0xf820, 0xf840, 0xf810, 0xf830, 0xf850, 0xf910, 0xf930};
    const auto k = static_cast<unsigned>(op);
    if (rn == pc) return {};
    if (offset >= 0 && offset <= 4095)
        return detail::t32(kImm12[k] | rn, (unsigned{rt} << 12) | unsigned(offset));
    if (offset < 0 && offset >= -255)
        return detail::t32(kImm8[k] | rn, (unsigned{rt} << 12) | 0xc00 | unsigned(-offset));
    return {};
}
/// <op> Rt, [Rn, Rm]: 16-bit (T1) when all three are low registers, else <op>.W (T2, no shift).
[[nodiscard]] constexpr Code mem_reg(Mem op, Reg rt, Reg rn, Reg rm) noexcept {
    constexpr unsigned kT1[] = {0x5400, 0x5200, 0x5000, 0x5c00, 0x5a00, 0x5800, 0x5600, 0x5e00};
    constexpr unsigned kT2[] = {0xf800, 0xf820, 0xf840, 0xf810, 0xf830, 0xf850, 0xf910, 0xf930};
    const auto k = static_cast<unsigned>(op);
    if (rn == pc || rm == sp || rm == pc) return {};
    if (detail::low(rt) && detail::low(rn) && detail::low(rm))
        return detail::t16(kT1[k] | (unsigned{rm} << 6) | (unsigned{rn} << 3) | rt);
    return detail::t32(kT2[k] | rn, (unsigned{rt} << 12) | rm);
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

}  // namespace ubpf::jit::thumb
