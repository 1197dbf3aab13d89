// TEST_RESULT: 31
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    volatile uint32_t a = 0x15, b = 0x0a;
    return a | b;
}
