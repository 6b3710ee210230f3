#ifndef VGSWEEP_CKERNELS_H
#define VGSWEEP_CKERNELS_H
/* The loops of a training step that Swift cannot make fast, each compiled for AVX-512, AVX2
   and baseline x86-64 and picked by the loader for the CPU at hand (see clones.h).

   Swift compiles MLPKit for baseline x86-64 (SSE2): its eight-lane loops run four lanes per
   instruction on CPUs that could do sixteen, which made the exp-based activations 10 % of a
   sigmoid network's step. And Swift has no prefetch, which the mini-batch gather needs. */

/* The activations built on exp. The arithmetic is Lanes.swift's `fastExp` operation for
   operation, with no fused multiply-adds, so every clone and the Swift formulas give the
   same bits (GradientCheckTests checks it). `a` must not overlap `z`. */
void vgsweep_sigmoid(const float *z, float *a, long count);   /* 1 / (1 + e^-z)     */
void vgsweep_tanh(const float *z, float *a, long count);      /* 1 - 2 / (e^2z + 1) */
void vgsweep_silu(const float *z, float *a, long count);      /* z / (1 + e^-z)     */

/* out[r][j] = pixels[rows[r]][j] / 255 for r < count, j < features: a mini-batch of images,
   one row of `features` bytes each, as floats (an IEEE division, as `Float(p) / 255`). */
void vgsweep_gather_pixels(const unsigned char *pixels, const long *rows, long count, long features, float *out);
#endif
