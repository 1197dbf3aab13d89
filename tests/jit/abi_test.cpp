// SPDX-License-Identifier: MIT
// JIT code as an AAPCS function: called on the emulated Cortex-M4 with sentinel values in the
// callee-saved registers, it must return them (and SP) intact, and its entry carries the Thumb
// bit. The context block is laid out by hand from the offsets in jit/context.hpp.
#include <unicorn/unicorn.h>

#include <catch2/catch.hpp>

#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/jit/compiler.hpp>
#include <ubpf/verifier.hpp>

#include "emulator.hpp"

namespace {

constexpr std::uint32_t kCtx = 0x30000000, kEbpfStack = 0x30010000, kCode = 0x30100000;
constexpr std::uint32_t kStackTop = 0x20100000;

}  // namespace

TEST_CASE("JIT code keeps r4-r11 and SP and returns through the Thumb entry", "[jit][abi]") {
    // main sets r6..r9, calls f (which clobbers r6 and r9), then adds r6 and r9: with r6-r9
    // kept across the local call, r0 = 100 + 1 + 4 = 105 (by hand).
    const auto assembled = ubpf::host::assemble(
        "mov %r6, 1\nmov %r7, 2\nmov %r8, 3\nmov %r9, 4\nstxdw [%r10-8], %r6\ncall local f\n"
        "add %r0, %r6\nadd %r0, %r9\nexit\nf:\nmov %r6, 10\nmov %r9, 20\nmov %r0, 100\nexit\n");
    REQUIRE(assembled.error.empty());
    const auto verified = ubpf::verify<ubpf::Config{}>({assembled.code}, {});
    REQUIRE(verified.ok());
    std::vector<std::uint8_t> code(4096);
    const auto compiled = ubpf::jit::Compiler<>::compile(*verified, code);
    REQUIRE(compiled.ok());
    code.resize(compiled->size);

    ubpf::m4::Emulator emu;
    emu.set_stack(kStackTop, 0x4000);
    emu.map(kCtx, 0x1000);
    emu.map(kEbpfStack, 0x1000 * 8);
    emu.map(kCode, 0x1000, false, true);
    emu.write(kCode, code);
    std::vector<std::uint32_t> ctx(ubpf::jit::ctx::kSize / 4, 0);
    const std::uint32_t frame_top = kEbpfStack + ubpf::Config{}.stack_size();
    ctx[ubpf::jit::ctx::reg(10, false) / 4] = frame_top;
    ctx[ubpf::jit::ctx::kBudget / 4] = 1000;
    ctx[ubpf::jit::ctx::kStackBase / 4] = kEbpfStack;
    emu.write(kCtx, ctx.data(), ctx.size() * 4);

    const int saved[] = {UC_ARM_REG_R4, UC_ARM_REG_R5, UC_ARM_REG_R6,  UC_ARM_REG_R7,
                         UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11};
    for (int i = 0; i < 8; ++i) emu.set_reg(saved[i], 0xc0de0000u + static_cast<std::uint32_t>(i));
    const ubpf::m4::Arg args[] = {ubpf::m4::Arg::u32(kCtx)};
    const std::uint32_t entry = kCode + compiled->entry;
    const auto result = emu.call(entry | 1, args, 100000);
    REQUIRE_FALSE(result.fault.has_value());
    CHECK(result.r0 == 0);  // status: no error
    for (int i = 0; i < 8; ++i) CHECK(emu.reg(saved[i]) == 0xc0de0000u + static_cast<std::uint32_t>(i));
    CHECK(emu.reg(UC_ARM_REG_SP) == kStackTop);
    emu.read(kCtx, ctx.data(), ctx.size() * 4);
    CHECK(ctx[ubpf::jit::ctx::reg(0, false) / 4] == 105);
    CHECK(ctx[ubpf::jit::ctx::reg(0, true) / 4] == 0);
    CHECK(ctx[ubpf::jit::ctx::reg(10, false) / 4] == frame_top);
    // 13 instructions ran (9 in main, 4 in f): the budget counter says so.
    CHECK(ctx[ubpf::jit::ctx::kBudget / 4] == 1000 - 13);
}
