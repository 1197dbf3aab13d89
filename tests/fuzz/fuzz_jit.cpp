// SPDX-License-Identifier: MIT
// libFuzzer target: every program the verifier accepts runs as JIT code on the emulated
// Cortex-M4 (the JIT image compiles it there; the host's compiler must make the same bytes) and
// on the interpreter compiled into the same image, so that addresses, and whatever a program
// computes from them, are the same for both. r0, the error (code and pc), the instructions
// executed and the memory left must agree; then again with the budget running out part way.
// Where tests/jit/differential_test.cpp generates programs of known shapes, this one lets
// coverage of the compiler (instrumented here, the host's copy) lead to the rare ones.
// Input layout: program_input.hpp. The JIT's option set (default, versioned loops,
// blinded constants, poisoned dead upper halves) is byte 0's top 2 bits plus the input's size,
// modulo 4.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <ubpf/host/disassembler.hpp>
#include <ubpf/host/environment.hpp>
#include <ubpf/host/test_helpers.hpp>
#include <ubpf/jit/compiler.hpp>
#include <ubpf/verifier.hpp>

#include "image/jit_layout.hpp"
#include "jit_image.hpp"
#include "program_input.hpp"

namespace {

constexpr unsigned kInputsPerSession = 20'000;

std::string describe(const ubpf::host::RunReport& r) {
    std::string s = r.ok ? "r0 " + std::to_string(r.r0) : "error " + ubpf::host::error_text(r.error);
    return s + ", " + std::to_string(r.instructions) + " instructions";
}

[[noreturn]] void fail(const char* what, std::span<const ubpf::Insn> code, std::uint64_t budget,
                       const std::string& detail) {
    std::fprintf(stderr, "fuzz_jit: %s (budget %llu)\n%s\n%s", what, static_cast<unsigned long long>(budget),
                 detail.c_str(), ubpf::host::disassemble(code).c_str());
    std::abort();
}

/// Runs `request` both ways and aborts on any difference (`code`: what this target's compiler
/// made, when it compiled); returns the interpreter's report.
ubpf::host::RunReport compare(ubpf::m4::JitSession& session, const ubpf::host::RunRequest& request,
                              std::span<const std::uint8_t> code) {
    const ubpf::host::RunReport want = session.interpret(request);
    const ubpf::m4::JitImageRun got = session.run(request);
    if (got.fault) fail("the emulated Cortex-M4 faulted", request.code, request.budget, got.fault->what);
    if (!got.mismatch.empty())
        fail("host and device JIT bytes differ", request.code, request.budget, got.mismatch);
    if (!code.empty() && !std::equal(code.begin(), code.end(), got.code.begin(), got.code.end()))
        fail("the fuzz target's compiler and the device's made different bytes", request.code, request.budget,
             "");
    if (describe(got.report) != describe(want))
        fail("JIT code and interpreter disagree", request.code, request.budget,
             "JIT: " + describe(got.report) + "\ninterpreter: " + describe(want));
    if (got.report.mem_after != want.mem_after)
        fail("JIT code and interpreter leave different memory", request.code, request.budget, describe(want));
    return want;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const fuzz::ProgramInput in = fuzz::split_program_input(data, size);
    const std::vector<ubpf::Insn>& code = in.code;

    // Only accepted programs go to the emulator (most inputs are not: the host's verifier, the
    // same source as the image's, says so quickly).
    constexpr ubpf::Config kConfig{};
    const auto verified =
        ubpf::verify<kConfig>({code, ubpf::HelperPolicy::all()}, ubpf::host::test_helpers::kAll);
    if (!verified) return 0;
    const unsigned option_set = ((data[0] >> 6) + size) & 3;  // (the .data seeds have all four)
    const ubpf::jit::Options options{.poison_dead_upper_halves = option_set == 3,
                                     .version_loops = option_set == 1,
                                     .blind_constants = option_set == 2,
                                     .blinding_seed = static_cast<std::uint32_t>(size * 2654435761u)};
    // Compiled here too, where coverage instrumentation (and the sanitizers) see the compiler:
    // the session's host copy is in a library built without them. Its bytes must be the
    // device's as well.
    static std::vector<std::uint8_t> buffer(ubpf::m4::kJitCodeSize);
    const auto compiled = ubpf::jit::Compiler<kConfig>::compile(*verified, buffer, {}, options);
    const std::span<const std::uint8_t> code_here =
        compiled ? std::span<const std::uint8_t>{buffer.data(), compiled->size}
                 : std::span<const std::uint8_t>{};

    // One emulator serves many inputs, but not all: Unicorn 2.0.1 crashed inside its
    // translation cache (tb_set_jmp_target_arm, a write to address 0) after about 650k inputs
    // run by one emulator here, a crash no single input repeats.
    static std::optional<ubpf::m4::JitSession> session;
    static unsigned inputs = 0;
    if (!session || ++inputs % kInputsPerSession == 0) session.emplace(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    session->set_options(options);
    ubpf::host::RunRequest request;
    request.code = code;
    request.mem.assign(in.mem.begin(), in.mem.end());
    for (std::uint8_t i = 0; i < 16; ++i) request.rodata.push_back(static_cast<std::uint8_t>(0xf0 | i));
    request.budget = 10'000;
    const ubpf::host::RunReport want = compare(*session, request, code_here);
    // The budget's cut-off inside a block the JIT charges at once: the error and memory left.
    if (want.instructions > 1) {
        request.budget = size % want.instructions;
        compare(*session, request, code_here);
    }
    return 0;
}
