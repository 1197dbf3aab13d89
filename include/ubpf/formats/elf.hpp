// SPDX-License-Identifier: MIT
// ELF objects from `clang -target bpf -c` (seed-reference.md §2.4, the seed's RawObjectFile):
//   - ubpf::elf: a small reader of ELF64 little-endian files. Every offset, size and index is
//     checked against the buffer before it is read, fields are read with memcpy (no alignment
//     needs), and nothing is ever cast into the buffer. The host packer reuses it.
//   - ubpf::load_elf: relocates such an object in place, at the address it has now, and
//     describes it as an Image (code = the one executable section, one region per data/rodata
//     section). Everything is checked before the first byte is written, so a rejected object is
//     left unchanged, and applied relocation sections are marked (their type set to SHT_NULL),
//     so loading the same buffer again relocates nothing twice.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "../error.hpp"
#include "../image.hpp"
#include "../isa.hpp"
#include "../memory.hpp"
#include "../verifier.hpp"

namespace ubpf::elf {

// The few ELF constants used here (System V gABI and the BPF psABI).
inline constexpr std::size_t kHeaderSize = 64;
inline constexpr std::size_t kSectionHeaderSize = 64;
inline constexpr std::size_t kSymbolSize = 24;
inline constexpr std::size_t kRelSize = 16;

inline constexpr std::uint16_t kTypeRelocatable = 1;  // e_type ET_REL
inline constexpr std::uint16_t kMachineBpf = 247;     // e_machine EM_BPF

inline constexpr std::uint32_t kShtNull = 0;
inline constexpr std::uint32_t kShtProgbits = 1;
inline constexpr std::uint32_t kShtSymtab = 2;
inline constexpr std::uint32_t kShtStrtab = 3;
inline constexpr std::uint32_t kShtRela = 4;
inline constexpr std::uint32_t kShtNobits = 8;
inline constexpr std::uint32_t kShtRel = 9;

inline constexpr std::uint64_t kShfWrite = 0x1;
inline constexpr std::uint64_t kShfAlloc = 0x2;
inline constexpr std::uint64_t kShfExecInstr = 0x4;

inline constexpr std::uint16_t kShnUndef = 0;
inline constexpr std::uint16_t kShnLoReserve = 0xff00;
inline constexpr std::uint16_t kShnCommon = 0xfff2;
inline constexpr std::uint16_t kShnXIndex = 0xffff;

inline constexpr std::uint8_t kSttSection = 3;

inline constexpr std::uint32_t kRBpfNone = 0;
inline constexpr std::uint32_t kRBpf64_64 = 1;    // lddw: S + A, A = the 64-bit immediate
inline constexpr std::uint32_t kRBpf64Abs64 = 2;  // 64-bit data word: S + A
inline constexpr std::uint32_t kRBpf64Abs32 = 3;  // 32-bit data word: S + A
inline constexpr std::uint32_t kRBpf64_32 = 10;   // call: target slot = S/8 + imm + 1

/// One section header, with where it was found (for error reports).
struct SectionHeader {
    std::uint32_t name = 0;
    std::uint32_t type = kShtNull;
    std::uint64_t flags = 0;
    std::uint64_t addr = 0;
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    std::uint32_t link = 0;
    std::uint32_t info = 0;
    std::uint64_t addralign = 0;
    std::uint64_t entsize = 0;
    std::uint32_t index = 0;          ///< index in the section table
    std::uint32_t header_offset = 0;  ///< file offset of this header entry

    [[nodiscard]] constexpr bool alloc() const noexcept { return (flags & kShfAlloc) != 0; }
    [[nodiscard]] constexpr bool writable() const noexcept { return (flags & kShfWrite) != 0; }
    [[nodiscard]] constexpr bool executable() const noexcept { return (flags & kShfExecInstr) != 0; }
    /// True when the section occupies bytes of the file.
    [[nodiscard]] constexpr bool has_file_bytes() const noexcept {
        return type != kShtNull && type != kShtNobits;
    }
};

/// One ELF64 symbol-table entry.
struct Symbol {
    std::uint32_t name = 0;
    std::uint8_t info = 0;
    std::uint8_t other = 0;
    std::uint16_t shndx = 0;
    std::uint64_t value = 0;
    std::uint64_t size = 0;
    std::uint32_t entry_offset = 0;  ///< file offset of this entry

    [[nodiscard]] constexpr std::uint8_t type() const noexcept { return info & 0x0f; }
    [[nodiscard]] constexpr std::uint8_t binding() const noexcept { return info >> 4; }
};

/// One ELF64 REL entry (BPF objects have no explicit addends: they sit in the patched field).
struct Rel {
    std::uint64_t offset = 0;  ///< byte offset in the target section
    std::uint32_t symbol = 0;
    std::uint32_t type = 0;
    std::uint32_t entry_offset = 0;  ///< file offset of this entry
};

namespace detail {

/// Error at a file offset; offsets past 4 GiB (impossible on the device) saturate.
[[nodiscard]] inline Error at(ErrorCode code, std::uint64_t offset) noexcept {
    return Error{code, offset > 0xffffffffu ? 0xffffffffu : static_cast<std::uint32_t>(offset)};
}

/// True when [offset, offset + size) lies inside a buffer of `total` bytes, without overflow.
[[nodiscard]] constexpr bool inside(std::uint64_t offset, std::uint64_t size, std::uint64_t total) noexcept {
    return offset <= total && size <= total - offset;
}

}  // namespace detail

/// A parsed, validated view of an ELF64 little-endian eBPF relocatable object. It refers to the
/// caller's buffer, which must outlive it. parse() has checked the file header, that the
/// section table and every section with file bytes lie inside the buffer, and that every
/// section name is a terminated string inside the section-name table; the accessors check the
/// rest (indexes, entry tables) on each call.
class Object {
public:
    Object() = default;

    [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }
    [[nodiscard]] std::size_t section_count() const noexcept { return section_count_; }

    /// The header of section `index` (elf_bad_section_index when out of range).
    [[nodiscard]] Result<SectionHeader> section(std::size_t index) const noexcept {
        if (index >= section_count_) return detail::at(ErrorCode::elf_bad_section_index, kShOffField);
        return read_section(index);
    }

    /// The section's name ("" when the object has no section-name table).
    [[nodiscard]] Result<std::string_view> section_name(const SectionHeader& s) const noexcept {
        if (names_index_ == 0) return std::string_view{};
        const SectionHeader names = read_section(names_index_);
        return string_at(names, s.name, s.header_offset);
    }

    /// The first section named exactly `name`; elf_no_text (".text") or elf_bad_section_index
    /// when there is none.
    [[nodiscard]] Result<SectionHeader> find_section(std::string_view name) const noexcept {
        for (std::size_t i = 1; i < section_count_; ++i) {
            const SectionHeader s = read_section(i);
            const Result<std::string_view> n = section_name(s);
            if (n && *n == name) return s;
        }
        return detail::at(name == ".text" ? ErrorCode::elf_no_text : ErrorCode::elf_bad_section_index,
                          kShOffField);
    }

    /// The section's bytes (empty for SHT_NOBITS and SHT_NULL).
    [[nodiscard]] Result<std::span<const std::uint8_t>> contents(const SectionHeader& s) const noexcept {
        if (!s.has_file_bytes()) return std::span<const std::uint8_t>{};
        if (!detail::inside(s.offset, s.size, bytes_.size()))
            return detail::at(ErrorCode::elf_section_out_of_bounds, s.header_offset);
        return bytes_.subspan(static_cast<std::size_t>(s.offset), static_cast<std::size_t>(s.size));
    }

    /// Entries of a symbol table (0 when `symtab` is not one inside the file).
    [[nodiscard]] std::size_t symbol_count(const SectionHeader& symtab) const noexcept {
        if (symtab.type != kShtSymtab || !detail::inside(symtab.offset, symtab.size, bytes_.size())) return 0;
        return static_cast<std::size_t>(symtab.size / kSymbolSize);
    }

    /// Symbol `index` of `symtab` (elf_bad_symbol_index when out of range).
    [[nodiscard]] Result<Symbol> symbol(const SectionHeader& symtab, std::size_t index) const noexcept {
        if (index >= symbol_count(symtab))
            return detail::at(ErrorCode::elf_bad_symbol_index, symtab.header_offset);
        const std::uint64_t where = symtab.offset + index * kSymbolSize;
        const std::uint8_t* p = bytes_.data() + where;
        Symbol sym;
        sym.name = load_le<std::uint32_t>(p);
        sym.info = p[4];
        sym.other = p[5];
        sym.shndx = load_le<std::uint16_t>(p + 6);
        sym.value = load_le<std::uint64_t>(p + 8);
        sym.size = load_le<std::uint64_t>(p + 16);
        sym.entry_offset = static_cast<std::uint32_t>(where);
        return sym;
    }

    /// The symbol's name, from the string table `symtab` links to.
    [[nodiscard]] Result<std::string_view> symbol_name(const SectionHeader& symtab,
                                                       const Symbol& sym) const noexcept {
        if (symtab.link == 0 || symtab.link >= section_count_)
            return detail::at(ErrorCode::elf_bad_section_index, symtab.header_offset);
        const SectionHeader strings = read_section(symtab.link);
        if (strings.type != kShtStrtab)
            return detail::at(ErrorCode::elf_bad_section_index, symtab.header_offset);
        return string_at(strings, sym.name, sym.entry_offset);
    }

    /// Entries of a REL section (0 when `rel` is not one inside the file).
    [[nodiscard]] std::size_t relocation_count(const SectionHeader& rel) const noexcept {
        if (rel.type != kShtRel || !detail::inside(rel.offset, rel.size, bytes_.size())) return 0;
        return static_cast<std::size_t>(rel.size / kRelSize);
    }

    /// Entry `index` of the REL section `rel` (elf_bad_header when out of range).
    [[nodiscard]] Result<Rel> relocation(const SectionHeader& rel, std::size_t index) const noexcept {
        if (index >= relocation_count(rel)) return detail::at(ErrorCode::elf_bad_header, rel.header_offset);
        const std::uint64_t where = rel.offset + index * kRelSize;
        const std::uint8_t* p = bytes_.data() + where;
        const auto info = load_le<std::uint64_t>(p + 8);
        return Rel{load_le<std::uint64_t>(p), static_cast<std::uint32_t>(info >> 32),
                   static_cast<std::uint32_t>(info & 0xffffffffu), static_cast<std::uint32_t>(where)};
    }

    friend Result<Object> parse(std::span<const std::uint8_t> bytes) noexcept;

private:
    static constexpr std::size_t kShOffField = 0x28;  // e_shoff

    [[nodiscard]] SectionHeader read_section(std::size_t index) const noexcept {
        const std::size_t where = table_offset_ + index * kSectionHeaderSize;
        const std::uint8_t* p = bytes_.data() + where;
        SectionHeader s;
        s.name = load_le<std::uint32_t>(p);
        s.type = load_le<std::uint32_t>(p + 4);
        s.flags = load_le<std::uint64_t>(p + 8);
        s.addr = load_le<std::uint64_t>(p + 16);
        s.offset = load_le<std::uint64_t>(p + 24);
        s.size = load_le<std::uint64_t>(p + 32);
        s.link = load_le<std::uint32_t>(p + 40);
        s.info = load_le<std::uint32_t>(p + 44);
        s.addralign = load_le<std::uint64_t>(p + 48);
        s.entsize = load_le<std::uint64_t>(p + 56);
        s.index = static_cast<std::uint32_t>(index);
        s.header_offset = static_cast<std::uint32_t>(where);
        return s;
    }

    /// The terminated string at `offset` in the string table `strings`; elf_bad_header at
    /// `blame` when it does not lie inside the table.
    [[nodiscard]] Result<std::string_view> string_at(const SectionHeader& strings, std::uint64_t offset,
                                                     std::uint32_t blame) const noexcept {
        if (!strings.has_file_bytes() || offset >= strings.size ||
            !detail::inside(strings.offset, strings.size, bytes_.size()))
            return detail::at(ErrorCode::elf_bad_header, blame);
        const char* begin = reinterpret_cast<const char*>(bytes_.data() + strings.offset + offset);
        const auto room = static_cast<std::size_t>(strings.size - offset);
        const void* end = std::memchr(begin, 0, room);
        if (end == nullptr) return detail::at(ErrorCode::elf_bad_header, blame);
        return std::string_view{begin, static_cast<std::size_t>(static_cast<const char*>(end) - begin)};
    }

    std::span<const std::uint8_t> bytes_;
    std::size_t table_offset_ = 0;
    std::size_t section_count_ = 0;
    std::size_t names_index_ = 0;
};

/// Checks the file header, the section table and every section's extent and name. pc of an
/// error is the byte offset of the offending header field or section header entry.
[[nodiscard]] inline Result<Object> parse(std::span<const std::uint8_t> bytes) noexcept {
    using detail::at;
    constexpr std::uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
    if (bytes.size() < 16 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
        return at(ErrorCode::elf_not_bpf, 0);
    if (bytes[4] != 2) return at(ErrorCode::elf_not_bpf, 4);  // ELFCLASS64
    if (bytes[5] != 1) return at(ErrorCode::elf_not_bpf, 5);  // ELFDATA2LSB
    if (bytes.size() < kHeaderSize) return at(ErrorCode::image_truncated, bytes.size());
    const std::uint8_t* h = bytes.data();
    if (load_le<std::uint16_t>(h + 16) != kTypeRelocatable) return at(ErrorCode::elf_not_bpf, 16);
    if (load_le<std::uint16_t>(h + 18) != kMachineBpf) return at(ErrorCode::elf_not_bpf, 18);
    const auto shoff = load_le<std::uint64_t>(h + 0x28);
    const auto shentsize = load_le<std::uint16_t>(h + 0x3a);
    const auto shnum = load_le<std::uint16_t>(h + 0x3c);
    const auto shstrndx = load_le<std::uint16_t>(h + 0x3e);
    if (shnum == 0) {
        // No table at all, or the extended numbering (count in section 0) no BPF object needs.
        if (shoff != 0) return at(ErrorCode::elf_bad_header, 0x3c);
        return at(ErrorCode::elf_no_text, 0x3c);
    }
    if (shentsize != kSectionHeaderSize) return at(ErrorCode::elf_bad_header, 0x3a);
    if (!detail::inside(shoff, std::uint64_t{shnum} * kSectionHeaderSize, bytes.size()))
        return at(ErrorCode::elf_section_out_of_bounds, 0x28);
    if (shstrndx >= shnum) return at(ErrorCode::elf_bad_section_index, 0x3e);

    Object obj;
    obj.bytes_ = bytes;
    obj.table_offset_ = static_cast<std::size_t>(shoff);
    obj.section_count_ = shnum;
    obj.names_index_ = shstrndx;
    if (shstrndx != 0 && obj.read_section(shstrndx).type != kShtStrtab)
        return at(ErrorCode::elf_bad_section_index, 0x3e);
    for (std::size_t i = 0; i < shnum; ++i) {
        const SectionHeader s = obj.read_section(i);
        if (s.has_file_bytes() && !detail::inside(s.offset, s.size, bytes.size()))
            return at(ErrorCode::elf_section_out_of_bounds, s.header_offset);
        if (i != 0 && shstrndx != 0) {
            const Result<std::string_view> name = obj.section_name(s);
            if (!name) return name.error();
        }
    }
    return obj;
}

namespace detail {

/// A byte range of the file that must not share bytes with another one.
struct Extent {
    std::size_t begin = 0, end = 0;
    std::uint32_t blame = 0;  ///< header offset reported when it overlaps (and its identity)
};

/// Ranges read or written while loading: the file header, the section table, code, data and
/// rodata, the applied REL sections, their symbol table and its strings, the section names.
/// A sane object has one REL section per code/data section, so this bound is generous.
inline constexpr std::size_t kMaxExtents = 4 * (kMaxImageRegions + 1) + 4;

/// What the first pass learned about the object (kept small: it lives on the device's stack).
struct Plan {
    SectionHeader code;
    bool has_code = false;
    std::array<std::uint16_t, kMaxImageRegions> regions{};  ///< section indexes
    std::size_t region_count = 0;
    std::array<Extent, kMaxExtents> extents{};
    std::size_t extent_count = 0;

    [[nodiscard]] bool is_region(std::uint32_t index) const noexcept {
        for (std::size_t i = 0; i < region_count; ++i)
            if (regions[i] == index) return true;
        return false;
    }
    /// Records the file bytes of `s`; elf_unsupported_section when there are too many.
    [[nodiscard]] Error claim(const SectionHeader& s) noexcept {
        if (!s.has_file_bytes() || s.size == 0) return {};
        for (std::size_t i = 0; i < extent_count; ++i)
            if (extents[i].blame == s.header_offset) return {};  // a table several RELs share
        if (extent_count == extents.size()) return at(ErrorCode::elf_unsupported_section, s.header_offset);
        extents[extent_count++] = Extent{static_cast<std::size_t>(s.offset),
                                         static_cast<std::size_t>(s.offset + s.size), s.header_offset};
        return {};
    }
};

/// The REL section `rel` if the loader applies it (its target is SHF_ALLOC), with its target.
struct Applied {
    bool applies = false;
    SectionHeader target;
    SectionHeader symtab;
};

[[nodiscard]] inline Result<Applied> applied(const Object& obj, const SectionHeader& rel) noexcept {
    Applied a;
    const Result<SectionHeader> target = obj.section(rel.info);
    if (!target) return at(ErrorCode::elf_bad_section_index, rel.header_offset);
    if (!target->alloc()) return a;  // debug information, BTF: nothing the program sees
    if (rel.type == kShtRela) return at(ErrorCode::elf_unknown_relocation, rel.header_offset);
    const Result<SectionHeader> symtab = obj.section(rel.link);
    if (!symtab || symtab->type != kShtSymtab) return at(ErrorCode::elf_bad_section_index, rel.header_offset);
    if (rel.size % kRelSize != 0) return at(ErrorCode::elf_bad_header, rel.header_offset);
    if (symtab->size % kSymbolSize != 0) return at(ErrorCode::elf_bad_header, symtab->header_offset);
    a.applies = true;
    a.target = *target;
    a.symtab = *symtab;
    return a;
}

/// Pass 1a: finds the code section and the data/rodata regions, checks the REL sections that
/// apply, and that nothing read or written overlaps anything else.
[[nodiscard]] inline Error plan_sections(const Object& obj, Plan& plan) noexcept {
    const std::size_t n = obj.section_count();
    const std::uint8_t* header = obj.bytes().data();
    const auto table = static_cast<std::size_t>(load_le<std::uint64_t>(header + 0x28));
    plan.extents[plan.extent_count++] = Extent{0, kHeaderSize, 0};
    plan.extents[plan.extent_count++] = Extent{table, table + n * kSectionHeaderSize, 0x28};
    for (std::size_t i = 1; i < n; ++i) {
        const SectionHeader s = *obj.section(i);
        if (s.type == kShtNull) continue;
        if (s.alloc()) {
            if (s.size == 0) continue;
            // SHT_NOBITS (.bss) has no bytes in the object to map; other kinds mean nothing here.
            if (s.type != kShtProgbits) return at(ErrorCode::elf_unsupported_section, s.header_offset);
            if (s.executable()) {
                if (plan.has_code) return at(ErrorCode::elf_unsupported_section, s.header_offset);
                plan.code = s;
                plan.has_code = true;
            } else {
                if (plan.region_count == plan.regions.size())
                    return at(ErrorCode::image_too_many_regions, s.header_offset);
                plan.regions[plan.region_count++] = static_cast<std::uint16_t>(i);
            }
            if (const Error e = plan.claim(s); e.code != ErrorCode::none) return e;
        } else if (s.type == kShtRel || s.type == kShtRela) {
            const Result<Applied> a = applied(obj, s);
            if (!a) return a.error();
            if (!a->applies) continue;
            if (const Error e = plan.claim(s); e.code != ErrorCode::none) return e;
            if (const Error e = plan.claim(a->symtab); e.code != ErrorCode::none) return e;
            const Result<SectionHeader> strings = obj.section(a->symtab.link);
            if (strings && strings->type == kShtStrtab) {
                if (const Error e = plan.claim(*strings); e.code != ErrorCode::none) return e;
            }
        }
    }
    if (!plan.has_code) return at(ErrorCode::elf_no_text, 0);
    const auto names = load_le<std::uint16_t>(header + 0x3e);
    if (names != 0) {
        if (const Error e = plan.claim(*obj.section(names)); e.code != ErrorCode::none) return e;
    }
    for (std::size_t i = 0; i < plan.extent_count; ++i)
        for (std::size_t j = i + 1; j < plan.extent_count; ++j) {
            const Extent& a = plan.extents[i];
            const Extent& b = plan.extents[j];
            if (a.begin < b.end && b.begin < a.end) return at(ErrorCode::elf_sections_overlap, b.blame);
        }
    return {};
}

/// The section a relocation's symbol lies in, and the symbol's offset there.
struct Resolved {
    SectionHeader section;
    std::uint64_t offset = 0;
};

[[nodiscard]] inline Result<Resolved> resolve_symbol(const Object& obj, const Applied& a,
                                                     const Rel& r) noexcept {
    if (r.symbol == 0) return at(ErrorCode::elf_undefined_symbol, r.entry_offset);
    const Result<Symbol> sym = obj.symbol(a.symtab, r.symbol);
    if (!sym) return at(ErrorCode::elf_bad_symbol_index, r.entry_offset);
    if (sym->shndx == kShnUndef || sym->shndx == kShnCommon)
        return at(ErrorCode::elf_undefined_symbol, r.entry_offset);
    if (sym->shndx >= kShnLoReserve || sym->shndx >= obj.section_count())
        return at(ErrorCode::elf_bad_section_index, sym->entry_offset);
    return Resolved{*obj.section(sym->shndx), sym->value};
}

/// The 64-bit immediate of the lddw at `p` (the implicit addend of R_BPF_64_64).
[[nodiscard]] inline std::uint64_t lddw_immediate(const std::uint8_t* p) noexcept {
    return std::uint64_t{load_le<std::uint32_t>(p + 4)} | std::uint64_t{load_le<std::uint32_t>(p + 12)} << 32;
}

/// The slot a call relocation lands on, in instruction units of the code section: the
/// symbol's slot plus the implicit addend (imm + 1), so a function symbol (imm = -1) and a
/// section symbol (imm = slot - 1) both work.
[[nodiscard]] inline std::int64_t call_target(std::uint64_t symbol_offset,
                                              const std::uint8_t* call) noexcept {
    return static_cast<std::int64_t>(symbol_offset / sizeof(Insn)) + load_le<std::int32_t>(call + 4) + 1;
}

/// Pass 1b: every entry of an applied REL section, checked against everything pass 2 assumes.
[[nodiscard]] inline Error check_relocations(const Object& obj, const Plan& plan, const Applied& a,
                                             const SectionHeader& rel) noexcept {
    const std::uint8_t lddw = isa::info(isa::Id::lddw).opcode;
    const std::uint8_t call = isa::info(isa::Id::call).opcode;
    const bool in_code = a.target.index == plan.code.index;
    for (std::size_t i = 0; i < obj.relocation_count(rel); ++i) {
        const Rel r = *obj.relocation(rel, i);
        const auto fail = [&](ErrorCode code) { return at(code, r.entry_offset); };
        if (r.type == kRBpfNone) continue;
        const bool code_type = r.type == kRBpf64_64 || r.type == kRBpf64_32;
        const bool data_type = r.type == kRBpf64Abs64 || r.type == kRBpf64Abs32;
        if (!code_type && !data_type) return fail(ErrorCode::elf_unknown_relocation);
        if (in_code && data_type) return fail(ErrorCode::elf_unknown_relocation);
        if (!in_code && r.type == kRBpf64_64) return fail(ErrorCode::elf_relocation_not_lddw);
        if (!in_code && r.type == kRBpf64_32) return fail(ErrorCode::elf_relocation_not_call);
        const std::uint64_t width = r.type == kRBpf64_64 ? 16 : r.type == kRBpf64Abs32 ? 4 : 8;
        if (!inside(r.offset, width, a.target.size) || (in_code && r.offset % sizeof(Insn) != 0) ||
            a.target.offset > obj.bytes().size() ||
            !inside(r.offset, width, obj.bytes().size() - a.target.offset))
            return fail(ErrorCode::elf_relocation_out_of_bounds);
        // Only now inside the file, so only now a pointer.
        const std::uint8_t* field = obj.bytes().data() + (a.target.offset + r.offset);
        if (r.type == kRBpf64_64 && field[0] != lddw) return fail(ErrorCode::elf_relocation_not_lddw);
        if (r.type == kRBpf64_32 && field[0] != call) return fail(ErrorCode::elf_relocation_not_call);

        const Result<Resolved> s = resolve_symbol(obj, a, r);
        if (!s) return s.error();
        if (r.type == kRBpf64_32) {
            if (s->section.index != plan.code.index || s->offset % sizeof(Insn) != 0)
                return fail(ErrorCode::elf_bad_call_target);
            const std::int64_t target = call_target(s->offset, field);
            const std::size_t slots = static_cast<std::size_t>(plan.code.size / sizeof(Insn));
            if (target < 0 || target >= static_cast<std::int64_t>(slots))
                return fail(ErrorCode::elf_bad_call_target);
            // A slot after an lddw opcode is its second half (the verifier rejects the rest).
            const auto t = static_cast<std::size_t>(target);
            if (t > 0 &&
                obj.bytes()[static_cast<std::size_t>(plan.code.offset) + (t - 1) * sizeof(Insn)] == lddw)
                return fail(ErrorCode::elf_bad_call_target);
            continue;
        }
        // lddw and data words: the address must lie in (or one past the end of) a mapped region.
        if (!plan.is_region(s->section.index)) return fail(ErrorCode::elf_bad_section_index);
        const std::uint64_t addend = r.type == kRBpf64_64     ? lddw_immediate(field)
                                     : r.type == kRBpf64Abs64 ? load_le<std::uint64_t>(field)
                                                              : load_le<std::uint32_t>(field);
        if (s->offset > s->section.size || addend > s->section.size - s->offset)
            return fail(ErrorCode::elf_relocation_out_of_bounds);
        if (r.type == kRBpf64Abs32) {
            const std::uint64_t address =
                reinterpret_cast<std::uintptr_t>(obj.bytes().data()) + s->section.offset + s->offset + addend;
            if (address > 0xffffffffu) return fail(ErrorCode::elf_relocation_out_of_bounds);
        }
    }
    return {};
}

/// Pass 2: patches every entry of an applied REL section. Everything was checked in pass 1.
inline void apply_relocations(const Object& obj, std::span<std::uint8_t> bytes, const Applied& a,
                              const SectionHeader& rel) noexcept {
    std::uint8_t* section = bytes.data() + a.target.offset;
    for (std::size_t i = 0; i < obj.relocation_count(rel); ++i) {
        const Rel r = *obj.relocation(rel, i);
        if (r.type == kRBpfNone) continue;
        const Resolved s = *resolve_symbol(obj, a, r);
        std::uint8_t* field = section + r.offset;
        if (r.type == kRBpf64_32) {
            // A standard pc-relative call: imm counts slots from the one after the call.
            const std::int64_t target = call_target(s.offset, field);
            const auto slot = static_cast<std::int64_t>(r.offset / sizeof(Insn));
            field[1] = static_cast<std::uint8_t>((field[1] & 0x0fu) | (1u << 4));
            store_le<std::int32_t>(field + 4, static_cast<std::int32_t>(target - (slot + 1)));
            continue;
        }
        const std::uint64_t base =
            reinterpret_cast<std::uintptr_t>(bytes.data()) + s.section.offset + s.offset;
        if (r.type == kRBpf64_64) {
            const std::uint64_t value = base + lddw_immediate(field);
            store_le<std::uint32_t>(field + 4, static_cast<std::uint32_t>(value));
            store_le<std::uint32_t>(field + 12, static_cast<std::uint32_t>(value >> 32));
        } else if (r.type == kRBpf64Abs64) {
            store_le<std::uint64_t>(field, base + load_le<std::uint64_t>(field));
        } else {
            store_le<std::uint32_t>(field, static_cast<std::uint32_t>(base + load_le<std::uint32_t>(field)));
        }
    }
}

/// The slot of the function named "main" in the code section, or 0 when the object has none
/// (the program then starts at its first instruction).
[[nodiscard]] inline Result<std::uint32_t> find_main(const Object& obj, const Plan& plan) noexcept {
    for (std::size_t i = 1; i < obj.section_count(); ++i) {
        const SectionHeader table = *obj.section(i);
        if (table.type != kShtSymtab) continue;
        for (std::size_t k = 1; k < obj.symbol_count(table); ++k) {
            const Symbol sym = *obj.symbol(table, k);
            const Result<std::string_view> name = obj.symbol_name(table, sym);
            if (!name) return name.error();
            if (*name != "main") continue;
            if (sym.shndx != plan.code.index || sym.value % sizeof(Insn) != 0 || sym.value >= plan.code.size)
                return at(ErrorCode::image_bad_entry_symbol, sym.entry_offset);
            return static_cast<std::uint32_t>(sym.value / sizeof(Insn));
        }
        break;  // one symbol table per object
    }
    return std::uint32_t{0};
}

}  // namespace detail
}  // namespace ubpf::elf

namespace ubpf {

/// Loads a (stripped or unstripped) ELF64 relocatable object from `clang -target bpf -c`,
/// relocating it in place at its current address:
///   - R_BPF_64_64 on lddw and R_BPF_64_ABS64/ABS32 in data get the absolute address of the
///     symbol's section + symbol value + the addend already in the field;
///   - R_BPF_64_32 on a call becomes a standard pc-relative local call (src = 1);
///   - relocations of sections that are not SHF_ALLOC (debug information, BTF) are ignored.
/// The Image's code is the object's one executable section, entered at its function `main`
/// if the object has one, else at its first instruction; each non-empty data/rodata
/// section becomes a region, read-write when SHF_WRITE is set (.data*), else read-only
/// (.rodata*, merged strings and constants). Helper calls need no relocation.
/// The addresses written are those of `bytes` now: the buffer must not move afterwards, and it
/// must be aligned for Insn (8-byte alignment is safe). On error nothing has been written; pc
/// is the file offset of the offending header field, section header, symbol or relocation.
/// Loading again is harmless: applied REL sections are marked SHT_NULL in the buffer.
[[nodiscard]] inline Result<Image> load_elf(std::span<std::uint8_t> bytes) noexcept {
    using namespace elf::detail;
    const Result<elf::Object> parsed = elf::parse(bytes);
    if (!parsed) return parsed.error();
    const elf::Object& obj = *parsed;
    Plan plan;
    if (const Error e = plan_sections(obj, plan); e.code != ErrorCode::none) return e;

    const Result<std::span<const Insn>> code = as_code(*obj.contents(plan.code));
    if (!code) return at(code.error().code, plan.code.header_offset);
    const Result<std::uint32_t> entry = find_main(obj, plan);
    if (!entry) return entry.error();

    // Pass 1: check every relocation that will be applied.
    for (std::size_t i = 1; i < obj.section_count(); ++i) {
        const elf::SectionHeader s = *obj.section(i);
        if (s.type != elf::kShtRel) continue;
        const Applied a = *applied(obj, s);
        if (!a.applies) continue;
        if (const Error e = check_relocations(obj, plan, a, s); e.code != ErrorCode::none) return e;
    }
    // Pass 2: patch, and mark each REL section applied so a second load leaves it alone.
    for (std::size_t i = 1; i < obj.section_count(); ++i) {
        const elf::SectionHeader s = *obj.section(i);
        if (s.type != elf::kShtRel) continue;
        const Applied a = *applied(obj, s);
        if (!a.applies) continue;
        apply_relocations(obj, bytes, a, s);
        store_le<std::uint32_t>(bytes.data() + s.header_offset + 4, elf::kShtNull);
    }

    Image image;
    image.format = Format::elf;
    image.code = *code;
    image.entry = *entry;
    for (std::size_t i = 0; i < plan.region_count; ++i) {
        const elf::SectionHeader s = *obj.section(plan.regions[i]);
        const Region r = Region::of(bytes.data() + s.offset, static_cast<std::size_t>(s.size),
                                    s.writable() ? Access::read_write : Access::read);
        if (!image.add_region(r)) return at(ErrorCode::image_too_many_regions, s.header_offset);
    }
    return image;
}

}  // namespace ubpf
