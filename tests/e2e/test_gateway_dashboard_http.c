/*
 * What the gateway adds to dashboard traffic, end to end:
 * - conditional GETs (services/gateway/forward.c): a 200 carries a weak ETag
 *   over what it says and Cache-Control private; the same read with
 *   If-None-Match of that tag is 304 with no body; once the org's data
 *   changes the tag changes and the read is a 200 again; errors carry no tag;
 * - CORS for the dashboard's origin, taken from DASHBOARD_URL when
 *   GATEWAY_CORS_ORIGIN is unset (services/gateway/main.c, http.c): the
 *   preflight names the methods and headers the dashboard uses, answers
 *   carry the origin and expose ETag and Retry-After, Vapi's answers none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "vt.h"

static vt_suite suite;
static PGconn *admin;
static char org[37];
static char *token;

#define DASHBOARD_ORIGIN "https://app.example.com"

static const char *const GATEWAY_ENV[] = {"DASHBOARD_URL=" DASHBOARD_ORIGIN "/settings/integrations?tab=1", NULL};

typedef struct answer {
    long status;
    size_t body_len;
    char etag[128];
    char cache_control[128];
    char allow_origin[128];
    char allow_methods[128];
    char allow_headers[128];
    char expose_headers[128];
} answer;

/* Keeps the value of the header named name (with its colon) from one header line. */
static void keep_header(const char *line, size_t len, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0)
        return;
    const char *v = line + n;
    size_t vlen = len - n;
    while (vlen > 0 && (*v == ' ' || *v == '\t'))
        v++, vlen--;
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
        vlen--;
    snprintf(out, cap, "%.*s", (int)vlen, v);
}

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
    answer *a = arg;
    keep_header(line, size * n, "etag:", a->etag, sizeof a->etag);
    keep_header(line, size * n, "cache-control:", a->cache_control, sizeof a->cache_control);
    keep_header(line, size * n, "access-control-allow-origin:", a->allow_origin, sizeof a->allow_origin);
    keep_header(line, size * n, "access-control-allow-methods:", a->allow_methods, sizeof a->allow_methods);
    keep_header(line, size * n, "access-control-allow-headers:", a->allow_headers, sizeof a->allow_headers);
    keep_header(line, size * n, "access-control-expose-headers:", a->expose_headers, sizeof a->expose_headers);
    return size * n;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    ((answer *)arg)->body_len += size * n;
    return size * n;
}

/* One request with the dashboard's token (or, extra != NULL, these headers instead). */
static answer request_with(const char *method, const char *path, const char *if_none_match, const char *body,
                           const char *const *extra)
{
    answer a = {0};
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[256], auth[1200], inm[256];
    snprintf(url, sizeof url, "%s%s", suite.base_url, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    struct curl_slist *h = NULL;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
        h = curl_slist_append(h, extra[i]);
    if (extra == NULL)
        h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    if (if_none_match != NULL) {
        snprintf(inm, sizeof inm, "If-None-Match: %s", if_none_match);
        h = curl_slist_append(h, inm);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return a;
}

static answer request(const char *method, const char *path, const char *if_none_match, const char *body)
{
    return request_with(method, path, if_none_match, body, NULL);
}

static void add_call(const char *call_id)
{
    const char *p[2] = {org, call_id};
    vt_sql_exec(admin,
                "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status) VALUES ($1::uuid, $2, 'vapi-' || $2, 'ended')", 2,
                p);
}

static int setup(void **state)
{
    suite.gateway_env = GATEWAY_ENV;
    vt_suite_start(&suite);
    admin = vt_admin();
    vt_create_org(admin, "Conditional GETs", NULL, NULL, NULL, org);
    token = vt_token(&suite, org, 600);
    char u[37], id[64];
    vt_uuid(u);
    snprintf(id, sizeof id, "etag-first-%s", u);
    add_call(id);
    return 0;
}

static int teardown(void **state)
{
    free(token);
    PQfinish(admin);
    vt_suite_stop(&suite);
    return 0;
}

static void test_an_unchanged_list_is_304(void **state)
{
    answer first = request("GET", "/api/calls", NULL, NULL);
    assert_int_equal(first.status, 200);
    assert_true(first.body_len > 0);
    assert_true(strncmp(first.etag, "W/\"", 3) == 0);
    assert_non_null(strstr(first.cache_control, "private"));

    answer again = request("GET", "/api/calls", first.etag, NULL);
    assert_int_equal(again.status, 304);
    assert_int_equal(again.body_len, 0);
    assert_string_equal(again.etag, first.etag);

    /* In a list of tags, without the W/ prefix, or "*": still a match. */
    char list[1024];
    snprintf(list, sizeof list, "\"nope\", %s", first.etag + 2);
    assert_int_equal(request("GET", "/api/calls", list, NULL).status, 304);
    assert_int_equal(request("GET", "/api/calls", "*", NULL).status, 304);
    /* Another tag: the whole answer. */
    answer other = request("GET", "/api/calls", "W/\"0123456789abcdef0123456789abcdef\"", NULL);
    assert_int_equal(other.status, 200);
    assert_true(other.body_len > 0);

    /* The org's calls change: so does the tag, and the old one gets the list. */
    char u[37], id[64];
    vt_uuid(u);
    snprintf(id, sizeof id, "etag-second-%s", u);
    add_call(id);
    answer changed = request("GET", "/api/calls", first.etag, NULL);
    assert_int_equal(changed.status, 200);
    assert_true(changed.body_len > first.body_len);
    assert_string_not_equal(changed.etag, first.etag);
}

static void test_errors_carry_no_tag(void **state)
{
    answer bad = request("GET", "/api/calls?limit=0", NULL, NULL);
    assert_int_equal(bad.status, 400);
    assert_string_equal(bad.etag, "");
    answer missing = request("GET", "/api/calls/00000000-0000-4000-8000-000000000000", "*", NULL);
    assert_int_equal(missing.status, 404);
    assert_string_equal(missing.etag, "");
}

static void test_the_dashboards_origin_may_call(void **state)
{
    const char *preflight[] = {"Origin: " DASHBOARD_ORIGIN, "Access-Control-Request-Method: PATCH",
                               "Access-Control-Request-Headers: authorization, content-type, if-none-match", NULL};
    answer p = request_with("OPTIONS", "/api/contacts", NULL, NULL, preflight);
    assert_int_equal(p.status, 204);
    assert_string_equal(p.allow_origin, DASHBOARD_ORIGIN);
    assert_non_null(strstr(p.allow_methods, "PATCH"));
    assert_non_null(strstr(p.allow_methods, "DELETE"));
    assert_non_null(strstr(p.allow_headers, "Authorization"));
    assert_non_null(strstr(p.allow_headers, "If-None-Match"));

    answer r = request("GET", "/api/calls", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.allow_origin, DASHBOARD_ORIGIN);
    assert_non_null(strstr(r.expose_headers, "ETag"));
    assert_non_null(strstr(r.expose_headers, "Retry-After"));

    /* Vapi's routes are server to server: no CORS on their answers. */
    char secret[128];
    snprintf(secret, sizeof secret, "x-vapi-secret: %s", suite.vapi_secret);
    const char *vapi[] = {secret, NULL};
    answer v = request_with("POST", "/api/vapi/webhook", NULL,
                            "{\"message\":{\"type\":\"speech-update\",\"call\":{\"id\":\"cors-call\"}}}", vapi);
    assert_int_equal(v.status, 200);
    assert_string_equal(v.allow_origin, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_unchanged_list_is_304),
        cmocka_unit_test(test_errors_carry_no_tag),
        cmocka_unit_test(test_the_dashboards_origin_may_call),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
