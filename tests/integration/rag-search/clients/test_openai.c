/*
 * test_openai: services/rag-search/clients/openai.c, the OpenAI-compatible
 * embedder, against tests/fakes/openai_embeddings started as a process on a
 * free loopback port (contracts/providers.md §4). No NATS, no PostgreSQL.
 *
 * Proves:
 *   - open: a known model's size without a request (text-embedding-3-small
 *     1536), "dimensions" sent only when configured, a model of unknown size
 *     learnt by one probe request, an unknown model or an impossible size
 *     refused at open with a reason; the base URL with and without "/v1";
 *   - vectors placed by data[].index (the fake shuffles data[]), the same
 *     as embedding each text alone, L2-normalised (the fake's are not), the
 *     same from a float answer (a server ignoring encoding_format) as from
 *     base64;
 *   - 5,000 texts in one call: three requests (2048, 2048, 904); texts
 *     near the model's limit: requests kept under 300,000 tokens; an
 *     over-long text cut to 8192 bytes on a UTF-8 boundary (the vector of
 *     its prefix); an empty or non-UTF-8 text refused without a request;
 *   - each failure: a wrong or missing key (401) and a refused request
 *     (400) → EMBED_FAILED after one request; insufficient_quota →
 *     EMBED_QUOTA after one request; rate limits, 500, 503 and a hang
 *     (timeout) retried, then OK; a limit that lasts → EMBED_RETRY after
 *     max_attempts; a wait past the retry budget → EMBED_RETRY at once;
 *   - Retry-After honoured, and x-ratelimit-reset-tokens / -requests as
 *     the 429's type names (measured on the fake's own clock: a lower
 *     bound, never a speed);
 *   - the key in no reason and no log line (nor OpenAI's masked quote of it);
 *   - eight threads embedding at once on one embedder get what one gets;
 *   - the fake answers as the contract says: 401 with and without a key
 *     (the wrong one masked), unknown keys, a missing model or input, an
 *     empty string, an empty array, 2049 inputs, a bad encoding or size,
 *     ada-002 with dimensions, 8193 tokens, 320,000 tokens → 400; an
 *     unknown model → 404; strings, token arrays, both encodings, usage and
 *     x-request-id; the injected 429s, 500 and 503 in OpenAI's shapes.
 * The fake stops cleanly on SIGTERM (exit 0, leak-free under ASan).
 *
 * Environment: BIN_DIR and FAKES_DIR (tests/run-all.sh), run from the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clients/openai.h"
#include "vx_buf.h"
#include "vt.h"

#define KEY      "sk-proj-fakekey-0123456789abcdefWXYZ"
#define KEY_TAIL "WXYZ" /* what OpenAI's masked quote of the key shows */
#define SMALL    "text-embedding-3-small"

static struct {
    pid_t pid;
    char url[64];
} F;

static int setup(void **state)
{
    int port = vt_free_port();
    char env_port[64];
    snprintf(env_port, sizeof(env_port), "OPENAI_FAKE_PORT=%d", port);
    const char *env[] = {env_port, "OPENAI_FAKE_KEY=" KEY, "OPENAI_FAKE_MODELS=local-embed:48", NULL};
    F.pid = vt_spawn("openai_embeddings", "openai_embeddings_fake", env);
    snprintf(F.url, sizeof(F.url), "http://127.0.0.1:%d", port);
    char ready[128];
    snprintf(ready, sizeof(ready), "%s/_fake/state", F.url);
    VT_REQUIRE(vt_wait_http_ok(ready, 10000), "the openai_embeddings fake did not start (see its log in build/test-logs)");
    return 0;
}

static int teardown(void **state)
{
    int rc = vt_stop(F.pid, SIGTERM, 8000);
    VT_REQUIRE(rc == 0, "the openai_embeddings fake did not stop cleanly (see its log in build/test-logs)");
    return 0;
}

static int reset(void **state)
{
    vt_fake_post(F.url, "/_fake/reset", "{}");
    return 0;
}

static openai_embedder_config config(const char *model, int dimensions)
{
    return (openai_embedder_config){
        .base_url = F.url,
        .api_key = KEY,
        .model = model,
        .dimensions = dimensions,
        .timeout_ms = 5000,
        .retry_budget_ms = 20000,
        .max_attempts = 4,
        .batch_inputs = 2048,
    };
}

static embedder *open_ok(const openai_embedder_config *c)
{
    char why[256] = "";
    embedder *e = openai_embedder_open(c, why, sizeof(why));
    if (e == NULL)
        fail_msg("open failed: %s", why);
    return e;
}

/* The fake's state[key] as a number. */
static int state_int(const char *key)
{
    cJSON *s = vt_fake_get_json(F.url, "/_fake/state");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, key);
    int n = cJSON_IsNumber(v) ? v->valueint : -1;
    cJSON_Delete(s);
    return n;
}

/* The fake's state.last[key] as a string ("" when absent). */
static char *last_str(const char *key, char *out, size_t out_len)
{
    cJSON *s = vt_fake_get_json(F.url, "/_fake/state");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "last"), key);
    snprintf(out, out_len, "%s", cJSON_IsString(v) ? v->valuestring : "");
    cJSON_Delete(s);
    return out;
}

/* The gap, in ms on the fake's clock, between API requests i and i + 1. */
static double gap_ms(int i)
{
    cJSON *s = vt_fake_get_json(F.url, "/_fake/state");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "times");
    double g = cJSON_GetArrayItem(t, i + 1)->valuedouble - cJSON_GetArrayItem(t, i)->valuedouble;
    cJSON_Delete(s);
    return g;
}

static embed_status embed(embedder *e, const char *const *texts, size_t n, float *out, char *why, size_t why_len)
{
    return e->embed(e, texts, n, out, why, why_len);
}

static void assert_unit(const float *v, int dim)
{
    double sum = 0;
    for (int i = 0; i < dim; i++)
        sum += (double)v[i] * v[i];
    if (fabs(sum - 1.0) > 1e-5)
        fail_msg("vector not normalised: |v|^2 = %f", sum);
}

static void assert_same(const float *a, const float *b, int dim)
{
    for (int i = 0; i < dim; i++)
        if (fabsf(a[i] - b[i]) > 1e-6f)
            fail_msg("vectors differ at %d: %f vs %f", i, a[i], b[i]);
}

/* n texts "<stem> #<i>". */
static char **make_texts(size_t n, const char *stem)
{
    char **t = malloc(n * sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s #%zu", stem, i);
        t[i] = strdup(buf);
    }
    return t;
}

static void free_texts(char **t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(t[i]);
    free(t);
}

static void test_open(void **state)
{
    char why[256];
    /* A known model: its size without a request; "dimensions" not sent. */
    openai_embedder_config c = config(SMALL, 0);
    embedder *e = open_ok(&c);
    assert_int_equal(e->dim, 1536);
    assert_string_equal(e->model, SMALL);
    assert_true(e->max_batch >= 5000);
    assert_int_equal(state_int("requests"), 0);
    const char *texts[] = {"The clinic opens at nine."};
    float *out = malloc(1536 * sizeof(float));
    assert_int_equal(embed(e, texts, 1, out, why, sizeof(why)), EMBED_OK);
    assert_unit(out, 1536);
    assert_string_equal(last_str("encoding", why, sizeof(why)), "base64");
    cJSON *s = vt_fake_get_json(F.url, "/_fake/state");
    char *keys = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "last"), "keys"));
    assert_string_equal(keys, "[\"model\",\"input\",\"encoding_format\"]");
    free(keys);
    cJSON_Delete(s);
    free(out);
    embedder_destroy(e);

    /* The same endpoint through a base URL ending in /v1/. */
    char v1[96];
    snprintf(v1, sizeof(v1), "%s/v1/", F.url);
    c.base_url = v1;
    c.dimensions = 8;
    e = open_ok(&c);
    float v[8];
    assert_int_equal(embed(e, texts, 1, v, why, sizeof(why)), EMBED_OK);
    assert_int_equal(state_int("ok"), 2);
    embedder_destroy(e);

    /* Unknown size: one probe request. */
    c = config("local-embed", 0);
    assert_int_equal(state_int("requests"), 2);
    e = open_ok(&c);
    assert_int_equal(e->dim, 48);
    assert_int_equal(state_int("requests"), 3);
    embedder_destroy(e);

    /* Refused at open, with a reason. */
    c = config("no-such-model", 0);
    assert_null(openai_embedder_open(&c, why, sizeof(why)));
    assert_non_null(strstr(why, "404"));
    assert_non_null(strstr(why, "model_not_found"));
    c = config(SMALL, 4096);
    assert_null(openai_embedder_open(&c, why, sizeof(why)));
    assert_non_null(strstr(why, "EMBEDDINGS_DIMENSIONS"));
    c = config(SMALL, 0);
    c.base_url = "api.openai.com";
    assert_null(openai_embedder_open(&c, why, sizeof(why)));
    assert_non_null(strstr(why, "EMBEDDINGS_BASE_URL"));
    /* ada-002 takes no "dimensions": the provider's reason comes back. */
    c = config("text-embedding-ada-002", 16);
    e = open_ok(&c);
    assert_int_equal(embed(e, texts, 1, v, why, sizeof(why)), EMBED_FAILED);
    assert_non_null(strstr(why, "does not support specifying dimensions"));
    embedder_destroy(e);
}

static void test_order_and_normalisation(void **state)
{
    enum { N = 50, D = 32 };
    char why[256];
    openai_embedder_config c = config(SMALL, D);
    embedder *e = open_ok(&c);
    char **texts = make_texts(N, "parking is behind the building");
    float *all = malloc(N * D * sizeof(float)), one[D];
    vt_fake_post(F.url, "/_fake/config", "{\"shuffle\":true}");
    assert_int_equal(embed(e, (const char *const *)texts, N, all, why, sizeof(why)), EMBED_OK);
    char dims[16];
    cJSON *s = vt_fake_get_json(F.url, "/_fake/state");
    snprintf(dims, sizeof(dims), "%d",
             cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "last"), "dimensions")->valueint);
    cJSON_Delete(s);
    assert_string_equal(dims, "32");
    for (int i = 0; i < N; i++) {
        assert_unit(all + i * D, D);
        assert_int_equal(embed(e, (const char *const *)&texts[i], 1, one, why, sizeof(why)), EMBED_OK);
        assert_same(all + i * D, one, D);
        if (i > 0 && memcmp(all + i * D, all + (i - 1) * D, D * sizeof(float)) == 0)
            fail_msg("two texts got the same vector");
    }
    /* A server that answers float arrays whatever it is asked: the same vectors. */
    vt_fake_post(F.url, "/_fake/config", "{\"forceFloat\":true}");
    float *again = malloc(N * D * sizeof(float));
    assert_int_equal(embed(e, (const char *const *)texts, N, again, why, sizeof(why)), EMBED_OK);
    for (int i = 0; i < N; i++)
        assert_same(all + i * D, again + i * D, D);
    free(again);
    free(all);
    free_texts(texts, N);
    embedder_destroy(e);
}

static int batch_at(int i)
{
    cJSON *s = vt_fake_get_json(F.url, "/_fake/state");
    const cJSON *b = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "batches"), i);
    int n = cJSON_IsNumber(b) ? b->valueint : -1;
    cJSON_Delete(s);
    return n;
}

static void test_batching(void **state)
{
    enum { N = 5000, D = 16 };
    char why[256];
    openai_embedder_config c = config(SMALL, D);
    embedder *e = open_ok(&c);
    char **texts = make_texts(N, "a paragraph of the practice's handbook");
    float *all = malloc(N * D * sizeof(float)), one[D];
    vt_fake_post(F.url, "/_fake/config", "{\"shuffle\":true}");
    assert_int_equal(embed(e, (const char *const *)texts, N, all, why, sizeof(why)), EMBED_OK);
    assert_int_equal(state_int("requests"), 3);
    assert_int_equal(state_int("inputs"), N);
    assert_int_equal(batch_at(0), 2048);
    assert_int_equal(batch_at(1), 2048);
    assert_int_equal(batch_at(2), 904);
    const int sample[] = {0, 1, 2047, 2048, 4095, 4096, 4999};
    for (size_t k = 0; k < sizeof(sample) / sizeof(sample[0]); k++) {
        int i = sample[k];
        assert_unit(all + (size_t)i * D, D);
        assert_int_equal(embed(e, (const char *const *)&texts[i], 1, one, why, sizeof(why)), EMBED_OK);
        assert_same(all + (size_t)i * D, one, D);
    }
    free(all);
    free_texts(texts, N);

    /* Texts of 8000 bytes: 37 to a request (296,000 estimated tokens ≤ 300,000). */
    vt_fake_post(F.url, "/_fake/reset", "{}");
    enum { L = 100 };
    char **big = malloc(L * sizeof(char *));
    for (int i = 0; i < L; i++) {
        big[i] = malloc(8001);
        memset(big[i], '!', 8000); /* the fake counts each '!' as a token: 8000 a text */
        snprintf(big[i], 16, "%d", i);
        big[i][strlen(big[i])] = ' ';
        big[i][8000] = '\0';
    }
    float *out = malloc(L * D * sizeof(float));
    assert_int_equal(embed(e, (const char *const *)big, L, out, why, sizeof(why)), EMBED_OK);
    assert_int_equal(state_int("requests"), 3);
    assert_int_equal(batch_at(0), 37);
    assert_int_equal(batch_at(1), 37);
    assert_int_equal(batch_at(2), 26);
    assert_true(state_int("maxTokens") <= 300000);
    for (int i = 0; i < L; i++)
        free(big[i]);
    free(big);
    free(out);
    embedder_destroy(e);
}

static void test_inputs(void **state)
{
    enum { D = 16 };
    char why[256];
    openai_embedder_config c = config(SMALL, D);
    embedder *e = open_ok(&c);
    /* 20,001 bytes of "€" (3 bytes each) and a tail: cut to 8190 bytes, 2730 whole euros. */
    size_t n = 3 * 6667;
    char *huge = malloc(n + 1), *prefix = malloc(8191);
    for (size_t i = 0; i < n; i += 3)
        memcpy(huge + i, "\xE2\x82\xAC", 3);
    huge[n] = '\0';
    memcpy(prefix, huge, 8190);
    prefix[8190] = '\0';
    float a[D], b[D];
    assert_int_equal(embed(e, (const char *const *)&huge, 1, a, why, sizeof(why)), EMBED_OK);
    assert_int_equal(state_int("maxInputBytes"), 8190);
    assert_int_equal(embed(e, (const char *const *)&prefix, 1, b, why, sizeof(why)), EMBED_OK);
    assert_same(a, b, D);
    free(huge);
    free(prefix);
    /* Refused before any request. */
    vt_fake_post(F.url, "/_fake/reset", "{}");
    const char *empty[] = {"fine", ""};
    float two[2 * D];
    assert_int_equal(embed(e, empty, 2, two, why, sizeof(why)), EMBED_FAILED);
    assert_non_null(strstr(why, "text 1 is empty"));
    const char *broken[] = {"caf\xC3"};
    assert_int_equal(embed(e, broken, 1, two, why, sizeof(why)), EMBED_FAILED);
    assert_non_null(strstr(why, "not valid UTF-8"));
    assert_int_equal(state_int("requests"), 0);
    /* Nothing to do. */
    assert_int_equal(embed(e, NULL, 0, two, why, sizeof(why)), EMBED_OK);
    embedder_destroy(e);
}

/* Sets the next failures: mode, count, and extra JSON members (may be ""). */
static void fail_next(const char *mode, int count, const char *extra)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"mode\":\"%s\",\"count\":%d%s%s}", mode, count, extra[0] != '\0' ? "," : "", extra);
    vt_fake_post(F.url, "/_fake/fail", body);
}

static void assert_no_key(const char *s)
{
    if (strstr(s, KEY) != NULL || strstr(s, KEY_TAIL) != NULL || strstr(s, "***") != NULL)
        fail_msg("the key (or OpenAI's quote of it) is in: %s", s);
}

static embed_status embed_one(embedder *e, char *why, size_t why_len)
{
    float v[16];
    const char *texts[] = {"When is Dr. Patel in?"};
    return embed(e, texts, 1, v, why, why_len);
}

static void test_failures(void **state)
{
    char why[256];
    openai_embedder_config c = config(SMALL, 16);
    c.max_attempts = 4;
    embedder *e = open_ok(&c);
    fflush(stdout);
    char path[] = "/tmp/vx-capture-XXXXXX";
    int fd = mkstemp(path);
    VT_REQUIRE(fd >= 0, "mkstemp");
    int saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    close(fd);

    /* A wrong key: 401 once, no retry, no key in the reason. */
    openai_embedder_config wrong = config(SMALL, 16);
    wrong.api_key = "sk-proj-wrongkey-0123456789abcdefWXYZ";
    embedder *w = open_ok(&wrong);
    assert_int_equal(embed_one(w, why, sizeof(why)), EMBED_FAILED);
    assert_non_null(strstr(why, "401"));
    assert_non_null(strstr(why, "invalid_api_key"));
    assert_no_key(why);
    if (strstr(why, "wrongkey") != NULL)
        fail_msg("the wrong key is in the reason: %s", why);
    assert_int_equal(state_int("requests"), 1);
    embedder_destroy(w);

    /* No key: no Authorization header; 401 from OpenAI, OK from a keyless local server. */
    vt_fake_post(F.url, "/_fake/reset", "{}");
    openai_embedder_config none = config(SMALL, 16);
    none.api_key = "";
    embedder *k = open_ok(&none);
    assert_int_equal(embed_one(k, why, sizeof(why)), EMBED_FAILED);
    assert_non_null(strstr(why, "401"));
    assert_string_equal(last_str("auth", why, sizeof(why)), "missing");
    vt_fake_post(F.url, "/_fake/config", "{\"auth\":false}");
    assert_int_equal(embed_one(k, why, sizeof(why)), EMBED_OK);
    embedder_destroy(k);

    /* insufficient_quota: EMBED_QUOTA at once. */
    vt_fake_post(F.url, "/_fake/reset", "{}");
    fail_next("quota", 5, "");
    assert_int_equal(embed_one(e, why, sizeof(why)), EMBED_QUOTA);
    assert_non_null(strstr(why, "insufficient_quota"));
    assert_int_equal(state_int("requests"), 1);

    /* A refused request: EMBED_FAILED at once, with OpenAI's message. */
    vt_fake_post(F.url, "/_fake/reset", "{}");
    fail_next("bad_request", 5, "");
    assert_int_equal(embed_one(e, why, sizeof(why)), EMBED_FAILED);
    assert_non_null(strstr(why, "fake: this request is refused"));
    assert_int_equal(state_int("requests"), 1);

    /* 500 twice, then OK; 503 once (with Retry-After: 1), then OK. */
    vt_fake_post(F.url, "/_fake/reset", "{}");
    fail_next("server_error", 2, "");
    assert_int_equal(embed_one(e, why, sizeof(why)), EMBED_OK);
    assert_int_equal(state_int("requests"), 3);
    assert_int_equal(state_int("ok"), 1);
    vt_fake_post(F.url, "/_fake/reset", "{}");
    fail_next("overloaded", 1, "\"retryAfter\":\"1\"");
    assert_int_equal(embed_one(e, why, sizeof(why)), EMBED_OK);
    assert_int_equal(state_int("requests"), 2);
    assert_true(gap_ms(0) >= 1000);

    /* A rate limit that lasts: max_attempts requests (backing off 250, 500, 1000 ms), then EMBED_RETRY. */
    vt_fake_post(F.url, "/_fake/reset", "{}");
    fail_next("rate_limit", 100, "");
    assert_int_equal(embed_one(e, why, sizeof(why)), EMBED_RETRY);
    assert_non_null(strstr(why, "rate_limit_exceeded"));
    assert_non_null(strstr(why, "after 4 attempts"));
    assert_int_equal(state_int("requests"), 4);
    assert_true(gap_ms(0) >= 250 && gap_ms(1) >= 500 && gap_ms(2) >= 1000);

    /* 5xx that lasts: EMBED_RETRY too. */
    vt_fake_post(F.url, "/_fake/reset", "{}");
    fail_next("server_error", 100, "");
    assert_int_equal(embed_one(e, why, sizeof(why)), EMBED_RETRY);
    assert_int_equal(state_int("requests"), 4);

    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    size_t len = 0;
    char *logged = vt_read_file(path, &len);
    unlink(path);
    assert_non_null(strstr(logged, "embeddings request failed"));
    assert_no_key(logged);
    if (strstr(logged, "Patel") != NULL)
        fail_msg("a text was logged: %s", logged);
    free(logged);
    embedder_destroy(e);
}

static void test_rate_limit_waits(void **state)
{
    char why[256];
    openai_embedder_config c = config(SMALL, 16);
    embedder *e = open_ok(&c);
    /* Retry-After: 1 → the retry a second later at least. */
    fail_next("rate_limit", 1, "\"retryAfter\":\"1\"");
    assert_int_equal(embed_one(e, why, sizeof(why)), EMBED_OK);
    assert_int_equal(state_int("requests"), 2);
    assert_true(gap_ms(0) >= 1000);
    /* No Retry-After, a tokens limit: x-ratelimit-reset-tokens (1s), not -requests (20ms). */
    vt_fake_post(F.url, "/_fake/reset", "{}");
    fail_next("rate_limit_tokens", 1, "\"resetTokens\":\"1s\",\"resetRequests\":\"20ms\"");
    assert_int_equal(embed_one(e, why, sizeof(why)), EMBED_OK);
    assert_true(gap_ms(0) >= 1000);
    /* A requests limit: x-ratelimit-reset-requests (300ms); the tokens' 6m0s would pass the budget. */
    vt_fake_post(F.url, "/_fake/reset", "{}");
    fail_next("rate_limit", 1, "\"resetRequests\":\"300ms\",\"resetTokens\":\"6m0s\"");
    assert_int_equal(embed_one(e, why, sizeof(why)), EMBED_OK);
    assert_true(gap_ms(0) >= 300);
    /* A wait past the budget: EMBED_RETRY at once, one request. */
    vt_fake_post(F.url, "/_fake/reset", "{}");
    fail_next("rate_limit", 1, "\"retryAfter\":\"30\"");
    assert_int_equal(embed_one(e, why, sizeof(why)), EMBED_RETRY);
    assert_non_null(strstr(why, "retry budget"));
    assert_int_equal(state_int("requests"), 1);
    /* The same for a limit named only by the tokens' reset. */
    vt_fake_post(F.url, "/_fake/reset", "{}");
    fail_next("rate_limit_tokens", 1, "\"resetTokens\":\"6m0s\"");
    assert_int_equal(embed_one(e, why, sizeof(why)), EMBED_RETRY);
    assert_int_equal(state_int("requests"), 1);
    embedder_destroy(e);
}

static void test_hang(void **state)
{
    char why[256];
    openai_embedder_config c = config(SMALL, 16);
    c.timeout_ms = 300;
    c.max_attempts = 2;
    embedder *e = open_ok(&c);
    /* One hang: timed out, retried, OK. */
    fail_next("hang", 1, "\"ms\":1500");
    assert_int_equal(embed_one(e, why, sizeof(why)), EMBED_OK);
    assert_int_equal(state_int("requests"), 2);
    /* Hangs that last: EMBED_RETRY after two attempts, the reason says why. */
    vt_fake_post(F.url, "/_fake/reset", "{}");
    fail_next("hang", 2, "\"ms\":1500");
    assert_int_equal(embed_one(e, why, sizeof(why)), EMBED_RETRY);
    assert_non_null(strstr(why, "could not be reached"));
    assert_int_equal(state_int("requests"), 2);
    embedder_destroy(e);
    vt_sleep_ms(2500); /* let the fake's hung requests finish (1.5 s each) before the next test resets it */
}

/* ---- the fake itself: the client is judged against it ---- */

/* POSTs body to the fake's /v1/embeddings with key ("" none); returns the answer parsed (cJSON_Delete it), its status in *status.
 */
static cJSON *post_raw(const char *key, const char *body, long *status, char *request_id)
{
    char url[96], auth[128];
    snprintf(url, sizeof(url), "%s/v1/embeddings", F.url);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
    const char *headers[] = {"Content-Type: application/json", key[0] != '\0' ? auth : NULL, NULL};
    vt_response r = vt_http("POST", url, headers, body, strlen(body));
    *status = r.status;
    if (request_id != NULL)
        snprintf(request_id, 80, "%s", r.request_id);
    cJSON *j = cJSON_Parse(r.body != NULL ? r.body : "");
    vt_response_free(&r);
    VT_REQUIRE(j != NULL, "the fake answered something that is not JSON");
    return j;
}

/* Checks an error answer: status, all four keys, the code (NULL: null) and a part of the message. */
static void expect_error(const char *key, const char *body, long want_status, const char *code, const char *message_part)
{
    long status = 0;
    cJSON *j = post_raw(key, body, &status, NULL);
    assert_int_equal(status, want_status);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message"), *t = cJSON_GetObjectItemCaseSensitive(e, "type");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "param"), *c = cJSON_GetObjectItemCaseSensitive(e, "code");
    assert_true(cJSON_IsString(m) && cJSON_IsString(t) && p != NULL && c != NULL);
    if (code == NULL)
        assert_true(cJSON_IsNull(c));
    else
        assert_string_equal(c->valuestring, code);
    if (strstr(m->valuestring, message_part) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", m->valuestring, message_part);
    cJSON_Delete(j);
}

/* A 200: data[] of n embeddings, each a string (base64) or an array of dim numbers; usage present. */
static void expect_ok(const char *body, int n, bool base64, int dim)
{
    long status = 0;
    char rid[80];
    cJSON *j = post_raw(KEY, body, &status, rid);
    assert_int_equal(status, 200);
    assert_true(strncmp(rid, "req_", 4) == 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "object")->valuestring, "list");
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(j, "usage");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(usage, "total_tokens")));
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
    assert_int_equal(cJSON_GetArraySize(data), n);
    const cJSON *item;
    cJSON_ArrayForEach(item, data)
    {
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(item, "object")->valuestring, "embedding");
        const cJSON *emb = cJSON_GetObjectItemCaseSensitive(item, "embedding");
        if (base64) {
            assert_true(cJSON_IsString(emb));
            assert_int_equal(strlen(emb->valuestring), (size_t)(4 * ((dim * 4 + 2) / 3))); /* padded */
        } else {
            assert_true(cJSON_IsArray(emb));
            assert_int_equal(cJSON_GetArraySize(emb), dim);
        }
    }
    cJSON_Delete(j);
}

static void test_fake_contract(void **state)
{
    const char *hi = "{\"model\":\"" SMALL "\",\"input\":\"hi\"}";
    expect_error("", hi, 401, NULL, "You didn't provide an API key");
    expect_error("sk-proj-other-key-000011112222", hi, 401, "invalid_api_key", "sk-pr***2222");
    expect_error(KEY, "{\"model\":\"" SMALL "\",\"input\":\"hi\",\"foo\":1}", 400, NULL,
                 "Unrecognized request argument supplied: foo");
    expect_error(KEY, "{\"input\":\"hi\"}", 400, NULL, "you must provide a model parameter");
    expect_error(KEY, "{\"model\":\"" SMALL "\"}", 400, NULL, "'input' is a required property");
    expect_error(KEY, "{\"model\":\"gpt-9\",\"input\":\"hi\"}", 404, "model_not_found", "does not exist");
    expect_error(KEY, "{\"model\":\"" SMALL "\",\"input\":\"\"}", 400, NULL, "'$.input' is invalid");
    expect_error(KEY, "{\"model\":\"" SMALL "\",\"input\":[]}", 400, NULL, "'$.input' is invalid");
    expect_error(KEY, "{\"model\":\"" SMALL "\",\"input\":[\"a\",\"\"]}", 400, NULL, "'$.input' is invalid");
    expect_error(KEY, "{\"model\":\"" SMALL "\",\"input\":[\"a\",3]}", 400, NULL, "'$.input' is invalid");
    expect_error(KEY, "{\"model\":\"" SMALL "\",\"input\":\"hi\",\"encoding_format\":\"hex\"}", 400, NULL, "encoding_format");
    expect_error(KEY, "{\"model\":\"" SMALL "\",\"input\":\"hi\",\"dimensions\":0}", 400, NULL, "dimensions");
    expect_error(KEY, "{\"model\":\"" SMALL "\",\"input\":\"hi\",\"dimensions\":1537}", 400, NULL, "maximum dimensions");
    expect_error(KEY, "{\"model\":\"text-embedding-ada-002\",\"input\":\"hi\",\"dimensions\":8}", 400, NULL,
                 "does not support specifying dimensions");
    expect_error(KEY, "not json", 400, NULL, "could not parse the JSON body");
    /* 2048 inputs pass, 2049 do not. */
    vx_buf many = VX_BUF_INIT;
    vx_buf_puts(&many, "{\"model\":\"" SMALL "\",\"dimensions\":2,\"input\":[");
    for (int i = 0; i < 2049; i++)
        vx_buf_puts(&many, i == 0 ? "\"x\"" : ",\"x\"");
    vx_buf_puts(&many, "]}");
    expect_error(KEY, many.data, 400, NULL, "'$.input' is invalid");
    char *cut = strstr(many.data, ",\"x\"]}");
    memcpy(cut, "]}", 3);
    expect_ok(many.data, 2048, false, 2);
    vx_buf_free(&many);
    /* Token limits: one input over 8192, a request over 300,000. */
    vx_buf big = VX_BUF_INIT;
    vx_buf_puts(&big, "{\"model\":\"" SMALL "\",\"input\":\"");
    for (int i = 0; i < 8193; i++)
        vx_buf_putc(&big, '!');
    vx_buf_puts(&big, "\"}");
    expect_error(KEY, big.data, 400, NULL, "maximum context length is 8192 tokens, however you requested 8193 tokens");
    vx_buf_reset(&big);
    vx_buf_puts(&big, "{\"model\":\"" SMALL "\",\"input\":[");
    for (int k = 0; k < 40; k++) {
        vx_buf_puts(&big, k == 0 ? "\"" : ",\"");
        for (int i = 0; i < 8000; i++)
            vx_buf_putc(&big, '!');
        vx_buf_putc(&big, '"');
    }
    vx_buf_puts(&big, "]}");
    expect_error(KEY, big.data, 400, NULL, "Requested 320000 tokens, max 300000 tokens per request");
    vx_buf_free(&big);
    /* The input's forms and both encodings; "user" is allowed. */
    expect_ok("{\"model\":\"" SMALL "\",\"input\":\"hi\",\"dimensions\":5,\"user\":\"u-1\"}", 1, false, 5);
    expect_ok("{\"model\":\"" SMALL "\",\"input\":[\"a\",\"b\",\"c\"],\"dimensions\":5,\"encoding_format\":\"base64\"}", 3, true,
              5);
    expect_ok("{\"model\":\"" SMALL "\",\"input\":[1,2,3],\"dimensions\":4,\"encoding_format\":\"float\"}", 1, false, 4);
    expect_ok("{\"model\":\"" SMALL "\",\"input\":[[1,2],[3]],\"dimensions\":4}", 2, false, 4);
    expect_ok("{\"model\":\"text-embedding-3-large\",\"input\":\"hi\"}", 1, false, 3072);
    /* Failures on demand, in OpenAI's shapes. */
    fail_next("quota", 1, "");
    expect_error(KEY, hi, 429, "insufficient_quota", "You exceeded your current quota");
    fail_next("rate_limit", 1, "");
    expect_error(KEY, hi, 429, "rate_limit_exceeded", "Rate limit reached");
    fail_next("server_error", 1, "");
    expect_error(KEY, hi, 500, NULL, "The server had an error");
    fail_next("overloaded", 1, "");
    expect_error(KEY, hi, 503, NULL, "overloaded");
    expect_ok("{\"model\":\"" SMALL "\",\"input\":\"hi\",\"dimensions\":3}", 1, false, 3);
}

/* ---- threads ---- */

enum { T_THREADS = 8, T_CALLS = 10, T_TEXTS = 12, T_DIM = 24 };

typedef struct worker {
    embedder *e;
    char **texts;
    const float *want;
    int id, failures;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    float out[T_TEXTS * T_DIM];
    char why[256];
    for (int call = 0; call < T_CALLS; call++) {
        /* Each call its own rotation of the texts. */
        const char *mine[T_TEXTS];
        int shift = (w->id + call) % T_TEXTS;
        for (int i = 0; i < T_TEXTS; i++)
            mine[i] = w->texts[(i + shift) % T_TEXTS];
        if (w->e->embed(w->e, mine, T_TEXTS, out, why, sizeof(why)) != EMBED_OK) {
            w->failures++;
            continue;
        }
        for (int i = 0; i < T_TEXTS; i++)
            if (memcmp(out + i * T_DIM, w->want + ((i + shift) % T_TEXTS) * T_DIM, T_DIM * sizeof(float)) != 0)
                w->failures++;
    }
    return NULL;
}

static void test_threads(void **state)
{
    char why[256];
    openai_embedder_config c = config(SMALL, T_DIM);
    embedder *e = open_ok(&c);
    char **texts = make_texts(T_TEXTS, "do you take walk-ins?");
    float *want = malloc(T_TEXTS * T_DIM * sizeof(float));
    assert_int_equal(embed(e, (const char *const *)texts, T_TEXTS, want, why, sizeof(why)), EMBED_OK);
    vt_fake_post(F.url, "/_fake/config", "{\"shuffle\":true}");
    pthread_t th[T_THREADS];
    worker w[T_THREADS];
    for (int i = 0; i < T_THREADS; i++) {
        w[i] = (worker){e, texts, want, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < T_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(state_int("ok"), 1 + T_THREADS * T_CALLS);
    free(want);
    free_texts(texts, T_TEXTS);
    embedder_destroy(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_open, reset),          cmocka_unit_test_setup(test_order_and_normalisation, reset),
        cmocka_unit_test_setup(test_batching, reset),      cmocka_unit_test_setup(test_inputs, reset),
        cmocka_unit_test_setup(test_failures, reset),      cmocka_unit_test_setup(test_rate_limit_waits, reset),
        cmocka_unit_test_setup(test_hang, reset),          cmocka_unit_test_setup(test_threads, reset),
        cmocka_unit_test_setup(test_fake_contract, reset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
