/* SPDX-License-Identifier: MIT */
    .syntax unified
    .cpu cortex-m4
    .thumb
    .text

/* probe_loop(n), n >= 1: 2n + 1 instructions (subs + bne per round, then bx). */
    .global probe_loop
    .type probe_loop, %function
    .thumb_func
probe_loop:
    subs r0, r0, #1
    bne probe_loop
    bx lr

/* probe_qadd8(a, b): a DSP instruction of ARMv7E-M; a Cortex-M3 would fault here. */
    .global probe_qadd8
    .type probe_qadd8, %function
    .thumb_func
probe_qadd8:
    qadd8 r0, r0, r1
    bx lr

/* probe_tt(p): TT r0, r0, an ARMv8-M instruction; a real Cortex-M4 must fault. Written as raw
   bits because the assembler rightly refuses it for cortex-m4. */
    .global probe_tt
    .type probe_tt, %function
    .thumb_func
probe_tt:
    .inst.w 0xe840f000
    bx lr
