// TEST_RESULT: 16
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    volatile int16_t a = -64;
    volatile int s = 2;
    return -1 * (a >> s);
}
