/* SPDX-License-Identifier: MIT */
/* Declarations-only stand-ins for the RIOT 2024.04 API that include/ubpf/riot/adapter.hpp uses,
 * so that the adapter is compiled for Cortex-M4 in CI. Names and signatures follow RIOT
 * 2024.04 as docs/riot-suit-coap.md §2 records them; functions RIOT has as static inline are
 * plain declarations here. Nothing is defined: the check compiles, it does not link. */
#ifndef UBPF_RIOT_STUB_COMMON_H
#define UBPF_RIOT_STUB_COMMON_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* ssize_t */
#endif
