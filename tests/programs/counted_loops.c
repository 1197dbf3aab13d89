// TEST_RESULT: 1660716479
// NOT_IN: text
// Loops as LLVM compiles them with a counter beside the pointer, or with a 32-bit index (what
// jit::Options::version_loops versions; the m4-jit-versioned engine runs this too): halfwords
// summed while a counter counts up to their number, and bytes hashed through a[i] with a 32-bit
// i, over a text whose length comes from bpf_strlen. The expected value was computed on the
// host by an independent Python implementation.
#include "ubpf_helpers.h"

static const char kText[] __attribute__((aligned(4))) =
    "sensor gateway packet timer window reading signal value field node update average "
    "gateway sensor node timer packet window value reading field signal update average!";

int main(void) {
    const uint32_t n = (uint32_t)bpf_strlen(kText);
    const uint16_t* halfwords = (const uint16_t*)(const void*)kText;
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n / 2; ++i) sum += halfwords[i];
    const unsigned char* bytes = (const unsigned char*)kText;
    uint32_t hash = 0;
    for (uint32_t i = 0; i < n; ++i) hash = hash * 31u + bytes[i];
    return (int)(sum ^ hash);
}
