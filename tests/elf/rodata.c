// Read-only data in several sections: .rodata (static array, reached through the .rodata section
// symbol), a named .rodata.weights section (global symbol), and merged strings in
// .rodata.str1.1 (section symbol + the string's offset as addend). string_length is helper 102
// of the test environment.
static long (*const string_length)(const char *) = (void *)102;

static const int primes[8] = {2, 3, 5, 7, 11, 13, 17, 19};
__attribute__((section(".rodata.weights"))) const int weights[4] = {1000, 100, 10, 1};

long entry(long i) {
    const char *first = "abc";
    const char *second = "hello, world";
    return primes[i] * weights[i & 3] + first[i & 1] + second[i & 3] + 1000000 * string_length(second);
}
