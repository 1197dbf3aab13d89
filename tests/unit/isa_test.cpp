// SPDX-License-Identifier: MIT
// The opcode table against RFC 9669's encoding rules, checked from the RFC's field values.
#include <catch2/catch.hpp>

#include <set>
#include <utility>

#include <ubpf/isa.hpp>

using namespace ubpf;
using namespace ubpf::isa;

TEST_CASE("instruction word layout matches RFC 9669 section 3", "[isa]") {
    // opcode 0xb7 (mov64 imm), dst r3, src r4, offset -2, imm 0x12345678, little-endian.
    const Insn insn = Insn::make(0xb7, 3, 4, -2, 0x12345678);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(&insn);
    CHECK(bytes[0] == 0xb7);
    CHECK(bytes[1] == 0x43);  // src in the high nibble, dst in the low one
    CHECK(bytes[2] == 0xfe);
    CHECK(bytes[3] == 0xff);
    CHECK(bytes[4] == 0x78);
    CHECK(bytes[7] == 0x12);
    CHECK(insn.dst() == 3);
    CHECK(insn.src() == 4);
}

TEST_CASE("opcode bytes follow class | op | source from RFC 9669 tables", "[isa]") {
    // Class values (RFC 9669 table 2), ALU/JMP operation codes (tables 5 and 8).
    constexpr int ALU = 0x04, JMP = 0x05, JMP32 = 0x06, ALU64 = 0x07, X = 0x08;
    const std::pair<Id, int> expected[] = {
        {Id::add64_imm, ALU64 | 0x00},
        {Id::sub32_reg, ALU | X | 0x10},
        {Id::mul64_reg, ALU64 | X | 0x20},
        {Id::div32_imm, ALU | 0x30},
        {Id::sdiv64_reg, ALU64 | X | 0x30},
        {Id::or_64_imm, ALU64 | 0x40},
        {Id::and_32_reg, ALU | X | 0x50},
        {Id::lsh64_imm, ALU64 | 0x60},
        {Id::rsh32_imm, ALU | 0x70},
        {Id::neg64, ALU64 | 0x80},
        {Id::mod64_reg, ALU64 | X | 0x90},
        {Id::smod32_imm, ALU | 0x90},
        {Id::xor_64_reg, ALU64 | X | 0xa0},
        {Id::mov64_imm, ALU64 | 0xb0},
        {Id::movsx832, ALU | X | 0xb0},
        {Id::arsh64_imm, ALU64 | 0xc0},
        {Id::le16, ALU | 0xd0},
        {Id::be32, ALU | X | 0xd0},
        {Id::bswap64, ALU64 | 0xd0},
        {Id::ja, JMP | 0x00},
        {Id::ja32, JMP32 | 0x00},
        {Id::jeq_imm, JMP | 0x10},
        {Id::jgt32_reg, JMP32 | X | 0x20},
        {Id::jset_imm, JMP | 0x40},
        {Id::jsle32_imm, JMP32 | 0xd0},
        {Id::call, JMP | 0x80},
        {Id::callx, JMP | X | 0x80},
        {Id::exit, JMP | 0x90},
        {Id::jlt_reg, JMP | X | 0xa0},
    };
    for (const auto& [id, opcode] : expected) {
        INFO(mnemonic(id));
        CHECK(info(id).opcode == opcode);
    }
}

TEST_CASE("memory opcodes are mode | size | class", "[isa]") {
    // Sizes W=0x00 H=0x08 B=0x10 DW=0x18; modes IMM=0x00 MEM=0x60 MEMSX=0x80 ATOMIC=0xc0.
    CHECK(info(Id::lddw).opcode == (0x00 | 0x18 | 0x0));
    CHECK(info(Id::ldxw).opcode == (0x60 | 0x00 | 0x1));
    CHECK(info(Id::ldxdw).opcode == (0x60 | 0x18 | 0x1));
    CHECK(info(Id::ldxsh).opcode == (0x80 | 0x08 | 0x1));
    CHECK(info(Id::stb).opcode == (0x60 | 0x10 | 0x2));
    CHECK(info(Id::stxh).opcode == (0x60 | 0x08 | 0x3));
    CHECK(info(Id::atomic_add32).opcode == (0xc0 | 0x00 | 0x3));
    CHECK(info(Id::atomic_cmpxchg64).opcode == (0xc0 | 0x18 | 0x3));
    CHECK(info(Id::atomic_cmpxchg64).select_value == 0xf1);
    CHECK(info(Id::atomic_fetch_xor32).select_value == (0xa0 | 0x01));
}

TEST_CASE("every RFC 9669 instruction has exactly one row", "[isa]") {
    // 13 ALU ops x 2 widths x 2 sources, less neg with a source, plus sdiv/smod (8), movsx (5),
    // byte swaps (9); 11 conditions x 4, ja, ja32, call, local call, callx, exit;
    // lddw, 4 ldx, 3 ldxs, 4 st, 4 stx, 10 atomics x 2.
    constexpr std::size_t alu = 12 * 4 + 2 + 8 + 5 + 9;
    constexpr std::size_t jmp = 11 * 4 + 6;
    constexpr std::size_t mem = 1 + 4 + 3 + 4 + 4 + 20;
    CHECK(kOpCount == alu + jmp + mem);
    std::set<std::tuple<int, int, int>> seen;
    for (const OpInfo& row : kOps)
        CHECK(seen.insert({row.opcode, static_cast<int>(row.select), row.select_value}).second);
}

TEST_CASE("decode picks the variant from its selecting field", "[isa]") {
    CHECK(decode(Insn::make(0x3f, 1, 2, 0, 0)) == Id::div64_reg);
    CHECK(decode(Insn::make(0x3f, 1, 2, 1, 0)) == Id::sdiv64_reg);
    CHECK(decode(Insn::make(0x3f, 1, 2, 2, 0)) == Id::invalid);
    CHECK(decode(Insn::make(0xbf, 1, 2, 16, 0)) == Id::movsx1664);
    CHECK(decode(Insn::make(0xbc, 1, 2, 32, 0)) == Id::invalid);  // no movsx 32->32
    CHECK(decode(Insn::make(0x85, 0, 1, 0, 3)) == Id::call_local);
    CHECK(decode(Insn::make(0x85, 0, 2, 0, 3)) == Id::invalid);  // BTF calls unsupported
    CHECK(decode(Insn::make(0xdb, 1, 2, 0, 0xe1)) == Id::atomic_xchg64);
    CHECK(decode(Insn::make(0xdb, 1, 2, 0, 0xe0)) == Id::invalid);  // xchg needs FETCH
    CHECK(decode(Insn::make(0x8c, 1, 2, 0, 0)) == Id::invalid);
    CHECK(decode(Insn::make(0x00, 0, 0, 0, 0)) == Id::invalid);
}
