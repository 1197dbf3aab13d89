// TEST_RESULT: 20
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    volatile int16_t x = -100;
    if (x >= 50) return 123;
    return 20;
}
