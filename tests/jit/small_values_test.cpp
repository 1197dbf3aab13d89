// SPDX-License-Identifier: MIT
// Small values and frame addresses (jit::Compiler::small_values()) on the emulated Cortex-M4:
// `r = r10; r += -K; r += i << 2` into a stack array, with i masked to a few bits, is known to
// be below 2^32, so its check runs in 32 bits. Where the index may be 2^32 or more (on some way
// in), the access must fail as the interpreter's does, not wrap into the frame. Values by hand;
// the interpreter agrees.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/host/environment.hpp>

#include "run_both.hpp"

namespace {

using ubpf::test::Ran;
using ubpf::test::run_both;

// Twelve passes store the count (12 down to 1) into window[slot], slot = (slot + 1) & mask, the
// window being the 8 words at r10 - 32; then the window is copied to mem[0..32). mem[32..36)
// holds 7, loaded into r6.
std::string ring_buffer(const char* mask) {
    return std::string{
               "ldxw %r6, [%r1+32]\nmov %r0, 0\nmov %r2, 0\nmov %r5, 12\nl:\nmov %r3, %r2\n"
               "lsh %r3, 2\nmov %r7, %r10\nadd %r7, -32\nadd %r7, %r3\nstxw [%r7+0], %r5\n"
               "add32 %r2, 1\n"} +
           mask +
           "add %r5, -1\njne %r5, 0, l\n"
           "ldxw %r3, [%r10-32]\nstxw [%r1+0], %r3\nldxw %r3, [%r10-28]\nstxw [%r1+4], %r3\n"
           "ldxw %r3, [%r10-24]\nstxw [%r1+8], %r3\nldxw %r3, [%r10-20]\nstxw [%r1+12], %r3\n"
           "ldxw %r3, [%r10-16]\nstxw [%r1+16], %r3\nldxw %r3, [%r10-12]\nstxw [%r1+20], %r3\n"
           "ldxw %r3, [%r10-8]\nstxw [%r1+24], %r3\nldxw %r3, [%r10-4]\nstxw [%r1+28], %r3\nexit";
}

/// SBCS.W with an immediate (T1: 11110 i 0 1011 1 Rn), as the checks of 64-bit addresses end,
/// halfword by halfword (the stubs' data between the code holds small numbers only).
unsigned wide_checks(const std::vector<std::uint8_t>& code) {
    unsigned n = 0;
    for (std::size_t k = 0; k + 1 < code.size(); k += 2)
        if (((code[k] | code[k + 1] << 8) & 0xfbf0) == 0xf170) ++n;
    return n;
}

/// Inline checks (LDRD r3, lr, [r7, #imm]: a check table's start and count, halfword by
/// halfword as wide_checks()).
unsigned table_checks(const std::vector<std::uint8_t>& code) {
    unsigned n = 0;
    for (std::size_t k = 0; k + 3 < code.size(); k += 2)
        if ((code[k] | code[k + 1] << 8) == 0xe9d7 && code[k + 3] == 0x3e) ++n;
    return n;
}

/// i (mem[0..4)) masked to `mask` bits, times 4, indexes an array of words at r10 + base in the
/// same block: i * 4 + 1000 is stored there and loaded back through the same pointer; r0 is
/// that plus 0x10000 times the word at r10 - 4 (cleared first).
std::string frame_array(int base, const char* mask) {
    return "stdw [%r10-8], 0\nldxw %r2, [%r1+0]\nand32 %r2, " + std::string{mask} +
           "\nlsh %r2, 2\nmov %r7, %r10\nadd %r7, " + std::to_string(base) +
           "\nadd %r7, %r2\nmov %r3, %r2\nadd %r3, 1000\nstxw [%r7+0], %r3\nldxw %r0, [%r7+0]\n"
           "ldxw %r4, [%r10-4]\nlsh %r4, 16\nadd %r0, %r4\nexit";
}

std::vector<std::uint8_t> word(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
            static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
}

}  // namespace

TEST_CASE("stack arrays: an element the block keeps in the frame is accessed unchecked",
          "[jit][small-values]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    // r10 - 512 + (i & 127) * 4: every element lies in the 512-byte frame, from its first word
    // (i = 0) to its last (i = 127, r10 - 4), so the store and the load through r7 need no
    // check; the load of i from mem has one. By hand: element i holds 4i + 1000.
    struct Case {
        std::uint32_t i;
        std::uint64_t r0;
    };
    const Case cases[] = {
        {0, 1000}, {127, 1508 + (std::uint64_t{1508} << 16)}, {133, 1020}};  // 133 & 127 = 5
    for (const Case& c : cases) {
        INFO("i = " << c.i);
        const Ran r = run_both(session, frame_array(-512, "127"), word(c.i));
        REQUIRE(r.want.ok);
        REQUIRE(r.run.report.ok);
        CHECK(r.want.r0 == c.r0);
        CHECK(r.run.report.r0 == c.r0);
        CHECK(table_checks(r.run.code) == 1);
    }
    // The same array with the mask in a register (r6 = 127, from mem): nothing proves the index
    // small, so the store and the load are checked too.
    const Ran opaque = run_both(session,
                                "ldxw %r6, [%r1+4]\nstdw [%r10-8], 0\nldxw %r2, [%r1+0]\nand32 %r2, %r6\n"
                                "lsh %r2, 2\nmov %r7, %r10\nadd %r7, -512\nadd %r7, %r2\nmov %r3, %r2\n"
                                "add %r3, 1000\nstxw [%r7+0], %r3\nldxw %r0, [%r7+0]\nexit",
                                {127, 0, 0, 0, 127, 0, 0, 0});
    REQUIRE(opaque.run.report.ok);
    CHECK(opaque.run.report.r0 == 1508);
    CHECK(table_checks(opaque.run.code) == 4);
}

TEST_CASE("stack arrays: an element that may leave the frame is checked", "[jit][small-values]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    // Each case: its source, an index that stays in the stack and one that leaves it (the
    // store at pc 9 then fails as the interpreter's does), and the checks the code has.
    struct Case {
        const char* what;
        std::string source;
        std::uint32_t inside, outside;
        unsigned checks;
    };
    const Case cases[] = {
        // r10 - 8 + (i & 7) * 4: i = 1 is r10 - 4, i = 3 is r10 + 4, above the stack.
        {"an array reaching above the frame", frame_array(-8, "7"), 1, 3, 3},
        // r10 - 516 + (i & 7) * 4: its first word lies below this frame (in the stack of the
        // frames below it, so no error) and its last, r10 - 488, in it. Nothing leaves the stack.
        {"an array starting below the frame", frame_array(-516, "7"), 0, 0, 3},
        // (i & 7) - 1 in 32 bits: i = 0 gives 0xffffffff, times 4 far above the stack.
        {"an index that wraps in 32 bits",
         "stdw [%r10-8], 0\nldxw %r2, [%r1+0]\nand32 %r2, 7\nadd32 %r2, -1\nlsh %r2, 2\nmov %r7, %r10\n"
         "add %r7, -32\nadd %r7, %r2\nmov %r3, 0\nstxw [%r7+0], %r3\nldxw %r0, [%r7+0]\nexit",
         1, 0, 3},
        // (i & 0x10007f) - 2^20 in 64 bits: at most 0x7f, but far below the stack for i = 0.
        {"an index lowered by a negative constant",
         "stdw [%r10-8], 0\nldxw %r2, [%r1+0]\nand32 %r2, 1048703\nadd %r2, -1048576\nlsh %r2, 2\n"
         "mov %r7, %r10\nadd %r7, -512\nadd %r7, %r2\nmov %r3, 0\nstxw [%r7+0], %r3\nldxw %r0, [%r7+0]\nexit",
         0x100000, 0, 3},
        // The mask in another block (a jump comes to the label): the look-back stops there.
        {"an index masked in the block before",
         "stdw [%r10-8], 0\nldxw %r2, [%r1+0]\nand32 %r2, 7\nja l\nl:\nlsh %r2, 2\nmov %r7, %r10\n"
         "add %r7, -32\nadd %r7, %r2\nmov %r3, 0\nstxw [%r7+0], %r3\nldxw %r0, [%r7+0]\nexit",
         1, 1, 3},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        const Ran in = run_both(session, c.source, word(c.inside));
        CHECK(in.want.ok);
        CHECK(in.run.report.ok);
        CHECK(in.run.report.r0 == in.want.r0);
        CHECK(table_checks(in.run.code) == c.checks);
        if (c.outside == c.inside) continue;
        const Ran out = run_both(session, c.source, word(c.outside));
        CHECK_FALSE(out.want.ok);
        CHECK(out.want.error == ubpf::Error{ubpf::ErrorCode::out_of_bounds_store, 9});
        CHECK(out.run.report.error == out.want.error);
    }
}

TEST_CASE("small values: a stack array indexed by a masked value", "[jit][small-values]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    // Passes 0-7 write 12..5 to window[0..7], passes 8-11 write 4..1 to window[0..3].
    const std::vector<std::uint8_t> window = {4, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 8, 0,
                                              0, 0, 7, 0, 0, 0, 6, 0, 0, 0, 5, 0, 0, 0, 7, 0, 0, 0};
    std::vector<std::uint8_t> mem(36);
    mem[32] = 7;
    // Masked with a constant: slot < 8; with r6 (7 too, loaded): nothing the analysis knows.
    const Ran known = run_both(session, ring_buffer("and32 %r2, 7\n"), mem);
    const Ran opaque = run_both(session, ring_buffer("and32 %r2, %r6\n"), mem);
    for (const Ran* r : {&known, &opaque}) {
        REQUIRE(r->want.ok);
        REQUIRE(r->run.report.ok);
        CHECK(r->want.mem_after == window);
        CHECK(r->run.report.mem_after == window);
        CHECK(r->run.report.instructions == r->want.instructions);
    }
    // The check of the store through r7 computes the address's upper half (SBCS.W, immediate,
    // for its borrow) only where the analysis cannot tell it is 0. (The stores through r1 with
    // positive offsets have it in both.)
    CHECK(wide_checks(known.run.code) + 1 == wide_checks(opaque.run.code));
}

TEST_CASE("small values: an index that may reach 2^32 keeps its access 64-bit", "[jit][small-values]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    struct Case {
        const char* what;
        const char* source;
        std::uint32_t error_pc;  // the store through r7
    };
    // mem[0..8) = 2^32 + 4: r10 - 32 + that lies 2^32 past the frame, outside any region; its
    // lower half alone (r10 - 28) would be inside the frame.
    const Case cases[] = {
        {"the index loaded as a 64-bit value",
         "ldxdw %r3, [%r1+0]\nmov %r7, %r10\nadd %r7, -32\nadd %r7, %r3\nstxw [%r7+0], %r3\nmov %r0, 0\nexit",
         4},
        {"a small index on one way in, a large one on the other",
         "mov %r3, 4\nldxdw %r4, [%r1+0]\njeq %r4, 0, +1\nmov %r3, %r4\nmov %r7, %r10\nadd %r7, -32\n"
         "add %r7, %r3\nstxw [%r7+0], %r3\nmov %r0, 0\nexit",
         7},
        {"an index masked in the loop, large on the way into it",
         "ldxdw %r2, [%r1+0]\nmov %r5, 3\nl:\nmov %r7, %r10\nadd %r7, -32\nadd %r7, %r2\n"
         "stxw [%r7+0], %r5\nand32 %r2, 7\nadd %r5, -1\njne %r5, 0, l\nmov %r0, 0\nexit",
         5},
        {"a 64-bit value shifted up and back down",
         "ldxdw %r3, [%r1+0]\nlsh %r3, 8\nrsh %r3, 8\nmov %r7, %r10\nadd %r7, -32\nadd %r7, %r3\n"
         "stxw [%r7+0], %r3\nmov %r0, 0\nexit",
         6},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        const Ran r = run_both(session, c.source, {4, 0, 0, 0, 1, 0, 0, 0});
        CHECK_FALSE(r.want.ok);
        CHECK(r.want.error == ubpf::Error{ubpf::ErrorCode::out_of_bounds_store, c.error_pc});
        CHECK_FALSE(r.run.report.ok);
        CHECK(r.run.report.error == r.want.error);
        CHECK(r.run.report.mem_after == r.want.mem_after);
    }
}

TEST_CASE("a pointer stepped through memory checks its positive offsets in 32 bits", "[jit][small-values]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    // Each pair's first byte doubled into its second: the load's check (offset 0) leaves r1
    // below 0xffff8000, so r1 + 1 fits in 32 bits. Stepped by a register (r5 = 2), r1 is not
    // known to stay that low after its step.
    const std::string loop =
        "mov %r2, %r1\nadd %r2, 8\nmov %r5, 2\nl:\nldxb %r3, [%r1+0]\nadd32 %r3, %r3\n"
        "stxb [%r1+1], %r3\n";
    const std::vector<std::uint8_t> mem = {1, 0, 2, 0, 3, 0, 4, 0};
    const std::vector<std::uint8_t> doubled = {1, 2, 2, 4, 3, 6, 4, 8};
    const Ran stepped = run_both(session, loop + "add %r1, 2\njne %r1, %r2, l\nmov %r0, 0\nexit", mem);
    const Ran opaque = run_both(session, loop + "add %r1, %r5\njne %r1, %r2, l\nmov %r0, 0\nexit", mem);
    for (const Ran* r : {&stepped, &opaque}) {
        REQUIRE(r->want.ok);
        REQUIRE(r->run.report.ok);
        CHECK(r->want.mem_after == doubled);
        CHECK(r->run.report.mem_after == doubled);
    }
    // Stepped by a constant, both checks run in 32 bits (the load's by its entry guard, the
    // store's by r1's bound); stepped by r5, neither does.
    CHECK(wide_checks(stepped.run.code) == 0);
    CHECK(wide_checks(opaque.run.code) == 2);
}

TEST_CASE("a pair of loads and a load into its own base check in 32 bits", "[jit][small-values]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    // The store's check (offset 0) leaves r1's upper half known to be 0. The pair of loads at
    // pcs 2 and 3 is checked once, from r1 + 0, as its second load's own check could be; the
    // load through r6 = r10 - 8 into r6 itself too. r0 = 1 + (mem[1] << 8 | mem[0]) = 1 + 0x201.
    const Ran r = run_both(session,
                           "stb [%r1+0], 1\nmov %r0, 1\nldxb %r3, [%r1+1]\nldxb %r5, [%r1+0]\nlsh %r3, 8\n"
                           "or %r3, %r5\nadd %r0, %r3\nstxdw [%r10-8], %r0\nmov %r6, %r10\nadd %r6, -8\n"
                           "ldxdw %r6, [%r6+0]\nmov %r0, %r6\nexit",
                           {7, 2});
    REQUIRE(r.want.ok);
    REQUIRE(r.run.report.ok);
    CHECK(r.want.r0 == 0x202);
    CHECK(r.run.report.r0 == 0x202);
    CHECK(wide_checks(r.run.code) == 1);  // the store's alone
}
