// TEST_RESULT: 19326
// NOT_IN: text
// Fletcher-16 over 320 bytes of text in .rodata, length from bpf_strlen. The expected value
// was computed on the host by an independent Python implementation.
#include "fletcher16.h"

static const char kData[] =
    "signal field gateway reading signal field node reading update average readin"
    "g timer field timer node packet packet window field signal value signal sign"
    "al window signal window sensor signal timer timer value gateway window avera"
    "ge field gateway node signal sensor value value update reading packet signal"
    " gateway gateway";

int main(void) { return fletcher16(kData); }
