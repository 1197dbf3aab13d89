// TEST_RESULT: 21
#include "ubpf_helpers.h"

int main(void) {
    char text[] = "This is a test string";
    return (int)bpf_strlen(text);
}
