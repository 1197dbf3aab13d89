// SPDX-License-Identifier: MIT
// Start-up code for QEMU's mps2-an386 (Cortex-M4): the vector table, a Reset_Handler that
// prepares memory for C and C++ before main, and one handler for every other exception that
// says what happened over semihosting and exits non-zero, so a crash fails the test instead of
// hanging it.
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

// Defined by mps2.ld.
extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];
extern void (*__preinit_array_start[])(void), (*__preinit_array_end[])(void);
extern void (*__init_array_start[])(void), (*__init_array_end[])(void);

int main(void);
void initialise_monitor_handles(void);  // newlib rdimon: opens stdin/stdout/stderr on the host

void Reset_Handler(void);
void Default_Handler(void);
void report_exception(const uint32_t* frame);

// System control block registers used below.
#define SCB_SHCSR (*(volatile uint32_t*)0xE000ED24u)
#define SCB_CFSR (*(volatile uint32_t*)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t*)0xE000ED2Cu)
#define SCB_CPACR (*(volatile uint32_t*)0xE000ED88u)

typedef void (*Handler)(void);

// Only the 16 system entries: this firmware enables no peripheral interrupt, so the NVIC never
// reads past them. A struct keeps the initial stack pointer (data) and the handlers (code)
// apart without casting one to the other.
struct VectorTable {
    uint32_t* initial_sp;
    Handler handlers[15];
};

__attribute__((section(".isr_vector"), used)) const struct VectorTable vector_table = {
    .initial_sp = _estack,
    .handlers =
        {
            Reset_Handler,    //  1 Reset
            Default_Handler,  //  2 NMI
            Default_Handler,  //  3 HardFault
            Default_Handler,  //  4 MemManage
            Default_Handler,  //  5 BusFault
            Default_Handler,  //  6 UsageFault
            0, 0, 0, 0,       //  7-10 reserved
            Default_Handler,  // 11 SVCall
            Default_Handler,  // 12 DebugMonitor
            0,                // 13 reserved
            Default_Handler,  // 14 PendSV
            Default_Handler,  // 15 SysTick
        },
};

void Reset_Handler(void) {
    // Nothing may rely on initialised or zeroed statics before these two loops. At -Os GCC turns
    // them into calls to memcpy and memset, which is fine: newlib's use no static data.
    const uint32_t* src = _sidata;
    for (uint32_t* dst = _sdata; dst < _edata;) *dst++ = *src++;
    for (uint32_t* p = _sbss; p < _ebss; ++p) *p = 0;

#if defined(__ARM_FP)
    // A hard-float build may touch FP registers in any function; CP10/CP11 are off at reset and
    // the first FP instruction would fault. The default (soft-float) build skips this.
    SCB_CPACR |= 0xFu << 20;
    __asm volatile("dsb\n\tisb" ::: "memory");
#endif

    // Report MemManage, BusFault and UsageFault as themselves rather than as a HardFault.
    SCB_SHCSR |= (1u << 16) | (1u << 17) | (1u << 18);

    initialise_monitor_handles();

    // -nostartfiles leaves out crti.o/crtn.o, so __libc_init_array (which calls their _init)
    // cannot be used; walking the tables directly runs the same constructors.
    for (void (**f)(void) = __preinit_array_start; f < __preinit_array_end; ++f) (*f)();
    for (void (**f)(void) = __init_array_start; f < __init_array_end; ++f) (*f)();

    exit(main());  // the semihosting exit call hands the status to QEMU, which exits with it
}

// Exception entry pushed r0-r3, r12, lr, pc and xPSR onto whichever stack was in use; bit 2 of
// EXC_RETURN (in lr) says which. Naked, so that no prologue moves the stack before we look.
__attribute__((naked)) void Default_Handler(void) {
    __asm volatile(
        "tst   lr, #4\n\t"
        "ite   eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "b     report_exception\n\t");
}

// Goes straight to write() and _exit(): stdio and atexit handlers may be what just broke.
__attribute__((noreturn)) void report_exception(const uint32_t* frame) {
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    const unsigned exception = ipsr & 0x1FFu;
    char text[96];
    const int n =
        snprintf(text, sizeof text,
                 "fatal: exception %u at pc 0x%08" PRIx32 " (CFSR 0x%08" PRIx32 ", HFSR 0x%08" PRIx32 ")\n",
                 exception, frame[6], SCB_CFSR, SCB_HFSR);
    if (n > 0) write(STDERR_FILENO, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
    _exit(128 + (int)exception);
}
