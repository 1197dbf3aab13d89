// SPDX-License-Identifier: MIT
// The benchmark workloads (bench/workloads/NAME.c) and their deterministic inputs.
//
// Every workload is `uint64_t NAME(uint8_t *data, uint64_t len)`, the only function of NAME.c,
// so the raw .text of `clang -O2 -target bpf -mcpu=v3 -ffreestanding -c NAME.c` is the whole
// eBPF program with its entry at instruction 0 (r1 = data, r2 = len, result in r0). The same
// file compiled natively gives the reference result. Workloads may write to data (sort, sieve,
// filter in place), so give each run its own copy of the input. The buffer must be 8-byte aligned
// (std::vector<std::uint8_t> storage is).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace ubpf::bench {

struct WorkloadInfo {
    std::string_view name;               ///< the C function, the .c file and the .bin file
    std::span<const std::size_t> sizes;  ///< input sizes in bytes (= len) to run it with
    std::string_view what;               ///< one line for reports
};

namespace workload_detail {
inline constexpr std::array<std::size_t, 6> kStreamSizes{80, 160, 320, 640, 1280, 2560};
inline constexpr std::array<std::size_t, 1> kSortSizes{64 * 4};
inline constexpr std::array<std::size_t, 2> kSieveSizes{1024, 4096};
}  // namespace workload_detail

inline constexpr std::array<WorkloadInfo, 7> kWorkloads{{
    {"fletcher16", workload_detail::kStreamSizes,
     "Fletcher-16, bytes, mod 255 per byte (the seed benchmark)"},
    {"fletcher32", workload_detail::kStreamSizes, "Fletcher-32, 16-bit little-endian words, mod 65535"},
    {"crc32", workload_detail::kStreamSizes, "CRC-32 (0xEDB88320, reflected), bitwise, no table"},
    {"bubble_sort", workload_detail::kSortSizes, "bubble sort of 64 uint32_t in place, weighted sum"},
    {"moving_average", workload_detail::kStreamSizes, "8-tap moving average + EMA on int16 samples, Q8"},
    {"sieve", workload_detail::kSieveSizes, "sieve of Eratosthenes below len, count of primes"},
    {"mix64", workload_detail::kStreamSizes, "64-bit hash: mul, rotate, shifts, compare, div/mod"},
}};

/// The workload called name, or nullptr.
[[nodiscard]] constexpr const WorkloadInfo* find_workload(std::string_view name) noexcept {
    for (const WorkloadInfo& w : kWorkloads) {
        if (w.name == name) return &w;
    }
    return nullptr;
}

/// The deterministic input of a workload: size bytes from a fixed-seed xorshift64 stream (the
/// seed mixes in the name and size, so every workload and size has its own stream). The sieve's
/// input is all zeros (only its size matters); the other workloads read the bytes as bytes,
/// little-endian int16 samples or little-endian u32/u64 words.
[[nodiscard]] inline std::vector<std::uint8_t> make_input(std::string_view name, std::size_t size) {
    std::vector<std::uint8_t> out(size);
    if (name == "sieve") return out;
    std::uint64_t state = 0x9E3779B97F4A7C15ull;
    for (const char c : name) state = (state ^ static_cast<std::uint8_t>(c)) * 0x100000001B3ull;
    state ^= static_cast<std::uint64_t>(size) * 0xD1B54A32D192ED03ull;
    if (state == 0) state = 1;
    for (std::size_t i = 0; i < size; ++i) {
        if (i % 8 == 0) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
        }
        out[i] = static_cast<std::uint8_t>(state >> (8 * (i % 8)));
    }
    return out;
}

}  // namespace ubpf::bench
