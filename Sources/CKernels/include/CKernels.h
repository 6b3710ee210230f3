#ifndef VGSWEEP_CKERNELS_H
#define VGSWEEP_CKERNELS_H
/* The activations built on exp, the hottest element-wise loops of a training step (10 % of a
   sigmoid network's step in Swift), compiled for several instruction sets.

   Swift compiles MLPKit for baseline x86-64 (SSE2), so its eight-lane loops run four lanes
   per instruction on CPUs that could do sixteen. The compiler builds this function once
   for AVX-512, once for AVX2 and once for baseline, and the loader picks the one the CPU
   can run (GCC/Clang `target_clones`). The arithmetic is `fastExp` of Lanes.swift operation
   for operation, without fused multiply-adds, so every clone and the Swift code give the
   same bits (GradientCheckTests checks this). `a` must not overlap `z`. */
void vgsweep_sigmoid(const float *z, float *a, long count);   /* 1 / (1 + e^-z)     */
void vgsweep_tanh(const float *z, float *a, long count);      /* 1 - 2 / (e^2z + 1) */
void vgsweep_silu(const float *z, float *a, long count);      /* z / (1 + e^-z)     */
#endif
