// TEST_RESULT: 12345
// TEST_OUTPUT: in first
#include "ubpf_helpers.h"

static inline int first(int x) {
    char format[] = "in first\n";
    bpf_printf(format);
    return x * 100;
}
static inline int second(int x) { return first(x) + 45; }

int main(void) {
    volatile int base = 123;
    return second(base);
}
