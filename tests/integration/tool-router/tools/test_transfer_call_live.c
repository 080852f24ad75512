/*
 * transferCall really transfers (tools/transfer_call.c,
 * clients/vapi_control.c): a real tool-router process on real NATS and
 * PostgreSQL asks Vapi's Live Call Control (tests/fakes/vapi_control, which
 * validates bodies as Vapi does) to move the live call, after its
 * transaction has committed.
 *
 * Proves:
 * - a transfer POSTs {"type":"transfer","destination":{…},"content":<the
 *   sentence>} to the call's monitor.controlUrl, once — a repeated toolCallId
 *   replays the answer and sends nothing; SIP destinations as {"type":"sip"};
 * - when Vapi refuses (5xx, or the call is over) the caller hears the
 *   callback sentence instead, and the request is noted on the call;
 * - nothing is sent without a control URL, for a URL that is not Vapi's (nor
 *   trusted: VAPI_CONTROL_URL_ALLOW), or when no destination is configured.
 *
 * Environment: NATS_URL, DATABASE_URL, ADMIN_DATABASE_URL, BIN_DIR (run-all.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tool_router_test.h"

static struct {
    natsConnection *nc;
    PGconn *admin;
    pid_t service, fake;
    char fake_url[64];
    char org[37], asst[64], bare_org[37], bare_asst[64], tag[16];
} T;

/* ------------------------------------------------------------ helpers */

/* A transferCall for assistant on call_id (control_url NULL: none in the message); returns the spoken text. */
static char *transfer(const char *assistant, const char *call_id, const char *tool_call_id, const char *control_url,
                      const char *department)
{
    vx_buf monitor = VX_BUF_INIT, body = VX_BUF_INIT;
    if (control_url != NULL)
        vx_buf_printf(&monitor, ",\"monitor\":{\"listenUrl\":\"wss://example.invalid/listen\",\"controlUrl\":\"%s\"}", control_url);
    vx_buf_printf(
        &body,
        "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\",\"type\":\"inboundPhoneCall\","
        "\"customer\":{\"number\":\"+15550001234\"}%s},\"toolCallList\":[{\"id\":\"%s\",\"type\":\"function\","
        "\"function\":{\"name\":\"transferCall\",\"arguments\":{\"summary\":\"question about a bill\","
        "\"department\":\"%s\"}}}]}}",
        call_id, assistant, monitor.data != NULL ? monitor.data : "", tool_call_id, department);
    cJSON *answer = NULL;
    assert_int_equal(tr_process_webhook(T.nc, body.data, &answer), 200);
    vx_buf_free(&body);
    vx_buf_free(&monitor);
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(answer, "results"), 0);
    const cJSON *text = cJSON_GetObjectItem(r, "result");
    assert_true(cJSON_IsString(text));
    char *said = strdup(text->valuestring);
    cJSON_Delete(answer);
    return said;
}

static void control_url(const char *call_id, char out[160])
{
    snprintf(out, 160, "%s/%s/control", T.fake_url, call_id);
}

static void fake_post(const char *path, const char *body)
{
    char url[128];
    snprintf(url, sizeof(url), "%s%s", T.fake_url, path);
    vt_http_post_expect(url, body, 204);
}

/* The commands the fake accepted for call_id (caller deletes the array). */
static cJSON *commands_for(const char *call_id)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/_fake/commands", T.fake_url);
    vt_response r = vt_http("GET", url, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    cJSON *all = cJSON_Parse(r.body);
    vt_response_free(&r);
    cJSON *mine = cJSON_CreateArray();
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(all, "items"))
    {
        if (strcmp(cJSON_GetObjectItem(item, "callId")->valuestring, call_id) == 0)
            cJSON_AddItemToArray(mine, cJSON_Duplicate(cJSON_GetObjectItem(item, "command"), true));
    }
    cJSON_Delete(all);
    return mine;
}

static void fresh_call(char out[64], const char *what)
{
    snprintf(out, 64, "live-%s-%s-%d", what, T.tag, rand() % 100000);
}

static char *callback_note(const char *call_id)
{
    const char *p[2] = {T.org, call_id};
    return vt_sql_value(T.admin,
                        "SELECT coalesce(metadata->'callback_requested'->>'department', '-') || '|' || coalesce(transfer_to, '-')"
                        " FROM call_logs WHERE org_id = $1 AND vapi_call_id = $2",
                        2, p);
}

/* ------------------------------------------------------------ tests */

static void test_transfer_moves_the_live_call_once(void **state)
{
    char call[64], url[160];
    fresh_call(call, "once");
    control_url(call, url);
    char *said = transfer(T.asst, call, call, url, "billing");
    assert_string_equal(said, "Transferring you to our billing team now.");
    free(said);
    cJSON *cmds = commands_for(call);
    assert_int_equal(cJSON_GetArraySize(cmds), 1);
    char *json = cJSON_PrintUnformatted(cJSON_GetArrayItem(cmds, 0));
    assert_string_equal(json, "{\"type\":\"transfer\",\"destination\":{\"type\":\"number\",\"number\":\"+15551110001\"},"
                              "\"content\":\"Transferring you to our billing team now.\"}");
    free(json);
    cJSON_Delete(cmds);
    /* The voice model fires the same tool call again: the same answer, no second transfer. */
    said = transfer(T.asst, call, call, url, "billing");
    assert_string_equal(said, "Transferring you to our billing team now.");
    free(said);
    cmds = commands_for(call);
    assert_int_equal(cJSON_GetArraySize(cmds), 1);
    cJSON_Delete(cmds);
}

static void test_sip_destination(void **state)
{
    char call[64], url[160];
    fresh_call(call, "sip");
    control_url(call, url);
    char *said = transfer(T.asst, call, call, url, "medical");
    assert_string_equal(said, "Transferring you to our Medical team now.");
    free(said);
    cJSON *cmds = commands_for(call);
    assert_int_equal(cJSON_GetArraySize(cmds), 1);
    const cJSON *dest = cJSON_GetObjectItem(cJSON_GetArrayItem(cmds, 0), "destination");
    assert_string_equal(cJSON_GetObjectItem(dest, "type")->valuestring, "sip");
    assert_string_equal(cJSON_GetObjectItem(dest, "sipUri")->valuestring, "sip:medical@acme.example");
    cJSON_Delete(cmds);
}

static void test_refused_transfer_becomes_a_callback(void **state)
{
    char call[64], url[160];
    fresh_call(call, "refused");
    control_url(call, url);
    fake_post("/_fake/fail", "{\"status\":503,\"count\":1}");
    char *said = transfer(T.asst, call, call, url, "billing");
    assert_string_equal(said, "I can't transfer you right now, but I've noted your request and someone will call you back.");
    free(said);
    char *note = callback_note(call);
    assert_string_equal(note, "billing|+15551110001"); /* the attempt and the callback request */
    free(note);

    /* A call that is over: Vapi answers 404. */
    fresh_call(call, "ended");
    control_url(call, url);
    char body[128];
    snprintf(body, sizeof(body), "{\"callId\":\"%s\"}", call);
    fake_post("/_fake/end", body);
    said = transfer(T.asst, call, call, url, "billing");
    assert_string_equal(said, "I can't transfer you right now, but I've noted your request and someone will call you back.");
    free(said);
    cJSON *cmds = commands_for(call);
    assert_int_equal(cJSON_GetArraySize(cmds), 0);
    cJSON_Delete(cmds);
}

static void test_nothing_sent_without_a_usable_control_url(void **state)
{
    char call[64];
    /* No monitor in the message: the answer (with its destination) is all there is. */
    fresh_call(call, "none");
    char *said = transfer(T.asst, call, call, NULL, "billing");
    assert_string_equal(said, "Transferring you to our billing team now.");
    free(said);
    /* A URL that is neither Vapi's nor trusted is never called, even if it points at the fake. */
    fresh_call(call, "foreign");
    char url[200];
    snprintf(url, sizeof(url), "http://localhost:%s/%s/control", strrchr(T.fake_url, ':') + 1, call);
    said = transfer(T.asst, call, call, url, "billing");
    assert_string_equal(said, "Transferring you to our billing team now.");
    free(said);
    cJSON *cmds = commands_for(call);
    assert_int_equal(cJSON_GetArraySize(cmds), 0);
    cJSON_Delete(cmds);
    /* An org without any transfer destination: the callback sentence, nothing sent. */
    fresh_call(call, "bare");
    control_url(call, url);
    said = transfer(T.bare_asst, call, call, url, "billing");
    assert_string_equal(said, "I can't transfer you right now, but I've noted your request and someone will call you back.");
    free(said);
    cmds = commands_for(call);
    assert_int_equal(cJSON_GetArraySize(cmds), 0);
    cJSON_Delete(cmds);
}

/* ------------------------------------------------------------ setup */

static int setup(void **state)
{
    srand((unsigned)(time(NULL) ^ getpid()));
    snprintf(T.tag, sizeof(T.tag), "%08x", (unsigned)rand());
    T.admin = vt_admin();
    snprintf(T.asst, sizeof(T.asst), "asst-live-%s", T.tag);
    snprintf(T.bare_asst, sizeof(T.bare_asst), "asst-live-bare-%s", T.tag);
    vt_create_org(T.admin, "Live Transfer Clinic", T.asst, NULL, NULL, T.org);
    vt_create_org(T.admin, "No Transfer Clinic", T.bare_asst, NULL, NULL, T.bare_org);
    const char *p[1] = {T.org};
    vt_sql_exec(T.admin,
                "INSERT INTO integration_settings (org_id, transfer_phone_number, transfer_departments)"
                " VALUES ($1, '+15551110000', '{\"billing\": \"+15551110001\", \"Medical\": \"sip:medical@acme.example\"}')",
                1, p);

    static char port_env[40], allow_env[96];
    int port = vt_free_port();
    snprintf(port_env, sizeof(port_env), "VAPI_FAKE_PORT=%d", port);
    const char *fake_env[] = {port_env, NULL};
    T.fake = vt_spawn("vapi_control", "vapi_control_fake", fake_env);
    snprintf(T.fake_url, sizeof(T.fake_url), "http://127.0.0.1:%d", port);
    char ready[96];
    snprintf(ready, sizeof(ready), "%s/_fake/commands", T.fake_url);
    VT_REQUIRE(vt_wait_http_ok(ready, 10000), "the Vapi control fake did not start");

    assert_int_equal(natsConnection_ConnectTo(&T.nc, vt_env("NATS_URL")), NATS_OK);
    snprintf(allow_env, sizeof(allow_env), "VAPI_CONTROL_URL_ALLOW=%s/", T.fake_url);
    const char *env[] = {allow_env, "VAPI_CONTROL_TIMEOUT_MS=2000", NULL};
    T.service = vt_start_service(T.nc, "tool-router", "tools", "tool-router-live-transfer", env);
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(vt_stop(T.service, SIGTERM, 10000), 0);
    assert_int_equal(vt_stop(T.fake, SIGTERM, 10000), 0);
    const char *p[2] = {T.org, T.bare_org};
    vt_sql_exec(T.admin, "DELETE FROM organizations WHERE id IN ($1, $2)", 2, p);
    natsConnection_Destroy(T.nc);
    PQfinish(T.admin);
    nats_Close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer_moves_the_live_call_once),
        cmocka_unit_test(test_sip_destination),
        cmocka_unit_test(test_refused_transfer_becomes_a_callback),
        cmocka_unit_test(test_nothing_sent_without_a_usable_control_url),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
