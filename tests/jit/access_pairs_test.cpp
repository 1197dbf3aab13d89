// SPDX-License-Identifier: MIT
// Two stores through one base register under one check (jit::Compiler::access_partner()) on
// the emulated Cortex-M4. When that check misses and the second store fails, the runtime makes
// the first store itself (runtime::memory()), from the register or context word the stub names:
// memory is left as the interpreter leaves it. Expected errors and bytes by hand; the
// interpreter (in the same image) agrees.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/host/environment.hpp>
#include <ubpf/jit/context.hpp>

#include "run_both.hpp"

namespace {

using ubpf::ErrorCode;
using ubpf::jit::SiteKind;
using ubpf::jit::StubData;

/// The data of the stubs in `code` that check a pair of accesses: what follows each BL to the
/// slow routine at offset 0 (halfword by halfword; the data between the code holds no BL to 0).
std::vector<StubData> pair_sites(const std::vector<std::uint8_t>& code) {
    std::vector<StubData> sites;
    const auto half = [&](std::size_t at) {
        return static_cast<std::uint32_t>(code[at] | code[at + 1] << 8);
    };
    for (std::size_t at = 0; at + 12 <= code.size(); at += 2) {
        const std::uint32_t hw1 = half(at), hw2 = half(at + 2);
        if ((hw1 & 0xf800) != 0xf000 || (hw2 & 0xd000) != 0xd000) continue;  // BL (T1)
        const std::uint32_t s = (hw1 >> 10) & 1, j1 = (hw2 >> 13) & 1, j2 = (hw2 >> 11) & 1;
        const std::uint32_t i1 = (j1 ^ s) ^ 1, i2 = (j2 ^ s) ^ 1;
        std::uint32_t imm = s << 24 | i1 << 23 | i2 << 22 | (hw1 & 0x3ff) << 12 | (hw2 & 0x7ff) << 1;
        if (s != 0) imm |= 0xfe000000u;
        if (static_cast<std::uint32_t>(at + 4) + imm != 0) continue;  // not to offset 0
        StubData d{};
        std::memcpy(&d, code.data() + at + 4, 8);
        if (d.kind() == SiteKind::pair) sites.push_back(d);
    }
    return sites;
}

using ubpf::test::Ran;
using ubpf::test::run_both;

// 0xaa into [r1+3], then 0xab into [r1+4]: a store pair whose first value is in an ARM register.
const std::string kTwoBytes =
    "mov %r2, 0xaa\nstxb [%r1+3], %r2\nadd32 %r2, 1\nstxb [%r1+4], %r2\nmov %r0, 0\nexit";

}  // namespace

TEST_CASE("store pairs: one check for both, and the first store is made when the second fails",
          "[jit][pairs]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");

    SECTION("both inside: one check, both stored") {
        const Ran r = run_both(session, kTwoBytes, {1, 2, 3, 4, 5});
        const std::vector<StubData> sites = pair_sites(r.run.code);
        REQUIRE(sites.size() == 1);
        CHECK(sites[0].pair_stores());
        CHECK_FALSE(sites[0].pair_value_in_context());
        CHECK(sites[0].pc == 1);
        CHECK(sites[0].target == 3);
        CHECK(r.run.report.ok);
        CHECK(r.run.report.mem_after == std::vector<std::uint8_t>{1, 2, 3, 0xaa, 0xab});
        CHECK(r.want.mem_after == r.run.report.mem_after);
    }
    SECTION("the second past the end: its error, and the first stored") {
        const Ran r = run_both(session, kTwoBytes, {1, 2, 3, 4});
        CHECK(r.run.report.error == ubpf::Error{ErrorCode::out_of_bounds_store, 3});
        CHECK(r.run.report.mem_after == std::vector<std::uint8_t>{1, 2, 3, 0xaa});
        CHECK(r.want.error == r.run.report.error);
        CHECK(r.want.mem_after == r.run.report.mem_after);
    }
    SECTION("the budget ends before the second: the first stored, the second not") {
        // Three instructions run (mov, stxb, add32); the second store is inside the memory.
        const Ran r = run_both(session, kTwoBytes, {1, 2, 3, 4, 5}, 3);
        CHECK(r.run.report.error == ubpf::Error{ErrorCode::budget_exhausted, 3});
        CHECK(r.run.report.mem_after == std::vector<std::uint8_t>{1, 2, 3, 0xaa, 5});
        CHECK(r.want.error == r.run.report.error);
        CHECK(r.want.mem_after == r.run.report.mem_after);
    }
    SECTION("the first below the start: its error, nothing stored") {
        const Ran r =
            run_both(session, "mov %r2, 0xaa\nstxb [%r1-1], %r2\nstxb [%r1+0], %r2\nexit", {1, 2, 3, 4});
        REQUIRE(pair_sites(r.run.code).size() == 1);
        CHECK(r.run.report.error == ubpf::Error{ErrorCode::out_of_bounds_store, 1});
        CHECK(r.run.report.mem_after == std::vector<std::uint8_t>{1, 2, 3, 4});
        CHECK(r.want.error == r.run.report.error);
    }
    SECTION("the first value in the context: stored from there") {
        // r2-r9 fill the registers in the loop; r0 (0x5a), read once after it, stays in the
        // context. The second store, of 0x5a + r2, is past the end.
        const Ran r = run_both(session,
                               "mov32 %r0, 0x5a\nmov32 %r2, 1\nmov32 %r3, 2\nmov32 %r4, 3\nmov32 %r5, 4\n"
                               "mov32 %r6, 5\nmov32 %r7, 6\nmov32 %r8, 7\nmov32 %r9, 8\nl:\n"
                               "add32 %r2, %r3\nadd32 %r3, %r4\nadd32 %r4, %r5\nadd32 %r5, %r6\n"
                               "add32 %r6, %r7\nadd32 %r7, %r8\nadd32 %r8, %r9\nadd32 %r9, 1\n"
                               "jlt32 %r9, 20, l\nstxb [%r1+3], %r0\nadd32 %r0, %r2\nstxb [%r1+4], %r0\n"
                               "mov %r0, %r9\nexit",
                               {1, 2, 3, 4});
        const std::vector<StubData> sites = pair_sites(r.run.code);
        REQUIRE(sites.size() == 1);
        CHECK(sites[0].pair_stores());
        CHECK(sites[0].pair_value_in_context());
        CHECK(sites[0].pair_value_reg() == 0);
        CHECK(r.run.report.error == ubpf::Error{ErrorCode::out_of_bounds_store, 20});
        CHECK(r.run.report.mem_after == std::vector<std::uint8_t>{1, 2, 3, 0x5a});
        CHECK(r.want.error == r.run.report.error);
        CHECK(r.want.mem_after == r.run.report.mem_after);
    }
}
