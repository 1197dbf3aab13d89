// TEST_RESULT: 12345
// NOT_IN: text
// TEST_OUTPUT: scaled 123
// Real bpf-to-bpf calls: each function has its own stack frame.
#include "ubpf_helpers.h"

static __attribute__((noinline)) int scale(int x) {
    char format[] = "scaled %d\n";
    bpf_printf(format, x);
    return x * 100;
}
__attribute__((noinline)) int add_tail(int x) { return scale(x) + 45; }

int main(void) {
    volatile int base = 123;
    return add_tail(base);
}
