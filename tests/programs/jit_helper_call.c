// TEST_RESULT: 1000
// One operation of the seed's jit_* suite; the expected value is computed by hand.
#include "ubpf_helpers.h"

int main(void) {
    bpf_store_global(3, 1000);
    uint32_t v = 0;
    bpf_fetch_global(3, &v);
    return (int)v;
}
