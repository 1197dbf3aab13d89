// SPDX-License-Identifier: MIT
// The program's constants in the JIT's code, decoded by Capstone (host side, no code runs).
// - jit::Options::blind_constants (the m4-jit-blinded engine runs the .data corpora blinded,
//   the differential test random programs): over every program of the project's corpus and
//   bpf_conformance, no 32-bit constant the program chose appears in its code (an immediate
//   operand other than a branch's, or a MOVW/MOVT pair), nor its negation or complement.
//   Without blinding the same search finds most of them, so the search is seen to work. The
//   same seed gives the same code; another seed, other code.
// - The constant register: a constant the code needs in a register in several places is made
//   once.
#include <capstone/capstone.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <ubpf/host/data_file.hpp>
#include <ubpf/host/test_helpers.hpp>
#include <ubpf/jit/compiler.hpp>
#include <ubpf/verifier.hpp>

namespace {

using Compiler = ubpf::jit::Compiler<>;
using ubpf::isa::Op;

/// The 32-bit values the program chose that blinding covers (Options::blind_constants): the
/// immediates of ALU operations other than shifts and byte swaps, of compares, of stores and
/// both halves of lddw, outside -256..255.
std::set<std::uint32_t> chosen_constants(const std::vector<ubpf::Insn>& code) {
    std::set<std::uint32_t> out;
    const auto add = [&](std::int32_t imm) {
        const auto v = static_cast<std::uint32_t>(imm);
        if (v + 256u > 511u) out.insert(v);
    };
    for (std::size_t pc = 0; pc < code.size(); ++pc) {
        const ubpf::isa::OpInfo& r = ubpf::isa::info(ubpf::isa::decode(code[pc]));
        if (r.op == Op::lddw && pc + 1 < code.size()) {
            add(code[pc].imm);
            add(code[pc + 1].imm);
            ++pc;
        } else if ((ubpf::isa::is_alu(r.op) && r.form == ubpf::isa::Form::dst_imm && r.op != Op::lsh &&
                    r.op != Op::rsh && r.op != Op::arsh && r.op != Op::le && r.op != Op::be &&
                    r.op != Op::bswap) ||
                   r.form == ubpf::isa::Form::cond_imm || r.op == Op::st) {
            add(code[pc].imm);
        }
    }
    return out;
}

/// A 32-bit value the code holds: an immediate operand (other than a branch's: an address in
/// the code, which the JIT chooses) or what a MOVW/MOVT pair puts in a register.
struct CodeValue {
    std::size_t at;
    std::string what;
    std::uint32_t value;
};

/// The values the code holds, decoded by Capstone linearly (stub data decodes as something too,
/// in whole halfwords).
std::vector<CodeValue> code_values(const std::vector<std::uint8_t>& code) {
    std::vector<CodeValue> out;
    csh cs = 0;
    REQUIRE(cs_open(CS_ARCH_ARM, static_cast<cs_mode>(CS_MODE_THUMB | CS_MODE_MCLASS), &cs) == CS_ERR_OK);
    cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
    std::map<unsigned, std::uint32_t> movw;  // register -> the last MOVW's value
    for (std::size_t at = 0; at < code.size();) {
        cs_insn* insn = nullptr;
        if (cs_disasm(cs, code.data() + at, code.size() - at, at, 1, &insn) != 1) {
            at += 2;
            continue;
        }
        const cs_arm& arm = insn->detail->arm;
        const bool branch = cs_insn_group(cs, insn, CS_GRP_JUMP) || cs_insn_group(cs, insn, CS_GRP_CALL);
        for (unsigned i = 0; i < arm.op_count && !branch; ++i)
            if (arm.operands[i].type == ARM_OP_IMM)
                out.push_back({at, insn->mnemonic, static_cast<std::uint32_t>(arm.operands[i].imm)});
        if (arm.op_count == 2 && arm.operands[0].type == ARM_OP_REG && arm.operands[1].type == ARM_OP_IMM) {
            const auto reg = static_cast<unsigned>(arm.operands[0].reg);
            const auto imm = static_cast<std::uint32_t>(arm.operands[1].imm);
            if (insn->id == ARM_INS_MOVW) movw[reg] = imm;
            if (insn->id == ARM_INS_MOVT && movw.count(reg) != 0)
                out.push_back({at, "movw/movt", imm << 16 | movw[reg]});
        }
        at += insn->size;
        cs_free(insn, 1);
    }
    cs_close(&cs);
    return out;
}

/// Where the code holds one of `values` (or its negation or complement), described; empty when
/// nowhere.
std::vector<std::string> leaks(const std::vector<std::uint8_t>& code, const std::set<std::uint32_t>& values) {
    std::set<std::uint32_t> bad;
    for (const std::uint32_t v : values) bad.insert({v, 0u - v, ~v});
    std::vector<std::string> found;
    for (const CodeValue& c : code_values(code)) {
        if (bad.count(c.value) == 0) continue;
        std::ostringstream s;
        s << c.what << " 0x" << std::hex << c.value << " at byte 0x" << c.at;
        found.push_back(s.str());
    }
    return found;
}

struct Corpus {
    std::string name;
    std::vector<ubpf::Insn> code;
};

std::vector<Corpus> corpus_programs() {
    std::vector<Corpus> out;
    for (const char* dir : {UBPF_OWN_DATA_DIR, UBPF_CONFORMANCE_DIR "/tests"}) {
        if (!std::filesystem::exists(dir)) continue;
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            if (entry.path().extension() != ".data") continue;
            std::ifstream in(entry.path());
            std::stringstream text;
            text << in.rdbuf();
            const ubpf::host::DataFile file = ubpf::host::parse_data_file(text.str());
            std::string message;
            std::vector<ubpf::Insn> code = file.program(message);
            if (!file.parse_error.empty() || !message.empty() || code.empty()) continue;
            out.push_back({entry.path().filename().string(), std::move(code)});
        }
    }
    return out;
}

std::vector<std::uint8_t> compile(const ubpf::VerifiedProgram<>& program, ubpf::jit::Options options) {
    std::vector<std::uint8_t> buffer(1 << 18);
    const auto compiled = Compiler::compile(program, buffer, {}, options);
    REQUIRE(compiled.ok());
    buffer.resize(compiled->size);
    return buffer;
}

/// A program of the project's corpus (tests/data), read and verified.
ubpf::VerifiedProgram<> own_program(const std::string& name, std::vector<ubpf::Insn>& code) {
    std::ifstream in(std::string{UBPF_OWN_DATA_DIR} + "/" + name);
    std::stringstream text;
    text << in.rdbuf();
    std::string message;
    code = ubpf::host::parse_data_file(text.str()).program(message);
    REQUIRE(message.empty());
    auto verified =
        ubpf::verify<ubpf::Config{}>({code, ubpf::HelperPolicy::all()}, ubpf::host::test_helpers::kAll);
    REQUIRE(verified.ok());
    return *verified;
}

/// How many instructions of the code have a mnemonic starting with one of `names`.
std::size_t count_mnemonics(const std::vector<std::uint8_t>& code, std::initializer_list<const char*> names) {
    csh cs = 0;
    REQUIRE(cs_open(CS_ARCH_ARM, static_cast<cs_mode>(CS_MODE_THUMB | CS_MODE_MCLASS), &cs) == CS_ERR_OK);
    cs_insn* insn = nullptr;
    const std::size_t n = cs_disasm(cs, code.data(), code.size(), 0, 0, &insn);
    std::size_t found = 0;
    for (std::size_t i = 0; i < n; ++i)
        for (const char* name : names) found += std::string{insn[i].mnemonic}.rfind(name, 0) == 0 ? 1u : 0u;
    cs_free(insn, n);
    cs_close(&cs);
    return found;
}

}  // namespace

TEST_CASE("blinded constants: no program's constant appears in its code", "[jit][blinding]") {
    const std::vector<Corpus> programs = corpus_programs();
    REQUIRE(programs.size() > 200);
    std::size_t with_constants = 0, leaking_unblinded = 0, compiled = 0;
    for (const Corpus& p : programs) {
        const auto verified =
            ubpf::verify<ubpf::Config{}>({p.code, ubpf::HelperPolicy::all()}, ubpf::host::test_helpers::kAll);
        if (!verified.ok()) continue;
        ++compiled;
        const std::set<std::uint32_t> constants = chosen_constants(p.code);
        INFO(p.name << ": " << constants.size() << " constants to blind");
        const std::vector<std::string> none;
        // (Some constants leave no trace: a dead upper half's, one the JIT folds away.)
        const bool shown = !leaks(compile(*verified, {}), constants).empty();
        for (const bool versioned : {false, true}) {
            const ubpf::jit::Options a{
                .version_loops = versioned, .blind_constants = true, .blinding_seed = 1};
            ubpf::jit::Options b = a;
            b.blinding_seed = 0xfeedf00d;
            const std::vector<std::uint8_t> code_a = compile(*verified, a), code_b = compile(*verified, b);
            CHECK(leaks(code_a, constants) == none);
            CHECK(leaks(code_b, constants) == none);
            CHECK(compile(*verified, a) == code_a);  // the seed decides the code
            if (shown) CHECK(code_a != code_b);
        }
        if (constants.empty()) continue;
        ++with_constants;
        if (shown) ++leaking_unblinded;
    }
    // The search finds the constants in most programs' code when they are not blinded (the rest
    // use theirs only in ways that leave no trace, such as a multiply by 2^k or a divisor that
    // the JIT folds into another value).
    INFO(compiled << " programs compiled, " << with_constants << " with constants, " << leaking_unblinded
                  << " of them show one without blinding");
    CHECK(compiled > 200);
    CHECK(with_constants > 100);
    CHECK(leaking_unblinded * 10 > with_constants * 9);
}

TEST_CASE("blinded constants: the key changes with each constant", "[jit][blinding]") {
    // The same constant twice: its two loads differ (a key per constant, not per program).
    const auto assembled = ubpf::host::assemble("mov32 %r0, 0x12345678\nmov32 %r1, 0x12345678\nexit\n");
    REQUIRE(assembled.error.empty());
    const auto verified = ubpf::verify<ubpf::Config{}>({assembled.code}, {});
    REQUIRE(verified.ok());
    const std::vector<std::uint8_t> code = compile(*verified, {.blind_constants = true, .blinding_seed = 42});
    // Each load: MOVW, MOVT (v ^ k), MOVW, MOVT (k), EOR; collect the (v ^ k) pairs.
    csh cs = 0;
    REQUIRE(cs_open(CS_ARCH_ARM, static_cast<cs_mode>(CS_MODE_THUMB | CS_MODE_MCLASS), &cs) == CS_ERR_OK);
    cs_insn* insn = nullptr;
    const std::size_t n = cs_disasm(cs, code.data(), code.size(), 0, 0, &insn);
    std::vector<std::string> movw_operands;
    for (std::size_t i = 0; i < n; ++i)
        if (std::string{insn[i].mnemonic}.rfind("movw", 0) == 0) movw_operands.push_back(insn[i].op_str);
    cs_free(insn, n);
    cs_close(&cs);
    INFO("MOVW operands: " << movw_operands.size());
    REQUIRE(movw_operands.size() == 4);  // two constants, each a blinded value and a key
    CHECK(movw_operands[0] != movw_operands[2]);
    CHECK(movw_operands[1] != movw_operands[3]);
}

TEST_CASE("the constant register: a constant loaded in several places is loaded once", "[jit][constants]") {
    // tests/data/jit-constant-register.data (which the .data runner runs on every engine):
    // 0x12345678 as a multiplier, mask, divisor, stored value, lddw, MOV and compare, in a loop
    // with a helper call. Its value is made once, at entry, and never again; blinded too.
    std::vector<ubpf::Insn> code;
    const auto verified = own_program("jit-constant-register.data", code);
    const auto loads_of = [](const std::vector<std::uint8_t>& jit, std::uint32_t v) {
        std::size_t n = 0;
        for (const CodeValue& c : code_values(jit)) n += c.value == v ? 1u : 0u;
        return n;
    };
    CHECK(loads_of(compile(verified, {}), 0x12345678u) == 1);
    // Blinded: the one load is of the constant XORed with a key, then of the key (two MOVW/MOVT
    // pairs, neither holding the constant).
    const std::vector<std::uint8_t> blinded =
        compile(verified, {.blind_constants = true, .blinding_seed = 5});
    CHECK(loads_of(blinded, 0x12345678u) == 0);
    std::size_t pairs = 0;
    for (const CodeValue& c : code_values(blinded)) pairs += c.what == "movw/movt" ? 1u : 0u;
    CHECK(pairs == 2);
}

TEST_CASE("AND and OR with a constant whose complement fits: BIC and ORN", "[jit][constants]") {
    // tests/data/jit-complement-immediates.data (run on every engine by the .data runner): six
    // ANDs and ORs, 64- and 32-bit, alone and as `A = B; A op= K`, with constants such as -8 that
    // no instruction holds but whose complement (7) one does. Each is one BIC or ORN with that
    // immediate: no constant is made in a register (the only MOVW/MOVT are the lddw's: two each).
    std::vector<ubpf::Insn> code;
    const auto verified = own_program("jit-complement-immediates.data", code);
    const std::vector<std::uint8_t> jit = compile(verified, {});
    CHECK(count_mnemonics(jit, {"bic", "orn"}) == 6);
    CHECK(count_mnemonics(jit, {"movw", "movt", "mvn"}) == 4);
}
