// TEST_RESULT: 20952
// NOT_IN: text
// Fletcher-16 over 80 bytes of text in .rodata, length from bpf_strlen. The expected value
// was computed on the host by an independent Python implementation.
#include "fletcher16.h"

static const char kData[] =
    "average update field timer update node node field update node sensor field u"
    "pdat";

int main(void) { return fletcher16(kData); }
