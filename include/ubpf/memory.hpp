// SPDX-License-Identifier: MIT
// Memory regions a program may touch, and the one check every load, store and helper pointer
// goes through.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "config.hpp"

namespace ubpf {

/// What a program may do in a region: a bit set of read and write.
enum class Access : std::uint8_t { none = 0, read = 1, write = 2, read_write = 3 };

/// True when `have` includes every bit of `need`.
[[nodiscard]] constexpr bool grants(Access have, Access need) noexcept {
    return (static_cast<unsigned>(have) & static_cast<unsigned>(need)) == static_cast<unsigned>(need);
}

/// A block of memory the program may use, with what it may do there.
struct Region {
    std::uintptr_t start = 0;
    std::size_t size = 0;
    Access access = Access::none;

    /// `size` bytes at `data` with the given access.
    [[nodiscard]] static Region of(void* data, std::size_t size, Access access) noexcept {
        return {reinterpret_cast<std::uintptr_t>(data), size, access};
    }
    /// `size` bytes at `data` the program may read but not write.
    [[nodiscard]] static Region read_only(const void* data, std::size_t size) noexcept {
        return {reinterpret_cast<std::uintptr_t>(data), size, Access::read};
    }
    /// True when [start, start + size) does not wrap around the address space.
    [[nodiscard]] constexpr bool well_formed() const noexcept {
        return size == 0 || size - 1 <= static_cast<std::uintptr_t>(-1) - start;
    }
    /// True when [addr, addr + len) lies inside this region. Safe against wrap-around.
    [[nodiscard]] constexpr bool covers(std::uint64_t addr, std::size_t len) const noexcept {
        if constexpr (sizeof(std::uintptr_t) < sizeof(std::uint64_t)) {
            if (addr >> 32) return false;
        }
        const std::uintptr_t offset = static_cast<std::uintptr_t>(addr) - start;
        return offset < size && len <= size - offset;
    }
};

/// The stack, the caller's regions and the program's own (its .data and .rodata). Non-owning;
/// lives for one run.
class MemoryMap {
public:
    MemoryMap(Region stack, std::span<const Region> regions,
              std::span<const Region> program_regions = {}) noexcept
        : stack_(stack), regions_(regions), program_regions_(program_regions) {}

    /// The host pointer for `len` bytes at eBPF address `addr` if some region grants `need`
    /// there, else nullptr.
    [[nodiscard]] void* translate(std::uint64_t addr, std::size_t len, Access need) const noexcept {
        for (const Region& r : regions_) {
            if (r.covers(addr, len) && grants(r.access, need)) return to_pointer(addr);
        }
        for (const Region& r : program_regions_) {
            if (r.covers(addr, len) && grants(r.access, need)) return to_pointer(addr);
        }
        return stack_.covers(addr, len) ? to_pointer(addr) : nullptr;
    }

    /// True when a zero-terminated string starts at `addr` and ends inside one readable region.
    /// On success `length` receives its length without the terminator.
    [[nodiscard]] bool string_at(std::uint64_t addr, std::size_t& length) const noexcept {
        const auto scan = [&](const Region& r) {
            if (!r.covers(addr, 1) || !grants(r.access, Access::read)) return false;
            const std::size_t room = r.size - (static_cast<std::uintptr_t>(addr) - r.start);
            const auto* s = static_cast<const char*>(to_pointer(addr));
            // A plain scan rather than std::memchr, which would add 160 bytes to Cortex-M firmware.
            for (std::size_t i = 0; i < room; ++i) {
                if (s[i] == 0) {
                    length = i;
                    return true;
                }
            }
            return false;
        };
        if (scan(stack_)) return true;
        for (const Region& r : regions_)
            if (scan(r)) return true;
        for (const Region& r : program_regions_)
            if (scan(r)) return true;
        return false;
    }

    [[nodiscard]] const Region& stack() const noexcept { return stack_; }
    [[nodiscard]] std::span<const Region> regions() const noexcept { return regions_; }
    [[nodiscard]] std::span<const Region> program_regions() const noexcept { return program_regions_; }

private:
    static void* to_pointer(std::uint64_t addr) noexcept {
        return reinterpret_cast<void*>(static_cast<std::uintptr_t>(addr));
    }

    Region stack_;
    std::span<const Region> regions_;
    std::span<const Region> program_regions_;
};

/// Load and store of T at an unaligned host address, in native byte order: little-endian on
/// every supported target (isa.hpp's static_assert rejects big-endian ones).
template <class T>
[[nodiscard]] inline T load_le(const void* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <class T>
inline void store_le(void* p, T v) noexcept {
    std::memcpy(p, &v, sizeof v);
}

}  // namespace ubpf
