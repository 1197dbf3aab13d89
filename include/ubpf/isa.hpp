// SPDX-License-Identifier: MIT
// The eBPF instruction set (RFC 9669): the instruction word and the one opcode table that every
// stage reads. Verifier, interpreter, assembler, disassembler and JIT never list opcodes of their
// own; they look them up here.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ubpf {

static_assert(std::endian::native == std::endian::little,
              "eBPF byte code is little-endian; big-endian targets are not supported");

/// One 64-bit eBPF instruction slot, laid out exactly as in the byte code.
struct Insn {
    std::uint8_t opcode = 0;
    std::uint8_t regs = 0;  ///< dst in bits 0..3, src in bits 4..7
    std::int16_t off = 0;
    std::int32_t imm = 0;

    [[nodiscard]] constexpr unsigned dst() const noexcept { return regs & 0x0fu; }
    [[nodiscard]] constexpr unsigned src() const noexcept { return regs >> 4; }

    [[nodiscard]] static constexpr Insn make(std::uint8_t opcode, unsigned dst, unsigned src,
                                             std::int16_t off, std::int32_t imm) noexcept {
        return Insn{opcode, static_cast<std::uint8_t>((dst & 0x0fu) | ((src & 0x0fu) << 4)), off, imm};
    }
    friend constexpr bool operator==(const Insn&, const Insn&) = default;
};
static_assert(sizeof(Insn) == 8 && alignof(Insn) <= 8);

namespace isa {

constexpr unsigned kRegisterCount = 11;         ///< r0..r10
constexpr unsigned kFramePointer = 10;          ///< r10: read-only frame pointer
constexpr std::uint8_t kSourceRegister = 0x08;  ///< opcode bit: the operand is src, not imm
constexpr std::int32_t kAtomicFetch = 0x01;     ///< atomic imm bit: old value returned in src

/// What an instruction does. Width and operand source are separate facts of a table row.
enum class Op : std::uint8_t {
    add,
    sub,
    mul,
    div,
    sdiv,
    or_,
    and_,
    lsh,
    rsh,
    neg,
    mod,
    smod,
    xor_,
    mov,
    movsx,
    arsh,
    le,
    be,
    bswap,
    ja,
    jeq,
    jgt,
    jge,
    jset,
    jne,
    jsgt,
    jsge,
    jlt,
    jle,
    jslt,
    jsle,
    call,
    call_local,
    callx,
    exit,
    lddw,
    ldx,
    ldxs,
    st,
    stx,
    atomic_add,
    atomic_or,
    atomic_and,
    atomic_xor,
    atomic_fetch_add,
    atomic_fetch_or,
    atomic_fetch_and,
    atomic_fetch_xor,
    atomic_xchg,
    atomic_cmpxchg,
};

/// Operand syntax of a row, shared by the assembler and the disassembler.
enum class Form : std::uint8_t {
    dst_imm,      ///< add %r1, 5
    dst_src,      ///< add %r1, %r2
    dst,          ///< neg %r1, be16 %r1
    load,         ///< ldxw %r1, [%r2+4]
    store_imm,    ///< stw [%r1+4], 5
    store_src,    ///< stxw [%r1+4], %r2 and lock add [%r1+4], %r2
    jump,         ///< ja +3
    jump_long,    ///< ja32 +3 (offset in imm)
    cond_imm,     ///< jeq %r1, 5, +3
    cond_src,     ///< jeq %r1, %r2, +3
    call_helper,  ///< call 5
    call_local,   ///< call local +3
    callx,        ///< call %r2 (register in dst)
    none,         ///< exit
    lddw,         ///< lddw %r1, 0x1122334455667788
};

/// Fields an instruction uses. RFC 9669 requires all other fields to be zero.
enum Field : std::uint8_t { kDst = 1, kSrc = 2, kOff = 4, kImm = 8 };

/// Some opcodes carry several instructions, told apart by one more field.
enum class Select : std::uint8_t { none, off, imm, src };

/// What the verifier and the interpreter need to know about an instruction: 5 bytes a row
/// (bit-fields: 790 bytes of flash for the table instead of 1264 with a byte a field).
/// Mnemonics are a separate array that only text tools use.
struct OpInfo {
    std::uint8_t opcode;
    Op op : 6;
    Select select : 2;
    Form form : 4;
    std::uint8_t fields : 4;    ///< Field bits in use
    std::uint8_t width;         ///< operand bits: 32/64 for ALU, JMP, atomics; access size for memory
    std::uint8_t select_value;  ///< the selecting field's value (off 0/1/8/16/32, imm 16..0xf1, src)
};
static_assert(sizeof(OpInfo) == 5);
static_assert(static_cast<unsigned>(Op::atomic_cmpxchg) < 64 && static_cast<unsigned>(Form::lddw) < 16,
              "OpInfo's bit-fields must hold every Op and Form");

// The table. One row per instruction; rows sharing an opcode byte are adjacent and the first one
// is the row that dispatch lands on. Columns: name (an identifier), mnemonic, opcode, op, form,
// fields, select, select value, width.
// clang-format off
#define UBPF_ISA_ALU(X, name, mn, code, op)                                                         \
    X(name##64_imm, mn,      0x07 | ((code) << 4), op, dst_imm, kDst | kImm, none, 0, 64)           \
    X(name##64_reg, mn,      0x0f | ((code) << 4), op, dst_src, kDst | kSrc, none, 0, 64)           \
    X(name##32_imm, mn "32", 0x04 | ((code) << 4), op, dst_imm, kDst | kImm, none, 0, 32)           \
    X(name##32_reg, mn "32", 0x0c | ((code) << 4), op, dst_src, kDst | kSrc, none, 0, 32)
#define UBPF_ISA_DIV(X, name, mn, sname, smn, code, op, sop)                                        \
    X(name##64_imm,  mn,       0x07 | ((code) << 4), op,  dst_imm, kDst | kImm, off, 0, 64)         \
    X(sname##64_imm, smn,      0x07 | ((code) << 4), sop, dst_imm, kDst | kImm, off, 1, 64)         \
    X(name##64_reg,  mn,       0x0f | ((code) << 4), op,  dst_src, kDst | kSrc, off, 0, 64)         \
    X(sname##64_reg, smn,      0x0f | ((code) << 4), sop, dst_src, kDst | kSrc, off, 1, 64)         \
    X(name##32_imm,  mn "32",  0x04 | ((code) << 4), op,  dst_imm, kDst | kImm, off, 0, 32)         \
    X(sname##32_imm, smn "32", 0x04 | ((code) << 4), sop, dst_imm, kDst | kImm, off, 1, 32)         \
    X(name##32_reg,  mn "32",  0x0c | ((code) << 4), op,  dst_src, kDst | kSrc, off, 0, 32)         \
    X(sname##32_reg, smn "32", 0x0c | ((code) << 4), sop, dst_src, kDst | kSrc, off, 1, 32)
#define UBPF_ISA_JMP(X, name, mn, code, op)                                                         \
    X(name##_imm,   mn,      0x05 | ((code) << 4), op, cond_imm, kDst | kOff | kImm, none, 0, 64)   \
    X(name##_reg,   mn,      0x0d | ((code) << 4), op, cond_src, kDst | kSrc | kOff, none, 0, 64)   \
    X(name##32_imm, mn "32", 0x06 | ((code) << 4), op, cond_imm, kDst | kOff | kImm, none, 0, 32)   \
    X(name##32_reg, mn "32", 0x0e | ((code) << 4), op, cond_src, kDst | kSrc | kOff, none, 0, 32)
#define UBPF_ISA_ATOMIC(X, sfx, mn, code, width)                                                    \
    X(atomic_add##sfx,       "lock add" mn,       code, atomic_add,       store_src, kDst | kSrc | kOff, imm, 0x00, width) \
    X(atomic_or##sfx,        "lock or" mn,        code, atomic_or,        store_src, kDst | kSrc | kOff, imm, 0x40, width) \
    X(atomic_and##sfx,       "lock and" mn,       code, atomic_and,       store_src, kDst | kSrc | kOff, imm, 0x50, width) \
    X(atomic_xor##sfx,       "lock xor" mn,       code, atomic_xor,       store_src, kDst | kSrc | kOff, imm, 0xa0, width) \
    X(atomic_fetch_add##sfx, "lock fetch add" mn, code, atomic_fetch_add, store_src, kDst | kSrc | kOff, imm, 0x01, width) \
    X(atomic_fetch_or##sfx,  "lock fetch or" mn,  code, atomic_fetch_or,  store_src, kDst | kSrc | kOff, imm, 0x41, width) \
    X(atomic_fetch_and##sfx, "lock fetch and" mn, code, atomic_fetch_and, store_src, kDst | kSrc | kOff, imm, 0x51, width) \
    X(atomic_fetch_xor##sfx, "lock fetch xor" mn, code, atomic_fetch_xor, store_src, kDst | kSrc | kOff, imm, 0xa1, width) \
    X(atomic_xchg##sfx,      "lock xchg" mn,      code, atomic_xchg,      store_src, kDst | kSrc | kOff, imm, 0xe1, width) \
    X(atomic_cmpxchg##sfx,   "lock cmpxchg" mn,   code, atomic_cmpxchg,   store_src, kDst | kSrc | kOff, imm, 0xf1, width)

#define UBPF_ISA_TABLE(X)                                                                           \
    UBPF_ISA_ALU(X, add, "add", 0x0, add)                                                           \
    UBPF_ISA_ALU(X, sub, "sub", 0x1, sub)                                                           \
    UBPF_ISA_ALU(X, mul, "mul", 0x2, mul)                                                           \
    UBPF_ISA_DIV(X, div, "div", sdiv, "sdiv", 0x3, div, sdiv)                                       \
    UBPF_ISA_ALU(X, or_, "or", 0x4, or_)                                                             \
    UBPF_ISA_ALU(X, and_, "and", 0x5, and_)                                                          \
    UBPF_ISA_ALU(X, lsh, "lsh", 0x6, lsh)                                                           \
    UBPF_ISA_ALU(X, rsh, "rsh", 0x7, rsh)                                                           \
    X(neg64, "neg",   0x87, neg, dst, kDst, none, 0, 64)                                            \
    X(neg32, "neg32", 0x84, neg, dst, kDst, none, 0, 32)                                            \
    UBPF_ISA_DIV(X, mod, "mod", smod, "smod", 0x9, mod, smod)                                       \
    UBPF_ISA_ALU(X, xor_, "xor", 0xa, xor_)                                                          \
    X(mov64_imm, "mov",       0xb7, mov,   dst_imm, kDst | kImm, none, 0, 64)                       \
    X(mov64_reg, "mov",       0xbf, mov,   dst_src, kDst | kSrc, off, 0, 64)                        \
    X(movsx864,  "movsx864",  0xbf, movsx, dst_src, kDst | kSrc, off, 8, 64)                        \
    X(movsx1664, "movsx1664", 0xbf, movsx, dst_src, kDst | kSrc, off, 16, 64)                       \
    X(movsx3264, "movsx3264", 0xbf, movsx, dst_src, kDst | kSrc, off, 32, 64)                       \
    X(mov32_imm, "mov32",     0xb4, mov,   dst_imm, kDst | kImm, none, 0, 32)                       \
    X(mov32_reg, "mov32",     0xbc, mov,   dst_src, kDst | kSrc, off, 0, 32)                        \
    X(movsx832,  "movsx832",  0xbc, movsx, dst_src, kDst | kSrc, off, 8, 32)                        \
    X(movsx1632, "movsx1632", 0xbc, movsx, dst_src, kDst | kSrc, off, 16, 32)                       \
    UBPF_ISA_ALU(X, arsh, "arsh", 0xc, arsh)                                                        \
    X(le16,    "le16",    0xd4, le,    dst, kDst, imm, 16, 16)                                      \
    X(le32,    "le32",    0xd4, le,    dst, kDst, imm, 32, 32)                                      \
    X(le64,    "le64",    0xd4, le,    dst, kDst, imm, 64, 64)                                      \
    X(be16,    "be16",    0xdc, be,    dst, kDst, imm, 16, 16)                                      \
    X(be32,    "be32",    0xdc, be,    dst, kDst, imm, 32, 32)                                      \
    X(be64,    "be64",    0xdc, be,    dst, kDst, imm, 64, 64)                                      \
    X(bswap16, "bswap16", 0xd7, bswap, dst, kDst, imm, 16, 16)                                      \
    X(bswap32, "bswap32", 0xd7, bswap, dst, kDst, imm, 32, 32)                                      \
    X(bswap64, "bswap64", 0xd7, bswap, dst, kDst, imm, 64, 64)                                      \
    X(ja,         "ja",    0x05, ja,         jump,        kOff, none, 0, 64)                        \
    X(ja32,       "ja32",  0x06, ja,         jump_long,   kImm, none, 0, 32)                        \
    UBPF_ISA_JMP(X, jeq,  "jeq",  0x1, jeq)                                                         \
    UBPF_ISA_JMP(X, jgt,  "jgt",  0x2, jgt)                                                         \
    UBPF_ISA_JMP(X, jge,  "jge",  0x3, jge)                                                         \
    UBPF_ISA_JMP(X, jset, "jset", 0x4, jset)                                                        \
    UBPF_ISA_JMP(X, jne,  "jne",  0x5, jne)                                                         \
    UBPF_ISA_JMP(X, jsgt, "jsgt", 0x6, jsgt)                                                        \
    UBPF_ISA_JMP(X, jsge, "jsge", 0x7, jsge)                                                        \
    X(call,       "call",  0x85, call,       call_helper, kImm, src, 0, 64)                         \
    X(call_local, "call",  0x85, call_local, call_local,  kImm, src, 1, 64)                         \
    X(callx,      "call",  0x8d, callx,      callx,       kDst, none, 0, 64)                        \
    X(exit,       "exit",  0x95, exit,       none,        0,    none, 0, 64)                        \
    UBPF_ISA_JMP(X, jlt,  "jlt",  0xa, jlt)                                                         \
    UBPF_ISA_JMP(X, jle,  "jle",  0xb, jle)                                                         \
    UBPF_ISA_JMP(X, jslt, "jslt", 0xc, jslt)                                                        \
    UBPF_ISA_JMP(X, jsle, "jsle", 0xd, jsle)                                                        \
    X(lddw,   "lddw",   0x18, lddw, lddw,      kDst | kImm,        src, 0, 64)                      \
    X(ldxw,   "ldxw",   0x61, ldx,  load,      kDst | kSrc | kOff, none, 0, 32)                     \
    X(ldxh,   "ldxh",   0x69, ldx,  load,      kDst | kSrc | kOff, none, 0, 16)                     \
    X(ldxb,   "ldxb",   0x71, ldx,  load,      kDst | kSrc | kOff, none, 0, 8)                      \
    X(ldxdw,  "ldxdw",  0x79, ldx,  load,      kDst | kSrc | kOff, none, 0, 64)                     \
    X(ldxsw,  "ldxsw",  0x81, ldxs, load,      kDst | kSrc | kOff, none, 0, 32)                     \
    X(ldxsh,  "ldxsh",  0x89, ldxs, load,      kDst | kSrc | kOff, none, 0, 16)                     \
    X(ldxsb,  "ldxsb",  0x91, ldxs, load,      kDst | kSrc | kOff, none, 0, 8)                      \
    X(stw,    "stw",    0x62, st,   store_imm, kDst | kOff | kImm, none, 0, 32)                     \
    X(sth,    "sth",    0x6a, st,   store_imm, kDst | kOff | kImm, none, 0, 16)                     \
    X(stb,    "stb",    0x72, st,   store_imm, kDst | kOff | kImm, none, 0, 8)                      \
    X(stdw,   "stdw",   0x7a, st,   store_imm, kDst | kOff | kImm, none, 0, 64)                     \
    X(stxw,   "stxw",   0x63, stx,  store_src, kDst | kSrc | kOff, none, 0, 32)                     \
    X(stxh,   "stxh",   0x6b, stx,  store_src, kDst | kSrc | kOff, none, 0, 16)                     \
    X(stxb,   "stxb",   0x73, stx,  store_src, kDst | kSrc | kOff, none, 0, 8)                      \
    X(stxdw,  "stxdw",  0x7b, stx,  store_src, kDst | kSrc | kOff, none, 0, 64)                     \
    UBPF_ISA_ATOMIC(X, 32, "32", 0xc3, 32)                                                          \
    UBPF_ISA_ATOMIC(X, 64, "",   0xdb, 64)
// clang-format on

/// Dense identifiers of the table rows, in table order.
enum class Id : std::uint8_t {
#define UBPF_ISA_ID(name, ...) name,
    UBPF_ISA_TABLE(UBPF_ISA_ID)
#undef UBPF_ISA_ID
        count,
    invalid = count,
};

inline constexpr std::size_t kOpCount = static_cast<std::size_t>(Id::count);

inline constexpr std::array<OpInfo, kOpCount> kOps = {{
// clang-format off
#define UBPF_ISA_ROW(name, mn, code, op, form, fields, sel, value, width) \
    OpInfo{static_cast<std::uint8_t>(code), Op::op, Select::sel, Form::form, \
           static_cast<std::uint8_t>(fields), width, value},
    // clang-format on
    UBPF_ISA_TABLE(UBPF_ISA_ROW)
#undef UBPF_ISA_ROW
}};

/// Mnemonics in the bpf_conformance assembly syntax, by row (for the assembler, disassembler and
/// error messages; firmware that never names instructions does not link this array).
inline constexpr std::array<std::string_view, kOpCount> kMnemonics = {{
#define UBPF_ISA_MNEMONIC(name, mn, ...) mn,
    UBPF_ISA_TABLE(UBPF_ISA_MNEMONIC)
#undef UBPF_ISA_MNEMONIC
}};

/// For each opcode byte, the first table row with that opcode (Id::invalid if none): the row
/// that dispatch lands on.
inline constexpr std::array<Id, 256> kFirstRow = [] {
    std::array<Id, 256> first{};
    for (auto& f : first) f = Id::invalid;
    for (std::size_t i = kOpCount; i-- > 0;) first[kOps[i].opcode] = static_cast<Id>(i);
    return first;
}();

[[nodiscard]] constexpr const OpInfo& info(Id id) noexcept {
    return kOps[static_cast<std::size_t>(id)];
}
[[nodiscard]] constexpr std::string_view mnemonic(Id id) noexcept {
    return kMnemonics[static_cast<std::size_t>(id)];
}

/// The field that tells the variants of `row` apart, as found in `insn`.
[[nodiscard]] constexpr std::int32_t selector(const OpInfo& row, const Insn& insn) noexcept {
    switch (row.select) {
        case Select::off:
            return insn.off;
        case Select::imm:
            return insn.imm;
        case Select::src:
            return static_cast<std::int32_t>(insn.src());
        case Select::none:
            break;
    }
    return 0;
}

/// Sets the field of `insn` that selects `row` among the rows sharing its opcode (the inverse of
/// selector(); for assemblers and program generators).
constexpr void set_selector(const OpInfo& row, Insn& insn) noexcept {
    switch (row.select) {
        case Select::off:
            insn.off = row.select_value;
            break;
        case Select::imm:
            insn.imm = row.select_value;
            break;
        case Select::src:
            insn.regs = static_cast<std::uint8_t>((insn.regs & 0x0fu) |
                                                  (static_cast<unsigned>(row.select_value) << 4));
            break;
        case Select::none:
            break;
    }
}

/// The table row describing `insn`, or Id::invalid when its opcode is unknown or no variant
/// of that opcode matches its selecting field.
[[nodiscard]] constexpr Id decode(const Insn& insn) noexcept {
    Id id = kFirstRow[insn.opcode];
    for (auto i = static_cast<std::size_t>(id); i < kOpCount && kOps[i].opcode == insn.opcode; ++i) {
        if (kOps[i].select == Select::none || selector(kOps[i], insn) == kOps[i].select_value)
            return static_cast<Id>(i);
    }
    return Id::invalid;
}

[[nodiscard]] constexpr bool is_alu(Op op) noexcept {
    return op <= Op::bswap;
}
[[nodiscard]] constexpr bool is_conditional_jump(Op op) noexcept {
    return op >= Op::jeq && op <= Op::jsle;
}
[[nodiscard]] constexpr bool is_atomic(Op op) noexcept {
    return op >= Op::atomic_add;
}
/// True when `op` writes its src register: the fetching atomics and xchg (cmpxchg writes r0).
[[nodiscard]] constexpr bool writes_src(Op op) noexcept {
    return op >= Op::atomic_fetch_add && op <= Op::atomic_xchg;
}

/// True when `op` writes its dst register (r10 may then not be dst).
[[nodiscard]] constexpr bool writes_dst(Op op) noexcept {
    return is_alu(op) || op == Op::lddw || op == Op::ldx || op == Op::ldxs;
}

/// True when execution never continues at the next instruction.
[[nodiscard]] constexpr bool ends_flow(Op op) noexcept {
    return op == Op::ja || op == Op::exit;
}

/// Number of 8-byte slots the instruction occupies.
[[nodiscard]] constexpr unsigned slots(Op op) noexcept {
    return op == Op::lddw ? 2 : 1;
}

// Facts about the table, checked at compile time.
constexpr bool rows_of_one_opcode_are_adjacent() {
    for (std::size_t i = 0; i < kOpCount; ++i)
        for (std::size_t j = i + 2; j < kOpCount; ++j)
            if (kOps[i].opcode == kOps[j].opcode && kOps[i + 1].opcode != kOps[i].opcode) return false;
    return true;
}
constexpr bool variants_are_distinct() {
    for (std::size_t i = 0; i + 1 < kOpCount; ++i)
        if (kOps[i].opcode == kOps[i + 1].opcode &&
            (kOps[i].select == Select::none || kOps[i].select != kOps[i + 1].select ||
             kOps[i].select_value == kOps[i + 1].select_value))
            return false;
    return true;
}
static_assert(kOpCount < 255, "Id must fit a byte with room for Id::invalid");
static_assert(rows_of_one_opcode_are_adjacent());
static_assert(variants_are_distinct());
static_assert(kFirstRow[0x07] == Id::add64_imm && kFirstRow[0x00] == Id::invalid);
static_assert(decode(Insn::make(0x3f, 1, 2, 1, 0)) == Id::sdiv64_reg);
static_assert(decode(Insn::make(0xdc, 1, 0, 0, 64)) == Id::be64);
static_assert(decode(Insn::make(0xdc, 1, 0, 0, 48)) == Id::invalid);

}  // namespace isa
}  // namespace ubpf
