// TEST_RESULT: 51360
// NOT_IN: text
// Fletcher-16 over 2560 bytes of text in .rodata, length from bpf_strlen. The expected value
// was computed on the host by an independent Python implementation.
#include "fletcher16.h"

static const char kData[] =
    "signal average timer value update node window value field reading gateway fi"
    "eld gateway average sensor gateway packet sensor timer sensor node gateway g"
    "ateway value field reading update reading average update value window field "
    "field node gateway field signal average signal reading window timer update g"
    "ateway reading packet average average timer signal field sensor value value "
    "reading sensor reading field packet average sensor timer sensor field packet"
    " sensor value gateway window update field signal node update sensor update a"
    "verage window timer signal signal signal sensor gateway packet packet signal"
    " average signal timer timer average value timer packet timer sensor sensor p"
    "acket packet timer field field window gateway value update average average t"
    "imer update window node timer node signal packet field timer reading field v"
    "alue update gateway reading signal gateway update average gateway gateway re"
    "ading gateway average node average sensor sensor sensor signal sensor readin"
    "g update sensor packet update node signal average field node timer packet no"
    "de sensor signal gateway packet gateway update gateway value average update "
    "node sensor field gateway timer reading packet value window node update fiel"
    "d gateway window value value gateway packet gateway gateway gateway timer ti"
    "mer reading update node signal node signal sensor update field field value g"
    "ateway value average field average packet field reading field reading node g"
    "ateway gateway reading update packet gateway reading value node update senso"
    "r average gateway field average value update field signal window timer updat"
    "e sensor window signal value reading field signal reading value value update"
    " window signal node signal node gateway gateway packet value timer average a"
    "verage signal value value value signal window window value average reading r"
    "eading signal signal window update timer timer gateway reading field reading"
    " node average average reading average gateway average gateway reading sensor"
    " window packet sensor signal timer sensor sensor node reading average value "
    "packet packet field window reading sensor timer packet packet sensor field p"
    "acket value average timer update gateway value reading signal node value sen"
    "sor timer sensor gateway average timer reading update node timer sensor node"
    " field field timer node sensor gateway packet gateway signal packet average "
    "node reading field window update update sensor reading value average reading"
    " update window field window gateway gateway signal signal reading sensor nod"
    "e window gateway reading value update update window ";

int main(void) { return fletcher16(kData); }
