// bpf-to-bpf calls: `twice` is static (clang resolves the call itself, no relocation) and
// `add_ten` is global (clang leaves `call -1` and an R_BPF_64_32 against the function symbol).
// add_ten calls twice again, and both use their own stack frame.
// entry(x) = 2x + 3 (x + 10).
static __attribute__((noinline)) unsigned long twice(unsigned long x);
__attribute__((noinline)) unsigned long add_ten(unsigned long x);

unsigned long entry(unsigned long x) { return twice(x) + add_ten(x) * 3; }

__attribute__((noinline)) unsigned long add_ten(unsigned long x) {
    volatile unsigned long k = x + 10;
    return twice(k) / 2;
}

static __attribute__((noinline)) unsigned long twice(unsigned long x) {
    volatile unsigned long k = x;
    return k * 2;
}
