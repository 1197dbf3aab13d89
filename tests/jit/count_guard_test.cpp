// SPDX-License-Identifier: MIT
// Count guards (jit::Compiler's EntryGuard) on the emulated Cortex-M4: a loop's 64-bit count down
// to 0 runs in 32 bits only when nothing but its step and its test sees it. Here the count is
// stored in every pass, and a budget ends the run while it is above 2^32, so the memory it
// leaves shows whether the count was still 64-bit. Values by hand; the interpreter agrees.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/host/environment.hpp>

#include "jit_image.hpp"

TEST_CASE("count guards: a count read by other instructions stays 64-bit", "[jit][count-guard]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    struct Case {
        const char* what;
        const char* source;
        std::uint64_t budget;              // 10 passes, after the instructions before the loop
        std::uint32_t error_pc;            // the loop's first instruction, not covered
        std::vector<std::uint8_t> stored;  // mem[8..16) after the run
    };
    // The count r2 = 2^32 + 5 (mem[0..8)).
    const Case cases[] = {
        {"the count stored in each pass: its 10th value is 2^32 + 5 - 9 = 0xfffffffc (with its "
         "lower half counted from 0xffffffff, as a guard would, 0x1fffffff6)",
         "ldxdw %r2, [%r1+0]\nl:\nstxdw [%r1+8], %r2\nadd %r2, -1\njne %r2, 0, l\nmov %r0, 0\nexit",
         1 + 3 * 10,
         1,
         {0xfc, 0xff, 0xff, 0xff, 0, 0, 0, 0}},
        {"a guarded count, the pass number stored in each pass: 10 (r3 counts 1, 2, ...)",
         "ldxdw %r2, [%r1+0]\nmov %r3, 0\nl:\nadd %r3, 1\nstxdw [%r1+8], %r3\nadd %r2, -1\njne %r2, 0, l\n"
         "mov %r0, 0\nexit",
         2 + 4 * 10,
         2,
         {10, 0, 0, 0, 0, 0, 0, 0}},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        const ubpf::host::AssemblyResult assembled = ubpf::host::assemble(c.source);
        REQUIRE(assembled.error.empty());
        ubpf::host::RunRequest request;
        request.code = assembled.code;
        request.mem = {5, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        request.budget = c.budget;
        session.set_options({});
        const ubpf::host::RunReport want = session.interpret(request);
        const ubpf::m4::JitImageRun run = session.run(request);
        REQUIRE_FALSE(run.fault.has_value());
        REQUIRE(run.mismatch.empty());
        CHECK_FALSE(run.report.ok);
        CHECK(run.report.error == want.error);
        CHECK(run.report.error == ubpf::Error{ubpf::ErrorCode::budget_exhausted, c.error_pc});
        REQUIRE(run.report.mem_after.size() == 16);
        CHECK(std::vector<std::uint8_t>(run.report.mem_after.begin() + 8, run.report.mem_after.end()) ==
              c.stored);
        CHECK(run.report.mem_after == want.mem_after);
    }
}
