/* SPDX-License-Identifier: MIT */
/* Bubble sort of len / 4 uint32_t (the benchmark uses 64) in data, in place, ascending, with
 * the early exit when a pass swaps nothing. data must be 4-byte aligned.
 * Result: sum of a[i] * (i + 1) over the sorted array, in 64 bits. */
#include <stdint.h>

uint64_t bubble_sort(uint8_t *data, uint64_t len);

uint64_t bubble_sort(uint8_t *data, uint64_t len)
{
    uint32_t *a = (uint32_t *)(void *)data;
    const uint32_t n = (uint32_t)(len / 4u);
    for (uint32_t end = n; end > 1u; --end) {
        uint32_t swapped = 0;
        for (uint32_t i = 0; i + 1u < end; ++i) {
            const uint32_t x = a[i];
            const uint32_t y = a[i + 1u];
            if (x > y) {
                a[i] = y;
                a[i + 1u] = x;
                swapped = 1;
            }
        }
        if (!swapped) {
            break;
        }
    }
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; ++i) {
        sum += (uint64_t)a[i] * (i + 1u);
    }
    return sum;
}
