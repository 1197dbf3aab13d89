// SPDX-License-Identifier: MIT
#include "seed_forwarder.hpp"

#include <stdexcept>

#include <unicorn/unicorn.h>

#include <ubpf/seed_helpers.hpp>

namespace ubpf::m4 {

SeedForwarder::SeedForwarder(Emulator& emu) {
    // void write(const char* text, uint32_t length): written straight through, so the output
    // interleaves with the host's own in program order.
    output_ = emu.add_host_function([this](Emulator& e) {
        auto* env = static_cast<seed::Environment*>(env_);
        const std::uint32_t length = e.reg(UC_ARM_REG_R1);
        if (env == nullptr || env->platform.output == nullptr || length == 0) return;
        const std::vector<std::uint8_t> text = e.read(e.reg(UC_ARM_REG_R0), length);
        env->platform.output->write(reinterpret_cast<const char*>(text.data()), text.size());
    });
    // uint64_t clock(uint32_t us): the host clock's reading, with 1 in the high word when there is one.
    clock_ = emu.add_host_function([this](Emulator& e) {
        auto* env = static_cast<seed::Environment*>(env_);
        std::optional<std::uint32_t> now;
        if (env != nullptr && env->platform.clock != nullptr)
            now = e.reg(UC_ARM_REG_R0) != 0 ? env->platform.clock->now_us() : env->platform.clock->now_ms();
        e.set_reg(UC_ARM_REG_R0, now.value_or(0));
        e.set_reg(UC_ARM_REG_R1, now ? 1 : 0);
    });
}

void place_image(Emulator& emu, const host::RunRequest& request, RunBlock& block, SeedForwarder& forwarder) {
    if (!request.format) throw std::runtime_error("a program image needs its format");
    if (request.image.size() > kAreaSize)
        throw std::runtime_error("image too large for the image's memory map");
    const auto length = static_cast<std::uint32_t>(request.image.size());
    emu.map(kImageBase, length);
    emu.write(kImageBase, request.image);
    block.image_addr = kImageBase;
    block.image_len = length;
    block.format = static_cast<std::uint32_t>(*request.format);
    forwarder.attach(request.user);
    block.output = forwarder.output();
    // No clock on the host side: none in the image either, so the helpers fail the same way.
    const auto* env = static_cast<const seed::Environment*>(request.user);
    block.clock = env != nullptr && env->platform.clock != nullptr ? forwarder.clock() : 0;
}

PlacedRequest::PlacedRequest(Emulator& emu, const host::RunRequest& request, std::uint32_t mark,
                             SeedForwarder& forwarder, bool writable_code)
    : emu_(emu), forwarder_(forwarder) {
    const bool is_image = !request.image.empty();
    // A program image is loaded by the image itself, from its raw bytes.
    const std::size_t code_bytes = is_image ? 0 : request.code.size() * sizeof(Insn);
    const std::size_t allowed = request.allowed_helpers ? request.allowed_helpers->size() : 0;
    if (code_bytes > kAreaSize || request.mem.size() > kAreaSize || request.rodata.size() > kAreaSize ||
        sizeof(RunBlock) + allowed * 4 > kAreaSize)
        throw std::runtime_error("request too large for the image's memory map");
    block_.code_addr = kCodeBase;
    block_.code_count = static_cast<std::uint32_t>(request.code.size());
    if (code_bytes != 0) {
        emu_.map(kCodeBase, static_cast<std::uint32_t>(code_bytes), writable_code);
        emu_.write(kCodeBase, request.code.data(), code_bytes);
        code_bytes_ = static_cast<std::uint32_t>(code_bytes);
    }
    if (!request.mem.empty()) {
        block_.mem_len = static_cast<std::uint32_t>(request.mem.size());
        emu_.map(kMemBase, block_.mem_len);
        emu_.write(kMemBase, request.mem);
        block_.mem_addr = kMemBase;
        mem_len_ = block_.mem_len;
    }
    if (!request.rodata.empty()) {
        block_.rodata_len = static_cast<std::uint32_t>(request.rodata.size());
        emu_.map(kRodataBase, block_.rodata_len, false);
        emu_.write(kRodataBase, request.rodata);
        block_.rodata_addr = kRodataBase;
        rodata_len_ = block_.rodata_len;
    }
    block_.allowed_addr = kBlockBase + sizeof(RunBlock);
    block_.allowed_count = static_cast<std::uint32_t>(allowed);
    block_.allow_all = request.allowed_helpers ? 0 : 1;
    if (allowed != 0) emu_.write(block_.allowed_addr, request.allowed_helpers->data(), allowed * 4);
    block_.budget = request.budget;
    block_.mark = mark;
    if (is_image) {
        place_image(emu_, request, block_, forwarder_);
        image_bytes_ = block_.image_len;
    }
    emu_.write(kBlockBase, &block_, sizeof block_);
}

PlacedRequest::~PlacedRequest() {
    if (code_bytes_ != 0) emu_.unmap(kCodeBase, code_bytes_);
    if (mem_len_ != 0) emu_.unmap(kMemBase, mem_len_);
    if (rodata_len_ != 0) emu_.unmap(kRodataBase, rodata_len_);
    if (image_bytes_ != 0) {
        emu_.unmap(kImageBase, image_bytes_);
        forwarder_.attach(nullptr);
    }
}

void PlacedRequest::read_report(host::RunReport& report, bool with_memory) {
    emu_.read(kBlockBase, &block_, sizeof block_);
    report.ok = block_.ok != 0;
    report.r0 = block_.r0;
    report.instructions = block_.instructions;
    report.error = Error{static_cast<ErrorCode>(block_.error_code), block_.error_pc};
    if (mem_len_ != 0 && with_memory) report.mem_after = emu_.read(kMemBase, mem_len_);
}

std::vector<std::uint8_t> PlacedRequest::image_after() const {
    return image_bytes_ != 0 ? emu_.read(kImageBase, image_bytes_) : std::vector<std::uint8_t>{};
}

}  // namespace ubpf::m4
