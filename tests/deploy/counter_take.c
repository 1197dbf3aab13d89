// Returns the rounds counter_loop.c has counted since the last take (global key 21) and clears
// them: a second take right after gives 0 unless the loop is still running.
#include "ubpf_helpers.h"

int main(void) {
    uint32_t rounds = 0;
    bpf_fetch_global(21, &rounds);
    bpf_store_global(21, 0);
    return (int)rounds;
}
