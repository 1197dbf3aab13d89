/* Fletcher-16 (sums modulo 255) over a zero-terminated string, the length from bpf_strlen:
 * the seed's benchmark kernel, shared by the fletcher16_*.c programs. */
#include "ubpf_helpers.h"

static int fletcher16(const char *text) {
    const unsigned char *data = (const unsigned char *)text;
    size_t length = bpf_strlen(text);
    uint32_t sum1 = 0, sum2 = 0;
    for (size_t i = 0; i < length; ++i) {
        sum1 = (sum1 + data[i]) % 255;
        sum2 = (sum2 + sum1) % 255;
    }
    return (int)((sum2 << 8) | sum1);
}
