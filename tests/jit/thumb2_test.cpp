// SPDX-License-Identifier: MIT
// The Thumb-2 encoders against two independent decoders: the golden vectors that llvm-mc
// assembled (tests/jit/thumb2_vectors.txt, from gen_thumb2_vectors.py) and Capstone, which
// must decode each encoding as the same instruction and size.
#include <capstone/capstone.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <ubpf/jit/thumb2.hpp>

namespace {

using namespace ubpf::jit::thumb;

struct Vector {
    std::string call, text;
    std::vector<std::uint8_t> bytes;
};

std::vector<Vector> load_vectors() {
    std::ifstream in(UBPF_THUMB2_VECTORS);
    std::vector<Vector> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto a = line.find(" | "), b = line.rfind(" | ");
        Vector v{line.substr(0, a), line.substr(a + 3, b - a - 3), {}};
        std::istringstream hex(line.substr(b + 3));
        unsigned byte = 0;
        while (hex >> std::hex >> byte) v.bytes.push_back(static_cast<std::uint8_t>(byte));
        out.push_back(v);
    }
    return out;
}

/// Runs the encoder a vector names on its arguments (and narrow() on the result for "narrow").
Code encode(const std::string& call) {
    std::istringstream in(call);
    std::string name;
    in >> name;
    if (name == "narrow") {  // narrow <may_set_flags> <encoder call>
        int may_set_flags = 0;
        in >> may_set_flags;
        std::string rest;
        std::getline(in, rest);
        return narrow(encode(rest), may_set_flags != 0);
    }
    std::vector<long long> a;
    long long x = 0;
    while (in >> x) a.push_back(x);
    const auto R = [&](std::size_t i) { return static_cast<Reg>(a[i]); };
    const auto U = [&](std::size_t i) { return static_cast<std::uint32_t>(a[i]); };
    const auto I = [&](std::size_t i) { return static_cast<std::int32_t>(a[i]); };
    if (name == "dp_imm") return dp_imm(static_cast<DpOp>(a[0]), a[1] != 0, R(2), R(3), U(4));
    if (name == "dp_reg")
        return dp_reg(static_cast<DpOp>(a[0]), a[1] != 0, R(2), R(3), R(4), static_cast<Shift>(a[5]), U(6));
    if (name == "addw") return addw(R(0), R(1), U(2));
    if (name == "subw") return subw(R(0), R(1), U(2));
    if (name == "add_sp") return add_sp(U(0));
    if (name == "sub_sp") return sub_sp(U(0));
    if (name == "b_cond_t1") return b_cond_t1(static_cast<Cond>(a[0]), I(1));
    if (name == "b_cond_t3") return b_cond_t3(static_cast<Cond>(a[0]), I(1));
    if (name == "b_t2") return b_t2(I(0));
    if (name == "b_t4") return b_t4(I(0));
    if (name == "bl") return bl(I(0));
    if (name == "blx") return blx(R(0));
    if (name == "bx") return bx(R(0));
    if (name == "cbz") return cbz(R(0), I(1), a[2] != 0);
    if (name == "cmp_imm") return cmp_imm(R(0), U(1));
    if (name == "cmn_imm") return cmn_imm(R(0), U(1));
    if (name == "tst_imm") return tst_imm(R(0), U(1));
    if (name == "cmp_reg") return cmp_reg(R(0), R(1));
    if (name == "tst_reg") return tst_reg(R(0), R(1));
    if (name == "it_then") return it_then(static_cast<Cond>(a[0]), U(1));
    if (name == "mem_imm") return mem_imm(static_cast<Mem>(a[0]), R(1), R(2), I(3));
    if (name == "mem_reg") return mem_reg(static_cast<Mem>(a[0]), R(1), R(2), R(3));
    if (name == "mem_sp") return mem_sp(a[0] != 0, R(1), U(2));
    if (name == "mem_word") return mem_word(a[0] != 0, R(1), R(2), U(3));
    if (name == "mem_dual") return mem_dual(a[0] != 0, R(1), R(2), R(3), I(4));
    if (name == "shift_reg") return shift_reg(static_cast<Shift>(a[0]), R(1), R(2), R(3));
    if (name == "shift_imm") return shift_imm(static_cast<Shift>(a[0]), R(1), R(2), U(3));
    if (name == "mla") return mla(R(0), R(1), R(2), R(3));
    if (name == "mls") return mls(R(0), R(1), R(2), R(3));
    if (name == "mul") return mul(R(0), R(1), R(2));
    if (name == "udiv") return udiv(R(0), R(1), R(2));
    if (name == "sdiv") return sdiv(R(0), R(1), R(2));
    if (name == "umull") return umull(R(0), R(1), R(2), R(3));
    if (name == "smull") return smull(R(0), R(1), R(2), R(3));
    if (name == "mov_imm") return mov_imm(R(0), U(1));
    if (name == "mvn_imm") return mvn_imm(R(0), U(1));
    if (name == "movw") return movw(R(0), U(1));
    if (name == "movt") return movt(R(0), U(1));
    if (name == "mov_reg") return mov_reg(R(0), R(1));
    if (name == "nop") return nop();
    if (name == "push") return push(U(0));
    if (name == "pop") return pop(U(0));
    if (name == "rev") return rev(R(0), R(1));
    if (name == "rev16") return rev16(R(0), R(1));
    if (name == "extend") return extend(static_cast<Extend>(a[0]), R(1), R(2));
    FAIL("unknown encoder in vectors: " << name);
    return {};
}

std::vector<std::uint8_t> bytes_of(Code c) {
    std::vector<std::uint8_t> b = {static_cast<std::uint8_t>(c.hw1), static_cast<std::uint8_t>(c.hw1 >> 8)};
    if (c.size() == 4) {
        b.push_back(static_cast<std::uint8_t>(c.hw2));
        b.push_back(static_cast<std::uint8_t>(c.hw2 >> 8));
    }
    return b;
}

/// The mnemonic without a .w/.n width qualifier.
std::string base_mnemonic(std::string m) {
    if (const auto dot = m.find('.'); dot != std::string::npos) m.resize(dot);
    return m;
}

}  // namespace

TEST_CASE("Thumb-2 encoders match llvm-mc's encodings and Capstone's decoding", "[jit][thumb2]") {
    const std::vector<Vector> vectors = load_vectors();
    REQUIRE(vectors.size() > 2000);
    csh cs = 0;
    REQUIRE(cs_open(CS_ARCH_ARM, static_cast<cs_mode>(CS_MODE_THUMB | CS_MODE_MCLASS), &cs) == CS_ERR_OK);
    std::size_t checked = 0;
    for (const Vector& v : vectors) {
        INFO(v.call << "  =  " << v.text);
        const Code c = encode(v.call);
        REQUIRE(c.ok());
        const std::vector<std::uint8_t> got = bytes_of(c);
        CHECK(got == v.bytes);
        cs_insn* insn = nullptr;
        const std::size_t n = cs_disasm(cs, got.data(), got.size(), 0x1000, 1, &insn);
        REQUIRE(n == 1);
        CHECK(insn[0].size == c.size());
        const std::string llvm_mnemonic = v.text.substr(0, v.text.find(' '));
        CHECK(base_mnemonic(insn[0].mnemonic) == base_mnemonic(llvm_mnemonic));
        cs_free(insn, n);
        ++checked;
    }
    cs_close(&cs);
    CHECK(checked == vectors.size());
}

TEST_CASE("ThumbExpandImm and its inverse agree on every encodable value", "[jit][thumb2]") {
    for (std::uint32_t imm12 = 0; imm12 < 4096; ++imm12) {
        // 00 with a zero byte in the replicated forms is UNPREDICTABLE: not an encoding.
        if ((imm12 >> 10) == 0 && ((imm12 >> 8) & 3) != 0 && (imm12 & 0xff) == 0) continue;
        const std::uint32_t value = thumb_expand_imm(imm12);
        const auto back = modified_immediate(value);
        REQUIRE(back.has_value());
        CHECK(thumb_expand_imm(*back) == value);
    }
    // Hand-checked examples from the ARM ARM's A5.3.2 table.
    CHECK(thumb_expand_imm(0x1ab) == 0x00ab00ab);
    CHECK(thumb_expand_imm(0x2ab) == 0xab00ab00);
    CHECK(thumb_expand_imm(0x3ab) == 0xabababab);
    CHECK(thumb_expand_imm(0x4ff) == 0x7f800000);  // '1':1111111 ror 9
    CHECK_FALSE(can_encode_modified(0x00012345));
    CHECK_FALSE(can_encode_modified(0x101));
    CHECK(can_encode_modified(0x3fc00));
    CHECK_FALSE(can_encode_modified(0x1fe01));
}

TEST_CASE("modified_immediate accepts exactly the values ThumbExpandImm produces", "[jit][thumb2]") {
    std::set<std::uint32_t> encodable;
    for (std::uint32_t imm12 = 0; imm12 < 4096; ++imm12)
        if (!((imm12 >> 10) == 0 && ((imm12 >> 8) & 3) != 0 && (imm12 & 0xff) == 0))
            encodable.insert(thumb_expand_imm(imm12));
    // Near misses: every 9-bit pattern at every position (one bit too wide for a rotated byte),
    // every byte at every rotation with a low bit added, and a linear-congruential sample.
    std::vector<std::uint32_t> values;
    for (std::uint32_t b = 0; b < 512; ++b)
        for (unsigned rot = 0; rot < 32; ++rot) {
            const std::uint32_t v = rot == 0 ? b : (b >> rot) | (b << (32 - rot));
            values.push_back(v);
            values.push_back(v | 1);
        }
    std::uint32_t x = 12345;
    for (int i = 0; i < 100000; ++i) values.push_back(x = x * 1664525u + 1013904223u);
    std::size_t accepted = 0;
    for (const std::uint32_t v : values) {
        INFO(std::hex << v);
        REQUIRE(can_encode_modified(v) == encodable.contains(v));
        accepted += encodable.contains(v) ? 1 : 0;
    }
    CHECK(accepted > 1000);  // the sample does reach the encodable values
}

TEST_CASE("encoders refuse operands their encodings cannot hold", "[jit][thumb2]") {
    CHECK_FALSE(b_cond_t1(Cond::eq, 256).ok());
    CHECK_FALSE(b_cond_t1(Cond::eq, -258).ok());
    CHECK_FALSE(b_cond_t1(Cond::al, 0).ok());
    CHECK_FALSE(b_t2(2048).ok());
    CHECK_FALSE(b_cond_t3(Cond::ne, 1048576).ok());
    CHECK_FALSE(b_cond_t3(Cond::ne, -1048578).ok());
    CHECK_FALSE(b_t4(16777216).ok());
    CHECK_FALSE(bl(-16777218).ok());
    CHECK_FALSE(b_t4(3).ok());
    CHECK_FALSE(cbz(r0, 128).ok());
    CHECK_FALSE(cbz(r0, -2).ok());
    CHECK_FALSE(cbz(r8, 4).ok());
    CHECK_FALSE(mem_imm(Mem::ldr, r0, r1, 4096).ok());
    CHECK_FALSE(mem_imm(Mem::ldr, r0, r1, -256).ok());
    CHECK_FALSE(mem_dual(true, r0, r1, r2, 1024).ok());
    CHECK_FALSE(mem_dual(true, r0, r1, r2, 2).ok());
    CHECK_FALSE(mem_sp(true, r8, 0).ok());
    CHECK_FALSE(mem_word(true, r8, r7, 0).ok());
    CHECK_FALSE(mem_word(false, r0, r8, 0).ok());
    CHECK_FALSE(mem_word(true, r0, r7, 128).ok());
    CHECK_FALSE(mem_word(true, r0, r7, 2).ok());
    CHECK_FALSE(addw(r0, r1, 4096).ok());
    CHECK_FALSE(movw(r0, 0x10000).ok());
    CHECK_FALSE(dp_imm(DpOp::add, false, r0, r1, 0x101).ok());
    CHECK_FALSE(shift_imm(Shift::lsl, r0, r1, 32).ok());
    CHECK_FALSE(shift_imm(Shift::lsr, r0, r1, 0).ok());
    CHECK_FALSE(push(1u << pc).ok());
    CHECK_FALSE(pop((1u << pc) | (1u << lr)).ok());
    CHECK_FALSE(it_then(Cond::eq, 5).ok());
}

TEST_CASE("narrow() vectors cover every form with both outcomes", "[jit][thumb2]") {
    std::size_t narrowed = 0, kept = 0;
    for (const Vector& v : load_vectors()) {
        if (v.call.rfind("narrow ", 0) != 0) continue;
        (v.bytes.size() == 2 ? narrowed : kept) += 1;
    }
    CHECK(narrowed > 200);
    CHECK(kept > 150);
}

TEST_CASE("narrow() never adds flag setting unless allowed, and keeps the mnemonic", "[jit][thumb2]") {
    // Every encoder vector, narrowed: Capstone must decode the 16-bit result as the same
    // operation, with an S suffix added only when may_set_flags (the 16-bit forms that set
    // flags are spelled with S outside IT blocks).
    csh cs = 0;
    REQUIRE(cs_open(CS_ARCH_ARM, static_cast<cs_mode>(CS_MODE_THUMB | CS_MODE_MCLASS), &cs) == CS_ERR_OK);
    std::size_t changed = 0;
    for (const Vector& v : load_vectors()) {
        if (v.call.rfind("narrow ", 0) == 0) continue;
        const Code c = encode(v.call);
        REQUIRE(c.ok());
        std::string before = base_mnemonic(v.text.substr(0, v.text.find(' ')));
        if (before == "addw" || before == "subw") before.pop_back();
        for (const bool may_set_flags : {false, true}) {
            INFO(v.call << "  =  " << v.text << "  may_set_flags " << may_set_flags);
            const Code n = narrow(c, may_set_flags);
            CHECK(narrow(n, may_set_flags) == n);
            if (n == c) continue;
            REQUIRE(c.size() == 4);
            REQUIRE(n.size() == 2);
            ++changed;
            const std::vector<std::uint8_t> bytes = bytes_of(n);
            cs_insn* insn = nullptr;
            const std::size_t count = cs_disasm(cs, bytes.data(), bytes.size(), 0x1000, 1, &insn);
            REQUIRE(count == 1);
            std::string after = base_mnemonic(insn[0].mnemonic);
            if (after == "negs") after = "rsbs";  // Capstone's name for RSBS Rd, Rn, #0
            cs_free(insn, count);
            // MOV.W with a shift is the LSL/LSR/ASR alias in llvm-mc's text already.
            if (may_set_flags && after == before + "s") continue;
            CHECK(after == before);
        }
    }
    cs_close(&cs);
    CHECK(changed > 100);
}

TEST_CASE("narrow() leaves 16-bit and empty encodings alone and is constexpr", "[jit][thumb2]") {
    static_assert(narrow(mem_imm(Mem::ldr, r0, r1, 4), false) == Code{0x6848, 0});
    static_assert(narrow(mov_imm(r0, 1), false) == mov_imm(r0, 1));
    static_assert(narrow(mov_imm(r0, 1), true) == Code{0x2001, 0});
    static_assert(narrow(Code{}, true) == Code{});
    static_assert(narrow(nop(), true) == nop());
    CHECK(narrow(mov_reg(r0, r1), true) == mov_reg(r0, r1));
    CHECK(narrow(b_cond_t1(Cond::eq, 4), true) == b_cond_t1(Cond::eq, 4));
    // MOV/ADD never get PC as destination: these stay 32-bit.
    CHECK(narrow(dp_reg(DpOp::add, false, pc, pc, r1), true).size() == 4);
    CHECK(narrow(dp_reg(DpOp::orr, false, pc, pc, r1), true).size() == 4);
    CHECK(narrow(dp_reg(DpOp::add, false, r1, r1, pc), true).size() == 4);
    CHECK(narrow(dp_reg(DpOp::add, false, r1, r1, sp), true).size() == 4);
    CHECK(narrow(cmp_reg(r1, pc), true).size() == 4);
    CHECK(narrow(cmp_reg(pc, r8), true).size() == 4);
}
