// SPDX-License-Identifier: MIT
// libFuzzer target: bytes -> ELF loader -> (if loaded) verifier -> interpreter with a small
// budget, with the checks of load_and_run.hpp.
#include <ubpf/formats/elf.hpp>

#include "load_and_run.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return fuzz::load_and_run(data, size,
                              [](std::span<std::uint8_t> bytes) { return ubpf::load_elf(bytes); });
}
