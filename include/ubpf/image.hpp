// SPDX-License-Identifier: MIT
// What every program format loads into: the instructions, the program's own memory (.data
// read-write, .rodata read-only), the helper list an image may carry, and the function table.
// The loaders (formats/seed_headers.hpp, formats/elf.hpp, chosen by loader.hpp) fill it in; the
// verifier takes it through Image::program().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "helpers.hpp"
#include "isa.hpp"
#include "memory.hpp"
#include "verifier.hpp"

namespace ubpf {

/// The seed's four binary layouts, with the seed's numbers (its `BinaryFileLayout`).
enum class Format : std::uint8_t {
    text = 0,              ///< the bare .text section: no data, no rodata, no helper list
    femto_containers = 1,  ///< 28-byte header, .data, .rodata, .text, function symbols
    extended = 2,          ///< 32-byte header, as above plus relocated calls and a helper list
    elf = 3,               ///< a (stripped) ELF64 relocatable object from clang, relocated here
};

/// The short name tools use for `f` (text, fc, extended, elf).
[[nodiscard]] constexpr const char* format_name(Format f) noexcept {
    switch (f) {
        case Format::text:
            return "text";
        case Format::femto_containers:
            return "fc";
        case Format::extended:
            return "extended";
        case Format::elf:
            return "elf";
    }
    return "?";
}

/// The most data/rodata sections one image can map (an ELF object has one region per
/// section; the header formats need at most two).
inline constexpr std::size_t kMaxImageRegions = 8;

/// A loaded program image. Its code and regions point into the image buffer, so that buffer
/// must stay where it is, unchanged, for as long as the program is loaded or runs; and the
/// Image itself must not move while a Program made from it is in use (the Program's region
/// span points into it).
struct Image {
    Format format = Format::text;
    std::span<const Insn> code;
    std::array<Region, kMaxImageRegions> regions{};
    std::size_t region_count = 0;
    /// The helpers the image itself allows (extended header); meaningful when has_helper_list.
    HelperPolicy helpers{};
    bool has_helper_list = false;
    /// Function symbols of the header formats: 6 bytes each (name offset into rodata, flags,
    /// byte offset into .text). Informational; the verifier finds functions itself.
    std::span<const std::uint8_t> function_symbols;
    /// Where the program starts: its `main` when the format names functions, else 0.
    std::uint32_t entry = 0;

    [[nodiscard]] std::span<const Region> memory() const noexcept { return {regions.data(), region_count}; }

    /// The program for the verifier. A helper is allowed when `requested` allows it and, if
    /// the image carries its own list, that list allows it too.
    [[nodiscard]] Program program(HelperPolicy requested) const noexcept {
        return Program{code, has_helper_list ? requested.intersect(helpers) : requested, memory(), entry};
    }

    /// Adds a region; false when there is no room left.
    [[nodiscard]] bool add_region(Region r) noexcept {
        if (r.size == 0) return true;  // an empty section needs no mapping
        if (region_count == regions.size()) return false;
        regions[region_count++] = r;
        return true;
    }
};

}  // namespace ubpf
