// SPDX-License-Identifier: MIT
// Host-side disassembler: eBPF instructions to text in the bpf_conformance assembly syntax,
// which the assembler reads back to the same bytes.
#pragma once

#include <cinttypes>
#include <cstdio>
#include <span>
#include <string>

#include "../isa.hpp"

namespace ubpf::host {

namespace detail {

// Formatted with snprintf: GCC 12 at -O3 reports a false -Wrestrict on `"literal" + std::string`.
inline std::string reg(unsigned r) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%%r%u", r);
    return buf;
}

/// Small values in decimal, others as 32-bit hex, so masks read naturally.
inline std::string imm(std::int32_t v) {
    if (v > -4096 && v < 4096) return std::to_string(v);
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%" PRIx32, static_cast<std::uint32_t>(v));
    return buf;
}
inline std::string offset(std::int64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%+" PRId64, v);
    return buf;
}
inline std::string memory(unsigned r, std::int16_t off) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "[%%r%u%+d]", r, static_cast<int>(off));
    return buf;
}

}  // namespace detail

/// The instruction at `pc` as text. lddw reads its second slot from code[pc + 1].
inline std::string disassemble(std::span<const Insn> code, std::size_t pc) {
    using detail::imm;
    using detail::reg;
    const Insn& insn = code[pc];
    const isa::Id id = isa::decode(insn);
    if (id == isa::Id::invalid) {
        char buf[48];
        std::snprintf(buf, sizeof buf, "<invalid opcode 0x%02x>", insn.opcode);
        return buf;
    }
    const isa::OpInfo& row = isa::info(id);
    const std::string mn{isa::mnemonic(id)};
    switch (row.form) {
        case isa::Form::dst_imm:
            return mn + " " + reg(insn.dst()) + ", " + imm(insn.imm);
        case isa::Form::dst_src:
            return mn + " " + reg(insn.dst()) + ", " + reg(insn.src());
        case isa::Form::dst:
            return mn + " " + reg(insn.dst());
        case isa::Form::load:
            return mn + " " + reg(insn.dst()) + ", " + detail::memory(insn.src(), insn.off);
        case isa::Form::store_imm:
            return mn + " " + detail::memory(insn.dst(), insn.off) + ", " + imm(insn.imm);
        case isa::Form::store_src:
            return mn + " " + detail::memory(insn.dst(), insn.off) + ", " + reg(insn.src());
        case isa::Form::jump:
            return mn + " " + detail::offset(insn.off);
        case isa::Form::jump_long:
            return mn + " " + detail::offset(insn.imm);
        case isa::Form::cond_imm:
            return mn + " " + reg(insn.dst()) + ", " + imm(insn.imm) + ", " + detail::offset(insn.off);
        case isa::Form::cond_src:
            return mn + " " + reg(insn.dst()) + ", " + reg(insn.src()) + ", " + detail::offset(insn.off);
        case isa::Form::call_helper:
            return mn + " " + std::to_string(insn.imm);
        case isa::Form::call_local:
            return mn + " local " + detail::offset(insn.imm);
        case isa::Form::callx:
            return mn + " " + reg(insn.dst());
        case isa::Form::none:
            return mn;
        case isa::Form::lddw: {
            const std::uint32_t high =
                pc + 1 < code.size() ? static_cast<std::uint32_t>(code[pc + 1].imm) : 0;
            const std::uint64_t value =
                (static_cast<std::uint64_t>(high) << 32) | static_cast<std::uint32_t>(insn.imm);
            char buf[24];
            std::snprintf(buf, sizeof buf, "0x%" PRIx64, value);
            return mn + " " + reg(insn.dst()) + ", " + buf;
        }
    }
    return mn;
}

/// The whole program, one instruction per line (lddw second slots are skipped).
inline std::string disassemble(std::span<const Insn> code) {
    std::string out;
    for (std::size_t pc = 0; pc < code.size(); ++pc) {
        out += disassemble(code, pc);
        out += '\n';
        if (code[pc].opcode == isa::info(isa::Id::lddw).opcode) ++pc;
    }
    return out;
}

}  // namespace ubpf::host
