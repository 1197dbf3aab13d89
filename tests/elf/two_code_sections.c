// Code in two executable sections (.text and "prog"), which one Image cannot describe.
static __attribute__((noinline)) long square(long x) {
    volatile long k = x;
    return k * k;
}

__attribute__((section("prog"))) long entry(long x) { return square(x) + 1; }

long other(long x) { return square(x); }
