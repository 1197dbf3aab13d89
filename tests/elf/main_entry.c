// A program whose `main` is not its first function: the image must start at main.
// main(x) = 2 (x + 1); other(x) = 100 (x + 1). main takes the one argument the tests pass.
#pragma clang diagnostic ignored "-Wmain"
static __attribute__((noinline)) int plus_one(int x) {
    volatile int k = x;
    return k + 1;
}

int other(int x) { return plus_one(x) * 100; }

int main(int x) { return plus_one(x) * 2; }
