// SPDX-License-Identifier: MIT
// Running JIT code on the Cortex-M: sets up the context block for one run (registers, budget,
// the inline-checked region, runtime pointers) and calls the code. Only on 32-bit ARM, the
// target the code is for; the compiler itself (compiler.hpp) builds anywhere.
#pragma once

#include <cstdint>
#include <span>

#include "../interpreter.hpp"
#include "compiler.hpp"
#include "context.hpp"

namespace ubpf::jit {

/// The entries of one region's inline-check table in `used` (bit kind * 4 + log2(size)):
/// {start, the number of valid start offsets} (0 when the region is too small or lacks the
/// permission). JIT code reads no other entry.
inline void fill_checks(Context::Check* table, const Region& r, std::uint32_t used) noexcept {
    for (used &= 0xfffu; used != 0; used &= used - 1) {
        const auto k = static_cast<unsigned>(std::countr_zero(used));
        const Access need = access_need(static_cast<AccessKind>(k / 4));
        const std::size_t len = std::size_t{1} << (k % 4);
        table[k] = {static_cast<std::uint32_t>(r.start), grants(r.access, need) && r.size >= len
                                                             ? static_cast<std::uint32_t>(r.size - len + 1)
                                                             : 0};
    }
}

/// True when every region of `memory` lies below kRegionCeiling, as JIT code needs.
[[nodiscard]] inline bool below_ceiling(const MemoryMap& memory) noexcept {
    const auto fits = [](const Region& r) {
        return r.size == 0 || (r.start < kRegionCeiling && r.size <= kRegionCeiling - r.start);
    };
    for (const Region& r : memory.regions())
        if (!fits(r)) return false;
    for (const Region& r : memory.program_regions())
        if (!fits(r)) return false;
    return fits(memory.stack());
}

/// Fills the part of `c` that does not depend on where the code is, for code compiled with
/// `checks` (Compiled::checks). The code checks accesses inline against `fast`, the stack and
/// the program's own first ctx::kDataRegions regions (any other access goes through
/// runtime::memory, which checks them all). Field by field rather than `c = Context{}`, which
/// would clear and copy the whole block.
inline void prepare(Context& c, const MemoryMap& memory, HelperContext& helpers,
                    std::span<const Helper> helper_table, const HelperPolicy& policy, const Region& fast,
                    const std::uint32_t (&checks)[2], std::uint64_t budget,
                    const std::atomic<bool>* stop = nullptr) noexcept {
    for (std::uint32_t& r : c.regs) r = 0;
    c.entry_sp = 0;
    c.error = 0;
    c.pending = 0;
    c.split = 0;
    c.stop = stop;
    c.helpers = helper_table;
    c.policy = policy;
    c.memory = &memory;
    c.helper_context = &helpers;
    // Capped like the interpreter's 32-bit counter on a 32-bit target; the JIT's counter is
    // signed (and sliced with a stop flag), so what does not fit it waits in the reserve. (The
    // compiler's count guards rely on the cap: no run counts a loop down 2^31 times.)
    const std::uint32_t total = budget < 0xfffffffeu ? static_cast<std::uint32_t>(budget) : 0xfffffffeu;
    c.budget = total < c.counter_cap() ? total : c.counter_cap();
    c.reserve = total - c.budget;
    c.stack_base = static_cast<std::uint32_t>(memory.stack().start);
    c.fast_start = static_cast<std::uint32_t>(fast.start);
    fill_checks(c.fast_check, fast, checks[0]);
    fill_checks(c.stack_check, memory.stack(), checks[0] >> 16);
    const std::span<const Region> own = memory.program_regions();
    for (unsigned j = 0; j < ctx::kDataRegions && j < own.size(); ++j)
        fill_checks(c.data_check[j], own[j], checks[1] >> (16 * j));
}

#if defined(__arm__) && defined(__thumb2__)

/// Runs code compiled by Compiler<C> from `code` (the buffer it was compiled into, of which the
/// first compiled.size bytes are needed) on this CPU. The caller has made the buffer executable
/// (and synchronised caches where the core has them). program.code is not read: the bytecode
/// may be gone; the program's helpers, policy and regions are. Execution::stop is read every
/// kStopSlice instructions (when the budget counter is refilled), as the interpreter does.
template <Config C>
[[nodiscard]] Result<Outcome> run(const VerifiedProgram<C>& program, const std::uint8_t* code,
                                  Compiled compiled, const Execution& exec) noexcept {
    if (const Error e = ubpf::detail::check_execution<C>(exec); e.code != ErrorCode::none) return e;
    const MemoryMap memory = ubpf::detail::memory_of(program, exec);
    if (!below_ceiling(memory)) return Error{ErrorCode::jit_region_too_high, 0};
    HelperContext helper_context{memory, exec.user};
    const Region fast = !exec.regions.empty()      ? exec.regions[0]
                        : !program.regions.empty() ? program.regions[0]
                                                   : memory.stack();
    Context c;
    prepare(c, memory, helper_context, program.helpers, program.policy, fast, compiled.checks, exec.budget,
            exec.stop);
    c.fn_slow = reinterpret_cast<std::uintptr_t>(&runtime::slow);
    c.fn_helper = reinterpret_cast<std::uintptr_t>(&runtime::helper);
    c.fn_divide[0] = reinterpret_cast<std::uintptr_t>(&runtime::div64);
    c.fn_divide[1] = reinterpret_cast<std::uintptr_t>(&runtime::mod64);
    c.fn_divide[2] = reinterpret_cast<std::uintptr_t>(&runtime::sdiv64);
    c.fn_divide[3] = reinterpret_cast<std::uintptr_t>(&runtime::smod64);
    for (std::size_t i = 0; i < exec.args.size(); ++i) c.set_reg(static_cast<unsigned>(1 + i), exec.args[i]);
    c.set_reg(isa::kFramePointer, reinterpret_cast<std::uintptr_t>(exec.stack.data()) + C.stack_size());
    const std::uint32_t start = c.budget + c.reserve;
    using Entry = int (*)(Context*);
    const auto entry = reinterpret_cast<Entry>(reinterpret_cast<std::uintptr_t>(code + compiled.entry) | 1u);
    if (entry(&c) != 0) return Error{static_cast<ErrorCode>(c.error >> 16), c.error & 0xffff};
    return Outcome{c.reg(0), start - (c.budget + c.reserve)};
}

#endif

}  // namespace ubpf::jit
