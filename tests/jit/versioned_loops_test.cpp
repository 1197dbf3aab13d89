// SPDX-License-Identifier: MIT
// jit::Options::version_loops on the emulated Cortex-M4: the copy of a loop without its loads'
// checks is the one that runs when the range fits (it executes fewer M4 instructions, by at
// least the checks it leaves out), the loop with checks runs otherwise, and a budget that runs
// out anywhere in a versioned loop with a store in it stops where the interpreter stops, with
// the same memory. Results are checked against the interpreter in the same image; the values
// of the first cases also by hand.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/host/environment.hpp>

#include "image/layout.hpp"
#include "jit_image.hpp"

namespace {

// 40 instructions that make a loop long (r6 += 3 each).
#define LONG_BODY_8 \
    "add %r6, 3\nadd %r6, 3\nadd %r6, 3\nadd %r6, 3\nadd %r6, 3\nadd %r6, 3\nadd %r6, 3\nadd %r6, 3\n"
#define LONG_BODY LONG_BODY_8 LONG_BODY_8 LONG_BODY_8 LONG_BODY_8 LONG_BODY_8

std::vector<std::uint8_t> bytes_1_to_64() {
    std::vector<std::uint8_t> mem(64);
    for (std::size_t i = 0; i < mem.size(); ++i) mem[i] = static_cast<std::uint8_t>(i + 1);
    return mem;
}

struct Runs {
    ubpf::m4::JitImageRun plain, versioned;
    ubpf::host::RunReport interpreted;
};

/// The request run by the interpreter and by JIT code without and with version_loops (and with
/// `poison`, poisoned dead upper halves), which must agree in everything.
Runs run_both(ubpf::m4::JitSession& session, const ubpf::host::RunRequest& request, bool poison = false) {
    Runs r;
    session.set_options({.poison_dead_upper_halves = poison});
    r.plain = session.run(request);
    session.set_options({.poison_dead_upper_halves = poison, .version_loops = true});
    r.versioned = session.run(request);
    session.set_options({});
    r.interpreted = session.interpret(request);
    for (const ubpf::m4::JitImageRun* run : {&r.plain, &r.versioned}) {
        REQUIRE_FALSE(run->fault.has_value());
        REQUIRE(run->mismatch.empty());
        REQUIRE(run->report.ok == r.interpreted.ok);
        REQUIRE(run->report.r0 == r.interpreted.r0);
        REQUIRE(run->report.error == r.interpreted.error);
        REQUIRE(run->report.instructions == r.interpreted.instructions);
        REQUIRE(run->report.mem_after == r.interpreted.mem_after);
    }
    return r;
}

/// A request for `assembled` (which must outlive it: the request points into its code).
ubpf::host::RunRequest request_for(const ubpf::host::AssemblyResult& assembled) {
    REQUIRE(assembled.error.empty());
    ubpf::host::RunRequest request;
    request.code = assembled.code;
    request.mem = bytes_1_to_64();
    request.budget = 1'000'000;
    return request;
}

}  // namespace

TEST_CASE("versioned loops: the copy without checks runs when the range fits", "[jit][versioned]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    struct Case {
        const char* what;
        const char* source;
        std::uint64_t r0;        // by hand, from byte i = i + 1
        std::uint64_t passes;    // loop passes, each leaving out at least one check
        std::uint64_t per_pass;  // M4 instructions a check takes at least (LDRD, SUB, CMP, SBCS, B<c>;
                                 // 4 where the pointer is guarded: EntryGuard, no SBCS; the
                                 // counts down to 0 are 32-bit in both: count guards; where a
                                 // loop has only 16 passes the range check takes a part)
    };
    const Case cases[] = {
        {"a count down to 0, one byte a pass: 1 + ... + 64",
         "mov %r0, 0\nmov %r7, %r1\nmov %r8, 64\nl:\nldxb %r4, [%r7+0]\nadd %r0, %r4\nadd %r7, 1\n"
         "add %r8, -1\njeq %r8, 0, +1\nja l\nexit",
         2080, 64, 4},
        {"the pointer compared with an end, two bytes (one check) a pass: (1 - 2) * 32",
         "mov %r0, 0\nmov %r7, %r1\nmov %r8, %r1\nadd %r8, 64\nl:\nldxb %r4, [%r7+0]\nldxb %r5, [%r7+1]\n"
         "add %r0, %r4\nsub %r0, %r5\nadd %r7, 2\njne %r7, %r8, l\nexit",
         static_cast<std::uint64_t>(-32), 32, 5},
        {"words, the count tested before its step: 16 passes, the words' low bytes 1 + 5 + ... + 61",
         "mov %r0, 0\nmov %r7, %r1\nmov %r8, 15\nl:\nldxw %r4, [%r7+0]\nand %r4, 0xff\nadd %r0, %r4\n"
         "jeq %r8, 0, +3\nadd %r8, -1\nadd %r7, 4\nja l\nexit",
         496, 16, 3},  // (16 passes: the range check takes most of what they save),
        {"index form (ptr = base; ptr += index), a register bound: 1 + ... + 64",
         "mov %r0, 0\nmov %r3, 0\nmov %r9, 64\nl:\nmov %r7, %r1\nadd %r7, %r3\nldxb %r4, [%r7+0]\n"
         "add %r0, %r4\nadd %r3, 1\njlt %r3, %r9, l\nexit",
         2080, 64, 5},
        {"index form, ptr = index; ptr += base, entered by a jump, a constant bound tested at the "
         "top: 16 halfwords (2k + 1) + 256 * (2k + 2)",
         "mov %r0, 0\nmov %r3, 0\nja l\nl:\njeq %r3, 32, +6\nmov %r7, %r3\nadd %r7, %r1\n"
         "ldxh %r4, [%r7+0]\nadd %r0, %r4\nadd %r3, 2\nja l\nexit",
         69888, 16, 5},
        {"index form entered by a block that is only `ja head` (not charged with the loop's "
         "first block: it would jump past the range check): 1 + ... + 32",
         "mov %r0, 0\nmov %r3, 0\njne %r0, 0, +2\nja j\nj:\nja l\nl:\nmov %r7, %r1\nadd %r7, %r3\n"
         "ldxb %r4, [%r7+0]\nadd %r0, %r4\nadd %r3, 1\njlt %r3, 32, l\nexit",
         528, 32, 5},
        {"a counter up to a limit in a register, the pointer stepping by 4 on its own: the bytes "
         "0, 4, ..., 60: 1 + 5 + ... + 61",
         "mov %r0, 0\nmov %r7, %r1\nmov %r3, 0\nmov %r9, 16\nl:\nldxb %r4, [%r7+0]\nadd %r0, %r4\n"
         "add %r7, 4\nadd %r3, 1\njlt %r3, %r9, l\nexit",
         496, 16, 4},
        {"entered in its middle (`ja entry`, the steps and the test at the head), a branch over "
         "`add 1000` for bytes <= 10: 1 + ... + 16 + 6 * 1000",
         "mov %r0, 0\nmov %r7, %r1\nmov %r8, 16\nja e\nh:\nadd %r7, 1\nadd %r8, -1\njne %r8, 0, +1\n"
         "ja d\ne:\nldxb %r4, [%r7+0]\nadd %r0, %r4\njle %r4, 10, +1\nadd %r0, 1000\nja h\nd:\nexit",
         6136, 16, 2},  // (likewise, and the check of a loop entered in its middle is longer),
        {"index form entered in its middle (`ja entry`, the index's step and the test at the "
         "head), a branch over `add 1000` for bytes <= 10: 1 + ... + 16 + 6 * 1000",
         "mov %r0, 0\nmov %r3, 0\nja e\nh:\nadd %r3, 1\njlt %r3, 16, +1\nja d\ne:\nmov %r7, %r1\n"
         "add %r7, %r3\nldxb %r4, [%r7+0]\nadd %r0, %r4\njle %r4, 10, h\nadd %r0, 1000\nja h\nd:\nexit",
         6136, 16, 5},
        {"index form counting itself down to 0 (base = mem - 1, i from 64): 1 + ... + 64",
         "mov %r0, 0\nmov %r2, %r1\nadd %r2, -1\nmov %r3, 64\nl:\nmov %r7, %r2\nadd %r7, %r3\n"
         "ldxb %r4, [%r7+0]\nadd %r0, %r4\nadd %r3, -1\njne %r3, 0, l\nexit",
         2080, 64, 5},
        {"a long loop (49 instructions, as crc32's unrolled body: up to 60 are versioned), a count "
         "down to 0: 1 + ... + 64 plus 64 passes of 40 * 3 added to r6",
         "mov %r0, 0\nmov %r6, 0\nmov %r7, %r1\nmov %r8, 64\nl:\nldxb %r4, [%r7+0]\nadd %r0, %r4\n" LONG_BODY
         "add %r7, 1\nadd %r8, -1\njeq %r8, 0, +1\nja l\nadd %r0, %r6\nexit",
         2080 + 64 * 40 * 3, 64, 4},
        {"index form with a 32-bit index step: 1 + ... + 64",
         "mov %r0, 0\nmov %r3, 0\nmov %r9, 64\nl:\nmov %r7, %r1\nadd %r7, %r3\nldxb %r4, [%r7+0]\n"
         "add %r0, %r4\nadd32 %r3, 1\njlt %r3, %r9, l\nexit",
         2080, 64, 5},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        const ubpf::host::AssemblyResult assembled = ubpf::host::assemble(c.source);
        const Runs r = run_both(session, request_for(assembled));
        REQUIRE(r.interpreted.ok);
        CHECK(r.interpreted.r0 == c.r0);
        // Less the range check before the loop (about 15 instructions).
        CHECK(r.plain.run_instructions + 30 >= r.versioned.run_instructions + c.passes * c.per_pass);
    }
}

TEST_CASE("versioned loops: the loop with checks runs when the range does not fit", "[jit][versioned]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    // 65 passes from mem + 0 with an exit of its own at the byte 60: the range check (which
    // takes all 65 passes) fails, and the loop with checks leaves at mem + 59 (1 + ... + 59).
    const ubpf::host::AssemblyResult assembled = ubpf::host::assemble(
        "mov %r0, 0\nmov %r7, %r1\nmov %r8, 65\nl:\nldxb %r4, [%r7+0]\njeq %r4, 60, +5\nadd %r0, %r4\n"
        "add %r7, 1\nadd %r8, -1\njeq %r8, 0, +1\nja l\nexit");
    const Runs r = run_both(session, request_for(assembled));
    REQUIRE(r.interpreted.ok);
    CHECK(r.interpreted.r0 == 1770);
    // The checked loop's instructions plus those of the range check (about 20).
    CHECK(r.versioned.run_instructions >= r.plain.run_instructions);
    CHECK(r.versioned.run_instructions <= r.plain.run_instructions + 30);
}

TEST_CASE("versioned loops: a budget running out anywhere in them stops as the interpreter does",
          "[jit][versioned][budget]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    // Each copies mem[0..8) to mem[32..40) plus one, a byte a pass (the loads' range is checked
    // before the loop, the stores are checked each); every budget below the instructions the
    // program runs stops before the end, most of them inside the loop, between stores.
    struct Case {
        const char* what;
        const char* source;
        std::uint64_t instructions;
    };
    const Case cases[] = {
        // 4 before the loop, 8 a pass but 7 in the last, then 2.
        {"two stepping pointers, a count",
         "mov %r7, %r1\nmov %r9, %r1\nadd %r9, 32\nmov %r8, 8\nl:\nldxb %r4, [%r7+0]\nadd %r4, 1\n"
         "stxb [%r9+0], %r4\nadd %r7, 1\nadd %r9, 1\nadd %r8, -1\njeq %r8, 0, +1\nja l\n"
         "mov %r0, 0\nexit",
         4 + 8 * 8 - 1 + 2},
        // 1 before the loop, 7 a pass, then 2; the store goes through the loads' pointer.
        {"index form",
         "mov %r3, 0\nl:\nmov %r7, %r1\nadd %r7, %r3\nldxb %r4, [%r7+0]\nadd %r4, 1\n"
         "stxb [%r7+32], %r4\nadd %r3, 1\njlt %r3, 8, l\nmov %r0, 0\nexit",
         1 + 8 * 7 + 2},
        // 5 before the loop, 5 + 4 a pass (the body from the entry, then the head), the last
        // pass's `ja d`, then 2; entered in its middle, a branch that is never taken.
        {"entered in its middle",
         "mov %r7, %r1\nmov %r9, %r1\nadd %r9, 32\nmov %r3, 0\nja e\nh:\nadd %r7, 1\nadd %r9, 1\n"
         "add %r3, 1\njlt %r3, 8, +1\nja d\ne:\nldxb %r4, [%r7+0]\nadd %r4, 1\njgt %r4, 100, h\n"
         "stxb [%r9+0], %r4\nja h\nd:\nmov %r0, 0\nexit",
         5 + 8 * (5 + 4) + 1 + 2},
        // 2 before the loop, 7 + 2 a pass (the body from the entry, then the head), the last
        // pass's `ja d`, then 2; the index form entered in its middle, the store through the
        // loads' pointer.
        {"index form entered in its middle",
         "mov %r3, 0\nja e\nh:\nadd %r3, 1\njlt %r3, 8, +1\nja d\ne:\nmov %r7, %r1\nadd %r7, %r3\n"
         "ldxb %r4, [%r7+0]\nadd %r4, 1\njgt %r4, 100, h\nstxb [%r7+32], %r4\nja h\nd:\nmov %r0, 0\nexit",
         2 + 8 * (7 + 2) + 1 + 2},
        // 1 before the loop, 7 a pass, then 2; the index counts itself down from 8 (base =
        // mem - 1), so the passes copy bytes 7 down to 0.
        {"index form counting down",
         "mov %r3, 8\nl:\nmov %r7, %r1\nadd %r7, %r3\nldxb %r4, [%r7-1]\nadd %r4, 1\n"
         "stxb [%r7+31], %r4\nadd %r3, -1\njne %r3, 0, l\nmov %r0, 0\nexit",
         1 + 8 * 7 + 2},
        // 5 before the loop, 48 a pass but 47 in the last, then 2: a long loop.
        {"a long loop",
         "mov %r6, 0\nmov %r7, %r1\nmov %r9, %r1\nadd %r9, 32\nmov %r8, 8\nl:\nldxb %r4, [%r7+0]\n"
         "add %r4, 1\n" LONG_BODY "stxb [%r9+0], %r4\nadd %r7, 1\nadd %r9, 1\nadd %r8, -1\n"
         "jeq %r8, 0, +1\nja l\nmov %r0, 0\nexit",
         5 + 8 * 48 - 1 + 2},
        // 4 before the loop, 7 a pass, then 2; a counter up to a constant ends the loop.
        {"a counter up to a limit",
         "mov %r7, %r1\nmov %r9, %r1\nadd %r9, 32\nmov %r3, 0\nl:\nldxb %r4, [%r7+0]\nadd %r4, 1\n"
         "stxb [%r9+0], %r4\nadd %r7, 1\nadd %r9, 1\nadd %r3, 1\njlt %r3, 8, l\nmov %r0, 0\nexit",
         4 + 8 * 7 + 2},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        const ubpf::host::AssemblyResult assembled = ubpf::host::assemble(c.source);
        ubpf::host::RunRequest request = request_for(assembled);
        const Runs full = run_both(session, request);
        REQUIRE(full.interpreted.ok);
        REQUIRE(full.interpreted.instructions == c.instructions);
        for (std::size_t i = 0; i < 8; ++i) CHECK(full.interpreted.mem_after[32 + i] == i + 2);
        CHECK(full.versioned.run_instructions < full.plain.run_instructions);  // the copy ran
        for (std::uint64_t budget = 0; budget < full.interpreted.instructions; ++budget) {
            INFO("budget " << budget);
            request.budget = budget;
            const Runs r = run_both(session, request);
            CHECK_FALSE(r.interpreted.ok);
            CHECK(r.interpreted.error.code == ubpf::ErrorCode::budget_exhausted);
        }
    }
}

TEST_CASE("versioned loops: the index form with a constant base (an lddw of mem's address)",
          "[jit][versioned]") {
    // What clang makes of a loop over a global array: `p = &a[2]; p += i` with the lddw inside the
    // loop (the image places mem at kMemBase for the interpreter and the JIT alike).
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    const auto source = [](int bound) {
        return "mov %r0, 0\nmov %r3, 0\nl:\nlddw %r7, " + std::to_string(ubpf::m4::kMemBase + 8) +
               "\nadd %r7, %r3\nldxb %r4, [%r7+0]\nadd %r0, %r4\nadd %r3, 1\njlt %r3, " +
               std::to_string(bound) + ", l\nexit";
    };
    // Bytes 8..63 (values 9..64): 2044; the copy without checks runs, 56 passes.
    const ubpf::host::AssemblyResult fits = ubpf::host::assemble(source(56));
    const Runs r = run_both(session, request_for(fits));
    REQUIRE(r.interpreted.ok);
    CHECK(r.interpreted.r0 == 2044);
    CHECK(r.plain.run_instructions + 30 >= r.versioned.run_instructions + 56 * 5);
    // One pass more reads mem + 64: the loop with checks fails there (pc 5), as the interpreter.
    const ubpf::host::AssemblyResult past = ubpf::host::assemble(source(57));
    const Runs e = run_both(session, request_for(past));
    REQUIRE_FALSE(e.interpreted.ok);
    CHECK(e.interpreted.error.code == ubpf::ErrorCode::out_of_bounds_load);
    CHECK(e.interpreted.error.pc == 5);
}

TEST_CASE("versioned loops: a 32-bit step in the copy writes its upper half as usual", "[jit][versioned]") {
    // The pointer steps by `add32`, so its upper half is dead just before the step (the add
    // writes it): with poisoned dead upper halves the copy must write it again, or the store's
    // check (which reads the whole pointer) finds it outside memory. Copies mem[0..8) to
    // mem[32..40) and sums it: 1 + ... + 8 = 36 (by hand).
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    const ubpf::host::AssemblyResult assembled = ubpf::host::assemble(
        "mov %r0, 0\nmov %r7, %r1\nmov %r8, 8\nl:\nldxb %r4, [%r7+0]\nadd %r0, %r4\nstxb [%r7+32], %r4\n"
        "add32 %r7, 1\nadd %r8, -1\njne %r8, 0, l\nexit");
    const Runs r = run_both(session, request_for(assembled), true);
    CHECK(r.interpreted.ok);
    CHECK(r.interpreted.r0 == 36);
    CHECK(r.versioned.run_instructions + 8 * 5 <= r.plain.run_instructions + 30);  // the copy ran
}

TEST_CASE("versioned loops: a pointer whose upper half nothing keeps is taken as below 2^32",
          "[jit][versioned]") {
    // p steps through a stack array (r10 - 8, known to fit in 32 bits: its loads are checked in
    // 32 bits and `jne p, end` compares the mirrored way), so nothing reads p's upper half and
    // with poisoned dead upper halves it holds 0xdead0000 | pc. The range check must take it as
    // 0 (kPtrHi) rather than read it: the copy without checks runs. Sum of the bytes 1..8: 36
    // (by hand).
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    const ubpf::host::AssemblyResult assembled = ubpf::host::assemble(
        "mov %r0, 0\nlddw %r4, 0x0807060504030201\nstxdw [%r10-8], %r4\nmov %r7, %r10\nadd %r7, -8\n"
        "mov %r8, %r7\nadd %r8, 8\nl:\nldxb %r4, [%r7+0]\nadd %r0, %r4\nadd %r7, 1\njne %r7, %r8, l\nexit");
    const Runs r = run_both(session, request_for(assembled), true);
    CHECK(r.interpreted.ok);
    CHECK(r.interpreted.r0 == 36);
    INFO("plain " << r.plain.run_instructions << ", versioned " << r.versioned.run_instructions);
    CHECK(r.versioned.run_instructions < r.plain.run_instructions);  // the copy ran
}
