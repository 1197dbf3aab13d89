/* SPDX-License-Identifier: MIT */
/* Declarations of the µBPF helpers for eBPF programs written in C (clang -target bpf).
 * `ubpf build` adds this directory to the include path. The ids are the seed's
 * (docs/helpers.md), so programs written for µBPF run unchanged. Each helper is a pointer to
 * a function at the helper's id: clang turns a call through it into `call <id>`. */
#ifndef UBPF_HELPERS_H
#define UBPF_HELPERS_H

#include <stddef.h>
#include <stdint.h>

/* A pointer field that is 8 bytes wide on every target, as the VM's structures are. */
#define UBPF_SHARED_PTR(type, name) \
    union {                         \
        type name;                  \
        uint64_t name##_raw;        \
    }

typedef struct {
    int16_t val[3];
    uint8_t unit;
    int8_t scale;
} ubpf_phydat_t;

typedef struct {
    UBPF_SHARED_PTR(void *, pkt);
    UBPF_SHARED_PTR(uint8_t *, buf);
    size_t buf_len;
} ubpf_coap_ctx_t;

#define UBPF_HELPER(id, ret, name, ...) static ret (*const name)(__VA_ARGS__) = (void *)(id)

/* Output */
UBPF_HELPER(0x01, long, bpf_printf, const char *fmt, ...);
UBPF_HELPER(0x02, void *, bpf_memcpy, void *dest, const void *src, size_t n);
UBPF_HELPER(0x03, long, bpf_print_debug, uint32_t value);
/* Key-value stores: local to the program's slot, and global to the device */
UBPF_HELPER(0x10, int, bpf_store_local, uint32_t key, uint32_t value);
UBPF_HELPER(0x11, int, bpf_store_global, uint32_t key, uint32_t value);
UBPF_HELPER(0x12, int, bpf_fetch_local, uint32_t key, uint32_t *value);
UBPF_HELPER(0x13, int, bpf_fetch_global, uint32_t key, uint32_t *value);
/* Time */
UBPF_HELPER(0x20, uint32_t, bpf_now_ms, void);
UBPF_HELPER(0x60, uint32_t, bpf_ztimer_now, void);
UBPF_HELPER(0x61, void, bpf_ztimer_periodic_wakeup, uint32_t *last_wakeup, uint32_t period_us);
/* SAUL sensors and actuators (devices are opaque handles) */
UBPF_HELPER(0x30, uint64_t, bpf_saul_reg_find_nth, int pos);
UBPF_HELPER(0x31, uint64_t, bpf_saul_reg_find_type, uint8_t type);
UBPF_HELPER(0x32, int, bpf_saul_reg_read, uint64_t dev, ubpf_phydat_t *data);
UBPF_HELPER(0x33, int, bpf_saul_reg_write, uint64_t dev, const ubpf_phydat_t *data);
UBPF_HELPER(0x34, int, bpf_saul_read_temp, uint64_t dev, uint32_t *value);
/* CoAP response building */
UBPF_HELPER(0x40, void, bpf_gcoap_resp_init, ubpf_coap_ctx_t *ctx, unsigned code);
UBPF_HELPER(0x41, long, bpf_coap_opt_finish, ubpf_coap_ctx_t *ctx, unsigned flags);
UBPF_HELPER(0x42, void, bpf_coap_add_format, ubpf_coap_ctx_t *ctx, uint32_t format);
UBPF_HELPER(0x43, uint8_t *, bpf_coap_get_pdu, ubpf_coap_ctx_t *ctx);
/* Formatting and strings */
UBPF_HELPER(0x50, size_t, bpf_fmt_s16_dfp, char *out, int16_t value, int fp_digits);
UBPF_HELPER(0x51, size_t, bpf_fmt_u32_dec, char *out, uint32_t value);
UBPF_HELPER(0x52, size_t, bpf_strlen, const char *s);
/* GPIO */
UBPF_HELPER(0x70, uint64_t, bpf_gpio_read_input, uint32_t port, uint32_t pin);
UBPF_HELPER(0x71, uint64_t, bpf_gpio_read_raw, uint32_t port, uint32_t pin);
UBPF_HELPER(0x72, uint64_t, bpf_gpio_write, uint32_t port, uint32_t pin, uint32_t value);
/* HD44780 display and keypad */
UBPF_HELPER(0x80, uint64_t, bpf_hd44780_init, void);
UBPF_HELPER(0x81, uint64_t, bpf_hd44780_clear, uint64_t dev);
UBPF_HELPER(0x82, uint64_t, bpf_hd44780_print, uint64_t dev, const char *text);
UBPF_HELPER(0x83, uint64_t, bpf_hd44780_set_cursor, uint64_t dev, uint32_t row, uint32_t column);
UBPF_HELPER(0x84, uint64_t, bpf_keypad_get_input, uint32_t adc_index);

#define COAP_OPT_FINISH_PAYLOAD 0x0001
#define COAP_FORMAT_TEXT 0
#define COAP_FORMAT_JSON 50

#endif
