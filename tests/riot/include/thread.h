/* SPDX-License-Identifier: MIT */
/* Stand-in for RIOT 2024.04 core/include/thread.h (declarations only). */
#ifndef UBPF_RIOT_STUB_THREAD_H
#define UBPF_RIOT_STUB_THREAD_H
#include "riot_stub_common.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef int16_t kernel_pid_t;
#define KERNEL_PID_UNDEF 0
typedef void* (*thread_task_func_t)(void* arg);
#define THREAD_CREATE_SLEEPING 1
#define THREAD_CREATE_WOUT_YIELD 4
#define THREAD_PRIORITY_MIN 15
#define THREAD_PRIORITY_MAIN 7
kernel_pid_t thread_create(char* stack, int stacksize, uint8_t priority, int flags,
                           thread_task_func_t task_func, void* arg, const char* name);
#ifdef __cplusplus
}
#endif
#endif
