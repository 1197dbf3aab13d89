// SPDX-License-Identifier: MIT
// The Cortex-M4 test image: the core verifier and interpreter, built from the same headers
// firmware uses, behind one entry point the host calls inside Unicorn.
#include <ubpf/host/test_helpers.hpp>
#include <ubpf/vm.hpp>

#include "image_program.hpp"
#include "layout.hpp"

namespace {

// The -Os image asks for the compact interpreter (UBPF_M4_COMPACT), as size-optimised firmware would.
#if defined(UBPF_M4_COMPACT)
constexpr ubpf::Config kConfig{.dispatch = ubpf::Dispatch::compact};
#else
constexpr ubpf::Config kConfig{};
#endif
alignas(8) std::uint8_t ebpf_stack[kConfig.stack_size()];

template <class T>
T* at(std::uint32_t address) {
    return reinterpret_cast<T*>(static_cast<std::uintptr_t>(address));
}

}  // namespace

/// Verifies and interprets the program the RunBlock describes; returns 1 on success.
extern "C" int ubpf_m4_run(ubpf::m4::RunBlock* block) {
    const ubpf::Program program{
        {at<const ubpf::Insn>(block->code_addr), block->code_count},
        block->allow_all != 0 ? ubpf::HelperPolicy::all()
                              : ubpf::HelperPolicy::only(std::span<const std::uint32_t>{
                                    at<const std::uint32_t>(block->allowed_addr), block->allowed_count})};
    block->ok = 0;
    const auto verified = ubpf::verify<kConfig>(program, ubpf::host::test_helpers::kAll);
    if (!verified) {
        block->error_code = static_cast<std::uint32_t>(verified.error().code);
        block->error_pc = verified.error().pc;
        return 0;
    }
    // Tell the host where verification ends, so it can count the run's instructions alone.
    if (block->mark != 0) reinterpret_cast<void (*)()>(static_cast<std::uintptr_t>(block->mark))();
    ubpf::Region regions[2];
    std::size_t count = 0;
    if (block->mem_len != 0)
        regions[count++] =
            ubpf::Region::of(at<void>(block->mem_addr), block->mem_len, ubpf::Access::read_write);
    if (block->rodata_len != 0)
        regions[count++] = ubpf::Region::read_only(at<const void>(block->rodata_addr), block->rodata_len);
    ubpf::Execution exec;
    exec.stack = ebpf_stack;
    exec.regions = {regions, count};
    exec.args = {block->mem_len != 0 ? block->mem_addr : 0u, block->mem_len,
                 block->rodata_len != 0 ? block->rodata_addr : 0u, block->rodata_len};
    exec.budget = block->budget;
    const auto outcome = ubpf::Interpreter<kConfig>::run(*verified, exec);
    if (!outcome) {
        block->error_code = static_cast<std::uint32_t>(outcome.error().code);
        block->error_pc = outcome.error().pc;
        return 0;
    }
    block->ok = 1;
    block->r0 = outcome->r0;
    block->instructions = outcome->instructions;
    return 1;
}

/// Loads the program image the RunBlock points at (relocating it in place, so its addresses are
/// this CPU's), verifies it against the seed's helpers and interprets it; returns 1 on success.
extern "C" int ubpf_m4_run_image(ubpf::m4::RunBlock* block) {
    using namespace ubpf::m4;
    block->ok = 0;
    const auto image = load_block_image(*block);
    if (!image) return block_fail(block, image.error());
    const auto verified =
        ubpf::verify<kConfig>(image->program(requested_policy(*block)), ubpf::seed::kHelpers);
    if (!verified) return block_fail(block, verified.error());
    block_mark(block->mark);
    ImageWorld world(*block);
    ubpf::Region regions[2];
    ubpf::Execution exec = block_execution(*block, regions, ebpf_stack);
    exec.user = &world.env;
    return block_finish(block, ubpf::Interpreter<kConfig>::run(*verified, exec));
}

/// The same image with the VM left out: the footprint of the VM is the difference.
extern "C" int ubpf_m4_empty(ubpf::m4::RunBlock* block) {
    block->ok = 0;
    return 0;
}
