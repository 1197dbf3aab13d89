// TEST_RESULT: 1234
#include "ubpf_helpers.h"

int main(void) {
    uint32_t before = 99;
    bpf_fetch_global(1, &before);
    bpf_store_global(1, before + 1234);
    uint32_t after = 0;
    bpf_fetch_global(1, &after);
    return (int)after;
}
