// .data: a global the program reads and writes through lddw (R_BPF_64_64 against `counter`).
// entry(step) adds step to counter (starts at 40) and returns the new value.
int counter = 40;

long entry(long step) {
    counter += (int)step;
    return counter;
}
