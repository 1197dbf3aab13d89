// TEST_RESULT: 300
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    volatile uint32_t x = 100;
    uint32_t y = x;
    if (x != y) return 20;
    return 300;
}
