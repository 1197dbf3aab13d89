// SPDX-License-Identifier: MIT
// Host side of the formats: packs a clang `-target bpf` object into the seed's bare-text,
// Femto-Containers or extended layout (the ELF layout is the object itself, stripped by the
// CLI). What the device would otherwise resolve is resolved here where the layout says so:
//   - lddw of .data/.rodata becomes lddwd/lddwr with the offset into the packed section;
//   - local calls become pc-relative calls (text, fc) or relocated-call entries (extended).
// A program a layout cannot express is refused with the reason, never packed wrongly.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "../formats/elf.hpp"
#include "../formats/seed_headers.hpp"
#include "../image.hpp"
#include "disassembler.hpp"

namespace ubpf::host {

struct PackError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct PackOptions {
    Format format = Format::extended;
    /// Extended layout: the helper ids to list. Default: exactly the helpers the code calls.
    std::optional<std::vector<std::uint32_t>> helpers;
};

namespace detail::pack {

inline constexpr std::uint8_t kSttFunc = 2;
inline constexpr std::uint8_t kStbGlobal = 1;

template <class T>
T value_or_throw(const Result<T>& r, const std::string& what) {
    if (!r) throw PackError{what + ": " + std::string{r.error().message()}};
    return *r;
}

inline bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

/// A section's place in one of the packed blobs.
struct Placed {
    std::uint32_t index = 0;
    bool data = false;  ///< in the .data blob (else .rodata)
    std::size_t offset = 0;
};

inline void align_to(std::vector<std::uint8_t>& blob, std::uint64_t alignment) {
    const std::uint64_t a = std::max<std::uint64_t>(alignment, 1);
    while (blob.size() % a != 0) blob.push_back(0);
}

inline void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
}

inline std::string at_pc(std::span<const Insn> code, std::size_t pc) {
    return " (pc " + std::to_string(pc) + ": " + disassemble(code, pc) + ")";
}

}  // namespace detail::pack

/// Packs `object` (a clang -target bpf relocatable ELF) into a text, fc or extended image.
/// Throws PackError with a message naming the reason and, where one applies, the instruction.
inline std::vector<std::uint8_t> pack(std::span<const std::uint8_t> object, const PackOptions& options) {
    using namespace detail::pack;
    if (options.format == Format::elf)
        throw PackError{"the elf format is the object itself (see `ubpf pack`)"};
    const elf::Object obj = value_or_throw(elf::parse(object), "not a usable eBPF object");
    const elf::SectionHeader text_header = value_or_throw(obj.find_section(".text"), "no .text section");
    const std::span<const std::uint8_t> text_bytes = value_or_throw(obj.contents(text_header), ".text");
    if (text_bytes.empty() || text_bytes.size() % sizeof(Insn) != 0)
        throw PackError{".text is empty or not a whole number of instructions"};
    std::vector<Insn> code(text_bytes.size() / sizeof(Insn));
    std::memcpy(static_cast<void*>(code.data()), text_bytes.data(), text_bytes.size());

    // Lay out .data* and .rodata* sections in their blobs, in section order.
    std::vector<std::uint8_t> data, rodata;
    std::vector<Placed> placed;
    std::optional<elf::SectionHeader> symtab;
    for (std::size_t i = 1; i < obj.section_count(); ++i) {
        const elf::SectionHeader s = value_or_throw(obj.section(i), "section table");
        const std::string name{value_or_throw(obj.section_name(s), "section name")};
        if (s.type == elf::kShtSymtab) symtab = s;
        if (!s.alloc() || s.index == text_header.index || s.size == 0) continue;
        if (s.executable())
            throw PackError{"code section '" + name + "' besides .text: put every function in .text"};
        if (s.type == elf::kShtNobits)
            throw PackError{"section '" + name +
                            "' holds zero-initialised globals, which no layout carries: give them an "
                            "initial value"};
        const bool is_data = starts_with(name, ".data");
        if (!is_data && !starts_with(name, ".rodata")) throw PackError{"unsupported section '" + name + "'"};
        std::vector<std::uint8_t>& blob = is_data ? data : rodata;
        align_to(blob, s.addralign);
        placed.push_back({s.index, is_data, blob.size()});
        const auto bytes = value_or_throw(obj.contents(s), name);
        blob.insert(blob.end(), bytes.begin(), bytes.end());
    }
    if (!symtab) throw PackError{"no symbol table"};
    const auto find_placed = [&](std::uint32_t index) -> const Placed* {
        for (const Placed& p : placed)
            if (p.index == index) return &p;
        return nullptr;
    };

    // Resolve the relocations of .text; refuse those of .data (pointers stored in data).
    struct Call {
        std::uint32_t from, to;  // instruction indexes
    };
    std::vector<Call> calls;
    const std::uint8_t lddw = isa::info(isa::Id::lddw).opcode;
    const std::uint8_t call = isa::info(isa::Id::call).opcode;
    for (std::size_t i = 1; i < obj.section_count(); ++i) {
        const elf::SectionHeader rel = value_or_throw(obj.section(i), "section table");
        if (rel.type != elf::kShtRel) continue;
        const elf::SectionHeader target = value_or_throw(obj.section(rel.info), "relocation target");
        if (!target.alloc()) continue;  // debug information
        if (target.index != text_header.index) {
            const std::string name{value_or_throw(obj.section_name(target), "section name")};
            throw PackError{"section '" + name +
                            "' stores a pointer, which needs load-time relocation: only --format elf "
                            "can carry it"};
        }
        for (std::size_t r = 0; r < obj.relocation_count(rel); ++r) {
            const elf::Rel entry = value_or_throw(obj.relocation(rel, r), "relocation");
            const elf::Symbol sym = value_or_throw(obj.symbol(*symtab, entry.symbol), "relocation symbol");
            const std::size_t pc = static_cast<std::size_t>(entry.offset / sizeof(Insn));
            if (entry.offset % sizeof(Insn) != 0 || pc >= code.size())
                throw PackError{"relocation outside .text"};
            Insn& insn = code[pc];
            if (entry.type == elf::kRBpf64_64) {
                if (insn.opcode != lddw || pc + 1 >= code.size())
                    throw PackError{"64-bit relocation on a non-lddw" + at_pc(code, pc)};
                const Placed* where = find_placed(sym.shndx);
                if (where == nullptr)
                    throw PackError{"lddw of a symbol outside .data/.rodata" + at_pc(code, pc)};
                if (options.format == Format::text)
                    throw PackError{std::string{"the text format cannot carry "} +
                                    (where->data ? ".data" : ".rodata") + " (used by lddw" + at_pc(code, pc) +
                                    "); use --format fc, extended or elf"};
                const std::uint64_t offset = where->offset + sym.value + static_cast<std::uint32_t>(insn.imm);
                insn.opcode = where->data ? formats::kLddwData : formats::kLddwRodata;
                insn.imm = static_cast<std::int32_t>(static_cast<std::uint32_t>(offset));
                code[pc + 1].imm = static_cast<std::int32_t>(static_cast<std::uint32_t>(offset >> 32));
            } else if (entry.type == elf::kRBpf64_32) {
                if (insn.opcode != call) throw PackError{"call relocation on a non-call" + at_pc(code, pc)};
                if (sym.shndx != text_header.index)
                    throw PackError{"call to a function outside .text" + at_pc(code, pc)};
                const std::int64_t to = static_cast<std::int64_t>(sym.value / sizeof(Insn)) + insn.imm + 1;
                if (to < 0 || static_cast<std::size_t>(to) >= code.size())
                    throw PackError{"call target outside .text" + at_pc(code, pc)};
                calls.push_back({static_cast<std::uint32_t>(pc), static_cast<std::uint32_t>(to)});
            } else {
                throw PackError{"unsupported relocation type " + std::to_string(entry.type) +
                                at_pc(code, pc)};
            }
        }
    }
    const isa::OpInfo& local = isa::info(isa::Id::call_local);
    if (options.format != Format::extended) {
        for (const Call& c : calls)
            code[c.from] =
                Insn::make(local.opcode, 0, static_cast<unsigned>(local.select_value), 0,
                           static_cast<std::int32_t>(c.to) - static_cast<std::int32_t>(c.from) - 1);
    }

    // The bare text layout has no symbols: it starts at its first instruction.
    if (options.format == Format::text) {
        for (std::size_t i = 1; i < obj.symbol_count(*symtab); ++i) {
            const elf::Symbol sym = value_or_throw(obj.symbol(*symtab, i), "symbol");
            if (sym.type() != kSttFunc || sym.shndx != text_header.index || sym.value == 0) continue;
            if (value_or_throw(obj.symbol_name(*symtab, sym), "symbol name") == "main")
                throw PackError{"the text format starts at its first instruction, but main is at pc " +
                                std::to_string(sym.value / sizeof(Insn)) +
                                ": define main first or use --format fc, extended or elf"};
        }
    }

    std::vector<std::uint8_t> out;
    const auto code_bytes =
        std::span{reinterpret_cast<const std::uint8_t*>(code.data()), code.size() * sizeof(Insn)};
    if (options.format == Format::text) {
        out.assign(code_bytes.begin(), code_bytes.end());
        return out;
    }

    // Global functions go to the symbol table, their names to the end of .rodata.
    struct Function {
        std::uint16_t name, location;
    };
    std::vector<Function> functions;
    for (std::size_t s = 1; s < obj.symbol_count(*symtab); ++s) {
        const elf::Symbol sym = value_or_throw(obj.symbol(*symtab, s), "symbol");
        if (sym.type() != kSttFunc || sym.binding() != kStbGlobal || sym.shndx != text_header.index) continue;
        const std::string_view name = value_or_throw(obj.symbol_name(*symtab, sym), "symbol name");
        if (rodata.size() > 0xffff || sym.value > 0xffff)
            throw PackError{"function table offsets exceed 16 bits"};
        functions.push_back(
            {static_cast<std::uint16_t>(rodata.size()), static_cast<std::uint16_t>(sym.value)});
        rodata.insert(rodata.end(), name.begin(), name.end());
        rodata.push_back(0);
    }
    align_to(data, 8);
    align_to(rodata, 8);

    const bool extended = options.format == Format::extended;
    put32(out, formats::kSeedMagic);
    put32(out, 0);  // version
    put32(out, 0);  // flags
    put32(out, static_cast<std::uint32_t>(data.size()));
    put32(out, static_cast<std::uint32_t>(rodata.size()));
    put32(out, static_cast<std::uint32_t>(code_bytes.size()));
    put32(out, static_cast<std::uint32_t>(functions.size()));
    if (extended) put32(out, static_cast<std::uint32_t>(calls.size()));
    out.insert(out.end(), data.begin(), data.end());
    out.insert(out.end(), rodata.begin(), rodata.end());
    out.insert(out.end(), code_bytes.begin(), code_bytes.end());
    for (const Function& f : functions) {
        put16(out, f.name);
        put16(out, 0);
        put16(out, f.location);
    }
    if (!extended) return out;
    for (const Call& c : calls) {
        put32(out, c.from * static_cast<std::uint32_t>(sizeof(Insn)));
        put32(out, c.to * static_cast<std::uint32_t>(sizeof(Insn)));
    }
    std::set<std::uint32_t> helpers;
    if (options.helpers) {
        helpers.insert(options.helpers->begin(), options.helpers->end());
    } else {
        for (std::size_t pc = 0; pc < code.size(); ++pc) {
            const bool relocated =
                std::any_of(calls.begin(), calls.end(), [&](const Call& c) { return c.from == pc; });
            if (code[pc].opcode == call && code[pc].src() == 0 && !relocated)
                helpers.insert(static_cast<std::uint32_t>(code[pc].imm));
        }
    }
    for (std::uint32_t id : helpers) {
        if (id > HelperPolicy::kMaxListedId)
            throw PackError{"helper id " + std::to_string(id) + " does not fit the one-byte helper list"};
        out.push_back(static_cast<std::uint8_t>(id));
    }
    return out;
}

}  // namespace ubpf::host
