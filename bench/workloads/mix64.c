/* SPDX-License-Identifier: MIT */
/* A hash over len / 8 little-endian 64-bit words, heavy in 64-bit arithmetic: per word a 64-bit
 * multiply, a variable 64-bit rotate, 64-bit shifts, a 64-bit compare and a 64-bit unsigned
 * division and modulo by a prime above 2^32. data must be 8-byte aligned. */
#include <stdint.h>

uint64_t mix64(uint8_t *data, uint64_t len);

static inline __attribute__((always_inline)) uint64_t rotl64(uint64_t x, uint32_t r)
{
    r &= 63u;
    return (x << r) | (x >> ((64u - r) & 63u));
}

uint64_t mix64(uint8_t *data, uint64_t len)
{
    const uint64_t *words = (const uint64_t *)(const void *)data;
    const uint64_t *end = words + len / 8u;
    uint64_t h = 0x243F6A8885A308D3ull ^ len;
    for (const uint64_t *w = words; w != end; ++w) {
        const uint64_t x = *w;
        h ^= x;
        h *= 0x9E3779B97F4A7C15ull;
        h = rotl64(h, (uint32_t)(x >> 58));
        h ^= h >> 29;
        const uint64_t q = h / 4294967311ull; /* the smallest prime above 2^32 */
        const uint64_t r = h % 4294967311ull;
        if (h > x) {
            h -= x >> 3;
        } else {
            h += q;
        }
        h += r * 0xBF58476D1CE4E5B9ull;
    }
    h ^= h >> 31;
    return h;
}
