// TEST_RESULT: 5
// TEST_OUTPUT: -12.5
#include "ubpf_helpers.h"

int main(void) {
    char out[16] = {0};
    char format[] = "%s\n";
    size_t n = bpf_fmt_s16_dfp(out, -125, -1);
    bpf_printf(format, out);
    return (int)n;
}
