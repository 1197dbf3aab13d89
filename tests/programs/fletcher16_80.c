// TEST_RESULT: 20952
// NOT_IN: text
// Fletcher-16 over 80 bytes of text in .rodata, length from bpf_strlen. The expected value
// was computed on the host by an independent Python implementation.
#include "ubpf_helpers.h"

static const char kData[] =
    "average update field timer update node node field update node sensor field u"
    "pdat";

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
