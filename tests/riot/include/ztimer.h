/* SPDX-License-Identifier: MIT */
/* Stand-in for RIOT 2024.04 sys/include/ztimer.h (declarations only). */
#ifndef UBPF_RIOT_STUB_ZTIMER_H
#define UBPF_RIOT_STUB_ZTIMER_H
#include "riot_stub_common.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef struct ztimer_clock ztimer_clock_t;
typedef uint32_t ztimer_now_t;
extern ztimer_clock_t* const ZTIMER_USEC;
extern ztimer_clock_t* const ZTIMER_MSEC;
ztimer_now_t ztimer_now(ztimer_clock_t* clock);
void ztimer_periodic_wakeup(ztimer_clock_t* clock, uint32_t* last_wakeup, uint32_t period);
#ifdef __cplusplus
}
#endif
#endif
