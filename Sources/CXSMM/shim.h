#ifndef VGSWEEP_CXSMM_SHIM_H
#define VGSWEEP_CXSMM_SHIM_H
/* libxsmm (Debian libxsmm-dev) compiles small matrix products just in time for the CPU it
   runs on. Its kernels need no packing of the operands, which is where OpenBLAS spends a
   third of its time on a training step's 64-row products (docs/performance.md).
   libxsmm's kernel type is a variadic function pointer, which Swift cannot call: these two
   functions hide it behind an opaque pointer. */
#include <libxsmm.h>

/* A column-major kernel c = a . op(b) (+ c when accumulate), alpha 1; NULL when libxsmm
   cannot make one for this shape or CPU. */
static inline const void *vgsweep_xsmm_kernel(int m, int n, int k, int lda, int ldb, int ldc,
                                              int transpose_b, int accumulate) {
    const float alpha = 1, beta = accumulate ? 1 : 0;
    const int flags = transpose_b ? LIBXSMM_GEMM_FLAG_TRANS_B : 0;
    libxsmm_smmfunction kernel = libxsmm_smmdispatch(m, n, k, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
    return (const void *)kernel;
}

/* Runs a kernel from vgsweep_xsmm_kernel. libxsmm's AVX-512 kernels return with the upper
   halves of the vector registers dirty; every SSE instruction after that (Swift's code for
   baseline x86-64) then pays a merge penalty, which cost a quarter of a training step's speed.
   vzeroupper clears them; it exists only on CPUs with AVX, where libxsmm emits AVX code. */
static inline void vgsweep_xsmm_run(const void *kernel, const float *a, const float *b, float *c) {
    ((libxsmm_smmfunction)kernel)(a, b, c);
#if defined(__x86_64__)
    static int has_avx = -1;
    if (has_avx < 0) has_avx = libxsmm_get_target_archid() >= LIBXSMM_X86_AVX;
    if (has_avx) __asm__ volatile("vzeroupper");
#endif
}
#endif
