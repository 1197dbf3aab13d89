// TEST_RESULT: 590257962
// NOT_IN: text
// A loop reading a[i - 1] with i counting down from the length to 1, as LLVM compiles it: the
// index counts itself down to 0 (what jit::Options::version_loops versions as the index form
// with a step of -1; the m4-jit-versioned engine runs this too): a hash of a text from its last
// byte to its first, with the text's length from bpf_strlen. The expected value was computed
// on the host by an independent Python implementation.
#include "ubpf_helpers.h"

static const char kText[] =
    "sensor gateway packet timer window reading signal value field node update average "
    "gateway sensor node timer packet window value reading field signal update average.";

int main(void) {
    const uint64_t n = bpf_strlen(kText);
    const unsigned char* bytes = (const unsigned char*)kText;
    uint32_t hash = 0;
    for (uint64_t i = n; i > 0; --i) hash = hash * 31u + bytes[i - 1];
    return (int)hash;
}
