// SPDX-License-Identifier: MIT
// Footprint probe of the JIT: the verifier, the Thumb-2 compiler and its runtime behind one
// function (compile into a buffer, run the code). Compared with footprint.cpp's empty image.
// UBPF_FOOTPRINT_LEAN_JIT: without loop versioning (Config::jit_loop_versioning).
#include <ubpf/jit/compiler.hpp>
#include <ubpf/jit/run.hpp>
#include <ubpf/vm.hpp>

extern "C" std::uint64_t footprint_jit(const ubpf::Insn* code, unsigned count, std::uint8_t* stack,
                                       std::uint8_t* mem, unsigned len, std::uint8_t* buffer, unsigned size) {
#ifdef UBPF_FOOTPRINT_LEAN_JIT
    constexpr ubpf::Config kConfig{.jit_loop_versioning = false};
#else
    constexpr ubpf::Config kConfig{};
#endif
    const auto verified = ubpf::verify<kConfig>({{code, count}}, {});
    if (!verified) return 1;
    const auto compiled = ubpf::jit::Compiler<kConfig>::compile(*verified, {buffer, size});
    if (!compiled) return 2;
    const ubpf::Region regions[] = {ubpf::Region::of(mem, len, ubpf::Access::read_write)};
    ubpf::Execution exec;
    exec.stack = {stack, kConfig.stack_size()};
    exec.regions = regions;
    exec.args = {reinterpret_cast<std::uintptr_t>(mem), len};
    const auto result = ubpf::jit::run(*verified, buffer, *compiled, exec);
    return result ? result->r0 : 3;
}
