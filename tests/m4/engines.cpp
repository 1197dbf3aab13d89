// SPDX-License-Identifier: MIT
#include "engines.hpp"

#include <cinttypes>
#include <cstdio>

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
    return "host, m4-interp, m4-interp-Os, m4-jit";
}

std::optional<EngineRun> run_engine(std::string_view engine, const host::RunRequest& request) {
    EngineRun run;
    if (engine == "host") {
        run.report = host::run_on_host(request);
        return run;
    }
    const char* image = engine == "m4-interp"      ? UBPF_M4_IMAGE_DIR "/m4_vm_O2.elf"
                        : engine == "m4-interp-Os" ? UBPF_M4_IMAGE_DIR "/m4_vm_Os.elf"
                        : engine == "m4-jit"       ? UBPF_M4_IMAGE_DIR "/m4_jit.elf"
                                                   : nullptr;
    if (image == nullptr) return std::nullopt;
    if (!request.helpers.empty() || !request.program_regions.empty() || request.policy) {
        run.failure =
            "the Cortex-M4 images run .data programs with the test helpers only; run program images "
            "with --engine host";
        return run;
    }
    if (engine == "m4-jit") {
        JitSession session(image);
        const JitImageRun jit = session.run(request);
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
    const ImageRun on_m4 = run_on_image(image, request);
    run.report = on_m4.report;
    run.m4_instructions = on_m4.m4_instructions - on_m4.m4_verify_instructions;
    run.m4_verify_instructions = on_m4.m4_verify_instructions;
    if (on_m4.fault) run.failure = describe(*on_m4.fault);
    return run;
}

}  // namespace ubpf::m4
