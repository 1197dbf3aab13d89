// SPDX-License-Identifier: MIT
// CodeRunner (what ubpf-device runs JIT code with): host-compiled code runs on the emulated M4,
// and an emulator is replaced after its runs_per_emulator runs without a run noticing.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>

#include <ubpf/host/assembler.hpp>
#include <ubpf/jit/compiler.hpp>
#include <ubpf/verifier.hpp>

#include "code_runner.hpp"

using namespace ubpf;

TEST_CASE("CodeRunner: a new emulator after runs_per_emulator runs, the same results", "[m4][runner]") {
    constexpr Config kConfig{};
    const auto assembled = host::assemble("mov %r0, %r1\nmul %r0, 3\nadd %r0, 1\nexit\n");
    REQUIRE(assembled.error.empty());
    // Everything the code may address lies in the shared memory: the program, stack and code.
    m4::SharedMemory shared(64 * 1024);
    std::uint8_t* at = shared.bytes().data();
    auto* insns = reinterpret_cast<Insn*>(at);
    std::memcpy(insns, assembled.code.data(), assembled.code.size() * sizeof(Insn));
    const std::span<std::uint8_t> stack{at + 4096, kConfig.stack_size()};
    const std::span<std::uint8_t> code{at + 32 * 1024, 16 * 1024};
    const auto verified = verify<kConfig>({{insns, assembled.code.size()}}, {});
    REQUIRE(verified.ok());
    const auto compiled = jit::Compiler<kConfig>::compile(*verified, code);
    REQUIRE(compiled.ok());

    m4::CodeRunner runner(shared, UBPF_M4_IMAGE_DIR "/m4_jit.elf", 3);
    const std::atomic<bool> stop{false};
    for (std::uint64_t i = 0; i < 7; ++i) {
        Execution exec;
        exec.stack = stack;
        exec.args = {i};
        m4::CodeRunInfo info;
        const auto r = runner.run(*verified, code.first(compiled->size), *compiled, exec, stop, info);
        INFO("run " << i << ": " << info.failure);
        REQUIRE(r.ok());
        CHECK(r->r0 == 3 * i + 1);
        CHECK(r->instructions == 4);
    }
    // Runs 1-3, 4-6 and 7, one emulator each.
    CHECK(runner.emulators_started() == 3);
}
