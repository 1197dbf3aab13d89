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

ImageRun run_on_image(const std::string& elf_path, const host::RunRequest& request) {
    const std::size_t code_bytes = request.code.size() * sizeof(Insn);
    const std::size_t allowed = request.allowed_helpers ? request.allowed_helpers->size() : 0;
    if (code_bytes > kAreaSize || request.mem.size() > kAreaSize || request.rodata.size() > kAreaSize ||
        sizeof(RunBlock) + allowed * 4 > kAreaSize)
        throw std::runtime_error("request too large for the image's memory map");

    Emulator emu;
    const ElfImage image = emu.load_elf(elf_path);
    emu.set_stack(kStackTop, kStackSize);
    emu.write(kStackTop - kStackSize, std::vector<std::uint8_t>(kStackSize, kPaint));

    // Map exactly what the program may touch, besides the image itself.
    RunBlock block{};
    emu.map(kBlockBase, sizeof(RunBlock) + static_cast<std::uint32_t>(allowed * 4));
    block.code_addr = kCodeBase;
    block.code_count = static_cast<std::uint32_t>(request.code.size());
    if (code_bytes != 0) {
        emu.map(kCodeBase, static_cast<std::uint32_t>(code_bytes), false);
        emu.write(kCodeBase, request.code.data(), code_bytes);
    }
    if (!request.mem.empty()) {
        emu.map(kMemBase, static_cast<std::uint32_t>(request.mem.size()));
        emu.write(kMemBase, request.mem);
        block.mem_addr = kMemBase;
        block.mem_len = static_cast<std::uint32_t>(request.mem.size());
    }
    if (!request.rodata.empty()) {
        emu.map(kRodataBase, static_cast<std::uint32_t>(request.rodata.size()), false);
        emu.write(kRodataBase, request.rodata);
        block.rodata_addr = kRodataBase;
        block.rodata_len = static_cast<std::uint32_t>(request.rodata.size());
    }
    block.allowed_addr = kBlockBase + sizeof(RunBlock);
    block.allowed_count = static_cast<std::uint32_t>(allowed);
    block.allow_all = request.allowed_helpers ? 0 : 1;
    if (allowed != 0) emu.write(block.allowed_addr, request.allowed_helpers->data(), allowed * 4);
    block.budget = request.budget;
    std::uint64_t at_mark = 0;
    block.mark = emu.add_host_function([&at_mark](Emulator& e) { at_mark = e.instructions(); });
    emu.write(kBlockBase, &block, sizeof block);

    const Arg args[] = {Arg::u32(kBlockBase)};
    // Generous: no interpreter needs 1000 M4 instructions per eBPF instruction.
    const std::uint64_t limit = 10'000'000 + 1000 * std::min<std::uint64_t>(request.budget, 100'000'000);
    const CallResult call = emu.call(symbol(image, "ubpf_m4_run"), args, limit);

    ImageRun run;
    run.m4_instructions = call.instructions;
    run.m4_verify_instructions = at_mark;
    run.fault = call.fault;
    const std::vector<std::uint8_t> stack = emu.read(kStackTop - kStackSize, kStackSize);
    std::size_t untouched = 0;
    while (untouched < stack.size() && stack[untouched] == kPaint) ++untouched;
    run.stack_bytes = static_cast<std::uint32_t>(kStackSize - untouched);
    if (run.fault) return run;

    emu.read(kBlockBase, &block, sizeof block);
    run.report.ok = block.ok != 0;
    run.report.r0 = block.r0;
    run.report.instructions = block.instructions;
    run.report.error = Error{static_cast<ErrorCode>(block.error_code), block.error_pc};
    if (!request.mem.empty()) run.report.mem_after = emu.read(kMemBase, request.mem.size());
    return run;
}

}  // namespace ubpf::m4
