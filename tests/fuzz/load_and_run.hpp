// SPDX-License-Identifier: MIT
// What every loader fuzz target checks: the image lives in an exactly-sized, 8-byte aligned heap
// block, so a read or write outside it is caught by AddressSanitizer; a rejected image is left
// unchanged; the loaded code and regions lie inside the buffer; loading again changes nothing
// and gives the same image; and a loaded program verifies and runs with a small budget.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <ubpf/host/test_helpers.hpp>
#include <ubpf/image.hpp>
#include <ubpf/interpreter.hpp>
#include <ubpf/verifier.hpp>

namespace fuzz {

inline constexpr ubpf::Config kConfig{.max_instructions = 4096};

inline bool inside(std::span<const std::uint8_t> buffer, std::uintptr_t start, std::size_t size) {
    const auto begin = reinterpret_cast<std::uintptr_t>(buffer.data());
    return start >= begin && size <= buffer.size() && start - begin <= buffer.size() - size;
}

inline bool same(const ubpf::Image& a, const ubpf::Image& b) {
    if (a.code.data() != b.code.data() || a.code.size() != b.code.size() ||
        a.region_count != b.region_count || a.entry != b.entry)
        return false;
    for (std::size_t i = 0; i < a.region_count; ++i)
        if (a.regions[i].start != b.regions[i].start || a.regions[i].size != b.regions[i].size ||
            a.regions[i].access != b.regions[i].access)
            return false;
    return true;
}

/// Runs every check on `data` loaded by `load` (a span<uint8_t> -> Result<Image> callable).
template <class Load>
int load_and_run(const std::uint8_t* data, std::size_t size, Load load) {
    std::vector<std::uint64_t> words((size + 7) / 8);
    if (size != 0) std::memcpy(words.data(), data, size);
    const std::span<std::uint8_t> bytes{reinterpret_cast<std::uint8_t*>(words.data()), size};

    const auto image = load(bytes);
    if (!image) {
        if (size != 0 && std::memcmp(bytes.data(), data, size) != 0) std::abort();  // rejected but modified
        return 0;
    }
    const auto code = std::as_bytes(image->code);
    if (!inside(bytes, reinterpret_cast<std::uintptr_t>(code.data()), code.size())) std::abort();
    for (const ubpf::Region& r : image->memory())
        if (!inside(bytes, r.start, r.size)) std::abort();

    const std::vector<std::uint8_t> loaded(bytes.begin(), bytes.end());
    const auto again = load(bytes);
    if (!again || !same(*image, *again) || !std::equal(loaded.begin(), loaded.end(), bytes.begin()))
        std::abort();  // loading is not idempotent

    const auto verified =
        ubpf::verify<kConfig>(image->program(ubpf::HelperPolicy::all()), ubpf::host::test_helpers::kAll);
    if (!verified) return 0;
    std::vector<std::uint8_t> stack(kConfig.stack_size());
    ubpf::Execution exec;
    exec.stack = stack;
    exec.budget = 10'000;
    (void)ubpf::Interpreter<kConfig>::run(*verified, exec);
    return 0;
}

}  // namespace fuzz
