// TEST_RESULT: 215
// Stores 215 (21.5 °C in tenths) as the weather station's average (global key 17), as the
// sensor reader would, so that examples/weather-station/query.c has a known value to format.
#include "ubpf_helpers.h"

int main(void) {
    bpf_store_global(17, 215);
    uint32_t stored = 0;
    bpf_fetch_global(17, &stored);
    return (int)stored;
}
