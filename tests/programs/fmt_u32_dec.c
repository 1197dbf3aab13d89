// TEST_RESULT: 5
// TEST_OUTPUT: 12345
#include "ubpf_helpers.h"

int main(void) {
    char out[16] = {0};
    char format[] = "%s\n";
    size_t n = bpf_fmt_u32_dec(out, 12345);
    bpf_printf(format, out);
    return (int)n;
}
