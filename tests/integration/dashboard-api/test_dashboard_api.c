/*
 * dashboard-api as a real process on real NATS and PostgreSQL, spoken to in
 * its own protocol (GatewayRequest over rpc.dashboard.*), without the gateway.
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

static natsConnection *nc;
static PGconn *admin;
static pid_t service;
static char org_a[37], org_b[37], call_a[37];

static Voxanne__V1__GatewayResponse *call(const char *subject, const char *route, const char *org, const char *query,
                                          const char *id)
{
    Voxanne__V1__GatewayRequest req = VOXANNE__V1__GATEWAY_REQUEST__INIT;
    Voxanne__V1__AuthContext auth = VOXANNE__V1__AUTH_CONTEXT__INIT;
    Voxanne__V1__KeyValue param = VOXANNE__V1__KEY_VALUE__INIT;
    Voxanne__V1__KeyValue *params[1] = {&param};
    req.request_id = "it-dashboard";
    req.route = (char *)route;
    req.query = (char *)(query != NULL ? query : "");
    auth.org_id = (char *)(org != NULL ? org : "");
    req.auth = &auth;
    if (id != NULL) {
        param.key = "id";
        param.value = (char *)id;
        req.path_params = params;
        req.n_path_params = 1;
    }
    uint8_t buf[1024];
    size_t len = voxanne__v1__gateway_request__pack(&req, buf);
    natsMsg *reply = NULL;
    assert_int_equal(natsConnection_Request(&reply, nc, subject, buf, (int)len, 5000), NATS_OK);
    Voxanne__V1__GatewayResponse *resp =
        voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(reply), (const uint8_t *)natsMsg_GetData(reply));
    natsMsg_Destroy(reply);
    assert_non_null(resp);
    return resp;
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
    assert_int_equal(natsConnection_ConnectTo(&nc, vt_env("NATS_URL")), NATS_OK);
    static const char *env[] = {"DASHBOARD_WORKERS=2", NULL};
    service = vt_spawn("dashboard-api", "dashboard-api-integration", env);
    if (!vt_wait_service_healthy(nc, "dashboard", 10000))
        fail_msg("dashboard-api did not start");
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(vt_stop(service, SIGTERM, 5000), 0);
    natsConnection_Destroy(nc);
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
    /* Not a GatewayRequest at all. */
    natsMsg *m = NULL;
    assert_int_equal(natsConnection_RequestString(&m, nc, "rpc.dashboard.calls.list", "\xff\xff\xff garbage", 2000), NATS_OK);
    Voxanne__V1__GatewayResponse *g =
        voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(m), (const uint8_t *)natsMsg_GetData(m));
    assert_non_null(g);
    assert_int_equal(g->status, 400);
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

/* Regression: with NATS not there yet, a service waited inside cnats'
 * Connect, forever, with SIGTERM blocked — only SIGKILL stopped it. It now
 * waits for NATS in the background and a SIGTERM ends the wait (exit 1: it
 * never started). */
static void test_sigterm_while_waiting_for_nats(void **state)
{
    static const char *env[] = {"NATS_URL=nats://127.0.0.1:1", NULL};
    pid_t waiting = vt_spawn("dashboard-api", "dashboard-api-no-nats", env);
    vt_sleep_ms(1000);
    assert_int_equal(vt_stop(waiting, SIGTERM, 5000), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_health_request_gets_a_health_reply),
        cmocka_unit_test(test_list_is_scoped_to_the_callers_org),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_detail_of_another_orgs_call_is_not_found),
        cmocka_unit_test(test_sigterm_while_waiting_for_nats),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    nats_Close();
    return rc;
}
