#ifndef VGSWEEP_CBLAS_SHIM_H
#define VGSWEEP_CBLAS_SHIM_H
#include <cblas.h>
/* OpenBLAS extensions (declared in Debian's openblas cblas.h; repeated here so the shim
   documents exactly what MLPKit uses). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);

/* Flush denormal floats to zero (FTZ) and read them as zero (DAZ) on the calling thread.
   Saturated sigmoid layers produce denormal gradients, which the CPU handles in microcode
   30-40x slower; no training result depends on values below 1e-38. */
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
static inline void vgsweep_flush_denormals(void) { _mm_setcsr(_mm_getcsr() | 0x8040); }
#elif defined(__aarch64__)
static inline void vgsweep_flush_denormals(void) {
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (1UL << 24)));
}
#else
static inline void vgsweep_flush_denormals(void) {}
#endif
#endif
