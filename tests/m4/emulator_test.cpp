// SPDX-License-Identifier: MIT
// The Cortex-M4 harness itself: the right CPU, AAPCS calls, faults, host functions, counting.
#include <catch2/catch.hpp>

#include <unicorn/unicorn.h>

#include <atomic>
#include <cstring>

#include "code_runner.hpp"
#include "emulator.hpp"
#include "image/layout.hpp"

using namespace ubpf::m4;

namespace {

struct Probe {
    Emulator emu;
    ElfImage image = emu.load_elf(UBPF_M4_PROBE);
    Probe() { emu.set_stack(kStackTop, kStackSize); }
    std::uint32_t fn(const char* name) const { return image.symbols.at(name); }
};

}  // namespace

TEST_CASE("the emulated core is a Cortex-M4", "[m4]") {
    Probe p;
    CHECK(p.emu.cpu_model() == UC_CPU_ARM_CORTEX_M4);
    // QADD8 (ARMv7E-M DSP) runs: per byte signed saturating 02+04=06, 01+03=04, 7f+80=ff, 7f+01=7f.
    const Arg dsp[] = {Arg::u32(0x7f7f0102), Arg::u32(0x01800304)};
    const CallResult qadd = p.emu.call(p.fn("probe_qadd8"), dsp, 100);
    REQUIRE(!qadd.fault);
    CHECK(qadd.r0 == 0x7fff0406u);
    // TT (ARMv8-M only) must not execute.
    const Arg tt[] = {Arg::u32(kRamBase)};
    const CallResult v8 = p.emu.call(p.fn("probe_tt"), tt, 100);
    REQUIRE(v8.fault);
    CHECK(v8.fault->pc == (p.fn("probe_tt") & ~1u));
}

TEST_CASE("AAPCS: 64-bit arguments in register pairs and on the stack, 64-bit result in r0:r1", "[m4]") {
    Probe p;
    // a -> r0, b -> r2:r3 (r1 skipped), c -> stack (8-aligned), d -> stack, e -> stack (8-aligned).
    const std::uint64_t b = 0x100000001ull, c = 0x0000000200000003ull, e = 0xfffffffffffffff0ull;
    const Arg args[] = {Arg::u32(7), Arg::u64(b), Arg::u64(c), Arg::u32(11), Arg::u64(e)};
    const CallResult r = p.emu.call(p.fn("probe_mix"), args, 1000);
    REQUIRE(!r.fault);
    CHECK(r.r0_r1() == 7 + b * 2 + c * 3 + 11 * 5 + e * 7);
}

TEST_CASE("memory that is not mapped faults with its address and the pc", "[m4]") {
    Probe p;
    const std::uint32_t hole = kMemBase;  // nothing mapped there in this test
    const Arg load[] = {Arg::u32(hole + 4)};
    const CallResult r = p.emu.call(p.fn("probe_load"), load, 100);
    REQUIRE(r.fault);
    CHECK(r.fault->address == hole + 4);
    CHECK(r.fault->what == "read of unmapped memory");
    CHECK((r.fault->pc & ~1u) >= (p.fn("probe_load") & ~1u));
    CHECK((r.fault->pc & ~1u) < (p.fn("probe_load") & ~1u) + p.image.sizes.at("probe_load"));

    p.emu.map(kMemBase, 16, false);  // read-only: loads work, stores fault
    p.emu.write(kMemBase, std::vector<std::uint8_t>{1, 0, 0, 0});
    const Arg ok[] = {Arg::u32(kMemBase)};
    const CallResult good = p.emu.call(p.fn("probe_load"), ok, 100);
    REQUIRE(!good.fault);
    CHECK(good.r0 == 1);
    const Arg store[] = {Arg::u32(kMemBase), Arg::u32(5)};
    const CallResult bad = p.emu.call(p.fn("probe_store"), store, 100);
    REQUIRE(bad.fault);
    CHECK(bad.fault->what == "write to read-only memory");
    CHECK(bad.fault->address == kMemBase);
}

TEST_CASE("emulated code calls host functions through the trap range", "[m4]") {
    Probe p;
    std::uint32_t seen[2] = {};
    const std::uint32_t host = p.emu.add_host_function([&](Emulator& e) {
        seen[0] = e.reg(UC_ARM_REG_R0);
        seen[1] = e.reg(UC_ARM_REG_R1);
        e.set_reg(UC_ARM_REG_R0, seen[0] * seen[1]);
    });
    CHECK((host & 1u) == 1u);  // a Thumb address
    const Arg args[] = {Arg::u32(host), Arg::u32(6)};
    const CallResult r = p.emu.call(p.fn("probe_call"), args, 1000);
    REQUIRE(!r.fault);
    CHECK(seen[0] == 6);
    CHECK(seen[1] == 7);
    CHECK(r.r0 == 6 * 7 + 1);
    // An address in the trap range with no function behind it faults.
    const Arg none[] = {Arg::u32(Emulator::kTrapBase + 0x100 + 1), Arg::u32(1)};
    CHECK(p.emu.call(p.fn("probe_call"), none, 1000).fault);
}

TEST_CASE("instructions are counted exactly and the limit stops a run", "[m4]") {
    Probe p;
    for (std::uint32_t n : {1u, 2u, 1000u}) {
        const Arg args[] = {Arg::u32(n)};
        const CallResult r = p.emu.call(p.fn("probe_loop"), args, 1'000'000);
        REQUIRE(!r.fault);
        CHECK(r.instructions == 2 * n + 1);  // subs + bne per round, then bx lr
    }
    const Arg forever[] = {Arg::u32(0)};  // 0 - 1 wraps: 2^32 rounds
    const CallResult r = p.emu.call(p.fn("probe_loop"), forever, 5000);
    REQUIRE(r.fault);
    CHECK(r.fault->what == "instruction limit reached");
    CHECK(r.instructions == 5000);
}

TEST_CASE("a malformed image is refused with a reason", "[m4]") {
    Emulator emu;
    CHECK_THROWS_WITH(emu.load_elf("/nonexistent.elf"), Catch::Contains("cannot open"));
    CHECK_THROWS_WITH(emu.load_elf(__FILE__), Catch::Contains("not a linked 32-bit ARM ELF"));
}

TEST_CASE("host memory mapped at its own address: code the host rewrites runs once dropped", "[m4]") {
    const SharedMemory shared(0x1000);
    Emulator emu;
    emu.set_stack(kStackTop, kStackSize);
    const std::span<std::uint8_t> mem = shared.bytes();
    const auto at = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(mem.data()));
    CHECK(at >= 0x60000000u);                    // the M4's executable external RAM range
    const auto put = [&](std::uint16_t first) {  // movs r0, #imm; bx lr
        const std::uint16_t code[] = {first, 0x4770};
        std::memcpy(mem.data(), code, sizeof code);
    };
    put(0x2001);
    emu.map_host(at, mem);
    CHECK(emu.call(at, {}, 10).r0 == 1);
    put(0x2002);  // written by the host, unseen by the emulator's translation cache ...
    CHECK(emu.call(at, {}, 10).r0 == 1);
    emu.drop_translations(at, at + 4);  // ... until it drops it
    CHECK(emu.call(at, {}, 10).r0 == 2);
    // And the CPU's stores land in the host's bytes.
    const std::uint16_t store[] = {0x6001, 0x4770};  // str r1, [r0]; bx lr
    std::memcpy(mem.data() + 16, store, sizeof store);
    const Arg args[] = {Arg::u32(at + 64), Arg::u32(0xfeedf00d)};
    REQUIRE(!emu.call(at + 16, args, 10).fault);
    std::uint32_t seen = 0;
    std::memcpy(&seen, mem.data() + 64, sizeof seen);
    CHECK(seen == 0xfeedf00du);
}

TEST_CASE("the interrupt check ends an endless call between slices", "[m4]") {
    Probe p;
    int checks = 0;
    p.emu.set_interrupt([&] { return ++checks == 3; });
    const Arg forever[] = {Arg::u32(0)};  // 2^32 rounds
    const CallResult r = p.emu.call(p.fn("probe_loop"), forever, UINT64_MAX);
    CHECK(r.interrupted);
    CHECK(!r.fault);
    CHECK(checks == 3);
    CHECK(r.instructions == 2 * Emulator::kInterruptSlice);  // checked at 0, one slice, two slices
    p.emu.set_interrupt({});
    const Arg some[] = {Arg::u32(10)};
    CHECK(!p.emu.call(p.fn("probe_loop"), some, 100).interrupted);
}
