/*
 * The calls dashboard (services/dashboard-api/calls.c) as a real process on
 * real NATS and PostgreSQL, spoken to as the gateway speaks to it (a signed
 * GatewayRequest on rpc.dashboard.calls.*).
 *
 * Covered: every filter of GET /api/calls against rows of known values;
 * cursor paging that walks every row once, in order, and stops; cursors that
 * are garbage, edited or another org's; the total capped past 10,000; the
 * stats of a known data set to the cent; org A never seeing org B's calls in
 * the list, the stats or the recent activity; the staff role; a 400
 * {"error", "code"} and nothing else for a bad value of every parameter.
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
#include "vx_crypto.h"
#include "vx_time.h"

#define LIST  "rpc.dashboard.calls.list"
#define STATS "rpc.dashboard.calls.stats"

static natsConnection *nc;
static PGconn *admin;
static pid_t service;
static char org_a[37], org_b[37], org_c[37];
static char tag[9]; /* this run's prefix of vapi_call_id: the column is unique across orgs */

/* Org A's calls: each filter's answer is known from this table. */
typedef struct known_call {
    const char *name; /* vapi_call_id = tag-name */
    const char *at;   /* NULL: a day before now */
    const char *type, *status, *outcome, *tier, *label, *score, *booked, *value, *duration, *caller, *phone;
} known_call;

static const known_call CALLS_A[] = {
    {"a1", "2025-06-01T10:00:00Z", "inbound", "completed", "completed", "hot", "positive", "0.9", "true", "400.00", "120",
     "Jane Doe", "+14155550101"},
    {"a2", "2025-06-02T10:00:00Z", "inbound", "completed", "completed", "warm", "Very negative", NULL, "false", "150.00", "60",
     "John Smith", "+14155550102"},
    {"a3", "2025-06-03T10:00:00Z", "outbound", "completed", "completed", "cold", NULL, "0.5", "true", "8000.00", "300", "Ann Lee",
     "+14155550103"},
    {"a4", "2025-06-04T10:00:00Z", "web", "in-progress", NULL, NULL, NULL, NULL, "false", NULL, NULL, "Unknown Caller", NULL},
    {"a5", "2025-06-05T10:00:00Z", "inbound", "ended", "voicemail", "hot", "negative", "0.1", "false", NULL, "45", "Bob 100%_Jones",
     "+14155550105"},
    {"a6", "2025-06-06T10:00:00Z", "inbound", "completed", "completed", "cold", "neutral", NULL, "false", NULL, "90", "Jane Roe",
     "+442071234567"},
    {"a7", "2025-06-07T10:00:00Z", "inbound", "completed", "completed", "warm", "Satisfied customer", NULL, "true", "500.00", "30",
     "Carl Tie", "+14155550107"},
    {"a8", "2025-06-07T10:00:00Z", "inbound", "completed", "completed", "warm", NULL, "0.7", "false", NULL, "30", "Dana Tie",
     "+14155550108"},
    {"a9", "2025-07-15T10:00:00Z", "inbound", "completed", "completed", "hot", "positive", NULL, "true", "1000.00", "600",
     "Late Caller", "+14155550109"},
    {"a10", NULL, "inbound", "completed", "completed", "cold", "neutral", NULL, "false", NULL, "10", "Recent Caller",
     "+14155550110"},
};

/* Org B's: in the same window, with the same names and numbers, and worth more. */
static const known_call CALLS_B[] = {
    {"b1", "2025-06-02T12:00:00Z", "inbound", "completed", "completed", "hot", "positive", NULL, "true", "99999.00", "999",
     "Jane Doe", "+14155550101"},
    {"b2", "2025-06-07T10:00:00Z", "inbound", "in-progress", NULL, "warm", "negative", NULL, "false", NULL, NULL, "Jane Roe",
     "+442071234567"},
    {"b3", NULL, "outbound", "completed", "voicemail", "cold", NULL, NULL, "true", "5.00", "1", "Other Org", "+14155550199"},
};

#define C_CALLS 53 /* org C: calls for the paging walk, many on the same microsecond */

static void insert_calls(const char *org, const known_call *calls, size_t n)
{
    char yesterday[25];
    vx_time_format_iso(vx_now_ms() - 86400000LL, yesterday);
    for (size_t i = 0; i < n; i++) {
        const known_call *c = &calls[i];
        char vapi_id[32];
        snprintf(vapi_id, sizeof(vapi_id), "%s-%s", tag, c->name);
        const char *p[15] = {org,       vapi_id,   c->at != NULL ? c->at : yesterday,
                             c->type,   c->status, c->outcome,
                             c->tier,   c->label,  c->score,
                             c->booked, c->value,  c->duration,
                             c->caller, c->phone,  NULL};
        vt_sql_exec(admin,
                    "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, created_at, call_type, status, outcome, lead_tier,"
                    " sentiment, sentiment_label, sentiment_score, booking_confirmed, financial_value, duration_seconds,"
                    " caller_name, phone_number, from_number)"
                    " VALUES ($1, $2, 'vapi-' || $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13, $14, $14)",
                    14, p);
    }
}

static int setup(void **state)
{
    admin = vt_admin();
    char run[37];
    vt_uuid(run);
    snprintf(tag, sizeof(tag), "%.8s", run);
    vt_create_org(admin, "Calls A", NULL, NULL, NULL, org_a);
    vt_create_org(admin, "Calls B", NULL, NULL, NULL, org_b);
    vt_create_org(admin, "Calls C", NULL, NULL, NULL, org_c);
    insert_calls(org_a, CALLS_A, sizeof(CALLS_A) / sizeof(CALLS_A[0]));
    insert_calls(org_b, CALLS_B, sizeof(CALLS_B) / sizeof(CALLS_B[0]));
    /* Groups of three on one instant, some a microsecond apart: the order
     * (created_at DESC, id DESC) must survive the cursor's round trip. */
    const char *pc[3] = {org_c, tag, "53"};
    vt_sql_exec(admin,
                "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, created_at, lead_tier, caller_name)"
                " SELECT $1, $2::text || '-c' || g, 'x', timestamptz '2025-03-01 00:00:00+00' + (g / 3) * interval '1 minute'"
                " + CASE WHEN g % 5 = 0 THEN interval '1 microsecond' ELSE interval '0' END,"
                " (ARRAY['hot', 'warm', 'cold'])[1 + g % 3], 'Walker ' || g FROM generate_series(1, $3::int) g",
                3, pc);
    service = vt_dashboard_start(&nc, "dashboard-api-calls");
    return 0;
}

static int teardown(void **state)
{
    vt_dashboard_stop(service, nc);
    PQfinish(admin);
    return 0;
}

/* The answer to query on subject for a dashboard token of org with role. */
static Voxanne__V1__GatewayResponse *ask_as(const char *subject, const char *org, const char *role, const char *query)
{
    return vt_dashboard_call(nc, subject, org, role, NULL, query, NULL, 0);
}

/* The JSON body of a 200 answer (cJSON_Delete it); fails on any other. */
static cJSON *ok_json_as(const char *subject, const char *org, const char *role, const char *query)
{
    Voxanne__V1__GatewayResponse *r = ask_as(subject, org, role, query);
    char *body = strndup((const char *)r->body.data, r->body.len);
    assert_non_null(body);
    if (r->status != 200)
        fail_msg("%s?%s: expected 200, got %u: %s", subject, query, r->status, body);
    cJSON *json = cJSON_Parse(body);
    if (json == NULL)
        fail_msg("%s?%s: not JSON: %s", subject, query, body);
    free(body);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
    return json;
}

static cJSON *ok_json(const char *subject, const char *org, const char *query)
{
    return ok_json_as(subject, org, "owner", query);
}

/* Fails unless query gets a 400 whose body is exactly {"error": <naming param>, "code": "invalid_query"}. */
static void assert_invalid(const char *subject, const char *query, const char *param)
{
    Voxanne__V1__GatewayResponse *r = ask_as(subject, org_a, "owner", query);
    char *body = strndup((const char *)r->body.data, r->body.len);
    assert_non_null(body);
    cJSON *json = cJSON_Parse(body);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(json, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(json, "code");
    if (r->status != 400 || json == NULL || cJSON_GetArraySize(json) != 2 || !cJSON_IsString(error) || !cJSON_IsString(code) ||
        strcmp(code->valuestring, "invalid_query") != 0 || strstr(error->valuestring, param) == NULL)
        fail_msg("%s?%s: expected a 400 invalid_query naming %s, got %u: %s", subject, query, param, r->status, body);
    cJSON_Delete(json);
    free(body);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Fails unless the list for query (org A) holds exactly the calls named in want (space-separated). */
static void expect_calls(const char *query, const char *want)
{
    char q[512];
    snprintf(q, sizeof(q), "limit=100&%s", query);
    cJSON *json = ok_json(LIST, org_a, q);
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(json, "calls");
    assert_true(cJSON_IsArray(calls));
    char got[512] = "", names[512];
    const char *sorted[64];
    size_t n = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, calls)
    {
        const char *vapi_id = cJSON_GetObjectItemCaseSensitive(c, "vapi_call_id")->valuestring;
        if (strncmp(vapi_id, tag, strlen(tag)) != 0)
            fail_msg("%s: a call of another run or org: %s", query, vapi_id);
        assert_true(n < 64);
        sorted[n++] = vapi_id + strlen(tag) + 1;
    }
    qsort(sorted, n, sizeof(sorted[0]), compare_strings);
    for (size_t i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "", sorted[i]);
    /* want, sorted the same way */
    snprintf(names, sizeof(names), "%s", want);
    const char *wanted[64];
    size_t m = 0;
    for (char *save = NULL, *t = strtok_r(names, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save))
        wanted[m++] = t;
    qsort(wanted, m, sizeof(wanted[0]), compare_strings);
    char want_sorted[512] = "";
    for (size_t i = 0; i < m; i++)
        snprintf(want_sorted + strlen(want_sorted), sizeof(want_sorted) - strlen(want_sorted), "%s%s", i ? " " : "", wanted[i]);
    if (strcmp(got, want_sorted) != 0)
        fail_msg("%s: expected [%s], got [%s]", query, want_sorted, got);
    const cJSON *pagination = cJSON_GetObjectItemCaseSensitive(json, "pagination");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(pagination, "total");
    assert_true(cJSON_IsNumber(total));
    assert_int_equal((size_t)total->valuedouble, m);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(pagination, "total_capped")));
    cJSON_Delete(json);
}

static void test_every_filter(void **state)
{
    expect_calls("", "a1 a2 a3 a4 a5 a6 a7 a8 a9 a10");
    expect_calls("status=in-progress", "a4");
    expect_calls("status=ended", "a5");
    expect_calls("status=completed", "a1 a2 a3 a6 a7 a8 a9 a10");
    expect_calls("status=queued", "");
    expect_calls("outcome=voicemail", "a5");
    expect_calls("outcome=completed", "a1 a2 a3 a6 a7 a8 a9 a10");
    expect_calls("lead_tier=hot", "a1 a5 a9");
    expect_calls("lead_tier=warm", "a2 a7 a8");
    expect_calls("lead_tier=cold", "a3 a6 a10");
    /* The polarity of the stored label and score, as the analytics read it. */
    expect_calls("sentiment=positive", "a1 a7 a8 a9");
    expect_calls("sentiment=negative", "a2 a5");
    expect_calls("sentiment=neutral", "a3 a6 a10");
    expect_calls("call_type=inbound", "a1 a2 a5 a6 a7 a8 a9 a10");
    expect_calls("call_type=outbound", "a3");
    expect_calls("call_type=web", "a4");
    /* Search: names case-insensitively, numbers by their digits, wildcards as themselves. */
    expect_calls("q=jane", "a1 a6");
    expect_calls("q=JANE+DOE", "a1");
    expect_calls("q=%25", "a5");
    expect_calls("q=_", "a5");
    expect_calls("q=100%25_j", "a5");
    expect_calls("q=555-0102", "a2");
    expect_calls("q=(415)%20555-01", "a1 a2 a3 a5 a7 a8 a9 a10");
    expect_calls("q=%2B44", "a6");
    expect_calls("q=+44", "a6"); /* a '+' sent unencoded is a space: the digits still match */
    expect_calls("q=nobody", "");
    expect_calls("q=", "a1 a2 a3 a4 a5 a6 a7 a8 a9 a10");
    /* from inclusive, to exclusive; a date as to takes in its whole day. */
    expect_calls("from=2025-06-03&to=2025-06-05", "a3 a4 a5");
    expect_calls("from=2025-06-01&to=2025-06-07T10:00:00Z", "a1 a2 a3 a4 a5 a6");
    expect_calls("from=2025-06-07T10:00:00Z&to=2025-06-07T10:00:00.001Z", "a7 a8");
    expect_calls("from=2025-06-07T12:00:00%2B02:00&to=2025-06-07T12:00:00.001%2B02:00", "a7 a8");
    expect_calls("from=2025-07-01", "a9 a10");
    expect_calls("to=2025-06-01", "a1");
    /* Together. */
    expect_calls("lead_tier=warm&sentiment=positive", "a7 a8");
    expect_calls("call_type=inbound&status=completed&from=2025-06-06", "a6 a7 a8 a9 a10");
    expect_calls("q=jane&lead_tier=cold&from=2025-06-01&to=2025-06-30", "a6");
}

/* The list items carry the analytics, as stored. */
static void test_items_carry_the_analytics(void **state)
{
    cJSON *json = ok_json(LIST, org_a, "q=Jane+Doe");
    const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(json, "calls"), 0);
    assert_non_null(c);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(c, "lead_tier")->valuestring, "hot");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "booking_confirmed")));
    assert_true(cJSON_GetObjectItemCaseSensitive(c, "financial_value")->valuedouble == 400.0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(c, "sentiment_label")->valuestring, "positive");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(c, "lead_score")) ||
                cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(c, "lead_score")));
    assert_null(cJSON_GetObjectItemCaseSensitive(c, "transcript"));
    assert_null(cJSON_GetObjectItemCaseSensitive(c, "org_id"));
    cJSON_Delete(json);
}

/* The vapi_call_ids of org C, newest first, as the database orders them. */
static char **ordered_c(const char *filter_sql, size_t *n)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT vapi_call_id FROM call_logs WHERE org_id = $1 %s ORDER BY created_at DESC, id DESC",
             filter_sql);
    const char *p[1] = {org_c};
    PGresult *res = PQexecParams(admin, sql, 1, NULL, p, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    *n = (size_t)PQntuples(res);
    char **ids = calloc(*n + 1, sizeof(*ids));
    assert_non_null(ids);
    for (size_t i = 0; i < *n; i++)
        ids[i] = strdup(PQgetvalue(res, (int)i, 0));
    PQclear(res);
    return ids;
}

/* Walks org C's list (filter, limit) from the first page along next_cursor,
 * and fails unless it sees exactly the database's order, each call once. */
static void walk(const char *filter, const char *filter_sql, long limit)
{
    size_t n;
    char **want = ordered_c(filter_sql, &n);
    size_t seen = 0, pages = 0;
    char cursor[128] = "";
    for (;;) {
        char q[256];
        if (cursor[0] == '\0')
            snprintf(q, sizeof(q), "limit=%ld%s", limit, filter);
        else
            snprintf(q, sizeof(q), "limit=%ld&cursor=%s%s", limit, cursor, filter);
        cJSON *json = ok_json(LIST, org_c, q);
        const cJSON *pagination = cJSON_GetObjectItemCaseSensitive(json, "pagination");
        if (cursor[0] != '\0') { /* keyset pages count nothing */
            assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(pagination, "total")));
            assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(pagination, "page")));
        } else {
            assert_int_equal((size_t)cJSON_GetObjectItemCaseSensitive(pagination, "total")->valuedouble, n);
        }
        const cJSON *c;
        size_t on_page = 0;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(json, "calls"))
        {
            const char *id = cJSON_GetObjectItemCaseSensitive(c, "vapi_call_id")->valuestring;
            if (seen >= n || strcmp(id, want[seen]) != 0)
                fail_msg("walk%s limit %ld: call %zu is %s, expected %s", filter, limit, seen, id, seen < n ? want[seen] : "none");
            seen++;
            on_page++;
        }
        pages++;
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(json, "next_cursor");
        if (cJSON_IsNull(next)) {
            cJSON_Delete(json);
            break;
        }
        assert_true(cJSON_IsString(next));
        assert_int_equal(on_page, (size_t)limit); /* only a full page has a next one */
        snprintf(cursor, sizeof(cursor), "%s", next->valuestring);
        cJSON_Delete(json);
        assert_true(pages <= n + 1);
    }
    if (seen != n)
        fail_msg("walk%s limit %ld: saw %zu of %zu calls", filter, limit, seen, n);
    assert_int_equal(pages, n == 0 ? 1 : (n + (size_t)limit - 1) / (size_t)limit);
    for (size_t i = 0; i < n; i++)
        free(want[i]);
    free(want);
}

static void test_cursor_walks_every_call_once_in_order(void **state)
{
    walk("", "", 7);
    walk("", "", 1);
    walk("", "", C_CALLS); /* exactly one full page: no next one */
    walk("", "", 100);
    walk("&lead_tier=hot", "AND lead_tier = 'hot'", 4);
    walk("&q=walker+1", "AND caller_name ILIKE '%walker 1%'", 3);
    walk("&from=2025-03-01T00:05:00Z&to=2025-03-01T00:12:00Z",
         "AND created_at >= '2025-03-01T00:05:00Z' AND created_at < '2025-03-01T00:12:00Z'", 5);
}

/* A page's next_cursor continues offset paging exactly where page 2 would. */
static void test_next_cursor_after_a_page(void **state)
{
    cJSON *first = ok_json(LIST, org_c, "limit=10&page=2");
    cJSON *third = ok_json(LIST, org_c, "limit=10&page=3");
    char q[128];
    snprintf(q, sizeof(q), "limit=10&cursor=%s", cJSON_GetObjectItemCaseSensitive(first, "next_cursor")->valuestring);
    cJSON *after = ok_json(LIST, org_c, q);
    char *a = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(third, "calls"));
    char *b = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(after, "calls"));
    assert_string_equal(a, b);
    free(a);
    free(b);
    cJSON_Delete(first);
    cJSON_Delete(third);
    cJSON_Delete(after);
}

static void test_bad_cursors_are_refused(void **state)
{
    cJSON *json = ok_json(LIST, org_a, "limit=2");
    char cursor[128], q[256];
    snprintf(cursor, sizeof(cursor), "%s", cJSON_GetObjectItemCaseSensitive(json, "next_cursor")->valuestring);
    cJSON_Delete(json);
    /* Edited anywhere. */
    for (size_t i = 0; cursor[i] != '\0'; i++) {
        char edited[128];
        snprintf(edited, sizeof(edited), "%s", cursor);
        edited[i] = edited[i] == 'A' ? 'B' : 'A';
        snprintf(q, sizeof(q), "cursor=%s", edited);
        assert_invalid(LIST, q, "cursor");
    }
    static const char *const garbage[] = {"cursor=", "cursor=garbage", "cursor=%00", "cursor=null", "cursor=AAAA", "cursor=%ZZ"};
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
        assert_invalid(LIST, garbage[i], "cursor");
    /* A cursor and a page: which one? */
    snprintf(q, sizeof(q), "cursor=%s&page=2", cursor);
    assert_invalid(LIST, q, "cursor");
    /* Org B's own cursor means nothing to org A. */
    json = ok_json(LIST, org_b, "limit=1");
    snprintf(q, sizeof(q), "cursor=%s", cJSON_GetObjectItemCaseSensitive(json, "next_cursor")->valuestring);
    cJSON_Delete(json);
    assert_invalid(LIST, q, "cursor");
}

static double number(const cJSON *obj, const char *key);

/* Past 10,000 matches the total says so instead of counting them all. */
static void test_total_is_capped(void **state)
{
    char org_d[37];
    vt_create_org(admin, "Calls D", NULL, NULL, NULL, org_d);
    const char *p[2] = {org_d, tag};
    vt_sql_exec(admin,
                "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, created_at, lead_tier)"
                " SELECT $1, $2::text || '-d' || g, 'x', now() - g * interval '1 second', (ARRAY['hot', 'warm', 'cold'])[1 + g % 3]"
                " FROM generate_series(1, 10050) g",
                2, p);
    static const struct {
        const char *query;
        double total;
        bool capped;
        int calls;
    } cases[] = {
        {"limit=10", 10000, true, 10},
        {"limit=10&lead_tier=hot", 3350, false, 10},          /* counted: fewer than the cap */
        {"limit=10&page=1005", 10050, false, 10},             /* the last page knows the total without counting */
        {"limit=100&page=101&lead_tier=hot", 3350, false, 0}, /* past the end: counted */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *json = ok_json(LIST, org_d, cases[i].query);
        const cJSON *pagination = cJSON_GetObjectItemCaseSensitive(json, "pagination");
        if (number(pagination, "total") != cases[i].total ||
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pagination, "total_capped")) != cases[i].capped ||
            cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(json, "calls")) != cases[i].calls) {
            char *text = cJSON_PrintUnformatted(pagination);
            fail_msg("%s: %s", cases[i].query, text);
        }
        cJSON_Delete(json);
    }
    const char *pd[1] = {org_d};
    vt_sql_exec(admin, "DELETE FROM organizations WHERE id = $1", 1, pd);
}

static double number(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        fail_msg("%s is not a number", key);
    return v->valuedouble;
}

static void assert_near(double got, double want)
{
    if (got < want - 1e-9 || got > want + 1e-9)
        fail_msg("expected %.6f, got %.6f", want, got);
}

static void test_stats_of_a_known_window(void **state)
{
    cJSON *s = ok_json(STATS, org_a, "from=2025-06-01&to=2025-06-30");
    int64_t from, to;
    assert_true(vx_time_parse_iso(cJSON_GetObjectItemCaseSensitive(s, "from")->valuestring, &from));
    assert_true(vx_time_parse_iso(cJSON_GetObjectItemCaseSensitive(s, "to")->valuestring, &to));
    assert_int_equal(from, 1748736000000LL); /* 2025-06-01T00:00:00Z */
    assert_int_equal(to, 1751328000000LL);   /* 2025-07-01T00:00:00Z: all of the 30th */
    assert_near(number(s, "total_calls"), 8);
    assert_near(number(s, "inbound_calls"), 6);
    assert_near(number(s, "bookings"), 3);
    assert_near(number(s, "inbound_bookings"), 2);
    assert_near(number(s, "success_rate"), 0.3333); /* 2 of 6 inbound calls booked */
    assert_near(number(s, "pipeline_value"), 9050.00);
    assert_near(number(s, "average_duration_seconds"), 96.4); /* 675 s over the 7 calls with a duration */
    const cJSON *tiers = cJSON_GetObjectItemCaseSensitive(s, "calls_by_lead_tier");
    assert_near(number(tiers, "hot"), 2);
    assert_near(number(tiers, "warm"), 3);
    assert_near(number(tiers, "cold"), 2);
    assert_near(number(tiers, "unscored"), 1);
    const cJSON *sentiments = cJSON_GetObjectItemCaseSensitive(s, "calls_by_sentiment");
    assert_near(number(sentiments, "positive"), 3);
    assert_near(number(sentiments, "neutral"), 2);
    assert_near(number(sentiments, "negative"), 2);
    assert_near(number(sentiments, "unknown"), 1);
    /* Recent activity: the window's calls, newest first, with just their summary. */
    const cJSON *recent = cJSON_GetObjectItemCaseSensitive(s, "recent_activity");
    assert_int_equal(cJSON_GetArraySize(recent), 8);
    const cJSON *first = cJSON_GetArrayItem(recent, 0), *last = cJSON_GetArrayItem(recent, 7);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(first, "caller_name")->valuestring + 5, "Tie");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(last, "caller_name")->valuestring, "Jane Doe");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(last, "phone_number")->valuestring, "+14155550101");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(last, "outcome")->valuestring, "completed");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(last, "lead_tier")->valuestring, "hot");
    assert_int_equal(cJSON_GetArraySize(last), 6); /* id, caller_name, phone_number, outcome, lead_tier, created_at */
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(last, "id")));
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(last, "created_at")));
    cJSON_Delete(s);

    /* No inbound call: a success rate of 0, not a division by zero. */
    s = ok_json(STATS, org_a, "from=2025-06-03&to=2025-06-04");
    assert_near(number(s, "total_calls"), 2);
    assert_near(number(s, "inbound_calls"), 0);
    assert_near(number(s, "success_rate"), 0);
    assert_near(number(s, "pipeline_value"), 8000);
    assert_near(number(s, "average_duration_seconds"), 300);
    cJSON_Delete(s);
    /* Nothing at all. */
    s = ok_json(STATS, org_a, "from=2020-01-01&to=2020-02-01");
    assert_near(number(s, "total_calls"), 0);
    assert_near(number(s, "pipeline_value"), 0);
    assert_near(number(s, "average_duration_seconds"), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "recent_activity")), 0);
    cJSON_Delete(s);
}

static void test_stats_default_window_and_recent_activity(void **state)
{
    /* The last 30 days: only a10 (a day old). */
    cJSON *s = ok_json(STATS, org_a, "");
    int64_t from, to;
    assert_true(vx_time_parse_iso(cJSON_GetObjectItemCaseSensitive(s, "from")->valuestring, &from));
    assert_true(vx_time_parse_iso(cJSON_GetObjectItemCaseSensitive(s, "to")->valuestring, &to));
    assert_int_equal(to - from, 30LL * 86400000);
    assert_true(to <= vx_now_ms() && to > vx_now_ms() - 60000);
    assert_near(number(s, "total_calls"), 1);
    const cJSON *recent = cJSON_GetObjectItemCaseSensitive(s, "recent_activity");
    assert_int_equal(cJSON_GetArraySize(recent), 1);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(recent, 0), "caller_name")->valuestring,
                        "Recent Caller");
    cJSON_Delete(s);
    /* to alone: the 30 days before it. */
    s = ok_json(STATS, org_a, "to=2025-06-06");
    assert_near(number(s, "total_calls"), 6);
    cJSON_Delete(s);
    /* More than ten calls: the ten newest, in the list's order. */
    s = ok_json(STATS, org_c, "from=2025-03-01&to=2025-03-01");
    assert_near(number(s, "total_calls"), C_CALLS);
    recent = cJSON_GetObjectItemCaseSensitive(s, "recent_activity");
    assert_int_equal(cJSON_GetArraySize(recent), 10);
    cJSON *list = ok_json(LIST, org_c, "limit=10");
    for (int i = 0; i < 10; i++) {
        const char *a = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(recent, i), "id")->valuestring;
        const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(list, "calls"), i);
        assert_string_equal(a, cJSON_GetObjectItemCaseSensitive(c, "id")->valuestring);
    }
    cJSON_Delete(list);
    cJSON_Delete(s);
}

/* Org A never sees org B's calls: not listed, not counted, not in its recent activity. */
static void test_orgs_never_see_each_other(void **state)
{
    expect_calls("q=jane&from=2025-06-01&to=2025-06-30", "a1 a6");
    expect_calls("outcome=voicemail", "a5");
    cJSON *s = ok_json(STATS, org_a, "from=2025-06-01&to=2025-06-30");
    assert_near(number(s, "pipeline_value"), 9050.00);
    char *text = cJSON_PrintUnformatted(s);
    cJSON_Delete(s);
    const char *p[1] = {org_b};
    PGresult *res = PQexecParams(admin, "SELECT id::text FROM call_logs WHERE org_id = $1", 1, NULL, p, NULL, NULL, 0);
    assert_int_equal(PQntuples(res), 3);
    for (int i = 0; i < PQntuples(res); i++)
        assert_null(strstr(text, PQgetvalue(res, i, 0)));
    PQclear(res);
    free(text);
    /* And the other way round. */
    s = ok_json(STATS, org_b, "from=2025-06-01&to=2025-06-30");
    assert_near(number(s, "total_calls"), 2);
    assert_near(number(s, "pipeline_value"), 99999.00);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "recent_activity")), 2);
    cJSON_Delete(s);
    cJSON *list = ok_json(LIST, org_b, "q=jane");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list, "calls")), 2);
    cJSON_Delete(list);
}

static void test_staff_read_the_list_and_the_stats(void **state)
{
    cJSON *json = ok_json_as(LIST, org_a, "staff", "lead_tier=hot");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(json, "calls")), 3);
    cJSON_Delete(json);
    json = ok_json_as(STATS, org_a, "staff", "from=2025-06-01&to=2025-06-30");
    assert_near(number(json, "total_calls"), 8);
    cJSON_Delete(json);
}

static void test_bad_input_on_every_parameter(void **state)
{
    char long_q[160];
    snprintf(long_q, sizeof(long_q), "q=%0101d", 0);
    static const struct {
        const char *query, *param;
    } list[] = {
        {"from=yesterday", "from"},
        {"from=2025-06-31", "from"},
        {"from=2025-06-01T10:00:00", "from"},
        {"from=2025-06-01T10:00:00+02:00", "from"}, /* the '+' arrives as a space */
        {"from=1969-12-31", "from"},
        {"from=%ZZ", "from"},
        {"to=2025-13-01", "to"},
        {"to=", "to"},
        {"from=2025-06-05&to=2025-06-01", "from"},
        {"from=2025-06-01T10:00:00Z&to=2025-06-01T10:00:00Z", "from"},
        {"status=bogus", "status"},
        {"status=", "status"},
        {"status=COMPLETED", "status"},
        {"outcome=", "outcome"},
        {"outcome=no%20spaces", "outcome"},
        {"outcome=%27%3B--", "outcome"},
        {"outcome=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "outcome"},
        {"lead_tier=HOT", "lead_tier"},
        {"lead_tier=lukewarm", "lead_tier"},
        {"lead_tier=", "lead_tier"},
        {"sentiment=happy", "sentiment"},
        {"sentiment=Positive", "sentiment"},
        {"call_type=inboundPhoneCall", "call_type"},
        {"call_type=", "call_type"},
        {"q=%00", "q"},
        {"q=a%0Ab", "q"},
        {"q=%FF%FE", "q"},
        {"q=%C2%85", "q"},
        {"limit=0", "limit"},
        {"limit=101", "limit"},
        {"limit=ten", "limit"},
        {"page=0", "page"},
        {"page=100001", "page"},
        {"page=-1", "page"},
        {"page=1.5", "page"},
    };
    for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
        assert_invalid(LIST, list[i].query, list[i].param);
    assert_invalid(LIST, long_q, "q");
    static const struct {
        const char *query, *param;
    } stats[] = {
        {"from=yesterday", "from"},
        {"to=tomorrow", "to"},
        {"from=2025-06-01T10:00:00", "from"},
        {"from=2025-06-05&to=2025-06-01", "from"},
        {"from=2099-01-01", "from"}, /* after now, the default to */
        {"from=2024-01-01&to=2025-06-01", "366 days"},
        {"to=2025-06-01&from=2024-05-31", "366 days"},
    };
    for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++)
        assert_invalid(STATS, stats[i].query, stats[i].param);
    /* The widest window allowed is served. */
    cJSON *s = ok_json(STATS, org_a, "from=2024-06-01&to=2025-06-01");
    cJSON_Delete(s);
    assert_true(vt_alive(service));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_filter),
        cmocka_unit_test(test_items_carry_the_analytics),
        cmocka_unit_test(test_cursor_walks_every_call_once_in_order),
        cmocka_unit_test(test_next_cursor_after_a_page),
        cmocka_unit_test(test_bad_cursors_are_refused),
        cmocka_unit_test(test_total_is_capped),
        cmocka_unit_test(test_stats_of_a_known_window),
        cmocka_unit_test(test_stats_default_window_and_recent_activity),
        cmocka_unit_test(test_orgs_never_see_each_other),
        cmocka_unit_test(test_staff_read_the_list_and_the_stats),
        cmocka_unit_test(test_bad_input_on_every_parameter),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    nats_Close();
    return rc;
}
