// SPDX-License-Identifier: MIT
// Embedding the VM in firmware: verify a program once, then run it over a sensor buffer with
// one helper, all memory supplied by the firmware. Builds for the host and for Cortex-M4
// (see docs/embedding.md); exits 0 when the checksum is right.
#include <cstdint>

#include <ubpf/vm.hpp>

namespace {

using ubpf::Insn;

// Fletcher-16 of the buffer at r1 with length r2 (examples/fletcher16.data), which reports
// the checksum through helper 1 before returning it.
constexpr Insn kProgram[] = {
    Insn::make(0xb7, 3, 0, 0, 0),    // mov %r3, 0          sum1
    Insn::make(0xb7, 4, 0, 0, 0),    // mov %r4, 0          sum2
    Insn::make(0xb7, 5, 0, 0, 0),    // mov %r5, 0          index
    Insn::make(0x3d, 5, 2, 9, 0),    // jge %r5, %r2, +9
    Insn::make(0xbf, 6, 1, 0, 0),    // mov %r6, %r1
    Insn::make(0x0f, 6, 5, 0, 0),    // add %r6, %r5
    Insn::make(0x71, 7, 6, 0, 0),    // ldxb %r7, [%r6+0]
    Insn::make(0x0f, 3, 7, 0, 0),    // add %r3, %r7
    Insn::make(0x97, 3, 0, 0, 255),  // mod %r3, 255
    Insn::make(0x0f, 4, 3, 0, 0),    // add %r4, %r3
    Insn::make(0x97, 4, 0, 0, 255),  // mod %r4, 255
    Insn::make(0x07, 5, 0, 0, 1),    // add %r5, 1
    Insn::make(0x05, 0, 0, -10, 0),  // ja -10
    Insn::make(0xbf, 1, 4, 0, 0),    // mov %r1, %r4
    Insn::make(0x67, 1, 0, 0, 8),    // lsh %r1, 8
    Insn::make(0x4f, 1, 3, 0, 0),    // or %r1, %r3
    Insn::make(0x85, 0, 0, 0, 1),    // call 1              report(r1)
    Insn::make(0x95, 0, 0, 0, 0),    // exit                r0 = report's return value
};

// Helpers see 64-bit arguments and a context that checks pointers against the regions.
std::uint64_t reported = 0;
std::uint64_t report(std::uint64_t value, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                     ubpf::HelperContext&) {
    reported = value;
    return value;
}
constexpr ubpf::Helper kHelpers[] = {{1, report, "report"}};
constexpr auto kAllowed = ubpf::HelperPolicy::only({1});  // this program may call helper 1 only

constexpr ubpf::Config kConfig{};  // 4096 instructions, 8 frames of 512 bytes
alignas(8) std::uint8_t stack[kConfig.stack_size()];
const std::uint8_t sensor[8] = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};

}  // namespace

int main() {
    ubpf::Vm<kConfig> vm{kHelpers};
    if (const auto loaded = vm.load({kProgram, kAllowed}); !loaded) {
        // loaded.error().code, .pc and .message() say what is wrong and where.
        return 1;
    }
    const ubpf::Region regions[] = {ubpf::Region::read_only(sensor, sizeof sensor)};
    ubpf::Execution exec;
    exec.stack = stack;
    exec.regions = regions;
    exec.args = {reinterpret_cast<std::uintptr_t>(sensor), sizeof sensor};
    exec.budget = 10'000;  // no program can hang the device
    const auto result = vm.run(exec);
    if (!result) return 2;  // e.g. out_of_bounds_load at result.error().pc
    // Fletcher-16("abcdefgh") = 0x0627.
    return result->r0 == 0x0627 && reported == 0x0627 ? 0 : 3;
}
