/*
 * Unit tests for libcommon/vx_scrub.c: every kind of credential Vapi embeds
 * is gone wherever it sits, whole credential objects included, and what is
 * not a credential — numbers, ids, phone numbers, counters named "tokens" —
 * stays exactly as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vx_scrub.h"

static const char *const SECRETS[] = {"tw-auth-1",     "tw-api-secret-2", "srv-secret-3", "bearer-4",  "api-key-5",
                                      "inline-cred-6", "refresh-7",       "pass-8",       "private-9", "deep-10"};

static void test_every_kind_of_credential_goes(void **state)
{
    cJSON *root = cJSON_Parse(
        "{\"message\":{\"type\":\"end-of-call-report\","
        "\"phoneNumber\":{\"number\":\"+19254207621\",\"twilioAccountSid\":\"AC1\",\"twilioAuthToken\":\"tw-auth-1\","
        "\"twilioApiSecret\":\"tw-api-secret-2\"},"
        "\"call\":{\"id\":\"c1\",\"phoneNumber\":{\"twilio_auth_token\":\"tw-auth-1\"},"
        "\"assistant\":{\"server\":{\"url\":\"https://x\",\"secret\":\"srv-secret-3\","
        "\"headers\":{\"Authorization\":\"Bearer bearer-4\",\"X-Api-Key\":\"api-key-5\"}}}},"
        "\"squad\":{\"members\":[{\"credentials\":[{\"provider\":\"twilio\",\"accountSid\":\"AC2\",\"value\":\"inline-cred-6\"}]}]}"
        ","
        "\"assistant\":{\"credential\":{\"refresh\":\"refresh-7\"},\"PASSWORD\":\"pass-8\",\"private_key\":\"private-9\"},"
        "\"costs\":[{\"promptTokens\":8123,\"completionTokens\":412,\"list\":[{\"accessToken\":\"deep-10\"}]}]}}");
    assert_non_null(root);
    size_t n = vx_scrub_json(root);
    assert_true(n >= 10);
    char *out = cJSON_PrintUnformatted(root);
    for (size_t i = 0; i < sizeof(SECRETS) / sizeof(SECRETS[0]); i++)
        assert_null(strstr(out, SECRETS[i]));
    /* What is not a credential survives, exactly. */
    assert_non_null(strstr(out, "\"number\":\"+19254207621\""));
    assert_non_null(strstr(out, "\"twilioAccountSid\":\"AC1\""));
    assert_non_null(strstr(out, "\"promptTokens\":8123"));
    assert_non_null(strstr(out, "\"url\":\"https://x\""));
    assert_non_null(strstr(out, "\"id\":\"c1\""));
    assert_non_null(strstr(out, "\"credentials\":\"[redacted]\""));
    /* Scrubbing twice changes nothing more. */
    assert_int_equal(vx_scrub_json(root), 0);
    free(out);
    cJSON_Delete(root);
}

static void test_keys(void **state)
{
    const char *yes[] = {"twilioAuthToken", "twilioApiSecret", "secret",      "x-vapi-secret", "apiKey",     "API_KEY",
                         "Authorization",   "credentialId",    "credentials", "password",      "privateKey", "token"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_true(vx_scrub_key_sensitive(yes[i], strlen(yes[i])));
    const char *no[] = {"number", "twilioAccountSid", "summary", "transcript", "assistantId", "url", ""};
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_false(vx_scrub_key_sensitive(no[i], strlen(no[i])));
}

static void test_text_masks_values_in_place(void **state)
{
    char body[] = "{\"phoneNumber\":{\"twilioAuthToken\" : \"tw-auth-1\", \"number\":\"+1555\", \"secret\":\"a\\\"b\"";
    size_t n = strlen(body);
    vx_scrub_text(body, n);
    assert_int_equal(strlen(body), n);
    assert_null(strstr(body, "tw-auth-1"));
    assert_non_null(strstr(body, "\"+1555\""));
    assert_null(strstr(body, "a\\\"b"));
    /* Truncated or odd input: no crash, no overrun. */
    char cut[] = "{\"token\":\"abc";
    vx_scrub_text(cut, strlen(cut));
    vx_scrub_text(NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_of_credential_goes),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_text_masks_values_in_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
