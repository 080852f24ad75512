/*
 * Unit test of services/dashboard-api/access.c's token checks: only the
 * dashboard's roles ("owner", "staff", exactly) are served, a route admits
 * only the roles its table entry names, and every refusal is the suite's
 * {"error", "code"} JSON. Regression (issue 9): the role the gateway
 * forwards was never looked at, so any token of an org read all its calls.
 * (The organization's status needs the database: see
 * tests/integration/dashboard-api.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vx_access.h"

#define ORG "0b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e10"

/* Runs vx_access_token for a request of org with role, and checks the outcome. */
static void expect(const char *org, const char *role, unsigned roles, unsigned status, const char *code)
{
    Voxanne__V1__GatewayRequest req = VOXANNE__V1__GATEWAY_REQUEST__INIT;
    Voxanne__V1__AuthContext auth = VOXANNE__V1__AUTH_CONTEXT__INIT;
    req.request_id = "unit-access";
    req.route = "rpc.dashboard.calls.list";
    auth.org_id = (char *)org;
    auth.role = (char *)role;
    req.auth = org != NULL ? &auth : NULL;
    vx_rpc_reply reply = {0};
    bool allowed = vx_access_token(&req, roles, &reply);
    if (status == 0) {
        assert_true(allowed);
        assert_int_equal(reply.status, 0);
        assert_int_equal(reply.body.len, 0);
    } else {
        assert_false(allowed);
        assert_int_equal(reply.status, status);
        char want[96];
        snprintf(want, sizeof(want), "\"code\":\"%s\"", code);
        assert_non_null(reply.body.data);
        assert_non_null(strstr(reply.body.data, want));
        assert_non_null(strstr(reply.body.data, "\"error\":"));
    }
    vx_buf_free(&reply.body);
}

static void test_the_dashboard_roles(void **state)
{
    assert_int_equal(vx_access_role("owner"), VX_ROLE_OWNER);
    assert_int_equal(vx_access_role("staff"), VX_ROLE_STAFF);
    static const char *const others[] = {"",      "authenticated", "anon",   "service_role", "admin",   "member",
                                         "Owner", "OWNER",         " owner", "owner ",       "staff\n", "owner\xff"};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        assert_int_equal(vx_access_role(others[i]), 0);
    assert_int_equal(vx_access_role(NULL), 0);
}

static void test_members_are_served(void **state)
{
    expect(ORG, "owner", VX_ROLE_MEMBERS, 0, NULL);
    expect(ORG, "staff", VX_ROLE_MEMBERS, 0, NULL);
    expect(ORG, "owner", VX_ROLE_OWNER, 0, NULL);
}

static void test_unknown_and_empty_roles_are_refused(void **state)
{
    expect(ORG, "", VX_ROLE_MEMBERS, 403, "unknown_role");
    expect(ORG, "authenticated", VX_ROLE_MEMBERS, 403, "unknown_role");
    expect(ORG, "anon", VX_ROLE_MEMBERS, 403, "unknown_role");
    expect(ORG, "service_role", VX_ROLE_MEMBERS, 403, "unknown_role");
    expect(ORG, "Owner", VX_ROLE_MEMBERS, 403, "unknown_role");
    expect(ORG, NULL, VX_ROLE_MEMBERS, 403, "unknown_role");
}

static void test_a_route_admits_only_its_roles(void **state)
{
    expect(ORG, "staff", VX_ROLE_OWNER, 403, "forbidden");
    expect(ORG, "owner", VX_ROLE_STAFF, 403, "forbidden");
    expect(ORG, "owner", 0, 403, "forbidden");
}

static void test_no_org_is_unauthorized(void **state)
{
    expect(NULL, "owner", VX_ROLE_MEMBERS, 401, "unauthorized");
    expect("", "owner", VX_ROLE_MEMBERS, 401, "unauthorized");
    expect("not-a-uuid", "owner", VX_ROLE_MEMBERS, 401, "unauthorized");
    /* Checked before the role: no org, no answer about roles. */
    expect("", "authenticated", VX_ROLE_MEMBERS, 401, "unauthorized");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_dashboard_roles),
        cmocka_unit_test(test_members_are_served),
        cmocka_unit_test(test_unknown_and_empty_roles_are_refused),
        cmocka_unit_test(test_a_route_admits_only_its_roles),
        cmocka_unit_test(test_no_org_is_unauthorized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
