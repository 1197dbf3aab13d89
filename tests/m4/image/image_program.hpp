// SPDX-License-Identifier: MIT
// Program images inside the Cortex-M4 test images: the image loads (relocates in place, at the
// M4 addresses the host put the bytes at), verifies against the seed's helpers and runs with a
// seed::Environment whose output and clock are host functions the emulator traps. Shared by the
// interpreter image (m4_vm.cpp) and the JIT image (m4_jit.cpp); no heap, no exceptions.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include <ubpf/loader.hpp>
#include <ubpf/seed_helpers.hpp>
#include <ubpf/vm.hpp>

#include "layout.hpp"

// printf's std::string_view::substr has a bounds check that, where -Os keeps it out of line,
// names libstdc++'s thrower, which pulls in abort() and newlib's system calls a bare image lacks.
// The callers never pass an offset past the end; trap if one does. (Each image is a single
// translation unit, so this header is included once per image.)
namespace std {
[[noreturn]] void __throw_out_of_range_fmt(const char*, ...) {
    __builtin_trap();
}
}  // namespace std

namespace ubpf::m4 {

template <class T>
T* image_at(std::uint32_t address) {
    return reinterpret_cast<T*>(static_cast<std::uintptr_t>(address));
}

/// printf output goes to the host as it is written, so it reaches stdout in program order.
class TrappedOutput final : public seed::Output {
public:
    explicit TrappedOutput(std::uint32_t fn) : fn_(fn) {}
    void write(const char* text, std::size_t length) noexcept override {
        if (fn_ != 0)
            reinterpret_cast<void (*)(const char*, std::uint32_t)>(static_cast<std::uintptr_t>(fn_))(
                text, static_cast<std::uint32_t>(length));
    }

private:
    std::uint32_t fn_;
};

/// The host's clock (the emulator has no timer of its own that means anything to a program).
class TrappedClock final : public seed::Clock {
public:
    explicit TrappedClock(std::uint32_t fn) : fn_(fn) {}
    std::optional<std::uint32_t> now_ms() noexcept override { return read(0); }
    std::optional<std::uint32_t> now_us() noexcept override { return read(1); }

private:
    std::optional<std::uint32_t> read(std::uint32_t us) noexcept {
        const std::uint64_t v =
            reinterpret_cast<std::uint64_t (*)(std::uint32_t)>(static_cast<std::uintptr_t>(fn_))(us);
        if ((v >> 32) == 0) return std::nullopt;
        return static_cast<std::uint32_t>(v);
    }
    std::uint32_t fn_;
};

/// What one image run needs besides the VM: the seed's world, fresh for every run (the host may
/// run many programs in one emulator, and each must start with empty stores, as on the host).
struct ImageWorld {
    explicit ImageWorld(const RunBlock& block) : output(block.output), clock(block.clock) {
        env.platform.output = &output;
        if (block.clock != 0) env.platform.clock = &clock;
        env.local = &local;
        env.global = &global;
    }
    TrappedOutput output;
    TrappedClock clock;
    seed::Store<64> local, global;  // as the CLI's host environment
    seed::Environment env;
};

/// The policy the host asked for; the image's own helper list narrows it in Image::program.
inline HelperPolicy requested_policy(const RunBlock& block) {
    return block.allow_all != 0
               ? HelperPolicy::all()
               : HelperPolicy::only(std::span<const std::uint32_t>{
                     image_at<const std::uint32_t>(block.allowed_addr), block.allowed_count});
}

/// Loads the image the block points at. Load errors are reported like the host CLI's (code and
/// byte offset in error_pc).
inline Result<Image> load_block_image(const RunBlock& block) {
    return load_image({image_at<std::uint8_t>(block.image_addr), block.image_len},
                      static_cast<Format>(block.format));
}

/// The caller's regions (r1/r2 memory, r3/r4 rodata), as for .data programs.
inline Execution block_execution(const RunBlock& block, Region (&regions)[2], std::span<std::uint8_t> stack) {
    std::size_t count = 0;
    if (block.mem_len != 0)
        regions[count++] = Region::of(image_at<void>(block.mem_addr), block.mem_len, Access::read_write);
    if (block.rodata_len != 0)
        regions[count++] = Region::read_only(image_at<const void>(block.rodata_addr), block.rodata_len);
    Execution exec;
    exec.stack = stack;
    exec.regions = {regions, count};
    exec.args = {block.mem_len != 0 ? block.mem_addr : 0u, block.mem_len,
                 block.rodata_len != 0 ? block.rodata_addr : 0u, block.rodata_len};
    exec.budget = block.budget;
    static const std::atomic<bool> requested{true};
    if (block.stop != 0) exec.stop = &requested;
    return exec;
}

inline int block_fail(RunBlock* block, Error e) {
    block->error_code = static_cast<std::uint32_t>(e.code);
    block->error_pc = e.pc;
    return 0;
}

inline int block_finish(RunBlock* block, const Result<Outcome>& outcome) {
    if (!outcome) return block_fail(block, outcome.error());
    block->ok = 1;
    block->r0 = outcome->r0;
    block->instructions = outcome->instructions;
    return 1;
}

inline void block_mark(std::uint32_t mark) {
    if (mark != 0) reinterpret_cast<void (*)()>(static_cast<std::uintptr_t>(mark))();
}

}  // namespace ubpf::m4
