/* SPDX-License-Identifier: MIT */
/* Stand-in for RIOT 2024.04 core/include/mutex.h (declarations only; the struct is opaque here). */
#ifndef UBPF_RIOT_STUB_MUTEX_H
#define UBPF_RIOT_STUB_MUTEX_H
#include "riot_stub_common.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef struct {
    void* queue_next;
} mutex_t;
#define MUTEX_INIT \
    { NULL }
void mutex_lock(mutex_t* mutex);
void mutex_unlock(mutex_t* mutex);
#ifdef __cplusplus
}
#endif
#endif
