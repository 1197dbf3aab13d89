/* SPDX-License-Identifier: MIT */
/* Stand-in for RIOT 2024.04 core/include/msg.h (declarations only). */
#ifndef UBPF_RIOT_STUB_MSG_H
#define UBPF_RIOT_STUB_MSG_H
#include "thread.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef struct {
    kernel_pid_t sender_pid;
    uint16_t type;
    union {
        void* ptr;
        uint32_t value;
    } content;
} msg_t;
void msg_init_queue(msg_t* array, int num);
int msg_receive(msg_t* m);
int msg_try_send(msg_t* m, kernel_pid_t target_pid);
#ifdef __cplusplus
}
#endif
#endif
