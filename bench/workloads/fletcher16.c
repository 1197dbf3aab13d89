/* SPDX-License-Identifier: MIT */
/* Fletcher-16 over the whole input, one byte at a time, both sums reduced mod 255 after every
 * byte (the seed benchmark's form). Result: (sum2 << 8) | sum1. */
#include <stdint.h>

uint64_t fletcher16(uint8_t *data, uint64_t len);

uint64_t fletcher16(uint8_t *data, uint64_t len)
{
    uint32_t sum1 = 0;
    uint32_t sum2 = 0;
    const uint8_t *end = data + len;
    for (const uint8_t *p = data; p != end; ++p) {
        sum1 = (sum1 + *p) % 255u;
        sum2 = (sum2 + sum1) % 255u;
    }
    return ((uint64_t)sum2 << 8) | sum1;
}
