// Writes into const data (.rodata) and into .data: the loader must map .rodata read-only and
// .data read-write. entry(0) stores into .data and returns 7 + 1; entry(1) stores into .rodata.
const int constant = 5;
int variable = 7;

long entry(long which) {
    if (which == 0) {
        variable += 1;
        return variable;
    }
    *(volatile int *)&constant = 6;
    return constant;
}
