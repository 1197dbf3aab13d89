// TEST_RESULT: 1517753766
// NOT_IN: text
// Counts the bytes of a text in .rodata by their low 4 bits into a table in .data (each count
// starts at 1), then hashes the counts: loads from .rodata, loads and stores in .data, all
// checked inline by JIT code against the program's own regions. The expected value is from an
// independent Python model of the program.
#include "ubpf_helpers.h"

static uint32_t counts[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
static const char kText[] = "sensor gateway packet timer window reading signal value field node update average 0123456789";

int main(void) {
    for (const char* p = kText; *p != 0; ++p) counts[(unsigned char)*p & 15u] += 1;
    uint32_t hash = 0;
    for (uint32_t i = 0; i < 16; ++i) hash = hash * 31u + counts[i];
    return (int)hash;
}
