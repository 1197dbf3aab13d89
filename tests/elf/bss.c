// A zero-initialised global lands in .bss, which has no bytes in the object to map.
int zeroed;

long entry(void) { return ++zeroed; }
