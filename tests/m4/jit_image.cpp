// SPDX-License-Identifier: MIT
#include "jit_image.hpp"

#include <stdexcept>

#include <cstddef>
#include <cstring>

#include <ubpf/jit/compiler.hpp>
#include <ubpf/loader.hpp>
#include <ubpf/seed_helpers.hpp>

#include "image/jit_layout.hpp"

namespace ubpf::m4 {

namespace {

/// Up to 12 bytes of `code` from `at`, in hex (what a mismatch report shows of each side).
std::string hex_bytes(const std::vector<std::uint8_t>& code, std::size_t at) {
    std::string out;
    char b[4];
    for (std::size_t i = at; i < code.size() && i < at + 12; ++i) {
        std::snprintf(b, sizeof b, "%02x", code[i]);
        out += b;
    }
    return out.empty() ? "(end)" : out;
}

HostJit compile_program(const Program& program, std::span<const Helper> helpers, jit::Options options) {
    constexpr Config kConfig{};
    HostJit out;
    const auto verified = verify<kConfig>(program, helpers);
    if (!verified) {
        out.error = verified.error();
        return out;
    }
    out.code.resize(kJitCodeSize);
    out.offsets.resize(program.code.size());
    const auto compiled = jit::Compiler<kConfig>::compile(*verified, out.code, out.offsets, options);
    if (!compiled) {
        out.error = compiled.error();
        out.code.clear();
        return out;
    }
    out.code.resize(compiled->size);
    out.entry = compiled->entry;
    return out;
}

HelperPolicy requested_policy(const host::RunRequest& request) {
    return request.allowed_helpers
               ? HelperPolicy::only(std::span<const std::uint32_t>{*request.allowed_helpers})
               : HelperPolicy::all();
}

}  // namespace

HostJit compile_on_host(const host::RunRequest& request, jit::Options options) {
    return compile_program({request.code, requested_policy(request)}, host::test_helpers::kAll, options);
}

HostJit compile_image_on_host(const host::RunRequest& request, std::span<const std::uint8_t> relocated,
                              jit::Options options) {
    // Load a host copy for the layout (where the code and each section are in the buffer, the
    // entry, the image's helper list); the code itself comes from the M4's buffer, whose
    // addresses are the M4's, and the regions are moved to the same addresses. The compiler
    // only compares addresses with the regions, it never reads them, so this is the program
    // the Cortex-M4 compiled.
    HostJit out;
    std::vector<std::uint8_t> copy(request.image.begin(), request.image.end());
    const auto image = load_image(copy, *request.format);
    if (!image) {
        out.error = image.error();
        return out;
    }
    const auto at_m4 = [&](std::uintptr_t host) {
        return kImageBase + (host - reinterpret_cast<std::uintptr_t>(copy.data()));
    };
    const std::uintptr_t code_at = at_m4(reinterpret_cast<std::uintptr_t>(image->code.data())) - kImageBase;
    std::vector<Insn> code(image->code.size());
    if (code_at + code.size() * sizeof(Insn) > relocated.size())
        throw std::runtime_error("relocated image too short");
    std::memcpy(static_cast<void*>(code.data()), relocated.data() + code_at, code.size() * sizeof(Insn));
    std::vector<Region> regions;
    for (const Region& r : image->memory()) regions.push_back({at_m4(r.start), r.size, r.access});
    Program program = image->program(requested_policy(request));
    program.code = code;
    program.regions = regions;
    return compile_program(program, seed::kHelpers, options);
}

JitSession::JitSession(const std::string& elf_path) {
    image_ = emu_.load_elf(elf_path);
    emu_.set_stack(kStackTop, kStackSize);
    emu_.map(kBlockBase, kAreaSize);
    emu_.map(kJitCodeBase, kJitCodeSize, true, true);
    emu_.map(kJitBlockBase, sizeof(JitBlock));
    // The image calls this mark after verifying: the compilation starts, and so does its profile.
    mark_ = emu_.add_host_function([this](Emulator& e) {
        at_mark_ = e.instructions();
        if (profiling_) {
            compile_profile_->clear();
            e.profile(compile_profile_);
        }
    });
    // The image calls this mark after compiling, and again when the code starts (after it has
    // dropped the bytecode): the first call ends the compilation, the last starts the run.
    mark_compiled_ = emu_.add_host_function([this](Emulator& e) {
        if (at_compiled_ == 0) {
            at_compiled_ = e.instructions();
            e.profile(nullptr);
        }
        at_run_ = e.instructions();
    });
    forwarder_.emplace(emu_);
}

JitSession::Call JitSession::call(const char* entry, const host::RunRequest& request, bool jit) {
    const bool is_image = !request.image.empty();
    // Map exactly what the program may touch, besides the image, its stack and the JIT buffer.
    PlacedRequest placed(emu_, request, mark_, *forwarder_, jit);
    const std::uint32_t stop = stop_requested_ ? 1 : 0;
    emu_.write(static_cast<std::uint32_t>(kBlockBase + offsetof(RunBlock, stop)), &stop, sizeof stop);
    const std::uint32_t options = (options_.poison_dead_upper_halves ? kJitPoison : 0u) |
                                  (options_.version_loops ? kJitVersionLoops : 0u) |
                                  (options_.loop_registers ? 0u : kJitNoLoopRegisters) |
                                  (options_.blind_constants ? kJitBlind : 0u);
    JitBlock jit_block{kJitCodeBase, kJitCodeSize, mark_compiled_, options, 0, 0, 0, options_.blinding_seed};
    emu_.write(kJitBlockBase, &jit_block, sizeof jit_block);

    at_mark_ = at_compiled_ = at_run_ = 0;
    std::vector<Arg> args = {Arg::u32(kBlockBase)};
    if (jit) args.push_back(Arg::u32(kJitBlockBase));
    const std::uint64_t limit = 20'000'000 + 1000 * std::min<std::uint64_t>(request.budget, 100'000'000);
    Call out;
    profiling_ = jit && compile_profile_ != nullptr;
    if (profiling_) compile_profile_->clear();
    emu_.paint_stack();
    out.result = emu_.call(image_.symbols.at(entry), args, limit);
    out.stack_bytes = emu_.stack_used();
    emu_.profile(nullptr);  // when the compilation did not end (a fault, a rejected program)
    profiling_ = false;
    if (!out.result.fault) {
        // Like run_on_host: the memory after a run, once the program was verified.
        placed.read_report(out.report, at_mark_ != 0);
    }
    if (is_image) out.relocated = placed.image_after();
    return out;
}

host::RunReport JitSession::interpret(const host::RunRequest& request) {
    if (!request.image.empty()) throw std::runtime_error("interpret() runs .data programs only");
    Call c = call("ubpf_m4_jit_interpret", request, false);
    if (c.result.fault) throw std::runtime_error("interpreter faulted: " + c.result.fault->what);
    return c.report;
}

JitImageRun JitSession::run(const host::RunRequest& request) {
    const bool is_image = !request.image.empty();
    Call c = call(is_image ? "ubpf_m4_jit_image" : "ubpf_m4_jit", request, true);
    JitImageRun out;
    out.fault = c.result.fault;
    out.report = c.report;
    out.stack_bytes = c.stack_bytes;
    out.image_after = c.relocated;
    JitBlock jit{};
    emu_.read(kJitBlockBase, &jit, sizeof jit);
    out.compiled = jit.compiled != 0;
    out.verify_instructions = at_mark_;
    if (out.compiled) {
        out.code = emu_.read(kJitCodeBase, jit.code_size);
        out.entry = jit.entry;
        out.compile_instructions = at_compiled_ - at_mark_;
        out.run_instructions = c.result.instructions - at_run_;
    }
    // The same program through the host JIT (the cross-compiler) must give the same bytes.
    const HostJit host =
        is_image ? compile_image_on_host(request, c.relocated, options_) : compile_on_host(request, options_);
    if (out.compiled && (host.code != out.code || host.entry != out.entry)) {
        std::size_t at = 0;
        while (at < host.code.size() && at < out.code.size() && host.code[at] == out.code[at]) ++at;
        out.mismatch = "host JIT and Cortex-M4 JIT emitted different code (" +
                       std::to_string(host.code.size()) + " and " + std::to_string(out.code.size()) +
                       " bytes, entries " + std::to_string(host.entry) + " and " + std::to_string(out.entry) +
                       ", first difference at byte " + std::to_string(at) + ": " + hex_bytes(host.code, at) +
                       " and " + hex_bytes(out.code, at) + ")";
    }
    if (!out.compiled && !out.fault && host.error.code == ErrorCode::none)
        out.mismatch = "the host JIT compiled a program the Cortex-M4 JIT rejected";
    return out;
}

}  // namespace ubpf::m4
