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
 *
 * Where the CPU has AVX-512 VNNI the matrices are also held as 16-bit
 * integers (a column's scale apart) and each input row is quantised the same
 * way as it enters, so VPDPWSSD does two multiply-adds per lane where FMA
 * does one, with nothing to widen: 95 against 42 billion multiply-adds a
 * second on one core here, a question embedded in ~0.7 ms instead of ~2. 8
 * bits would be twice as fast again, but moved the vectors to a cosine of
 * 0.998 of the reference (half from the weights, half from the inputs),
 * under the 0.999 rag-search promises; 11 bits keep 0.99998.
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
    /* The same matrix in 16-bit integers, for the int16 layer (NULL where
     * not packed): column c's weight at input k is q16 × q16_scale[c]. Laid
     * out [out / KERNELS_PANEL][in / 2][KERNELS_PANEL][2] — two consecutive
     * inputs of a column in 32 bits, what one VPDPWSSD lane sums. */
    const int16_t *q16;
    const float *q16_scale; /* [out] */
} kernels_dense;

/* y[n][out] = x[n][in] · W + bias, then max(0, ·) when relu. scratch: at
 * least kernels_scratch_floats(n, d->in) floats, 32-byte aligned, the
 * caller's (one per thread). */
typedef void (*kernels_matmul_fn)(const float *x, size_t n, const kernels_dense *d, float *y, bool relu, float *scratch);

/* The dense layers, fastest last:
 *   portable  vector code any compiler builds, over the half-precision weights;
 *   avx2      AVX2 + FMA + F16C, the same products of the same weights;
 *   int16     AVX-512 VNNI over 16-bit integer weights, each input row
 *             quantised the same way (its own scale) as it enters: twice
 *             the multiply-adds per instruction of float32 and nothing to
 *             widen, for a rounding (11 bits, kernels.c says why) the
 *             vectors do not notice. */
typedef enum { KERNELS_PORTABLE, KERNELS_AVX2, KERNELS_INT16 } kernels_kind;

/* Whether this CPU (and its OS) runs kind; the best kind it runs. */
bool kernels_available(kernels_kind kind);
kernels_kind kernels_best(void);
const char *kernels_name(kernels_kind kind);
/* The dense layer of kind (which must be available). */
kernels_matmul_fn kernels_matmul(kernels_kind kind);
/* Floats of scratch a call of n rows of in inputs needs, whichever kind. */
size_t kernels_scratch_floats(size_t n, size_t in);

/* Packs w [in][out] (float32 bytes, any alignment; in <= KERNELS_MAX_IN)
 * into half-precision panels. */
void kernels_pack(const void *w, size_t in, size_t out, uint16_t *panels);
/* Packs it into 16-bit integer panels (in even): each column scaled so its
 * largest magnitude is the largest level, rounded to nearest. */
void kernels_pack_q16(const void *w, size_t in, size_t out, int16_t *q16, float *scale);
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
