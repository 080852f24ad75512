/* Unit tests of libcommon/vx_routes.c: the matcher, the suite's table, and
 * the start-up check that joins a service's handlers to the table. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vx_routes.h"

static const vx_route TABLE[] = {
    {"GET", "/health", VX_AUTH_NONE, VX_TARGET_HEALTH, "gateway.health", false, 0},
    {"GET", "/api/calls", VX_AUTH_DASHBOARD, VX_TARGET_RPC, "rpc.dashboard.calls.list", false, 0},
    {"GET", "/api/calls/{id:uuid}", VX_AUTH_DASHBOARD, VX_TARGET_RPC, "rpc.dashboard.calls.get", false, 0},
    {"POST", "/api/vapi/tools/{tool}", VX_AUTH_VAPI, VX_TARGET_VAPI_TOOL, "rpc.tools.tool", false, 0},
    {"GET", "/api/orgs/{org:uuid}/calls/{id:uuid}", VX_AUTH_DASHBOARD, VX_TARGET_RPC, "rpc.dashboard.org_calls.get", false, 0},
};
#define N (sizeof(TABLE) / sizeof(TABLE[0]))

static vx_route_match_status match(const char *method, const char *path, vx_route_match *m)
{
    memset(m, 0, sizeof(*m));
    return vx_routes_match(TABLE, N, method, strlen(method), path, strlen(path), m);
}

static void test_static_paths(void **state)
{
    vx_route_match m;
    assert_int_equal(match("GET", "/health", &m), VX_ROUTE_FOUND);
    assert_string_equal(m.route->subject, "gateway.health");
    assert_int_equal(match("GET", "/api/calls", &m), VX_ROUTE_FOUND);
    assert_string_equal(m.route->subject, "rpc.dashboard.calls.list");
    assert_int_equal(match("GET", "/api/calls/", &m), VX_ROUTE_FOUND);
    assert_string_equal(m.route->subject, "rpc.dashboard.calls.list");
    assert_int_equal(match("GET", "/api/callsx", &m), VX_ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/api", &m), VX_ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/", &m), VX_ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "", &m), VX_ROUTE_NOT_FOUND);
}

static void test_parameters(void **state)
{
    vx_route_match m;
    assert_int_equal(match("GET", "/api/calls/0b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e10", &m), VX_ROUTE_FOUND);
    assert_string_equal(m.route->subject, "rpc.dashboard.calls.get");
    assert_int_equal(m.nparams, 1);
    assert_int_equal(m.params[0].name_len, 2);
    assert_memory_equal(m.params[0].name, "id", 2);
    assert_int_equal(m.params[0].value_len, 36);
    assert_int_equal(match("POST", "/api/vapi/tools/bookClinicAppointment", &m), VX_ROUTE_FOUND);
    assert_memory_equal(m.params[0].value, "bookClinicAppointment", m.params[0].value_len);
    assert_int_equal(match("GET", "/api/orgs/0b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e10/calls/1b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e10", &m),
                     VX_ROUTE_FOUND);
    assert_int_equal(m.nparams, 2);
    assert_int_equal(match("POST", "/api/vapi/tools/", &m), VX_ROUTE_NOT_FOUND);
    assert_int_equal(match("POST", "/api/vapi/tools/a/b", &m), VX_ROUTE_NOT_FOUND);
}

static void test_bad_uuid_is_reported_with_the_route(void **state)
{
    vx_route_match m;
    assert_int_equal(match("GET", "/api/calls/not-a-uuid", &m), VX_ROUTE_BAD_PARAM);
    assert_string_equal(m.route->subject, "rpc.dashboard.calls.get");
    assert_memory_equal(m.bad_param, "id", m.bad_param_len);
    assert_int_equal(match("GET", "/api/calls/0b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e1", &m), VX_ROUTE_BAD_PARAM);
    assert_int_equal(match("GET", "/api/calls/0b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e10'--", &m), VX_ROUTE_BAD_PARAM);
}

static void test_method_not_allowed(void **state)
{
    vx_route_match m;
    assert_int_equal(match("POST", "/health", &m), VX_ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(match("DELETE", "/api/calls", &m), VX_ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(match("get", "/health", &m), VX_ROUTE_METHOD_NOT_ALLOWED);
}

/* Every row has a unique key; RPC routes go to rpc.<service>.<operation>. */
static void test_real_table_is_well_formed(void **state)
{
    size_t n;
    const vx_route *t = vx_routes_table(&n);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        assert_true(t[i].pattern[0] == '/');
        assert_non_null(t[i].subject);
        bool local = t[i].target == VX_TARGET_HEALTH || t[i].target == VX_TARGET_READY || t[i].target == VX_TARGET_METRICS ||
                     t[i].target == VX_TARGET_EVENTS;
        assert_true(strncmp(t[i].subject, local ? "gateway." : "rpc.", local ? 8 : 4) == 0);
        for (size_t j = 0; j < i; j++)
            assert_false(strcmp(t[i].subject, t[j].subject) == 0);
    }
}

static void test_service_check_agrees(void **state)
{
    const char *dashboard[] = {"rpc.dashboard.calls.get", "rpc.dashboard.calls.list", "rpc.dashboard.org_calls.get"};
    assert_int_equal(vx_routes_check_table(TABLE, N, "dashboard", dashboard, 3), 0);
    const char *tools[] = {"rpc.tools.tool"};
    assert_int_equal(vx_routes_check_table(TABLE, N, "tools", tools, 1), 0);
    /* A service with no routes and no handlers agrees too. */
    assert_int_equal(vx_routes_check_table(TABLE, N, "rag", NULL, 0), 0);
}

/* A renamed route (or handler) is caught in both directions. */
static void test_service_check_finds_mismatches(void **state)
{
    const char *missing[] = {"rpc.dashboard.calls.list", "rpc.dashboard.org_calls.get"};
    assert_int_equal(vx_routes_check_table(TABLE, N, "dashboard", missing, 2), -1);
    const char *renamed[] = {"rpc.dashboard.calls.list", "rpc.dashboard.calls.fetch", "rpc.dashboard.org_calls.get",
                             "rpc.dashboard.calls.get"};
    assert_int_equal(vx_routes_check_table(TABLE, N, "dashboard", renamed, 4), -1);
    const char *foreign[] = {"rpc.tools.tool", "rpc.dashboard.calls.list"};
    assert_int_equal(vx_routes_check_table(TABLE, N, "tools", foreign, 2), -1);
    /* "rpc.dashboardx.…" and "rpc.dashboard." are not the dashboard's. */
    const char *near[] = {"rpc.tools.tool", "rpc.toolsx.tool"};
    assert_int_equal(vx_routes_check_table(TABLE, N, "tools", near, 2), -1);
}

/* The VX_SUBJECT_* macros name the suite's routes (each service's own table
 * is checked by its unit test: test_router.c, test_dispatch_routes.c). */
static void test_real_table_subjects(void **state)
{
    const char *dashboard[] = {VX_SUBJECT_CALLS_LIST,
                               VX_SUBJECT_CALLS_STATS,
                               VX_SUBJECT_CALLS_GET,
                               VX_SUBJECT_CONTACTS_LIST,
                               VX_SUBJECT_CONTACTS_STATS,
                               VX_SUBJECT_CONTACTS_GET,
                               VX_SUBJECT_CONTACTS_CREATE,
                               VX_SUBJECT_CONTACTS_UPDATE,
                               VX_SUBJECT_CONTACTS_DELETE,
                               VX_SUBJECT_SERVICES_LIST,
                               VX_SUBJECT_SERVICES_CREATE,
                               VX_SUBJECT_SERVICES_UPDATE,
                               VX_SUBJECT_SERVICES_DELETE,
                               VX_SUBJECT_SETTINGS_NOTIFICATIONS,
                               VX_SUBJECT_SETTINGS_NOTIFICATIONS_PUT,
                               VX_SUBJECT_AUDIT_LIST,
                               VX_SUBJECT_AGENT_GET,
                               VX_SUBJECT_AGENT_PUT,
                               VX_SUBJECT_AGENT_SYNC,
                               VX_SUBJECT_CONTACTS_IMPORT,
                               VX_SUBJECT_CONTACTS_EXPORT,
                               VX_SUBJECT_CONTACTS_GDPR_EXPORT,
                               VX_SUBJECT_CONTACTS_CALL,
                               VX_SUBJECT_APPOINTMENTS_LIST,
                               VX_SUBJECT_APPOINTMENTS_CREATE,
                               VX_SUBJECT_APPOINTMENTS_UPDATE,
                               VX_SUBJECT_APPOINTMENTS_RESCHEDULE,
                               VX_SUBJECT_APPOINTMENTS_CANCEL,
                               VX_SUBJECT_AUTH_SIGNUP,
                               VX_SUBJECT_AUTH_LOGIN,
                               VX_SUBJECT_AUTH_REFRESH,
                               VX_SUBJECT_AUTH_LOGOUT,
                               VX_SUBJECT_AUTH_ACCEPT_INVITE,
                               VX_SUBJECT_ORGS_VALIDATE,
                               VX_SUBJECT_TEAM_LIST,
                               VX_SUBJECT_TEAM_INVITE,
                               VX_SUBJECT_TEAM_INVITE_REVOKE,
                               VX_SUBJECT_TEAM_UPDATE,
                               VX_SUBJECT_TEAM_REMOVE};
    assert_int_equal(vx_routes_check_service("dashboard", dashboard, sizeof dashboard / sizeof dashboard[0]), 0);
    const char *tools[] = {VX_SUBJECT_TOOLS_WEBHOOK, VX_SUBJECT_TOOLS_TOOL};
    assert_int_equal(vx_routes_check_service("tools", tools, 2), 0);
}

/* Regression (issue 9): /metrics and /ready were VX_AUTH_NONE. Only liveness
 * is anonymous now: metrics are the operator's, readiness details too. */
static void test_real_table_local_routes_auth(void **state)
{
    size_t n;
    const vx_route *t = vx_routes_table(&n);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        switch (t[i].target) {
        case VX_TARGET_HEALTH:
            assert_int_equal(t[i].auth, VX_AUTH_NONE);
            seen |= 1;
            break;
        case VX_TARGET_READY:
            assert_int_equal(t[i].auth, VX_AUTH_OPERATOR_DETAILS);
            seen |= 2;
            break;
        case VX_TARGET_METRICS:
            assert_int_equal(t[i].auth, VX_AUTH_OPERATOR);
            seen |= 4;
            break;
        default:
            /* Nothing that reaches a service is anonymous or the operator's;
             * the routes a service authenticates itself are Google's
             * callback (its signed state) and sign-in (a password, a
             * refresh token, an invitation), all POSTs. */
            assert_true(t[i].auth == VX_AUTH_VAPI || t[i].auth == VX_AUTH_DASHBOARD ||
                        (t[i].auth == VX_AUTH_SERVICE && strcmp(t[i].subject, VX_SUBJECT_INTEGRATIONS_GOOGLE_CALLBACK) == 0) ||
                        (t[i].auth == VX_AUTH_SERVICE && strncmp(t[i].subject, "rpc.dashboard.auth.", 19) == 0 &&
                         strcmp(t[i].method, "POST") == 0));
            break;
        }
    }
    assert_int_equal(seen, 7);
}

/* Only the routes whose service calls Twilio, Vapi or Google while the
 * client waits get the gateway's longer provider timeout. */
static void test_real_table_provider_routes(void **state)
{
    size_t n;
    const vx_route *t = vx_routes_table(&n);
    int slow = 0;
    for (size_t i = 0; i < n; i++) {
        if (!t[i].waits_on_providers)
            continue;
        slow++;
        assert_int_equal(t[i].target, VX_TARGET_RPC);
        assert_true(strcmp(t[i].subject, VX_SUBJECT_INTEGRATIONS_TWILIO_CONNECT) == 0 ||
                    strcmp(t[i].subject, VX_SUBJECT_INTEGRATIONS_TWILIO_DELETE) == 0 ||
                    strcmp(t[i].subject, VX_SUBJECT_INTEGRATIONS_GOOGLE_CALLBACK) == 0 ||
                    strcmp(t[i].subject, VX_SUBJECT_CONTACTS_CALL) == 0 ||
                    strcmp(t[i].subject, VX_SUBJECT_KB_DOCUMENTS_CREATE) == 0);
    }
    assert_int_equal(slow, 5);
}

/* Only uploads (a CSV of contacts, a knowledge-base document) take more
 * than the gateway's default body, and never more than one NATS message can carry. */
static void test_real_table_body_limits(void **state)
{
    size_t n;
    const vx_route *t = vx_routes_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (t[i].max_body_bytes == 0)
            continue;
        assert_true(t[i].max_body_bytes <= VX_ROUTE_BODY_MAX);
        assert_true(strcmp(t[i].subject, VX_SUBJECT_CONTACTS_IMPORT) == 0 ||
                    strcmp(t[i].subject, VX_SUBJECT_KB_DOCUMENTS_CREATE) == 0);
    }
    assert_int_equal(vx_routes_largest_body(t, n), VX_ROUTE_BODY_MAX);
    assert_int_equal(vx_routes_largest_body(TABLE, N), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_paths),
        cmocka_unit_test(test_parameters),
        cmocka_unit_test(test_bad_uuid_is_reported_with_the_route),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_real_table_is_well_formed),
        cmocka_unit_test(test_service_check_agrees),
        cmocka_unit_test(test_service_check_finds_mismatches),
        cmocka_unit_test(test_real_table_subjects),
        cmocka_unit_test(test_real_table_local_routes_auth),
        cmocka_unit_test(test_real_table_provider_routes),
        cmocka_unit_test(test_real_table_body_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
