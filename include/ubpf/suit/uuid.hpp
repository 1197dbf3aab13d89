// SPDX-License-Identifier: MIT
// RFC 4122 name-based UUIDs (version 5, SHA-1) as RIOT builds its SUIT vendor and class IDs
// (sys/suit/conditions.c): vendor = uuid5(DNS namespace, vendor domain), class = uuid5(vendor,
// board name). Everything is constexpr, so firmware can fix its IDs at compile time; SHA-1 is
// here only for that, never for anything that needs collision resistance.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ubpf::suit {

using Uuid = std::array<std::uint8_t, 16>;

/// The DNS namespace of RFC 4122 appendix C: 6ba7b810-9dad-11d1-80b4-00c04fd430c8.
inline constexpr Uuid kNamespaceDns = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                       0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
/// RIOT's default SUIT_VENDOR_DOMAIN.
inline constexpr std::string_view kRiotVendorDomain = "riot-os.org";

namespace detail {

constexpr std::uint32_t rotl(std::uint32_t x, unsigned n) noexcept {
    return (x << n) | (x >> (32 - n));
}

/// SHA-1 (FIPS 180-4) of namespace || name, reading the message a byte at a time so that no
/// buffer for the concatenation is needed.
constexpr std::array<std::uint8_t, 20> sha1_uuid_input(const Uuid& ns, std::string_view name) noexcept {
    const std::size_t length = ns.size() + name.size();
    const auto byte_at = [&](std::size_t i) -> std::uint8_t {
        if (i < ns.size()) return ns[i];
        if (i < length) return static_cast<std::uint8_t>(name[i - ns.size()]);
        if (i == length) return 0x80;
        return 0;
    };
    // Padding: 0x80, zeros, then the bit length in the last 8 bytes of the last block.
    const std::size_t blocks = (length + 8) / 64 + 1;
    const std::size_t total = blocks * 64;
    const std::uint64_t bits = std::uint64_t{length} * 8;
    std::uint32_t h[5] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u};
    for (std::size_t block = 0; block < blocks; ++block) {
        std::uint32_t w[80] = {};
        for (unsigned t = 0; t < 16; ++t) {
            std::uint32_t word = 0;
            for (unsigned k = 0; k < 4; ++k) {
                const std::size_t i = block * 64 + t * 4 + k;
                std::uint8_t b = byte_at(i);
                if (i >= total - 8) b = static_cast<std::uint8_t>(bits >> (8 * (total - 1 - i)));
                word = (word << 8) | b;
            }
            w[t] = word;
        }
        for (unsigned t = 16; t < 80; ++t) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
        std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (unsigned t = 0; t < 80; ++t) {
            std::uint32_t f = 0, k = 0;
            if (t < 20) {
                f = (b & c) | (~b & d);
                k = 0x5a827999u;
            } else if (t < 40) {
                f = b ^ c ^ d;
                k = 0x6ed9eba1u;
            } else if (t < 60) {
                f = (b & c) | (b & d) | (c & d);
                k = 0x8f1bbcdcu;
            } else {
                f = b ^ c ^ d;
                k = 0xca62c1d6u;
            }
            const std::uint32_t next = rotl(a, 5) + f + e + k + w[t];
            e = d;
            d = c;
            c = rotl(b, 30);
            b = a;
            a = next;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
    }
    std::array<std::uint8_t, 20> out{};
    for (unsigned i = 0; i < 20; ++i) out[i] = static_cast<std::uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
    return out;
}

}  // namespace detail

/// uuid5(namespace, name): the first 16 bytes of SHA-1(namespace || name) with the version (5)
/// and the RFC 4122 variant bits set.
[[nodiscard]] constexpr Uuid uuid5(const Uuid& ns, std::string_view name) noexcept {
    const auto digest = detail::sha1_uuid_input(ns, name);
    Uuid id{};
    for (std::size_t i = 0; i < id.size(); ++i) id[i] = digest[i];
    id[6] = static_cast<std::uint8_t>((id[6] & 0x0f) | 0x50);
    id[8] = static_cast<std::uint8_t>((id[8] & 0x3f) | 0x80);
    return id;
}

/// RIOT's vendor ID: uuid5(DNS namespace, SUIT_VENDOR_DOMAIN).
[[nodiscard]] constexpr Uuid vendor_id(std::string_view domain = kRiotVendorDomain) noexcept {
    return uuid5(kNamespaceDns, domain);
}

/// RIOT's class ID: uuid5(vendor ID, SUIT_CLASS_ID), where SUIT_CLASS_ID is the board name.
[[nodiscard]] constexpr Uuid class_id(const Uuid& vendor, std::string_view board) noexcept {
    return uuid5(vendor, board);
}

}  // namespace ubpf::suit
