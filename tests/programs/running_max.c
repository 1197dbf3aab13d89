// TEST_RESULT: 2115436699
// NOT_IN: text
// A loop with branches over a[i] as LLVM lays it out: entered in its middle, the index's step
// and the test at the head (what jit::Options::version_loops versions in the index form; the
// m4-jit-versioned engine runs this too): the largest byte of a text, how many spaces it has and
// where the last one is, with the text's length from bpf_strlen. The expected value was
// computed on the host by an independent Python implementation.
#include "ubpf_helpers.h"

static const char kText[] =
    "sensor gateway packet timer window reading signal value field node update average "
    "gateway sensor node timer packet window value reading field signal update average~";

int main(void) {
    const uint32_t n = (uint32_t)bpf_strlen(kText);
    const unsigned char* bytes = (const unsigned char*)kText;
    uint32_t largest = 0, spaces = 0, last_space = 0;
    for (uint32_t i = 0; i < n; ++i) {
        if (bytes[i] > largest) largest = bytes[i];
        if (bytes[i] == ' ') {
            ++spaces;
            last_space = i;
        }
    }
    return (int)(largest << 24 | spaces << 16 | last_space);
}
