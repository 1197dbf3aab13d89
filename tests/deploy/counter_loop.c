// Long-running until stopped: marks global key 20 with 4242, then counts its rounds in global
// key 21, sleeping 10 ms per round (every helper call is a point where /stop can end it).
#include "ubpf_helpers.h"

int main(void) {
    bpf_store_global(20, 4242);
    uint32_t wakeup = bpf_ztimer_now();
    for (uint32_t n = 1;; ++n) {
        bpf_store_global(21, n);
        bpf_ztimer_periodic_wakeup(&wakeup, 10 * 1000);
    }
    return 0;
}
