/*
 * dashboard-api's GDPR routes (services/dashboard-api/gdpr.h), the real
 * process on real NATS and PostgreSQL, spoken to as the gateway speaks,
 * checked through the admin connection.
 *
 * Each test seeds two orgs through the admin connection. Org A has the
 * subject: a contact with a distinctive number, e-mail, surname and a phrase
 * they said, three calls (linked; unlinked but from their number; an
 * outbound one to it) with transcripts, summaries, recording URLs and the
 * raw Vapi call object in metadata, tool calls, two appointments, outbox
 * jobs and parked messages; and an unrelated contact with a call, tool call,
 * appointment and job of their own. Org B has a contact with the SAME number
 * who said the same phrase, with the same kinds of rows.
 *
 * Covered: the export holds every one of A's rows about the contact (by id),
 * nothing of B's, every column of each table; the erasure leaves no row of
 * org A holding the number, e-mail, surname or phrase in any column of any
 * table of the public schema (information_schema drives the search), keeps
 * the appointments with their times and the calls with their figures, leaves
 * every row of org B and A's unrelated rows exactly as they were, and is
 * audited with ids and counts only; staff, another org, bad ids and bad
 * queries are refused with nothing changed; erasing twice is 404.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "vt.h"
#include "vt_dashboard.h"
#include "vx_buf.h"
#include "vx_routes.h"

static natsConnection *nc;
static PGconn *admin;
static pid_t service;

/* One org's rows. The contact's calls: [0] linked, inbound; [1] not linked,
 * from their number; [2] linked, outbound to their number. */
typedef struct fixture {
    char org[37], assistant[48], agent_phone[16];
    char contact[37], phone[16], email[96], surname[48], phrase[96];
    char call[3][37], vapi[3][48], tool[2][56], appt[2][37], job[2][24], parked[2][24];
    char other_contact[37], other_call[37], other_vapi[48], other_tool[56], other_appt[37], other_job[24];
} fixture;

/* One value of an admin query, copied into out (which must be large enough). */
static void sql_into(char *out, size_t out_len, const char *sql, int n, const char *const *params)
{
    char *v = vt_sql_value(admin, sql, n, params);
    assert_non_null(v);
    assert_true(strlen(v) < out_len);
    snprintf(out, out_len, "%s", v);
    free(v);
}

/* A call of f's org; contact may be NULL; its id into id. */
static void add_call(const fixture *f, const char *contact, const char *vapi, const char *type, const char *from, const char *to,
                     const char *transcript, char id[37])
{
    char metadata[2048];
    snprintf(
        metadata, sizeof metadata,
        "{\"source\":\"vapi-webhook\",\"endedReason\":\"customer-ended-call\",\"successEvaluation\":true,"
        "\"sentimentAnalysis\":{\"label\":\"positive\",\"score\":0.8,\"summary\":\"Zelda %s was pleased\",\"urgency\":\"low\"},"
        "\"rawCallerNumber\":\"%s\",\"structuredData\":{\"email\":\"%s\",\"name\":\"Zelda %s\"},"
        "\"redactions\":{\"card\":0,\"ssn\":0,\"dob\":0,\"email\":1,\"phone\":0},"
        "\"call\":{\"id\":\"%s\",\"assistantId\":\"%s\",\"customer\":{\"number\":\"%s\",\"name\":\"Zelda %s\"}}}",
        f->surname, f->phone, f->email, f->surname, vapi, f->assistant, f->phone, f->surname);
    const char *p[9] = {f->org, vapi, contact, type, f->phone, from, to, transcript, metadata};
    sql_into(id, 37,
             "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, contact_id, call_type, status, outcome, phone_number,"
             " from_number, to_number, caller_name, duration_seconds, total_cost, outcome_summary, transcript, recording_url,"
             " stereo_recording_url, recording_status, sentiment, sentiment_label, sentiment_score, sentiment_summary,"
             " success_evaluation, transfer_to, transfer_reason, lead_score, lead_tier, lead_score_reasons, metadata, started_at)"
             " VALUES ($1, $2, 'vapi-' || $2, $3::uuid, $4, 'completed', 'completed', $5::text, $6::text, $7::text,"
             " 'Zelda ' || ($9::jsonb #>> '{structuredData,name}'), 120, 0.42, 'Booked a cleaning, call back on ' || $5::text,"
             " $8, 'https://storage.vapi.ai/' || $2 || '-mono.wav', 'https://storage.vapi.ai/' || $2 || '-stereo.wav',"
             " 'completed', 'positive', 'positive', 0.8, $9::jsonb #>> '{sentimentAnalysis,summary}',"
             " 'Booked by ' || ($9::jsonb #>> '{structuredData,email}'), '+15550000000', 'Asked for ' || $5::text,"
             " 80, 'hot', '[{\"rule\":\"booked\",\"points\":30}]', $9::jsonb, now() - interval '1 day') RETURNING id",
             9, p);
}

static void add_tool_call(const char *org, const char *vapi, const char *result, const char *phone, char id[56])
{
    snprintf(id, 56, "tc-%s", vapi);
    const char *p[5] = {org, id, vapi, result, phone};
    vt_sql_exec(admin,
                "INSERT INTO tool_calls (org_id, tool_call_id, tool_name, vapi_call_id, is_error, result_text, extra)"
                " VALUES ($1, $2, 'bookClinicAppointment', $3, false, $4, jsonb_build_object('callerNumber', $5::text))",
                5, p);
}

static void add_appointment(const char *org, const char *contact, const char *status, const char *days, const char *notes,
                            char id[37])
{
    const char *p[5] = {org, contact, status, days, notes};
    sql_into(id, 37,
             "INSERT INTO appointments (org_id, contact_id, service_name, starts_at, ends_at, status, notes, google_event_id)"
             " VALUES ($1, $2, 'Cleaning', date_trunc('hour', now()) + make_interval(days => $4::int),"
             " date_trunc('hour', now()) + make_interval(days => $4::int, mins => 30), $3, $5, 'evt' || md5(random()::text))"
             " RETURNING id",
             5, p);
}

static void add_job(const char *org, const char *key, const char *payload, char id[24])
{
    const char *p[3] = {org, key, payload};
    sql_into(id, 24,
             "INSERT INTO work_outbox (org_id, job_key, subject, payload) VALUES ($1, $2, 'work.notifier.hot_lead',"
             " convert_to($3, 'UTF8')) RETURNING id",
             3, p);
}

static void add_parked(const char *vapi, const char *reason, const char *payload, char id[24])
{
    char rid[37];
    vt_uuid(rid);
    const char *p[4] = {reason, vapi, rid, payload};
    sql_into(id, 24,
             "INSERT INTO parked_messages (reason, message_type, vapi_call_id, request_id, payload)"
             " VALUES ($1, 'end-of-call-report', $2, $3, $4::jsonb) RETURNING id",
             4, p);
}

/* Seeds an org (see the top of the file) whose contact has phone and email. */
static void seed(fixture *f, const char *name, const char *phone, const char *email, const char *surname, const char *phrase)
{
    char u[37], pn[48];
    vt_uuid(u);
    snprintf(f->assistant, sizeof f->assistant, "asst-%s", u);
    snprintf(pn, sizeof pn, "pn-%s", u);
    vt_random_e164(f->agent_phone);
    vt_create_org(admin, name, f->assistant, pn, f->agent_phone, f->org);
    snprintf(f->phone, sizeof f->phone, "%s", phone);
    snprintf(f->email, sizeof f->email, "%s", email);
    snprintf(f->surname, sizeof f->surname, "%s", surname);
    snprintf(f->phrase, sizeof f->phrase, "%s", phrase);

    const char *pc[5] = {f->org, surname, phone, email, phrase};
    sql_into(f->contact, sizeof f->contact,
             "INSERT INTO contacts (org_id, first_name, last_name, phone, email, notes) VALUES ($1, 'Zelda', $2, $3, $4,"
             " 'Said: ' || $5) RETURNING id",
             5, pc);
    char transcript[256];
    snprintf(transcript, sizeof transcript, "AI: Hello. User: %s, my number is %s.", phrase, phone);
    for (int i = 0; i < 3; i++) {
        vt_uuid(u);
        snprintf(f->vapi[i], sizeof f->vapi[i], "call-%s", u);
    }
    add_call(f, f->contact, f->vapi[0], "inbound", phone, f->agent_phone, transcript, f->call[0]);
    add_call(f, NULL, f->vapi[1], "inbound", phone, f->agent_phone, transcript, f->call[1]);
    add_call(f, f->contact, f->vapi[2], "outbound", f->agent_phone, phone, transcript, f->call[2]);
    char result[160];
    snprintf(result, sizeof result, "Booked for Zelda %s, confirmation to %s.", surname, email);
    add_tool_call(f->org, f->vapi[0], result, phone, f->tool[0]);
    add_tool_call(f->org, f->vapi[1], result, phone, f->tool[1]);
    char notes[160];
    snprintf(notes, sizeof notes, "Zelda %s: %s", surname, phrase);
    add_appointment(f->org, f->contact, "booked", "3", notes, f->appt[0]);
    add_appointment(f->org, f->contact, "cancelled", "-3", notes, f->appt[1]);
    char payload[160];
    snprintf(payload, sizeof payload, "\x0a%s\x12%s", f->vapi[0], f->contact);
    char key[64];
    snprintf(key, sizeof key, "hot-lead:%s", f->vapi[0]);
    add_job(f->org, key, payload, f->job[0]);
    vt_uuid(u);
    snprintf(key, sizeof key, "sms:%s", u);
    snprintf(payload, sizeof payload, "\x0a%s", phone);
    add_job(f->org, key, payload, f->job[1]);
    /* A message of the unlinked call that could not be stored (found by its
     * call), and one of the org's assistant with the number (found by both). */
    char parked[512];
    snprintf(parked, sizeof parked,
             "{\"message\":{\"type\":\"end-of-call-report\",\"call\":{\"id\":\"%s\"},\"artifact\":"
             "{\"transcript\":\"%s\"}}}",
             f->vapi[1], phrase);
    add_parked(f->vapi[1], "sql-error 23514: check", parked, f->parked[0]);
    vt_uuid(u);
    snprintf(parked, sizeof parked,
             "{\"message\":{\"type\":\"status-update\",\"call\":{\"id\":\"lost-%s\",\"assistantId\":\"%s\","
             "\"customer\":{\"number\":\"%s\"}}}}",
             u, f->assistant, phone);
    add_parked(NULL, "org-not-resolved", parked, f->parked[1]);

    /* Someone else of the same org. */
    char other_phone[16];
    vt_random_e164(other_phone);
    const char *po[2] = {f->org, other_phone};
    sql_into(f->other_contact, sizeof f->other_contact,
             "INSERT INTO contacts (org_id, first_name, last_name, phone, email) VALUES ($1, 'Otto', 'Other', $2,"
             " 'otto@other.example') RETURNING id",
             2, po);
    vt_uuid(u);
    snprintf(f->other_vapi, sizeof f->other_vapi, "call-%s", u);
    const char *pl[4] = {f->org, f->other_vapi, f->other_contact, other_phone};
    sql_into(
        f->other_call, sizeof f->other_call,
        "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, contact_id, phone_number, from_number, caller_name,"
        " transcript, metadata) VALUES ($1, $2, 'vapi-' || $2, $3, $4::text, $4::text, 'Otto Other', 'Otto asked about prices.',"
        " jsonb_build_object('call', jsonb_build_object('customer', jsonb_build_object('number', $4::text)))) RETURNING id",
        4, pl);
    add_tool_call(f->org, f->other_vapi, "Otto's answer", other_phone, f->other_tool);
    add_appointment(f->org, f->other_contact, "booked", "5", "Otto", f->other_appt);
    snprintf(key, sizeof key, "hot-lead:%s", f->other_vapi);
    snprintf(payload, sizeof payload, "\x0a%s\x12%s", f->other_vapi, f->other_contact);
    add_job(f->org, key, payload, f->other_job);
}

/* Both orgs; A's contact and B's share a number and a phrase. stray: a
 * parked message with the number naming no org (nobody's to erase). */
static void seed_both(fixture *a, fixture *b, char stray[24])
{
    char phone[16], u[37], email_a[96], email_b[96], surname[48], phrase[96];
    vt_random_e164(phone);
    vt_uuid(u);
    snprintf(email_a, sizeof email_a, "zelda.%.8s@quartermain.example", u);
    snprintf(email_b, sizeof email_b, "zelda.%.8s@other-clinic.example", u + 9);
    snprintf(surname, sizeof surname, "Quartermain%.6s", u + 24);
    snprintf(phrase, sizeof phrase, "my favourite walrus is called Brunhilde %.8s", u);
    seed(a, "GDPR A", phone, email_a, surname, phrase);
    seed(b, "GDPR B", phone, email_b, surname, phrase);
    char payload[256];
    snprintf(payload, sizeof payload, "{\"message\":{\"type\":\"hang\",\"call\":{\"customer\":{\"number\":\"%s\"}}}}", phone);
    add_parked(NULL, "missing-call-id", payload, stray);
}

/* "table.column" of every column of every base table of the public schema
 * that holds needle (any case) in a row of org: tables with org_id by it,
 * organizations by id, the others (parked_messages aside, checked by id)
 * whole. bytea columns are searched for needle's bytes, every other column
 * as text. Comma-separated, malloc'd; "" when none. */
static char *holders(const char *org, const char *needle)
{
    PGresult *cols = PQexec(admin, "SELECT c.table_name, c.column_name, c.data_type,"
                                   " EXISTS (SELECT 1 FROM information_schema.columns o WHERE o.table_schema = 'public'"
                                   " AND o.table_name = c.table_name AND o.column_name = 'org_id')"
                                   " FROM information_schema.columns c JOIN information_schema.tables t"
                                   " ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
                                   " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
                                   " AND c.table_name <> 'parked_messages' ORDER BY c.table_name, c.ordinal_position");
    assert_int_equal(PQresultStatus(cols), PGRES_TUPLES_OK);
    assert_true(PQntuples(cols) > 50);
    vx_buf found = VX_BUF_INIT;
    vx_buf_puts(&found, "");
    int n = PQntuples(cols);
    for (int i = 0; i < n;) {
        const char *table = PQgetvalue(cols, i, 0);
        vx_buf sql = VX_BUF_INIT;
        vx_buf_puts(&sql, "SELECT concat_ws(','");
        int j = i;
        for (; j < n && strcmp(PQgetvalue(cols, j, 0), table) == 0; j++) {
            const char *col = PQgetvalue(cols, j, 1);
            if (strcmp(PQgetvalue(cols, j, 2), "bytea") == 0)
                vx_buf_printf(&sql, ", CASE WHEN bool_or(position(convert_to($2, 'UTF8') IN \"%s\") > 0) THEN '%s.%s' END", col,
                              table, col);
            else
                vx_buf_printf(&sql, ", CASE WHEN bool_or(\"%s\"::text ILIKE '%%' || $2 || '%%') THEN '%s.%s' END", col, table, col);
        }
        const char *scope = PQgetvalue(cols, i, 3)[0] == 't'      ? "org_id = $1::uuid"
                            : strcmp(table, "organizations") == 0 ? "id = $1::uuid"
                                                                  : "$1::uuid IS NOT NULL";
        vx_buf_printf(&sql, ") FROM \"%s\" WHERE %s", table, scope);
        const char *p[2] = {org, needle};
        char *hit = vt_sql_value(admin, sql.data, 2, p);
        if (hit != NULL && hit[0] != '\0')
            vx_buf_printf(&found, "%s%s", found.len > 0 ? "," : "", hit);
        free(hit);
        vx_buf_free(&sql);
        i = j;
    }
    PQclear(cols);
    return vx_buf_steal(&found);
}

/* One digest of every row of org in every table with org_id, and of its
 * organizations row: any change to any of them changes it. The calls stats
 * rollup counts by its sum (call_stats_days): a fold moves figures from
 * deltas into days at any time without changing them (it made this test
 * fail when a fold ran between the two digests). */
static char *org_digest(const char *org)
{
    char *parts = vt_sql_value(admin,
                               "SELECT string_agg(format('(SELECT string_agg(t::text, ''|'' ORDER BY t::text) FROM %I t"
                               " WHERE org_id = $1::uuid)', c.table_name), ', ' ORDER BY c.table_name)"
                               " FROM information_schema.columns c JOIN information_schema.tables t"
                               " ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
                               " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.column_name = 'org_id'"
                               /* The stats rollup's two tables change form, not content, whenever
                                * dashboard-api folds deltas into days: their sum (the view) is compared. */
                               " AND c.table_name NOT IN ('call_stats_delta', 'call_stats_daily')",
                               0, NULL);
    assert_non_null(parts);
    vx_buf sql = VX_BUF_INIT;
    vx_buf_printf(&sql,
                  "SELECT md5(concat((SELECT o::text FROM organizations o WHERE id = $1::uuid),"
                  " (SELECT string_agg(v::text, '|' ORDER BY v::text) FROM call_stats_days v WHERE org_id = $1::uuid), %s))",
                  parts);
    const char *p[1] = {org};
    char *digest = vt_sql_value(admin, sql.data, 1, p);
    vx_buf_free(&sql);
    free(parts);
    return digest;
}

/* A row as text, found by its id column: to prove it did not change. */
static char *row_text(const char *table, const char *key, const char *id)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT t::text FROM %s t WHERE %s::text = $1", table, key);
    const char *p[1] = {id};
    return vt_sql_value(admin, sql, 1, p);
}

static long count_of(const char *sql, const char *a, const char *b)
{
    const char *p[2] = {a, b};
    return vt_sql_long(admin, sql, b != NULL ? 2 : 1, p);
}

static vt_answer erase_as(const char *org, const char *role, const char *id, const char *query)
{
    return vt_dashboard_request(nc, VX_SUBJECT_CONTACTS_DELETE, org, role, id, query, NULL, 0);
}

static vt_answer export_as(const char *org, const char *role, const char *id)
{
    return vt_dashboard_request(nc, VX_SUBJECT_CONTACTS_GDPR_EXPORT, org, role, id, NULL, NULL, 0);
}

/* The string member key of o ("" when absent or not a string). */
static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Fails unless the array arr holds exactly the n ids given in its key member
 * (numbers compared as text). */
static void expect_ids(const cJSON *arr, const char *key, int n, ...)
{
    assert_true(cJSON_IsArray(arr));
    if (cJSON_GetArraySize(arr) != n)
        fail_msg("%s: %d rows, expected %d: %s", key, cJSON_GetArraySize(arr), n, cJSON_PrintUnformatted(arr));
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *want = va_arg(ap, const char *);
        bool found = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, arr)
        {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);
            char num[32];
            if (cJSON_IsNumber(v))
                snprintf(num, sizeof num, "%.0f", v->valuedouble);
            found =
                found || (cJSON_IsString(v) && strcmp(v->valuestring, want) == 0) || (cJSON_IsNumber(v) && strcmp(num, want) == 0);
        }
        if (!found)
            fail_msg("%s %s is not in the export", key, want);
    }
    va_end(ap);
}

/* Fails unless every object of arr has a member for every column of table
 * but those in skip (comma-separated): a column added later must be exported
 * on purpose, or this fails. */
static void expect_every_column(const cJSON *arr, const char *table, const char *skip)
{
    const char *p[2] = {table, skip};
    char *missing =
        vt_sql_value(admin,
                     "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns"
                     " WHERE table_schema = 'public' AND table_name = $1 AND column_name <> ALL (string_to_array($2, ','))",
                     2, p);
    assert_non_null(missing);
    const cJSON *row = cJSON_IsArray(arr) ? cJSON_GetArrayItem(arr, 0) : arr;
    assert_non_null(row);
    char *save = NULL;
    for (char *col = strtok_r(missing, ",", &save); col != NULL; col = strtok_r(NULL, ",", &save))
        if (!cJSON_HasObjectItem(row, col))
            fail_msg("the export of %s lacks column %s", table, col);
    free(missing);
}

static int setup(void **state)
{
    admin = vt_admin();
    service = vt_dashboard_start(&nc, "dashboard-api-gdpr");
    return 0;
}

static int teardown(void **state)
{
    vt_dashboard_stop(service, nc);
    PQfinish(admin);
    return 0;
}

static void test_export_holds_every_row_about_the_contact(void **state)
{
    fixture a, b;
    char stray[24];
    seed_both(&a, &b, stray);

    Voxanne__V1__GatewayResponse *r =
        vt_dashboard_call(nc, VX_SUBJECT_CONTACTS_GDPR_EXPORT, a.org, "owner", a.contact, NULL, NULL, 0);
    assert_int_equal(r->status, 200);
    assert_string_equal(r->content_type, "application/json");
    char disposition[96];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"contact-%s.json\"", a.contact);
    bool has_disposition = false;
    for (size_t i = 0; i < r->n_headers; i++)
        has_disposition = has_disposition || (strcmp(r->headers[i]->key, "content-disposition") == 0 &&
                                              strcmp(r->headers[i]->value, disposition) == 0);
    assert_true(has_disposition);
    char *body = strndup((const char *)r->body.data, r->body.len);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
    cJSON *doc = cJSON_Parse(body);
    assert_non_null(doc);

    assert_string_equal(str(doc, "org_id"), a.org);
    assert_string_equal(str(doc, "contact_id"), a.contact);
    assert_true(strlen(str(doc, "exported_at")) >= 19);
    const cJSON *contact = cJSON_GetObjectItemCaseSensitive(doc, "contact");
    assert_string_equal(str(contact, "id"), a.contact);
    assert_string_equal(str(contact, "phone"), a.phone);
    assert_string_equal(str(contact, "email"), a.email);
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(doc, "calls");
    expect_ids(calls, "id", 3, a.call[0], a.call[1], a.call[2]);
    const cJSON *first = cJSON_GetArrayItem(calls, 0);
    assert_non_null(strstr(str(first, "transcript"), a.phrase));
    assert_non_null(strstr(str(first, "recording_url"), "https://storage.vapi.ai/"));
    const cJSON *customer = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(first, "metadata"), "call"), "customer");
    assert_string_equal(str(customer, "number"), a.phone);
    expect_ids(cJSON_GetObjectItemCaseSensitive(doc, "appointments"), "id", 2, a.appt[0], a.appt[1]);
    expect_ids(cJSON_GetObjectItemCaseSensitive(doc, "tool_calls"), "tool_call_id", 2, a.tool[0], a.tool[1]);
    expect_ids(cJSON_GetObjectItemCaseSensitive(doc, "outbox_jobs"), "id", 2, a.job[0], a.job[1]);
    expect_ids(cJSON_GetObjectItemCaseSensitive(doc, "parked_messages"), "id", 2, a.parked[0], a.parked[1]);
    expect_ids(cJSON_GetObjectItemCaseSensitive(doc, "audit_log"), "id", 0);

    /* Every column of every table, named on purpose (gdpr.c). */
    expect_every_column(contact, "contacts", "org_id");
    expect_every_column(calls, "call_logs", "org_id");
    expect_every_column(cJSON_GetObjectItemCaseSensitive(doc, "appointments"), "appointments", "org_id,blocks");
    expect_every_column(cJSON_GetObjectItemCaseSensitive(doc, "tool_calls"), "tool_calls", "org_id");
    expect_every_column(cJSON_GetObjectItemCaseSensitive(doc, "outbox_jobs"), "work_outbox", "org_id,payload");
    expect_every_column(cJSON_GetObjectItemCaseSensitive(doc, "parked_messages"), "parked_messages", "");

    /* Nothing of B's (same number, same words), nor of A's other contact. */
    /* (Parked messages and jobs have numeric ids: expect_ids above names exactly which are there.) */
    const char *foreign[] = {b.org,     b.contact, b.call[0],   b.call[1],       b.call[2],    b.vapi[0],    b.tool[0],
                             b.appt[0], b.email,   b.assistant, a.other_contact, a.other_call, a.other_vapi, a.other_appt};
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++)
        if (strstr(body, foreign[i]) != NULL)
            fail_msg("the export holds %s, which is not about the contact", foreign[i]);

    /* Audited in the read's transaction, by id only. */
    assert_int_equal(count_of("SELECT count(*) FROM audit_log WHERE org_id = $1::uuid AND action = 'contact.gdpr_export'"
                              " AND target_type = 'contact' AND target_id = $2 AND details = '{}'",
                              a.org, a.contact),
                     1);
    /* A second export shows the first one's entry. */
    vt_answer again = export_as(a.org, "owner", a.contact);
    vt_expect_status(&again, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(again.json, "audit_log")), 1);
    vt_answer_free(&again);
    cJSON_Delete(doc);
    free(body);
}

static void test_refusals_change_nothing(void **state)
{
    fixture a, b;
    char stray[24];
    seed_both(&a, &b, stray);
    char *before_a = org_digest(a.org), *before_b = org_digest(b.org);
    long parked = count_of("SELECT count(*) FROM parked_messages WHERE $1::text IS NOT NULL", "x", NULL);

    /* Staff may delete a contact, never erase one or export everything about them. */
    vt_expect_error(erase_as(a.org, "staff", a.contact, "erase=true"), 403, "forbidden");
    vt_expect_error(export_as(a.org, "staff", a.contact), 403, "forbidden");
    /* Another org's contact is not found, whichever way it is named. */
    vt_expect_error(erase_as(b.org, "owner", a.contact, "erase=true"), 404, "not_found");
    vt_expect_error(export_as(b.org, "owner", a.contact), 404, "not_found");
    /* Bad ids and queries. */
    const char *bad_ids[] = {"not-a-uuid", "", "00000000-0000-0000-0000-00000000000", "' OR 1=1 --"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        vt_expect_error(erase_as(a.org, "owner", bad_ids[i], "erase=true"), 400, "invalid_id");
        vt_expect_error(export_as(a.org, "owner", bad_ids[i]), 400, "invalid_id");
    }
    const char *bad_queries[] = {
        "erase=maybe",           "erase=TRUE", "erase=", "erase", "erase=true&force=1", "force=1&erase=true",
        "erase=true&erase=true", "erase=1"};
    for (size_t i = 0; i < sizeof bad_queries / sizeof bad_queries[0]; i++)
        vt_expect_error(erase_as(a.org, "owner", a.contact, bad_queries[i]), 400, "invalid_query");
    /* No such contact. */
    char unknown[37];
    vt_uuid(unknown);
    vt_expect_error(erase_as(a.org, "owner", unknown, "erase=true"), 404, "not_found");
    vt_expect_error(export_as(a.org, "owner", unknown), 404, "not_found");

    char *after_a = org_digest(a.org), *after_b = org_digest(b.org);
    assert_string_equal(before_a, after_a);
    assert_string_equal(before_b, after_b);
    assert_int_equal(count_of("SELECT count(*) FROM parked_messages WHERE $1::text IS NOT NULL", "x", NULL), parked);
    assert_true(vt_alive(service));
    free(before_a);
    free(before_b);
    free(after_a);
    free(after_b);
}

static void test_erasure_leaves_nothing_of_them(void **state)
{
    fixture a, b;
    char stray[24];
    seed_both(&a, &b, stray);
    const char *needles[] = {a.phone + 1, a.email, a.surname, a.phrase};
    /* The search finds them before (so its silence after means something). */
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
        char *found = holders(a.org, needles[i]);
        if (strstr(found, "contacts.") == NULL || strstr(found, "call_logs.") == NULL)
            fail_msg("the search does not find %s before the erasure: %s", needles[i], found);
        free(found);
    }
    char *found = holders(a.org, a.phone + 1);
    const char *expected[] = {"contacts.phone",           "call_logs.phone_number", "call_logs.from_number",
                              "call_logs.to_number",      "call_logs.transcript",   "call_logs.metadata",
                              "tool_calls.extra",         "work_outbox.payload",    "call_logs.outcome_summary",
                              "call_logs.transfer_reason"};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        if (strstr(found, expected[i]) == NULL)
            fail_msg("the search misses %s before the erasure: %s", expected[i], found);
    free(found);
    char *before_b = org_digest(b.org);
    const char *others[][3] = {{"contacts", "id", a.other_contact},
                               {"call_logs", "id", a.other_call},
                               {"tool_calls", "tool_call_id", a.other_tool},
                               {"appointments", "id", a.other_appt},
                               {"work_outbox", "id", a.other_job}};
    char *other_rows[5];
    for (size_t i = 0; i < 5; i++)
        other_rows[i] = row_text(others[i][0], others[i][1], others[i][2]);
    char *appt_before = vt_sql_value(admin,
                                     "SELECT string_agg(concat_ws(' ', id, service_name, starts_at, ends_at, status),"
                                     " '|' ORDER BY id) FROM appointments WHERE contact_id = $1",
                                     1, (const char *[]){a.contact});
    char *calls_before = vt_sql_value(admin,
                                      "SELECT string_agg(concat_ws(' ', id, vapi_call_id, duration_seconds, total_cost,"
                                      " status, outcome, lead_score, lead_tier, started_at), '|' ORDER BY id)"
                                      " FROM call_logs WHERE id IN ($1::uuid, $2::uuid, $3::uuid)",
                                      3, (const char *[]){a.call[0], a.call[1], a.call[2]});

    vt_answer r = erase_as(a.org, "owner", a.contact, "erase=true");
    vt_expect_status(&r, 200);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r.json, "erased")));
    assert_string_equal(str(r.json, "id"), a.contact);
    const struct {
        const char *key;
        int n;
    } counts[] = {{"calls_cleared", 3},
                  {"tool_calls_cleared", 2},
                  {"appointments_anonymised", 2},
                  {"outbox_jobs_deleted", 2},
                  {"parked_messages_deleted", 2}};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(r.json, counts[i].key);
        if (!cJSON_IsNumber(v) || v->valueint != counts[i].n)
            fail_msg("%s: expected %d in %s", counts[i].key, counts[i].n, r.body);
    }
    vt_answer_free(&r);

    /* No row of org A holds their number, e-mail, surname or words, in any column of any table. */
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
        found = holders(a.org, needles[i]);
        if (found[0] != '\0')
            fail_msg("after the erasure, %s is still in %s", needles[i], found);
        free(found);
        /* Parked messages: only B's and the one naming no org still hold them. */
        const char *p[3] = {needles[i], b.parked[0], b.parked[1]};
        char *left = vt_sql_value(admin,
                                  "SELECT string_agg(id::text, ',') FROM parked_messages WHERE payload::text ILIKE"
                                  " '%' || $1 || '%' AND id::text <> ALL (ARRAY[$2, $3])",
                                  3, p);
        if (left != NULL && strcmp(left, stray) != 0)
            fail_msg("after the erasure, parked messages %s still hold %s", left, needles[i]);
        free(left);
    }
    assert_int_equal(count_of("SELECT count(*) FROM parked_messages WHERE id::text IN ($1, $2)", a.parked[0], a.parked[1]), 0);
    assert_int_equal(count_of("SELECT count(*) FROM parked_messages WHERE id::text IN ($1, $2)", b.parked[0], b.parked[1]), 2);

    /* Org B, and A's unrelated contact, exactly as they were. */
    char *after_b = org_digest(b.org);
    assert_string_equal(before_b, after_b);
    for (size_t i = 0; i < 5; i++) {
        char *now = row_text(others[i][0], others[i][1], others[i][2]);
        assert_non_null(now);
        assert_string_equal(other_rows[i], now);
        free(now);
        free(other_rows[i]);
    }

    /* The clinic's books: the appointments with their times and status, no one's; the calls with their figures. */
    char *appt_after = vt_sql_value(admin,
                                    "SELECT string_agg(concat_ws(' ', id, service_name, starts_at, ends_at, status),"
                                    " '|' ORDER BY id) FROM appointments WHERE id IN ($1::uuid, $2::uuid)"
                                    " AND contact_id IS NULL AND notes IS NULL",
                                    2, (const char *[]){a.appt[0], a.appt[1]});
    assert_non_null(appt_after);
    assert_string_equal(appt_before, appt_after);
    char *calls_after = vt_sql_value(admin,
                                     "SELECT string_agg(concat_ws(' ', id, vapi_call_id, duration_seconds, total_cost,"
                                     " status, outcome, lead_score, lead_tier, started_at), '|' ORDER BY id)"
                                     " FROM call_logs WHERE id IN ($1::uuid, $2::uuid, $3::uuid) AND contact_id IS NULL"
                                     " AND transcript IS NULL AND recording_url IS NULL AND stereo_recording_url IS NULL"
                                     " AND caller_name IS NULL AND phone_number IS NULL",
                                     3, (const char *[]){a.call[0], a.call[1], a.call[2]});
    assert_non_null(calls_after);
    assert_string_equal(calls_before, calls_after);
    /* The clinic's own numbers stay; what is left of the metadata is figures. */
    assert_int_equal(count_of("SELECT count(*) FROM call_logs WHERE id IN ($1::uuid, $2::uuid) AND to_number IS NOT NULL"
                              " AND from_number IS NULL",
                              a.call[0], a.call[1]),
                     2);
    assert_int_equal(
        count_of("SELECT count(*) FROM call_logs WHERE id = $1::uuid AND from_number IS NOT NULL AND to_number IS NULL", a.call[2],
                 NULL),
        1);
    assert_int_equal(
        count_of("SELECT count(*) FROM call_logs WHERE id = $1::uuid AND metadata = '{\"erased\": true,"
                 " \"source\": \"vapi-webhook\", \"endedReason\": \"customer-ended-call\", \"successEvaluation\": true,"
                 " \"redactions\": {\"card\": 0, \"ssn\": 0, \"dob\": 0, \"email\": 1, \"phone\": 0},"
                 " \"sentimentAnalysis\": {\"label\": \"positive\", \"score\": 0.8, \"urgency\": \"low\"}}'::jsonb",
                 a.call[0], NULL),
        1);
    assert_int_equal(count_of("SELECT count(*) FROM tool_calls WHERE tool_call_id IN ($1, $2) AND result_text = '[erased]'"
                              " AND extra IS NULL",
                              a.tool[0], a.tool[1]),
                     2);
    assert_int_equal(count_of("SELECT count(*) FROM contacts WHERE id = $1::uuid", a.contact, NULL), 0);

    /* Audited with ids and counts (the search above found nothing of them in audit_log either). */
    char *details = vt_sql_value(admin,
                                 "SELECT details::text FROM audit_log WHERE org_id = $1::uuid AND action = 'contact.gdpr_erase'"
                                 " AND target_type = 'contact' AND target_id = $2 AND actor_role = 'owner'",
                                 2, (const char *[]){a.org, a.contact});
    assert_non_null(details);
    assert_non_null(strstr(details, "\"calls_cleared\": 3"));
    free(details);

    /* Erased is gone: a second erasure or an export finds nothing, and changes nothing. */
    char *before_a = org_digest(a.org);
    vt_expect_error(erase_as(a.org, "owner", a.contact, "erase=true"), 404, "not_found");
    vt_expect_error(export_as(a.org, "owner", a.contact), 404, "not_found");
    char *after_a = org_digest(a.org);
    assert_string_equal(before_a, after_a);
    assert_int_equal(
        count_of("SELECT count(*) FROM audit_log WHERE action = 'contact.gdpr_erase' AND target_id = $1", a.contact, NULL), 1);

    free(before_a);
    free(after_a);
    free(before_b);
    free(after_b);
    free(appt_before);
    free(appt_after);
    free(calls_before);
    free(calls_after);
}

/* A contact with nothing but their row is erased too, and the plain delete
 * (erase=false) stays what it was: the calls unlinked, not cleared. */
static void test_a_bare_contact_and_the_plain_delete(void **state)
{
    char org[37], phone[16], bare[37], plain[37], call[37], vapi[48], u[37];
    vt_create_org(admin, "GDPR plain", NULL, NULL, NULL, org);
    vt_random_e164(phone);
    const char *pc[2] = {org, phone};
    sql_into(plain, sizeof plain, "INSERT INTO contacts (org_id, phone) VALUES ($1, $2) RETURNING id", 2, pc);
    vt_uuid(u);
    snprintf(vapi, sizeof vapi, "call-%s", u);
    const char *pl[4] = {org, vapi, plain, phone};
    sql_into(call, sizeof call,
             "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, contact_id, phone_number, transcript)"
             " VALUES ($1, $2, 'vapi-' || $2, $3, $4, 'kept by a plain delete') RETURNING id",
             4, pl);
    vt_answer r = erase_as(org, "staff", plain, "erase=false");
    vt_expect_status(&r, 200);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r.json, "deleted")));
    vt_answer_free(&r);
    assert_int_equal(
        count_of("SELECT count(*) FROM call_logs WHERE id = $1::uuid AND contact_id IS NULL AND phone_number IS NOT NULL"
                 " AND transcript = 'kept by a plain delete'",
                 call, NULL),
        1);
    assert_int_equal(count_of("SELECT count(*) FROM audit_log WHERE target_id = $1 AND action = 'contact.deleted'", plain, NULL),
                     1);

    vt_random_e164(phone);
    sql_into(bare, sizeof bare, "INSERT INTO contacts (org_id, phone) VALUES ($1, $2) RETURNING id", 2, pc);
    r = erase_as(org, "owner", bare, "erase=true");
    vt_expect_status(&r, 200);
    assert_string_equal(str(r.json, "id"), bare);
    const char *zero[] = {"calls_cleared", "tool_calls_cleared", "appointments_anonymised", "outbox_jobs_deleted",
                          "parked_messages_deleted"};
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(r.json, zero[i]);
        assert_true(cJSON_IsNumber(v) && v->valueint == 0);
    }
    vt_answer_free(&r);
    assert_int_equal(count_of("SELECT count(*) FROM contacts WHERE id = $1::uuid", bare, NULL), 0);
    /* The call of the contact deleted before is not theirs: untouched. */
    assert_int_equal(
        count_of("SELECT count(*) FROM call_logs WHERE id = $1::uuid AND transcript = 'kept by a plain delete'", call, NULL), 1);
}

/* More than one NATS message can carry: refused in words, nothing audited. */
static void test_an_export_too_large_is_refused(void **state)
{
    char org[37], phone[16], contact[37];
    vt_create_org(admin, "GDPR large", NULL, NULL, NULL, org);
    vt_random_e164(phone);
    const char *pc[2] = {org, phone};
    sql_into(contact, sizeof contact, "INSERT INTO contacts (org_id, phone) VALUES ($1, $2) RETURNING id", 2, pc);
    const char *pl[2] = {org, contact};
    vt_sql_exec(admin,
                "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, contact_id, transcript)"
                " SELECT $1, 'large-' || $2 || '-' || n, 'vapi-large-' || $2 || '-' || n, $2::uuid, repeat('User: hello. ', 80000)"
                " FROM generate_series(1, 7) AS n",
                2, pl);
    vt_expect_error(export_as(org, "owner", contact), 500, "export_too_large");
    assert_int_equal(count_of("SELECT count(*) FROM audit_log WHERE org_id = $1::uuid", org, NULL), 0);
    assert_true(vt_alive(service));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_holds_every_row_about_the_contact), cmocka_unit_test(test_refusals_change_nothing),
        cmocka_unit_test(test_erasure_leaves_nothing_of_them),           cmocka_unit_test(test_a_bare_contact_and_the_plain_delete),
        cmocka_unit_test(test_an_export_too_large_is_refused),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    nats_Close();
    return rc;
}
