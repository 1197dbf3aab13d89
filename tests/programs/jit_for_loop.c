// TEST_RESULT: 10
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    for (uint32_t i = 0; i <= 10; ++i) bpf_store_global(7, i);
    uint32_t v = 0;
    bpf_fetch_global(7, &v);
    return (int)v;
}
