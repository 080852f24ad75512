/*
 * kernels: the numeric loops of the built-in embedder (embed/use_lite.c) —
 * a dense layer over a packed matrix, a dot product, y += a·x, the layer norm
 * as USE lite's graph computes it. Written so GCC at -O2 keeps several vector
 * sums in flight (a single-accumulator loop is not vectorised there): generic
 * 4-wide vector types everywhere, and AVX2 + FMA intrinsics for the dense
 * layer, which is nearly all the time, when the CPU has them.
 *
 * A matrix W [in][out] (row-major, as TensorFlow stores a kernel) is packed
 * in panels of KERNELS_PANEL columns, [out / PANEL][in][PANEL], as IEEE
 * half-precision numbers. Why half: a question of ten tokens reads every
 * weight of the model and does little with each, so its cost is streaming
 * them from memory: half the bytes (10 MB instead of 20) made a question's
 * embedding about 15% faster here (bench_embed, interleaved with the
 * float32 build on an idle machine; more when the host's cache is quiet),
 * and the rounding (2^-11 relative) keeps the vectors within the
 * reference's cosine 0.999 by far. The dense layer widens a panel
 * KERNELS_KBLOCK inputs at a time into float32 scratch that stays in L1 and
 * runs every row over it, so the widening is paid once per weight, not per
 * row (matmul_avx2 says why not whole panels).
 */
#ifndef RAG_SEARCH_EMBED_KERNELS_H
#define RAG_SEARCH_EMBED_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

#include <stdint.h>

#define KERNELS_PANEL 16
/* The widest input a dense layer takes (the scratch a call needs is
 * in × KERNELS_PANEL floats). */
#define KERNELS_MAX_IN 2048

typedef struct {
    size_t in, out;
    const uint16_t *panels; /* float16 bits, [out / KERNELS_PANEL][in][KERNELS_PANEL] */
    const float *bias;      /* [out] */
} kernels_dense;

/* y[n][out] = x[n][in] · W + bias, then max(0, ·) when relu. scratch: at
 * least d->in × KERNELS_PANEL floats, 32-byte aligned, the caller's (one per
 * thread). */
typedef void (*kernels_matmul_fn)(const float *x, size_t n, const kernels_dense *d, float *y, bool relu, float *scratch);

/* The dense layer to use: the AVX2 + FMA + F16C one where the CPU has them,
 * unless portable; *name is "avx2" or "portable". Both compute the same
 * products of the same half-precision weights. */
kernels_matmul_fn kernels_matmul(bool portable, const char **name);

/* Packs w [in][out] (float32 bytes, any alignment; in <= KERNELS_MAX_IN)
 * into half-precision panels. */
void kernels_pack(const void *w, size_t in, size_t out, uint16_t *panels);
/* IEEE binary16 from float, rounded to nearest even (overflow to infinity,
 * NaN kept NaN), and back, exactly. */
uint16_t kernels_half_from_float(float f);
float kernels_half_to_float(uint16_t h);

float kernels_dot(const float *a, const float *b, size_t n);
/* y[0..n) += a * x[0..n) */
void kernels_axpy(float *y, float a, const float *x, size_t n);
/* Each of the n rows of x [n][d]: scale * rsqrt(mean((x - mean)^2) + eps) * (x - mean) + bias. */
void kernels_layer_norm(const float *x, size_t n, size_t d, const float *scale, const float *bias, float eps, float *y);

#endif
