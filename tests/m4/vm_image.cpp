// SPDX-License-Identifier: MIT
#include "vm_image.hpp"

#include <stdexcept>
#include <vector>

#include "image/layout.hpp"

namespace ubpf::m4 {

namespace {

std::uint32_t symbol(const ElfImage& image, const std::string& name) {
    const auto it = image.symbols.find(name);
    if (it == image.symbols.end()) throw std::runtime_error("image lacks symbol " + name);
    return it->second;
}

}  // namespace

VmSession::VmSession(const std::string& elf_path) {
    image_ = emu_.load_elf(elf_path);
    emu_.set_stack(kStackTop, kStackSize);
    emu_.map(kBlockBase, kAreaSize);
    mark_ = emu_.add_host_function([this](Emulator& e) { at_mark_ = e.instructions(); });
    forwarder_.emplace(emu_);
    // The eBPF stack is the image's one piece of state a run leaves behind.
    const std::string stack = "_ZN12_GLOBAL__N_110ebpf_stackE";
    stack_addr_ = symbol(image_, stack);
    stack_size_ = image_.sizes.at(stack);
}

ImageRun VmSession::run(const host::RunRequest& request) {
    const bool is_image = !request.image.empty();
    // Every run starts as in a freshly loaded image: zeroed eBPF stack (.bss), painted native stack.
    emu_.write(stack_addr_, std::vector<std::uint8_t>(stack_size_, 0));
    emu_.paint_stack();

    // Map exactly what the program may touch, besides the image itself, for this run only.
    PlacedRequest placed(emu_, request, mark_, *forwarder_);

    at_mark_ = 0;
    const Arg args[] = {Arg::u32(kBlockBase)};
    // Generous: no interpreter needs 1000 M4 instructions per eBPF instruction.
    const std::uint64_t limit = 10'000'000 + 1000 * std::min<std::uint64_t>(request.budget, 100'000'000);
    const CallResult call =
        emu_.call(symbol(image_, is_image ? "ubpf_m4_run_image" : "ubpf_m4_run"), args, limit);

    ImageRun run;
    run.m4_instructions = call.instructions;
    run.m4_verify_instructions = at_mark_;
    run.fault = call.fault;
    run.stack_bytes = emu_.stack_used();
    if (!run.fault) placed.read_report(run.report, true);
    return run;
}

ImageRun run_on_image(const std::string& elf_path, const host::RunRequest& request) {
    VmSession session(elf_path);
    return session.run(request);
}

}  // namespace ubpf::m4
