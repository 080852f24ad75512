/*
 * services/rag-search/embed/kernels.c: half precision and the dense layer.
 *
 * Proves: every one of the 65,536 halves widens to the float the CPU's own
 * F16C instruction gives (NaN for NaN) and narrows back to itself; a
 * million float bit patterns narrow to the half F16C rounds them to
 * (nearest even, overflow to infinity, subnormals); the half-precision
 * dense layers (AVX2 and portable) compute x · W + b (and its ReLU) of the
 * half-rounded weights for 1 to 9 rows, to float accuracy; the int16 layer
 * the exact integer sum of its quantised rows and columns, scaled back, and
 * each layer stays near the float32 product; the 16-bit packing puts each
 * column's largest weight on the largest level.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "embed/kernels.h"

#if defined(__x86_64__)
__attribute__((target("f16c"))) static float hw_widen(uint16_t h)
{
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_set1_epi16((short)h)));
}

__attribute__((target("f16c"))) static uint16_t hw_narrow(float f)
{
    return (uint16_t)_mm_extract_epi16(_mm_cvtps_ph(_mm_set1_ps(f), _MM_FROUND_TO_NEAREST_INT), 0);
}
#endif

static bool have_f16c(void)
{
#if defined(__x86_64__)
    unsigned a, b, c = 0, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
#else
    return false;
#endif
}

static void test_every_half_widens_exactly_and_back(void **state)
{
    for (uint32_t h = 0; h <= 0xffff; h++) {
        float f = kernels_half_to_float((uint16_t)h);
        if (isnan(f)) {
            assert_true(((h >> 10) & 0x1f) == 0x1f && (h & 0x3ff) != 0);
            assert_true(isnan(kernels_half_to_float(kernels_half_from_float(f))));
            continue;
        }
        if (kernels_half_from_float(f) != h)
            fail_msg("half %#06x widens to %a, which narrows to %#06x", h, (double)f, kernels_half_from_float(f));
#if defined(__x86_64__)
        if (have_f16c() && memcmp(&f, &(float){hw_widen((uint16_t)h)}, sizeof f) != 0)
            fail_msg("half %#06x: %a here, %a by F16C", h, (double)f, (double)hw_widen((uint16_t)h));
#endif
    }
    assert_true(kernels_half_to_float(0x3c00) == 1.0f);
    assert_true(kernels_half_to_float(0x7bff) == 65504.0f);
    assert_true(kernels_half_to_float(0x0001) == ldexpf(1, -24));
    assert_true(isinf(kernels_half_to_float(0xfc00)) && kernels_half_to_float(0xfc00) < 0);
}

static void test_narrowing_rounds_as_the_cpu_does(void **state)
{
    assert_int_equal(kernels_half_from_float(65519.0f), 0x7bff);
    assert_int_equal(kernels_half_from_float(65520.0f), 0x7c00);  /* the tie goes to even: infinity */
    assert_int_equal(kernels_half_from_float(ldexpf(1, -25)), 0); /* halfway to the least subnormal: even, 0 */
    assert_int_equal(kernels_half_from_float(ldexpf(1.5f, -25)), 1);
    assert_int_equal(kernels_half_from_float(-0.0f), 0x8000);
    if (!have_f16c())
        skip();
#if defined(__x86_64__)
    uint64_t seed = 88172645463325252ull;
    for (int i = 0; i < 1000000; i++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        uint32_t bits = (uint32_t)seed;
        if (i % 2 == 0) /* half of them near the half range, where the rounding is */
            bits = (bits & 0x80000000u) | (0x33000000u + (bits % (0x47800000u - 0x33000000u)));
        float f;
        memcpy(&f, &bits, sizeof f);
        if (isnan(f))
            continue;
        if (kernels_half_from_float(f) != hw_narrow(f))
            fail_msg("%a narrows to %#06x here, %#06x by F16C", (double)f, kernels_half_from_float(f), hw_narrow(f));
    }
#endif
}

/* 600 inputs: the half-precision layers' 128-input pieces and the int16
 * layer's 128-pair pieces both end part-way. */
#define IN  600
#define OUT 32

static float w[IN * OUT], bias[OUT], x[9 * IN], y[9 * OUT];
static uint16_t panels[IN * OUT];
static int16_t q16[IN * OUT];
static float q16_scale[OUT];

static void fill(void)
{
    srand(7);
    for (size_t i = 0; i < IN * OUT; i++)
        w[i] = (float)rand() / RAND_MAX - 0.5f;
    for (size_t i = 0; i < OUT; i++)
        bias[i] = (float)rand() / RAND_MAX - 0.5f;
    for (size_t i = 0; i < 9 * IN; i++)
        x[i] = (float)rand() / RAND_MAX - 0.5f;
    x[5] = 3.0f; /* one large input: its row's scale is set by it */
    kernels_pack(w, IN, OUT, panels);
    kernels_pack_q16(w, IN, OUT, q16, q16_scale);
}

/* The int16 layer's weight at [k][c], as packed. */
static int q16_at(size_t k, size_t c)
{
    return q16[((c / KERNELS_PANEL) * (IN / 2) + k / 2) * KERNELS_PANEL * 2 + (c % KERNELS_PANEL) * 2 + k % 2];
}

/* What kind's layer must give for y[r][c] (before ReLU): the half-rounded
 * weights in float for the half-precision kinds; for int16 the exact integer
 * sum of the quantised row and column, scaled back (kernels.h). */
static double want_of(kernels_kind kind, size_t r, size_t c)
{
    const float *xr = x + r * IN;
    if (kind != KERNELS_INT16) {
        double want = bias[c];
        for (size_t k = 0; k < IN; k++)
            want += (double)xr[k] * kernels_half_to_float(kernels_half_from_float(w[k * OUT + c]));
        return want;
    }
    float max = 0;
    for (size_t k = 0; k < IN; k++)
        max = fabsf(xr[k]) > max ? fabsf(xr[k]) : max;
    float s = max / 1023, inv = 1.0f / s;
    int64_t sum = 0;
    for (size_t k = 0; k < IN; k++)
        sum += (int64_t)lrintf(xr[k] * inv) * q16_at(k, c);
    return (double)s * q16_scale[c] * (double)sum + bias[c];
}

static void check_dense(kernels_kind kind)
{
    if (!kernels_available(kind))
        skip();
    kernels_matmul_fn mm = kernels_matmul(kind);
    fill();
    float *scratch = aligned_alloc(32, (kernels_scratch_floats(9, IN) * sizeof(float) + 31) & ~(size_t)31);
    kernels_dense d = {.in = IN, .out = OUT, .panels = panels, .bias = bias, .q16 = q16, .q16_scale = q16_scale};
    for (size_t n = 1; n <= 9; n++)
        for (int relu = 0; relu < 2; relu++) {
            mm(x, n, &d, y, relu, scratch);
            for (size_t r = 0; r < n; r++)
                for (size_t c = 0; c < OUT; c++) {
                    double want = want_of(kind, r, c), exact = bias[c], mass = 0;
                    for (size_t k = 0; k < IN; k++) {
                        exact += (double)x[r * IN + k] * w[k * OUT + c];
                        mass += fabs((double)x[r * IN + k] * w[k * OUT + c]);
                    }
                    if (relu) {
                        want = want < 0 ? 0 : want;
                        exact = exact < 0 ? 0 : exact;
                    }
                    if (fabs(y[r * OUT + c] - want) > 2e-5 * (1 + fabs(want)))
                        fail_msg("%s, %zu rows, relu %d: y[%zu][%zu] = %.9g, want %.9g", kernels_name(kind), n, relu, r, c,
                                 (double)y[r * OUT + c], want);
                    /* and near the float32 product: each rounding is a few
                     * thousandths of a term at most */
                    assert_true(fabs(y[r * OUT + c] - exact) <= 3e-3 * mass);
                }
        }
    free(scratch);
}

static void test_dense_int16(void **state)
{
    check_dense(KERNELS_INT16);
}

static void test_dense_avx2(void **state)
{
    check_dense(KERNELS_AVX2);
}

static void test_dense_portable(void **state)
{
    check_dense(KERNELS_PORTABLE);
}

/* Each column's largest weight is the largest level, the rest in scale. */
static void test_q16_packing(void **state)
{
    fill();
    for (size_t c = 0; c < OUT; c++) {
        float max = 0;
        int qmax = 0;
        for (size_t k = 0; k < IN; k++) {
            max = fabsf(w[k * OUT + c]) > max ? fabsf(w[k * OUT + c]) : max;
            qmax = abs(q16_at(k, c)) > qmax ? abs(q16_at(k, c)) : qmax;
            assert_true(fabsf(q16_at(k, c) * q16_scale[c] - w[k * OUT + c]) <= q16_scale[c] * 0.5001f);
        }
        assert_int_equal(qmax, 1023);
        assert_true(fabsf(q16_scale[c] * 1023 - max) <= 1e-6f * max);
    }
    /* a column of zeros packs to zeros with a scale that divides nothing by 0 */
    static float zeros[4 * 16];
    int16_t zq[4 * 16];
    float zs[16];
    kernels_pack_q16(zeros, 4, 16, zq, zs);
    for (size_t i = 0; i < 4 * 16; i++)
        assert_int_equal(zq[i], 0);
    assert_true(zs[0] > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_half_widens_exactly_and_back),
        cmocka_unit_test(test_narrowing_rounds_as_the_cpu_does),
        cmocka_unit_test(test_dense_int16),
        cmocka_unit_test(test_dense_avx2),
        cmocka_unit_test(test_dense_portable),
        cmocka_unit_test(test_q16_packing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
