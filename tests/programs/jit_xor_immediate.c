// TEST_RESULT: 7
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    volatile uint32_t a = 0x2;
    return a ^ 0x5;
}
