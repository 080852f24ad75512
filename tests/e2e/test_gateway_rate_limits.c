/*
 * The gateway's request budgets end to end (services/gateway/ratelimit.h):
 * per org on dashboard routes, per client address on every route but
 * Vapi's and the operator's; a spent budget is 429 {"code":"rate_limited"}
 * with Retry-After, and one org's spending never refuses another org.
 *
 * Budgets are set to one request a minute after a small burst, so nothing
 * comes back during the test however slow the machine: the counts below are
 * exact, never timed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vt.h"

#define ORG_BURST 3
#define IP_BURST  12

static const char *const GATEWAY_ENV[] = {"GATEWAY_RATE_ORG_PER_MIN=1", "GATEWAY_RATE_ORG_BURST=3", "GATEWAY_RATE_IP_PER_MIN=1",
                                          "GATEWAY_RATE_IP_BURST=12", NULL};

static vt_suite suite;
static PGconn *admin;
static int spent_by_address; /* requests sent so far (each spends the address's budget) */

static vt_response get_as(const char *org, const char *path)
{
    char *token = vt_token(&suite, org, 600);
    char url[256], auth[1200];
    snprintf(url, sizeof url, "%s%s", suite.base_url, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    const char *headers[] = {auth, NULL};
    vt_response r = vt_http("GET", url, headers, NULL, 0);
    free(token);
    spent_by_address++;
    return r;
}

/* Fails unless r is the 429 of a spent budget, with a sane Retry-After. */
static void assert_limited(const vt_response *r, const char *whose)
{
    assert_int_equal(r->status, 429);
    assert_non_null(strstr(r->body, "\"code\":\"rate_limited\""));
    assert_non_null(strstr(r->body, whose));
}

static int setup(void **state)
{
    suite.gateway_env = GATEWAY_ENV;
    vt_suite_start(&suite);
    admin = vt_admin();
    return 0;
}

static int teardown(void **state)
{
    PQfinish(admin);
    vt_suite_stop(&suite);
    return 0;
}

static void test_an_org_gets_its_burst_then_429(void **state)
{
    char a[37], b[37];
    vt_create_org(admin, "Budget A", NULL, NULL, NULL, a);
    vt_create_org(admin, "Budget B", NULL, NULL, NULL, b);
    for (int i = 0; i < ORG_BURST; i++) {
        vt_response r = get_as(a, "/api/calls");
        assert_int_equal(r.status, 200);
        vt_response_free(&r);
    }
    vt_response r = get_as(a, "/api/calls");
    assert_limited(&r, "organization");
    vt_response_free(&r);
    /* Another org is not refused for A's spending. */
    r = get_as(b, "/api/calls");
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
}

static void test_the_address_budget_covers_every_org(void **state)
{
    /* Each request from a fresh org (so no org budget is spent): the
     * address's budget alone runs out, at exactly IP_BURST requests. */
    while (spent_by_address < IP_BURST) {
        char org[37];
        vt_create_org(admin, "Budget address", NULL, NULL, NULL, org);
        vt_response r = get_as(org, "/api/calls");
        assert_int_equal(r.status, 200);
        vt_response_free(&r);
    }
    char org[37];
    vt_create_org(admin, "Budget address last", NULL, NULL, NULL, org);
    vt_response r = get_as(org, "/api/calls");
    assert_limited(&r, "address");
    vt_response_free(&r);
}

static void test_vapi_and_probes_are_never_limited(void **state)
{
    /* The address's budget is spent (above); Vapi's calls still get through. */
    char url[256], secret[128];
    snprintf(url, sizeof url, "%s/api/vapi/webhook", suite.base_url);
    snprintf(secret, sizeof secret, "x-vapi-secret: %s", suite.vapi_secret);
    const char *headers[] = {secret, "Content-Type: application/json", NULL};
    const char *body = "{\"message\":{\"type\":\"speech-update\",\"call\":{\"id\":\"budget-call\"}}}";
    for (int i = 0; i < 3; i++) {
        vt_response r = vt_http("POST", url, headers, body, strlen(body));
        assert_true(r.status != 429);
        assert_true(r.status < 500);
        vt_response_free(&r);
    }
    snprintf(url, sizeof url, "%s/health", suite.base_url);
    vt_response r = vt_http("GET", url, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_org_gets_its_burst_then_429),
        cmocka_unit_test(test_the_address_budget_covers_every_org),
        cmocka_unit_test(test_vapi_and_probes_are_never_limited),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
