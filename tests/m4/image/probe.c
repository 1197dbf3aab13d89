/* SPDX-License-Identifier: MIT */
/* Functions the harness tests call: AAPCS argument passing, calls into host functions, memory
   accesses, and loops whose instruction counts are known by hand (probe_asm.S). */
#include <stdint.h>

uint64_t probe_mix(uint32_t a, uint64_t b, uint64_t c, uint32_t d, uint64_t e) {
    return a + b * 2 + c * 3 + d * 5 + e * 7;
}

uint32_t probe_call(uint32_t (*host)(uint32_t, uint32_t), uint32_t x) { return host(x, x + 1) + 1; }

uint32_t probe_load(const volatile uint32_t* p) { return *p; }

void probe_store(volatile uint32_t* p, uint32_t v) { *p = v; }
