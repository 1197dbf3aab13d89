// The seed's data_relocations program: a pointer stored in .data must be relocated when the
// object is loaded (R_BPF_64_ABS64 in .rel.data). Returns 123.
const int c = 123;
const int *ptr = &c;

long entry(void) { return *ptr; }
