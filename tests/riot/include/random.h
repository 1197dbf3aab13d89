/* SPDX-License-Identifier: MIT */
/* Stand-in for RIOT 2024.04 sys/include/random.h (declarations only). */
#ifndef UBPF_RIOT_STUB_RANDOM_H
#define UBPF_RIOT_STUB_RANDOM_H
#include "riot_stub_common.h"
#ifdef __cplusplus
extern "C" {
#endif
uint32_t random_uint32(void);
#ifdef __cplusplus
}
#endif
#endif
