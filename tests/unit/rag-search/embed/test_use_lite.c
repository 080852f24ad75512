/*
 * Unit tests for services/rag-search/embed/use_lite.c, on the model the
 * Makefile fetches (USE_LITE_TEST_DIR):
 *   - every text of the reference fixture embeds to a unit vector whose
 *     cosine with the reference's (@energetic-ai/embeddings in Node) is at
 *     least 0.999, one text per call and all of them in batches; the empty
 *     text, which the reference refuses, is EMBED_FAILED with a reason;
 *   - two threads embedding at once on one embedder get the vectors one
 *     thread gets (and TSan sees no race in the tsan build);
 *   - a damaged model (a missing or truncated shard, a shard too long, a
 *     model.json that is not JSON or names a tensor with another shape, a
 *     vocabulary that is not one) gives NULL and a clear reason, never a crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embed/use_lite.h"
#include "embed_reference.h"

#define MIN_COSINE 0.999

static embedder *model;
static embed_reference_case *cases;
static size_t n_cases;

static int setup(void **state)
{
    (void)state;
    char why[512] = "";
    model = use_lite_open(USE_LITE_TEST_DIR, why, sizeof why);
    if (model == NULL) {
        print_error("use_lite_open(%s): %s\n", USE_LITE_TEST_DIR, why);
        return -1;
    }
    cases = embed_reference_load(&n_cases);
    return cases == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    embedder_destroy(model);
    embed_reference_free(cases, n_cases);
    return 0;
}

static double cosine(const float *a, const float *b)
{
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < USE_LITE_DIM; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return ab / sqrt(aa * bb);
}

static double norm(const float *a)
{
    double s = 0;
    for (int i = 0; i < USE_LITE_DIM; i++)
        s += (double)a[i] * a[i];
    return sqrt(s);
}

static void test_interface(void **state)
{
    (void)state;
    assert_string_equal(model->model, "use-lite-v1");
    assert_int_equal(model->dim, 512);
    assert_true(model->max_batch >= 16);
    /* the 8 MB embedding table in float32, the 10 MB of matrices in half
     * precision, and their 10 MB in 16-bit integers where the int16 kernels run */
    size_t extra = kernels_available(KERNELS_INT16) ? 10u << 20 : 0;
    assert_true(use_lite_memory(model) > (15u << 20) + extra && use_lite_memory(model) < (22u << 20) + extra);
}

static void test_reference_vectors(void **state)
{
    (void)state;
    float v[USE_LITE_DIM];
    double min_cos = 2;
    size_t min_at = 0, compared = 0;
    for (size_t i = 0; i < n_cases; i++) {
        char why[256] = "";
        const char *text = cases[i].text;
        embed_status st = model->embed(model, &text, 1, v, why, sizeof why);
        if (cases[i].vector == NULL) { /* the reference refused it: the empty text */
            assert_int_equal(st, EMBED_FAILED);
            assert_non_null(strstr(why, "no token"));
            continue;
        }
        assert_int_equal(st, EMBED_OK);
        assert_true(fabs(norm(v) - 1.0) < 1e-5);
        double c = cosine(v, cases[i].vector);
        if (c < min_cos) {
            min_cos = c;
            min_at = i;
        }
        compared++;
    }
    print_message("min cosine with the reference over %zu texts: %.9f, 1 - it = %.2g (\"%.40s\")\n", compared, min_cos, 1 - min_cos,
                  cases[min_at].text);
    assert_true(compared >= 60);
    assert_true(min_cos >= MIN_COSINE);
}

/* The same with each kind of kernels (the best the CPU has ran above). */
static void reference_vectors_with(kernels_kind kind, void **state)
{
    if (use_lite_set_kernels(model, kind) == NULL)
        skip(); /* this CPU cannot */
    assert_string_equal(use_lite_kernels(model), kernels_name(kind));
    test_reference_vectors(state);
    use_lite_set_kernels(model, kernels_best());
}

static void test_reference_vectors_portable(void **state)
{
    reference_vectors_with(KERNELS_PORTABLE, state);
}

static void test_reference_vectors_avx2(void **state)
{
    reference_vectors_with(KERNELS_AVX2, state);
}

static void test_reference_vectors_int16(void **state)
{
    reference_vectors_with(KERNELS_INT16, state);
}

/* Batches give each text the vector it gets alone. */
static void test_batches(void **state)
{
    (void)state;
    const char **texts = calloc(n_cases, sizeof *texts);
    size_t n = 0;
    for (size_t i = 0; i < n_cases; i++)
        if (cases[i].vector != NULL)
            texts[n++] = cases[i].text;
    assert_true(n <= model->max_batch);
    float *out = calloc(n * USE_LITE_DIM, sizeof *out), one[USE_LITE_DIM];
    char why[256] = "";
    assert_int_equal(model->embed(model, texts, n, out, why, sizeof why), EMBED_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(model->embed(model, &texts[i], 1, one, why, sizeof why), EMBED_OK);
        assert_memory_equal(one, out + i * USE_LITE_DIM, sizeof one);
    }
    /* Too many texts, or a NULL one: refused with a reason. */
    const char *empty = "";
    assert_int_equal(model->embed(model, texts, model->max_batch + 1, out, why, sizeof why), EMBED_FAILED);
    assert_true(strlen(why) > 0);
    assert_int_equal(model->embed(model, &empty, 1, out, why, sizeof why), EMBED_FAILED);
    free(out);
    free(texts);
}

typedef struct {
    size_t first;
    float *out; /* n_cases * dim */
    int failures;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *w = p;
    for (size_t k = 0; k < n_cases; k++) {
        size_t i = (w->first + k) % n_cases;
        if (cases[i].vector == NULL)
            continue;
        const char *text = cases[i].text;
        char why[128];
        if (model->embed(model, &text, 1, w->out + i * USE_LITE_DIM, why, sizeof why) != EMBED_OK)
            w->failures++;
    }
    return NULL;
}

static void test_two_threads(void **state)
{
    (void)state;
    worker_arg args[2] = {{0, calloc(n_cases * USE_LITE_DIM, sizeof(float)), 0},
                          {n_cases / 2, calloc(n_cases * USE_LITE_DIM, sizeof(float)), 0}};
    pthread_t threads[2];
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_create(&threads[t], NULL, worker, &args[t]), 0);
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_join(threads[t], NULL), 0);
    assert_int_equal(args[0].failures + args[1].failures, 0);
    assert_memory_equal(args[0].out, args[1].out, n_cases * USE_LITE_DIM * sizeof(float));
    for (int t = 0; t < 2; t++)
        free(args[t].out);
}

/* ------------------------------------------------------------ damaged models */

static char *copy_model(void)
{
    char tmpl[] = "/tmp/use-lite-test.XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp '%s'/model.json '%s'/vocab.json '%s'/group1-shard* '%s'/", USE_LITE_TEST_DIR, USE_LITE_TEST_DIR,
             USE_LITE_TEST_DIR, dir);
    assert_int_equal(system(cmd), 0);
    return strdup(dir);
}

static void remove_model(char *dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

/* Runs shell command cmd_text ($D is the copy's folder) on a fresh copy,
 * expects the load to fail with a reason containing expect. */
static void expect_damaged(const char *cmd_text, const char *expect)
{
    char *dir = copy_model();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "D='%s'; %s", dir, cmd_text);
    assert_int_equal(system(cmd), 0);
    char why[512] = "";
    embedder *e = use_lite_open(dir, why, sizeof why);
    if (e != NULL || strstr(why, expect) == NULL)
        fail_msg("after `%s`: %s, why \"%s\" (expected \"%s\")", cmd_text, e ? "loaded" : "refused", why, expect);
    remove_model(dir);
}

static void test_damaged_model(void **state)
{
    (void)state;
    char why[512] = "";
    assert_null(use_lite_open("/nonexistent-model-dir", why, sizeof why));
    assert_non_null(strstr(why, "No such file"));

    expect_damaged("rm $D/group1-shard3of7", "group1-shard3of7");
    expect_damaged("truncate -s 1000000 $D/group1-shard7of7", "truncated");
    expect_damaged("echo extra >> $D/group1-shard7of7", "more than");
    expect_damaged("head -c 5000 $D/model.json > $D/m && mv $D/m $D/model.json", "not JSON");
    expect_damaged("printf 'garbage' > $D/model.json", "not JSON");
    expect_damaged("printf '{\"modelTopology\":{\"node\":[]}}' > $D/model.json", "not USE lite");
    /* A tensor with another shape of the same size: the embeddings as [16004, 128]. */
    expect_damaged("sed -z -i 's/\"module\\/Embeddings_en\",\\n *\"shape\": \\[\\n *8002,\\n *256/"
                   "\"module\\/Embeddings_en\", \"shape\": [16004, 128/' $D/model.json",
                   "Embeddings_en is not");
    expect_damaged("sed -i 's/group1-shard1of7/..\\/..\\/etc\\/passwd/' $D/model.json", "outside");
    expect_damaged("printf '[[1,2]]' > $D/vocab.json", "vocab");
    expect_damaged("rm $D/vocab.json", "vocab.json");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interface),
        cmocka_unit_test(test_reference_vectors),
        cmocka_unit_test(test_reference_vectors_portable),
        cmocka_unit_test(test_reference_vectors_avx2),
        cmocka_unit_test(test_reference_vectors_int16),
        cmocka_unit_test(test_batches),
        cmocka_unit_test(test_two_threads),
        cmocka_unit_test(test_damaged_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
