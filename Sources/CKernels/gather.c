#include "CKernels.h"
#include "clones.h"

/* Rows of a large byte matrix picked at random miss every cache: the loop would wait on
   memory for each row in turn. Asking for the row `ahead` places later keeps that many
   rows on their way at once. */
enum { ahead = 4, line = 64 };

CLONES void vgsweep_gather_pixels(const unsigned char *restrict pixels, const long *restrict rows,
                                  long count, long features, float *restrict out) {
    for (long r = 0; r < count; r++) {
        if (r + ahead < count) {
            const unsigned char *next = pixels + rows[r + ahead] * features;
            for (long b = 0; b < features; b += line) __builtin_prefetch(next + b);
        }
        const unsigned char *row = pixels + rows[r] * features;
        float *dst = out + r * features;
        for (long j = 0; j < features; j++) dst[j] = (float)row[j] / 255.0f;
    }
}
