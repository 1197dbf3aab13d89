// SPDX-License-Identifier: MIT
// The seed's three non-ELF layouts: bare .text, the Femto-Containers header and the extended
// header (seed-reference.md §2.1-2.3). Loading resolves everything the layouts leave symbolic,
// in place, so the verifier and the engines only ever see standard eBPF:
//   - lddwd/lddwr (0xb8/0xd8: "load the address of .data/.rodata + offset") become lddw with
//     the absolute address;
//   - the extended header's relocated calls become pc-relative local calls (call src=1).
// Every field is checked before anything is written, so a rejected image is left unchanged.
// Loading twice is harmless: the second load finds nothing left to resolve.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "../error.hpp"
#include "../image.hpp"
#include "../isa.hpp"
#include "../memory.hpp"
#include "../verifier.hpp"

namespace ubpf::formats {

/// Magic numbers the header layouts accept: the seed tools write 123, RIOT's gen_rbf.py "rBPF".
inline constexpr std::uint32_t kSeedMagic = 123;
inline constexpr std::uint32_t kRbpfMagic = 0x46504272;  // "rBPF" little-endian

/// The seed's section-relative loads. Same shape as lddw (two slots), non-standard mode bits.
inline constexpr std::uint8_t kLddwData = 0xb8;
inline constexpr std::uint8_t kLddwRodata = 0xd8;

inline constexpr std::size_t kFemtoContainersHeaderSize = 28;
inline constexpr std::size_t kExtendedHeaderSize = 32;
inline constexpr std::size_t kFunctionSymbolSize = 6;  // name offset u16, flags u16, text offset u16
inline constexpr std::size_t kRelocatedCallSize = 8;   // instruction offset u32, target offset u32

/// The header fields both layouts share, and where each part of the image lies.
struct HeaderLayout {
    std::size_t header_size = 0;
    std::uint32_t magic = 0, version = 0, flags = 0;
    std::uint32_t data_len = 0, rodata_len = 0, text_len = 0, functions = 0;
    std::uint32_t relocated_calls = 0;  // extended only
    std::size_t data = 0, rodata = 0, text = 0, symbols = 0, calls = 0, helpers = 0, end = 0;
};

namespace detail {

inline std::uint32_t field(std::span<const std::uint8_t> bytes, std::size_t offset) noexcept {
    return load_le<std::uint32_t>(bytes.data() + offset);
}
inline Error at(ErrorCode code, std::size_t offset) noexcept {
    return Error{code, static_cast<std::uint32_t>(offset)};
}

/// Reads and bounds-checks the header of a Femto-Containers (28 bytes) or extended (32 bytes)
/// image. Sizes are added in 64 bits so that no length can wrap the sum.
inline Result<HeaderLayout> read_header(std::span<const std::uint8_t> bytes,
                                        std::size_t header_size) noexcept {
    HeaderLayout h;
    h.header_size = header_size;
    if (bytes.size() < header_size) return at(ErrorCode::image_truncated, bytes.size());
    h.magic = field(bytes, 0);
    h.version = field(bytes, 4);
    h.flags = field(bytes, 8);
    h.data_len = field(bytes, 12);
    h.rodata_len = field(bytes, 16);
    h.text_len = field(bytes, 20);
    h.functions = field(bytes, 24);
    if (header_size == kExtendedHeaderSize) h.relocated_calls = field(bytes, 28);
    if (h.magic != kSeedMagic && h.magic != kRbpfMagic) return at(ErrorCode::image_bad_magic, 0);
    // Bit 0 is Femto-Containers' compressed text, which nothing here can decompress.
    if (h.flags != 0) return at(ErrorCode::image_unsupported_flags, 8);
    if (h.text_len % sizeof(Insn) != 0) return at(ErrorCode::image_section_misaligned, 20);

    const std::uint64_t data = header_size;
    const std::uint64_t rodata = data + h.data_len;
    const std::uint64_t text = rodata + h.rodata_len;
    const std::uint64_t symbols = text + h.text_len;
    const std::uint64_t calls = symbols + std::uint64_t{h.functions} * kFunctionSymbolSize;
    const std::uint64_t helpers = calls + std::uint64_t{h.relocated_calls} * kRelocatedCallSize;
    if (helpers > bytes.size()) return at(ErrorCode::image_truncated, bytes.size());
    h.data = static_cast<std::size_t>(data);
    h.rodata = static_cast<std::size_t>(rodata);
    h.text = static_cast<std::size_t>(text);
    h.symbols = static_cast<std::size_t>(symbols);
    h.calls = static_cast<std::size_t>(calls);
    h.helpers = static_cast<std::size_t>(helpers);
    h.end = bytes.size();
    return h;
}

/// Checks every lddwd/lddwr of `code`: a complete two-slot instruction whose offset lies inside
/// its section (one past the end is allowed: an end pointer). `text_offset` turns instruction
/// indexes into image offsets for the error.
inline Error check_section_loads(std::span<const Insn> code, std::size_t data_len, std::size_t rodata_len,
                                 std::size_t text_offset) noexcept {
    for (std::size_t pc = 0; pc < code.size(); ++pc) {
        const std::uint8_t op = code[pc].opcode;
        if (op != kLddwData && op != kLddwRodata) continue;
        const std::size_t where = text_offset + pc * sizeof(Insn);
        if (pc + 1 == code.size() || code[pc + 1].opcode != 0 || code[pc].src() != 0)
            return at(ErrorCode::image_bad_section_load, where);
        const std::uint64_t offset = static_cast<std::uint32_t>(code[pc].imm) |
                                     std::uint64_t{static_cast<std::uint32_t>(code[pc + 1].imm)} << 32;
        if (offset > (op == kLddwData ? data_len : rodata_len))
            return at(ErrorCode::image_bad_section_load, where);
        ++pc;
    }
    return {};
}

/// Turns every lddwd/lddwr into lddw of the absolute address. Run after check_section_loads.
inline void resolve_section_loads(std::span<Insn> code, std::uintptr_t data, std::uintptr_t rodata) noexcept {
    for (std::size_t pc = 0; pc + 1 < code.size(); ++pc) {
        Insn& insn = code[pc];
        if (insn.opcode != kLddwData && insn.opcode != kLddwRodata) continue;
        const std::uint64_t offset = static_cast<std::uint32_t>(insn.imm) |
                                     std::uint64_t{static_cast<std::uint32_t>(code[pc + 1].imm)} << 32;
        const std::uint64_t address = (insn.opcode == kLddwData ? data : rodata) + offset;
        insn.opcode = isa::info(isa::Id::lddw).opcode;
        insn.imm = static_cast<std::int32_t>(static_cast<std::uint32_t>(address));
        code[pc + 1].imm = static_cast<std::int32_t>(static_cast<std::uint32_t>(address >> 32));
        ++pc;
    }
}

/// The instructions of a section inside a writable image, or the alignment error.
inline Result<std::span<Insn>> writable_code(std::span<std::uint8_t> bytes, std::size_t offset,
                                             std::size_t length) noexcept {
    const Result<std::span<const Insn>> code = as_code(bytes.subspan(offset, length));
    if (!code) return at(code.error().code, offset);
    return std::span<Insn>{const_cast<Insn*>(code->data()), code->size()};
}

/// The byte offset in .text of the function named "main", if the symbol table has one. Names
/// are offsets into .rodata; the seed's tools store them without terminators, so a name ends
/// at a NUL, at the end of .rodata, or where another name starts.
inline std::optional<std::size_t> find_main(std::span<const std::uint8_t> bytes,
                                            const HeaderLayout& h) noexcept {
    const auto name_at = [&](std::uint32_t i) {
        return load_le<std::uint16_t>(bytes.data() + h.symbols + i * kFunctionSymbolSize);
    };
    for (std::uint32_t i = 0; i < h.functions; ++i) {
        const std::size_t name = name_at(i);
        if (name + 4 > h.rodata_len || std::memcmp(bytes.data() + h.rodata + name, "main", 4) != 0) continue;
        bool ends = name + 4 == h.rodata_len || bytes[h.rodata + name + 4] == 0;
        for (std::uint32_t j = 0; j < h.functions && !ends; ++j) ends = name_at(j) == name + 4;
        if (ends) return h.symbols + i * kFunctionSymbolSize;  // where its entry lies
    }
    return std::nullopt;
}

/// Loads either header layout; `extended` adds relocated calls and the helper list.
inline Result<Image> load_header_image(std::span<std::uint8_t> bytes, bool extended) noexcept {
    const Result<HeaderLayout> layout =
        read_header(bytes, extended ? kExtendedHeaderSize : kFemtoContainersHeaderSize);
    if (!layout) return layout.error();
    const HeaderLayout& h = *layout;
    // Femto-Containers images end with the symbol table; only the extended one has a tail.
    if (!extended && h.helpers != bytes.size()) return at(ErrorCode::image_size_mismatch, h.helpers);
    if (h.text_len == 0) return at(ErrorCode::program_empty, h.text);

    const Result<std::span<Insn>> code = writable_code(bytes, h.text, h.text_len);
    if (!code) return code.error();
    const std::span<Insn> text = *code;

    // Pass 1: check everything.
    std::uint32_t main_pc = 0;
    if (const std::optional<std::size_t> main = find_main(bytes, h)) {
        const std::uint16_t location = load_le<std::uint16_t>(bytes.data() + *main + 4);
        if (location % sizeof(Insn) != 0 || location >= h.text_len)
            return at(ErrorCode::image_bad_entry_symbol, *main);
        main_pc = location / sizeof(Insn);
    }
    if (const Error e = check_section_loads(text, h.data_len, h.rodata_len, h.text);
        e.code != ErrorCode::none)
        return e;
    const std::uint8_t call = isa::info(isa::Id::call).opcode;
    for (std::uint32_t i = 0; i < h.relocated_calls; ++i) {
        const std::size_t entry = h.calls + i * kRelocatedCallSize;
        const std::uint32_t from = field(bytes, entry);
        const std::uint32_t to = field(bytes, entry + 4);
        // Both are byte offsets into .text (the seed mixed bytes and instruction indexes).
        const bool in_text =
            from % sizeof(Insn) == 0 && from < h.text_len && to % sizeof(Insn) == 0 && to < h.text_len;
        if (!in_text || text[from / sizeof(Insn)].opcode != call || text[from / sizeof(Insn)].src() > 1)
            return at(ErrorCode::image_bad_call_relocation, entry);
    }

    // Pass 2: resolve.
    std::uint8_t* const base = bytes.data();
    resolve_section_loads(text, reinterpret_cast<std::uintptr_t>(base + h.data),
                          reinterpret_cast<std::uintptr_t>(base + h.rodata));
    for (std::uint32_t i = 0; i < h.relocated_calls; ++i) {
        const std::size_t entry = h.calls + i * kRelocatedCallSize;
        const std::size_t from = field(bytes, entry) / sizeof(Insn);
        const std::size_t to = field(bytes, entry + 4) / sizeof(Insn);
        const isa::OpInfo& local = isa::info(isa::Id::call_local);
        text[from] = Insn::make(local.opcode, 0, local.select_value, 0,
                                static_cast<std::int32_t>(to) - static_cast<std::int32_t>(from) - 1);
    }

    Image image;
    image.format = extended ? Format::extended : Format::femto_containers;
    image.code = text;
    (void)image.add_region(Region::of(base + h.data, h.data_len, Access::read_write));
    (void)image.add_region(Region::read_only(base + h.rodata, h.rodata_len));
    image.function_symbols = bytes.subspan(h.symbols, h.functions * kFunctionSymbolSize);
    image.entry = main_pc;
    if (extended) {
        image.has_helper_list = true;
        for (std::size_t i = h.helpers; i < bytes.size(); ++i) image.helpers.allow(bytes[i]);
    }
    return image;
}

}  // namespace detail

/// A bare .text section: the whole buffer is code. There is no data, rodata or helper list.
[[nodiscard]] inline Result<Image> load_text(std::span<std::uint8_t> bytes) noexcept {
    const Result<std::span<const Insn>> code = as_code(bytes);
    if (!code) return code.error();
    Image image;
    image.format = Format::text;
    image.code = *code;
    return image;
}

/// The Femto-Containers layout: 28-byte header, .data, .rodata, .text, function symbols.
[[nodiscard]] inline Result<Image> load_femto_containers(std::span<std::uint8_t> bytes) noexcept {
    return detail::load_header_image(bytes, false);
}

/// The extended layout: 32-byte header, .data, .rodata, .text, function symbols, relocated
/// calls, then the allowed helper ids, one byte each, to the end of the image.
[[nodiscard]] inline Result<Image> load_extended(std::span<std::uint8_t> bytes) noexcept {
    return detail::load_header_image(bytes, true);
}

}  // namespace ubpf::formats
