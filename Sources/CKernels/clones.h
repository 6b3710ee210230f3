#ifndef VGSWEEP_CLONES_H
#define VGSWEEP_CLONES_H
/* One copy of the function per instruction set, chosen once when the library is loaded
   (GCC/Clang function multiversioning through an ifunc). */
#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif
#endif
