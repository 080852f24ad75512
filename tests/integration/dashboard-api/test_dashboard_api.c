/*
 * dashboard-api as a real process on real NATS and PostgreSQL, spoken to in
 * its own protocol (GatewayRequest over rpc.dashboard.*), without the gateway.
 *
 * Covered: health replies; every read scoped to the caller's org; bad
 * requests; the dashboard's roles only (issue 9); a suspended org refused
 * (issue 9); answers that name their columns (issue 9); SIGTERM while NATS
 * is not there yet.
 */
#include <nats/nats.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "voxanne/v1/gateway.pb-c.h"
#include "vt.h"
#include "vt_dashboard.h"
#include "vx_crypto.h"
#include "vx_time.h"

static natsConnection *nc;
static PGconn *admin;
static pid_t service;
static char org_a[37], org_b[37], call_a[37];

/* A request as the gateway forwards it for a dashboard token of org with role. */
static Voxanne__V1__GatewayResponse *call_as(const char *subject, const char *route, const char *org, const char *role,
                                             const char *query, const char *id)
{
    (void)route; /* vx_rpc routes on the subject, whatever the request says */
    return vt_dashboard_call(nc, subject, org, role, id, query, NULL, 0);
}

/* The owner's request: what most tests send. */
static Voxanne__V1__GatewayResponse *call(const char *subject, const char *route, const char *org, const char *query,
                                          const char *id)
{
    return call_as(subject, route, org, "owner", query, id);
}

/* The answer's body as a string (malloc'd). */
static char *body_of(const Voxanne__V1__GatewayResponse *r)
{
    char *body = strndup((const char *)r->body.data, r->body.len);
    assert_non_null(body);
    return body;
}

/* Fails unless r is status with {"error": …, "code": code}. Frees r. */
static void assert_refused(Voxanne__V1__GatewayResponse *r, unsigned status, const char *code)
{
    char *body = body_of(r);
    if (r->status != status)
        fail_msg("expected %u %s, got %u: %s", status, code, r->status, body);
    char want[96];
    snprintf(want, sizeof(want), "\"code\":\"%s\"", code);
    if (strstr(body, want) == NULL || strstr(body, "\"error\":") == NULL)
        fail_msg("expected %s, got %s", want, body);
    free(body);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
}

/* The id (primary key) of org A's call, malloc'd. */
static char *call_a_id(void)
{
    const char *p[1] = {call_a};
    char *id = vt_sql_value(admin, "SELECT id::text FROM call_logs WHERE vapi_call_id = $1", 1, p);
    assert_non_null(id);
    return id;
}

static int setup(void **state)
{
    admin = vt_admin();
    vt_create_org(admin, "Dash A", NULL, NULL, NULL, org_a);
    vt_create_org(admin, "Dash B", NULL, NULL, NULL, org_b);
    vt_uuid(call_a);
    const char *pa[2] = {org_a, call_a};
    vt_sql_exec(admin, "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status) VALUES ($1, $2, 'vapi-' || $2, 'completed')",
                2, pa);
    char other[37];
    vt_uuid(other);
    const char *pb[2] = {org_b, other};
    vt_sql_exec(admin, "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status) VALUES ($1, $2, 'vapi-' || $2, 'completed')",
                2, pb);
    service = vt_dashboard_start(&nc, "dashboard-api-integration");
    return 0;
}

static int teardown(void **state)
{
    vt_dashboard_stop(service, nc);
    PQfinish(admin);
    return 0;
}

/* Regression: the workers' rpc.dashboard.> subscription once shared a queue
 * group with the health responder, so about half the health requests reached
 * a worker, which answered a GatewayResponse (404) that no HealthReply reader
 * could use — /ready flapped. Every health request must get a HealthReply. */
static void test_every_health_request_gets_a_health_reply(void **state)
{
    for (int i = 0; i < 50; i++)
        assert_true(vt_service_healthy(nc, "dashboard"));
}

static void test_list_is_scoped_to_the_callers_org(void **state)
{
    Voxanne__V1__GatewayResponse *r = call("rpc.dashboard.calls.list", "calls.list", org_a, "limit=100", NULL);
    assert_int_equal(r->status, 200);
    char *body = strndup((const char *)r->body.data, r->body.len);
    assert_non_null(strstr(body, call_a));
    const char *p[1] = {org_b};
    char *b_call = vt_sql_value(admin, "SELECT vapi_call_id FROM call_logs WHERE org_id = $1 LIMIT 1", 1, p);
    assert_null(strstr(body, b_call));
    free(b_call);
    free(body);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
}

static void test_bad_requests(void **state)
{
    /* No org in the auth context: refused, whatever the route. */
    Voxanne__V1__GatewayResponse *r = call("rpc.dashboard.calls.list", "calls.list", NULL, NULL, NULL);
    assert_int_equal(r->status, 401);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
    const char *queries[] = {"limit=0", "limit=abc", "page=-1", "status=bogus", "status=%zz", "limit=101"};
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        r = call("rpc.dashboard.calls.list", "calls.list", org_a, queries[i], NULL);
        assert_int_equal(r->status, 400);
        voxanne__v1__gateway_response__free_unpacked(r, NULL);
    }
    r = call("rpc.dashboard.calls.get", "calls.get", org_a, NULL, "not-a-uuid");
    assert_int_equal(r->status, 400);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
    r = call("rpc.dashboard.nope", "nope", org_a, NULL, NULL);
    assert_int_equal(r->status, 404);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
    /* Not a GatewayRequest at all (signed, as only the gateway can). */
    static const char garbage[] = "\xff\xff\xff garbage";
    Voxanne__V1__GatewayResponse *g =
        vt_gateway_call(nc, "rpc.dashboard.calls.list", (const uint8_t *)garbage, sizeof(garbage) - 1);
    assert_int_equal(g->status, 400);
    voxanne__v1__gateway_response__free_unpacked(g, NULL);
    /* Anyone else on the bus: a request without the gateway's signature,
     * naming org A, reads nothing. */
    Voxanne__V1__GatewayRequest req = VOXANNE__V1__GATEWAY_REQUEST__INIT;
    Voxanne__V1__AuthContext auth = VOXANNE__V1__AUTH_CONTEXT__INIT;
    auth.org_id = org_a;
    auth.role = "owner";
    req.auth = &auth;
    req.deadline_unix_ms = vx_now_ms() + 5000;
    uint8_t buf[256];
    size_t len = voxanne__v1__gateway_request__pack(&req, buf);
    natsMsg *m = NULL;
    assert_int_equal(natsConnection_Request(&m, nc, "rpc.dashboard.calls.list", buf, (int)len, 5000), NATS_OK);
    g = voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(m), (const uint8_t *)natsMsg_GetData(m));
    assert_non_null(g);
    assert_int_equal(g->status, 401);
    assert_null(memmem(g->body.data, g->body.len, call_a, strlen(call_a)));
    voxanne__v1__gateway_response__free_unpacked(g, NULL);
    natsMsg_Destroy(m);
    assert_true(vt_alive(service));
}

static void test_detail_of_another_orgs_call_is_not_found(void **state)
{
    const char *p[1] = {call_a};
    char *id = vt_sql_value(admin, "SELECT id::text FROM call_logs WHERE vapi_call_id = $1", 1, p);
    Voxanne__V1__GatewayResponse *own = call("rpc.dashboard.calls.get", "calls.get", org_a, NULL, id);
    assert_int_equal(own->status, 200);
    Voxanne__V1__GatewayResponse *other = call("rpc.dashboard.calls.get", "calls.get", org_b, NULL, id);
    assert_int_equal(other->status, 404);
    voxanne__v1__gateway_response__free_unpacked(own, NULL);
    voxanne__v1__gateway_response__free_unpacked(other, NULL);
    free(id);
}

/* Regression (issue 9): the role the gateway forwards was never checked, so
 * any token of the org — a Supabase user without an app role ("authenticated"),
 * "anon", an empty role — read every call. Only the dashboard's roles are
 * served; the others get a 403 before anything is read. */
static void test_unknown_roles_are_refused(void **state)
{
    char *id = call_a_id();
    static const char *const roles[] = {"", "authenticated", "anon", "service_role", "member", "Owner", "owner ", "staff\n"};
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        assert_refused(call_as("rpc.dashboard.calls.list", "calls.list", org_a, roles[i], NULL, NULL), 403, "unknown_role");
        assert_refused(call_as("rpc.dashboard.calls.get", "calls.get", org_a, roles[i], NULL, id), 403, "unknown_role");
    }
    free(id);
}

/* Staff run the front desk: they read the call log, like the owner. */
static void test_staff_read_calls(void **state)
{
    char *id = call_a_id();
    Voxanne__V1__GatewayResponse *r = call_as("rpc.dashboard.calls.list", "calls.list", org_a, "staff", "limit=100", NULL);
    assert_int_equal(r->status, 200);
    char *body = body_of(r);
    assert_non_null(strstr(body, call_a));
    free(body);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
    r = call_as("rpc.dashboard.calls.get", "calls.get", org_a, "staff", NULL, id);
    assert_int_equal(r->status, 200);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
    free(id);
}

/* Regression (issue 9): a suspended organization's dashboard kept working.
 * Its requests now get a 403 that says so — at once, and served again as
 * soon as it is reactivated — and a token for an org that does not exist
 * reads nothing either. */
static void test_suspended_org_is_refused(void **state)
{
    char org[37], vapi_call[37];
    vt_create_org(admin, "Dash suspended", NULL, NULL, NULL, org);
    vt_uuid(vapi_call);
    const char *pc[2] = {org, vapi_call};
    vt_sql_exec(admin, "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status) VALUES ($1, $2, 'vapi-' || $2, 'completed')",
                2, pc);
    const char *pv[1] = {vapi_call};
    char *id = vt_sql_value(admin, "SELECT id::text FROM call_logs WHERE vapi_call_id = $1", 1, pv);
    const char *po[1] = {org};

    vt_sql_exec(admin, "UPDATE organizations SET status = 'suspended' WHERE id = $1", 1, po);
    for (int i = 0; i < 4; i++) { /* every worker */
        assert_refused(call("rpc.dashboard.calls.list", "calls.list", org, NULL, NULL), 403, "org_suspended");
        assert_refused(call_as("rpc.dashboard.calls.get", "calls.get", org, "staff", NULL, id), 403, "org_suspended");
    }

    vt_sql_exec(admin, "UPDATE organizations SET status = 'active' WHERE id = $1", 1, po);
    for (int i = 0; i < 4; i++) {
        Voxanne__V1__GatewayResponse *r = call("rpc.dashboard.calls.get", "calls.get", org, NULL, id);
        assert_int_equal(r->status, 200);
        voxanne__v1__gateway_response__free_unpacked(r, NULL);
    }

    char nowhere[37];
    vt_uuid(nowhere);
    assert_refused(call("rpc.dashboard.calls.list", "calls.list", nowhere, NULL, NULL), 403, "org_not_found");
    free(id);
}

/* Regression (issue 9): the detail was row_to_json of the whole row, so any
 * column added to call_logs later — a secret, internal bookkeeping — went to
 * every dashboard user by default. Both answers name their columns: a new
 * column stays out until someone adds it on purpose. */
static void test_answers_name_their_columns(void **state)
{
    char tag[37], column[64], sql[256];
    vt_uuid(tag);
    snprintf(column, sizeof(column), "it_internal_%.8s", tag);
    snprintf(sql, sizeof(sql), "ALTER TABLE call_logs ADD COLUMN %s text NOT NULL DEFAULT 'internal-do-not-show'", column);
    vt_sql_exec(admin, sql, 0, NULL);

    char *id = call_a_id();
    Voxanne__V1__GatewayResponse *detail = call("rpc.dashboard.calls.get", "calls.get", org_a, NULL, id);
    Voxanne__V1__GatewayResponse *list = call("rpc.dashboard.calls.list", "calls.list", org_a, "limit=100", NULL);
    snprintf(sql, sizeof(sql), "ALTER TABLE call_logs DROP COLUMN %s", column);
    vt_sql_exec(admin, sql, 0, NULL);

    assert_int_equal(detail->status, 200);
    assert_int_equal(list->status, 200);
    char *d = body_of(detail), *l = body_of(list);
    assert_non_null(strstr(d, call_a));
    assert_non_null(strstr(d, "\"transcript\""));
    assert_null(strstr(d, "internal-do-not-show"));
    assert_null(strstr(d, column));
    assert_non_null(strstr(l, call_a));
    assert_null(strstr(l, "internal-do-not-show"));
    /* Internal keys are not the dashboard's business either. */
    assert_null(strstr(d, "\"call_sid\""));
    assert_null(strstr(d, "\"org_id\""));
    free(d);
    free(l);
    voxanne__v1__gateway_response__free_unpacked(detail, NULL);
    voxanne__v1__gateway_response__free_unpacked(list, NULL);
    free(id);
}

/* Regression: with NATS not there yet, a service waited inside cnats'
 * Connect, forever, with SIGTERM blocked — only SIGKILL stopped it. It now
 * waits for NATS in the background and a SIGTERM ends the wait — exit 0, as
 * any asked-for stop (vx_signal_stop_requested; it was 1, "never started",
 * which an orchestrator stopping it during a NATS outage reads as a crash). */
static void test_sigterm_while_waiting_for_nats(void **state)
{
    static const char *env[] = {"NATS_URL=nats://127.0.0.1:1", NULL};
    pid_t waiting = vt_spawn("dashboard-api", "dashboard-api-no-nats", env);
    vt_sleep_ms(1000);
    assert_int_equal(vt_stop(waiting, SIGTERM, 5000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_health_request_gets_a_health_reply),
        cmocka_unit_test(test_list_is_scoped_to_the_callers_org),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_detail_of_another_orgs_call_is_not_found),
        cmocka_unit_test(test_unknown_roles_are_refused),
        cmocka_unit_test(test_staff_read_calls),
        cmocka_unit_test(test_suspended_org_is_refused),
        cmocka_unit_test(test_answers_name_their_columns),
        cmocka_unit_test(test_sigterm_while_waiting_for_nats),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    nats_Close();
    return rc;
}
