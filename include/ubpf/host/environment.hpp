// SPDX-License-Identifier: MIT
// The run environment of the conformance suite and of the `ubpf` CLI, shared by the CLI, the
// bpf_conformance plugin and the tests: memory set-up, the test helpers, and error text.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../vm.hpp"
#include "disassembler.hpp"

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
    if (p != nullptr) std::memset(p, static_cast<int>(value & 0xff), len);
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

struct RunRequest {
    std::span<const Insn> code;
    std::vector<std::uint8_t> mem;     ///< r1/r2: a writable copy is made for the run
    std::vector<std::uint8_t> rodata;  ///< r3/r4: read-only
    std::optional<std::vector<std::uint32_t>> allowed_helpers;  ///< default: all registered
    std::uint64_t budget = 1'000'000;
};

struct RunReport {
    bool ok = false;
    std::uint64_t r0 = 0;
    std::uint64_t instructions = 0;
    Error error{};
    std::vector<std::uint8_t> mem_after;  ///< the writable memory after the run
};

/// "<message> at pc <N>": the one-line error text of the CLI, the plugin and `-- error`.
inline std::string error_text(Error e) {
    return std::string{e.message()} + " at pc " + std::to_string(e.pc);
}

/// The instruction an error points at, disassembled, or "" when pc is past the end.
inline std::string error_instruction(Error e, std::span<const Insn> code) {
    return e.pc < code.size() ? disassemble(code, e.pc) : std::string{};
}

/// Verifies and interprets a program on the host in the suite's environment.
template <Config C = Config{}>
RunReport run_on_host(const RunRequest& request) {
    RunReport report;
    const HelperPolicy policy =
        request.allowed_helpers ? HelperPolicy{*request.allowed_helpers, false} : HelperPolicy{{}, true};
    const Result<VerifiedProgram<C>> verified = verify<C>({request.code, policy}, test_helpers::kAll);
    if (!verified) {
        report.error = verified.error();
        return report;
    }
    report.mem_after = request.mem;
    std::vector<std::uint8_t> rodata = request.rodata;
    std::vector<std::uint8_t> stack(C.stack_size());
    std::vector<Region> regions;
    Execution exec;
    if (!report.mem_after.empty()) {
        regions.push_back(Region::of(report.mem_after.data(), report.mem_after.size(), Access::read_write));
        exec.args[0] = reinterpret_cast<std::uintptr_t>(report.mem_after.data());
    }
    exec.args[1] = report.mem_after.size();
    if (!rodata.empty()) {
        regions.push_back(Region::read_only(rodata.data(), rodata.size()));
        exec.args[2] = reinterpret_cast<std::uintptr_t>(rodata.data());
    }
    exec.args[3] = rodata.size();
    exec.stack = stack;
    exec.regions = regions;
    exec.budget = request.budget;
    const Result<Outcome> outcome = Interpreter<C>::run(*verified, exec);
    if (!outcome) {
        report.error = outcome.error();
        return report;
    }
    report.ok = true;
    report.r0 = outcome->r0;
    report.instructions = outcome->instructions;
    return report;
}

}  // namespace ubpf::host
