// SPDX-License-Identifier: MIT
// The host's side of program images on the emulated Cortex-M4 (image/image_program.hpp): host
// functions that carry the image's printf output and clock reads to the run's
// seed::Environment (RunRequest::user), and the placing of the raw image bytes in emulated RAM.
#pragma once

#include <cstdint>

#include <ubpf/host/environment.hpp>

#include "emulator.hpp"
#include "image/layout.hpp"

namespace ubpf::m4 {

class SeedForwarder {
public:
    /// Registers the two host functions with `emu`; they forward to the environment attached.
    explicit SeedForwarder(Emulator& emu);
    /// `user` is a seed::Environment (or nullptr: output is dropped, there is no clock).
    void attach(void* user) { env_ = user; }
    [[nodiscard]] std::uint32_t output() const { return output_; }
    [[nodiscard]] std::uint32_t clock() const { return clock_; }

private:
    void* env_ = nullptr;
    std::uint32_t output_ = 0, clock_ = 0;
};

/// Where the raw image goes: the code area, mapped writable since the loader relocates in place.
inline constexpr std::uint32_t kImageBase = kCodeBase;

/// Maps and writes `request.image` at kImageBase and fills the block's image fields (format,
/// forwarders, the environment attached); throws when the image does not fit or has no format.
void place_image(Emulator& emu, const host::RunRequest& request, RunBlock& block, SeedForwarder& forwarder);

}  // namespace ubpf::m4
