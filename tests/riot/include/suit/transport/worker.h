/* SPDX-License-Identifier: MIT */
/* Stand-in for RIOT 2024.04 sys/include/suit/transport/worker.h (declarations only). */
#ifndef UBPF_RIOT_STUB_SUIT_WORKER_H
#define UBPF_RIOT_STUB_SUIT_WORKER_H
#include "../../riot_stub_common.h"
#ifdef __cplusplus
extern "C" {
#endif
void suit_worker_trigger(const char* url, size_t len);
void suit_worker_done_cb(int res);
#ifdef __cplusplus
}
#endif
#endif
