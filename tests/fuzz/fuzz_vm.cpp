// SPDX-License-Identifier: MIT
// libFuzzer target: bytes → verifier → (if accepted) interpreter in all three dispatch modes and
// the JIT compiler.
// Input layout: program_input.hpp.
// Memory and stack live in exactly-sized heap blocks, so any access outside the regions is
// caught by AddressSanitizer. Both dispatch modes run on the same buffers (programs may compute
// with addresses) and must agree on every outcome and on the memory they leave.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <ubpf/host/environment.hpp>
#include <ubpf/jit/compiler.hpp>
#include <ubpf/vm.hpp>

#include "program_input.hpp"

namespace {

constexpr ubpf::Config kThreaded{.max_instructions = 512, .dispatch = ubpf::Dispatch::threaded};
constexpr ubpf::Config kSwitch{.max_instructions = 512, .dispatch = ubpf::Dispatch::switch_loop};
constexpr ubpf::Config kCompact{.max_instructions = 512, .dispatch = ubpf::Dispatch::compact};

template <ubpf::Config C>
ubpf::Result<ubpf::Outcome> run(std::span<const ubpf::Insn> code, std::vector<std::uint8_t>& mem,
                                std::vector<std::uint8_t>& stack) {
    const auto verified = ubpf::verify<C>({code, ubpf::HelperPolicy::all()}, ubpf::host::test_helpers::kAll);
    if (!verified) return verified.error();
    std::fill(stack.begin(), stack.end(), std::uint8_t{0});
    const ubpf::Region regions[] = {ubpf::Region::of(mem.data(), mem.size(), ubpf::Access::read_write)};
    ubpf::Execution exec;
    exec.stack = stack;
    exec.regions = regions;
    exec.args = {reinterpret_cast<std::uintptr_t>(mem.data()), mem.size()};
    exec.budget = 10'000;
    return ubpf::Interpreter<C>::run(*verified, exec);
}

/// The JIT (host build, as a cross-compiler) on every accepted program, as compiled by default,
/// with loops versioned, with constants blinded (a seed from the input) and with dead upper
/// halves poisoned: it must succeed in a large buffer, and fail cleanly (jit_buffer_too_small)
/// in an exactly-sized smaller one, whose ends AddressSanitizer watches.
void compile(std::span<const ubpf::Insn> code, std::uint32_t seed) {
    const auto verified =
        ubpf::verify<kThreaded>({code, ubpf::HelperPolicy::all()}, ubpf::host::test_helpers::kAll);
    if (!verified) return;
    using Compiler = ubpf::jit::Compiler<kThreaded>;
    for (const ubpf::jit::Options options :
         {ubpf::jit::Options{}, ubpf::jit::Options{.version_loops = true},
          ubpf::jit::Options{.blind_constants = true, .blinding_seed = seed},
          ubpf::jit::Options{.poison_dead_upper_halves = true}}) {
        // (a versioned loop is compiled twice)
        std::vector<std::uint8_t> big(code.size() * (Compiler::kScratchPerInstruction + 2 * 96) + 4096);
        const auto full = Compiler::compile(*verified, big, {}, options);
        if (!full) std::abort();  // an encoding failure, or the estimate above is wrong
        std::vector<std::uint8_t> small(full->size / 2);
        const auto part = Compiler::compile(*verified, small, {}, options);
        if (part || part.error().code != ubpf::ErrorCode::jit_buffer_too_small) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const fuzz::ProgramInput in = fuzz::split_program_input(data, size);
    const std::vector<ubpf::Insn>& code = in.code;

    static_assert(kThreaded.stack_size() == kSwitch.stack_size() &&
                  kSwitch.stack_size() == kCompact.stack_size());
    std::vector<std::uint8_t> stack(kThreaded.stack_size());
    std::vector<std::uint8_t> mem(in.mem.begin(), in.mem.end());
    const auto a = run<kThreaded>(code, mem, stack);
    const std::vector<std::uint8_t> mem_after_a = mem;
    mem.assign(in.mem.begin(), in.mem.end());
    const auto b = run<kSwitch>(code, mem, stack);
    const std::vector<std::uint8_t> mem_after_b = mem;
    mem.assign(in.mem.begin(), in.mem.end());
    const auto c = run<kCompact>(code, mem, stack);
    const auto same = [](const auto& x, const auto& y) {
        return x.ok() == y.ok() &&
               (x.ok() ? x->r0 == y->r0 && x->instructions == y->instructions : x.error() == y.error());
    };
    if (!same(a, b) || !same(a, c) || mem_after_a != mem_after_b || mem_after_a != mem)
        std::abort();  // the dispatch modes disagree
    compile(code, static_cast<std::uint32_t>(size));
    return 0;
}
