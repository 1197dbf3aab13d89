// SPDX-License-Identifier: MIT
// Assembler and disassembler: round trips over every conformance program, known encodings,
// and rejection of malformed source.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <ubpf/host/assembler.hpp>
#include <ubpf/host/data_file.hpp>
#include <ubpf/host/disassembler.hpp>

using namespace ubpf;
using namespace ubpf::host;

namespace {

std::uint64_t word(const Insn& insn) {
    std::uint64_t w;
    std::memcpy(&w, &insn, sizeof w);
    return w;
}

void round_trip_directory(const std::filesystem::path& dir, int& count) {
    if (!std::filesystem::is_directory(dir)) return;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".data") continue;
        std::ifstream in(entry.path());
        const DataFile file = parse_data_file(std::string{std::istreambuf_iterator<char>(in), {}});
        if (!file.has_asm) continue;
        INFO(entry.path().string());
        const AssemblyResult first = assemble(file.asm_source);
        if (!first.ok()) continue;  // files that test assembler errors
        const std::string text = disassemble(first.code);
        const AssemblyResult second = assemble(text);
        INFO(text);
        REQUIRE(second.ok());
        CHECK(second.code == first.code);
        ++count;
    }
}

}  // namespace

TEST_CASE("assemble, disassemble, assemble gives the same bytes", "[asm]") {
    int count = 0;
    round_trip_directory(std::filesystem::path{UBPF_CONFORMANCE_DIR} / "tests", count);
    round_trip_directory(UBPF_OWN_DATA_DIR, count);
    CHECK(count > 80);
}

TEST_CASE("the public suite's raw lddw matches the assembled one", "[asm]") {
    // tests/lddw.data gives both forms; the raw words come from the suite, not from us.
    const AssemblyResult r = assemble("lddw %r0, 0x1122334455667788\nexit\n");
    REQUIRE(r.ok());
    REQUIRE(r.code.size() == 3);
    CHECK(word(r.code[0]) == 0x5566778800000018u);
    CHECK(word(r.code[1]) == 0x1122334400000000u);
    CHECK(word(r.code[2]) == 0x0000000000000095u);
}

TEST_CASE("encodings of each operand form", "[asm]") {
    // Expected words written from RFC 9669's field layout: imm<<32 | off<<16 | src<<12 | dst<<8 | op.
    const std::pair<const char*, std::uint64_t> cases[] = {
        {"add32 %r1, %r2", 0x000000000000210cu},
        {"mov %r0, -1", 0xffffffff000000b7u},
        {"ldxh %r3, [%r4-2]", 0x00000000fffe4369u},
        {"stdw [%r10-8], 7", 0x00000007fff80a7au},
        {"stxb [%r1+3], %r2", 0x0000000000032173u},
        {"jsgt32 %r1, 0x80000000, +5", 0x8000000000050166u},
        {"ja -1", 0x00000000ffff0005u},
        {"ja32 +70000", 0x0001117000000006u},
        {"call 5", 0x0000000500000085u},
        {"call local +2", 0x0000000200001085u},
        {"call %r2", 0x000000000000028du},
        {"sdiv64 %r1, 3", 0},  // sdiv64 is not a mnemonic: 64-bit forms have no suffix
        {"sdiv %r1, 3", 0x0000000300010137u},
        {"movsx1632 %r1, %r2", 0x00000000001021bcu},
        {"be64 %r5", 0x00000040000005dcu},
        {"bswap16 %r5", 0x00000010000005d7u},
        {"swap32 %r5", 0x00000020000005d7u},
        {"lock fetch or32 [%r1+4], %r2", 0x00000041000421c3u},
        {"lock cmpxchg [%r1+0], %r2", 0x000000f1000021dbu},
        {"exit", 0x0000000000000095u},
    };
    for (const auto& [source, expected] : cases) {
        INFO(source);
        const AssemblyResult r = assemble(source);
        if (expected == 0) {
            CHECK(!r.ok());
            continue;
        }
        REQUIRE(r.ok());
        REQUIRE(r.code.size() == 1);
        CHECK(word(r.code[0]) == expected);
    }
}

TEST_CASE("malformed source is rejected with the line and the reason", "[asm]") {
    const std::pair<const char*, const char*> cases[] = {
        {"mov32 %r0, 2147483648\nexit", "line 1: invalid operand for mov32"},
        {"mov32 %r0, 0x100000000\nexit", "line 1: invalid operand for mov32"},
        // -0xffffffffffffffff does not fit 64 signed bits (it must not wrap around to 1).
        {"mov %r0, -0xffffffffffffffff\nexit", "line 1: invalid operand for mov"},
        {"lddw %r0, -0xffffffffffffffff\nexit", "line 1: invalid operand for lddw"},
        {"exit\nja NOT_A_LABEL", "line 2: invalid operand for ja"},
        {"lock or [%r10-8]\nexit", "line 1: invalid number or kind of operands for lock or"},
        {"ldxq %r0, %r1", "line 1: unknown mnemonic 'ldxq'"},
        {"ldxb %r0, %r1", "line 1: invalid operand for ldxb"},
        {"ldxb %r0, [%r1+0x10000]", "line 1: invalid operand for ldxb"},
        {"lddw %r0", "line 1: invalid number or kind of operands for lddw"},
        {"or %r0, %r50", "line 1: invalid register '%r50'"},
        {"mov %r11, 1", "line 1: invalid register '%r11'"},
        {"a:\na:\nexit", "line 2: duplicate label 'a'"},
    };
    for (const auto& [source, message] : cases) {
        INFO(source);
        const AssemblyResult r = assemble(source);
        CHECK(r.error == message);
        CHECK(r.code.empty());
    }
}

TEST_CASE("labels resolve relative to the next instruction", "[asm]") {
    const AssemblyResult r = assemble("start:\nmov %r0, 0\nlddw %r1, 1\nja start\nexit\n");
    REQUIRE(r.ok());
    REQUIRE(r.code.size() == 5);
    CHECK(r.code[3].off == -4);  // ja at slot 3 back to slot 0: 0 - (3 + 1)
}

TEST_CASE("the disassembler prints invalid opcodes without failing", "[asm]") {
    const Insn bad[] = {Insn::make(0xff, 0, 0, 0, 0)};
    CHECK(disassemble(bad, 0) == "<invalid opcode 0xff>");
}
