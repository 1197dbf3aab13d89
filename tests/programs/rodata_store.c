// TEST_ERROR: store into read-only memory at pc 9
// NOT_IN: text
// Sums a table in .rodata, then writes the sum into that table through a cast: .rodata is
// read-only, so the run stops at that store (pc 9 in clang's listing, `*(u32 *)(r1 + 8) = r0`)
// on every engine, JIT code included, and the table keeps its values.
#include "ubpf_helpers.h"

static const uint32_t kLimits[4] = {10, 20, 30, 40};

int main(void) {
    uint32_t sum = 0;
    for (uint32_t i = 0; i < 4; ++i) sum += ((const volatile uint32_t*)kLimits)[i];
    *(volatile uint32_t*)(uintptr_t)&kLimits[2] = sum;
    return (int)sum;
}
