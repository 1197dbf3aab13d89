// TEST_RESULT: 4321
#include "ubpf_helpers.h"

int main(void) {
    uint32_t missing = 7;
    bpf_fetch_local(5, &missing);  // a missing local key reads as 0
    bpf_store_local(5, 4321 + missing);
    uint32_t value = 0;
    bpf_fetch_local(5, &value);
    return (int)value;
}
