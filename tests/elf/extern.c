// A reference to a variable defined elsewhere: nothing on the device can resolve it.
extern int defined_elsewhere;

long entry(void) { return defined_elsewhere; }
