// TEST_RESULT: 47
// NOT_IN: text
// Reads and writes a .data variable (lddw of .data; lddwd in the header layouts).
int counter = 40;
const int step = 7;

int main(void) {
    counter += step;
    return counter;
}
