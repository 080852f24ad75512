/*
 * The calls dashboard's daily rollup (migrations/0018_call_stats_daily.sql)
 * against the calls themselves: whatever the service's role does to
 * call_logs — multi-row inserts, webhook-ingest's INSERT … ON CONFLICT DO
 * UPDATE, updates that change figures and ones that change none, deletes —
 * call_stats_days (the folded sums and the deltas not yet folded) equals
 * the per-day sums of call_logs, before and after folding, and
 * GET /api/calls/stats over any window (partial days, whole days, one
 * instant, a year) equals the same figures summed from the calls directly.
 * An organization with calls can still be deleted.
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

#include "vt.h"
#include "vt_dashboard.h"
#include "vx_buf.h"

#define STATS "rpc.dashboard.calls.stats"

static natsConnection *nc;
static PGconn *admin, *app;
static pid_t service;
static char org[37], other[37];

/* Every figure of a window, summed from call_logs itself (the definition the rollup must keep). */
static const char REFERENCE[] =
    "SELECT json_build_object('total_calls', count(*), 'inbound_calls', count(*) FILTER (WHERE call_type = 'inbound'),"
    " 'bookings', count(*) FILTER (WHERE booking_confirmed),"
    " 'inbound_bookings', count(*) FILTER (WHERE booking_confirmed AND call_type = 'inbound'),"
    " 'success_rate', coalesce(round((count(*) FILTER (WHERE booking_confirmed AND call_type = 'inbound'))::numeric"
    " / nullif(count(*) FILTER (WHERE call_type = 'inbound'), 0), 4), 0),"
    " 'pipeline_value', coalesce(sum(financial_value), 0),"
    " 'average_duration_seconds', coalesce(round(avg(duration_seconds), 1), 0),"
    " 'calls_by_lead_tier', json_build_object('hot', count(*) FILTER (WHERE lead_tier = 'hot'),"
    " 'warm', count(*) FILTER (WHERE lead_tier = 'warm'), 'cold', count(*) FILTER (WHERE lead_tier = 'cold'),"
    " 'unscored', count(*) FILTER (WHERE lead_tier IS NULL)),"
    " 'calls_by_sentiment', json_build_object("
    " 'positive', count(*) FILTER (WHERE call_sentiment(sentiment_label, sentiment_score) = 'positive'),"
    " 'neutral', count(*) FILTER (WHERE call_sentiment(sentiment_label, sentiment_score) = 'neutral'),"
    " 'negative', count(*) FILTER (WHERE call_sentiment(sentiment_label, sentiment_score) = 'negative'),"
    " 'unknown', count(*) FILTER (WHERE call_sentiment(sentiment_label, sentiment_score) IS NULL)))::text"
    " FROM call_logs WHERE org_id = $1 AND created_at >= $2::timestamptz AND created_at < $3::timestamptz";

/* Rows of the rollup that disagree with call_logs' own per-day sums (0 when it is exact). */
static const char ROLLUP_DIFF[] =
    "WITH truth AS (SELECT org_id, (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS calls,"
    " count(*) FILTER (WHERE call_type = 'inbound') AS inbound_calls, count(*) FILTER (WHERE booking_confirmed) AS bookings,"
    " count(*) FILTER (WHERE booking_confirmed AND call_type = 'inbound') AS inbound_bookings,"
    " coalesce(sum(financial_value), 0) AS pipeline_value, coalesce(sum(duration_seconds), 0) AS duration_sum,"
    " count(duration_seconds) AS duration_count, count(*) FILTER (WHERE lead_tier = 'hot') AS tier_hot,"
    " count(*) FILTER (WHERE lead_tier = 'warm') AS tier_warm, count(*) FILTER (WHERE lead_tier = 'cold') AS tier_cold,"
    " count(*) FILTER (WHERE lead_tier IS NULL) AS tier_unscored,"
    " count(*) FILTER (WHERE call_sentiment(sentiment_label, sentiment_score) = 'positive') AS sentiment_positive,"
    " count(*) FILTER (WHERE call_sentiment(sentiment_label, sentiment_score) = 'neutral') AS sentiment_neutral,"
    " count(*) FILTER (WHERE call_sentiment(sentiment_label, sentiment_score) = 'negative') AS sentiment_negative,"
    " count(*) FILTER (WHERE call_sentiment(sentiment_label, sentiment_score) IS NULL) AS sentiment_unknown"
    " FROM call_logs WHERE org_id = ANY ($1::uuid[]) GROUP BY 1, 2),"
    " kept AS (SELECT org_id, day, sum(calls) AS calls, sum(inbound_calls), sum(bookings), sum(inbound_bookings),"
    " sum(pipeline_value), sum(duration_sum), sum(duration_count), sum(tier_hot), sum(tier_warm), sum(tier_cold),"
    " sum(tier_unscored), sum(sentiment_positive), sum(sentiment_neutral), sum(sentiment_negative), sum(sentiment_unknown)"
    " FROM call_stats_days WHERE org_id = ANY ($1::uuid[]) GROUP BY 1, 2 HAVING sum(calls) <> 0)"
    " SELECT count(*) FROM ((SELECT * FROM truth EXCEPT SELECT * FROM kept) UNION ALL (SELECT * FROM kept EXCEPT SELECT * FROM "
    "truth)) d";

static void assert_rollup_exact(void)
{
    char orgs[80];
    snprintf(orgs, sizeof orgs, "{%s,%s}", org, other);
    const char *p[1] = {orgs};
    long diff = vt_sql_long(admin, ROLLUP_DIFF, 1, p);
    if (diff != 0)
        fail_msg("call_stats_daily differs from call_logs on %ld rows", diff);
    /* Folded days are never negative. */
    assert_int_equal(vt_sql_long(admin,
                                 "SELECT count(*) FROM call_stats_daily WHERE org_id = ANY ($1::uuid[]) AND (calls < 0 OR"
                                 " inbound_calls < 0 OR bookings < 0 OR tier_hot < 0 OR duration_count < 0)",
                                 1, p),
                     0);
}

/* Folds every pending delta as dashboard-api's folder does (the services'
 * role, no org's claims), in batches of batch; the table of deltas is then
 * empty for our orgs and the sums unchanged. */
static void fold_all(int batch)
{
    char limit[16];
    snprintf(limit, sizeof limit, "%d", batch);
    const char *p[1] = {limit};
    char orgs[80];
    snprintf(orgs, sizeof orgs, "{%s,%s}", org, other);
    const char *o[1] = {orgs};
    /* dashboard-api's own folder runs too: rows it holds are skipped here
     * and gone once it commits. */
    for (int tries = 0; vt_sql_long(admin, "SELECT count(*) FROM call_stats_delta WHERE org_id = ANY ($1::uuid[])", 1, o) > 0;
         tries++) {
        VT_REQUIRE(tries < 1000, "the deltas were never all folded");
        vt_sql_long(app, "SELECT call_stats_fold($1::int)", 1, p);
    }
    assert_rollup_exact();
}

/* Runs sql as the services' role under org's claims, in a transaction of its own. */
static void write_as_org(const char *org_id, const char *sql)
{
    vt_begin_as(app, org_id);
    vt_sql_exec(app, sql, 0, NULL);
    vt_sql_exec(app, "COMMIT", 0, NULL);
}

static cJSON *stats(const char *query)
{
    vt_answer a = vt_dashboard_request(nc, STATS, org, "owner", NULL, query, NULL, 0);
    vt_expect_status(&a, 200);
    cJSON *json = a.json;
    a.json = NULL;
    vt_answer_free(&a);
    return json;
}

/* The answer's figures equal the reference's, for the window [from, to). */
static void assert_window(const char *from, const char *to)
{
    char query[160];
    snprintf(query, sizeof query, "from=%s&to=%s", from, to);
    cJSON *got = stats(query);
    const char *p[3] = {org, cJSON_GetStringValue(cJSON_GetObjectItem(got, "from")),
                        cJSON_GetStringValue(cJSON_GetObjectItem(got, "to"))};
    assert_non_null(p[1]);
    assert_non_null(p[2]);
    char *ref_text = vt_sql_value(admin, REFERENCE, 3, p);
    cJSON *ref = cJSON_Parse(ref_text);
    assert_non_null(ref);
    for (const cJSON *item = ref->child; item != NULL; item = item->next) {
        const cJSON *mine = cJSON_GetObjectItemCaseSensitive(got, item->string);
        char *want = cJSON_PrintUnformatted(item), *have = mine != NULL ? cJSON_PrintUnformatted(mine) : strdup("(none)");
        /* Numbers compare as numbers ("400.00" and 400 are one amount). */
        bool same = cJSON_IsNumber(item) ? cJSON_IsNumber(mine) && mine->valuedouble == item->valuedouble : strcmp(want, have) == 0;
        if (!same)
            fail_msg("[%s, %s) %s: stats say %s, the calls %s", from, to, item->string, have, want);
        free(want);
        free(have);
    }
    cJSON_Delete(ref);
    free(ref_text);
    cJSON_Delete(got);
}

static void assert_windows(void)
{
    assert_window("2026-03-01", "2026-04-15");                     /* whole days only (to is the day's end) */
    assert_window("2026-03-03T13:30:00Z", "2026-03-20T08:15:00Z"); /* partial days at both ends */
    assert_window("2026-03-05T10:00:00Z", "2026-03-05T18:00:00Z"); /* inside one day */
    assert_window("2026-03-05T00:00:00Z", "2026-03-06T00:00:00Z"); /* exactly one day */
    assert_window("2026-03-04T23:59:59Z", "2026-03-06T00:00:01Z");
    assert_window("2025-04-01", "2026-04-01");                                 /* a year */
    assert_window("2026-03-10T07:00:00%2B05:30", "2026-03-12T07:00:00-08:00"); /* offsets */
}

static int setup(void **state)
{
    (void)state;
    admin = vt_admin();
    app = vt_service_conn();
    vt_create_org(admin, "Rollup clinic", NULL, NULL, NULL, org);
    vt_create_org(admin, "Rollup neighbour", NULL, NULL, NULL, other);
    service = vt_dashboard_start(&nc, "dashboard-api-rollup");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vt_dashboard_stop(service, nc);
    PQfinish(app);
    PQfinish(admin);
    return 0;
}

/* 600 calls over 40 days of March and April 2026, every figure varied,
 * some on exact midnights; the neighbour's calls on the same days. */
static void test_inserts_keep_the_rollup(void **state)
{
    (void)state;
    static const char *const INSERT =
        "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status, call_type, booking_confirmed, financial_value,"
        " duration_seconds, lead_tier, sentiment_label, sentiment_score, created_at)"
        " SELECT auth_org_id(), 'rollup-' || auth_org_id() || '-' || g, 'sid-' || g, 'completed',"
        " (ARRAY['inbound', 'outbound', 'web'])[1 + g %% 3], g %% 4 = 0,"
        " CASE WHEN g %% 5 = 0 THEN NULL ELSE (g %% 7) * 125.50 END, CASE WHEN g %% 6 = 0 THEN NULL ELSE 30 + g %% 400 END,"
        " (ARRAY['hot', 'warm', 'cold', NULL])[1 + g %% 4],"
        " (ARRAY['positive', 'Negative', 'the caller was happy', NULL, 'mixed', NULL])[1 + g %% 6],"
        " CASE WHEN g %% 11 = 0 THEN NULL ELSE (g %% 10) / 10.0 END,"
        " timestamptz '2026-03-01 00:00:00Z' + (g %% 40) * interval '1 day' + CASE WHEN g %% 9 = 0 THEN interval '0'"
        " ELSE (g * 7919 %% 86400) * interval '1 second' END"
        " FROM generate_series(%d, %d) g";
    char sql[2048];
    snprintf(sql, sizeof sql, INSERT, 1, 300);
    write_as_org(org, sql);
    snprintf(sql, sizeof sql, INSERT, 301, 600);
    write_as_org(org, sql);
    snprintf(sql, sizeof sql, INSERT, 1, 200);
    write_as_org(other, sql);
    assert_rollup_exact(); /* before any fold: from the deltas */
    assert_windows();
    fold_all(7); /* small batches: several folds, each moving whole rows */
    assert_windows();
}

/* webhook-ingest's shape: an upsert whose conflicts update figures, next
 * to rows it inserts; then updates that change figures, others that change
 * none (no rollup row is written for those), and deletes. */
static void test_upserts_updates_and_deletes_keep_the_rollup(void **state)
{
    (void)state;
    write_as_org(org, "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status, booking_confirmed, financial_value,"
                      " lead_tier, created_at)"
                      " SELECT auth_org_id(), 'rollup-' || auth_org_id() || '-' || g, 'sid', 'ended', true, 999, 'hot',"
                      " timestamptz '2026-03-20 12:00Z' FROM generate_series(590, 620) g"
                      " ON CONFLICT (vapi_call_id) DO UPDATE SET booking_confirmed = EXCLUDED.booking_confirmed,"
                      " financial_value = EXCLUDED.financial_value, lead_tier = EXCLUDED.lead_tier, status = EXCLUDED.status");
    assert_rollup_exact();
    write_as_org(org, "UPDATE call_logs SET sentiment_label = 'angry caller', duration_seconds = NULL, call_type = 'inbound'"
                      " WHERE org_id = auth_org_id() AND created_at < timestamptz '2026-03-08'");
    assert_rollup_exact();
    /* An update that changes no figure appends nothing. */
    const char *pn[1] = {org};
    long deltas = vt_sql_long(admin, "SELECT count(*) FROM call_stats_delta WHERE org_id = $1", 1, pn);
    write_as_org(org, "UPDATE call_logs SET transcript = 'again no figure' WHERE org_id = auth_org_id()");
    assert_int_equal(vt_sql_long(admin, "SELECT count(*) FROM call_stats_delta WHERE org_id = $1", 1, pn), deltas);
    /* A call moved to another day leaves the first and joins the second. */
    write_as_org(org, "UPDATE call_logs SET created_at = created_at + interval '3 days'"
                      " WHERE org_id = auth_org_id() AND vapi_call_id LIKE '%-1_'");
    assert_rollup_exact();
    write_as_org(org, "DELETE FROM call_logs WHERE org_id = auth_org_id() AND lead_tier = 'cold'");
    assert_rollup_exact();
    assert_windows();
    fold_all(1000);
    assert_windows();
}

/* Writers append deltas and never touch the folded sums: the services' role
 * may not change call_stats_daily, nor rewrite or remove a delta. */
static void test_writers_only_append(void **state)
{
    (void)state;
    char sqlstate[6];
    vt_begin_as(app, org);
    vt_sql_sqlstate(app, "UPDATE call_stats_daily SET calls = 0", 0, NULL, sqlstate);
    assert_string_equal(sqlstate, "42501");
    vt_sql_exec(app, "ROLLBACK", 0, NULL);
    vt_begin_as(app, org);
    vt_sql_sqlstate(app, "DELETE FROM call_stats_delta", 0, NULL, sqlstate);
    assert_string_equal(sqlstate, "42501");
    vt_sql_exec(app, "ROLLBACK", 0, NULL);
}

/* Deleting an organization takes its calls and its days with it. */
static void test_an_organization_with_calls_can_be_deleted(void **state)
{
    (void)state;
    const char *p[1] = {other};
    assert_true(vt_sql_long(admin, "SELECT count(*) FROM call_stats_daily WHERE org_id = $1", 1, p) > 0);
    vt_sql_exec(admin, "DELETE FROM organizations WHERE id = $1", 1, p);
    assert_int_equal(vt_sql_long(admin, "SELECT count(*) FROM call_stats_daily WHERE org_id = $1", 1, p), 0);
    assert_rollup_exact();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inserts_keep_the_rollup),
        cmocka_unit_test(test_upserts_updates_and_deletes_keep_the_rollup),
        cmocka_unit_test(test_writers_only_append),
        cmocka_unit_test(test_an_organization_with_calls_can_be_deleted),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    nats_Close();
    return rc;
}
