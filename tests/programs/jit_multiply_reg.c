// TEST_RESULT: 150
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    volatile uint32_t a = 10, b = 5, c = 3;
    return a * b * c;
}
