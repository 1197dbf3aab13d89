// TEST_RESULT: 32
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    volatile int8_t a = -64;
    return -1 * (a >> 1);
}
