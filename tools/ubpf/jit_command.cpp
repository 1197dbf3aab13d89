// SPDX-License-Identifier: MIT
#include "jit_command.hpp"

#include <capstone/capstone.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <ubpf/host/disassembler.hpp>
#include <ubpf/jit/compiler.hpp>

namespace ubpf::tools {

namespace {

std::string hex(std::uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "0x%x", static_cast<unsigned>(v));
    return b;
}

/// Prints the Thumb-2 instructions in [begin, end) of `code`; the data after each BL to the
/// slow-path routine (jit::StubData) as what it says.
void print_thumb(csh cs, const std::vector<std::uint8_t>& code, std::size_t begin, std::size_t end,
                 std::uint32_t slow, std::ostream& out) {
    while (begin < end) {
        cs_insn* insn = nullptr;
        const std::size_t n = cs_disasm(cs, code.data() + begin, end - begin, begin, 1, &insn);
        char line[320];
        if (n != 1) {  // not an instruction Capstone knows: show the halfword
            std::snprintf(line, sizeof line, "    %06zx:  %02x %02x        .short\n", begin, code[begin],
                          code[begin + 1]);
            out << line;
            begin += 2;
            continue;
        }
        char bytes[16] = {};
        for (std::size_t i = 0; i < insn->size; ++i)
            std::snprintf(bytes + 3 * i, sizeof bytes - 3 * i, "%02x ", insn->bytes[i]);
        std::snprintf(line, sizeof line, "    %06zx:  %-12s  ", begin, bytes);
        out << line << insn->mnemonic << ' ' << insn->op_str << '\n';
        const bool to_slow = insn->id == ARM_INS_BL && insn->detail == nullptr && insn->op_str[0] == '#' &&
                             std::strtoul(insn->op_str + 1, nullptr, 0) == slow;
        begin += insn->size;
        cs_free(insn, n);
        if (to_slow && begin + 4 <= end) {
            jit::StubData d{};
            std::memcpy(&d, code.data() + begin, 4);
            if (d.size() == 8) std::memcpy(&d.target, code.data() + begin + 4, 4);
            constexpr const char* kKinds[] = {"load",        "store", "atomic", "budget",
                                              "budget (ja)", "error", "budget", "load pair"};
            const bool stores = d.kind() == jit::SiteKind::pair && d.pair_stores();
            const unsigned k = static_cast<unsigned>(d.kind());
            std::snprintf(line, sizeof line, "    %06zx:  data: pc %u, %s, %u, resume at %#zx", begin,
                          static_cast<unsigned>(d.pc), stores ? "store pair" : kKinds[k & 7], d.aux(),
                          static_cast<std::size_t>(d.resume(begin)));
            out << line;
            std::uint16_t lddw = d.lddw;
            if (d.kind() == jit::SiteKind::budget_ja) {
                out << ", target " << d.target;
                if (d.own() > 1) out << " after " << d.own();
                lddw = static_cast<std::uint16_t>(d.target_lddw());
            }
            if (d.kind() == jit::SiteKind::pair) {
                out << ", second pc " << d.target << ", offsets " << d.pair_first() << " and "
                    << d.pair_second();
                if (stores)
                    out << ", first value in " << (d.pair_value_in_context() ? "context r" : "arm r")
                        << d.pair_value_reg();
            } else if (lddw != 0)
                out << ", lddw mask " << hex(lddw);
            out << '\n';
            begin += d.size();
        }
    }
}

}  // namespace

int print_jit(const host::RunRequest& request, jit::Options options, std::ostream& out) {
    constexpr Config kConfig{};
    const HelperPolicy policy =
        request.policy ? *request.policy
        : request.allowed_helpers
            ? HelperPolicy::only(std::span<const std::uint32_t>{*request.allowed_helpers})
            : HelperPolicy::all();
    const std::span<const Helper> helpers =
        request.helpers.empty() ? std::span<const Helper>{host::test_helpers::kAll} : request.helpers;
    const auto verified = verify<kConfig>({request.code, policy, request.program_regions}, helpers);
    if (!verified) {
        out << "error: " << host::error_text(verified.error()) << "\n";
        return 1;
    }
    std::vector<std::uint8_t> code(1 << 20);
    std::vector<std::uint32_t> offsets(request.code.size());
    const auto compiled = jit::Compiler<kConfig>::compile(*verified, code, offsets, options);
    if (!compiled) {
        out << "error: " << host::error_text(compiled.error()) << "\n";
        return 1;
    }
    code.resize(compiled->size);
    csh cs = 0;
    if (cs_open(CS_ARCH_ARM, static_cast<cs_mode>(CS_MODE_THUMB | CS_MODE_MCLASS), &cs) != CS_ERR_OK) {
        out << "error: cannot open Capstone\n";
        return 1;
    }
    const std::size_t end = compiled->size;
    out << "; " << request.code.size() << " eBPF instructions, " << end << " bytes of Thumb-2; entry at "
        << compiled->entry << "\n";
    out << "; runtime routines and entry\n";
    print_thumb(cs, code, 0, offsets.empty() ? end : offsets[0], compiled->slow, out);
    const std::size_t n = request.code.size();
    for (std::size_t pc = 0; pc < n;) {
        const std::size_t next = pc + isa::slots(isa::info(isa::decode(request.code[pc])).op);
        out << pc << ": " << host::disassemble(request.code, pc) << "\n";
        print_thumb(cs, code, offsets[pc], next < n ? offsets[next] : end, compiled->slow, out);
        pc = next;
    }
    cs_close(&cs);
    return 0;
}

}  // namespace ubpf::tools
