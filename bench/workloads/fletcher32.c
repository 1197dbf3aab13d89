/* SPDX-License-Identifier: MIT */
/* Fletcher-32 over 16-bit little-endian words, both sums reduced mod 65535 after every word.
 * An odd trailing byte counts as a word whose high byte is zero. Result: (sum2 << 16) | sum1. */
#include <stdint.h>

uint64_t fletcher32(uint8_t *data, uint64_t len);

uint64_t fletcher32(uint8_t *data, uint64_t len)
{
    uint32_t sum1 = 0;
    uint32_t sum2 = 0;
    const uint8_t *p = data;
    const uint8_t *end = data + (len & ~(uint64_t)1);
    for (; p != end; p += 2) {
        const uint32_t word = (uint32_t)p[0] | ((uint32_t)p[1] << 8);
        sum1 = (sum1 + word) % 65535u;
        sum2 = (sum2 + sum1) % 65535u;
    }
    if (len & 1u) {
        sum1 = (sum1 + *p) % 65535u;
        sum2 = (sum2 + sum1) % 65535u;
    }
    return ((uint64_t)sum2 << 16) | sum1;
}
