// SPDX-License-Identifier: MIT
// Footprint probe: the verifier and the interpreter behind one function, and the same image
// without them. Linked once with each entry point; the difference is what the VM costs.
#include <ubpf/vm.hpp>

// The -Os probe measures the compact interpreter (UBPF_M4_COMPACT), as size-optimised firmware
// would configure it; the -O2 probe the default threaded one.
#if defined(UBPF_M4_COMPACT)
constexpr ubpf::Config kConfig{.dispatch = ubpf::Dispatch::compact};
#else
constexpr ubpf::Config kConfig{};
#endif

extern "C" {

/// RAM one VM instance takes (read from the ELF by the bench tool).
extern const unsigned ubpf_sizeof_vm;
const unsigned ubpf_sizeof_vm = sizeof(ubpf::Vm<kConfig>);

std::uint64_t footprint_vm(const ubpf::Insn* code, unsigned count, std::uint8_t* stack, std::uint8_t* mem,
                           unsigned len) {
    ubpf::Vm<kConfig> vm;
    if (!vm.load({{code, count}})) return 1;
    const ubpf::Region regions[] = {ubpf::Region::of(mem, len, ubpf::Access::read_write)};
    ubpf::Execution exec;
    exec.stack = {stack, kConfig.stack_size()};
    exec.regions = regions;
    exec.args = {reinterpret_cast<std::uintptr_t>(mem), len};
    const auto result = vm.run(exec);
    return result ? result->r0 : 2;
}

std::uint64_t footprint_empty(const ubpf::Insn*, unsigned, std::uint8_t*, std::uint8_t*, unsigned) {
    return ubpf_sizeof_vm;
}
}
