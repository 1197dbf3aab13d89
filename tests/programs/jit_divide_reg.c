// TEST_RESULT: 7
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    volatile uint16_t a = 49, b = 7;
    return a / b;
}
