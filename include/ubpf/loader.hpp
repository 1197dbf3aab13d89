// SPDX-License-Identifier: MIT
// The loader stage: turns the bytes of a program image, in any of the four formats, into an
// Image for the verifier. Relocation happens in place (see formats/*.hpp): the buffer must be
// writable, stay where it is while the program is loaded, and a rejected image is unchanged.
#pragma once

#include <cstdint>
#include <span>

#include "error.hpp"
#include "formats/elf.hpp"
#include "formats/seed_headers.hpp"
#include "image.hpp"
#include "memory.hpp"

namespace ubpf {

/// Recognises a format from the bytes alone: ELF by its magic; the two header layouts by their
/// magic and by which one's sizes add up (a Femto-Containers image ends exactly after its
/// symbol table, an extended one has its 32-byte header's sizes and a helper list); anything
/// else whose size is a multiple of 8 is bare text.
[[nodiscard]] inline Result<Format> detect_format(std::span<const std::uint8_t> bytes) noexcept {
    if (bytes.size() >= 4 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F')
        return Format::elf;
    if (bytes.size() >= formats::kFemtoContainersHeaderSize) {
        const std::uint32_t magic = load_le<std::uint32_t>(bytes.data());
        if (magic == formats::kSeedMagic || magic == formats::kRbpfMagic) {
            const auto fc = formats::detail::read_header(bytes, formats::kFemtoContainersHeaderSize);
            if (fc && fc->helpers == bytes.size()) return Format::femto_containers;
            if (formats::detail::read_header(bytes, formats::kExtendedHeaderSize)) return Format::extended;
            return Error{ErrorCode::image_unknown_format, 0};
        }
    }
    if (!bytes.empty() && bytes.size() % sizeof(Insn) == 0) return Format::text;
    return Error{ErrorCode::image_unknown_format, 0};
}

/// Loads `bytes` as `format`, relocating in place.
[[nodiscard]] inline Result<Image> load_image(std::span<std::uint8_t> bytes, Format format) noexcept {
    switch (format) {
        case Format::text:
            return formats::load_text(bytes);
        case Format::femto_containers:
            return formats::load_femto_containers(bytes);
        case Format::extended:
            return formats::load_extended(bytes);
        case Format::elf:
            return load_elf(bytes);
    }
    return Error{ErrorCode::image_unknown_format, 0};
}

}  // namespace ubpf
