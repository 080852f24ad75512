/*
 * The plans of the calls dashboard's statements (services/dashboard-api/
 * calls.c, DASHBOARD_CALLS_STATEMENTS) on the real PostgreSQL, under
 * row-level security as the service runs them (DATABASE_URL, voxanne_svc,
 * the org's claims), with the generic plan a prepared statement settles on
 * after five runs.
 *
 * A dashboard read that scans the org's calls, or sorts them all to show
 * twenty, is fast in every functional test and slow at a million calls; no
 * functional test notices. So one org gets 200,000 calls spread over a year
 * (tiers, outcomes, types, sentiments, values as the analytics write them),
 * another org 20,000, the table is vacuumed and analyzed (as autovacuum
 * would), and every statement is EXPLAINed with each filter, with and
 * without a cursor. Every read of call_logs must be
 *   - an index-only scan of call_logs_org_created_id_idx (the page's ids,
 *     the count, the stats, the recent activity: migrations/0013), or
 *   - a look-up by primary key (the page's rows, the detail),
 * and no sort may have call_logs' rows below it. And a page, run, reads a
 * page's worth of the index wherever it starts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_filters.h"
#include "calls.h"
#include "vt.h"
#include "vt_plans.h"
#include "vx_time.h"

#define ROWS       "200000"
#define OTHER_ROWS "20000"
#define COVERING   "call_logs_org_created_id_idx"
#define PKEY       "call_logs_pkey"

static PGconn *admin;
static PGconn *svc;
static char org[37], other[37];

static void load(const char *org_id, const char *rows)
{
    /* Spread over the past year by a multiplicative hash of g, so the
     * index order is not the insertion order; the other columns cycle
     * with periods that are prime to each other. */
    const char *p[2] = {org_id, rows};
    vt_sql_exec(admin,
                "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, created_at, call_type, status, outcome, lead_score,"
                " lead_tier, sentiment, sentiment_label, sentiment_score, booking_confirmed, financial_value, duration_seconds,"
                " caller_name, phone_number, from_number, to_number)"
                " SELECT $1::uuid, 'plans-' || $1 || '-' || g, 'x',"
                " now() - ((g::bigint * 7919) % $2::int) * (interval '365 days' / $2::int),"
                " (ARRAY['inbound', 'inbound', 'inbound', 'outbound', 'web'])[1 + g % 5],"
                " CASE WHEN g % 97 = 0 THEN 'in-progress' WHEN g % 89 = 0 THEN 'ended' ELSE 'completed' END,"
                " CASE WHEN g % 97 = 0 THEN NULL WHEN g % 89 = 0 THEN 'voicemail' ELSE 'completed' END,"
                " g % 101, (ARRAY['hot', 'warm', 'cold', NULL])[1 + g % 4],"
                " (ARRAY['positive', 'neutral', 'negative', 'Very positive', NULL, 'Mixed feelings'])[1 + g % 6],"
                " (ARRAY['positive', 'neutral', 'negative', 'Very positive', NULL, 'Mixed feelings'])[1 + g % 6],"
                " CASE WHEN g % 3 = 0 THEN (g % 11) / 10.0 END, g % 7 = 0, CASE WHEN g % 7 = 0 THEN 150 + (g % 13) * 400 END,"
                " 20 + g % 900, (ARRAY['Jane', 'John', 'Ann', 'Bob', 'Unknown'])[1 + g % 5] || ' Caller ' || g,"
                " '+1415' || lpad((g % 9000000)::text, 7, '0'), '+1415' || lpad((g % 9000000)::text, 7, '0'), '+14155550000'"
                " FROM generate_series(1, $2::int) g",
                2, p);
}

static int setup(void **state)
{
    admin = vt_admin();
    vt_create_org(admin, "Calls plans org", NULL, NULL, NULL, org);
    vt_create_org(admin, "Calls plans other org", NULL, NULL, NULL, other);
    load(org, ROWS);
    load(other, OTHER_ROWS);
    vt_sql_exec(admin, "VACUUM ANALYZE call_logs", 0, NULL);

    svc = vt_service_conn();
    for (const dashboard_calls_statement *st = DASHBOARD_CALLS_STATEMENTS; st->name != NULL; st++)
        vt_prepare(svc, st->name, st->sql);
    vt_plans_begin(svc, org);
    return 0;
}

static int teardown(void **state)
{
    vt_plans_end(svc);
    const char *p[2] = {org, other};
    vt_sql_exec(admin, "DELETE FROM call_logs WHERE org_id IN ($1::uuid, $2::uuid)", 2, p);
    PQfinish(admin);
    return 0;
}

static cJSON *explain(const char *name, const char *const *params, int n)
{
    return vt_plans_explain(svc, "", name, params, n);
}

/* The problem with node and the nodes below it, or NULL: a read of call_logs
 * that is neither an index-only scan of the covering index nor a look-up by
 * primary key, or a sort of call_logs' rows. Counts the covering scans. */
static const char *check(const cJSON *node, int *covering)
{
    const char *type = vt_plans_str(node, "Node Type");
    if (strcmp(vt_plans_str(node, "Relation Name"), "call_logs") == 0) {
        const char *index = vt_plans_str(node, "Index Name");
        bool by_key = strcmp(type, "Index Scan") == 0 && strcmp(index, PKEY) == 0;
        if (strcmp(type, "Index Only Scan") == 0 && strcmp(index, COVERING) == 0) {
            (*covering)++;
        } else if (by_key) {
            /* the page's rows, or the detail: a handful by their ids */
        } else if (strcmp(type, "Bitmap Heap Scan") == 0) {
            const cJSON *below = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(node, "Plans"), 0);
            if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(node, "Plans")) != 1 ||
                strcmp(vt_plans_str(below, "Node Type"), "Bitmap Index Scan") != 0 ||
                strcmp(vt_plans_str(below, "Index Name"), PKEY) != 0)
                return "a bitmap scan of call_logs other than by primary key";
        } else if (strcmp(type, "Seq Scan") == 0) {
            return "Seq Scan on call_logs";
        } else {
            return "a read of call_logs other than the covering index or the primary key";
        }
    }
    if (strstr(type, "Sort") != NULL && vt_plans_reads(node, "call_logs"))
        return "a sort of call_logs' rows";
    const cJSON *child;
    cJSON_ArrayForEach(child, cJSON_GetObjectItemCaseSensitive(node, "Plans"))
    {
        const char *problem = check(child, covering);
        if (problem != NULL)
            return problem;
    }
    return NULL;
}

/* Fails unless the plan of name(params) passes check and scans the covering index at least min_covering times. */
static void assert_plan(const char *what, const char *name, const char *const *params, int n, int min_covering)
{
    cJSON *plan = explain(name, params, n);
    int covering = 0;
    const char *problem = check(vt_plans_top(plan), &covering);
    if (problem == NULL && covering < min_covering)
        problem = "not served by " COVERING;
    if (problem != NULL) {
        char *text = cJSON_Print(plan);
        fail_msg("%s (%s): %s\n%s", name, what, problem, text);
    }
    cJSON_Delete(plan);
}

/* One list request's parameters: the base, then the variant's changes. */
typedef struct list_variant {
    const char *what;
    int slot[4];
    const char *value[4];
    int nchanges;
} list_variant;

static void test_list_is_served_by_the_index_with_every_filter(void **state)
{
    const list_variant variants[] = {
        {"no filter, page 1 with its count", {0}, {NULL}, 0},
        {"status", {DASHBOARD_CALLS_LIST_STATUS}, {"in-progress"}, 1},
        {"outcome", {DASHBOARD_CALLS_LIST_OUTCOME}, {"voicemail"}, 1},
        {"lead_tier", {DASHBOARD_CALLS_LIST_TIER}, {"hot"}, 1},
        {"call_type", {DASHBOARD_CALLS_LIST_TYPE}, {"outbound"}, 1},
        {"sentiment", {DASHBOARD_CALLS_LIST_SENTIMENT}, {"negative"}, 1},
        {"q, a name", {DASHBOARD_CALLS_LIST_NAME_LIKE}, {"%jane caller 12%"}, 1},
        {"q, a number", {DASHBOARD_CALLS_LIST_NAME_LIKE, DASHBOARD_CALLS_LIST_PHONE_LIKE}, {"%415555%", "%415555%"}, 2},
        /* As calls.c passes them: to is also where the page starts. */
        {"from, to",
         {DASHBOARD_CALLS_LIST_FROM, DASHBOARD_CALLS_LIST_TO, DASHBOARD_CALLS_LIST_AFTER_AT, DASHBOARD_CALLS_LIST_AFTER_ID},
         {"2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-02-01T00:00:00Z", "00000000-0000-0000-0000-000000000000"},
         4},
        {"a deep page", {DASHBOARD_CALLS_LIST_OFFSET}, {"9980"}, 1},
        {"every filter",
         {DASHBOARD_CALLS_LIST_STATUS, DASHBOARD_CALLS_LIST_TIER, DASHBOARD_CALLS_LIST_SENTIMENT, DASHBOARD_CALLS_LIST_TYPE},
         {"completed", "warm", "positive", "inbound"},
         4},
    };
    for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        for (int with_cursor = 0; with_cursor < 2; with_cursor++) {
            const char *params[DASHBOARD_CALLS_LIST_NPARAMS] = {
                [DASHBOARD_CALLS_LIST_ORG] = org,
                [DASHBOARD_CALLS_LIST_FROM] = "-infinity",
                [DASHBOARD_CALLS_LIST_TO] = "infinity",
                [DASHBOARD_CALLS_LIST_AFTER_AT] = "infinity",
                [DASHBOARD_CALLS_LIST_AFTER_ID] = "ffffffff-ffff-ffff-ffff-ffffffffffff",
                [DASHBOARD_CALLS_LIST_LIMIT] = "20",
                [DASHBOARD_CALLS_LIST_OFFSET] = "0",
                [DASHBOARD_CALLS_LIST_COUNT] = "true",
            };
            for (int i = 0; i < variants[v].nchanges; i++)
                params[variants[v].slot[i]] = variants[v].value[i];
            if (with_cursor) { /* keyset: a position, no offset, no count */
                params[DASHBOARD_CALLS_LIST_AFTER_AT] = "2026-01-15T12:00:00.123456Z";
                params[DASHBOARD_CALLS_LIST_AFTER_ID] = "7d9f3c1e-2b4a-4c6d-8e0f-1a2b3c4d5e6f";
                params[DASHBOARD_CALLS_LIST_OFFSET] = "0";
                params[DASHBOARD_CALLS_LIST_COUNT] = "false";
            }
            char what[128];
            snprintf(what, sizeof(what), "%s%s", variants[v].what, with_cursor ? ", after a cursor" : "");
            /* The page's ids and the count: both from the covering index. */
            assert_plan(what, DASHBOARD_CALLS_LIST_STMT, params, DASHBOARD_CALLS_LIST_NPARAMS, 2);
        }
    }
}

/* The node named name ("CTE picked") in a plan, or NULL. */
static const cJSON *subplan(const cJSON *node, const char *name)
{
    if (strcmp(vt_plans_str(node, "Subplan Name"), name) == 0)
        return node;
    const cJSON *child;
    cJSON_ArrayForEach(child, cJSON_GetObjectItemCaseSensitive(node, "Plans"))
    {
        const cJSON *found = subplan(child, name);
        if (found != NULL)
            return found;
    }
    return NULL;
}

/*
 * The plan is right and yet a page can read the whole index: given two
 * upper bounds on created_at (a "created_at < to" and the cursor's row
 * comparison), PostgreSQL 15's B-tree cannot tell which is tighter and may
 * start at the wrong one, then step over every newer call. calls.c passes
 * one bound; this runs the page's part as calls.c sends it and counts the
 * blocks it reads: a page's worth, wherever the page is in the year.
 */
static void test_a_page_reads_a_page_of_the_index(void **state)
{
    /* Instants within the year the calls were spread over (it ends now). */
    const int64_t day = 86400000LL, now = vx_now_ms();
    const int64_t later = now - 150 * day, earlier = now - 240 * day, cursor_us = (now - 200 * day) * 1000 + 123456;
    const struct {
        const char *what;
        bool has_from, has_to, has_cursor;
        int64_t from_ms, to_ms;
    } pages[] = {
        {"the newest", false, false, false, 0, 0},
        {"a month, mid-year", true, true, false, later - 31 * day, later},
        {"after a cursor", false, false, true, 0, 0},
        {"after a cursor, within from and to", true, true, true, earlier, later},
        {"to before the cursor", false, true, true, 0, earlier},
    };
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        char from[25] = "-infinity", to[25] = "infinity", after_at[VX_TIME_US_LEN], after_id[37];
        if (pages[i].has_from)
            vx_time_format_iso(pages[i].from_ms, from);
        if (pages[i].has_to)
            vx_time_format_iso(pages[i].to_ms, to);
        call_filters_page_start(pages[i].has_to, pages[i].to_ms, pages[i].has_cursor, cursor_us,
                                "7d9f3c1e-2b4a-4c6d-8e0f-1a2b3c4d5e6f", after_at, after_id);
        const char *params[DASHBOARD_CALLS_LIST_NPARAMS] = {
            [DASHBOARD_CALLS_LIST_ORG] = org,
            [DASHBOARD_CALLS_LIST_FROM] = from,
            [DASHBOARD_CALLS_LIST_TO] = to,
            [DASHBOARD_CALLS_LIST_AFTER_AT] = after_at,
            [DASHBOARD_CALLS_LIST_AFTER_ID] = after_id,
            [DASHBOARD_CALLS_LIST_LIMIT] = "20",
            [DASHBOARD_CALLS_LIST_OFFSET] = "0",
            [DASHBOARD_CALLS_LIST_COUNT] = "false",
        };
        cJSON *plan = vt_plans_explain(svc, "ANALYZE, BUFFERS", DASHBOARD_CALLS_LIST_STMT, params, DASHBOARD_CALLS_LIST_NPARAMS);
        const cJSON *picked = subplan(vt_plans_top(plan), "CTE picked");
        assert_non_null(picked);
        double rows = cJSON_GetObjectItemCaseSensitive(picked, "Actual Rows")->valuedouble;
        double blocks = cJSON_GetObjectItemCaseSensitive(picked, "Shared Hit Blocks")->valuedouble +
                        cJSON_GetObjectItemCaseSensitive(picked, "Shared Read Blocks")->valuedouble;
        if (rows != 21 || blocks > 50) {
            char *text = cJSON_Print(plan);
            fail_msg("page %s: %.0f rows in %.0f blocks (a page is 21 rows in a few):\n%s", pages[i].what, rows, blocks, text);
        }
        cJSON_Delete(plan);
    }
}

static void test_stats_are_index_only(void **state)
{
    const char *month[DASHBOARD_CALLS_STATS_NPARAMS] = {org, "2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z"};
    const char *year[DASHBOARD_CALLS_STATS_NPARAMS] = {org, "2025-06-01T00:00:00Z", "2026-06-02T00:00:00Z"};
    /* The figures and the recent activity: two scans, both of the covering index. */
    assert_plan("30 days", DASHBOARD_CALLS_STATS_STMT, month, DASHBOARD_CALLS_STATS_NPARAMS, 2);
    assert_plan("366 days", DASHBOARD_CALLS_STATS_STMT, year, DASHBOARD_CALLS_STATS_NPARAMS, 2);
    /* And a year costs its two edge days and 366 rollup rows, not a year of
     * calls (a scan of the year's calls reads thousands of blocks here). */
    const char *edges[DASHBOARD_CALLS_STATS_NPARAMS] = {org, "2025-06-01T13:00:00Z", "2026-06-02T09:00:00Z"};
    cJSON *plan = vt_plans_explain(svc, "ANALYZE, BUFFERS", DASHBOARD_CALLS_STATS_STMT, edges, DASHBOARD_CALLS_STATS_NPARAMS);
    const cJSON *top = vt_plans_top(plan);
    double blocks = cJSON_GetObjectItemCaseSensitive(top, "Shared Hit Blocks")->valuedouble +
                    cJSON_GetObjectItemCaseSensitive(top, "Shared Read Blocks")->valuedouble;
    if (blocks > 400) {
        char *text = cJSON_Print(plan);
        fail_msg("a year's stats read %.0f blocks:\n%s", blocks, text);
    }
    cJSON_Delete(plan);
}

static void test_detail_is_a_primary_key_look_up(void **state)
{
    const char *params[2] = {org, "7d9f3c1e-2b4a-4c6d-8e0f-1a2b3c4d5e6f"};
    assert_plan("by id", DASHBOARD_CALLS_GET_STMT, params, 2, 0);
    cJSON *plan = explain(DASHBOARD_CALLS_GET_STMT, params, 2);
    char *text = cJSON_PrintUnformatted(plan);
    if (strstr(text, PKEY) == NULL)
        fail_msg("the detail does not use the primary key: %s", text);
    free(text);
    cJSON_Delete(plan);
}

/* A statement added to calls.c without a case here is not checked: refuse it. */
static void test_every_statement_is_checked(void **state)
{
    static const char *const checked[] = {DASHBOARD_CALLS_LIST_STMT, DASHBOARD_CALLS_STATS_STMT, DASHBOARD_CALLS_GET_STMT};
    for (const dashboard_calls_statement *st = DASHBOARD_CALLS_STATEMENTS; st->name != NULL; st++) {
        bool found = false;
        for (size_t i = 0; i < sizeof(checked) / sizeof(checked[0]); i++)
            found = found || strcmp(st->name, checked[i]) == 0;
        if (!found)
            fail_msg("%s has no plan test", st->name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_is_served_by_the_index_with_every_filter),
        cmocka_unit_test(test_a_page_reads_a_page_of_the_index),
        cmocka_unit_test(test_stats_are_index_only),
        cmocka_unit_test(test_detail_is_a_primary_key_look_up),
        cmocka_unit_test(test_every_statement_is_checked),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
