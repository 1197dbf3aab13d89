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

#include "../image.hpp"
#include "../vm.hpp"
#include "disassembler.hpp"
#include "test_helpers.hpp"

namespace ubpf::host {

struct RunRequest {
    std::span<const Insn> code;
    std::vector<std::uint8_t> mem;     ///< r1/r2: a writable copy is made for the run
    std::vector<std::uint8_t> rodata;  ///< r3/r4: read-only
    std::optional<std::vector<std::uint32_t>> allowed_helpers;  ///< default: all registered
    std::uint64_t budget = 1'000'000;
    /// A loaded image's policy and own memory (.data/.rodata); used instead of
    /// allowed_helpers when set.
    std::optional<HelperPolicy> policy;
    std::span<const Region> program_regions;
    /// The helper table; empty: the conformance suite's test helpers.
    std::span<const Helper> helpers;
    void* user = nullptr;  ///< Execution::user for the helpers
    /// A program image's raw bytes and format, for engines that load the image themselves at
    /// their own addresses (the emulated Cortex-M4); `code`, `policy` and `program_regions`
    /// are the host's loading of the same bytes, and allowed_helpers the policy asked for.
    /// Such engines run the seed's helpers, and `user` must then be a seed::Environment (they
    /// forward its output and clock).
    std::span<const std::uint8_t> image;
    std::optional<Format> format;
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
        request.policy ? *request.policy
        : request.allowed_helpers
            ? HelperPolicy::only(std::span<const std::uint32_t>{*request.allowed_helpers})
            : HelperPolicy::all();
    const std::span<const Helper> helpers = request.helpers.empty() ? test_helpers::kAll : request.helpers;
    const Result<VerifiedProgram<C>> verified =
        verify<C>({request.code, policy, request.program_regions}, helpers);
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
    exec.user = request.user;
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
