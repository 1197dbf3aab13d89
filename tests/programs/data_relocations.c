// TEST_RESULT: 123
// NOT_IN: text fc extended
// A pointer stored in .data: only a format with data relocations (ELF) can carry it.
const int c = 123;
const int *ptr = &c;

int main(void) { return *ptr; }
