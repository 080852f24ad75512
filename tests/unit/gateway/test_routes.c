/* Unit tests of services/gateway/routes.c: the route table matcher. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "routes.h"

static const route TABLE[] = {
    {"health", "GET", "/health", AUTH_NONE, TARGET_HEALTH, NULL},
    {"calls.list", "GET", "/api/calls", AUTH_DASHBOARD, TARGET_RPC, "rpc.dashboard.calls.list"},
    {"calls.get", "GET", "/api/calls/{id:uuid}", AUTH_DASHBOARD, TARGET_RPC, "rpc.dashboard.calls.get"},
    {"vapi.tool", "POST", "/api/vapi/tools/{tool}", AUTH_VAPI, TARGET_RPC, "rpc.tools.call"},
    {"nested", "GET", "/api/orgs/{org:uuid}/calls/{id:uuid}", AUTH_DASHBOARD, TARGET_RPC, "x"},
};
#define N (sizeof(TABLE) / sizeof(TABLE[0]))

static route_match_status match(const char *method, const char *path, route_match *m)
{
    memset(m, 0, sizeof(*m));
    return routes_match(TABLE, N, method, strlen(method), path, strlen(path), m);
}

static void test_static_paths(void **state)
{
    route_match m;
    assert_int_equal(match("GET", "/health", &m), ROUTE_FOUND);
    assert_string_equal(m.route->name, "health");
    assert_int_equal(match("GET", "/api/calls", &m), ROUTE_FOUND);
    assert_string_equal(m.route->name, "calls.list");
    assert_int_equal(match("GET", "/api/calls/", &m), ROUTE_FOUND);
    assert_string_equal(m.route->name, "calls.list");
    assert_int_equal(match("GET", "/api/callsx", &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/api", &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/", &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "", &m), ROUTE_NOT_FOUND);
}

static void test_parameters(void **state)
{
    route_match m;
    assert_int_equal(match("GET", "/api/calls/0b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e10", &m), ROUTE_FOUND);
    assert_string_equal(m.route->name, "calls.get");
    assert_int_equal(m.nparams, 1);
    assert_int_equal(m.params[0].name_len, 2);
    assert_memory_equal(m.params[0].name, "id", 2);
    assert_int_equal(m.params[0].value_len, 36);
    assert_int_equal(match("POST", "/api/vapi/tools/bookClinicAppointment", &m), ROUTE_FOUND);
    assert_memory_equal(m.params[0].value, "bookClinicAppointment", m.params[0].value_len);
    assert_int_equal(match("GET", "/api/orgs/0b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e10/calls/1b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e10", &m),
                     ROUTE_FOUND);
    assert_int_equal(m.nparams, 2);
    assert_int_equal(match("POST", "/api/vapi/tools/", &m), ROUTE_NOT_FOUND);
    assert_int_equal(match("POST", "/api/vapi/tools/a/b", &m), ROUTE_NOT_FOUND);
}

static void test_bad_uuid_is_reported_with_the_route(void **state)
{
    route_match m;
    assert_int_equal(match("GET", "/api/calls/not-a-uuid", &m), ROUTE_BAD_PARAM);
    assert_string_equal(m.route->name, "calls.get");
    assert_memory_equal(m.bad_param, "id", m.bad_param_len);
    assert_int_equal(match("GET", "/api/calls/0b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e1", &m), ROUTE_BAD_PARAM);
    assert_int_equal(match("GET", "/api/calls/0b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e10'--", &m), ROUTE_BAD_PARAM);
}

static void test_method_not_allowed(void **state)
{
    route_match m;
    assert_int_equal(match("POST", "/health", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(match("DELETE", "/api/calls", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(match("get", "/health", &m), ROUTE_METHOD_NOT_ALLOWED);
}

static void test_real_table_is_well_formed(void **state)
{
    size_t n;
    const route *t = routes_table(&n);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(t[i].name);
        assert_true(t[i].pattern[0] == '/');
        if (t[i].target == TARGET_RPC)
            assert_true(strncmp(t[i].subject, "rpc.", 4) == 0);
        for (size_t j = 0; j < i; j++)
            assert_false(strcmp(t[i].name, t[j].name) == 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_paths),
        cmocka_unit_test(test_parameters),
        cmocka_unit_test(test_bad_uuid_is_reported_with_the_route),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_real_table_is_well_formed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
