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

}  // namespace ubpf::m4
