// SPDX-License-Identifier: MIT
#include "vm_image.hpp"

#include <stdexcept>
#include <vector>

#include "image/layout.hpp"

namespace ubpf::m4 {

namespace {

constexpr std::uint8_t kPaint = 0xa5;

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
    // A program image is loaded by the image itself, from its raw bytes.
    const std::size_t code_bytes = is_image ? 0 : request.code.size() * sizeof(Insn);
    const std::size_t allowed = request.allowed_helpers ? request.allowed_helpers->size() : 0;
    if (code_bytes > kAreaSize || request.mem.size() > kAreaSize || request.rodata.size() > kAreaSize ||
        sizeof(RunBlock) + allowed * 4 > kAreaSize)
        throw std::runtime_error("request too large for the image's memory map");

    // Every run starts as in a freshly loaded image: zeroed eBPF stack (.bss), painted native stack.
    emu_.write(stack_addr_, std::vector<std::uint8_t>(stack_size_, 0));
    emu_.write(kStackTop - kStackSize, std::vector<std::uint8_t>(kStackSize, kPaint));

    // Map exactly what the program may touch, besides the image itself, for this run only.
    RunBlock block{};
    block.code_addr = kCodeBase;
    block.code_count = static_cast<std::uint32_t>(request.code.size());
    if (code_bytes != 0) {
        emu_.map(kCodeBase, static_cast<std::uint32_t>(code_bytes), false);
        emu_.write(kCodeBase, request.code.data(), code_bytes);
    }
    const auto mem_len = static_cast<std::uint32_t>(request.mem.size());
    const auto rodata_len = static_cast<std::uint32_t>(request.rodata.size());
    if (mem_len != 0) {
        emu_.map(kMemBase, mem_len);
        emu_.write(kMemBase, request.mem);
        block.mem_addr = kMemBase;
        block.mem_len = mem_len;
    }
    if (rodata_len != 0) {
        emu_.map(kRodataBase, rodata_len, false);
        emu_.write(kRodataBase, request.rodata);
        block.rodata_addr = kRodataBase;
        block.rodata_len = rodata_len;
    }
    block.allowed_addr = kBlockBase + sizeof(RunBlock);
    block.allowed_count = static_cast<std::uint32_t>(allowed);
    block.allow_all = request.allowed_helpers ? 0 : 1;
    if (allowed != 0) emu_.write(block.allowed_addr, request.allowed_helpers->data(), allowed * 4);
    block.budget = request.budget;
    block.mark = mark_;
    if (is_image) place_image(emu_, request, block, *forwarder_);
    emu_.write(kBlockBase, &block, sizeof block);

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
    const std::vector<std::uint8_t> stack = emu_.read(kStackTop - kStackSize, kStackSize);
    std::size_t untouched = 0;
    while (untouched < stack.size() && stack[untouched] == kPaint) ++untouched;
    run.stack_bytes = static_cast<std::uint32_t>(kStackSize - untouched);
    if (!run.fault) {
        emu_.read(kBlockBase, &block, sizeof block);
        run.report.ok = block.ok != 0;
        run.report.r0 = block.r0;
        run.report.instructions = block.instructions;
        run.report.error = Error{static_cast<ErrorCode>(block.error_code), block.error_pc};
        if (mem_len != 0) run.report.mem_after = emu_.read(kMemBase, mem_len);
    }
    if (code_bytes != 0) emu_.unmap(kCodeBase, static_cast<std::uint32_t>(code_bytes));
    if (mem_len != 0) emu_.unmap(kMemBase, mem_len);
    if (rodata_len != 0) emu_.unmap(kRodataBase, rodata_len);
    if (is_image) {
        emu_.unmap(kImageBase, static_cast<std::uint32_t>(request.image.size()));
        forwarder_->attach(nullptr);
    }
    return run;
}

ImageRun run_on_image(const std::string& elf_path, const host::RunRequest& request) {
    VmSession session(elf_path);
    return session.run(request);
}

}  // namespace ubpf::m4
