// Never ends and calls no helper: only the device's instruction budget stops it.
#include "ubpf_helpers.h"

int main(void) {
    volatile uint32_t n = 0;
    for (;;) n = n + 1;
    return 0;
}
