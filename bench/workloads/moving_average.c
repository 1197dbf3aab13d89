/* SPDX-License-Identifier: MIT */
/* A fixed-point sensor filter over len / 2 int16 little-endian samples: an 8-tap moving average
 * in Q8 (ring buffer on the stack, primed with the first sample) followed by an exponential filter (alpha = 1/4) in Q8.
 * Each sample is replaced in place by the filter output rounded back to an int16; the result is
 * a 64-bit checksum of the Q8 outputs. Only shifts, adds and multiplies: no signed division. */
#include <stdint.h>

uint64_t moving_average(uint8_t *data, uint64_t len);

uint64_t moving_average(uint8_t *data, uint64_t len)
{
    if (len < 2u) {
        return 0;
    }
    /* Warm-up: the window and the filter start at the first sample (no start-up transient). */
    int32_t first = (int32_t)((uint32_t)data[0] | ((uint32_t)data[1] << 8));
    first = (first - (first & 0x8000) * 2) * 256;
    int32_t window[8];
    for (uint32_t i = 0; i < 8u; ++i) {
        window[i] = first;
    }
    int32_t window_sum = first * 8; /* sum of the last 8 samples, Q8 */
    int32_t ema = first;            /* Q8 */
    uint32_t slot = 0;
    uint64_t checksum = 0;
    uint8_t *end = data + (len & ~(uint64_t)1);
    for (uint8_t *p = data; p != end; p += 2) {
        int32_t sample = (int32_t)((uint32_t)p[0] | ((uint32_t)p[1] << 8));
        sample -= (sample & 0x8000) * 2; /* sign-extend the 16-bit sample */
        const int32_t q8 = sample * 256;
        window_sum += q8 - window[slot];
        window[slot] = q8;
        slot = (slot + 1u) & 7u;
        const int32_t average = window_sum >> 3;
        ema += (average - ema) >> 2;
        const int32_t out = (ema + 128) >> 8;
        p[0] = (uint8_t)((uint32_t)out & 0xffu);
        p[1] = (uint8_t)(((uint32_t)out >> 8) & 0xffu);
        checksum = checksum * 31u + (uint32_t)ema;
    }
    return checksum;
}
