// Pointers in .data with addends (&table[1], &table[3]: 4 and 12 bytes into a static array in
// .rodata, so the relocations are against the .rodata section symbol with the array's offset
// added), read back through lddw of `pointers`.
static const int table[4] = {10, 20, 30, 40};
const int *pointers[2] = {&table[1], &table[3]};

long entry(void) { return *pointers[0] * 1000 + *pointers[1]; }
