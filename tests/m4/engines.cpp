// SPDX-License-Identifier: MIT
#include "engines.hpp"

#include <cinttypes>
#include <cstdio>

#include "vm_image.hpp"

namespace ubpf::m4 {

std::string engine_names() {
    return "host, m4-interp, m4-interp-Os";
}

std::optional<EngineRun> run_engine(std::string_view engine, const host::RunRequest& request) {
    EngineRun run;
    if (engine == "host") {
        run.report = host::run_on_host(request);
        return run;
    }
    const char* image = engine == "m4-interp"      ? UBPF_M4_IMAGE_DIR "/m4_vm_O2.elf"
                        : engine == "m4-interp-Os" ? UBPF_M4_IMAGE_DIR "/m4_vm_Os.elf"
                                                   : nullptr;
    if (image == nullptr) return std::nullopt;
    const ImageRun on_m4 = run_on_image(image, request);
    run.report = on_m4.report;
    run.m4_instructions = on_m4.m4_instructions - on_m4.m4_verify_instructions;
    run.m4_verify_instructions = on_m4.m4_verify_instructions;
    if (on_m4.fault) {
        char where[64];
        std::snprintf(where, sizeof where, " (address 0x%" PRIx64 ", pc 0x%08" PRIx32 ")",
                      on_m4.fault->address, on_m4.fault->pc);
        run.failure = "emulated Cortex-M4: " + on_m4.fault->what + where;
    }
    return run;
}

}  // namespace ubpf::m4
