/*
 * Unit tests for services/credential-vault/cache.c: entries live their TTL
 * and no longer, a change evicts at once, Google tokens leave a minute
 * before they expire, and a TTL of 0 caches nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cache.h"

#define ORG_1 "11111111-1111-4111-8111-111111111111"
#define ORG_2 "22222222-2222-4222-8222-222222222222"

static credential cred(const char *provider, const char *secret)
{
    credential c = {0};
    snprintf(c.provider, sizeof(c.provider), "%s", provider);
    snprintf(c.label, sizeof(c.label), "label-%s", provider);
    c.sync_state = strdup("{}");
    c.secret = (uint8_t *)strdup(secret);
    c.secret_len = strlen(secret);
    return c;
}

static void test_entries_live_their_ttl(void **state)
{
    cache *c = cache_create(30000);
    credential in = cred("twilio", "s1"), out;
    cache_put(c, ORG_1, &in, 1000);
    assert_true(cache_get(c, ORG_1, "twilio", 1000 + 29999, &out));
    assert_string_equal((char *)out.secret, "s1");
    assert_string_equal(out.label, "label-twilio");
    credential_clear(&out);
    assert_false(cache_get(c, ORG_1, "twilio", 1000 + 30000, &out));
    assert_false(cache_get(c, ORG_2, "twilio", 1000, &out));
    assert_false(cache_get(c, ORG_1, "google_calendar", 1000, &out));
    credential_clear(&in);
    cache_destroy(c);
}

static void test_a_change_evicts_at_once(void **state)
{
    cache *c = cache_create(30000);
    credential t = cred("twilio", "s1"), g = cred("google_calendar", "g1"), out;
    cache_put(c, ORG_1, &t, 0);
    cache_put(c, ORG_1, &g, 0);
    cache_token_put(c, ORG_1, "ya29.token", 3600000, 0);
    cache_evict(c, ORG_1, "twilio");
    assert_false(cache_get(c, ORG_1, "twilio", 1, &out));
    assert_true(cache_get(c, ORG_1, "google_calendar", 1, &out));
    credential_clear(&out);
    char *tok = cache_token_get(c, ORG_1, 1);
    assert_string_equal(tok, "ya29.token");
    free(tok);
    /* Google's credential takes its access token with it. */
    cache_evict(c, ORG_1, "google_calendar");
    assert_false(cache_get(c, ORG_1, "google_calendar", 1, &out));
    assert_null(cache_token_get(c, ORG_1, 1));
    credential_clear(&t);
    credential_clear(&g);
    cache_destroy(c);
}

static void test_tokens_leave_a_minute_early(void **state)
{
    cache *c = cache_create(30000);
    cache_token_put(c, ORG_1, "ya29.a", 3599000, 0);
    char *tok = cache_token_get(c, ORG_1, 3599000 - 60001);
    assert_non_null(tok);
    free(tok);
    assert_null(cache_token_get(c, ORG_1, 3599000 - 60000));
    /* One that expires within the minute is not kept at all. */
    cache_token_put(c, ORG_2, "ya29.b", 59000, 0);
    assert_null(cache_token_get(c, ORG_2, 0));
    cache_destroy(c);
}

static void test_ttl_zero_caches_nothing(void **state)
{
    cache *c = cache_create(0);
    credential in = cred("twilio", "s1"), out;
    cache_put(c, ORG_1, &in, 0);
    assert_false(cache_get(c, ORG_1, "twilio", 0, &out));
    credential_clear(&in);
    cache_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entries_live_their_ttl),
        cmocka_unit_test(test_a_change_evicts_at_once),
        cmocka_unit_test(test_tokens_leave_a_minute_early),
        cmocka_unit_test(test_ttl_zero_caches_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
