// SPDX-License-Identifier: MIT
// The input layout of fuzz_vm and fuzz_jit (whose seeds serve both): byte 0 = memory length L
// (its low 6 bits; fuzz_jit reads the top 2 too), then L bytes of memory, then byte code (a
// trailing partial instruction is left out).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include <ubpf/isa.hpp>

namespace fuzz {

struct ProgramInput {
    std::span<const std::uint8_t> mem;
    std::vector<ubpf::Insn> code;  ///< a copy: the input bytes need not be aligned
};

/// Splits a non-empty input.
inline ProgramInput split_program_input(const std::uint8_t* data, std::size_t size) {
    ProgramInput in;
    const std::size_t mem_len = std::min<std::size_t>(data[0] % 64, size - 1);
    in.mem = {data + 1, mem_len};
    in.code.resize((size - 1 - mem_len) / sizeof(ubpf::Insn));
    if (!in.code.empty())
        std::memcpy(static_cast<void*>(in.code.data()), data + 1 + mem_len,
                    in.code.size() * sizeof(ubpf::Insn));
    return in;
}

}  // namespace fuzz
