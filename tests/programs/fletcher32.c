// TEST_RESULT: 2956916375
// NOT_IN: text
// Fletcher-32 over a 320-character string in .rodata (16-bit little-endian words), length
// from bpf_strlen. The expected value was computed by an independent Python implementation.
#include "ubpf_helpers.h"

static const char kData[] =
    "reading window value average timer window signal sensor timer sensor reading"
    " node field node sensor field timer signal node packet sensor field value fi"
    "eld sensor signal timer window average window signal reading node reading se"
    "nsor field reading timer value signal sensor update sensor sensor field node"
    " window value si";

int main(void) {
    const unsigned char *data = (const unsigned char *)kData;
    size_t words = bpf_strlen(kData) / 2;
    uint32_t sum1 = 0, sum2 = 0;
    for (size_t i = 0; i < words; ++i) {
        uint32_t word = (uint32_t)data[2 * i] | ((uint32_t)data[2 * i + 1] << 8);
        sum1 = (sum1 + word) % 65535;
        sum2 = (sum2 + sum1) % 65535;
    }
    return (int)((sum2 << 16) | sum1);
}
