// TEST_RESULT: 19326
// NOT_IN: text
// Fletcher-16 over 320 bytes of text in .rodata, length from bpf_strlen. The expected value
// was computed on the host by an independent Python implementation.
#include "ubpf_helpers.h"

static const char kData[] =
    "signal field gateway reading signal field node reading update average readin"
    "g timer field timer node packet packet window field signal value signal sign"
    "al window signal window sensor signal timer timer value gateway window avera"
    "ge field gateway node signal sensor value value update reading packet signal"
    " gateway gateway";

int main(void) {
    const unsigned char *data = (const unsigned char *)kData;
    size_t length = bpf_strlen(kData);
    uint32_t sum1 = 0, sum2 = 0;
    for (size_t i = 0; i < length; ++i) {
        sum1 = (sum1 + data[i]) % 255;
        sum2 = (sum2 + sum1) % 255;
    }
    return (int)((sum2 << 8) | sum1);
}
