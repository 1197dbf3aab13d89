// SPDX-License-Identifier: MIT
#include "jit_image.hpp"

#include <ubpf/jit/compiler.hpp>

#include "image/jit_layout.hpp"

namespace ubpf::m4 {

HostJit compile_on_host(const host::RunRequest& request) {
    constexpr Config kConfig{};
    HostJit out;
    const HelperPolicy policy =
        request.allowed_helpers ? HelperPolicy::only(std::span<const std::uint32_t>{*request.allowed_helpers})
                                : HelperPolicy::all();
    const auto verified = verify<kConfig>({request.code, policy}, host::test_helpers::kAll);
    if (!verified) {
        out.error = verified.error();
        return out;
    }
    out.code.resize(kJitCodeSize);
    out.offsets.resize(request.code.size());
    const auto compiled = jit::Compiler<kConfig>::compile(*verified, out.code, out.offsets);
    if (!compiled) {
        out.error = compiled.error();
        out.code.clear();
        return out;
    }
    out.code.resize(compiled->size);
    out.entry = compiled->entry;
    return out;
}

JitImageRun run_jit_on_image(const std::string& elf_path, const host::RunRequest& request) {
    JitImageRun out;
    JitBlock block{};
    std::uint64_t at_compiled = 0;
    ImageHooks hooks;
    hooks.entry = "ubpf_m4_jit";
    hooks.before = [&](Emulator& emu, std::vector<Arg>& args) {
        emu.map(kJitCodeBase, kJitCodeSize, true, true);
        emu.map(kJitBlockBase, sizeof block);
        block.code_addr = kJitCodeBase;
        block.code_capacity = kJitCodeSize;
        block.mark_compiled = emu.add_host_function([&](Emulator& e) { at_compiled = e.instructions(); });
        emu.write(kJitBlockBase, &block, sizeof block);
        args.push_back(Arg::u32(kJitBlockBase));
    };
    hooks.after = [&](Emulator& emu) {
        emu.read(kJitBlockBase, &block, sizeof block);
        if (block.compiled != 0) out.code = emu.read(kJitCodeBase, block.code_size);
    };
    out.image = run_on_image(elf_path, request, hooks);
    out.compiled = block.compiled != 0;
    out.entry = block.entry;
    if (out.compiled) {
        out.compile_instructions = at_compiled - out.image.m4_verify_instructions;
        out.run_instructions = out.image.m4_instructions - at_compiled;
    }
    // The same program through the host JIT (the cross-compiler) must give the same bytes.
    const HostJit host = compile_on_host(request);
    if (out.compiled && (host.code != out.code || host.entry != out.entry))
        out.mismatch = "host JIT and Cortex-M4 JIT emitted different code";
    if (!out.compiled && !out.image.fault && host.error.code == ErrorCode::none)
        out.mismatch = "the host JIT compiled a program the Cortex-M4 JIT rejected";
    return out;
}

}  // namespace ubpf::m4
