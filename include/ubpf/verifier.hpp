// SPDX-License-Identifier: MIT
// The verifier: proves the structural facts the interpreter and the JIT rely on, so they need
// not check them again. Everything about a program that can be known before running it is
// checked here; memory accesses through registers are checked at run time.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "config.hpp"
#include "error.hpp"
#include "helpers.hpp"
#include "isa.hpp"

namespace ubpf {

/// A program as loaded: its instructions, the helpers it may call, and its own memory (the
/// .data and .rodata a loader found in its image). The spans must outlive every run.
struct Program {
    std::span<const Insn> code;
    HelperPolicy helpers{};
    std::span<const Region> regions{};
    /// The instruction the program starts at (its `main`); local functions may come before it.
    std::uint32_t entry = 0;
};

/// A program the verifier accepted, with what later stages need to know about it.
template <Config C = Config{}>
struct VerifiedProgram {
    std::span<const Insn> code;
    HelperPolicy policy{};
    std::span<const Helper> helpers;
    std::span<const Region> regions;  ///< the program's own memory, besides the caller's
    std::uint32_t entry = 0;          ///< the first instruction to run
    /// Where the code starts (index 0), where `entry` is, and every local function, in ascending
    /// order: the functions the code is split into.
    std::array<std::uint32_t, C.max_functions> function_starts{};
    std::size_t function_count = 0;

    [[nodiscard]] std::span<const std::uint32_t> functions() const noexcept {
        return {function_starts.data(), function_count};
    }
};

/// Views raw byte code as instructions without copying. Fails when the size is not a multiple
/// of 8 or the buffer is not aligned for Insn.
[[nodiscard]] inline Result<std::span<const Insn>> as_code(std::span<const std::uint8_t> bytes) noexcept {
    if (bytes.size() % sizeof(Insn) != 0)
        return Error{ErrorCode::program_size_not_multiple, static_cast<std::uint32_t>(bytes.size() / 8)};
    if (reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(Insn) != 0)
        return Error{ErrorCode::program_misaligned, 0};
    return std::span<const Insn>{reinterpret_cast<const Insn*>(bytes.data()), bytes.size() / sizeof(Insn)};
}

namespace detail {

/// Why an instruction with a known opcode matched no row: named after the selecting field.
constexpr ErrorCode no_variant_error(const isa::OpInfo& first) noexcept {
    using isa::Op;
    switch (first.select) {
        case isa::Select::off:
            return ErrorCode::invalid_offset;
        case isa::Select::src:
            return first.op == Op::lddw ? ErrorCode::unsupported_lddw : ErrorCode::unsupported_call;
        case isa::Select::imm:
            return isa::is_atomic(first.op) ? ErrorCode::invalid_atomic_operation
                                            : ErrorCode::invalid_byteswap_width;
        case isa::Select::none:
            break;
    }
    return ErrorCode::unknown_opcode;
}

/// Decodes one instruction and checks everything about it that needs no other instruction.
constexpr Result<isa::Id> check_fields(const Insn& insn) noexcept {
    using isa::Field;
    const isa::Id id = isa::decode(insn);
    if (id == isa::Id::invalid) {
        const isa::Id first = isa::kFirstRow[insn.opcode];
        if (first != isa::Id::invalid) return Error{no_variant_error(isa::info(first))};
        // neg with the source-register bit (0x8c, 0x8f) is not in RFC 9669: neg has no operand.
        const auto without_source = static_cast<std::uint8_t>(insn.opcode & ~isa::kSourceRegister);
        if (without_source == isa::info(isa::Id::neg32).opcode ||
            without_source == isa::info(isa::Id::neg64).opcode)
            return Error{ErrorCode::neg_with_source};
        return Error{ErrorCode::unknown_opcode};
    }
    const isa::OpInfo& row = isa::info(id);
    // Fields in use: the operands, plus the field that selects this row among its opcode's rows.
    unsigned used = row.fields;
    if (row.select == isa::Select::off) used |= isa::kOff;
    if (row.select == isa::Select::imm) used |= isa::kImm;
    if (row.select == isa::Select::src) used |= isa::kSrc;
    if (!(used & isa::kDst) && insn.dst() != 0) return Error{ErrorCode::nonzero_dst};
    if (!(used & isa::kSrc) && insn.src() != 0) return Error{ErrorCode::nonzero_src};
    if (!(used & isa::kOff) && insn.off != 0) return Error{ErrorCode::nonzero_offset};
    if (!(used & isa::kImm) && insn.imm != 0) return Error{ErrorCode::nonzero_imm};
    if ((row.fields & isa::kDst) && insn.dst() >= isa::kRegisterCount)
        return Error{ErrorCode::invalid_dst_register};
    if ((row.fields & isa::kSrc) && insn.src() >= isa::kRegisterCount)
        return Error{ErrorCode::invalid_src_register};
    if ((isa::writes_dst(row.op) && insn.dst() == isa::kFramePointer) ||
        (isa::writes_src(row.op) && insn.src() == isa::kFramePointer))
        return Error{ErrorCode::write_to_r10};
    return id;
}

/// True when `target` is the second slot of an lddw. Valid because a verified second slot has
/// opcode 0, so an lddw opcode right before `target` is always a first slot.
constexpr bool is_second_slot(std::span<const Insn> code, std::size_t target) noexcept {
    return target > 0 && code[target - 1].opcode == isa::info(isa::Id::lddw).opcode;
}

}  // namespace detail

/// Verifies `program` against configuration C and the registered `helpers`.
template <Config C = Config{}>
[[nodiscard]] Result<VerifiedProgram<C>> verify(const Program& program,
                                                std::span<const Helper> helpers) noexcept {
    static_assert(C.max_functions >= 1 && C.max_call_depth >= 1);
    const std::span<const Insn> code = program.code;
    const std::size_t n = code.size();
    if (n == 0) return Error{ErrorCode::program_empty, 0};
    if (n > C.max_instructions)
        return Error{ErrorCode::program_too_large, static_cast<std::uint32_t>(C.max_instructions)};

    for (const Region& r : program.regions)
        if (!r.well_formed()) return Error{ErrorCode::invalid_region, 0};
    if (!program.helpers.ok()) return Error{ErrorCode::helper_list_invalid, 0};

    VerifiedProgram<C> out;
    out.code = code;
    out.policy = program.helpers;
    out.regions = program.regions;
    out.helpers = helpers;
    out.function_starts[0] = 0;
    out.function_count = 1;
    out.entry = program.entry;
    if (program.entry >= n || detail::is_second_slot(code, program.entry))
        return Error{ErrorCode::entry_out_of_bounds, program.entry};
    if (program.entry != 0) {
        if (C.max_functions < 2) return Error{ErrorCode::too_many_functions, program.entry};
        out.function_starts[1] = program.entry;
        out.function_count = 2;
    }
    const auto fail = [](ErrorCode why, std::size_t pc) {
        return Error{why, static_cast<std::uint32_t>(pc)};
    };

    // Pass 1: each instruction on its own, jump and call targets, helper ids.
    for (std::size_t pc = 0; pc < n; ++pc) {
        const Insn& insn = code[pc];
        const Result<isa::Id> id = detail::check_fields(insn);
        if (!id) return fail(id.error().code, pc);
        const isa::OpInfo& row = isa::info(*id);
        const auto target =
            static_cast<std::int64_t>(pc) + 1 +
            (row.form == isa::Form::jump_long || row.op == isa::Op::call_local ? insn.imm : insn.off);
        switch (row.op) {
            case isa::Op::lddw: {
                if (pc + 1 >= n) return fail(ErrorCode::lddw_incomplete, pc);
                const Insn& second = code[pc + 1];
                if (second.opcode != 0 || second.regs != 0 || second.off != 0)
                    return fail(ErrorCode::lddw_bad_second_slot, pc + 1);
                ++pc;
                break;
            }
            case isa::Op::call_local: {
                if (target < 0 || target >= static_cast<std::int64_t>(n))
                    return fail(ErrorCode::call_out_of_bounds, pc);
                const auto t = static_cast<std::size_t>(target);
                if (detail::is_second_slot(code, t)) return fail(ErrorCode::call_into_lddw, pc);
                const auto begin = out.function_starts.begin();
                const auto end = begin + static_cast<std::ptrdiff_t>(out.function_count);
                const auto at = std::lower_bound(begin, end, static_cast<std::uint32_t>(t));
                if (at != end && *at == t) break;
                if (out.function_count == C.max_functions) return fail(ErrorCode::too_many_functions, pc);
                // Insert in order; function_starts[0] = 0 < t ends the loop. A loop with a
                // data-dependent end, not std::copy_backward, which (like a counted loop) compiles
                // to a call of memmove: 250 bytes on a Cortex-M.
                std::size_t i = out.function_count++;
                for (; out.function_starts[i - 1] > t; --i)
                    out.function_starts[i] = out.function_starts[i - 1];
                out.function_starts[i] = static_cast<std::uint32_t>(t);
                break;
            }
            case isa::Op::call: {
                const auto helper_id = static_cast<std::uint32_t>(insn.imm);
                if (find_helper(helpers, helper_id) == nullptr) return fail(ErrorCode::unknown_helper, pc);
                if (!program.helpers.allows(helper_id)) return fail(ErrorCode::helper_not_allowed, pc);
                break;
            }
            default:
                if (row.op == isa::Op::ja || isa::is_conditional_jump(row.op)) {
                    if (target < 0 || target >= static_cast<std::int64_t>(n))
                        return fail(ErrorCode::jump_out_of_bounds, pc);
                    if (detail::is_second_slot(code, static_cast<std::size_t>(target)))
                        return fail(ErrorCode::jump_into_lddw, pc);
                }
                break;
        }
    }

    // Pass 2: jumps stay inside their function and no function can run past its end.
    for (std::size_t f = 0; f < out.function_count; ++f) {
        const std::size_t begin = out.function_starts[f];
        const std::size_t end = f + 1 < out.function_count ? out.function_starts[f + 1] : n;
        std::size_t last = begin;
        for (std::size_t pc = begin; pc < end; pc += isa::slots(isa::info(isa::decode(code[pc])).op)) {
            last = pc;
            const Insn& insn = code[pc];
            const isa::OpInfo& row = isa::info(isa::decode(insn));
            if (row.op == isa::Op::ja || isa::is_conditional_jump(row.op)) {
                const std::int64_t target = static_cast<std::int64_t>(pc) + 1 +
                                            (row.form == isa::Form::jump_long ? insn.imm : insn.off);
                if (target < static_cast<std::int64_t>(begin) || target >= static_cast<std::int64_t>(end))
                    return fail(ErrorCode::jump_out_of_function, pc);
            }
        }
        const isa::Op last_op = isa::info(isa::decode(code[last])).op;
        if (!isa::ends_flow(last_op) || last + isa::slots(last_op) != end)
            return fail(ErrorCode::falls_off_end, last);
    }
    return out;
}

}  // namespace ubpf
