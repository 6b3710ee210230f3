#include "CKernels.h"
#include "clones.h"
#include <stdint.h>
#include <string.h>

/* Lanes.swift's fastExp for one float; see there for the method and its error. */
static inline float fast_exp(float x) {
    if (x < -87.3f) x = -87.3f;   /* NaN fails both tests and passes through */
    if (x > 88.3f) x = 88.3f;
    const float shifter = 12582912.0f;
    float t = x * 1.44269504f + shifter;
    float n = t - shifter;
    float r = (x - n * 0.69314575f) - n * 1.4286068e-6f;
    float p = 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1;
    p = p * r + 1;
    int32_t bits;
    memcpy(&bits, &t, sizeof bits);
    int32_t scale_bits = (int32_t)((uint32_t)(bits - 0x4B400000 + 127) << 23);
    float scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return p * scale;
}

CLONES void vgsweep_sigmoid(const float *restrict z, float *restrict a, long count) {
    for (long i = 0; i < count; i++) a[i] = 1.0f / (1.0f + fast_exp(-z[i]));
}

CLONES void vgsweep_tanh(const float *restrict z, float *restrict a, long count) {
    for (long i = 0; i < count; i++) a[i] = 1.0f - 2.0f / (fast_exp(2.0f * z[i]) + 1.0f);
}

CLONES void vgsweep_silu(const float *restrict z, float *restrict a, long count) {
    for (long i = 0; i < count; i++) a[i] = z[i] / (1.0f + fast_exp(-z[i]));
}
