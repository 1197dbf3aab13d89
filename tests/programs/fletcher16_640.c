// TEST_RESULT: 5655
// NOT_IN: text
// Fletcher-16 over 640 bytes of text in .rodata, length from bpf_strlen. The expected value
// was computed on the host by an independent Python implementation.
#include "ubpf_helpers.h"

static const char kData[] =
    "sensor gateway signal value sensor node window gateway window average signal"
    " update timer update average update value packet average update node window "
    "reading timer gateway field node value sensor signal window reading reading "
    "packet signal reading update field packet sensor reading value timer timer v"
    "alue timer value signal update gateway node window value value window node s"
    "ignal timer update update signal sensor gateway sensor timer window gateway "
    "window packet value sensor value window window field average gateway update "
    "signal sensor reading average reading packet packet value window sensor wind"
    "ow average signal average timer ";

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
