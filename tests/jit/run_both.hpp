// SPDX-License-Identifier: MIT
// One program in assembly text run by the interpreter and as JIT code in the same Cortex-M4 image
// (so pointer values agree), for the JIT's targeted tests that compare the two.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/host/environment.hpp>

#include "jit_image.hpp"

namespace ubpf::test {

struct Ran {
    host::RunReport want;  // the interpreter's
    m4::JitImageRun run;
};

/// Runs `source` over `mem` with default JIT options; the emulator must not fault and the host's
/// JIT must have written the same code.
inline Ran run_both(m4::JitSession& session, const std::string& source, std::vector<std::uint8_t> mem,
                    std::uint64_t budget = host::RunRequest{}.budget) {
    const host::AssemblyResult assembled = host::assemble(source);
    REQUIRE(assembled.error.empty());
    host::RunRequest request;
    request.code = assembled.code;
    request.mem = std::move(mem);
    request.budget = budget;
    session.set_options({});
    Ran r{session.interpret(request), session.run(request)};
    REQUIRE_FALSE(r.run.fault.has_value());
    REQUIRE(r.run.mismatch.empty());
    return r;
}

}  // namespace ubpf::test
