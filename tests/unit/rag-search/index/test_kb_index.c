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
 * index answers nothing.
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
        cmocka_unit_test(test_postings_name_the_chunks),
        cmocka_unit_test(test_empty_index),
        cmocka_unit_test(test_documents_are_shared_between_indexes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
