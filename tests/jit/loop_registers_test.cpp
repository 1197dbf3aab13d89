// SPDX-License-Identifier: MIT
// jit::Options::loop_registers on the emulated Cortex-M4: innermost loops that keep their own
// choice of eBPF halves in ARM registers give the interpreter's results, memory and errors
// (with a budget running out anywhere, in the moves too), and run fewer M4 instructions than
// with the program's choice for every loop. Values by hand.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/host/environment.hpp>

#include "jit_image.hpp"

namespace {

/// The JIT run of `request` with `options`, required to end as the interpreter's run ends.
ubpf::m4::JitImageRun run_as_interpreted(ubpf::m4::JitSession& session, const ubpf::host::RunRequest& request,
                                         ubpf::jit::Options options, const ubpf::host::RunReport& want) {
    session.set_options(options);
    ubpf::m4::JitImageRun run = session.run(request);
    REQUIRE_FALSE(run.fault.has_value());
    REQUIRE(run.mismatch.empty());  // the JIT compiled on the M4 wrote what the host JIT writes
    CHECK(run.report.ok == want.ok);
    CHECK(run.report.r0 == want.r0);
    CHECK(run.report.error == want.error);
    CHECK(run.report.instructions == want.instructions);
    CHECK(run.report.mem_after == want.mem_after);
    return run;
}

// Two loops over different registers: the first writes mem[32 + i] = mem[i] + 1 for i < 8
// (r2, r3, r6, r9); the second, entered in its middle, sums those bytes into r5 and stores each
// running sum at mem[48 + i] (r3, r4, r5, r8, r9), leaving by a jump out of its middle (or by a
// second one if a byte were above 100). r7's upper half lives across both loops.
constexpr const char* kTwoLoops =
    "mov %r9, %r1\nmov %r6, 0\nlddw %r7, 0x100000000\n"
    "l1:\nmov %r2, %r9\nadd %r2, %r6\nldxb %r3, [%r2+0]\nadd %r3, 1\nstxb [%r2+32], %r3\nadd %r6, 1\n"
    "jlt %r6, 8, l1\n"
    "mov %r4, 0\nmov %r5, 0\nja e\n"
    "h:\nadd %r4, 1\njge %r4, 8, done\n"
    "e:\nmov %r8, %r9\nadd %r8, %r4\nldxb %r3, [%r8+32]\njgt %r3, 100, big\nadd %r5, %r3\n"
    "stxb [%r8+48], %r5\nja h\n"
    "big:\nmov %r5, 0\n"
    "done:\nmov %r0, %r5\nadd %r0, %r7\nexit";

// An inner loop whose way out is a jump back to the outer loop's head (r0, r6 and r7 live
// across it), then a loop over other registers that weighs most in the program's choice (the
// program of tests/data/jit-loop-registers-nested.data).
constexpr const char* kNested =
    "mov %r0, 0\nmov %r6, 0\nlddw %r7, 0x200000003\no:\nadd %r6, 1\njgt %r6, 4, end\n"
    "mov %r2, 0\nmov %r3, %r7\ni:\nadd %r2, 1\njlt %r2, 6, +2\nadd %r0, %r3\nja o\n"
    "mov %r4, %r3\nrsh %r4, 3\nxor %r3, %r4\nadd %r3, %r2\nadd %r7, %r2\nja i\nend:\n"
    "mov %r5, 10\nlddw %r8, 0x300000001\nmov %r9, %r7\nlddw %r1, 0x500000000\nf:\n"
    "add %r8, %r9\nxor %r9, %r8\nrsh %r9, 1\nadd %r1, %r8\nxor %r1, %r9\nadd %r5, -1\n"
    "jne %r5, 0, f\nxor %r0, %r1\nexit";

// An inner loop entered by a jump from code after it (the program of
// tests/data/jit-loop-registers-entered-from-after.data).
constexpr const char* kEnteredFromAfter =
    "mov %r0, 0\nmov %r6, 0\nlddw %r9, 0x100000000\nja test\ninner:\nadd %r3, %r2\nlsh %r3, 1\n"
    "add %r2, 1\njlt %r2, %r4, inner\nadd %r0, %r3\nnext:\nadd %r6, 1\ntest:\njge %r6, 5, done\n"
    "mov %r2, %r6\nmov %r4, 6\nmov %r3, %r9\njset %r6, 1, inner\nja next\ndone:\nmov %r5, 10\n"
    "lddw %r8, 0x300000001\nmov %r7, %r0\nf:\nadd %r8, %r7\nxor %r7, %r8\nrsh %r7, 1\nadd %r0, %r8\n"
    "xor %r0, %r7\nadd %r5, -1\njne %r5, 0, f\nexit";

// A loop that calls a helper (the program of tests/data/jit-loop-registers-helper.data).
constexpr const char* kHelper =
    "mov %r8, %r1\nmov %r6, 0\nmov %r7, 0\na:\nmov %r1, %r8\nadd %r1, %r7\nmov %r2, 4\ncall 100\n"
    "add %r6, %r0\nadd %r7, 1\njlt %r7, 4, a\nlddw %r3, 0x100000001\nmov %r4, 0\nmov %r5, 6\n"
    "b:\nadd %r4, %r3\nlsh %r3, 1\nadd %r5, -1\njne %r5, 0, b\nmov %r0, %r4\nadd %r0, %r6\nexit";

// A loop that exits from its middle when it finds the byte 6 (mem[5] here; the program of
// tests/data/jit-loop-registers-exit.data, which looks for 0x30).
constexpr const char* kExit =
    "mov %r9, %r1\nmov %r6, 0\nmov %r7, 0\na:\nmov %r8, %r9\nadd %r8, %r6\nldxb %r8, [%r8+0]\n"
    "mul %r8, 3\nadd %r7, %r8\nadd %r6, 1\njlt %r6, 8, a\nmov %r2, 0\nlddw %r3, 0x100000000\nb:\n"
    "mov %r4, %r1\nadd %r4, %r2\nldxb %r4, [%r4+0]\njne %r4, 6, +4\nmov %r0, %r2\nadd %r0, %r3\n"
    "add %r0, %r7\nexit\nadd %r3, %r4\nadd %r2, 1\njlt %r2, 16, b\nmov %r0, %r7\nexit";

// An inner loop summing mem[0..n) (n = mem[63]) through `base + i`, which version_loops
// compiles twice, inside an outer loop whose 64-bit arithmetic on other registers weighs as
// much in the program's choice. The inner loop is the only innermost one: its own registers
// come with the versioned loop or not at all.
constexpr const char* kVersionedInner =
    "mov %r9, %r1\nldxb %r4, [%r9+63]\nmov %r0, 0\nlddw %r7, 0x100000003\nlddw %r8, 0x500000001\n"
    "mov %r1, 3\no:\nmov %r6, 0\nmov %r5, 0\na:\nmov %r2, %r9\nadd %r2, %r6\nldxb %r3, [%r2+0]\n"
    "add %r5, %r3\nadd %r6, 1\njlt %r6, %r4, a\nadd %r7, %r8\nxor %r8, %r7\nrsh %r8, 1\nadd %r7, %r5\n"
    "xor %r0, %r7\nadd %r0, %r8\nadd %r1, -1\njne %r1, 0, o\nexit";

ubpf::host::RunRequest request_for(const ubpf::host::AssemblyResult& assembled) {
    REQUIRE(assembled.error.empty());
    ubpf::host::RunRequest request;
    request.code = assembled.code;
    request.mem.resize(64);
    for (std::size_t i = 0; i < request.mem.size(); ++i) request.mem[i] = static_cast<std::uint8_t>(i + 1);
    request.budget = 1'000'000;
    return request;
}

}  // namespace

TEST_CASE("loop registers: loops with registers of their own run faster, as the interpreter runs them",
          "[jit][loop-registers]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    struct Case {
        const char* what;
        const char* source;
        std::uint64_t r0;
    };
    const Case cases[] = {
        // 2 + 3 + ... + 9 = 44, plus r7 = 2^32.
        {"two loops, the second entered in its middle", kTwoLoops, 0x10000002c},
        // From a Python transcription of the program.
        {"an inner loop leaving to the outer loop's head", kNested, 0x1bce8901a57},
        // From a Python transcription of the program.
        {"an inner loop entered from code after it", kEnteredFromAfter, 0xac1f8002638},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        const ubpf::host::AssemblyResult assembled = ubpf::host::assemble(c.source);
        const ubpf::host::RunRequest request = request_for(assembled);
        const ubpf::host::RunReport want = session.interpret(request);
        REQUIRE(want.ok);
        CHECK(want.r0 == c.r0);
        const auto own = run_as_interpreted(session, request, {}, want);
        const auto shared = run_as_interpreted(session, request, {.loop_registers = false}, want);
        run_as_interpreted(session, request, {.poison_dead_upper_halves = true}, want);
        CHECK(own.run_instructions < shared.run_instructions);
        CHECK(own.code != shared.code);
    }
    // The stores of the two loops, by hand.
    const ubpf::host::AssemblyResult assembled = ubpf::host::assemble(kTwoLoops);
    const ubpf::host::RunReport two = session.interpret(request_for(assembled));
    const std::vector<std::uint8_t> copied(two.mem_after.begin() + 32, two.mem_after.begin() + 40);
    const std::vector<std::uint8_t> sums(two.mem_after.begin() + 48, two.mem_after.begin() + 56);
    CHECK(copied == std::vector<std::uint8_t>{2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(sums == std::vector<std::uint8_t>{2, 5, 9, 14, 20, 27, 35, 44});
}

TEST_CASE("loop registers: a budget running out anywhere stops as the interpreter does",
          "[jit][loop-registers][budget]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    for (const char* source : {kTwoLoops, kNested, kEnteredFromAfter, kHelper, kExit}) {
        INFO(source);
        const ubpf::host::AssemblyResult assembled = ubpf::host::assemble(source);
        ubpf::host::RunRequest request = request_for(assembled);
        const std::uint64_t instructions = session.interpret(request).instructions;
        for (std::uint64_t budget = 0; budget <= instructions; ++budget) {  // the last one suffices
            INFO("budget " << budget);
            request.budget = budget;
            const ubpf::host::RunReport want = session.interpret(request);
            CHECK(want.ok == (budget == instructions));
            if (!want.ok) CHECK(want.error.code == ubpf::ErrorCode::budget_exhausted);
            run_as_interpreted(session, request, {}, want);
        }
    }
    // kExit leaves from its search loop (by hand): r7 = 3 * (1 + ... + 8) = 108, then index 5
    // plus 2^32 + 1 + 2 + 3 + 4 + 5, plus r7.
    const ubpf::host::AssemblyResult assembled = ubpf::host::assemble(kExit);
    CHECK(session.interpret(request_for(assembled)).r0 == 5 + 0x100000000 + 15 + 108);
}

TEST_CASE("loop registers: a versioned loop runs both its copies with its own registers",
          "[jit][loop-registers][versioned]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    const ubpf::host::AssemblyResult assembled = ubpf::host::assemble(kVersionedInner);
    struct Case {
        const char* what;
        std::uint8_t n;
        std::uint64_t r0;  // from a Python transcription of the program (0: the load fails)
    };
    const Case cases[] = {
        {"the whole memory: the copy without checks", 64, 0xe4000082f},
        {"part of it", 10, 0xe400000e8},
        {"one byte past it: the range check fails, the loop with checks stops at the load", 65, 0},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        ubpf::host::RunRequest request = request_for(assembled);
        request.mem[63] = c.n;
        const ubpf::host::RunReport want = session.interpret(request);
        CHECK(want.ok == (c.r0 != 0));
        if (want.ok) CHECK(want.r0 == c.r0);
        if (!want.ok) {
            CHECK(want.error.code == ubpf::ErrorCode::out_of_bounds_load);
            CHECK(want.error.pc == 12);  // ldxb %r3, [%r2+0] (the lddw take two slots each)
        }
        const auto own = run_as_interpreted(session, request, {.version_loops = true}, want);
        const auto shared =
            run_as_interpreted(session, request, {.version_loops = true, .loop_registers = false}, want);
        run_as_interpreted(session, request, {.poison_dead_upper_halves = true, .version_loops = true}, want);
        CHECK(own.code != shared.code);
        if (want.ok) CHECK(own.run_instructions < shared.run_instructions);
    }
    // A budget running out anywhere: in either copy, the range check or the moves.
    for (const char* source : {kVersionedInner, kTwoLoops, kNested}) {
        INFO(source);
        const ubpf::host::AssemblyResult program = ubpf::host::assemble(source);  // (request.code views it)
        ubpf::host::RunRequest request = request_for(program);
        request.mem[63] = 7;
        const std::uint64_t instructions = session.interpret(request).instructions;
        for (std::uint64_t budget = 0; budget <= instructions; ++budget) {
            INFO("budget " << budget);
            request.budget = budget;
            const ubpf::host::RunReport want = session.interpret(request);
            CHECK(want.ok == (budget == instructions));
            run_as_interpreted(session, request, {.version_loops = true}, want);
        }
    }
}
