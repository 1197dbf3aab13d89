// TEST_RESULT: 0
// TEST_OUTPUT: four 1 2 3 4
// TEST_OUTPUT: from rodata: 42 ff -7
// TEST_OUTPUT: plain line
// TEST_OUTPUT: char x, string abc, 100%
// NOT_IN: text
#include "ubpf_helpers.h"

const char kFormat[] = "from rodata: %d %x %d\n";

int main(void) {
    bpf_printf("four %d %d %d %d\n", 1, 2, 3, 4);
    bpf_printf(kFormat, 42, 255, -7);
    bpf_printf("plain line\n");
    bpf_printf("char %c, string %s, 100%%\n", 'x', "abc");
    return 0;
}
