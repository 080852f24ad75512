/*
 * services/rag-search/embed/kernels.c: half precision and the dense layer.
 *
 * Proves: every one of the 65,536 halves widens to the float the CPU's own
 * F16C instruction gives (NaN for NaN) and narrows back to itself; a
 * million float bit patterns narrow to the half F16C rounds them to
 * (nearest even, overflow to infinity, subnormals); both dense layers (AVX2
 * and portable) compute x · W + b (and its ReLU) of the half-rounded
 * weights for 1 to 9 rows, to float accuracy.
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

#define IN  96
#define OUT 32

static void check_dense(bool portable)
{
    const char *name = NULL;
    kernels_matmul_fn mm = kernels_matmul(portable, &name);
    if (!portable && strcmp(name, "avx2") != 0)
        skip();
    static float w[IN * OUT], bias[OUT], x[9 * IN], y[9 * OUT];
    static uint16_t panels[IN * OUT];
    static float scratch[IN * KERNELS_PANEL] __attribute__((aligned(32)));
    srand(7);
    for (size_t i = 0; i < IN * OUT; i++)
        w[i] = (float)rand() / RAND_MAX - 0.5f;
    for (size_t i = 0; i < OUT; i++)
        bias[i] = (float)rand() / RAND_MAX - 0.5f;
    for (size_t i = 0; i < 9 * IN; i++)
        x[i] = (float)rand() / RAND_MAX - 0.5f;
    kernels_pack(w, IN, OUT, panels);
    kernels_dense d = {IN, OUT, panels, bias};
    for (size_t n = 1; n <= 9; n++)
        for (int relu = 0; relu < 2; relu++) {
            mm(x, n, &d, y, relu, scratch);
            for (size_t r = 0; r < n; r++)
                for (size_t c = 0; c < OUT; c++) {
                    double want = bias[c];
                    for (size_t k = 0; k < IN; k++)
                        want += (double)x[r * IN + k] * kernels_half_to_float(kernels_half_from_float(w[k * OUT + c]));
                    if (relu && want < 0)
                        want = 0;
                    if (fabs(y[r * OUT + c] - want) > 1e-5)
                        fail_msg("%s, %zu rows, relu %d: y[%zu][%zu] = %g, want %g", name, n, relu, r, c, (double)y[r * OUT + c],
                                 want);
                }
        }
}

static void test_dense_avx2(void **state)
{
    check_dense(false);
}

static void test_dense_portable(void **state)
{
    check_dense(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_half_widens_exactly_and_back),
        cmocka_unit_test(test_narrowing_rounds_as_the_cpu_does),
        cmocka_unit_test(test_dense_avx2),
        cmocka_unit_test(test_dense_portable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
