// TEST_RESULT: 123
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    volatile uint32_t x = 100;
    if (x >= 50) return 123;
    return 20;
}
