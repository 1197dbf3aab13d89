// TEST_RESULT: 5655
// NOT_IN: text
// Fletcher-16 over 640 bytes of text in .rodata, length from bpf_strlen. The expected value
// was computed on the host by an independent Python implementation.
#include "fletcher16.h"

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

int main(void) { return fletcher16(kData); }
