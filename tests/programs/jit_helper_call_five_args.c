// TEST_RESULT: 1234
// TEST_OUTPUT: 10000 20000 30000 40000
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    char format[] = "%d %d %d %d\n";
    bpf_printf(format, 10000, 20000, 30000, 40000);
    return 1234;
}
