#ifndef VGSWEEP_CLONES_H
#define VGSWEEP_CLONES_H
/* One copy of the function per instruction set, chosen once when the library is loaded
   (GCC/Clang function multiversioning through an ifunc). */
#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

/* No contraction of a * b + c into one fused multiply-add where the CPU has one (the
   AVX-512 clone, arm64): it rounds once where the other clones and Swift round twice.
   Clang contracts within an expression by default (-ffp-contract=on) and honours this
   pragma then, from here to the end of each file that includes this header. */
#pragma STDC FP_CONTRACT OFF
#endif
