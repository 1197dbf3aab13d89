// SPDX-License-Identifier: MIT
#include "jit_command.hpp"

#include <capstone/capstone.h>

#include <cstdio>
#include <vector>

#include <ubpf/host/disassembler.hpp>
#include <ubpf/jit/compiler.hpp>

namespace ubpf::tools {

namespace {

/// Prints the Thumb-2 instructions in [begin, end) of `code`.
void print_thumb(csh cs, const std::vector<std::uint8_t>& code, std::size_t begin, std::size_t end,
                 std::ostream& out) {
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
        begin += insn->size;
        cs_free(insn, n);
    }
}

}  // namespace

int print_jit(const host::RunRequest& request, std::ostream& out) {
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
    const auto compiled = jit::Compiler<kConfig>::compile(*verified, code, offsets);
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
    const std::size_t end = compiled->code_size;
    out << "; " << request.code.size() << " eBPF instructions, " << end << " bytes of Thumb-2 and "
        << compiled->sites << " slow-path sites (" << compiled->size << " bytes in all); entry at "
        << compiled->entry << "\n";
    out << "; runtime routines and entry\n";
    print_thumb(cs, code, 0, offsets.empty() ? end : offsets[0], out);
    const std::size_t n = request.code.size();
    for (std::size_t pc = 0; pc < n;) {
        const std::size_t next = pc + isa::slots(isa::info(isa::decode(request.code[pc])).op);
        out << pc << ": " << host::disassemble(request.code, pc) << "\n";
        print_thumb(cs, code, offsets[pc], next < n ? offsets[next] : end, out);
        pc = next;
    }
    out << "; site table: return address of each slow-path BL -> eBPF pc, what it is\n";
    constexpr const char* kKinds[] = {"load",        "store",     "atomic", "budget",
                                      "budget (ja)", "ja target", "error"};
    for (const jit::Site& s : compiled->site_table(code.data())) {
        char line[96];
        std::snprintf(line, sizeof line, "    %06x:  pc %u, %s, %u\n", static_cast<unsigned>(s.ret),
                      static_cast<unsigned>(s.pc), kKinds[static_cast<unsigned>(s.kind) % 7],
                      static_cast<unsigned>(s.aux));
        out << line;
    }
    cs_close(&cs);
    return 0;
}

}  // namespace ubpf::tools
