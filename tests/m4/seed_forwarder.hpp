// SPDX-License-Identifier: MIT
// The host's side of program images on the emulated Cortex-M4 (image/image_program.hpp): host
// functions that carry the image's printf output and clock reads to the run's
// seed::Environment (RunRequest::user), and the placing of a request (code, memory, rodata, the
// raw image bytes) in emulated RAM for one call of an image entry point.
#pragma once

#include <cstdint>
#include <vector>

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

/// A request placed in emulated memory for one call: the code, mem and rodata areas mapped
/// exactly as large as they are, the image placed, the RunBlock filled and written at
/// kBlockBase. Unmapped again when it goes. Throws when the request does not fit the map.
class PlacedRequest {
public:
    /// `writable_code`: the image may overwrite the program's instructions (the JIT image drops
    /// them after compiling); otherwise they are mapped read-only.
    PlacedRequest(Emulator& emu, const host::RunRequest& request, std::uint32_t mark,
                  SeedForwarder& forwarder, bool writable_code = false);
    ~PlacedRequest();
    PlacedRequest(const PlacedRequest&) = delete;
    PlacedRequest& operator=(const PlacedRequest&) = delete;

    /// Reads the block back after the call and fills `report` (mem_after when `with_memory`).
    void read_report(host::RunReport& report, bool with_memory);
    /// The image's bytes as the call left them (relocated in place by the image's loader).
    [[nodiscard]] std::vector<std::uint8_t> image_after() const;

private:
    Emulator& emu_;
    SeedForwarder& forwarder_;
    RunBlock block_{};
    std::uint32_t code_bytes_ = 0, mem_len_ = 0, rodata_len_ = 0, image_bytes_ = 0;  // what to unmap
};

}  // namespace ubpf::m4
