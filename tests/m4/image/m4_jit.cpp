// SPDX-License-Identifier: MIT
// The Cortex-M4 JIT image: the core verifier and the Thumb-2 JIT, built from the same headers
// firmware uses. It compiles the program into a buffer in RAM and runs the code it made.
#include <cstring>
#include <type_traits>
#include <utility>

#include <ubpf/host/test_helpers.hpp>
#include <ubpf/jit/compiler.hpp>
#include <ubpf/jit/run.hpp>
#include <ubpf/vm.hpp>

#include "image_program.hpp"
#include "jit_layout.hpp"

namespace {

constexpr ubpf::Config kConfig{};
alignas(8) std::uint8_t ebpf_stack[kConfig.stack_size()];

ubpf::Result<ubpf::VerifiedProgram<kConfig>> verify(ubpf::m4::RunBlock* block) {
    // Each run starts from a zeroed stack, as a fresh image does (the host may run several).
    std::memset(ebpf_stack, 0, sizeof ebpf_stack);
    const ubpf::Program program{
        {ubpf::m4::image_at<const ubpf::Insn>(block->code_addr), block->code_count},
        block->allow_all != 0
            ? ubpf::HelperPolicy::all()
            : ubpf::HelperPolicy::only(std::span<const std::uint32_t>{
                  ubpf::m4::image_at<const std::uint32_t>(block->allowed_addr), block->allowed_count})};
    block->ok = 0;
    return ubpf::verify<kConfig>(program, ubpf::host::test_helpers::kAll);
}
/// Compiles into the JIT block's buffer with its options, and reports size and entry there.
ubpf::Result<ubpf::jit::Compiled> compile(const ubpf::VerifiedProgram<kConfig>& program,
                                          ubpf::m4::JitBlock* jit) {
    const auto compiled = ubpf::jit::Compiler<kConfig>::compile(
        program, {ubpf::m4::image_at<std::uint8_t>(jit->code_addr), jit->code_capacity}, {},
        {.poison_dead_upper_halves = (jit->options & ubpf::m4::kJitPoison) != 0,
         .version_loops = (jit->options & ubpf::m4::kJitVersionLoops) != 0,
         .loop_registers = (jit->options & ubpf::m4::kJitNoLoopRegisters) == 0,
         .blind_constants = (jit->options & ubpf::m4::kJitBlind) != 0,
         .blinding_seed = jit->blinding_seed});
    if (compiled) {
        jit->compiled = 1;
        jit->code_size = compiled->size;
        jit->entry = compiled->entry;
    }
    return compiled;
}
/// JIT code runs without its bytecode: once compiled, the instructions are overwritten with
/// invalid opcodes, so any run that still read them would fail or differ from the interpreter.
void drop_bytecode(const ubpf::VerifiedProgram<kConfig>& program) {
    for (const ubpf::Insn& insn : program.code)
        const_cast<ubpf::Insn&>(insn) = ubpf::Insn::make(0xff, 15, 15, -1, -1);
}

}  // namespace

/// Verifies, compiles and runs the program the blocks describe; returns 1 on success.
extern "C" int ubpf_m4_jit(ubpf::m4::RunBlock* block, ubpf::m4::JitBlock* jit) {
    jit->compiled = 0;
    const auto verified = verify(block);
    if (!verified) return ubpf::m4::block_fail(block, verified.error());
    ubpf::m4::block_mark(block->mark);
    const auto compiled = compile(*verified, jit);
    if (!compiled) return ubpf::m4::block_fail(block, compiled.error());
    const std::uint8_t* code = ubpf::m4::image_at<std::uint8_t>(jit->code_addr);
    ubpf::m4::block_mark(jit->mark_compiled);
    drop_bytecode(*verified);
    ubpf::m4::block_mark(jit->mark_compiled);  // the run starts here
    ubpf::Region regions[2];
    return ubpf::m4::block_finish(
        block,
        ubpf::jit::run(*verified, code, *compiled, ubpf::m4::block_execution(*block, regions, ebpf_stack)));
}

/// The interpreter on the same stack and regions: the reference for differential tests, with
/// every address the same as the JIT code sees.
extern "C" int ubpf_m4_jit_interpret(ubpf::m4::RunBlock* block) {
    const auto verified = verify(block);
    if (!verified) return ubpf::m4::block_fail(block, verified.error());
    ubpf::m4::block_mark(block->mark);
    ubpf::Region regions[2];
    return ubpf::m4::block_finish(
        block,
        ubpf::Interpreter<kConfig>::run(*verified, ubpf::m4::block_execution(*block, regions, ebpf_stack)));
}

/// Loads the program image the RunBlock points at (relocated in place to its M4 addresses),
/// verifies it against the seed's helpers, compiles it and runs the code; returns 1 on success.
extern "C" int ubpf_m4_jit_image(ubpf::m4::RunBlock* block, ubpf::m4::JitBlock* jit) {
    using namespace ubpf::m4;
    jit->compiled = 0;
    block->ok = 0;
    std::memset(ebpf_stack, 0, sizeof ebpf_stack);
    const auto image = load_block_image(*block);
    if (!image) return block_fail(block, image.error());
    const auto verified =
        ubpf::verify<kConfig>(image->program(requested_policy(*block)), ubpf::seed::kHelpers);
    if (!verified) return block_fail(block, verified.error());
    block_mark(block->mark);
    const auto compiled = compile(*verified, jit);
    if (!compiled) return block_fail(block, compiled.error());
    const std::uint8_t* code = image_at<std::uint8_t>(jit->code_addr);
    block_mark(jit->mark_compiled);
    ImageWorld world(*block);
    ubpf::Region regions[2];
    ubpf::Execution exec = block_execution(*block, regions, ebpf_stack);
    exec.user = &world.env;
    return block_finish(block, ubpf::jit::run(*verified, code, *compiled, exec));
}

namespace {

using ubpf::m4::CodeBlock;

/// The helper at `I` of the host's table: the call goes to the host, which runs its own helper
/// on the same memory and says how it ended.
template <std::size_t I>
std::uint64_t forward(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d, std::uint64_t e,
                      ubpf::HelperContext& ctx) {
    const auto* block = static_cast<const CodeBlock*>(ctx.user());
    ubpf::m4::HelperCall call{static_cast<std::uint32_t>(I), 0, {a, b, c, d, e}, 0, 0, 0};
    reinterpret_cast<void (*)(ubpf::m4::HelperCall*)>(static_cast<std::uintptr_t>(block->helper_trap))(&call);
    const auto outcome = static_cast<ubpf::HelperContext::Outcome>(call.outcome);
    if (outcome == ubpf::HelperContext::Outcome::fail) ctx.fail(static_cast<ubpf::ErrorCode>(call.error));
    if (outcome == ubpf::HelperContext::Outcome::exit_program) ctx.exit_program();
    return call.r0;
}
template <std::size_t... I>
constexpr std::array<ubpf::HelperFn, sizeof...(I)> forwarders(std::index_sequence<I...>) {
    return {&forward<I>...};
}
constexpr auto kForwarders = forwarders(std::make_index_sequence<ubpf::m4::kMaxCodeHelpers>{});

ubpf::Helper code_helpers[ubpf::m4::kMaxCodeHelpers];
ubpf::Region code_regions[ubpf::m4::kMaxCodeRegions], code_exec_regions[ubpf::m4::kMaxCodeRegions];

std::size_t to_regions(std::uint32_t addr, std::uint32_t count, ubpf::Region* out) {
    const auto* in = ubpf::m4::image_at<const ubpf::m4::CodeRegion>(addr);
    for (std::uint32_t i = 0; i < count; ++i)
        out[i] = {in[i].start, in[i].size, static_cast<ubpf::Access>(in[i].access)};
    return count;
}

}  // namespace

/// Runs JIT code the host compiled (CodeBlock): re-verifies the program against helpers that
/// trap to the host, then runs the code where it lies; returns 1 on success.
extern "C" int ubpf_m4_jit_run_code(CodeBlock* block) {
    using namespace ubpf;
    static_assert(std::is_trivially_copyable_v<jit::Compiled> && std::is_trivially_copyable_v<HelperPolicy>);
    static_assert(sizeof(jit::Compiled) <= m4::kCodeOpaqueBytes &&
                  sizeof(HelperPolicy) <= m4::kCodeOpaqueBytes);
    block->ok = 0;
    if (block->compiled_size != sizeof(jit::Compiled) || block->policy_size != sizeof(HelperPolicy) ||
        block->max_instructions != kConfig.max_instructions ||
        block->max_functions != kConfig.max_functions || block->max_call_depth != kConfig.max_call_depth ||
        block->stack_frame_size != kConfig.stack_frame_size || block->helper_count > m4::kMaxCodeHelpers ||
        block->region_count > m4::kMaxCodeRegions || block->exec_region_count > m4::kMaxCodeRegions) {
        block->error_code = m4::kCodeAbiMismatch;
        return 0;
    }
    const auto* described = ubpf::m4::image_at<const m4::CodeHelper>(block->helpers_addr);
    for (std::uint32_t i = 0; i < block->helper_count; ++i) {
        Helper& h = code_helpers[i];
        h = Helper{described[i].id, kForwarders[i], {}, {}};
        for (std::size_t a = 0; a < h.args.size(); ++a)
            h.args[a] = ArgSpec{static_cast<ArgKind>(described[i].kind[a]), described[i].size_from[a],
                                described[i].bytes[a]};
    }
    HelperPolicy policy;
    std::memcpy(&policy, block->policy, sizeof policy);
    const Program program{{ubpf::m4::image_at<const Insn>(block->program_addr), block->program_count},
                          policy,
                          {code_regions, to_regions(block->regions_addr, block->region_count, code_regions)},
                          block->entry};
    const auto verified = verify<kConfig>(program, {code_helpers, block->helper_count});
    const auto failed = [block](Error e) {
        block->error_code = static_cast<std::uint32_t>(e.code);
        block->error_pc = e.pc;
        return 0;
    };
    if (!verified) return failed(verified.error());
    ubpf::m4::block_mark(block->mark);
    jit::Compiled compiled;
    std::memcpy(&compiled, block->compiled, sizeof compiled);
    Execution exec;
    exec.stack = {ubpf::m4::image_at<std::uint8_t>(block->stack_addr), block->stack_len};
    exec.regions = {code_exec_regions,
                    to_regions(block->exec_regions_addr, block->exec_region_count, code_exec_regions)};
    for (std::size_t i = 0; i < exec.args.size(); ++i) exec.args[i] = block->args[i];
    exec.budget = block->budget;
    exec.user = block;  // for forward<I>
    const Result<Outcome> outcome =
        jit::run(*verified, ubpf::m4::image_at<const std::uint8_t>(block->code_addr), compiled, exec);
    if (!outcome) return failed(outcome.error());
    block->ok = 1;
    block->r0 = outcome->r0;
    block->instructions = outcome->instructions;
    return 1;
}
