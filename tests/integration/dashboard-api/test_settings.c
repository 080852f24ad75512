/*
 * dashboard-api's notification preferences (services/dashboard-api/settings.c)
 * as a real process on real NATS and PostgreSQL, spoken to as the gateway
 * speaks to it (a signed GatewayRequest with the route's subject and body).
 *
 * Covered: the defaults of an org without an org_settings row; the PUT
 * upserts that row, changes only the fields given and leaves the agent's
 * scheduling columns alone; the same PUT twice is the same state; org A
 * never reads or changes org B's settings; staff read but never change;
 * every bad body a 400 JSON error that changes nothing.
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
#include <cmocka.h>

#include "voxanne/v1/gateway.pb-c.h"
#include "vt.h"
#include "vt_dashboard.h"
#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_time.h"

#define GET "rpc.dashboard.settings.notifications.get"
#define PUT "rpc.dashboard.settings.notifications.put"

static natsConnection *nc;
static PGconn *admin;
static pid_t service;

/* A request as the gateway forwards it for a dashboard token of org with role; body NULL: none. */
static Voxanne__V1__GatewayResponse *send_as(const char *subject, const char *org, const char *role, const char *body)
{
    return vt_dashboard_call(nc, subject, org, role, NULL, NULL, body, body != NULL ? strlen(body) : 0);
}

/* The answer's body when it has status (malloc'd), else the test fails. Frees r. */
static char *expect_body(Voxanne__V1__GatewayResponse *r, unsigned status)
{
    char *body = strndup((const char *)r->body.data, r->body.len);
    assert_non_null(body);
    if (r->status != status)
        fail_msg("expected %u, got %u: %s", status, r->status, body);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
    return body;
}

/* Fails unless the answer is 200 with exactly these settings. Frees r. */
static void expect_settings(Voxanne__V1__GatewayResponse *r, long threshold, long reminder, bool alerts)
{
    char *body = expect_body(r, 200);
    cJSON *json = cJSON_Parse(body);
    if (json == NULL || cJSON_GetArraySize(json) != 3)
        fail_msg("not the three settings: %s", body);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(json, "hot_lead_threshold");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(json, "reminder_lead_minutes");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(json, "lead_alerts");
    if (!cJSON_IsNumber(t) || t->valuedouble != (double)threshold || !cJSON_IsNumber(m) || m->valuedouble != (double)reminder ||
        !cJSON_IsBool(a) || cJSON_IsTrue(a) != alerts)
        fail_msg("expected %ld/%ld/%s, got %s", threshold, reminder, alerts ? "true" : "false", body);
    cJSON_Delete(json);
    free(body);
}

/* Fails unless r is status with {"error": …, "code": code}. Frees r. */
static void expect_error(Voxanne__V1__GatewayResponse *r, unsigned status, const char *code)
{
    char *body = expect_body(r, status);
    cJSON *json = cJSON_Parse(body);
    const char *got = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "code"));
    if (got == NULL || strcmp(got, code) != 0 || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(json, "error")))
        fail_msg("expected code %s, got %s", code, body);
    cJSON_Delete(json);
    free(body);
}

/* org's whole org_settings row as admin sees it ("none" without one): any change changes it. */
static char *row_of(const char *org)
{
    const char *p[1] = {org};
    char *row = vt_sql_value(admin, "SELECT coalesce((SELECT s::text FROM org_settings s WHERE org_id = $1), 'none')", 1, p);
    assert_non_null(row);
    return row;
}

static int setup(void **state)
{
    admin = vt_admin();
    service = vt_dashboard_start(&nc, "dashboard-api-settings");
    return 0;
}

static int teardown(void **state)
{
    vt_dashboard_stop(service, nc);
    PQfinish(admin);
    return 0;
}

static void test_defaults_without_a_row(void **state)
{
    char org[37];
    vt_create_org(admin, "Settings defaults", NULL, NULL, NULL, org);
    expect_settings(send_as(GET, org, "owner", NULL), 70, 1440, true);
    char *row = row_of(org);
    assert_string_equal(row, "none"); /* reading creates nothing */
    free(row);
}

static void test_put_creates_the_row_then_changes_only_what_is_given(void **state)
{
    char org[37];
    vt_create_org(admin, "Settings upsert", NULL, NULL, NULL, org);
    expect_settings(send_as(PUT, org, "owner", "{\"hot_lead_threshold\":85}"), 85, 1440, true);
    const char *p[1] = {org};
    char *stored = vt_sql_value(admin,
                                "SELECT concat_ws('|', hot_lead_threshold, reminder_lead_minutes, lead_alerts, timezone) FROM "
                                "org_settings WHERE org_id = $1",
                                1, p);
    assert_string_equal(stored, "85|1440|t|America/New_York"); /* the rest: the table's defaults */
    free(stored);

    expect_settings(send_as(PUT, org, "owner", "{\"lead_alerts\":false,\"reminder_lead_minutes\":60}"), 85, 60, false);
    expect_settings(send_as(GET, org, "staff", NULL), 85, 60, false);
    expect_settings(send_as(PUT, org, "owner", "{\"hot_lead_threshold\":1,\"reminder_lead_minutes\":10080,\"lead_alerts\":true}"),
                    1, 10080, true);
    expect_settings(send_as(PUT, org, "owner", "{\"hot_lead_threshold\":100,\"reminder_lead_minutes\":15}"), 100, 15, true);
}

/* The agent's configuration shares the row: a notification PUT leaves it as it was. */
static void test_put_keeps_the_scheduling_columns(void **state)
{
    char org[37];
    vt_create_org(admin, "Settings existing row", NULL, NULL, NULL, org);
    const char *p[1] = {org};
    vt_sql_exec(
        admin,
        "INSERT INTO org_settings (org_id, timezone, slot_minutes, buffer_minutes, booking_horizon_days, min_notice_minutes, "
        "redact_transcripts, hot_lead_threshold) VALUES ($1, 'Europe/London', 45, 15, 30, 120, false, 60)",
        1, p);
    expect_settings(send_as(GET, org, "owner", NULL), 60, 1440, true);
    expect_settings(send_as(PUT, org, "owner", "{\"reminder_lead_minutes\":120}"), 60, 120, true);
    char *stored = vt_sql_value(admin,
                                "SELECT concat_ws('|', timezone, slot_minutes, buffer_minutes, booking_horizon_days, "
                                "min_notice_minutes, redact_transcripts, hot_lead_threshold) FROM org_settings WHERE org_id = $1",
                                1, p);
    assert_string_equal(stored, "Europe/London|45|15|30|120|f|60");
    free(stored);
}

static void test_same_put_twice_is_the_same_state(void **state)
{
    char org[37];
    vt_create_org(admin, "Settings idempotent", NULL, NULL, NULL, org);
    static const char body[] = "{\"hot_lead_threshold\":77,\"reminder_lead_minutes\":90,\"lead_alerts\":false}";
    char *first = expect_body(send_as(PUT, org, "owner", body), 200);
    const char *p[1] = {org};
    static const char stored_sql[] =
        "SELECT concat_ws('|', count(*), min(hot_lead_threshold), min(reminder_lead_minutes), bool_and(lead_alerts)) "
        "FROM org_settings WHERE org_id = $1";
    char *stored_first = vt_sql_value(admin, stored_sql, 1, p);
    char *second = expect_body(send_as(PUT, org, "owner", body), 200);
    char *stored_second = vt_sql_value(admin, stored_sql, 1, p);
    assert_string_equal(first, second);
    assert_string_equal(stored_first, "1|77|90|f");
    assert_string_equal(stored_first, stored_second);
    free(first);
    free(second);
    free(stored_first);
    free(stored_second);
}

static void test_other_orgs_settings_are_out_of_reach(void **state)
{
    char a[37], b[37];
    vt_create_org(admin, "Settings tenant A", NULL, NULL, NULL, a);
    vt_create_org(admin, "Settings tenant B", NULL, NULL, NULL, b);
    const char *pb[1] = {b};
    vt_sql_exec(
        admin,
        "INSERT INTO org_settings (org_id, hot_lead_threshold, reminder_lead_minutes, lead_alerts) VALUES ($1, 93, 33, false)", 1,
        pb);
    char *before = row_of(b);
    /* A sees its own defaults, never B's values. */
    expect_settings(send_as(GET, a, "owner", NULL), 70, 1440, true);
    expect_settings(send_as(PUT, a, "owner", "{\"hot_lead_threshold\":55,\"lead_alerts\":true}"), 55, 1440, true);
    expect_settings(send_as(GET, a, "staff", NULL), 55, 1440, true);
    char *after = row_of(b);
    assert_string_equal(before, after);
    expect_settings(send_as(GET, b, "owner", NULL), 93, 33, false);
    free(before);
    free(after);
}

static void test_staff_read_but_never_change(void **state)
{
    char org[37];
    vt_create_org(admin, "Settings staff", NULL, NULL, NULL, org);
    expect_settings(send_as(PUT, org, "owner", "{\"hot_lead_threshold\":80}"), 80, 1440, true);
    char *before = row_of(org);
    expect_settings(send_as(GET, org, "staff", NULL), 80, 1440, true);
    expect_error(send_as(PUT, org, "staff", "{\"hot_lead_threshold\":10}"), 403, "forbidden");
    expect_error(send_as(PUT, org, "staff", "{\"lead_alerts\":false}"), 403, "forbidden");
    char *after = row_of(org);
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* An org without a row gets none from a refused PUT either. */
    char fresh[37];
    vt_create_org(admin, "Settings staff fresh", NULL, NULL, NULL, fresh);
    expect_error(send_as(PUT, fresh, "staff", "{\"hot_lead_threshold\":10}"), 403, "forbidden");
    char *none = row_of(fresh);
    assert_string_equal(none, "none");
    free(none);
}

static void test_bad_bodies_change_nothing(void **state)
{
    static const struct {
        const char *body, *code;
    } bad[] = {
        {NULL, "invalid_json"},
        {"", "invalid_json"},
        {"not json", "invalid_json"},
        {"[]", "invalid_json"},
        {"[{\"hot_lead_threshold\":50}]", "invalid_json"},
        {"50", "invalid_json"},
        {"null", "invalid_json"},
        {"\"hot_lead_threshold\"", "invalid_json"},
        {"{\"hot_lead_threshold\":50", "invalid_json"},
        {"{\"hot_lead_threshold\":50} {}", "invalid_json"},
        {"{}", "empty_update"},
        {"{\"hot_lead_treshold\":50}", "unknown_field"},
        {"{\"hot_lead_threshold\":50,\"timezone\":\"UTC\"}", "unknown_field"},
        {"{\"org_id\":\"00000000-0000-0000-0000-000000000000\",\"lead_alerts\":true}", "unknown_field"},
        {"{\"hot_lead_threshold\":50,\"hot_lead_threshold\":60}", "duplicate_field"},
        {"{\"hot_lead_threshold\":0}", "invalid_hot_lead_threshold"},
        {"{\"hot_lead_threshold\":101}", "invalid_hot_lead_threshold"},
        {"{\"hot_lead_threshold\":-5}", "invalid_hot_lead_threshold"},
        {"{\"hot_lead_threshold\":50.5}", "invalid_hot_lead_threshold"},
        {"{\"hot_lead_threshold\":\"50\"}", "invalid_hot_lead_threshold"},
        {"{\"hot_lead_threshold\":null}", "invalid_hot_lead_threshold"},
        {"{\"hot_lead_threshold\":1e300}", "invalid_hot_lead_threshold"},
        {"{\"reminder_lead_minutes\":14}", "invalid_reminder_lead_minutes"},
        {"{\"reminder_lead_minutes\":10081}", "invalid_reminder_lead_minutes"},
        {"{\"reminder_lead_minutes\":true}", "invalid_reminder_lead_minutes"},
        {"{\"lead_alerts\":\"false\"}", "invalid_lead_alerts"},
        {"{\"lead_alerts\":0}", "invalid_lead_alerts"},
        {"{\"lead_alerts\":null}", "invalid_lead_alerts"},
        /* A valid field does not carry an invalid one through. */
        {"{\"lead_alerts\":false,\"hot_lead_threshold\":500}", "invalid_hot_lead_threshold"},
        {"{\"lead_alerts\":false,\"extra\":1}", "unknown_field"},
    };
    char with_row[37], without_row[37];
    vt_create_org(admin, "Settings bad with row", NULL, NULL, NULL, with_row);
    vt_create_org(admin, "Settings bad without row", NULL, NULL, NULL, without_row);
    expect_settings(send_as(PUT, with_row, "owner", "{\"hot_lead_threshold\":66}"), 66, 1440, true);
    char *before = row_of(with_row);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_error(send_as(PUT, with_row, "owner", bad[i].body), 400, bad[i].code);
        expect_error(send_as(PUT, without_row, "owner", bad[i].body), 400, bad[i].code);
    }
    /* A huge unknown key is named within a message of bounded size. */
    vx_buf huge = VX_BUF_INIT;
    vx_buf_puts(&huge, "{\"");
    for (int i = 0; i < 100000; i++)
        vx_buf_putc(&huge, 'k');
    vx_buf_puts(&huge, "\":1}");
    Voxanne__V1__GatewayResponse *r = send_as(PUT, with_row, "owner", huge.data);
    assert_true(r->body.len < 1024);
    expect_error(r, 400, "unknown_field");
    vx_buf_free(&huge);

    char *after = row_of(with_row);
    assert_string_equal(before, after);
    char *none = row_of(without_row);
    assert_string_equal(none, "none");
    assert_true(vt_alive(service));
    free(before);
    free(after);
    free(none);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_without_a_row),
        cmocka_unit_test(test_put_creates_the_row_then_changes_only_what_is_given),
        cmocka_unit_test(test_put_keeps_the_scheduling_columns),
        cmocka_unit_test(test_same_put_twice_is_the_same_state),
        cmocka_unit_test(test_other_orgs_settings_are_out_of_reach),
        cmocka_unit_test(test_staff_read_but_never_change),
        cmocka_unit_test(test_bad_bodies_change_nothing),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    nats_Close();
    return rc;
}
