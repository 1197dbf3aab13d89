// SPDX-License-Identifier: MIT
// Host-side assembler for the bpf_conformance assembly syntax:
//   mov %r0, 1            add32 %r1, %r2          ldxw %r0, [%r1+4]      stdw [%r10-8], -1
//   jeq %r1, 0x10, label  ja +2   ja32 label      call 5   call local f  call %r2
//   lock fetch add32 [%r10-8], %r1                lddw %r0, 0x1122334455667788   exit
// Labels are `name:` on their own line or before an instruction; `#` starts a comment.
#pragma once

#include <cctype>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../isa.hpp"

namespace ubpf::host {

struct AssemblyResult {
    std::vector<Insn> code;
    std::string error;  ///< empty on success, else "line N: what"
    [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

namespace detail {

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

inline bool is_identifier(std::string_view s) {
    if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_' || s[0] == '.'))
        return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
    return true;
}

/// A signed or unsigned integer in decimal or 0x-hex, with an optional sign.
inline std::optional<std::int64_t> parse_integer(std::string_view s, bool& was_hex) {
    s = trim(s);
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    int base = 10;
    was_hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (was_hex) {
        base = 16;
        s.remove_prefix(2);
    }
    std::uint64_t magnitude = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    // Decimal must fit int64; hex may use all 64 bits, but a negated one must still fit int64.
    if (negative ? magnitude > std::uint64_t{1} << 63
                 : !was_hex && magnitude > static_cast<std::uint64_t>(INT64_MAX))
        return std::nullopt;
    const auto value = static_cast<std::int64_t>(magnitude);
    return negative ? static_cast<std::int64_t>(0 - magnitude) : value;
}

/// An immediate for a 32-bit field: decimal in int32 range, or hex up to 0xffffffff.
inline std::optional<std::int32_t> parse_imm32(std::string_view s) {
    bool hex = false;
    const auto v = parse_integer(s, hex);
    if (!v) return std::nullopt;
    if (hex && *v >= 0 ? *v > 0xffffffffLL : (*v < INT32_MIN || *v > INT32_MAX)) return std::nullopt;
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(*v));
}

/// True for anything written as a register, valid or not ("%r3", "%r50", "r1").
inline bool looks_like_register(std::string_view s) {
    s = trim(s);
    if (!s.empty() && s[0] == '%') return true;
    return s.size() >= 2 && s[0] == 'r' && std::isdigit(static_cast<unsigned char>(s[1]));
}

inline std::optional<unsigned> parse_register(std::string_view s) {
    s = trim(s);
    if (!s.empty() && s[0] == '%') s.remove_prefix(1);
    if (s.size() < 2 || s[0] != 'r') return std::nullopt;
    unsigned r = 0;
    const auto [end, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), r);
    if (ec != std::errc{} || end != s.data() + s.size() || r >= isa::kRegisterCount) return std::nullopt;
    return r;
}

struct MemoryOperand {
    unsigned reg;
    std::int16_t off;
};

inline std::optional<MemoryOperand> parse_memory(std::string_view s) {
    s = trim(s);
    if (s.size() < 3 || s.front() != '[' || s.back() != ']') return std::nullopt;
    s = trim(s.substr(1, s.size() - 2));
    const std::size_t sign = s.find_first_of("+-");
    const auto r = parse_register(s.substr(0, sign));
    if (!r) return std::nullopt;
    std::int64_t off = 0;
    if (sign != std::string_view::npos) {
        bool hex = false;
        const auto v = parse_integer(s.substr(sign), hex);
        if (!v || *v < INT16_MIN || *v > INT16_MAX) return std::nullopt;
        off = *v;
    }
    return MemoryOperand{*r, static_cast<std::int16_t>(off)};
}

inline std::vector<std::string_view> split_operands(std::string_view s) {
    std::vector<std::string_view> out;
    s = trim(s);
    if (s.empty()) return out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == ',') {
            out.push_back(trim(s.substr(start, i - start)));
            start = i + 1;
        }
    }
    return out;
}

inline constexpr std::size_t operand_count(isa::Form form) {
    switch (form) {
        case isa::Form::none:
            return 0;
        case isa::Form::dst:
        case isa::Form::jump:
        case isa::Form::jump_long:
        case isa::Form::call_helper:
        case isa::Form::call_local:
        case isa::Form::callx:
            return 1;
        case isa::Form::cond_imm:
        case isa::Form::cond_src:
            return 3;
        default:
            return 2;
    }
}

}  // namespace detail

/// Assembles `source`. Jump operands are labels or signed offsets (+3, -2).
inline AssemblyResult assemble(std::string_view source) {
    using namespace detail;
    struct Line {
        int number;
        std::string mnemonic;
        std::vector<std::string_view> operands;
        std::size_t pc;
    };
    AssemblyResult result;
    std::vector<Line> lines;
    std::map<std::string, std::size_t, std::less<>> labels;
    const auto fail = [&](int line, const std::string& what) {
        result.code.clear();
        result.error = "line " + std::to_string(line) + ": " + what;
        return result;
    };

    // Pass 1: split lines, record labels and the slot index of every instruction.
    std::size_t pc = 0;
    int number = 0;
    for (std::size_t pos = 0; pos <= source.size();) {
        std::size_t eol = source.find('\n', pos);
        if (eol == std::string_view::npos) eol = source.size();
        std::string_view text = source.substr(pos, eol - pos);
        pos = eol + 1;
        ++number;
        if (const std::size_t hash = text.find('#'); hash != std::string_view::npos)
            text = text.substr(0, hash);
        text = trim(text);
        while (true) {
            const std::size_t colon = text.find(':');
            if (colon == std::string_view::npos || !is_identifier(trim(text.substr(0, colon)))) break;
            const std::string name{trim(text.substr(0, colon))};
            if (!labels.emplace(name, pc).second) return fail(number, "duplicate label '" + name + "'");
            text = trim(text.substr(colon + 1));
        }
        if (text.empty()) continue;
        // The mnemonic is every leading word up to the first operand ("lock fetch add32").
        std::size_t end = 0;
        std::string mnemonic;
        while (end < text.size()) {
            std::size_t word_end = end;
            while (word_end < text.size() && !std::isspace(static_cast<unsigned char>(text[word_end])))
                ++word_end;
            const std::string_view word = text.substr(end, word_end - end);
            if (!mnemonic.empty() && (mnemonic.rfind("lock", 0) != 0 || word.empty() || word[0] == '['))
                break;
            mnemonic += mnemonic.empty() ? "" : " ";
            mnemonic += word;
            end = word_end;
            while (end < text.size() && std::isspace(static_cast<unsigned char>(text[end]))) ++end;
        }
        Line line{number, mnemonic, split_operands(text.substr(end)), pc};
        if (line.mnemonic == "swap16" || line.mnemonic == "swap32" || line.mnemonic == "swap64")
            line.mnemonic = "b" + line.mnemonic;
        pc += line.mnemonic == "lddw" ? 2 : 1;
        lines.push_back(std::move(line));
    }

    // Pass 2: pick the table row whose mnemonic and operand kinds match, then encode.
    for (const Line& line : lines) {
        const auto& ops = line.operands;
        const auto target = [&](std::string_view s) -> std::optional<std::int64_t> {
            if (const auto it = labels.find(s); it != labels.end())
                return static_cast<std::int64_t>(it->second) - static_cast<std::int64_t>(line.pc) - 1;
            bool hex = false;
            if (!s.empty() && (s[0] == '+' || s[0] == '-' || std::isdigit(static_cast<unsigned char>(s[0]))))
                return parse_integer(s, hex);
            // As in the public suite's files, an undefined label "exit" means the next exit.
            if (s == "exit")
                for (const Line& other : lines)
                    if (other.pc > line.pc && other.mnemonic == "exit")
                        return static_cast<std::int64_t>(other.pc) - static_cast<std::int64_t>(line.pc) - 1;
            return std::nullopt;
        };
        std::optional<isa::Id> chosen;
        bool known = false;
        for (std::size_t i = 0; i < isa::kOpCount && !chosen; ++i) {
            const isa::OpInfo& row = isa::kOps[i];
            if (isa::kMnemonics[i] != line.mnemonic) continue;
            known = true;
            const bool local = !ops.empty() && ops[0].rfind("local", 0) == 0;
            if (ops.size() != operand_count(row.form)) continue;
            switch (row.form) {
                case isa::Form::dst_imm:
                case isa::Form::cond_imm:
                case isa::Form::store_imm:
                    if (looks_like_register(ops[1])) continue;
                    break;
                case isa::Form::dst_src:
                case isa::Form::cond_src:
                    if (!looks_like_register(ops[1])) continue;
                    break;
                case isa::Form::call_helper:
                    if (local || looks_like_register(ops[0])) continue;
                    break;
                case isa::Form::call_local:
                    if (!local) continue;
                    break;
                case isa::Form::callx:
                    if (!looks_like_register(ops[0])) continue;
                    break;
                default:
                    break;
            }
            chosen = static_cast<isa::Id>(i);
        }
        if (!known) return fail(line.number, "unknown mnemonic '" + line.mnemonic + "'");
        if (!chosen) return fail(line.number, "invalid number or kind of operands for " + line.mnemonic);
        const isa::OpInfo& row = isa::info(*chosen);

        Insn insn{};
        insn.opcode = row.opcode;
        unsigned dst = 0, src = 0;
        std::string bad_register;
        const auto need_reg = [&](std::string_view s, unsigned& out) {
            const auto r = parse_register(s);
            if (r)
                out = *r;
            else if (looks_like_register(s))
                bad_register = std::string{s};
            return r.has_value();
        };
        const auto need_imm = [&](std::string_view s) {
            const auto v = parse_imm32(s);
            if (v) insn.imm = *v;
            return v.has_value();
        };
        const auto need_target = [&](std::string_view s, bool wide) {
            const auto t = target(s);
            if (!t) return false;
            if (wide ? (*t < INT32_MIN || *t > INT32_MAX) : (*t < INT16_MIN || *t > INT16_MAX)) return false;
            if (wide)
                insn.imm = static_cast<std::int32_t>(*t);
            else
                insn.off = static_cast<std::int16_t>(*t);
            return true;
        };
        bool good = true;
        switch (row.form) {
            case isa::Form::dst_imm:
                good = need_reg(ops[0], dst) && need_imm(ops[1]);
                break;
            case isa::Form::dst_src:
                good = need_reg(ops[0], dst) && need_reg(ops[1], src);
                break;
            case isa::Form::dst:
                good = need_reg(ops[0], dst);
                break;
            case isa::Form::load: {
                const auto m = parse_memory(ops[1]);
                good = need_reg(ops[0], dst) && m.has_value();
                if (m) src = m->reg, insn.off = m->off;
                break;
            }
            case isa::Form::store_imm:
            case isa::Form::store_src: {
                const auto m = parse_memory(ops[0]);
                good = m.has_value() &&
                       (row.form == isa::Form::store_imm ? need_imm(ops[1]) : need_reg(ops[1], src));
                if (m) dst = m->reg, insn.off = m->off;
                break;
            }
            case isa::Form::jump:
                good = need_target(ops[0], false);
                break;
            case isa::Form::jump_long:
                good = need_target(ops[0], true);
                break;
            case isa::Form::cond_imm:
                good = need_reg(ops[0], dst) && need_imm(ops[1]) && need_target(ops[2], false);
                break;
            case isa::Form::cond_src:
                good = need_reg(ops[0], dst) && need_reg(ops[1], src) && need_target(ops[2], false);
                break;
            case isa::Form::call_helper:
                good = need_imm(ops[0]);
                break;
            case isa::Form::call_local:
                good = need_target(trim(ops[0].substr(5)), true);
                break;
            case isa::Form::callx:
                good = need_reg(ops[0], dst);
                break;
            case isa::Form::none:
                break;
            case isa::Form::lddw: {
                bool hex = false;
                const auto v = parse_integer(ops[1], hex);
                good = need_reg(ops[0], dst) && v.has_value();
                if (!good) break;
                const auto bits = static_cast<std::uint64_t>(*v);
                insn.imm = static_cast<std::int32_t>(static_cast<std::uint32_t>(bits));
                insn.regs = static_cast<std::uint8_t>(dst);
                result.code.push_back(insn);
                insn = Insn{};
                insn.imm = static_cast<std::int32_t>(static_cast<std::uint32_t>(bits >> 32));
                result.code.push_back(insn);
                continue;
            }
        }
        if (!bad_register.empty()) return fail(line.number, "invalid register '" + bad_register + "'");
        if (!good) return fail(line.number, "invalid operand for " + line.mnemonic);
        insn.regs = static_cast<std::uint8_t>(dst | (src << 4));
        isa::set_selector(row, insn);
        result.code.push_back(insn);
    }
    return result;
}

}  // namespace ubpf::host
