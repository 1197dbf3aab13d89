/* SPDX-License-Identifier: MIT */
/* Sieve of Eratosthenes over data[0 .. len), one byte per number (len < 2^31): only odd numbers
 * are candidates, so the set-up is not a memset. Result: the count of primes below len. */
#include <stdint.h>

uint64_t sieve(uint8_t *data, uint64_t len);

uint64_t sieve(uint8_t *data, uint64_t len)
{
    const uint32_t n = (uint32_t)len;
    if (n < 3u) {
        return 0;
    }
    for (uint32_t i = 0; i < n; ++i) {
        data[i] = (uint8_t)(i & 1u);
    }
    data[1] = 0;
    data[2] = 1;
    for (uint32_t i = 3; i * i < n; i += 2u) {
        if (data[i]) {
            for (uint32_t j = i * i; j < n; j += 2u * i) {
                data[j] = 0;
            }
        }
    }
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; ++i) {
        count += data[i];
    }
    return count;
}
