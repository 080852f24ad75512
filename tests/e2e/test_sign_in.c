/*
 * Built-in sign-in through the gateway, as a new clinic owner meets it:
 * sign up, use the dashboard with the access token the gateway verifies,
 * refresh, invite a member who signs in as staff, sign out. And the
 * per-address failure budget: the gateway forwards the client's address
 * (never a client-sent X-Forwarded-For), so failed sign-ins from one
 * address run out whatever emails they try.
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

#define FAILURES_PER_ADDRESS 4

static vt_suite suite;
static PGconn *admin;

static const char *const DASHBOARD_ENV[] = {"AUTH_LOGIN_MAX_FAILURES_PER_IP=4", "AUTH_LOGIN_MAX_FAILURES_PER_EMAIL=100",
                                            "AUTH_PASSWORD_COST=1", NULL};

static const char *const JSON[] = {"Content-Type: application/json", NULL};

static vt_response call(const char *method, const char *path, const char *bearer, const char *body)
{
    char url[256], auth[2048];
    snprintf(url, sizeof url, "%s%s", suite.base_url, path);
    const char *with_token[] = {"Content-Type: application/json", auth, NULL};
    if (bearer != NULL)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
    return vt_http(method, url, bearer != NULL ? with_token : JSON, body, body != NULL ? strlen(body) : 0);
}

/* The answer's JSON when it has status, else the test fails. Frees r's body. */
static cJSON *expect(vt_response r, long status)
{
    if (r.status != status)
        fail_msg("expected %ld, got %ld: %.*s", status, r.status, (int)r.body_len, r.body);
    cJSON *json = cJSON_ParseWithLength(r.body, r.body_len);
    if (json == NULL)
        fail_msg("not JSON: %.*s", (int)r.body_len, r.body);
    vt_response_free(&r);
    return json;
}

static char *str_dup(const cJSON *o, const char *name)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
    if (s == NULL)
        fail_msg("no string \"%s\"", name);
    return strdup(s);
}

static int setup(void **state)
{
    (void)state;
    admin = vt_admin();
    /* One database serves every build variant's run: an earlier run's clinic goes first. */
    vt_sql_exec(admin, "DELETE FROM organizations WHERE id IN (SELECT org_id FROM users WHERE email LIKE '%@sunny-dental.test')", 0,
                NULL);
    vt_sql_exec(admin, "DELETE FROM auth_throttle", 0, NULL);
    suite.dashboard_env = DASHBOARD_ENV;
    vt_suite_start(&suite);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vt_suite_stop(&suite);
    /* The address's failures are this test's: later tests start afresh. */
    vt_sql_exec(admin, "DELETE FROM auth_throttle", 0, NULL);
    PQfinish(admin);
    return 0;
}

static void test_an_owner_signs_up_and_works(void **state)
{
    (void)state;
    cJSON *s = expect(call("POST", "/api/auth/signup", NULL,
                           "{\"email\":\"owner@sunny-dental.test\",\"password\":\"sunny side up 42\","
                           "\"organization_name\":\"Sunny Dental\",\"timezone\":\"Europe/Dublin\"}"),
                      201);
    char *access = str_dup(s, "access_token"), *refresh = str_dup(s, "refresh_token");
    cJSON_Delete(s);

    /* The gateway accepts the token; the org starts with its price list. */
    cJSON *services = expect(call("GET", "/api/services", access, NULL), 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(services, "services")), 7);
    cJSON_Delete(services);
    cJSON *v = expect(call("GET", "/api/orgs/validate", access, NULL), 200);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "valid")));
    cJSON_Delete(v);

    /* A refresh gives a working token; the old refresh token is spent. */
    char body[256];
    snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", refresh);
    cJSON *r = expect(call("POST", "/api/auth/refresh", NULL, body), 200);
    char *access2 = str_dup(r, "access_token"), *refresh2 = str_dup(r, "refresh_token");
    cJSON_Delete(r);
    cJSON *contacts = expect(call("GET", "/api/contacts", access2, NULL), 200);
    cJSON_Delete(contacts);

    /* The owner invites the front desk, who joins as staff. */
    cJSON *inv = expect(call("POST", "/api/team/invitations", access2, "{\"email\":\"desk@sunny-dental.test\"}"), 201);
    char *invitation = str_dup(inv, "token");
    cJSON_Delete(inv);
    snprintf(body, sizeof body, "{\"token\":\"%s\",\"password\":\"front desk password\"}", invitation);
    cJSON *staff = expect(call("POST", "/api/auth/invitations/accept", NULL, body), 201);
    char *staff_access = str_dup(staff, "access_token");
    cJSON_Delete(staff);
    cJSON *calls = expect(call("GET", "/api/calls", staff_access, NULL), 200);
    cJSON_Delete(calls);
    vt_response forbidden = call("GET", "/api/team", staff_access, NULL);
    assert_int_equal(forbidden.status, 403);
    vt_response_free(&forbidden);
    cJSON *team = expect(call("GET", "/api/team", access2, NULL), 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(team, "members")), 2);
    cJSON_Delete(team);

    /* Signed out, the refresh token is dead. */
    snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", refresh2);
    cJSON *out = expect(call("POST", "/api/auth/logout", NULL, body), 200);
    cJSON_Delete(out);
    vt_response dead = call("POST", "/api/auth/refresh", NULL, body);
    assert_int_equal(dead.status, 401);
    vt_response_free(&dead);

    free(access);
    free(refresh);
    free(access2);
    free(refresh2);
    free(invitation);
    free(staff_access);
}

static void test_failures_from_one_address_run_out(void **state)
{
    (void)state;
    char body[256];
    for (int i = 0; i < FAILURES_PER_ADDRESS; i++) {
        snprintf(body, sizeof body, "{\"email\":\"guess%d@sunny-dental.test\",\"password\":\"guess\"}", i);
        vt_response r = call("POST", "/api/auth/login", NULL, body);
        assert_int_equal(r.status, 401);
        vt_response_free(&r);
    }
    /* A new email from the same address, even claiming another address, waits. */
    char url[256];
    snprintf(url, sizeof url, "%s/api/auth/login", suite.base_url);
    const char *spoofed[] = {"Content-Type: application/json", "X-Forwarded-For: 203.0.113.9", NULL};
    const char *fresh = "{\"email\":\"owner@sunny-dental.test\",\"password\":\"sunny side up 42\"}";
    vt_response r = vt_http("POST", url, spoofed, fresh, strlen(fresh));
    assert_int_equal(r.status, 429);
    assert_non_null(strstr(r.body, "too_many_attempts"));
    vt_response_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_owner_signs_up_and_works),
        cmocka_unit_test(test_failures_from_one_address_run_out),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
