/*
 * Unit tests for services/credential-vault/clients/google_oauth.c's pure
 * parts: the consent URL (Google's endpoint or one under a configured base,
 * every parameter contracts/providers.md §2 asks for, each value
 * percent-encoded so it reads back exactly, nothing else; NULL when a piece
 * is missing), google_oauth_scope_has (whole words only), and
 * google_tokens_clear. The requests themselves are proven against
 * tests/fakes/google_oauth in tests/integration/credential-vault/clients/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/google_oauth.h"
#include "vx_query.h"

static const google_oauth_config CONFIG = {
    .base_url = NULL,
    .client_id = "123-abc.apps.googleusercontent.com",
    .client_secret = "GOCSPX-secret",
    .redirect_uri = "https://app.example.com/api/integrations/google/callback?x=1",
    .timeout_ms = 1000,
};

/* The query's value for key (asserting it is there exactly once). */
static const char *param(const char *query, const char *key)
{
    static char value[512];
    assert_int_equal(vx_query_get(query, key, value, sizeof(value)), VX_QUERY_OK);
    /* Exactly once: after the first occurrence, no other. */
    char needle[64];
    snprintf(needle, sizeof(needle), "&%s=", key);
    const char *first = strncmp(query, needle + 1, strlen(needle + 1)) == 0 ? query : strstr(query, needle);
    assert_non_null(first);
    assert_null(strstr(first + 1, needle));
    return value;
}

static void test_authorize_url_has_every_parameter(void **state)
{
    char *url = google_oauth_authorize_url(&CONFIG, "st4te-value_01");
    assert_non_null(url);
    const char *prefix = "https://accounts.google.com/o/oauth2/v2/auth?";
    assert_memory_equal(url, prefix, strlen(prefix));
    const char *query = url + strlen(prefix);
    assert_string_equal(param(query, "client_id"), CONFIG.client_id);
    assert_string_equal(param(query, "redirect_uri"), CONFIG.redirect_uri);
    assert_string_equal(param(query, "response_type"), "code");
    assert_string_equal(param(query, "scope"),
                        "https://www.googleapis.com/auth/calendar https://www.googleapis.com/auth/userinfo.email");
    assert_string_equal(param(query, "access_type"), "offline");
    assert_string_equal(param(query, "prompt"), "consent");
    assert_string_equal(param(query, "include_granted_scopes"), "true");
    assert_string_equal(param(query, "state"), "st4te-value_01");
    /* Eight parameters, no more (the client secret above all). */
    size_t pairs = 1;
    for (const char *p = query; *p != '\0'; p++)
        pairs += *p == '&';
    assert_int_equal(pairs, 8);
    assert_null(strstr(url, "secret"));
    /* Encoded on the wire: the scope's space as %20 (never a raw space or '+'), the URIs' reserved characters. */
    assert_non_null(strstr(query, "scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar%20https%3A%2F%2F"
                                  "www.googleapis.com%2Fauth%2Fuserinfo.email"));
    assert_non_null(strstr(query, "redirect_uri=https%3A%2F%2Fapp.example.com%2Fapi%2Fintegrations%2Fgoogle%2Fcallback%3Fx%3D1"));
    assert_null(strchr(url, ' '));
    assert_null(strchr(url, '+'));
    assert_null(strchr(query, '?'));
    free(url);
}

static void test_authorize_url_encodes_the_state(void **state)
{
    const char *odd = "a b&c=d+e/f?g#h%i";
    char *url = google_oauth_authorize_url(&CONFIG, odd);
    assert_non_null(url);
    const char *query = strchr(url, '?') + 1;
    assert_string_equal(param(query, "state"), odd);
    assert_non_null(strstr(query, "state=a%20b%26c%3Dd%2Be%2Ff%3Fg%23h%25i"));
    assert_null(strchr(url, '#'));
    free(url);
}

static void test_authorize_url_under_a_base(void **state)
{
    google_oauth_config c = CONFIG;
    const char *bases[] = {"http://127.0.0.1:4321", "http://127.0.0.1:4321/", "http://127.0.0.1:4321//"};
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        c.base_url = bases[i];
        char *url = google_oauth_authorize_url(&c, "s");
        assert_non_null(url);
        const char *want = "http://127.0.0.1:4321/o/oauth2/v2/auth?client_id=";
        assert_memory_equal(url, want, strlen(want));
        free(url);
    }
    /* An empty base is Google's own. */
    c.base_url = "";
    char *url = google_oauth_authorize_url(&c, "s");
    assert_non_null(url);
    assert_memory_equal(url, "https://accounts.google.com/", 28);
    free(url);
}

static void test_authorize_url_needs_its_pieces(void **state)
{
    google_oauth_config c = CONFIG;
    assert_null(google_oauth_authorize_url(NULL, "s"));
    assert_null(google_oauth_authorize_url(&c, NULL));
    assert_null(google_oauth_authorize_url(&c, ""));
    c.client_id = NULL;
    assert_null(google_oauth_authorize_url(&c, "s"));
    c.client_id = "";
    assert_null(google_oauth_authorize_url(&c, "s"));
    c = CONFIG;
    c.redirect_uri = NULL;
    assert_null(google_oauth_authorize_url(&c, "s"));
    c.redirect_uri = "";
    assert_null(google_oauth_authorize_url(&c, "s"));
    /* The secret is not part of the consent URL: not needed for it. */
    c = CONFIG;
    c.client_secret = NULL;
    char *url = google_oauth_authorize_url(&c, "s");
    assert_non_null(url);
    free(url);
}

static void test_scope_has(void **state)
{
    const char *both = GOOGLE_OAUTH_SCOPE_CALENDAR " " GOOGLE_OAUTH_SCOPE_EMAIL;
    assert_true(google_oauth_scope_has(both, GOOGLE_OAUTH_SCOPE_CALENDAR));
    assert_true(google_oauth_scope_has(both, GOOGLE_OAUTH_SCOPE_EMAIL));
    assert_true(google_oauth_scope_has(GOOGLE_OAUTH_SCOPE_CALENDAR, GOOGLE_OAUTH_SCOPE_CALENDAR));
    assert_true(google_oauth_scope_has("openid " GOOGLE_OAUTH_SCOPE_CALENDAR " email", GOOGLE_OAUTH_SCOPE_CALENDAR));
    /* Extra spaces anywhere. */
    assert_true(google_oauth_scope_has("  " GOOGLE_OAUTH_SCOPE_CALENDAR "  ", GOOGLE_OAUTH_SCOPE_CALENDAR));
    /* Whole words only: a longer scope that starts with the wanted one does not count, nor a shorter one. */
    assert_false(google_oauth_scope_has("https://www.googleapis.com/auth/calendar.readonly", GOOGLE_OAUTH_SCOPE_CALENDAR));
    assert_false(google_oauth_scope_has("https://www.googleapis.com/auth/calendar.events " GOOGLE_OAUTH_SCOPE_EMAIL,
                                        GOOGLE_OAUTH_SCOPE_CALENDAR));
    assert_false(google_oauth_scope_has("https://www.googleapis.com/auth/calenda", GOOGLE_OAUTH_SCOPE_CALENDAR));
    assert_false(google_oauth_scope_has("xhttps://www.googleapis.com/auth/calendar", GOOGLE_OAUTH_SCOPE_CALENDAR));
    assert_false(google_oauth_scope_has(GOOGLE_OAUTH_SCOPE_EMAIL, GOOGLE_OAUTH_SCOPE_CALENDAR));
    /* Case matters (scopes are URLs compared exactly). */
    assert_false(google_oauth_scope_has("HTTPS://WWW.GOOGLEAPIS.COM/AUTH/CALENDAR", GOOGLE_OAUTH_SCOPE_CALENDAR));
    /* Nothing, or nothing wanted. */
    assert_false(google_oauth_scope_has("", GOOGLE_OAUTH_SCOPE_CALENDAR));
    assert_false(google_oauth_scope_has(NULL, GOOGLE_OAUTH_SCOPE_CALENDAR));
    assert_false(google_oauth_scope_has(both, ""));
    assert_false(google_oauth_scope_has(both, NULL));
    assert_false(google_oauth_scope_has("   ", ""));
}

static void test_tokens_clear(void **state)
{
    google_tokens t = {strdup("ya29.a"), strdup("1//r"), strdup("s"), 3599};
    google_tokens_clear(&t);
    assert_null(t.access_token);
    assert_null(t.refresh_token);
    assert_null(t.scope);
    assert_int_equal(t.expires_in, 0);
    /* Without a refresh token (a refresh's answer), twice, and NULL: all fine. */
    google_tokens u = {strdup("ya29.b"), NULL, strdup(""), 10};
    google_tokens_clear(&u);
    google_tokens_clear(&u);
    google_tokens_clear(NULL);
    assert_null(u.access_token);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authorize_url_has_every_parameter),
        cmocka_unit_test(test_authorize_url_encodes_the_state),
        cmocka_unit_test(test_authorize_url_under_a_base),
        cmocka_unit_test(test_authorize_url_needs_its_pieces),
        cmocka_unit_test(test_scope_has),
        cmocka_unit_test(test_tokens_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
