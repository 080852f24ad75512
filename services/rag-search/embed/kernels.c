/*
 * kernels: the embedder's numeric loops (kernels.h).
 */
#include "embed/kernels.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
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

/* y[n][out] = x[n][in] · W + b (relu optional), portable: two rows by one
 * panel at a time, eight independent vector sums. */
static void matmul_generic(const float *x, size_t n, const kernels_dense *d, float *y, bool relu)
{
    size_t in = d->in, out = d->out;
    for (size_t jb = 0; jb < out / KERNELS_PANEL; jb++) {
        const float *p = d->panels + jb * in * KERNELS_PANEL, *b = d->bias + jb * KERNELS_PANEL;
        for (size_t r = 0; r < n; r += 2) {
            const float *x0 = x + r * in, *x1 = x + (r + 1 < n ? r + 1 : r) * in;
            v4f a0 = v4f_load(b), a1 = v4f_load(b + 4), a2 = v4f_load(b + 8), a3 = v4f_load(b + 12);
            v4f c0 = a0, c1 = a1, c2 = a2, c3 = a3;
            for (size_t k = 0; k < in; k++) {
                const float *w = p + k * KERNELS_PANEL;
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
            for (size_t i = 0; i < 2 && r + i < n; i++) {
                float *yr = y + (r + i) * out + jb * KERNELS_PANEL;
                for (size_t q = 0; q < 4; q++) {
                    v4f v = acc[i][q];
                    if (relu)
                        for (int e = 0; e < 4; e++)
                            v[e] = v[e] > 0 ? v[e] : 0;
                    v4f_store(yr + 4 * q, v);
                }
            }
        }
    }
}

#ifdef KERNELS_X86
/* The same with AVX2 and FMA: four rows by one panel, eight accumulators. */
__attribute__((target("avx2,fma"))) static void matmul_avx2(const float *x, size_t n, const kernels_dense *d, float *y, bool relu)
{
    size_t in = d->in, out = d->out;
    const __m256 zero = _mm256_setzero_ps();
    for (size_t jb = 0; jb < out / KERNELS_PANEL; jb++) {
        const float *p = d->panels + jb * in * KERNELS_PANEL, *b = d->bias + jb * KERNELS_PANEL;
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        for (size_t r = 0; r < n; r += 4) {
            const float *x0 = x + r * in;
            const float *x1 = x + (r + 1 < n ? r + 1 : r) * in;
            const float *x2 = x + (r + 2 < n ? r + 2 : r) * in;
            const float *x3 = x + (r + 3 < n ? r + 3 : r) * in;
            __m256 a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
            for (size_t k = 0; k < in; k++) {
                __m256 w0 = _mm256_load_ps(p + k * KERNELS_PANEL), w1 = _mm256_load_ps(p + k * KERNELS_PANEL + 8);
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
            for (size_t i = 0; i < 4 && r + i < n; i++) {
                float *yr = y + (r + i) * out + jb * KERNELS_PANEL;
                __m256 v0 = acc[i][0], v1 = acc[i][1];
                if (relu) {
                    v0 = _mm256_max_ps(v0, zero);
                    v1 = _mm256_max_ps(v1, zero);
                }
                _mm256_storeu_ps(yr, v0);
                _mm256_storeu_ps(yr + 8, v1);
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

/* The graph's layer norm: scale * rsqrt(mean((x - mean)^2) + eps) * (x - mean) + bias. */
void kernels_layer_norm(const float *x, size_t n, size_t d, const float *scale, const float *bias, float eps, float *y)
{
    for (size_t t = 0; t < n; t++) {
        const float *xr = x + t * d;
        float *yr = y + t * d;
        float sum = 0;
        for (size_t i = 0; i < d; i++)
            sum += xr[i];
        float mean = sum / (float)d, var = 0;
        for (size_t i = 0; i < d; i++)
            var += (xr[i] - mean) * (xr[i] - mean);
        float rs = 1.0f / sqrtf(var / (float)d + eps);
        for (size_t i = 0; i < d; i++)
            yr[i] = scale[i] * rs * (xr[i] - mean) + bias[i];
    }
}

kernels_matmul_fn kernels_matmul(bool portable, const char **name)
{
#ifdef KERNELS_X86
    __builtin_cpu_init();
    if (!portable && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        *name = "avx2";
        return matmul_avx2;
    }
#endif
    *name = "portable";
    return matmul_generic;
}

void kernels_pack(const void *w, size_t in, size_t out, float *panels)
{
    const unsigned char *src = w;
    for (size_t jb = 0; jb < out / KERNELS_PANEL; jb++)
        for (size_t k = 0; k < in; k++)
            memcpy(panels + (jb * in + k) * KERNELS_PANEL, src + (k * out + jb * KERNELS_PANEL) * sizeof(float),
                   KERNELS_PANEL * sizeof(float));
}
