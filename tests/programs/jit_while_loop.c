// TEST_RESULT: 5050
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    volatile uint32_t n = 100;
    uint32_t sum = 0;
    while (n > 0) {
        sum += n;
        n = n - 1;
    }
    return (int)sum;
}
