// TEST_RESULT: 4
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    volatile uint32_t a = 0xf, b = 0xc, c = 0x7;
    return a & b & c;
}
