// TEST_RESULT: 4243
// Reads what counter_loop.c left in the global store: 4242 (key 20) plus 1 when it counted at
// least one round (key 21), so a run after the loop was started and stopped returns 4243.
#include "ubpf_helpers.h"

int main(void) {
    uint32_t mark = 0, rounds = 0;
    bpf_fetch_global(20, &mark);
    bpf_fetch_global(21, &rounds);
    return (int)(mark + (rounds > 0 ? 1 : 0));
}
