// SPDX-License-Identifier: MIT
// µBPF as bare-metal firmware on a Cortex-M4 (QEMU mps2-an386, output over semihosting).
// The firmware verifies two eBPF programs and runs them over a sensor buffer it owns:
//   1. Fletcher-16 of the samples. The program logs the checksum through a helper that prints
//      with printf, then returns it.
//   2. A byte sum with an off-by-one loop bound. The verifier accepts it (whether a load is in
//      bounds depends on register values), the run stops at the stray load, and the firmware
//      carries on.
// Then it compiles both with the JIT, on this CPU, into a buffer in RAM, and runs the Thumb-2
// code: the same results, instruction counts and error. With version_loops, and with
// blind_constants, too.
// main returns 0 only if every outcome matches a value known without running the VM.
#include <cstdint>
#include <cstdio>

#include <ubpf/jit/run.hpp>
#include <ubpf/vm.hpp>

namespace {

using ubpf::Insn;

// Fletcher-16 of r2 bytes at r1; returns sum2 << 8 | sum1 after logging it as "f16".
// Runs 14 + 8n instructions for n bytes: 4 to set up, 8 per byte (pc 4..11), the loop test
// that ends the loop, and 9 to finish (pc 12..20). For "abcdefgh": 14 + 64 = 78.
constexpr Insn kFletcher16[] = {
    Insn::make(0xb7, 6, 0, 0, 0),             //  0: mov   %r6, 0             sum1
    Insn::make(0xb7, 7, 0, 0, 0),             //  1: mov   %r7, 0             sum2
    Insn::make(0xbf, 3, 1, 0, 0),             //  2: mov   %r3, %r1
    Insn::make(0x0f, 3, 2, 0, 0),             //  3: add   %r3, %r2           r3 = end
    Insn::make(0x3d, 1, 3, 7, 0),             //  4: jge   %r1, %r3, +7       to 12
    Insn::make(0x71, 4, 1, 0, 0),             //  5: ldxb  %r4, [%r1+0]
    Insn::make(0x0f, 6, 4, 0, 0),             //  6: add   %r6, %r4
    Insn::make(0x97, 6, 0, 0, 255),           //  7: mod   %r6, 255
    Insn::make(0x0f, 7, 6, 0, 0),             //  8: add   %r7, %r6
    Insn::make(0x97, 7, 0, 0, 255),           //  9: mod   %r7, 255
    Insn::make(0x07, 1, 0, 0, 1),             // 10: add   %r1, 1
    Insn::make(0x05, 0, 0, -8, 0),            // 11: ja    -8                 to 4
    Insn::make(0x67, 7, 0, 0, 8),             // 12: lsh   %r7, 8
    Insn::make(0x4f, 7, 6, 0, 0),             // 13: or    %r7, %r6           checksum
    Insn::make(0x62, 10, 0, -8, 0x00363166),  // 14: stw   [%r10-8], 0x363166 "f16\0"
    Insn::make(0xbf, 1, 10, 0, 0),            // 15: mov   %r1, %r10
    Insn::make(0x07, 1, 0, 0, -8),            // 16: add   %r1, -8            r1 = "f16"
    Insn::make(0xbf, 2, 7, 0, 0),             // 17: mov   %r2, %r7
    Insn::make(0x85, 0, 0, 0, 1),             // 18: call  1                  log(r1, r2)
    Insn::make(0xbf, 0, 7, 0, 0),             // 19: mov   %r0, %r7           r6-r9 survive calls
    Insn::make(0x95, 0, 0, 0, 0),             // 20: exit
};

// Sum of r2 bytes at r1, with the classic bug: the loop ends on p > end instead of p >= end,
// so after the last sample it loads the byte at end.
constexpr Insn kOffByOne[] = {
    Insn::make(0xb7, 0, 0, 0, 0),   //  0: mov   %r0, 0
    Insn::make(0xbf, 3, 1, 0, 0),   //  1: mov   %r3, %r1
    Insn::make(0x0f, 3, 2, 0, 0),   //  2: add   %r3, %r2           r3 = end
    Insn::make(0x2d, 1, 3, 4, 0),   //  3: jgt   %r1, %r3, +4       to 8 (should be jge)
    Insn::make(0x71, 4, 1, 0, 0),   //  4: ldxb  %r4, [%r1+0]       stopped here when r1 == end
    Insn::make(0x0f, 0, 4, 0, 0),   //  5: add   %r0, %r4
    Insn::make(0x07, 1, 0, 0, 1),   //  6: add   %r1, 1
    Insn::make(0x05, 0, 0, -5, 0),  //  7: ja    -5                 to 3
    Insn::make(0x95, 0, 0, 0, 0),   //  8: exit
};

// log(label, value): prints "bpf log: <label> = 0x<value>" and keeps value for main to check.
// The label is an address chosen by the program, so it is only used after ctx.string() has
// found a terminated string inside memory the program may read (here: its own stack).
std::uint64_t log_value(std::uint64_t label, std::uint64_t value, std::uint64_t, std::uint64_t, std::uint64_t,
                        ubpf::HelperContext& ctx) {
    std::size_t length = 0;
    const char* text = ctx.string(label, length);
    if (text == nullptr) return 0;  // the run ends with helper_bad_pointer
    // newlib-nano's printf has no 64-bit conversions; the values logged here fit in 32 bits.
    std::printf("bpf log: %.*s = 0x%04lx\n", static_cast<int>(length), text,
                static_cast<unsigned long>(value));
    *static_cast<std::uint64_t*>(ctx.user()) = value;
    return 0;
}
constexpr ubpf::Helper kHelpers[] = {{1, log_value, "log"}};
constexpr auto kMayLog = ubpf::HelperPolicy::only({1});

// Sized for these programs instead of the defaults (4096 instructions, 8 frames of 512 bytes):
// the VM's tables shrink with it, and the eBPF stack is 64 bytes instead of 4 KB.
constexpr ubpf::Config kConfig{
    .max_instructions = 64, .max_functions = 1, .max_call_depth = 1, .stack_frame_size = 64};
alignas(8) std::uint8_t bpf_stack[kConfig.stack_size()];  // .bss
// JIT code, and 12 bytes per instruction while compiling. SRAM is executable on the Cortex-M4
// unless an MPU region says otherwise; this core has no caches to synchronise.
alignas(8) std::uint8_t jit_code[2048];  // .bss

// What a sensor driver might fill in: samples, then bookkeeping the programs must not see. Only
// `samples` is mapped, so the byte after it is real, readable RAM that is still off limits.
// Initialised data on purpose: a checksum mismatch would also catch a broken .data copy.
struct SensorFrame {
    std::uint8_t samples[8];
    std::uint32_t sequence;
};
SensorFrame frame = {{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}, 1};

// Values known independently of the VM: Fletcher-16("abcdefgh") by definition, the instruction
// count from the listing above, the faulting pc from the off-by-one listing.
constexpr std::uint64_t kExpectedChecksum = 0x0627;
constexpr std::uint64_t kExpectedInstructions = 14 + 8 * sizeof frame.samples;
static_assert(kExpectedInstructions == 78);  // the figure the output and README quote
constexpr std::uint32_t kExpectedFaultPc = 4;

int failures = 0;

void expect(bool ok, const char* what) {
    if (ok) return;
    std::printf("FAILED: %s\n", what);
    ++failures;
}

void print_error(const char* what, ubpf::Error error) {
    const std::string_view text = error.message();
    std::printf("%s: %.*s at pc %lu\n", what, static_cast<int>(text.size()), text.data(),
                static_cast<unsigned long>(error.pc));
}

}  // namespace

int main() {
    // Unbuffered, so that nothing printed is lost if a fault handler ends the run.
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    const auto cpuid = *reinterpret_cast<volatile std::uint32_t*>(0xE000ED00);
    std::printf("ubpf firmware demo, CPUID 0x%08lx\n", static_cast<unsigned long>(cpuid));

    // One run's memory: the eBPF stack plus the samples, read-only. Both programs get the same.
    const ubpf::Region regions[] = {ubpf::Region::read_only(frame.samples, sizeof frame.samples)};
    std::uint64_t logged = 0;
    ubpf::Execution exec;
    exec.stack = bpf_stack;
    exec.regions = regions;
    exec.args = {reinterpret_cast<std::uintptr_t>(frame.samples), sizeof frame.samples};
    exec.budget = 1000;  // a runaway program ends with budget_exhausted instead of hanging
    exec.user = &logged;

    // Verified once at load; the VM keeps spans into kFletcher16 and kHelpers.
    ubpf::Vm<kConfig> checksum{kHelpers};
    if (const auto loaded = checksum.load({kFletcher16, kMayLog}); !loaded) {
        print_error("fletcher16 rejected at load", loaded.error());
        return 1;
    }
    const auto sum = checksum.run(exec);
    if (sum) {
        std::printf("fletcher16: 0x%04lx in %lu instructions\n", static_cast<unsigned long>(sum->r0),
                    static_cast<unsigned long>(sum->instructions));
    } else {
        print_error("fletcher16 failed", sum.error());
    }
    expect(sum && sum->r0 == kExpectedChecksum, "fletcher16 returns 0x0627");
    expect(sum && sum->instructions == kExpectedInstructions, "fletcher16 runs 78 instructions");
    expect(logged == kExpectedChecksum, "fletcher16 logs 0x0627");

    // No helpers registered and none allowed: this program gets nothing but memory checks.
    ubpf::Vm<kConfig> buggy;
    if (const auto loaded = buggy.load({kOffByOne}); !loaded) {
        print_error("off-by-one rejected at load", loaded.error());
        return 1;
    }
    const auto bad = buggy.run(exec);
    if (bad) {
        std::printf("bad program returned 0x%lx\n", static_cast<unsigned long>(bad->r0));
    } else {
        print_error("bad program rejected at run time", bad.error());
    }
    expect(!bad && bad.error() == ubpf::Error{ubpf::ErrorCode::out_of_bounds_load, kExpectedFaultPc},
           "off-by-one stops with out_of_bounds_load at pc 4");

    // The same two programs as Thumb-2 code, compiled here by the JIT: the same outcomes.
    // Constant blinding wants a fresh seed per compilation from the board's RNG; this board
    // (QEMU's mps2-an386) has none, so a fixed one stands in.
    for (const ubpf::jit::Options options :
         {ubpf::jit::Options{}, ubpf::jit::Options{.version_loops = true},
          ubpf::jit::Options{.blind_constants = true, .blinding_seed = 0x2545f491}}) {
        const char* mode = options.version_loops     ? "jit (version_loops)"
                           : options.blind_constants ? "jit (blind_constants)"
                                                     : "jit";
        logged = 0;
        const auto code = ubpf::jit::Compiler<kConfig>::compile(checksum.program(), jit_code, {}, options);
        if (!code) {
            print_error("fletcher16 not compiled", code.error());
            return 1;
        }
        const auto jit_sum = ubpf::jit::run(checksum.program(), jit_code, *code, exec);
        std::printf("%s: fletcher16 compiled to %lu bytes of Thumb-2\n", mode,
                    static_cast<unsigned long>(code->size));
        if (jit_sum) {
            std::printf("%s: fletcher16: 0x%04lx in %lu instructions\n", mode,
                        static_cast<unsigned long>(jit_sum->r0),
                        static_cast<unsigned long>(jit_sum->instructions));
        } else {
            print_error("jit: fletcher16 failed", jit_sum.error());
        }
        expect(jit_sum && jit_sum->r0 == kExpectedChecksum, "fletcher16 as JIT code returns 0x0627");
        expect(jit_sum && jit_sum->instructions == kExpectedInstructions,
               "fletcher16 as JIT code runs 78 instructions");
        expect(logged == kExpectedChecksum, "fletcher16 as JIT code logs 0x0627");

        const auto bad_code = ubpf::jit::Compiler<kConfig>::compile(buggy.program(), jit_code, {}, options);
        if (!bad_code) {
            print_error("off-by-one not compiled", bad_code.error());
            return 1;
        }
        const auto jit_bad = ubpf::jit::run(buggy.program(), jit_code, *bad_code, exec);
        if (jit_bad) {
            std::printf("%s: bad program returned 0x%lx\n", mode, static_cast<unsigned long>(jit_bad->r0));
        } else {
            std::printf("%s: ", mode);
            print_error("bad program rejected at run time", jit_bad.error());
        }
        expect(
            !jit_bad && jit_bad.error() == ubpf::Error{ubpf::ErrorCode::out_of_bounds_load, kExpectedFaultPc},
            "off-by-one as JIT code stops with out_of_bounds_load at pc 4");
    }

    // JIT code takes pointers that passed a check as below 2^32 - 1, so jit::run refuses
    // memory at the top of the address space (nothing is there on this board: the run stops
    // before any of it is touched).
    const ubpf::Region too_high[] = {{0xffff8000u, 16, ubpf::Access::read}};
    ubpf::Execution high = exec;
    high.regions = too_high;
    const auto code = ubpf::jit::Compiler<kConfig>::compile(checksum.program(), jit_code);
    const auto refused = code ? ubpf::jit::run(checksum.program(), jit_code, *code, high)
                              : ubpf::Result<ubpf::Outcome>{code.error()};
    if (!refused) print_error("jit: a region at 0xffff8000 refused", refused.error());
    expect(!refused && refused.error() == ubpf::Error{ubpf::ErrorCode::jit_region_too_high, 0},
           "jit::run refuses a region above 0xffff0000 with jit_region_too_high");

    if (failures == 0) std::printf("all checks passed\n");
    return failures == 0 ? 0 : 1;
}
