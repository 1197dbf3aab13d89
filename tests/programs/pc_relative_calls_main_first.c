// TEST_RESULT: 12345
// TEST_OUTPUT: scaled 123
// bpf-to-bpf calls with main defined first, so even the bare text layout (which starts at its
// first instruction) can carry it.
#include "ubpf_helpers.h"

static int scale(int x);
static int add_tail(int x);

int main(void) {
    volatile int base = 123;
    return add_tail(base);
}

static __attribute__((noinline)) int scale(int x) {
    char format[] = "scaled %d\n";
    bpf_printf(format, x);
    return x * 100;
}
static __attribute__((noinline)) int add_tail(int x) { return scale(x) + 45; }
