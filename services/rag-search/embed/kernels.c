/*
 * kernels: the embedder's numeric loops (kernels.h).
 */
#include "embed/kernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define KERNELS_X86 1
#endif

typedef float v4f __attribute__((vector_size(16)));

static v4f v4f_load(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void v4f_store(float *p, v4f v)
{
    memcpy(p, &v, sizeof v);
}

uint16_t kernels_half_from_float(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t abs = x & 0x7fffffffu;
    if (abs >= 0x7f800000u) /* infinity, or NaN (kept a quiet NaN) */
        return sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0);
    if (abs >= 0x477ff000u) /* 65520 and up round past 65504, the largest half */
        return sign | 0x7c00u;
    if (abs < 0x38800000u) { /* below 2^-14: a subnormal half (in units of 2^-24), or zero */
        if (abs < 0x33000000u)
            return sign;
        uint32_t shift = 126 - (abs >> 23), m = (abs & 0x7fffffu) | 0x800000u;
        uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (q & 1)))
            q++; /* 0x400 is the smallest normal: still the right bits */
        return sign | (uint16_t)q;
    }
    uint32_t h = (abs - 0x38000000u) >> 13, rem = abs & 0x1fffu; /* exponent re-biased 127 -> 15 */
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
        h++; /* a carry into the exponent is the right rounding too */
    return sign | (uint16_t)h;
}

typedef uint32_t v4u __attribute__((vector_size(16)));

/* The inputs of a panel widened at a time: 128 × 16 floats, 8 KB, stay in L1. */
#define KERNELS_KBLOCK 128

/* The int16 layer's values run -Q16_LEVELS..Q16_LEVELS, weights and inputs
 * alike: 11 bits, so a sum of KERNELS_MAX_IN products (1023² × 2048 <
 * 2^31) never overflows its 32-bit lane, and each value is still within
 * 1/2046 of its row's or column's largest — the vectors stay within the
 * reference's cosine 0.999 by far (tests/unit/rag-search/embed). */
#define Q16_LEVELS 1023

/* The int16 layer's scratch, each part 32-byte aligned: each row's scale,
 * the rows' 16-bit values [n][in], their 32-bit sums so far [n][16]. */
#define Q16_ROWS_FLOATS(n)       (((n) + 7) & ~(size_t)7)
#define Q16_VALUES_FLOATS(n, in) ((((n) * (in) + 1) / 2 + 7) & ~(size_t)7)
/* Input pairs of a panel taken at a time: 128 × 16 × 4 bytes, 8 KB. */
#define Q16_KPAIRS 128

/* Four halves widened with 4-wide vector operations (the portable path's
 * widening, which runs for every weight of a query, must not be a scalar
 * loop with branches): the 15 bits move up to float's place and the
 * exponent is re-biased; infinity and NaN get the rest of float's bias; a
 * subnormal half (exponent 0) is made a normal float one step up and that
 * step's implicit 1 subtracted back — every step exact. */
static void widen4(const uint16_t *p, float *out)
{
    const v4u exp_mask = {0x0f800000u, 0x0f800000u, 0x0f800000u, 0x0f800000u};
    const v4f two_m14 = {0x1p-14f, 0x1p-14f, 0x1p-14f, 0x1p-14f};
    v4u h = {p[0], p[1], p[2], p[3]};
    v4u o = (h & 0x7fffu) << 13, e = o & exp_mask;
    o += (v4u)(e == exp_mask) & ((128u - 16u) << 23); /* infinity or NaN: all of float's exponent */
    o += (127u - 15u) << 23;
    v4u up = o + (1u << 23);
    v4f sub;
    memcpy(&sub, &up, sizeof sub);
    sub -= two_m14;
    v4u sub_bits, zero = (v4u)(e == 0);
    memcpy(&sub_bits, &sub, sizeof sub_bits);
    v4u r = (o & ~zero) | (sub_bits & zero) | ((h & 0x8000u) << 16);
    memcpy(out, &r, sizeof r);
}

float kernels_half_to_float(uint16_t h)
{
    uint16_t in[4] = {h, 0, 0, 0};
    float out[4];
    widen4(in, out);
    return out[0];
}

/* y[n][out] = x[n][in] · W + b (relu optional), portable: two rows by one
 * panel at a time, eight independent vector sums, over pieces of the panel
 * widened into L1 scratch as matmul_avx2 does (see there). */
static void matmul_generic(const float *x, size_t n, const kernels_dense *d, float *y, bool relu, float *scratch)
{
    size_t in = d->in, out = d->out;
    for (size_t jb = 0; jb < out / KERNELS_PANEL; jb++) {
        const uint16_t *half = d->panels + jb * in * KERNELS_PANEL;
        const float *b = d->bias + jb * KERNELS_PANEL;
        for (size_t k0 = 0; k0 < in; k0 += KERNELS_KBLOCK) {
            size_t kn = in - k0 < KERNELS_KBLOCK ? in - k0 : KERNELS_KBLOCK;
            for (size_t i = 0; i < kn * KERNELS_PANEL; i += 4)
                widen4(half + k0 * KERNELS_PANEL + i, scratch + i);
            bool first = k0 == 0, last = k0 + kn == in;
            for (size_t r = 0; r < n; r += 2) {
                size_t r1 = r + 1 < n ? r + 1 : r;
                const float *x0 = x + r * in + k0, *x1 = x + r1 * in + k0;
                float *y0 = y + r * out + jb * KERNELS_PANEL, *y1 = y + r1 * out + jb * KERNELS_PANEL;
                const float *from0 = first ? b : y0, *from1 = first ? b : y1;
                v4f a0 = v4f_load(from0), a1 = v4f_load(from0 + 4), a2 = v4f_load(from0 + 8), a3 = v4f_load(from0 + 12);
                v4f c0 = v4f_load(from1), c1 = v4f_load(from1 + 4), c2 = v4f_load(from1 + 8), c3 = v4f_load(from1 + 12);
                for (size_t k = 0; k < kn; k++) {
                    const float *w = scratch + k * KERNELS_PANEL;
                    v4f w0 = v4f_load(w), w1 = v4f_load(w + 4), w2 = v4f_load(w + 8), w3 = v4f_load(w + 12);
                    v4f s0 = {x0[k], x0[k], x0[k], x0[k]}, s1 = {x1[k], x1[k], x1[k], x1[k]};
                    a0 += s0 * w0;
                    a1 += s0 * w1;
                    a2 += s0 * w2;
                    a3 += s0 * w3;
                    c0 += s1 * w0;
                    c1 += s1 * w1;
                    c2 += s1 * w2;
                    c3 += s1 * w3;
                }
                v4f acc[2][4] = {{a0, a1, a2, a3}, {c0, c1, c2, c3}};
                float *ys[2] = {y0, y1};
                for (size_t i = 0; i < 2 && r + i < n; i++)
                    for (size_t q = 0; q < 4; q++) {
                        v4f v = acc[i][q];
                        if (last && relu)
                            for (int e = 0; e < 4; e++)
                                v[e] = v[e] > 0 ? v[e] : 0;
                        v4f_store(ys[i] + 4 * q, v);
                    }
            }
        }
    }
}

#ifdef KERNELS_X86
/* The same with AVX2, FMA and F16C: four rows by one panel, eight
 * accumulators. The panel is widened KERNELS_KBLOCK inputs at a time into
 * scratch that stays in L1, and every row block runs over that piece before
 * the next is widened: widening the whole panel first wrote (and read back)
 * 20 MB per question through L2, which cost as much as the products. The
 * rows' sums wait in y between pieces — float stored and loaded exactly, so
 * the result is bit for bit the one of a single pass. */
__attribute__((target("avx2,fma,f16c"))) static void matmul_avx2(const float *x, size_t n, const kernels_dense *d, float *y,
                                                                 bool relu, float *scratch)
{
    size_t in = d->in, out = d->out;
    const __m256 zero = _mm256_setzero_ps();
    for (size_t jb = 0; jb < out / KERNELS_PANEL; jb++) {
        const uint16_t *half = d->panels + jb * in * KERNELS_PANEL;
        const float *b = d->bias + jb * KERNELS_PANEL;
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        for (size_t k0 = 0; k0 < in; k0 += KERNELS_KBLOCK) {
            size_t kn = in - k0 < KERNELS_KBLOCK ? in - k0 : KERNELS_KBLOCK;
            for (size_t i = 0; i < kn * KERNELS_PANEL; i += 8)
                _mm256_store_ps(scratch + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(half + k0 * KERNELS_PANEL + i))));
            bool first = k0 == 0, last = k0 + kn == in;
            for (size_t r = 0; r < n; r += 4) {
                size_t rows[4] = {r, r + 1 < n ? r + 1 : r, r + 2 < n ? r + 2 : r, r + 3 < n ? r + 3 : r};
                const float *x0 = x + rows[0] * in + k0, *x1 = x + rows[1] * in + k0;
                const float *x2 = x + rows[2] * in + k0, *x3 = x + rows[3] * in + k0;
                float *y0 = y + rows[0] * out + jb * KERNELS_PANEL, *y1 = y + rows[1] * out + jb * KERNELS_PANEL;
                float *y2 = y + rows[2] * out + jb * KERNELS_PANEL, *y3 = y + rows[3] * out + jb * KERNELS_PANEL;
                __m256 a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
                if (!first) {
                    a00 = _mm256_loadu_ps(y0), a01 = _mm256_loadu_ps(y0 + 8);
                    a10 = _mm256_loadu_ps(y1), a11 = _mm256_loadu_ps(y1 + 8);
                    a20 = _mm256_loadu_ps(y2), a21 = _mm256_loadu_ps(y2 + 8);
                    a30 = _mm256_loadu_ps(y3), a31 = _mm256_loadu_ps(y3 + 8);
                }
                for (size_t k = 0; k < kn; k++) {
                    __m256 w0 = _mm256_load_ps(scratch + k * KERNELS_PANEL), w1 = _mm256_load_ps(scratch + k * KERNELS_PANEL + 8);
                    __m256 s = _mm256_broadcast_ss(x0 + k);
                    a00 = _mm256_fmadd_ps(s, w0, a00);
                    a01 = _mm256_fmadd_ps(s, w1, a01);
                    s = _mm256_broadcast_ss(x1 + k);
                    a10 = _mm256_fmadd_ps(s, w0, a10);
                    a11 = _mm256_fmadd_ps(s, w1, a11);
                    s = _mm256_broadcast_ss(x2 + k);
                    a20 = _mm256_fmadd_ps(s, w0, a20);
                    a21 = _mm256_fmadd_ps(s, w1, a21);
                    s = _mm256_broadcast_ss(x3 + k);
                    a30 = _mm256_fmadd_ps(s, w0, a30);
                    a31 = _mm256_fmadd_ps(s, w1, a31);
                }
                __m256 acc[4][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}};
                float *ys[4] = {y0, y1, y2, y3};
                for (size_t i = 0; i < 4 && r + i < n; i++) { /* a padding row (a copy of row r) is never written */
                    __m256 v0 = acc[i][0], v1 = acc[i][1];
                    if (last && relu) {
                        v0 = _mm256_max_ps(v0, zero);
                        v1 = _mm256_max_ps(v1, zero);
                    }
                    _mm256_storeu_ps(ys[i], v0);
                    _mm256_storeu_ps(ys[i] + 8, v1);
                }
            }
        }
    }
}

/* One row of activations to Q16_LEVELS: q = round(x / scale), scale =
 * the row's largest magnitude / Q16_LEVELS (symmetric: no zero point). */
__attribute__((target("avx2,fma,avx512f,avx512vl"))) static void quantize_row(const float *x, size_t in, int16_t *q, float *scale)
{
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 max8 = _mm256_setzero_ps();
    size_t k = 0;
    for (; k + 8 <= in; k += 8)
        max8 = _mm256_max_ps(max8, _mm256_and_ps(_mm256_loadu_ps(x + k), abs_mask));
    float maxes[8], max = 0;
    _mm256_storeu_ps(maxes, max8);
    for (int i = 0; i < 8; i++)
        max = maxes[i] > max ? maxes[i] : max;
    for (size_t j = k; j < in; j++)
        max = fabsf(x[j]) > max ? fabsf(x[j]) : max;
    float s = max > 0 ? max / Q16_LEVELS : 1.0f; /* 1: a row of zeros */
    float inv = 1.0f / s;
    __m256 inv8 = _mm256_set1_ps(inv);
    for (k = 0; k + 8 <= in; k += 8) /* |x| × inv <= Q16_LEVELS: no clamping needed */
        _mm_storeu_si128((__m128i *)(q + k),
                         _mm256_cvtepi32_epi16(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k), inv8))));
    for (; k < in; k++)
        q[k] = (int16_t)lrintf(x[k] * inv);
    *scale = s;
}

/* What one panel piece of the int16 layer needs. */
typedef struct {
    const int16_t *xq, *panel; /* the rows' values [n][in]; the panel [in / 2][16][2] */
    __m256i *partial;          /* [n][2]: each row's sums so far, between pieces */
    const float *row_scale;
    float *y;
    size_t in, out, c0, p0, p1; /* the panel's first column; the piece's pairs [p0, p1) */
    bool first, last, relu;
    __m256 sc0, sc1, b0, b1; /* the columns' scales and biases */
} q16_piece;

/* Rows r .. r + R of one piece (R 1 to 4, a constant where it is inlined:
 * the loops over it unroll, and the 2R sums stay in registers). */
__attribute__((target("avx2,fma,avx512f,avx512vl,avx512vnni"), always_inline)) static inline void q16_rows(const q16_piece *k,
                                                                                                           size_t r, const size_t R)
{
    __m256i acc[4][2];
#pragma GCC unroll 4
    for (size_t i = 0; i < R; i++) {
        acc[i][0] = k->first ? _mm256_setzero_si256() : _mm256_load_si256(k->partial + 2 * (r + i));
        acc[i][1] = k->first ? _mm256_setzero_si256() : _mm256_load_si256(k->partial + 2 * (r + i) + 1);
    }
    const int16_t *xr = k->xq + r * k->in;
    for (size_t p = k->p0; p < k->p1; p++) {
        __m256i w0 = _mm256_loadu_si256((const __m256i *)(k->panel + p * 2 * KERNELS_PANEL));
        __m256i w1 = _mm256_loadu_si256((const __m256i *)(k->panel + p * 2 * KERNELS_PANEL + KERNELS_PANEL));
#pragma GCC unroll 4
        for (size_t i = 0; i < R; i++) {
            int32_t two;
            memcpy(&two, xr + i * k->in + 2 * p, sizeof two);
            __m256i s = _mm256_set1_epi32(two);
            acc[i][0] = _mm256_dpwssd_epi32(acc[i][0], s, w0);
            acc[i][1] = _mm256_dpwssd_epi32(acc[i][1], s, w1);
        }
    }
#pragma GCC unroll 4
    for (size_t i = 0; i < R; i++) {
        if (!k->last) {
            _mm256_store_si256(k->partial + 2 * (r + i), acc[i][0]);
            _mm256_store_si256(k->partial + 2 * (r + i) + 1, acc[i][1]);
            continue;
        }
        __m256 rs = _mm256_set1_ps(k->row_scale[r + i]);
        __m256 f0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[i][0]), _mm256_mul_ps(k->sc0, rs), k->b0);
        __m256 f1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[i][1]), _mm256_mul_ps(k->sc1, rs), k->b1);
        if (k->relu) {
            f0 = _mm256_max_ps(f0, _mm256_setzero_ps());
            f1 = _mm256_max_ps(f1, _mm256_setzero_ps());
        }
        float *yr = k->y + (r + i) * k->out + k->c0;
        _mm256_storeu_ps(yr, f0);
        _mm256_storeu_ps(yr + 8, f1);
    }
}

/* y = x · W + b over the 16-bit weights: each row quantised (quantize_row),
 * then up to four rows by one panel of 16 columns, VPDPWSSD summing two
 * 16-bit products per 32-bit lane — 128 multiply-adds per eight
 * instructions where float32 FMA does 64, and no widening of half-precision
 * weights. The last rows are taken 1, 2 or 3 at a time, not padded to four:
 * a question's 9 or 10 rows would compute 12. A panel is taken Q16_KPAIRS
 * input pairs at a time (8 KB, kept in L1) and every row block runs over
 * that piece before the next: a question's few rows do little with each
 * weight, so reading the 48 KB panels of the widest layer from L2 once per
 * row block cost more than the products. The sums wait in scratch between
 * pieces, and are exact integers (Q16_LEVELS² × KERNELS_MAX_IN < 2^31: no
 * overflow whatever the values); one multiply per output scales them back:
 * y = s_row × s_col × Σ q_x q_w + b. */
__attribute__((target("avx2,fma,avx512f,avx512vl,avx512vnni"))) static void
matmul_int16(const float *x, size_t n, const kernels_dense *d, float *y, bool relu, float *scratch)
{
    size_t in = d->in, pairs = in / 2;
    float *row_scale = scratch;
    int16_t *xq = (int16_t *)(scratch + Q16_ROWS_FLOATS(n));
    for (size_t r = 0; r < n; r++)
        quantize_row(x + r * in, in, xq + r * in, &row_scale[r]);
    q16_piece k = {.xq = xq,
                   .partial = (__m256i *)(scratch + Q16_ROWS_FLOATS(n) + Q16_VALUES_FLOATS(n, in)),
                   .row_scale = row_scale,
                   .y = y,
                   .in = in,
                   .out = d->out,
                   .relu = relu};
    for (size_t jb = 0; jb < d->out / KERNELS_PANEL; jb++) {
        k.panel = d->q16 + jb * in * KERNELS_PANEL;
        k.c0 = jb * KERNELS_PANEL;
        k.sc0 = _mm256_loadu_ps(d->q16_scale + k.c0), k.sc1 = _mm256_loadu_ps(d->q16_scale + k.c0 + 8);
        k.b0 = _mm256_loadu_ps(d->bias + k.c0), k.b1 = _mm256_loadu_ps(d->bias + k.c0 + 8);
        for (k.p0 = 0; k.p0 < pairs; k.p0 = k.p1) {
            k.p1 = pairs - k.p0 < Q16_KPAIRS ? pairs : k.p0 + Q16_KPAIRS;
            k.first = k.p0 == 0, k.last = k.p1 == pairs;
            size_t r = 0;
            for (; r + 4 <= n; r += 4)
                q16_rows(&k, r, 4);
            switch (n - r) {
            case 3:
                q16_rows(&k, r, 3);
                break;
            case 2:
                q16_rows(&k, r, 2);
                break;
            case 1:
                q16_rows(&k, r, 1);
                break;
            }
        }
    }
}
#endif

/* Four partial sums, so the compiler keeps them in vector registers. */
float kernels_dot(const float *a, const float *b, size_t n)
{
    v4f s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 += v4f_load(a + i) * v4f_load(b + i);
        s1 += v4f_load(a + i + 4) * v4f_load(b + i + 4);
        s2 += v4f_load(a + i + 8) * v4f_load(b + i + 8);
        s3 += v4f_load(a + i + 12) * v4f_load(b + i + 12);
    }
    v4f s = (s0 + s1) + (s2 + s3);
    float r = (s[0] + s[1]) + (s[2] + s[3]);
    for (; i < n; i++)
        r += a[i] * b[i];
    return r;
}

/* y += a * x over n floats. */
void kernels_axpy(float *y, float a, const float *x, size_t n)
{
    v4f av = {a, a, a, a};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v4f_store(y + i, v4f_load(y + i) + av * v4f_load(x + i));
        v4f_store(y + i + 4, v4f_load(y + i + 4) + av * v4f_load(x + i + 4));
    }
    for (; i < n; i++)
        y[i] += a * x[i];
}

/* The graph's layer norm: scale * rsqrt(mean((x - mean)^2) + eps) * (x - mean) + bias.
 * Four lanes of sums (a single float sum is a chain the compiler may not
 * reorder, so it would stay scalar). */
void kernels_layer_norm(const float *x, size_t n, size_t d, const float *scale, const float *bias, float eps, float *y)
{
    for (size_t t = 0; t < n; t++) {
        const float *xr = x + t * d;
        float *yr = y + t * d;
        v4f s4 = {0, 0, 0, 0};
        size_t i = 0;
        for (; i + 4 <= d; i += 4)
            s4 += v4f_load(xr + i);
        float sum = (s4[0] + s4[1]) + (s4[2] + s4[3]);
        for (; i < d; i++)
            sum += xr[i];
        float mean = sum / (float)d;
        v4f m4 = {mean, mean, mean, mean}, q4 = {0, 0, 0, 0};
        for (i = 0; i + 4 <= d; i += 4) {
            v4f c = v4f_load(xr + i) - m4;
            q4 += c * c;
        }
        float var = (q4[0] + q4[1]) + (q4[2] + q4[3]);
        for (; i < d; i++)
            var += (xr[i] - mean) * (xr[i] - mean);
        float rs = 1.0f / sqrtf(var / (float)d + eps);
        v4f r4 = {rs, rs, rs, rs};
        for (i = 0; i + 4 <= d; i += 4)
            v4f_store(yr + i, v4f_load(scale + i) * r4 * (v4f_load(xr + i) - m4) + v4f_load(bias + i));
        for (; i < d; i++)
            yr[i] = scale[i] * rs * (xr[i] - mean) + bias[i];
    }
}

bool kernels_available(kernels_kind kind)
{
    if (kind == KERNELS_PORTABLE)
        return true;
#ifdef KERNELS_X86
    __builtin_cpu_init();
    /* F16C through cpuid: clang's __builtin_cpu_supports does not know the
     * name. The AVX-512 names are only answered true where the OS saves the
     * registers, too. */
    unsigned a, b, c = 0, d;
    bool avx2 = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (kind == KERNELS_AVX2)
        return avx2;
    if (kind == KERNELS_INT16)
        return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512vnni");
#endif
    return false;
}

kernels_kind kernels_best(void)
{
    return kernels_available(KERNELS_INT16) ? KERNELS_INT16 : kernels_available(KERNELS_AVX2) ? KERNELS_AVX2 : KERNELS_PORTABLE;
}

const char *kernels_name(kernels_kind kind)
{
    return kind == KERNELS_INT16 ? "int16" : kind == KERNELS_AVX2 ? "avx2" : "portable";
}

kernels_matmul_fn kernels_matmul(kernels_kind kind)
{
#ifdef KERNELS_X86
    if (kind == KERNELS_INT16)
        return matmul_int16;
    if (kind == KERNELS_AVX2)
        return matmul_avx2;
#endif
    return matmul_generic;
}

size_t kernels_scratch_floats(size_t n, size_t in)
{
    size_t half = (in < KERNELS_KBLOCK ? in : KERNELS_KBLOCK) * KERNELS_PANEL;        /* a widened piece of a panel */
    size_t int16 = Q16_ROWS_FLOATS(n) + Q16_VALUES_FLOATS(n, in) + n * KERNELS_PANEL; /* scales, values, sums */
    return half > int16 ? half : int16;
}

void kernels_pack(const void *w, size_t in, size_t out, uint16_t *panels)
{
    const unsigned char *src = w;
    for (size_t jb = 0; jb < out / KERNELS_PANEL; jb++)
        for (size_t k = 0; k < in; k++)
            for (size_t c = 0; c < KERNELS_PANEL; c++) {
                float v;
                memcpy(&v, src + (k * out + jb * KERNELS_PANEL + c) * sizeof(float), sizeof v);
                panels[(jb * in + k) * KERNELS_PANEL + c] = kernels_half_from_float(v);
            }
}

void kernels_pack_q16(const void *w, size_t in, size_t out, int16_t *q16, float *scale)
{
    const unsigned char *src = w;
    for (size_t c = 0; c < out; c++) {
        float max = 0;
        for (size_t k = 0; k < in; k++) {
            float v;
            memcpy(&v, src + (k * out + c) * sizeof(float), sizeof v);
            max = fabsf(v) > max ? fabsf(v) : max;
        }
        float s = max > 0 ? max / Q16_LEVELS : 1.0f;
        for (size_t k = 0; k < in; k++) {
            float v;
            memcpy(&v, src + (k * out + c) * sizeof(float), sizeof v);
            long q = lrintf(v / s);
            q = q > Q16_LEVELS ? Q16_LEVELS : q < -Q16_LEVELS ? -Q16_LEVELS : q;
            q16[((c / KERNELS_PANEL) * (in / 2) + k / 2) * KERNELS_PANEL * 2 + (c % KERNELS_PANEL) * 2 + k % 2] = (int16_t)q;
        }
        scale[c] = s;
    }
}
