/*
 * No provider credential Vapi embeds in its messages is at rest anywhere:
 * an end-of-call report whose phone number, call, assistant and squad carry
 * every kind of credential is acknowledged, stored and parked, and none of
 * those values is found afterwards in the JetStream store files, the
 * database (its files and a dump), the parked messages or any log — while
 * every mapped field of the report is still stored.
 */
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vt.h"
#include "vx_buf.h"

static vt_suite suite;
static PGconn *admin;
static char org[37], assistant[37];

/* Each a distinct value, so a hit names the field it came from. */
static const char *const SECRETS[] = {
    "phone-auth-token-8f1e2d", "phone-api-secret-7a6b5c", "call-phone-auth-9e8d7c", "server-secret-6f5e4d",  "server-bearer-5a4b3c",
    "server-api-key-4d3c2b",   "cred-object-3e2d1c",      "squad-token-2f1e0d",     "structured-key-1a0b9c",
};

static void set_str(cJSON *obj, const char *key, const char *value)
{
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    cJSON_AddStringToObject(obj, key, value);
}

static cJSON *object(cJSON *parent, const char *key)
{
    cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, key);
    return cJSON_IsObject(o) ? o : cJSON_AddObjectToObject(parent, key);
}

/* The fixture's report for call_id and assistant_id, with credentials everywhere Vapi puts them. */
static char *report_with_credentials(const char *call_id, const char *assistant_id)
{
    char *base = vt_vapi_report(call_id, assistant_id);
    cJSON *root = cJSON_Parse(base);
    free(base);
    cJSON *m = cJSON_GetObjectItem(root, "message");
    cJSON *phone = object(m, "phoneNumber");
    set_str(phone, "twilioAuthToken", SECRETS[0]);
    set_str(phone, "twilioApiSecret", SECRETS[1]);
    set_str(object(object(m, "call"), "phoneNumber"), "twilioAuthToken", SECRETS[2]);
    cJSON *server = object(object(m, "assistant"), "server");
    set_str(server, "secret", SECRETS[3]);
    cJSON *headers = object(server, "headers");
    char bearer[64];
    snprintf(bearer, sizeof(bearer), "Bearer %s", SECRETS[4]);
    set_str(headers, "Authorization", bearer);
    set_str(headers, "x-api-key", SECRETS[5]);
    cJSON *creds = cJSON_AddArrayToObject(object(m, "assistant"), "credentials");
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "provider", "11labs");
    cJSON_AddStringToObject(c, "value", SECRETS[6]);
    cJSON_AddItemToArray(creds, c);
    cJSON *member = cJSON_CreateObject();
    cJSON_AddStringToObject(member, "voiceToken", SECRETS[7]);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(object(m, "squad"), "members"), member);
    set_str(object(object(m, "analysis"), "structuredData"), "apiKey", SECRETS[8]);
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

static void post(const char *body)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/api/vapi/webhook", suite.base_url);
    const char *const headers[] = {"x-vapi-secret: test-vapi-secret", NULL};
    vt_response r = vt_http("POST", url, headers, body, strlen(body));
    assert_int_equal(r.status, 200);
    vt_response_free(&r);
}

static int setup(void **state)
{
    vt_suite_start(&suite);
    admin = vt_admin();
    vt_uuid(assistant);
    vt_create_org(admin, "No Secrets Clinic", assistant, NULL, NULL, org);
    return 0;
}

static int teardown(void **state)
{
    vt_suite_stop(&suite);
    PQfinish(admin);
    return 0;
}

/* The files below dir (recursively, test outputs aside) that hold any of
 * the secrets, one grep over the folder for all of them (it holds the
 * database's and the stream's files: read once, not once per secret). */
static char *files_holding_any(const char *dir)
{
    vx_buf cmd = VX_BUF_INIT;
    vx_buf_puts(&cmd, "grep -rlaF");
    for (size_t i = 0; i < sizeof(SECRETS) / sizeof(SECRETS[0]); i++)
        vx_buf_printf(&cmd, " -e '%s'", SECRETS[i]);
    vx_buf_printf(&cmd, " -- '%s' 2>/dev/null | grep -v '\\.out$'", dir);
    FILE *f = popen(cmd.data, "r");
    vx_buf_free(&cmd);
    assert_non_null(f);
    vx_buf found = VX_BUF_INIT;
    char line[1024];
    while (fgets(line, sizeof(line), f) != NULL)
        vx_buf_puts(&found, line);
    pclose(f);
    return vx_buf_steal(&found);
}

static void test_no_credential_is_at_rest(void **state)
{
    char stored_call[37], parked_call[37], unknown_assistant[37];
    vt_uuid(stored_call);
    vt_uuid(parked_call);
    vt_uuid(unknown_assistant);
    char *stored = report_with_credentials(stored_call, assistant);
    char *parked = report_with_credentials(parked_call, unknown_assistant);
    post(stored);
    post(parked);
    free(stored);
    free(parked);
    const char *p1[1] = {stored_call}, *p2[1] = {parked_call};
    assert_int_equal(vt_wait_sql_long(admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", 1, p1, 1, 10000), 1);
    assert_int_equal(
        vt_wait_sql_long(admin, "SELECT count(*) FROM parked_messages WHERE payload::text LIKE '%' || $1 || '%'", 1, p2, 1, 10000),
        1);

    /* Every mapped field is still there. */
    assert_int_equal(vt_sql_long(admin,
                                 "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1 AND caller_name IS NOT NULL "
                                 "AND transcript <> '' AND outcome_summary <> '' AND recording_url IS NOT NULL "
                                 "AND duration_seconds > 0 AND ended_reason IS NOT NULL",
                                 1, p1),
                     1);

    /* nats-server writes its block files promptly but asynchronously: let it. */
    vt_sleep_ms(1500);
    char dump_cmd[512];
    snprintf(dump_cmd, sizeof(dump_cmd), "pg_dump --data-only '%s' > '%s/dump.sql'", vt_env("ADMIN_DATABASE_URL"),
             vt_env("VX_STATE_DIR"));
    assert_int_equal(system(dump_cmd), 0);
    /* The run's state folder: NATS's JetStream store, PostgreSQL's files, the dump; and every log. */
    char *at_rest = files_holding_any(vt_env("VX_STATE_DIR"));
    char *logged = files_holding_any("build/test-logs");
    if (at_rest != NULL && at_rest[0] != '\0')
        fail_msg("a credential is at rest in: %s", at_rest);
    if (logged != NULL && logged[0] != '\0')
        fail_msg("a credential is in a log: %s", logged);
    free(at_rest);
    free(logged);
    for (size_t i = 0; i < sizeof(SECRETS) / sizeof(SECRETS[0]); i++) {
        const char *p[1] = {SECRETS[i]};
        assert_int_equal(vt_sql_long(admin,
                                     "SELECT (SELECT count(*) FROM call_logs c WHERE c::text LIKE '%' || $1 || '%') + "
                                     "(SELECT count(*) FROM parked_messages m WHERE m::text LIKE '%' || $1 || '%')",
                                     1, p),
                         0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_credential_is_at_rest),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
