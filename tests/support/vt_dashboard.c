/*
 * vt_dashboard: see vt_dashboard.h.
 */
#include "vt_dashboard.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vt.h"
#include "vx_crypto.h"
#include "vx_rpc.h"
#include "vx_time.h"

pid_t vt_dashboard_start(natsConnection **nc, const char *log_name)
{
    return vt_dashboard_start_with(nc, log_name, NULL);
}

pid_t vt_dashboard_start_with(natsConnection **nc, const char *log_name, const char *const *extra_env)
{
    if (natsConnection_ConnectTo(nc, vt_env("NATS_URL")) != NATS_OK)
        fail_msg("cannot connect to NATS");
    const char *env[12] = {"DASHBOARD_WORKERS=2", "JWT_SECRET=" VT_JWT_SECRET, NULL};
    for (size_t n = 2, i = 0; extra_env != NULL && extra_env[i] != NULL; i++, n++) {
        VT_REQUIRE(n + 1 < sizeof env / sizeof env[0], "too much dashboard-api environment");
        env[n] = extra_env[i];
    }
    pid_t service = vt_spawn("dashboard-api", log_name, env);
    if (!vt_wait_service_healthy(*nc, "dashboard", 10000))
        fail_msg("dashboard-api did not start (see build/test-logs/%s.log)", log_name);
    return service;
}

void vt_dashboard_stop(pid_t service, natsConnection *nc)
{
    assert_int_equal(vt_stop(service, SIGTERM, 5000), 0);
    natsConnection_Destroy(nc);
}

Voxanne__V1__GatewayResponse *vt_dashboard_call(natsConnection *nc, const char *subject, const char *org, const char *role,
                                                const char *id, const char *query, const char *body, size_t body_len)
{
    return vt_dashboard_call_typed(nc, subject, org, role, id, query, NULL, body, body_len);
}

Voxanne__V1__GatewayResponse *vt_dashboard_call_typed(natsConnection *nc, const char *subject, const char *org, const char *role,
                                                      const char *id, const char *query, const char *content_type, const char *body,
                                                      size_t body_len)
{
    Voxanne__V1__GatewayRequest req = VOXANNE__V1__GATEWAY_REQUEST__INIT;
    Voxanne__V1__AuthContext auth = VOXANNE__V1__AUTH_CONTEXT__INIT;
    Voxanne__V1__KeyValue param = VOXANNE__V1__KEY_VALUE__INIT;
    Voxanne__V1__KeyValue *params[1] = {&param};
    Voxanne__V1__KeyValue type = VOXANNE__V1__KEY_VALUE__INIT;
    Voxanne__V1__KeyValue *headers[1] = {&type};
    req.request_id = "it-dashboard";
    req.route = (char *)subject;
    req.query = (char *)(query != NULL ? query : "");
    auth.org_id = (char *)(org != NULL ? org : "");
    auth.user_id = "user-1";
    auth.role = (char *)(role != NULL ? role : "");
    req.auth = &auth;
    if (id != NULL) {
        param.key = "id";
        param.value = (char *)id;
        req.path_params = params;
        req.n_path_params = 1;
    }
    if (content_type != NULL) {
        type.key = VX_RPC_HEADER_CONTENT_TYPE; /* as the gateway forwards it */
        type.value = (char *)content_type;
        req.headers = headers;
        req.n_headers = 1;
    }
    if (body != NULL) {
        req.body.data = (uint8_t *)body;
        req.body.len = body_len;
    }
    req.deadline_unix_ms = vx_now_ms() + 10000;
    uint8_t nonce[16];
    vx_random_bytes(nonce, sizeof(nonce)); /* as the gateway: no two envelopes alike */
    req.nonce.data = nonce;
    req.nonce.len = sizeof(nonce);
    size_t len = voxanne__v1__gateway_request__get_packed_size(&req);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    VT_REQUIRE(buf != NULL, "out of memory");
    voxanne__v1__gateway_request__pack(&req, buf);
    Voxanne__V1__GatewayResponse *r = vt_gateway_call(nc, subject, buf, len);
    free(buf);
    return r;
}

vt_answer vt_dashboard_request(natsConnection *nc, const char *subject, const char *org, const char *role, const char *id,
                               const char *query, const char *body, size_t body_len)
{
    Voxanne__V1__GatewayResponse *r = vt_dashboard_call(nc, subject, org, role, id, query, body, body_len);
    vt_answer a = {.status = r->status, .body = strndup((const char *)r->body.data, r->body.len)};
    VT_REQUIRE(a.body != NULL, "out of memory");
    a.json = cJSON_Parse(a.body);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
    return a;
}

void vt_answer_free(vt_answer *a)
{
    free(a->body);
    cJSON_Delete(a->json);
    a->body = NULL;
    a->json = NULL;
}

void vt_expect_status(const vt_answer *a, unsigned status)
{
    if (a->status != status)
        fail_msg("expected %u, got %u: %s", status, a->status, a->body);
    if (a->json == NULL)
        fail_msg("not JSON: %s", a->body);
}

void vt_expect_error(vt_answer a, unsigned status, const char *code)
{
    vt_expect_status(&a, status);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(a.json, "code");
    if (!cJSON_IsString(c) || strcmp(c->valuestring, code) != 0 ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(a.json, "error")))
        fail_msg("expected code %s, got %s", code, a.body);
    vt_answer_free(&a);
}
