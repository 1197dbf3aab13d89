// SPDX-License-Identifier: MIT
// The verifier: every rejection with its error code and instruction index, the facts it records
// about accepted programs, the public suite's negative files, and random programs that must
// never crash the verifier or, once accepted, the interpreter.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/host/data_file.hpp>
#include <ubpf/interpreter.hpp>
#include <ubpf/verifier.hpp>

using namespace ubpf;

namespace {

using Code = std::vector<Insn>;

// Opcode bytes written from RFC 9669 (class | operation | source), not taken from the table
// under test.
constexpr std::uint8_t kAdd64Imm = 0x07, kAdd64Reg = 0x0f, kAdd32Imm = 0x04;
constexpr std::uint8_t kDiv64Imm = 0x37, kNeg64 = 0x87;
constexpr std::uint8_t kMov64Imm = 0xb7, kMov64Reg = 0xbf;
constexpr std::uint8_t kLe = 0xd4, kBe = 0xdc, kBswap = 0xd7;
constexpr std::uint8_t kJa = 0x05, kJa32 = 0x06, kJeqImm = 0x15, kJeqReg = 0x1d;
constexpr std::uint8_t kCall = 0x85, kCallx = 0x8d, kExit = 0x95;
constexpr std::uint8_t kLddw = 0x18, kLdxdw = 0x79, kStdw = 0x7a, kStxdw = 0x7b;
constexpr std::uint8_t kAtomic32 = 0xc3, kAtomic64 = 0xdb;

constexpr Insn insn(std::uint8_t opcode, unsigned dst = 0, unsigned src = 0, std::int16_t off = 0,
                    std::int32_t imm = 0) {
    return Insn::make(opcode, dst, src, off, imm);
}
constexpr Insn exit_insn() {
    return insn(kExit);
}
constexpr Insn mov(unsigned dst, std::int32_t imm) {
    return insn(kMov64Imm, dst, 0, 0, imm);
}
constexpr Insn ja(std::int16_t off) {
    return insn(kJa, 0, 0, off);
}
constexpr Insn call_local(std::int32_t imm) {
    return insn(kCall, 0, 1, 0, imm);
}
constexpr Insn call_helper(std::int32_t id) {
    return insn(kCall, 0, 0, 0, id);
}
/// The two slots of lddw dst, imm64.
constexpr std::array<Insn, 2> lddw(unsigned dst, std::uint64_t value) {
    return {insn(kLddw, dst, 0, 0, static_cast<std::int32_t>(static_cast<std::uint32_t>(value))),
            insn(0, 0, 0, 0, static_cast<std::int32_t>(static_cast<std::uint32_t>(value >> 32)))};
}

/// Concatenates instructions and slot pairs into one program.
Code program(std::initializer_list<Code> parts) {
    Code out;
    for (const Code& part : parts) out.insert(out.end(), part.begin(), part.end());
    return out;
}
Code slots(const std::array<Insn, 2>& pair) {
    return {pair[0], pair[1]};
}

/// `bad` placed at pc 1, between a harmless first instruction and a final exit, so that an
/// error reported at pc 0 or at the end cannot pass for the right one.
Code at_pc1(Code bad) {
    return program({{mov(0, 0)}, std::move(bad), {exit_insn()}});
}

std::uint64_t noop_helper(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                          HelperContext&) {
    return 0;
}
// Reads r2 bytes at r1 through the checked pointer, so random programs exercise it too.
std::uint64_t sum_helper(std::uint64_t addr, std::uint64_t len, std::uint64_t, std::uint64_t, std::uint64_t,
                         HelperContext& ctx) {
    len &= 0xff;
    const auto* p = static_cast<const std::uint8_t*>(ctx.pointer(addr, len, Access::read));
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; p != nullptr && i < len; ++i) sum += p[i];
    return sum;
}
const std::array<Helper, 2> kHelpers = {{{1, noop_helper, "noop"}, {2, sum_helper, "sum"}}};
constexpr HelperPolicy kAllowAll = HelperPolicy::all();

std::string describe(const Error& e) {
    if (e.code == ErrorCode::none) return "accepted";
    return std::string{name(e.code)} + " at pc " + std::to_string(e.pc);
}
std::string rejected(ErrorCode code, std::uint32_t pc) {
    return describe(Error{code, pc});
}

/// "accepted" or "<error> at pc <n>".
template <Config C = Config{}>
std::string verdict(const Code& code, HelperPolicy policy = kAllowAll) {
    return describe(verify<C>(Program{code, policy}, kHelpers).error());
}

Code assemble(std::string_view source) {
    const host::AssemblyResult r = host::assemble(source);
    INFO(r.error);
    REQUIRE(r.ok());
    return r.code;
}

struct Rejection {
    const char* what;
    Code code;
    ErrorCode why;
    std::uint32_t pc;
};

void check_all(const std::vector<Rejection>& cases) {
    for (const Rejection& c : cases) {
        INFO(c.what);
        CHECK(verdict(c.code) == rejected(c.why, c.pc));
    }
}

}  // namespace

TEST_CASE("program shape: empty, too large, raw byte views", "[verifier]") {
    CHECK(verdict({}) == rejected(ErrorCode::program_empty, 0));

    // Config{.max_instructions = 4}: four slots pass, the fifth is the first one too many.
    constexpr Config kSmall{.max_instructions = 4};
    const Code four = {mov(0, 0), mov(0, 1), mov(0, 2), exit_insn()};
    CHECK(verdict<kSmall>(four) == "accepted");
    CHECK(verdict<kSmall>(program({{mov(0, 0)}, four})) == rejected(ErrorCode::program_too_large, 4));

    alignas(8) std::array<std::uint8_t, 24> bytes{};
    bytes[0] = kExit;
    SECTION("a whole, aligned buffer is viewed in place") {
        const auto code = as_code(std::span{bytes}.first(16));
        REQUIRE(code.ok());
        CHECK(code->size() == 2);
        CHECK(code->data() == reinterpret_cast<const Insn*>(bytes.data()));
        CHECK((*code)[0] == exit_insn());
    }
    SECTION("12 bytes: the second instruction is incomplete") {
        CHECK(describe(as_code(std::span{bytes}.first(12)).error()) ==
              rejected(ErrorCode::program_size_not_multiple, 1));
    }
    SECTION("a buffer starting one byte past an 8-byte boundary") {
        CHECK(describe(as_code(std::span{bytes}.subspan(1, 16)).error()) ==
              rejected(ErrorCode::program_misaligned, 0));
    }
}

TEST_CASE("single instructions with a bad opcode or selector", "[verifier]") {
    check_all({
        {"opcode 0x00", at_pc1({insn(0x00)}), ErrorCode::unknown_opcode, 1},
        {"legacy ld abs 0x20", at_pc1({insn(0x20)}), ErrorCode::unknown_opcode, 1},
        {"alu64 op 0xf0", at_pc1({insn(0xf7)}), ErrorCode::unknown_opcode, 1},
        {"jmp32 call 0x86", at_pc1({insn(0x86)}), ErrorCode::unknown_opcode, 1},
        {"neg32 with source bit 0x8c", at_pc1({insn(0x8c, 1, 2)}), ErrorCode::neg_with_source, 1},
        {"neg64 with source bit 0x8f", at_pc1({insn(0x8f, 1, 2)}), ErrorCode::neg_with_source, 1},
        {"div with off 2", at_pc1({insn(kDiv64Imm, 1, 0, 2, 3)}), ErrorCode::invalid_offset, 1},
        {"mov reg with off 7", at_pc1({insn(kMov64Reg, 1, 2, 7)}), ErrorCode::invalid_offset, 1},
        {"le width 8", at_pc1({insn(kLe, 1, 0, 0, 8)}), ErrorCode::invalid_byteswap_width, 1},
        {"be width 128", at_pc1({insn(kBe, 1, 0, 0, 128)}), ErrorCode::invalid_byteswap_width, 1},
        {"bswap width 0", at_pc1({insn(kBswap, 1, 0, 0, 0)}), ErrorCode::invalid_byteswap_width, 1},
        {"atomic op 0x10", at_pc1({insn(kAtomic64, 10, 1, -8, 0x10)}), ErrorCode::invalid_atomic_operation,
         1},
        {"xchg without fetch 0xe0", at_pc1({insn(kAtomic32, 10, 1, -8, 0xe0)}),
         ErrorCode::invalid_atomic_operation, 1},
        {"cmpxchg without fetch 0xf0", at_pc1({insn(kAtomic64, 10, 1, -8, 0xf0)}),
         ErrorCode::invalid_atomic_operation, 1},
        {"call src 2 (BTF id)", at_pc1({insn(kCall, 0, 2, 0, 1)}), ErrorCode::unsupported_call, 1},
        {"lddw src 1 (map fd)", program({{mov(0, 0), insn(kLddw, 1, 1, 0, 5), insn(0)}, {exit_insn()}}),
         ErrorCode::unsupported_lddw, 1},
    });
}

TEST_CASE("unused fields must be zero", "[verifier]") {
    check_all({
        {"exit with dst 1", at_pc1({insn(kExit, 1)}), ErrorCode::nonzero_dst, 1},
        {"call helper with dst 1", at_pc1({insn(kCall, 1, 0, 0, 1)}), ErrorCode::nonzero_dst, 1},
        {"ja with dst 1", at_pc1({insn(kJa, 1, 0, 0)}), ErrorCode::nonzero_dst, 1},
        {"add imm with src 1", at_pc1({insn(kAdd64Imm, 1, 1, 0, 1)}), ErrorCode::nonzero_src, 1},
        {"neg with src 1", at_pc1({insn(kNeg64, 1, 1)}), ErrorCode::nonzero_src, 1},
        {"stdw with src 1", at_pc1({insn(kStdw, 10, 1, -8, 1)}), ErrorCode::nonzero_src, 1},
        {"add imm with off 1", at_pc1({insn(kAdd64Imm, 1, 0, 1, 1)}), ErrorCode::nonzero_offset, 1},
        {"add reg with off 1", at_pc1({insn(kAdd64Reg, 1, 2, 1)}), ErrorCode::nonzero_offset, 1},
        {"exit with off 1", at_pc1({insn(kExit, 0, 0, 1)}), ErrorCode::nonzero_offset, 1},
        {"ja32 with off 1", at_pc1({insn(kJa32, 0, 0, 1, 0)}), ErrorCode::nonzero_offset, 1},
        {"lddw with off 1", program({{mov(0, 0), insn(kLddw, 1, 0, 1, 5), insn(0)}, {exit_insn()}}),
         ErrorCode::nonzero_offset, 1},
        {"add reg with imm 1", at_pc1({insn(kAdd64Reg, 1, 2, 0, 1)}), ErrorCode::nonzero_imm, 1},
        {"ja with imm 1", at_pc1({insn(kJa, 0, 0, 0, 1)}), ErrorCode::nonzero_imm, 1},
        {"exit with imm 1", at_pc1({insn(kExit, 0, 0, 0, 1)}), ErrorCode::nonzero_imm, 1},
        {"neg with imm 1", at_pc1({insn(kNeg64, 1, 0, 0, 1)}), ErrorCode::nonzero_imm, 1},
        {"callx with imm 1", at_pc1({insn(kCallx, 1, 0, 0, 1)}), ErrorCode::nonzero_imm, 1},
        {"ldxdw with imm 1", at_pc1({insn(kLdxdw, 0, 10, -8, 1)}), ErrorCode::nonzero_imm, 1},
        {"stxdw with imm 1", at_pc1({insn(kStxdw, 10, 1, -8, 1)}), ErrorCode::nonzero_imm, 1},
    });
}

TEST_CASE("register numbers 11 to 15 do not exist", "[verifier]") {
    for (unsigned r = 11; r <= 15; ++r) {
        INFO("register " << r);
        CHECK(verdict(at_pc1({mov(r, 0)})) == rejected(ErrorCode::invalid_dst_register, 1));
        CHECK(verdict(at_pc1({insn(kMov64Reg, 0, r)})) == rejected(ErrorCode::invalid_src_register, 1));
        CHECK(verdict(at_pc1({insn(kStxdw, r, 1, 0)})) == rejected(ErrorCode::invalid_dst_register, 1));
        CHECK(verdict(at_pc1({insn(kLdxdw, 0, r, 0)})) == rejected(ErrorCode::invalid_src_register, 1));
        CHECK(verdict(at_pc1({insn(kJeqReg, 0, r, 0)})) == rejected(ErrorCode::invalid_src_register, 1));
        CHECK(verdict(at_pc1({insn(kCallx, r)})) == rejected(ErrorCode::invalid_dst_register, 1));
    }
}

TEST_CASE("r10 is read-only, but usable as a base and a source", "[verifier]") {
    check_all({
        {"mov r10, 1", at_pc1({mov(10, 1)}), ErrorCode::write_to_r10, 1},
        {"add32 r10, 1", at_pc1({insn(kAdd32Imm, 10, 0, 0, 1)}), ErrorCode::write_to_r10, 1},
        {"neg r10", at_pc1({insn(kNeg64, 10)}), ErrorCode::write_to_r10, 1},
        {"ldxdw r10, [r1]", at_pc1({insn(kLdxdw, 10, 1, 0)}), ErrorCode::write_to_r10, 1},
        {"lddw r10", program({{mov(0, 0)}, slots(lddw(10, 5)), {exit_insn()}}), ErrorCode::write_to_r10, 1},
        {"lock fetch add [r1], r10", at_pc1({insn(kAtomic64, 1, 10, 0, 0x01)}), ErrorCode::write_to_r10, 1},
        {"lock xchg32 [r1], r10", at_pc1({insn(kAtomic32, 1, 10, 0, 0xe1)}), ErrorCode::write_to_r10, 1},
    });
    // None of these writes r10: it is the base of a store, the source of a store or of a
    // non-fetching atomic, a compared register; cmpxchg writes r0, not its source.
    CHECK(verdict(assemble(R"(
        stxdw [%r10-8], %r1
        stdw [%r10-16], 5
        stxdw [%r10-24], %r10
        lock add [%r10-8], %r1
        lock fetch add32 [%r10-8], %r1
        lock add [%r10-8], %r10
        lock cmpxchg [%r10-8], %r10
        ldxdw %r0, [%r10-8]
        mov %r1, %r10
        jeq %r10, 0, +0
        exit)")) == "accepted");
}

TEST_CASE("lddw takes two slots", "[verifier]") {
    CHECK(verdict({mov(0, 0), lddw(0, 1)[0]}) == rejected(ErrorCode::lddw_incomplete, 1));
    CHECK(verdict({lddw(0, 1)[0]}) == rejected(ErrorCode::lddw_incomplete, 0));
    // The second slot carries only the upper immediate; the error names the second slot.
    const auto with_second = [](Insn second) {
        return program({{mov(0, 0), lddw(1, 0)[0], second}, {exit_insn()}});
    };
    CHECK(verdict(with_second(insn(0, 0, 0, 0, -1))) == "accepted");
    CHECK(verdict(with_second(insn(kExit))) == rejected(ErrorCode::lddw_bad_second_slot, 2));
    CHECK(verdict(with_second(insn(0, 1))) == rejected(ErrorCode::lddw_bad_second_slot, 2));
    CHECK(verdict(with_second(insn(0, 0, 1))) == rejected(ErrorCode::lddw_bad_second_slot, 2));
    CHECK(verdict(with_second(insn(0, 0, 0, 1))) == rejected(ErrorCode::lddw_bad_second_slot, 2));
}

TEST_CASE("jump targets", "[verifier]") {
    const Code lddw_0 = slots(lddw(0, 0));
    check_all({
        // Target = pc + 1 + offset must be in [0, size).
        {"ja +1 from the second to last slot lands on size",
         {ja(1), exit_insn()},
         ErrorCode::jump_out_of_bounds,
         0},
        {"ja +100", at_pc1({ja(100)}), ErrorCode::jump_out_of_bounds, 1},
        {"ja -3 from pc 1", at_pc1({ja(-3)}), ErrorCode::jump_out_of_bounds, 1},
        {"ja32 +2 in three slots", at_pc1({insn(kJa32, 0, 0, 0, 2)}), ErrorCode::jump_out_of_bounds, 1},
        {"ja32 -3 from pc 1", at_pc1({insn(kJa32, 0, 0, 0, -3)}), ErrorCode::jump_out_of_bounds, 1},
        {"ja32 INT32_MIN", at_pc1({insn(kJa32, 0, 0, 0, INT32_MIN)}), ErrorCode::jump_out_of_bounds, 1},
        {"jeq +1 from the second to last slot", at_pc1({insn(kJeqImm, 0, 0, 1, 0)}),
         ErrorCode::jump_out_of_bounds, 1},
        {"jeq -3 from pc 1", at_pc1({insn(kJeqImm, 0, 0, -3, 0)}), ErrorCode::jump_out_of_bounds, 1},
        // ja +1 at pc 0 targets pc 2, the second slot of the lddw at pc 1.
        {"forward into lddw", program({{ja(1)}, lddw_0, {exit_insn()}}), ErrorCode::jump_into_lddw, 0},
        // ja -2 at pc 2 targets pc 1, the second slot of the lddw at pc 0.
        {"backward into lddw", program({lddw_0, {ja(-2), exit_insn()}}), ErrorCode::jump_into_lddw, 2},
        {"ja32 into lddw", program({{insn(kJa32, 0, 0, 0, 1)}, lddw_0, {exit_insn()}}),
         ErrorCode::jump_into_lddw, 0},
        {"conditional into lddw", program({{insn(kJeqImm, 0, 0, 1, 0)}, lddw_0, {exit_insn()}}),
         ErrorCode::jump_into_lddw, 0},
    });
    // The boundaries themselves are fine: ja -2 from pc 1 targets pc 0, ja +0 the next slot.
    CHECK(verdict({mov(0, 0), ja(-2), exit_insn()}) == "accepted");
    CHECK(verdict({ja(0), exit_insn()}) == "accepted");
}

TEST_CASE("functions: call targets and function boundaries", "[verifier]") {
    const Code lddw_0 = slots(lddw(0, 0));
    check_all({
        // main is [0, 3), the function at 3 is [3, 5); ja -3 at pc 3 targets pc 1.
        {"function jumps back into main", assemble(R"(
            call local f
            mov %r0, 0
            exit
        f:  ja -3
            exit)"),
         ErrorCode::jump_out_of_function, 3},
        // ja +2 at pc 1 targets pc 4, inside the function starting at 3.
        {"main jumps into a function", assemble(R"(
            call local f
            ja +2
            exit
        f:  mov %r0, 1
            exit)"),
         ErrorCode::jump_out_of_function, 1},
        {"call local to size", {call_local(1), exit_insn()}, ErrorCode::call_out_of_bounds, 0},
        {"call local -3 from pc 1", at_pc1({call_local(-3)}), ErrorCode::call_out_of_bounds, 1},
        {"call local into lddw", program({{call_local(1)}, lddw_0, {exit_insn()}}), ErrorCode::call_into_lddw,
         0},
        {"last insn is mov", {mov(0, 0)}, ErrorCode::falls_off_end, 0},
        {"last insn is a conditional jump",
         {mov(0, 0), insn(kJeqImm, 0, 0, -2, 0)},
         ErrorCode::falls_off_end,
         1},
        {"last insn is lddw", program({{mov(0, 0)}, lddw_0}), ErrorCode::falls_off_end, 1},
        {"last insn is a local call", {mov(0, 0), call_local(-2)}, ErrorCode::falls_off_end, 1},
        // The function at 3 is [3, 4): its body is one mov.
        {"local function ends in mov", assemble(R"(
            call local f
            mov %r0, 0
            exit
        f:  mov %r0, 1)"),
         ErrorCode::falls_off_end, 3},
        // main is [0, 2) and its last instruction, mov at 1, runs into the function at 2.
        {"main runs into the next function", assemble(R"(
            call local f
            mov %r0, 0
        f:  mov %r0, 1
            exit)"),
         ErrorCode::falls_off_end, 1},
        {"exit followed by an unreachable mov", {exit_insn(), mov(0, 0)}, ErrorCode::falls_off_end, 1},
    });
}

TEST_CASE("too many functions", "[verifier]") {
    // main plus the functions at 4 and 6: three, one more than Config{.max_functions = 2}.
    const Code code = assemble(R"(
            call local f
            call local g
            mov %r0, 0
            exit
        f:  mov %r0, 1
            exit
        g:  mov %r0, 2
            exit)");
    constexpr Config kTwo{.max_functions = 2};
    CHECK(verdict<kTwo>(code) == rejected(ErrorCode::too_many_functions, 1));
    CHECK(verdict(code) == "accepted");
    // Calling the same function twice still makes two functions.
    CHECK(verdict<kTwo>(assemble(R"(
            call local f
            call local f
            exit
        f:  exit)")) == "accepted");
}

TEST_CASE("helper calls are checked against the table and the policy", "[verifier]") {
    const Code calls_2 = at_pc1({call_helper(2)});
    const std::array<std::uint32_t, 1> only_1 = {1};
    const std::array<std::uint32_t, 2> both = {2, 1};
    CHECK(verdict(at_pc1({call_helper(99)})) == rejected(ErrorCode::unknown_helper, 1));
    CHECK(verdict(at_pc1({call_helper(-1)})) == rejected(ErrorCode::unknown_helper, 1));
    CHECK(verdict(calls_2, HelperPolicy::only(std::span<const std::uint32_t>{only_1})) ==
          rejected(ErrorCode::helper_not_allowed, 1));
    CHECK(verdict(calls_2, HelperPolicy{}) == rejected(ErrorCode::helper_not_allowed, 1));
    CHECK(verdict(calls_2, HelperPolicy::only(std::span<const std::uint32_t>{both})) == "accepted");
    CHECK(verdict(calls_2, kAllowAll) == "accepted");
    // callx names its helper in a register: nothing to check before running.
    CHECK(verdict(at_pc1({insn(kCallx, 3)}), HelperPolicy{}) == "accepted");
    // An unknown helper is reported as unknown even when the policy allows everything.
    CHECK(verdict(at_pc1({call_helper(3)}), kAllowAll) == rejected(ErrorCode::unknown_helper, 1));
}

TEST_CASE("an allow-list given an id it cannot hold is rejected", "[verifier]") {
    // Ids above 255 cannot be listed (HelperPolicy::ok() is false): the program is rejected
    // whatever it calls, rather than run under a list that silently lacks the id.
    const std::array<std::uint32_t, 2> with_256 = {2, 256};
    const HelperPolicy policy = HelperPolicy::only(std::span<const std::uint32_t>{with_256});
    REQUIRE_FALSE(policy.ok());
    CHECK(verdict(at_pc1({call_helper(2)}), policy) == rejected(ErrorCode::helper_list_invalid, 0));
    CHECK(verdict(at_pc1({mov(0, 0)}), policy) == rejected(ErrorCode::helper_list_invalid, 0));
    CHECK(verdict(at_pc1({mov(0, 0)}), HelperPolicy{}.allow(1).allow(1u << 20)) ==
          rejected(ErrorCode::helper_list_invalid, 0));
    // The intersection with a bad list is bad too; with a good one it is good.
    CHECK(verdict(at_pc1({call_helper(2)}), kAllowAll.intersect(policy)) ==
          rejected(ErrorCode::helper_list_invalid, 0));
    CHECK(verdict(at_pc1({call_helper(2)}), HelperPolicy::only({2, 255})) == "accepted");
}

TEST_CASE("accepted programs record their functions", "[verifier]") {
    // Calls in the order g, f, g: the targets are 8 (g) and 6 (f), recorded sorted, g once.
    const Code code = assemble(R"(
            call local g
            call local f
            call local g
            lddw %r1, 0x1122334455667788
            mov %r0, 0
            exit
        f:  call local g
            exit
        g:  mov %r0, 1
            exit)");
    const auto verified = verify(Program{code, kAllowAll}, kHelpers);
    REQUIRE(verified.ok());
    CHECK(verified->function_count == 3);
    const std::vector<std::uint32_t> starts(verified->functions().begin(), verified->functions().end());
    CHECK(starts == std::vector<std::uint32_t>{0, 7, 9});
    CHECK(verified->code.data() == code.data());
    CHECK(verified->code.size() == code.size());

    const auto single = verify(Program{Code{exit_insn()}, {}}, {});
    REQUIRE(single.ok());
    CHECK(single->function_count == 1);
    CHECK(single->function_starts[0] == 0);
}

TEST_CASE("exit need not be last when the tail cannot fall off", "[verifier]") {
    // pc 0 jumps over the tail's start; the tail ends with ja back to the exit at 2.
    CHECK(verdict(assemble(R"(
            ja +2
            mov %r0, 2
            exit
            mov %r0, 1
            ja -3)")) == "accepted");
    CHECK(verdict({mov(0, 0), exit_insn(), mov(0, 1), ja(-3)}) == "accepted");
    // A local function may end with a jump back inside itself.
    CHECK(verdict(assemble(R"(
            call local f
            exit
        f:  exit
            ja -2)")) == "accepted");
}

TEST_CASE("the public suite's unused-field programs are rejected", "[verifier][conformance]") {
    const std::filesystem::path dir = std::filesystem::path{UBPF_CONFORMANCE_DIR} / "negative";
    if (!std::filesystem::is_directory(dir)) {
        WARN("bpf_conformance not found at " << dir.string() << "; skipped");
        return;
    }
    int seen = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string file_name = entry.path().filename().string();
        if (file_name.rfind("unused-", 0) != 0 || entry.path().extension() != ".data") continue;
        std::ifstream in(entry.path(), std::ios::binary);
        const host::DataFile file =
            host::parse_data_file(std::string{std::istreambuf_iterator<char>(in), {}});
        INFO(file_name);
        REQUIRE(file.has_raw);
        REQUIRE(!file.raw.empty());
        // unused-<insn>-<field>.data sets <field> of its first instruction. For mov with a
        // register source the offset is not unused but selects movsx, and 1 selects nothing.
        const std::string field = file_name.substr(file_name.rfind('-') + 1);
        ErrorCode expected = field == "dst.data"      ? ErrorCode::nonzero_dst
                             : field == "src.data"    ? ErrorCode::nonzero_src
                             : field == "offset.data" ? ErrorCode::nonzero_offset
                                                      : ErrorCode::nonzero_imm;
        if (file_name.find("mov") != std::string::npos && file_name.find("_reg-offset") != std::string::npos)
            expected = ErrorCode::invalid_offset;
        CHECK(verdict(file.raw) == rejected(expected, 0));
        ++seen;
    }
    CHECK(seen >= 40);
}

namespace {

// Runs `verified` on fresh copies of the same stack and memory, so that two dispatch modes see
// identical inputs. Returns a text that captures r0, the count, or the error, and the memory.
template <Config C>
std::string run_random(const VerifiedProgram<C>& verified, std::vector<std::uint8_t>& stack,
                       std::array<std::uint8_t, 64>& mem) {
    std::fill(stack.begin(), stack.end(), std::uint8_t{0});
    for (std::size_t i = 0; i < mem.size(); ++i) mem[i] = static_cast<std::uint8_t>(i * 7);
    const std::array<Region, 1> regions = {Region::of(mem.data(), mem.size(), Access::read_write)};
    Execution exec{
        stack, regions, {reinterpret_cast<std::uintptr_t>(mem.data()), mem.size(), 0, 0, 0}, 10000, nullptr};
    const Result<Outcome> r = Interpreter<C>::run(verified, exec);
    std::string text;
    if (r.ok()) {
        text = "r0 " + std::to_string(r->r0) + " after " + std::to_string(r->instructions);
        CHECK(r->instructions <= 10000);
    } else {
        text = describe(r.error());
        const ErrorCode runtime[] = {ErrorCode::unknown_helper,      ErrorCode::helper_not_allowed,
                                     ErrorCode::out_of_bounds_load,  ErrorCode::out_of_bounds_store,
                                     ErrorCode::store_to_readonly,   ErrorCode::budget_exhausted,
                                     ErrorCode::call_depth_exceeded, ErrorCode::helper_bad_pointer};
        INFO(text);
        CHECK(std::find(std::begin(runtime), std::end(runtime), r.error().code) != std::end(runtime));
        CHECK(r.error().pc < verified.code.size());
    }
    text.append(" mem ");
    text.append(mem.begin(), mem.end());
    return text;
}

/// Verifies `code` and, when accepted, runs it under every dispatch mode and compares. Returns
/// whether it was accepted.
bool check_random_program(const Code& code) {
    constexpr Config kThreaded{.dispatch = Dispatch::threaded};
    constexpr Config kSwitch{.dispatch = Dispatch::switch_loop};
    constexpr Config kCompact{.dispatch = Dispatch::compact};
    const Program p{code, kAllowAll};
    const auto threaded = verify<kThreaded>(p, kHelpers);
    const auto switched = verify<kSwitch>(p, kHelpers);
    const auto compact = verify<kCompact>(p, kHelpers);
    CHECK(describe(threaded.error()) == describe(switched.error()));
    CHECK(describe(threaded.error()) == describe(compact.error()));
    if (!threaded.ok() || !switched.ok() || !compact.ok()) return false;
    static std::vector<std::uint8_t> stack(kThreaded.stack_size());
    static std::array<std::uint8_t, 64> mem{};
    const std::string a = run_random(*threaded, stack, mem);
    const std::string b = run_random(*switched, stack, mem);
    const std::string c = run_random(*compact, stack, mem);
    CHECK(a == b);
    CHECK(a == c);
    return true;
}

}  // namespace

TEST_CASE("random bytes never crash the verifier or an accepted run", "[verifier][fuzz]") {
    std::mt19937 rng(20240601);
    std::uniform_int_distribution<int> length(1, 64);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int i = 0; i < 20000; ++i) {
        Code code(static_cast<std::size_t>(length(rng)));
        std::vector<std::uint8_t> bytes(code.size() * sizeof(Insn));
        for (auto& b : bytes) b = static_cast<std::uint8_t>(byte(rng));
        std::memcpy(static_cast<void*>(code.data()), bytes.data(), bytes.size());
        check_random_program(code);  // random bytes are rarely valid; the next test covers runs
    }
}

TEST_CASE("random well-formed instructions never crash an accepted run", "[verifier][fuzz]") {
    // Instructions drawn from the opcode table with random registers and small operands, so that
    // a good share passes the verifier and reaches the interpreter.
    std::mt19937 rng(7);
    const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const std::int32_t interesting[] = {0, 1, -1, 2, 7, 8, 16, 31, 32, 63, 64, INT32_MIN, INT32_MAX, 0xff};
    int accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        const auto n = static_cast<std::size_t>(pick(1, 64));
        Code code;
        while (code.size() + 1 < n) {
            const isa::OpInfo& row =
                isa::kOps[static_cast<std::size_t>(pick(0, static_cast<int>(isa::kOpCount) - 1))];
            Insn x{};
            x.opcode = row.opcode;
            const unsigned dst = static_cast<unsigned>(pick(0, 10)), src = static_cast<unsigned>(pick(0, 10));
            x.regs = static_cast<std::uint8_t>(((row.fields & isa::kDst) ? dst : 0) |
                                               ((row.fields & isa::kSrc) ? src << 4 : 0));
            if (row.fields & isa::kOff) x.off = static_cast<std::int16_t>(pick(-8, 8));
            if (row.fields & isa::kImm)
                x.imm = pick(0, 1) != 0 ? interesting[pick(0, static_cast<int>(std::size(interesting)) - 1)]
                                        : pick(-8, 8);
            isa::set_selector(row, x);
            if (row.op == isa::Op::call) x.imm = pick(1, 3);
            if (row.op == isa::Op::callx) code.push_back(mov(x.dst(), pick(1, 3)));
            if (row.op == isa::Op::ldx || row.op == isa::Op::ldxs || row.op == isa::Op::st ||
                row.op == isa::Op::stx || isa::is_atomic(row.op))
                x.off = static_cast<std::int16_t>(pick(-16, 72));
            code.push_back(x);
            if (row.op == isa::Op::lddw) code.push_back(insn(0, 0, 0, 0, pick(-2, 2)));
        }
        code.push_back(exit_insn());
        if (check_random_program(code)) ++accepted;
    }
    INFO(accepted << " of 20000 accepted");
    CHECK(accepted > 1000);
}
