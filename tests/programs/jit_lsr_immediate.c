// TEST_RESULT: 16
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    volatile uint32_t a = 64;
    return a >> 2;
}
