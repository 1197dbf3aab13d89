// TEST_RESULT: 33804
// NOT_IN: text
// Fletcher-16 over 160 bytes of text in .rodata, length from bpf_strlen. The expected value
// was computed on the host by an independent Python implementation.
#include "fletcher16.h"

static const char kData[] =
    "reading field node update value packet node timer field signal field window "
    "timer update signal sensor average reading node sensor window sensor update "
    "update f";

int main(void) { return fletcher16(kData); }
