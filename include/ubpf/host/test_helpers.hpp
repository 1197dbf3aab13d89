// SPDX-License-Identifier: MIT
// The helpers of the test environment (conformance suite, own corpus, CLI). Plain core code: the
// emulated Cortex-M4 image registers the very same functions.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "../helpers.hpp"

namespace ubpf::host {

/// Helpers every host run registers. Id 5 is the unwind helper the public suite expects.
namespace test_helpers {

/// unwind(x): returns x; when x is 0 the program ends at once with r0 = 0.
inline std::uint64_t unwind(std::uint64_t x, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                            HelperContext& ctx) {
    if (x == 0) ctx.exit_program();
    return x;
}
/// sum_bytes(ptr, len): the sum of len readable bytes.
inline std::uint64_t sum_bytes(std::uint64_t ptr, std::uint64_t len, std::uint64_t, std::uint64_t,
                               std::uint64_t, HelperContext& ctx) {
    const auto* p = static_cast<const std::uint8_t*>(ctx.pointer(ptr, len, Access::read));
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; p != nullptr && i < len; ++i) sum += p[i];
    return sum;
}
/// fill_bytes(ptr, len, value): sets len writable bytes to value; returns len.
inline std::uint64_t fill_bytes(std::uint64_t ptr, std::uint64_t len, std::uint64_t value, std::uint64_t,
                                std::uint64_t, HelperContext& ctx) {
    void* p = ctx.pointer(ptr, len, Access::write);
    if (p != nullptr) std::memset(p, static_cast<int>(value & 0xff), static_cast<std::size_t>(len));
    return len;
}
/// string_length(str): length of a zero-terminated string inside one readable region.
inline std::uint64_t string_length(std::uint64_t str, std::uint64_t, std::uint64_t, std::uint64_t,
                                   std::uint64_t, HelperContext& ctx) {
    std::size_t length = 0;
    return ctx.string(str, length) != nullptr ? length : 0;
}
/// fail(): always reports an error.
inline std::uint64_t fail(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                          HelperContext& ctx) {
    ctx.fail();
    return 0;
}

inline constexpr std::array<Helper, 5> kAll = {{
    {5, unwind, "unwind"},
    {100, sum_bytes, "sum_bytes"},
    {101, fill_bytes, "fill_bytes"},
    {102, string_length, "string_length"},
    {103, fail, "fail"},
}};

}  // namespace test_helpers

}  // namespace ubpf::host
