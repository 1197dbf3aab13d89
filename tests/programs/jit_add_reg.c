// TEST_RESULT: 123
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    volatile uint32_t a = 100, b = 18, c = 5;
    return a + b + c;
}
