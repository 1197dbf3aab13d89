// TEST_RESULT: 5
// TEST_OUTPUT: hello world
// NOT_IN: text
#include "ubpf_helpers.h"

char greeting[] = "hello";

int main(void) {
    bpf_printf("%s world\n", greeting);
    return (int)bpf_strlen(greeting);
}
