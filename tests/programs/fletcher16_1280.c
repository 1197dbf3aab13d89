// TEST_RESULT: 17091
// NOT_IN: text
// Fletcher-16 over 1280 bytes of text in .rodata, length from bpf_strlen. The expected value
// was computed on the host by an independent Python implementation.
#include "fletcher16.h"

static const char kData[] =
    "timer node node signal sensor update node packet update node update average "
    "reading value update signal signal reading sensor packet node value window u"
    "pdate gateway timer gateway reading average reading update packet sensor val"
    "ue sensor node reading average update field packet sensor signal sensor node"
    " value update update timer signal sensor timer window window average value f"
    "ield gateway window value average packet reading packet signal signal packet"
    " sensor signal average signal timer window gateway sensor value signal value"
    " packet signal window node signal node node field packet signal timer field "
    "sensor average field gateway average average node field reading value node r"
    "eading node field signal packet node update timer reading field node packet "
    "packet packet packet update value gateway reading sensor update gateway upda"
    "te packet node timer average node reading value field value timer node node "
    "window gateway update node average average signal node value sensor field re"
    "ading reading window field update node gateway node window reading timer pac"
    "ket update window update gateway average reading value average value field s"
    "ensor node gateway packet packet reading value average reading average senso"
    "r node packet node update sensor update reading update field fie";

int main(void) { return fletcher16(kData); }
