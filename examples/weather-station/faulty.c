// A buggy program: it writes through a pointer it computed from a sensor handle, which is
// not memory it owns. The VM stops it with an error; the device and the other programs carry on.
#include "ubpf_helpers.h"

int main(void) {
    uint64_t sensor = bpf_saul_reg_find_type(130);
    volatile uint32_t *oops = (volatile uint32_t *)(sensor * 0x1000);
    *oops = 42;
    return 0;
}
