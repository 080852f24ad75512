/*
 * kernels: the numeric loops of the built-in embedder (embed/use_lite.c) —
 * a dense layer over a packed matrix, a dot product, y += a·x, the layer norm
 * as USE lite's graph computes it. Written so GCC at -O2 keeps several vector
 * sums in flight (a single-accumulator loop is not vectorised there): generic
 * 4-wide vector types everywhere, and AVX2 + FMA intrinsics for the dense
 * layer, which is nearly all the time, when the CPU has them.
 *
 * A matrix W [in][out] (row-major, as TensorFlow stores a kernel) is packed
 * in panels of KERNELS_PANEL columns, [out / PANEL][in][PANEL], so the dense
 * layer reads each panel from start to end once per call and reuses it, from
 * cache, for every row; out must be a multiple of KERNELS_PANEL and the
 * panels 32-byte aligned.
 */
#ifndef RAG_SEARCH_EMBED_KERNELS_H
#define RAG_SEARCH_EMBED_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

#define KERNELS_PANEL 16

typedef struct {
    size_t in, out;
    const float *panels; /* [out / KERNELS_PANEL][in][KERNELS_PANEL] */
    const float *bias;   /* [out] */
} kernels_dense;

/* y[n][out] = x[n][in] · W + bias, then max(0, ·) when relu. */
typedef void (*kernels_matmul_fn)(const float *x, size_t n, const kernels_dense *d, float *y, bool relu);

/* The dense layer to use: the AVX2 + FMA one where the CPU has both, unless
 * portable; *name is "avx2" or "portable". */
kernels_matmul_fn kernels_matmul(bool portable, const char **name);

/* Packs w [in][out] (float32 bytes, any alignment) into panels. */
void kernels_pack(const void *w, size_t in, size_t out, float *panels);

float kernels_dot(const float *a, const float *b, size_t n);
/* y[0..n) += a * x[0..n) */
void kernels_axpy(float *y, float a, const float *x, size_t n);
/* Each of the n rows of x [n][d]: scale * rsqrt(mean((x - mean)^2) + eps) * (x - mean) + bias. */
void kernels_layer_norm(const float *x, size_t n, size_t d, const float *scale, const float *bias, float eps, float *y);

#endif
