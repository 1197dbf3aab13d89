// Long-running: reads the temperature sensor (SAUL type 130) every 100 ms and keeps a moving
// average of the last 8 readings in the global store (key 16 = latest, key 17 = average, both
// in tenths of a degree). Stops after 3000 readings (5 minutes), or when the device asks it to.
#include "ubpf_helpers.h"

#define SAUL_SENSE_TEMP 130
#define KEY_LATEST 16
#define KEY_AVERAGE 17
#define WINDOW 8

int main(void) {
    uint64_t sensor = bpf_saul_reg_find_type(SAUL_SENSE_TEMP);
    if (sensor == 0) return -1;
    int32_t window[WINDOW] = {0};
    uint32_t wakeup = bpf_ztimer_now();
    for (uint32_t n = 0; n < 3000; ++n) {
        ubpf_phydat_t reading;
        if (bpf_saul_reg_read(sensor, &reading) < 0) return -2;
        window[n % WINDOW] = reading.val[0];
        // Readings are offset to stay positive: eBPF before v4 has only unsigned division.
        uint32_t sum = 0;
        uint32_t count = n + 1 < WINDOW ? n + 1 : WINDOW;
        for (uint32_t i = 0; i < count; ++i) sum += (uint32_t)(window[i] + 10000);
        bpf_store_global(KEY_LATEST, (uint32_t)reading.val[0]);
        bpf_store_global(KEY_AVERAGE, sum / count - 10000);
        bpf_ztimer_periodic_wakeup(&wakeup, 100 * 1000);
    }
    return 0;
}
