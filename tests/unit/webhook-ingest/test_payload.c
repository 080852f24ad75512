/*
 * Unit tests for services/webhook-ingest/payload.c and text.c: what a parked
 * message keeps (credentials masked at any depth, in JSON and in bodies that
 * are not JSON; always valid JSON) and the bounded UTF-8 repair every stored
 * string goes through.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payload.h"
#include "text.h"

static void test_redacts_credentials(void **state)
{
    cJSON *root = cJSON_Parse("{\"message\":{\"type\":\"end-of-call-report\",\"phoneNumber\":{\"number\":\"+19254207621\","
                              "\"twilioAccountSid\":\"AC1\",\"twilioAuthToken\":\"secret-do-not-log\"},"
                              "\"assistant\":{\"server\":{\"url\":\"https://x\",\"secret\":\"s3cr3t\","
                              "\"headers\":{\"Authorization\":\"Bearer abc\",\"X-Api-Key\":\"k1\"}}},"
                              "\"costs\":[{\"promptTokens\":8123,\"completionTokens\":412}],"
                              "\"list\":[{\"authToken\":\"deep\"}]}}");
    assert_non_null(root);
    char *out = ingest_payload_for_parking(root);
    assert_null(strstr(out, "secret-do-not-log"));
    assert_null(strstr(out, "s3cr3t"));
    assert_null(strstr(out, "Bearer abc"));
    assert_null(strstr(out, "k1"));
    assert_null(strstr(out, "deep"));
    /* Non-secret data and numeric "token" counters survive. */
    assert_non_null(strstr(out, "+19254207621"));
    assert_non_null(strstr(out, "\"promptTokens\":8123"));
    assert_non_null(strstr(out, "AC1"));
    cJSON *back = cJSON_Parse(out);
    assert_non_null(back);
    cJSON_Delete(back);
    free(out);
    cJSON_Delete(root);
}

static void test_malformed_is_valid_json_without_secrets(void **state)
{
    const char raw[] = "{\"message\":{\"phoneNumber\":{\"twilioAuthToken\" : \"secret-do-not-log\", \"number\":\"+1\x00\xff";
    char *out = ingest_payload_malformed(raw, sizeof raw - 1);
    assert_null(strstr(out, "secret-do-not-log"));
    cJSON *o = cJSON_Parse(out);
    assert_non_null(o);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "malformed")));
    assert_int_equal((int)cJSON_GetObjectItem(o, "length")->valuedouble, (int)(sizeof raw - 1));
    const char *kept = cJSON_GetObjectItem(o, "raw")->valuestring;
    assert_non_null(strstr(kept, "twilioAuthToken"));
    assert_non_null(strstr(kept, "*****************")); /* 17 characters masked */
    assert_non_null(strstr(kept, "+1??"));              /* NUL and 0xff repaired */
    cJSON_Delete(o);
    free(out);

    /* Empty and huge bodies. */
    out = ingest_payload_malformed("", 0);
    assert_string_equal(out, "{\"malformed\":true,\"length\":0,\"raw\":\"\"}");
    free(out);
    size_t n = 200000;
    char *big = malloc(n);
    memset(big, '{', n);
    out = ingest_payload_malformed(big, n);
    assert_true(strlen(out) < 70000);
    free(out);
    free(big);
}

static void test_oversized_parked_payload(void **state)
{
    size_t n = INGEST_MAX_PARKED + 10;
    char *s = malloc(n + 1);
    memset(s, 'x', n);
    s[n] = '\0';
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "blob", s);
    free(s);
    char *out = ingest_payload_for_parking(root);
    assert_non_null(strstr(out, "\"truncated\":true"));
    free(out);
    cJSON_Delete(root);
}

static void test_text_dup(void **state)
{
    bool cut;
    char *s = ingest_text_dup("hello", 10, &cut);
    assert_string_equal(s, "hello");
    assert_false(cut);
    free(s);
    s = ingest_text_dup("hello", 3, &cut);
    assert_string_equal(s, "hel");
    assert_true(cut);
    free(s);
    assert_null(ingest_text_dup(NULL, 3, &cut));
    /* Never cut inside a sequence: "é" is 2 bytes. */
    s = ingest_text_dup("a\xc3\xa9", 2, &cut);
    assert_string_equal(s, "a");
    assert_true(cut);
    free(s);
    /* Overlong, surrogate, out-of-range and lone continuation bytes. */
    s = ingest_text_dup("\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\x80|\xf0\x9f\x98\x80", 64, NULL);
    assert_string_equal(s, "??|???|????|?|\xf0\x9f\x98\x80");
    free(s);
    /* A sequence cut off by the end of the input. */
    s = ingest_text_dup_len("ab\xe2\x82", 4, 10, NULL);
    assert_string_equal(s, "ab??");
    free(s);
    s = ingest_text_dup_len("a\0b", 3, 10, NULL);
    assert_string_equal(s, "a?b");
    free(s);
}

static void test_text_sanitize(void **state)
{
    char s[] = "ok \xe2\x82\xac \xe2\x82 \xff end";
    ingest_text_sanitize(s);
    assert_string_equal(s, "ok \xe2\x82\xac ?? ? end");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redacts_credentials),
        cmocka_unit_test(test_malformed_is_valid_json_without_secrets),
        cmocka_unit_test(test_oversized_parked_payload),
        cmocka_unit_test(test_text_dup),
        cmocka_unit_test(test_text_sanitize),
    };
    return cmocka_run_group_tests_name("webhook-ingest/payload", tests, NULL, NULL);
}
