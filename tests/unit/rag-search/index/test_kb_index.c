/*
 * services/rag-search/index/kb_index.c: one org's chunks in memory, BM25
 * and dense rankings.
 *
 * Proves: the chunk holding a question's word ranks first; a rare word
 * outweighs one every chunk holds (idf); a word asked twice counts once;
 * only chunks that match are returned, best first, at most k; the dense
 * ranking orders by cosine and skips chunks without a vector; the wide dot
 * product equals the plain one at every length; postings name exactly the
 * chunks holding a term; an index keeps its documents alive after their
 * loader let go (ASan proves nothing leaks or is used after free); an empty
 * index answers nothing; the int8 kernel of the dense scan's first pass
 * (AVX2; skipped where the CPU lacks it) gives the exact integer sums, at the
 * widest values and length it accepts; the two-pass dense ranking returns exactly what a
 * float32 scan of every row does (same chunks, same order among equal
 * scores, bit-identical scores), for any k, with duplicated and nearly
 * duplicated vectors and chunks without one.
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

#include "index/analyzer.h"
#include "index/kb_index.h"

static analyzer *a;

typedef struct terms {
    uint64_t t[32];
    size_t n;
} terms;

static void collect(uint64_t term, void *arg)
{
    terms *ts = arg;
    if (ts->n < 32)
        ts->t[ts->n++] = term;
}

static terms query(const char *text)
{
    terms ts = {.n = 0};
    analyzer_terms(a, text, strlen(text), collect, &ts);
    return ts;
}

static const char *const TEXTS[] = {
    "Dr. Alvarez performs root canals on Tuesdays and the teeth are numbed first.",
    "We offer teeth whitening for $199, and it takes an hour.",
    "Cleaning appointments for your teeth are every six months.",
    "Parking is free behind the building; the teeth of the gate are sharp.",
};
#define NTEXTS 4
#define DIM    8

/* A document of the four texts; chunk i's vector is the unit vector e_i (none for the last). */
static kb_doc *four(void)
{
    kb_doc *d = kb_doc_create("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222", 3, NTEXTS);
    for (size_t i = 0; i < NTEXTS; i++) {
        float v[DIM] = {0};
        v[i] = 1.0f;
        char id[37];
        snprintf(id, sizeof(id), "00000000-0000-4000-8000-00000000000%zu", i);
        kb_doc_set_chunk(d, i, id, i == 2 ? "Hygiene" : "", TEXTS[i], i < 3 ? v : NULL, DIM, a);
    }
    return d;
}

static kb_index *index_of_four(void)
{
    kb_doc *d = four();
    kb_index *ix = kb_index_build(&d, 1, DIM);
    kb_doc_unref(d); /* the index keeps it */
    return ix;
}

static void test_the_chunk_with_the_word_ranks_first(void **state)
{
    kb_index *ix = index_of_four();
    assert_int_equal(kb_index_size(ix), NTEXTS);
    kb_scored out[4];
    terms q = query("how much is whitening?");
    assert_int_equal(kb_index_bm25(ix, q.t, q.n, 4, out), 1);
    assert_int_equal(out[0].chunk, 1);
    q = query("root canal");
    assert_int_equal(kb_index_bm25(ix, q.t, q.n, 4, out), 1);
    assert_int_equal(out[0].chunk, 0);
    assert_string_equal(kb_index_chunk(ix, 0)->content, TEXTS[0]);
    kb_index_unref(ix);
}

static void test_a_rare_word_outweighs_a_common_one(void **state)
{
    kb_index *ix = index_of_four();
    kb_scored out[4];
    terms q = query("teeth cleaning");
    size_t n = kb_index_bm25(ix, q.t, q.n, 4, out);
    assert_int_equal(n, 4); /* every chunk has "teeth" */
    assert_int_equal(out[0].chunk, 2);
    for (size_t i = 1; i < n; i++)
        assert_true(out[i - 1].score >= out[i].score);
    /* The heading is searched with the text. */
    q = query("hygiene");
    assert_int_equal(kb_index_bm25(ix, q.t, q.n, 4, out), 1);
    assert_int_equal(out[0].chunk, 2);
    kb_index_unref(ix);
}

static void test_a_word_asked_twice_counts_once(void **state)
{
    kb_index *ix = index_of_four();
    kb_scored once[4], twice[4];
    terms q1 = query("parking"), q2 = query("parking parking");
    assert_int_equal(kb_index_bm25(ix, q1.t, q1.n, 4, once), 1);
    assert_int_equal(kb_index_bm25(ix, q2.t, q2.n, 4, twice), 1);
    assert_float_equal(once[0].score, twice[0].score, 1e-6);
    kb_index_unref(ix);
}

static void test_at_most_k_and_nothing_unmatched(void **state)
{
    kb_index *ix = index_of_four();
    kb_scored out[4];
    terms q = query("teeth");
    assert_int_equal(kb_index_bm25(ix, q.t, q.n, 2, out), 2);
    q = query("xylophone");
    assert_int_equal(kb_index_bm25(ix, q.t, q.n, 4, out), 0);
    assert_int_equal(kb_index_bm25(ix, q.t, 0, 4, out), 0);
    kb_index_unref(ix);
}

static void test_dense_orders_by_cosine(void **state)
{
    kb_index *ix = index_of_four();
    assert_int_equal(kb_index_vectors(ix), 3);
    float qv[DIM] = {0.1f, 0.9f, 0.3f};
    float norm = sqrtf(0.01f + 0.81f + 0.09f);
    for (int i = 0; i < DIM; i++)
        qv[i] /= norm;
    kb_scored out[4];
    size_t n = kb_index_dense(ix, qv, 4, out);
    assert_int_equal(n, 3); /* the last chunk has no vector */
    assert_int_equal(out[0].chunk, 1);
    assert_int_equal(out[1].chunk, 2);
    assert_int_equal(out[2].chunk, 0);
    assert_float_equal(out[0].score, 0.9f / norm, 1e-5);
    kb_index_unref(ix);
}

static void test_wide_dot_equals_plain(void **state)
{
    float x[67], y[67];
    srand(7);
    for (int i = 0; i < 67; i++) {
        x[i] = (float)rand() / RAND_MAX - 0.5f;
        y[i] = (float)rand() / RAND_MAX - 0.5f;
    }
    for (size_t n = 0; n <= 67; n++) {
        double plain = 0;
        for (size_t i = 0; i < n; i++)
            plain += (double)x[i] * y[i];
        assert_float_equal(kb_dot(x, y, n), plain, 1e-5);
    }
}

static void test_int8_kernels_are_exact(void **state)
{
    kb_dot_i8_fn f = kb_dot_i8_kernel();
    if (f == NULL)
        skip(); /* no AVX2: kb_index_dense scans in float32 alone */
    enum { WIDE = 4096 };
    static int16_t q[WIDE];
    static int8_t v[3][WIDE];
    srand(11);
    for (size_t i = 0; i < WIDE; i++) {
        v[0][i] = (int8_t)(rand() % 255 - 127);
        /* The second half at the extremes: every product as large as the
         * kernel allows, of one sign and then the other (its int32 lanes
         * must not overflow). */
        q[i] = i < WIDE / 2 ? (int16_t)(rand() % 65535 - 32767) : 32767;
        v[1][i] = i < WIDE / 2 ? v[0][i] : 127;
        v[2][i] = i < WIDE / 2 ? v[0][i] : -127;
    }
    const int8_t *rows[3] = {v[0], v[1], v[2]};
    /* Every length up to 100 (the 32-wide loop and its tail), then wider. */
    size_t lengths[100 + 4] = {512, 1000, 3000, WIDE};
    for (size_t i = 0; i < 100; i++)
        lengths[4 + i] = i;
    for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
        size_t n = lengths[l];
        int64_t got[3];
        f(q, rows, 3, n, got);
        for (int r = 0; r < 3; r++) {
            int64_t want = 0;
            for (size_t i = 0; i < n; i++)
                want += (int64_t)q[i] * rows[r][i];
            assert_true(got[r] == want);
        }
    }
    /* The extremes alone at the widest: 4096 × 32767 × ±127. */
    static int16_t qmax[WIDE];
    static int8_t vmax[WIDE], vmin[WIDE];
    for (size_t i = 0; i < WIDE; i++) {
        qmax[i] = 32767;
        vmax[i] = 127;
        vmin[i] = -127;
    }
    const int8_t *ext[2] = {vmax, vmin};
    int64_t got[2];
    f(qmax, ext, 2, WIDE, got);
    assert_true(got[0] == (int64_t)WIDE * 32767 * 127);
    assert_true(got[1] == -(int64_t)WIDE * 32767 * 127);
}

/* A float32 scan of every chunk, kept stable (equal scores: the earlier
 * chunk first): what kb_index_dense answered before its first pass. */
static size_t dense_reference(const kb_index *ix, const float *qv, int dim, size_t k, kb_scored *out)
{
    size_t n = 0;
    for (size_t c = 0; c < kb_index_size(ix); c++) {
        const float *v = kb_index_chunk(ix, c)->vector;
        if (v == NULL)
            continue;
        float score = kb_dot(v, qv, (size_t)dim);
        size_t i = n < k ? n++ : k;
        if (i == k && !(score > out[k - 1].score))
            continue;
        if (i == k)
            i = k - 1;
        while (i > 0 && out[i - 1].score < score) {
            out[i] = out[i - 1];
            i--;
        }
        out[i] = (kb_scored){.chunk = (uint32_t)c, .score = score};
    }
    return n;
}

static void normalise(float *v, int dim)
{
    double s = 0;
    for (int i = 0; i < dim; i++)
        s += (double)v[i] * v[i];
    for (int i = 0; i < dim && s > 0; i++)
        v[i] = (float)(v[i] / sqrt(s));
}

static float frand(void)
{
    return (float)rand() / RAND_MAX - 0.5f;
}

static void test_two_pass_dense_equals_a_full_scan(void **state)
{
    /* 48 dimensions: the AVX2 kernel's 32 at a time and a tail. Four
     * documents: the second a copy of the first (every score tied with a
     * later twin), the third the first nudged by one float's rounding, the
     * fourth its own, with every seventh chunk left without a vector. */
    enum { D = 48, PER = 400, DOCS = 4, MAXK = 1700 };
    static float base[PER][D];
    srand(5);
    for (size_t i = 0; i < PER; i++) {
        for (int j = 0; j < D; j++)
            base[i][j] = frand() + (i % 3 == 0 ? 0.3f : 0); /* a third leaning one way: many close scores */
        normalise(base[i], D);
    }
    kb_doc *docs[DOCS];
    for (size_t d = 0; d < DOCS; d++) {
        char id[37];
        snprintf(id, sizeof(id), "22222222-2222-4222-8222-%012zu", d);
        docs[d] = kb_doc_create("11111111-1111-4111-8111-111111111111", id, 1, PER);
        for (size_t i = 0; i < PER; i++) {
            float v[D];
            memcpy(v, base[i], sizeof(v));
            if (d == 2)
                v[i % D] = nextafterf(v[i % D], 1.0f);
            if (d == 3) {
                for (int j = 0; j < D; j++)
                    v[j] = frand();
                normalise(v, D);
            }
            char cid[37];
            snprintf(cid, sizeof(cid), "00000000-0000-4000-8000-%012zu", d * PER + i);
            kb_doc_set_chunk(docs[d], i, cid, "", "text", d == 3 && i % 7 == 0 ? NULL : v, D, a);
        }
    }
    kb_index *ix = kb_index_build(docs, DOCS, D);
    for (size_t d = 0; d < DOCS; d++)
        kb_doc_unref(docs[d]);
    size_t nvec = kb_index_vectors(ix);
    static kb_scored got[MAXK], want[MAXK];
    const size_t ks[] = {1, 2, 7, 50, 200, 256, 257, 1000, nvec - 1, nvec, nvec + 3};
    for (int t = 0; t < 40; t++) {
        float qv[D];
        if (t < 10) {
            memcpy(qv, base[t * 13], sizeof(qv)); /* a stored vector: exact ties at the top */
        } else {
            for (int j = 0; j < D; j++)
                qv[j] = frand() + (t % 2 ? 0.3f : 0);
            normalise(qv, D);
        }
        if (t == 39)
            for (int j = 0; j < D; j++)
                qv[j] *= 3; /* not normalised: the bounds scale with it */
        for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
            size_t n = kb_index_dense(ix, qv, ks[i], got);
            size_t m = dense_reference(ix, qv, D, ks[i], want);
            assert_int_equal(n, m);
            for (size_t r = 0; r < n; r++) {
                assert_int_equal(got[r].chunk, want[r].chunk);
                assert_memory_equal(&got[r].score, &want[r].score, sizeof(float));
            }
        }
    }
    /* The zero vector: every score 0, the first chunks in order. */
    float zero[D] = {0};
    size_t n = kb_index_dense(ix, zero, 5, got);
    assert_int_equal(n, dense_reference(ix, zero, D, 5, want));
    for (size_t r = 0; r < n; r++)
        assert_int_equal(got[r].chunk, want[r].chunk);
    kb_index_unref(ix);
}

static void test_postings_name_the_chunks(void **state)
{
    kb_index *ix = index_of_four();
    uint32_t n = 0;
    terms q = query("teeth");
    const uint32_t *p = kb_index_postings(ix, q.t[0], &n);
    assert_int_equal(n, 4);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(p[i], i);
    q = query("alvarez");
    p = kb_index_postings(ix, q.t[0], &n);
    assert_int_equal(n, 1);
    assert_int_equal(p[0], 0);
    q = query("zebra");
    assert_null(kb_index_postings(ix, q.t[0], &n));
    assert_int_equal(n, 0);
    kb_index_unref(ix);
}

static void test_empty_index(void **state)
{
    kb_index *ix = kb_index_build(NULL, 0, DIM);
    kb_scored out[2];
    terms q = query("teeth");
    float v[DIM] = {1};
    assert_int_equal(kb_index_bm25(ix, q.t, q.n, 2, out), 0);
    assert_int_equal(kb_index_dense(ix, v, 2, out), 0);
    kb_index_unref(ix);
    kb_index_unref(NULL);
    kb_doc_unref(NULL);
}

static void test_documents_are_shared_between_indexes(void **state)
{
    kb_doc *d = four();
    kb_index *first = kb_index_build(&d, 1, DIM);
    kb_index *second = kb_index_build(&d, 1, DIM);
    kb_doc_unref(d);
    kb_index_unref(first);
    assert_string_equal(kb_index_chunk(second, 3)->content, TEXTS[3]); /* still alive */
    assert_true(kb_doc_bytes(kb_index_doc(second, 0)) > strlen(TEXTS[0]));
    kb_index_unref(second);
}

static int setup(void **state)
{
    a = analyzer_create();
    return a != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    analyzer_destroy(a);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_chunk_with_the_word_ranks_first),
        cmocka_unit_test(test_a_rare_word_outweighs_a_common_one),
        cmocka_unit_test(test_a_word_asked_twice_counts_once),
        cmocka_unit_test(test_at_most_k_and_nothing_unmatched),
        cmocka_unit_test(test_dense_orders_by_cosine),
        cmocka_unit_test(test_wide_dot_equals_plain),
        cmocka_unit_test(test_int8_kernels_are_exact),
        cmocka_unit_test(test_two_pass_dense_equals_a_full_scan),
        cmocka_unit_test(test_postings_name_the_chunks),
        cmocka_unit_test(test_empty_index),
        cmocka_unit_test(test_documents_are_shared_between_indexes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
