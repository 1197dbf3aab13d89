// Nine read-only sections: one more than an Image can map (kMaxImageRegions = 8).
#define TABLE(n) __attribute__((section(".rodata.t" #n))) const int t##n[2] = {n, n};
TABLE(1)
TABLE(2)
TABLE(3)
TABLE(4)
TABLE(5)
TABLE(6)
TABLE(7)
TABLE(8)
TABLE(9)

long entry(long i) { return t1[i] + t2[i] + t3[i] + t4[i] + t5[i] + t6[i] + t7[i] + t8[i] + t9[i]; }
