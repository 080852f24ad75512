/*
 * Unit test of services/rag-search/clients/openai_wire.c, the pure parts of
 * the OpenAI-compatible embedder: the endpoint's URL with and without
 * "/v1", Go durations as x-ratelimit-reset-* write them ("12ms", "1s",
 * "6m0s"), base64 float32 vectors (little-endian), the token estimate and
 * the cut on a UTF-8 boundary, request planning within 2048 inputs and
 * 300,000 tokens, normalisation, and the 200 answer and error body
 * (contracts/providers.md §4). The requests themselves are proven against
 * the fake in tests/integration/rag-search/embed/test_openai.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/openai_wire.h"
#include "vx_crypto.h"

static void expect_url(const char *base, const char *want)
{
    vx_buf b = VX_BUF_INIT;
    assert_int_equal(openai_wire_embeddings_url(base, &b), 0);
    assert_string_equal(b.data, want);
    vx_buf_free(&b);
}

static void test_url_with_and_without_v1(void **state)
{
    expect_url("https://api.openai.com", "https://api.openai.com/v1/embeddings");
    expect_url("https://api.openai.com/", "https://api.openai.com/v1/embeddings");
    expect_url("https://api.openai.com/v1", "https://api.openai.com/v1/embeddings");
    expect_url("https://api.openai.com/v1//", "https://api.openai.com/v1/embeddings");
    expect_url("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/embeddings");
    expect_url("http://gpu-box:11434/proxy/v1", "http://gpu-box:11434/proxy/v1/embeddings");
    /* "/v1" only as the last segment: "/v10" is another prefix. */
    expect_url("http://h/v10", "http://h/v10/v1/embeddings");
    vx_buf b = VX_BUF_INIT;
    assert_int_equal(openai_wire_embeddings_url("ftp://h", &b), -1);
    assert_int_equal(openai_wire_embeddings_url("api.openai.com", &b), -1);
    assert_int_equal(openai_wire_embeddings_url("https://", &b), -1);
    assert_int_equal(openai_wire_embeddings_url("", &b), -1);
    assert_int_equal(openai_wire_embeddings_url(NULL, &b), -1);
    assert_null(b.data);
}

static void test_durations(void **state)
{
    assert_int_equal(openai_wire_duration_ms("12ms"), 12);
    assert_int_equal(openai_wire_duration_ms("1s"), 1000);
    assert_int_equal(openai_wire_duration_ms("6m0s"), 360000);
    assert_int_equal(openai_wire_duration_ms("1m30s"), 90000);
    assert_int_equal(openai_wire_duration_ms("1.5s"), 1500);
    assert_int_equal(openai_wire_duration_ms("0.25ms"), 1); /* rounded up: never wait too little */
    assert_int_equal(openai_wire_duration_ms("1h2m3.5s"), 3723500);
    assert_int_equal(openai_wire_duration_ms("500us"), 1);
    assert_int_equal(openai_wire_duration_ms("500\xC2\xB5s"), 1);
    assert_int_equal(openai_wire_duration_ms("900ns"), 1);
    assert_int_equal(openai_wire_duration_ms("0s"), 0);
    assert_int_equal(openai_wire_duration_ms(" 20ms "), 20);
    /* A bare number is seconds, as Retry-After. */
    assert_int_equal(openai_wire_duration_ms("2"), 2000);
    assert_int_equal(openai_wire_duration_ms("0.5"), 500);
    /* Capped at a day. */
    assert_int_equal(openai_wire_duration_ms("48h"), 86400000);
    assert_int_equal(openai_wire_duration_ms("99999999999999999999h"), 86400000);
    const char *bad[] = {NULL, "", " ", "ms", "s", "1x", "1 s", "-1s", "+1s", "1e3ms", "0x10ms", "1s2", "1..5s", "abc", "1m-2s"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(openai_wire_duration_ms(bad[i]), -1);
}

static void test_base64_floats(void **state)
{
    float in[3] = {1.0f, -0.5f, 0.0023064255f};
    uint8_t le[12];
    for (int i = 0; i < 3; i++) {
        uint32_t u;
        memcpy(&u, &in[i], 4);
        le[i * 4] = (uint8_t)u, le[i * 4 + 1] = (uint8_t)(u >> 8), le[i * 4 + 2] = (uint8_t)(u >> 16),
               le[i * 4 + 3] = (uint8_t)(u >> 24);
    }
    char *s = vx_base64_encode(le, sizeof(le));
    float out[3];
    assert_int_equal(openai_wire_base64_floats(s, strlen(s), out, 3), 0);
    assert_memory_equal(out, in, sizeof(in));
    /* 1.0f little-endian is 00 00 80 3f: "AACAPw==", and without its padding. */
    assert_int_equal(openai_wire_base64_floats("AACAPw==", 8, out, 1), 0);
    assert_true(out[0] == 1.0f);
    assert_int_equal(openai_wire_base64_floats("AACAPw", 6, out, 1), 0);
    assert_true(out[0] == 1.0f);
    /* Wrong size, another alphabet, trailing bits not zero. */
    assert_int_equal(openai_wire_base64_floats(s, strlen(s), out, 2), -1);
    assert_int_equal(openai_wire_base64_floats("AACAPw==", 8, out, 2), -1);
    assert_int_equal(openai_wire_base64_floats("AACA-w==", 8, out, 1), -1);
    assert_int_equal(openai_wire_base64_floats("AACAPx==", 8, out, 1), -1);
    assert_int_equal(openai_wire_base64_floats("AAC APw=", 8, out, 1), -1);
    free(s);
}

static void test_token_estimate_and_cut(void **state)
{
    assert_int_equal(openai_wire_token_estimate("hello world", 11), 11);
    /* Under the limit: kept whole. */
    assert_int_equal(openai_wire_cut("hello", 5, 5), 5);
    assert_int_equal(openai_wire_cut("hello", 5, 3), 3);
    /* "é" is C3 A9, "€" E2 82 AC: a cut never falls inside one. */
    const char *s = "a\xC3\xA9\xE2\x82\xAC"
                    "b"; /* a é € b: 1 + 2 + 3 + 1 bytes */
    assert_int_equal(openai_wire_cut(s, 7, 2), 1);
    assert_int_equal(openai_wire_cut(s, 7, 3), 3);
    assert_int_equal(openai_wire_cut(s, 7, 4), 3);
    assert_int_equal(openai_wire_cut(s, 7, 5), 3);
    assert_int_equal(openai_wire_cut(s, 7, 6), 6);
    assert_int_equal(openai_wire_cut(s, 7, 7), 7);
    /* A long text at the model's limit: 8192 bytes at most, ending on a boundary. */
    size_t n = 3 * 5000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i += 3)
        memcpy(big + i, "\xE2\x82\xAC", 3);
    big[n] = '\0';
    size_t keep = openai_wire_cut(big, n, OPENAI_WIRE_MAX_INPUT_TOKENS);
    assert_true(keep <= 8192 && keep > 8192 - 3);
    assert_int_equal(keep % 3, 0);
    assert_true(openai_wire_utf8_valid(big, keep));
    free(big);
    assert_true(openai_wire_utf8_valid(s, 7));
    assert_false(openai_wire_utf8_valid("a\xC3", 2));
    assert_false(openai_wire_utf8_valid("\xC0\xAF", 2));     /* overlong '/' */
    assert_false(openai_wire_utf8_valid("\xED\xA0\x80", 3)); /* a surrogate */
}

static void test_batch_planning(void **state)
{
    /* 5000 small inputs: 2048, 2048, 904. */
    size_t *tok = malloc(5000 * sizeof(size_t));
    for (size_t i = 0; i < 5000; i++)
        tok[i] = 10;
    size_t start = 0, ends[8], k = 0;
    while (start < 5000) {
        start = openai_wire_batch_end(tok, start, 5000, OPENAI_WIRE_MAX_INPUTS, OPENAI_WIRE_MAX_TOKENS);
        ends[k++] = start;
    }
    assert_int_equal(k, 3);
    assert_int_equal(ends[0], 2048);
    assert_int_equal(ends[1], 4096);
    assert_int_equal(ends[2], 5000);
    /* Tokens bound before the count: 8192-token inputs, 36 per request (294,912 ≤ 300,000 < 303,104). */
    for (size_t i = 0; i < 100; i++)
        tok[i] = 8192;
    assert_int_equal(openai_wire_batch_end(tok, 0, 100, OPENAI_WIRE_MAX_INPUTS, OPENAI_WIRE_MAX_TOKENS), 36);
    assert_int_equal(openai_wire_batch_end(tok, 72, 100, OPENAI_WIRE_MAX_INPUTS, OPENAI_WIRE_MAX_TOKENS), 100);
    /* Exactly at the limit is allowed; one more is not. */
    size_t edge[3] = {100000, 200000, 1};
    assert_int_equal(openai_wire_batch_end(edge, 0, 3, 2048, 300000), 2);
    /* A smaller per-request count (EMBEDDINGS_BATCH_INPUTS), and the last input alone. */
    assert_int_equal(openai_wire_batch_end(tok, 0, 100, 10, OPENAI_WIRE_MAX_TOKENS), 10);
    assert_int_equal(openai_wire_batch_end(tok, 99, 100, 10, OPENAI_WIRE_MAX_TOKENS), 100);
    free(tok);
}

static void test_normalise(void **state)
{
    float v[2] = {3, 4};
    assert_int_equal(openai_wire_normalise(v, 2), 0);
    assert_true(fabsf(v[0] - 0.6f) < 1e-6f && fabsf(v[1] - 0.8f) < 1e-6f);
    float z[3] = {0, 0, 0};
    assert_int_equal(openai_wire_normalise(z, 3), -1);
    float bad[2] = {1, NAN};
    assert_int_equal(openai_wire_normalise(bad, 2), -1);
    float inf[2] = {1, INFINITY};
    assert_int_equal(openai_wire_normalise(inf, 2), -1);
}

static embed_status parse(const char *body, size_t n, int *dim, float *out, size_t cap, char *why)
{
    return openai_wire_parse_answer(body, strlen(body), n, dim, out, cap, why, 200);
}

static void test_answer_by_index(void **state)
{
    char why[200];
    float out[6];
    int dim = 2;
    /* Out of order, one in float, one in base64 ("AACAPwAAAAA=" = [1, 0]): placed by index, normalised. */
    const char *body = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":2,\"embedding\":[0,-5]},"
                       "{\"object\":\"embedding\",\"index\":0,\"embedding\":\"AACAPwAAAAA=\"},"
                       "{\"object\":\"embedding\",\"index\":1,\"embedding\":[3,4]}],\"model\":\"m\","
                       "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}";
    assert_int_equal(parse(body, 3, &dim, out, 6, why), EMBED_OK);
    float want[6] = {1, 0, 0.6f, 0.8f, 0, -1};
    for (int i = 0; i < 6; i++)
        assert_true(fabsf(out[i] - want[i]) < 1e-6f);
    /* Unknown size: learnt from the first vector, whatever its index. */
    dim = 0;
    assert_int_equal(parse(body, 3, &dim, out, 6, why), EMBED_OK);
    assert_int_equal(dim, 2);
    for (int i = 0; i < 6; i++)
        assert_true(fabsf(out[i] - want[i]) < 1e-6f);
}

static void expect_bad(const char *body, size_t n, int dim, const char *reason_part)
{
    char why[200] = "";
    float out[8];
    assert_int_equal(parse(body, n, &dim, out, 8, why), EMBED_FAILED);
    if (strstr(why, reason_part) == NULL)
        fail_msg("reason \"%s\" lacks \"%s\"", why, reason_part);
}

static void test_answer_refused(void **state)
{
    expect_bad("not json", 1, 2, "not an embeddings list");
    expect_bad("{\"data\":{}}", 1, 2, "not an embeddings list");
    expect_bad("{\"data\":[{\"index\":0,\"embedding\":[1,2]}]}", 2, 2, "1 embeddings for 2 inputs");
    expect_bad("{\"data\":[{\"index\":0,\"embedding\":[1,2]},{\"index\":0,\"embedding\":[1,2]}]}", 2, 2, "index 0 twice");
    expect_bad("{\"data\":[{\"index\":0,\"embedding\":[1,2]},{\"index\":2,\"embedding\":[1,2]}]}", 2, 2, "valid index");
    expect_bad("{\"data\":[{\"index\":-1,\"embedding\":[1,2]}]}", 1, 2, "valid index");
    expect_bad("{\"data\":[{\"index\":0.5,\"embedding\":[1,2]}]}", 1, 2, "valid index");
    expect_bad("{\"data\":[{\"embedding\":[1,2]}]}", 1, 2, "valid index");
    expect_bad("{\"data\":[{\"index\":0,\"embedding\":[1,2,3]}]}", 1, 2, "3 values, expected 2");
    expect_bad("{\"data\":[{\"index\":0,\"embedding\":\"AACAPw==\"}]}", 1, 2, "1 values, expected 2");
    expect_bad("{\"data\":[{\"index\":0,\"embedding\":[1,\"x\"]}]}", 1, 2, "unreadable embedding");
    expect_bad("{\"data\":[{\"index\":0,\"embedding\":\"!!!!!!!!!!!!\"}]}", 1, 2, "unreadable embedding");
    expect_bad("{\"data\":[{\"index\":0}]}", 1, 2, "unreadable embedding");
    expect_bad("{\"data\":[{\"index\":0,\"embedding\":[0,0]}]}", 1, 2, "zero or non-finite");
    expect_bad("{\"data\":[{\"index\":0,\"embedding\":[1,2]},{\"index\":1,\"embedding\":[1,2,3]}]}", 2, 0, "3 values, expected 2");
    /* More than the room given. */
    expect_bad("{\"data\":[{\"index\":0,\"embedding\":[1,2,3,4,5,6,7,8,9]}]}", 1, 0, "unreadable embedding");
}

static void test_error_body(void **state)
{
    openai_wire_error e;
    const char *body = "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\",\"param\":null,"
                       "\"code\":\"insufficient_quota\"}}";
    openai_wire_parse_error(body, strlen(body), &e);
    assert_string_equal(e.type, "insufficient_quota");
    assert_string_equal(e.code, "insufficient_quota");
    assert_string_equal(e.message, "You exceeded your current quota");
    body = "{\"error\":{\"message\":\"x\",\"type\":\"server_error\",\"param\":null,\"code\":null}}";
    openai_wire_parse_error(body, strlen(body), &e);
    assert_string_equal(e.type, "server_error");
    assert_string_equal(e.code, "");
    openai_wire_parse_error("<html>502</html>", 16, &e);
    assert_string_equal(e.type, "");
    assert_string_equal(e.message, "");
    openai_wire_parse_error(NULL, 0, &e);
    assert_string_equal(e.code, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_with_and_without_v1), cmocka_unit_test(test_durations),      cmocka_unit_test(test_base64_floats),
        cmocka_unit_test(test_token_estimate_and_cut),  cmocka_unit_test(test_batch_planning), cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_answer_by_index),         cmocka_unit_test(test_answer_refused), cmocka_unit_test(test_error_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
