/*
 * services/rag-search/search.c: the fused search over the registry.
 *
 * Proves: a surname or a price written once in 10,000 chunks comes back
 * first; a chunk alike only in meaning needs the threshold, and with no
 * word and no meaning in common nothing comes back; without an embedder
 * the search is keywords alone; one org's question never reaches another
 * org's chunks; max_chunks (and 0: the config's) is obeyed; the context
 * holds at most max_context bytes, cut on a character boundary when the
 * best chunk alone is longer; an unknown org or an empty question finds
 * nothing.
 *
 * The embedder here is a stand-in with the interface's contract (a bag of
 * words hashed into 1,024 dimensions, normalised): the built-in model's own
 * agreement is test_use_lite's.
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

#include "index/registry.h"
#include "search.h"

#define ORG_A "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define ORG_B "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define DIM   1024

typedef struct bag_embedder {
    embedder base;
    analyzer *a;
} bag_embedder;

static void add_term(uint64_t term, void *arg)
{
    ((float *)arg)[term % DIM] += 1.0f;
}

static embed_status bag_embed(embedder *e, const char *const *texts, size_t n, float *out, char *why, size_t why_len)
{
    bag_embedder *b = (bag_embedder *)e;
    for (size_t i = 0; i < n; i++) {
        float *v = out + i * DIM;
        memset(v, 0, DIM * sizeof(float));
        analyzer_terms(b->a, texts[i], strlen(texts[i]), add_term, v);
        float norm = 0;
        for (int k = 0; k < DIM; k++)
            norm += v[k] * v[k];
        norm = sqrtf(norm);
        for (int k = 0; k < DIM && norm > 0; k++)
            v[k] /= norm;
    }
    return EMBED_OK;
}

static void bag_destroy(embedder *e)
{
    analyzer_destroy(((bag_embedder *)e)->a);
    free(e);
}

static embedder *bag_open(void)
{
    bag_embedder *b = calloc(1, sizeof(*b));
    b->base = (embedder){.model = "bag-1024", .dim = DIM, .max_batch = 64, .embed = bag_embed, .destroy = bag_destroy};
    b->a = analyzer_create();
    return &b->base;
}

static analyzer *a;
static embedder *bag;
static kb_registry *reg;
static search_config cfg;

static const char *const FILLER[] = {"clinic",   "visit",   "patient", "teeth", "care",      "check", "call",  "office", "staff",
                                     "friendly", "morning", "evening", "week",  "insurance", "plan",  "form",  "room",   "chair",
                                     "gentle",   "family",  "child",   "adult", "smile",     "fresh", "modern"};
#define NFILLER (sizeof(FILLER) / sizeof(FILLER[0]))

/* Loads org_id with the texts, each a chunk of its own document, vectors by the bag embedder. */
static void load(const char *org_id, const char *const *texts, size_t n)
{
    kb_doc *d = kb_doc_create(org_id, "cccccccc-cccc-4ccc-8ccc-cccccccccccc", 1, n);
    float v[DIM];
    for (size_t i = 0; i < n; i++) {
        char id[37];
        snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012u", (unsigned)(i % 1000000));
        bag->embed(bag, &texts[i], 1, v, NULL, 0);
        kb_doc_set_chunk(d, i, id, "", texts[i], v, DIM, a);
    }
    kb_registry_put(reg, org_id, kb_index_build(&d, 1, DIM));
    kb_doc_unref(d);
}

/* 10,000 chunks of filler with the needle at position 7,777. */
static void load_haystack(const char *org_id, const char *needle)
{
    enum { N = 10000 };
    char **texts = calloc(N, sizeof(char *));
    srand(42);
    for (size_t i = 0; i < N; i++) {
        char buf[400] = "";
        for (int w = 0; w < 30; w++) {
            strcat(buf, FILLER[(size_t)rand() % NFILLER]);
            strcat(buf, w % 9 == 8 ? ". " : " ");
        }
        texts[i] = strdup(i == 7777 ? needle : buf);
    }
    load(org_id, (const char *const *)texts, N);
    for (size_t i = 0; i < N; i++)
        free(texts[i]);
    free(texts);
}

static void test_a_word_written_once_comes_first(void **state)
{
    load_haystack(ORG_A, "Dr. Okonkwo sees children on Saturday mornings; a family check costs $349.");
    search_result r;
    assert_int_equal(search_run(reg, a, bag, &cfg, ORG_A, "Can my child see Doctor Okonkwo?", 0, &r), SEARCH_FOUND);
    assert_string_equal(r.hits[0].chunk->id, "00000000-0000-4000-8000-000000007777");
    assert_true(r.dense);
    search_result_free(&r);
    assert_int_equal(search_run(reg, a, bag, &cfg, ORG_A, "is it 349 dollars", 0, &r), SEARCH_FOUND);
    assert_string_equal(r.hits[0].chunk->id, "00000000-0000-4000-8000-000000007777");
    search_result_free(&r);
    kb_registry_put(reg, ORG_A, NULL);
}

static const char *const SMALL[] = {
    "Our clinic opens at eight in the morning on weekdays.",
    "Parking is free behind the building.",
    "Whitening costs $199 and takes an hour.",
};

static void test_meaning_alone_needs_the_threshold(void **state)
{
    load(ORG_A, SMALL, 3);
    search_result r;
    /* No word in common with any chunk, so no cosine either (bag of words). */
    assert_int_equal(search_run(reg, a, bag, &cfg, ORG_A, "xylophone lessons", 0, &r), SEARCH_NOTHING);
    search_result_free(&r);
    /* With every dense match admitted, the nearest chunks come back anyway. */
    search_config loose = cfg;
    loose.threshold = -1.0f;
    assert_int_equal(search_run(reg, a, bag, &loose, ORG_A, "xylophone lessons", 0, &r), SEARCH_FOUND);
    search_result_free(&r);
    kb_registry_put(reg, ORG_A, NULL);
}

static void test_keywords_alone_without_an_embedder(void **state)
{
    load(ORG_A, SMALL, 3);
    search_result r;
    assert_int_equal(search_run(reg, a, NULL, &cfg, ORG_A, "where do I park? parking", 0, &r), SEARCH_FOUND);
    assert_false(r.dense);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.hits[0].chunk->content, SMALL[1]);
    assert_float_equal(r.hits[0].similarity, 1.0, 1e-6); /* relative to the best keyword score */
    search_result_free(&r);
    kb_registry_put(reg, ORG_A, NULL);
}

static void test_orgs_never_meet(void **state)
{
    load(ORG_A, SMALL, 3);
    const char *b_texts[] = {"Dr. Zanetti does implants."};
    load(ORG_B, b_texts, 1);
    search_result r;
    assert_int_equal(search_run(reg, a, bag, &cfg, ORG_B, "whitening price", 0, &r), SEARCH_NOTHING);
    search_result_free(&r);
    assert_int_equal(search_run(reg, a, bag, &cfg, ORG_A, "Zanetti implants", 0, &r), SEARCH_NOTHING);
    search_result_free(&r);
    assert_int_equal(search_run(reg, a, bag, &cfg, ORG_B, "Zanetti", 0, &r), SEARCH_FOUND);
    search_result_free(&r);
    assert_int_equal(search_run(reg, a, bag, &cfg, "dddddddd-dddd-4ddd-8ddd-dddddddddddd", "Zanetti", 0, &r), SEARCH_NOTHING);
    search_result_free(&r);
    assert_int_equal(search_run(reg, a, bag, &cfg, ORG_B, "", 0, &r), SEARCH_NOTHING);
    search_result_free(&r);
    kb_registry_put(reg, ORG_A, NULL);
    kb_registry_put(reg, ORG_B, NULL);
}

static void test_max_chunks(void **state)
{
    const char *texts[8];
    for (int i = 0; i < 8; i++)
        texts[i] = "The clinic takes new patients.";
    load(ORG_A, texts, 8);
    search_result r;
    search_run(reg, a, bag, &cfg, ORG_A, "new patients", 0, &r);
    assert_int_equal(r.n, (size_t)cfg.max_chunks);
    search_result_free(&r);
    search_run(reg, a, bag, &cfg, ORG_A, "new patients", 2, &r);
    assert_int_equal(r.n, 2);
    search_result_free(&r);
    search_run(reg, a, bag, &cfg, ORG_A, "new patients", 500, &r);
    assert_int_equal(r.n, 8); /* never more than SEARCH_MAX_CHUNKS, here all there is */
    search_result_free(&r);
    kb_registry_put(reg, ORG_A, NULL);
}

static void test_context_is_bounded(void **state)
{
    char long_text[3001];
    for (size_t i = 0; i < 1000; i++)
        memcpy(long_text + 3 * i, "\xe2\x82\xac", 3); /* € */
    long_text[3000] = '\0';
    const char *texts[] = {long_text, "Euro prices are shown at the desk.", "Euro coins are welcome."};
    load(ORG_A, texts, 3);
    search_result r;
    search_run(reg, a, bag, &cfg, ORG_A, "euro", 0, &r);
    vx_buf ctx = VX_BUF_INIT;
    size_t used = search_context(&r, 60, &ctx);
    assert_true(used >= 1);
    assert_true(ctx.len <= 60);
    size_t marked = 0;
    for (size_t i = 0; i < r.n; i++)
        marked += r.hits[i].in_context;
    assert_int_equal(marked, used);
    search_result_free(&r);
    /* The best hit alone is longer than the budget: cut on a character. */
    const char *only[] = {long_text};
    load(ORG_B, only, 1);
    search_config loose = cfg;
    loose.threshold = -1.0f;
    search_run(reg, a, bag, &loose, ORG_B, "anything", 0, &r);
    assert_int_equal(search_context(&r, 100, &ctx), 1);
    assert_int_equal(ctx.len, 99); /* 33 whole euro signs */
    search_result_free(&r);
    vx_buf_free(&ctx);
    kb_registry_put(reg, ORG_A, NULL);
    kb_registry_put(reg, ORG_B, NULL);
}

static int setup(void **state)
{
    a = analyzer_create();
    bag = bag_open();
    reg = kb_registry_create();
    search_config_defaults(&cfg);
    return 0;
}

static int teardown(void **state)
{
    kb_registry_destroy(reg);
    embedder_destroy(bag);
    analyzer_destroy(a);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_word_written_once_comes_first),
        cmocka_unit_test(test_meaning_alone_needs_the_threshold),
        cmocka_unit_test(test_keywords_alone_without_an_embedder),
        cmocka_unit_test(test_orgs_never_meet),
        cmocka_unit_test(test_max_chunks),
        cmocka_unit_test(test_context_is_bounded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
