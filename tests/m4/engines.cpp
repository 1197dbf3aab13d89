// SPDX-License-Identifier: MIT
#include "engines.hpp"

#include <cinttypes>
#include <cstdio>
#include <stdexcept>

#include "jit_image.hpp"
#include "vm_image.hpp"

namespace ubpf::m4 {

namespace {

std::string describe(const Fault& fault) {
    char where[64];
    std::snprintf(where, sizeof where, " (address 0x%" PRIx64 ", pc 0x%08" PRIx32 ")", fault.address,
                  fault.pc);
    return "emulated Cortex-M4: " + fault.what + where;
}

}  // namespace

std::string engine_names() {
    return "host, m4-interp, m4-interp-Os, m4-jit, m4-jit-poison, m4-jit-versioned, m4-jit-blinded";
}

namespace {

bool is_jit(std::string_view engine) {
    return engine == "m4-jit" || engine == "m4-jit-poison" || engine == "m4-jit-versioned" ||
           engine == "m4-jit-blinded";
}

const char* image_path(std::string_view engine) {
    return engine == "m4-interp"      ? UBPF_M4_IMAGE_DIR "/m4_vm_O2.elf"
           : engine == "m4-interp-Os" ? UBPF_M4_IMAGE_DIR "/m4_vm_Os.elf"
           : is_jit(engine)           ? UBPF_M4_IMAGE_DIR "/m4_jit.elf"
                                      : nullptr;
}

}  // namespace

struct EngineSession::State {
    std::string engine;
    std::optional<VmSession> vm;
    std::optional<JitSession> jit;
};

EngineSession::EngineSession(std::string_view engine) : state_(std::make_unique<State>()) {
    state_->engine = engine;
    if (engine == "host") return;
    const char* image = image_path(engine);
    if (image == nullptr) throw std::invalid_argument("no engine '" + std::string{engine} + "'");
    if (is_jit(engine)) {
        state_->jit.emplace(image);
        // m4-jit-poison: JIT code that overwrites the upper halves its liveness analysis calls
        // dead. m4-jit-versioned: short loops get a copy without the checks of their loads.
        // m4-jit-blinded: constants blinded (a fixed seed, so that runs repeat), loops versioned
        // too, so that the loops whose constants keep them from it are seen to run as usual.
        const bool blinded = engine == "m4-jit-blinded";
        state_->jit->set_options({.poison_dead_upper_halves = engine == "m4-jit-poison",
                                  .version_loops = engine == "m4-jit-versioned" || blinded,
                                  .blind_constants = blinded,
                                  .blinding_seed = blinded ? 0x5eed1234u : 0u});
    } else
        state_->vm.emplace(image);
}

EngineSession::~EngineSession() = default;

EngineRun EngineSession::run(const host::RunRequest& request) {
    EngineRun run;
    if (state_->engine == "host") {
        run.report = host::run_on_host(request);
        return run;
    }
    // A program image runs from its raw bytes, loaded inside the emulator at M4 addresses with
    // the seed's helpers; a host-side loading alone cannot be moved there.
    if (request.image.empty() &&
        (!request.helpers.empty() || !request.program_regions.empty() || request.policy)) {
        run.failure =
            "the Cortex-M4 images run .data programs with the test helpers, or program images from "
            "their raw bytes (RunRequest::image)";
        return run;
    }
    if (!request.image.empty() && !request.format) {
        run.failure = "a program image needs its format";
        return run;
    }
    if (state_->jit) {
        const JitImageRun jit = state_->jit->run(request);
        run.report = jit.report;
        run.m4_instructions = jit.run_instructions;
        run.m4_verify_instructions = jit.verify_instructions;
        if (jit.compiled) {
            run.m4_compile_instructions = jit.compile_instructions;
            run.jit_code_bytes = jit.code.size();
        }
        run.failure = jit.mismatch;
        if (jit.fault) run.failure = describe(*jit.fault);
        return run;
    }
    const ImageRun on_m4 = state_->vm->run(request);
    run.report = on_m4.report;
    run.m4_instructions = on_m4.m4_instructions - on_m4.m4_verify_instructions;
    run.m4_verify_instructions = on_m4.m4_verify_instructions;
    if (on_m4.fault) run.failure = describe(*on_m4.fault);
    return run;
}

std::optional<EngineRun> run_engine(std::string_view engine, const host::RunRequest& request) {
    if (engine != "host" && image_path(engine) == nullptr) return std::nullopt;
    EngineSession session(engine);
    return session.run(request);
}

}  // namespace ubpf::m4
