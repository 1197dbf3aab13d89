// TEST_RESULT: 100
// TEST_OUTPUT: stack format 7
// TEST_OUTPUT: second -3
// Format strings on the stack, so even the bare text layout can print.
#include "ubpf_helpers.h"

int main(void) {
    char first[] = "stack format %d\n";
    char second[] = "second %d\n";
    bpf_printf(first, 7);
    bpf_printf(second, -3);
    return 100;
}
