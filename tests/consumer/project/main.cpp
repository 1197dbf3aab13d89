// A program outside the project, built against the installed package.
#include <cstdio>
#include <ubpf/vm.hpp>

int main() {
    // r0 = 6; r0 *= 7; exit  (6 * 7 = 42)
    static const ubpf::Insn program[] = {
        ubpf::Insn::make(0xb7, 0, 0, 0, 6),
        ubpf::Insn::make(0x27, 0, 0, 0, 7),
        ubpf::Insn::make(0x95, 0, 0, 0, 0),
    };
    static std::uint8_t stack[ubpf::Config{}.stack_size()];
    ubpf::Vm<> vm;
    if (!vm.load({program})) return 1;
    ubpf::Execution exec;
    exec.stack = stack;
    const auto result = vm.run(exec);
    if (!result) return 2;
    std::printf("%llu\n", static_cast<unsigned long long>(result->r0));
    return 0;
}
