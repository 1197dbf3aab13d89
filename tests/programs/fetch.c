// TEST_RESULT: 0
// A fresh global store: fetching key 0 creates it with 0 and overwrites v.
#include "ubpf_helpers.h"

int main(void) {
    uint32_t v = 1234;
    bpf_fetch_global(0, &v);
    return (int)v;
}
