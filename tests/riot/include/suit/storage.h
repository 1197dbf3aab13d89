/* SPDX-License-Identifier: MIT */
/* Stand-in for RIOT 2024.04 sys/include/suit/storage.h (declarations only; the storage type
 * is opaque here). */
#ifndef UBPF_RIOT_STUB_SUIT_STORAGE_H
#define UBPF_RIOT_STUB_SUIT_STORAGE_H
#include "../riot_stub_common.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef struct suit_storage suit_storage_t;
suit_storage_t* suit_storage_find_by_id(const char* id);
int suit_storage_set_active_location(suit_storage_t* storage, const char* location);
int suit_storage_read_ptr(suit_storage_t* storage, const uint8_t** buf, size_t* len);
#ifdef __cplusplus
}
#endif
#endif
