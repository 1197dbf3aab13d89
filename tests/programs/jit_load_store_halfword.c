// TEST_RESULT: 118
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    volatile uint16_t x = 100;
    return x + 18;
}
