/*
 * calls: PostgreSQL builds the JSON (json_agg / row_to_json over the selected
 * columns), so a page of calls is one round trip and no per-row C formatting.
 *
 * Both answers name their columns: a column added to call_logs later (a
 * secret, internal bookkeeping) reaches the dashboard only when it is added
 * here on purpose. Left out on purpose: org_id (the caller's own), call_sid
 * (a placeholder), assistant_id and phone_number_id (Vapi's routing ids).
 *
 * Speed at a million calls per org (migrations/0013): the list picks its
 * page's ids from call_logs_org_created_id_idx alone (the filters are
 * checked on the index entries, whose INCLUDE columns hold them), then reads
 * those rows by primary key; the count is an index-only scan of the same
 * index, and the stats read whole days from the daily rollup (below). The filters are optional parameters of one prepared
 * statement, so its generic plan is the same for every combination: they
 * are never index conditions, only the org, the time range and the cursor
 * are. Comparisons are text with text, uuid with uuid: a cast to a domain
 * (::e164) is not leakproof, and under row-level security a condition that
 * is not leakproof cannot be an index condition.
 */
#include "calls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_filters.h"
#include "vx_access.h"
#include "vx_cursor.h"
#include "vx_log.h"
#include "vx_query.h"
#include "vx_time.h"
#include "vx_validate.h"

/* The list leaves out the transcript and metadata: they are for the detail view. */
#define LIST_COLUMNS                                                                                                               \
    "id, vapi_call_id, call_type, status, phone_number, from_number, to_number, caller_name, duration_seconds, "                   \
    "total_cost, outcome, outcome_summary, recording_url, ended_reason, sentiment, sentiment_label, sentiment_score, "             \
    "lead_score, lead_tier, booking_confirmed, financial_value, started_at, ended_at, created_at"

/* The detail: the list's columns, the transcript and the rest of the call. */
#define DETAIL_COLUMNS                                                                                                             \
    LIST_COLUMNS ", contact_id, transcript, stereo_recording_url, sentiment_summary, sentiment_urgency, sentiment_source, "        \
                 "lead_score_reasons, recording_status, success_evaluation, metadata, transfer_to, transfer_reason, "              \
                 "transfer_time, updated_at"

/*
 * A call's sentiment polarity as webhook-ingest's analytics reads it
 * (services/webhook-ingest/analytics.h), which stores Vapi's label as sent
 * ("Very positive") and the score: the label's wording first (negative
 * before positive before neutral), else the score (>= 0.6 positive, <= 0.4
 * negative, else neutral); NULL when the call has neither. The common labels
 * (in any case) skip the regular expressions, which cost microseconds a row.
 */
/* The dashboard's reading of a call's sentiment: one SQL definition
 * (migrations/0018), shared with the daily rollup. */
#define SENTIMENT_EXPR "call_sentiment(sentiment_label, sentiment_score)"

/* The list's filters but the upper time bound ($1, $2, $6-$12), every column of them in the index entry. */
#define LIST_MATCHES                                                                                                               \
    "org_id = $1::uuid AND created_at >= $2::timestamptz"                                                                          \
    " AND ($6::text IS NULL OR status = $6::text) AND ($7::text IS NULL OR outcome = $7::text)"                                    \
    " AND ($8::text IS NULL OR lead_tier = $8::text) AND ($9::text IS NULL OR call_type = $9::text)"                               \
    " AND ($10::text IS NULL OR " SENTIMENT_EXPR " = $10::text)"                                                                   \
    " AND ($11::text IS NULL OR caller_name ILIKE $11::text OR phone_number LIKE $12::text OR from_number LIKE $12::text"          \
    " OR to_number LIKE $12::text)"

/*
 * picked: up to limit + 1 ids after the cursor (one more tells whether a
 * next page exists), from the index alone. Its one upper bound is the row
 * comparison ($4, $5: the cursor, or `to` when that comes first): given
 * both it and "created_at < to", PostgreSQL 15's B-tree cannot tell which
 * is tighter and may start at the other, reading every newer call first
 * (110 ms for a month's page at a million calls). The rows are then read by
 * primary key through one array of ids (an init plan), so no join order
 * can turn the page into a scan.
 *
 * The total ($15): when picked already saw the last match (no next page,
 * and the offset did not skip past the end), it is known without counting;
 * otherwise counted, up to COUNT_MAX + 1 matches. Counting is a scan of
 * every match (about 0.4 s per million index entries here), and a total
 * past ten thousand only says "many". CTEs run when first read, so
 * `counted` runs only when neither a cursor nor `known` made it needless.
 */
#define COUNT_MAX "10000"
static const char LIST_SQL[] =
    "WITH picked AS MATERIALIZED (SELECT id, created_at FROM call_logs WHERE " LIST_MATCHES
    " AND (created_at, id) < ($4::timestamptz, $5::uuid)"
    " ORDER BY created_at DESC, id DESC LIMIT $13::int + 1 OFFSET $14::int),"
    " page AS MATERIALIZED (SELECT id, created_at FROM picked ORDER BY created_at DESC, id DESC LIMIT $13::int),"
    " last AS (SELECT id, created_at FROM page ORDER BY created_at, id LIMIT 1),"
    " known AS (SELECT CASE WHEN (SELECT count(*) FROM picked) <= $13::int AND ($14::int = 0 OR EXISTS (SELECT FROM picked))"
    " THEN $14::int + (SELECT count(*) FROM picked) END AS total),"
    " counted AS (SELECT count(*) AS n FROM (SELECT FROM call_logs WHERE " LIST_MATCHES " AND created_at < $3::timestamptz"
    " LIMIT " COUNT_MAX " + 1) m)"
    " SELECT (SELECT coalesce(json_agg(c ORDER BY c.created_at DESC, c.id DESC), '[]')::text FROM (SELECT " LIST_COLUMNS
    " FROM call_logs WHERE org_id = $1::uuid AND id = ANY (ARRAY(SELECT id FROM page))) c),"
    " (SELECT count(*) FROM picked) > $13::int,"
    " (SELECT (extract(epoch FROM created_at) * 1000000)::bigint FROM last), (SELECT id::text FROM last),"
    " CASE WHEN $15::boolean THEN coalesce((SELECT total FROM known), least((SELECT n FROM counted), " COUNT_MAX ")) END,"
    " CASE WHEN $15::boolean THEN (SELECT total FROM known) IS NULL AND (SELECT n FROM counted) > " COUNT_MAX " END";

/*
 * Stats: whole UTC days are read from call_stats_days (kept by triggers on
 * call_logs and folded by stats_fold.c, migrations/0018), so a year costs a
 * few hundred rows; only the window's
 * partial first and last days are summed from call_logs, each an index
 * range of its own. d1 is the first whole day at or after `from`, d2 the
 * day `to` falls in; without a whole day between them everything is raw.
 */
#define STATS_BOUNDS                                                                                                               \
    " b AS (SELECT d1, d2, CASE WHEN d1 < d2 THEN d1::timestamp AT TIME ZONE 'UTC' ELSE $3::timestamptz END AS e1,"                \
    " CASE WHEN d1 < d2 THEN d2::timestamp AT TIME ZONE 'UTC' ELSE $3::timestamptz END AS s2"                                      \
    " FROM (SELECT (date_trunc('day', ($2::timestamptz AT TIME ZONE 'UTC') - interval '1 microsecond') + interval '1 day')::date"  \
    " AS d1, ($3::timestamptz AT TIME ZONE 'UTC')::date AS d2) x)"
#define STATS_RAW_COLUMNS                                                                                                          \
    "call_type, booking_confirmed, financial_value, duration_seconds, lead_tier, " SENTIMENT_EXPR " AS sentiment"

static const char STATS_SQL[] =
    "WITH" STATS_BOUNDS ","
    " raw AS (SELECT " STATS_RAW_COLUMNS " FROM call_logs WHERE org_id = $1::uuid AND created_at >= $2::timestamptz"
    " AND created_at < (SELECT e1 FROM b)"
    " UNION ALL SELECT " STATS_RAW_COLUMNS " FROM call_logs WHERE org_id = $1::uuid AND created_at >= (SELECT s2 FROM b)"
    " AND created_at < $3::timestamptz),"
    " parts AS (SELECT count(*) AS calls, count(*) FILTER (WHERE call_type = 'inbound') AS inbound_calls,"
    " count(*) FILTER (WHERE booking_confirmed) AS bookings,"
    " count(*) FILTER (WHERE booking_confirmed AND call_type = 'inbound') AS inbound_bookings,"
    " coalesce(sum(financial_value), 0) AS pipeline_value, coalesce(sum(duration_seconds), 0) AS duration_sum,"
    " count(duration_seconds) AS duration_count,"
    " count(*) FILTER (WHERE lead_tier = 'hot') AS tier_hot, count(*) FILTER (WHERE lead_tier = 'warm') AS tier_warm,"
    " count(*) FILTER (WHERE lead_tier = 'cold') AS tier_cold, count(*) FILTER (WHERE lead_tier IS NULL) AS tier_unscored,"
    " count(*) FILTER (WHERE sentiment = 'positive') AS sentiment_positive,"
    " count(*) FILTER (WHERE sentiment = 'neutral') AS sentiment_neutral,"
    " count(*) FILTER (WHERE sentiment = 'negative') AS sentiment_negative,"
    " count(*) FILTER (WHERE sentiment IS NULL) AS sentiment_unknown FROM raw"
    " UNION ALL SELECT coalesce(sum(calls), 0), coalesce(sum(inbound_calls), 0), coalesce(sum(bookings), 0),"
    " coalesce(sum(inbound_bookings), 0), coalesce(sum(pipeline_value), 0), coalesce(sum(duration_sum), 0),"
    " coalesce(sum(duration_count), 0), coalesce(sum(tier_hot), 0), coalesce(sum(tier_warm), 0), coalesce(sum(tier_cold), 0),"
    " coalesce(sum(tier_unscored), 0), coalesce(sum(sentiment_positive), 0), coalesce(sum(sentiment_neutral), 0),"
    " coalesce(sum(sentiment_negative), 0), coalesce(sum(sentiment_unknown), 0)"
    " FROM call_stats_days WHERE org_id = $1::uuid AND day >= (SELECT d1 FROM b) AND day < (SELECT d2 FROM b)),"
    " t AS (SELECT sum(calls) AS calls, sum(inbound_calls) AS inbound_calls, sum(bookings) AS bookings,"
    " sum(inbound_bookings) AS inbound_bookings, sum(pipeline_value) AS pipeline_value, sum(duration_sum) AS duration_sum,"
    " sum(duration_count) AS duration_count, sum(tier_hot) AS tier_hot, sum(tier_warm) AS tier_warm, sum(tier_cold) AS tier_cold,"
    " sum(tier_unscored) AS tier_unscored, sum(sentiment_positive) AS sentiment_positive,"
    " sum(sentiment_neutral) AS sentiment_neutral, sum(sentiment_negative) AS sentiment_negative,"
    " sum(sentiment_unknown) AS sentiment_unknown FROM parts)"
    " SELECT json_build_object('from', $2::timestamptz, 'to', $3::timestamptz,"
    " 'total_calls', calls, 'inbound_calls', inbound_calls, 'bookings', bookings, 'inbound_bookings', inbound_bookings,"
    " 'success_rate', coalesce(round(inbound_bookings / nullif(inbound_calls, 0), 4), 0),"
    " 'pipeline_value', pipeline_value,"
    " 'average_duration_seconds', coalesce(round(duration_sum / nullif(duration_count, 0), 1), 0),"
    " 'calls_by_lead_tier', json_build_object('hot', tier_hot, 'warm', tier_warm, 'cold', tier_cold, 'unscored', tier_unscored),"
    " 'calls_by_sentiment', json_build_object('positive', sentiment_positive, 'neutral', sentiment_neutral,"
    " 'negative', sentiment_negative, 'unknown', sentiment_unknown),"
    " 'recent_activity', (SELECT coalesce(json_agg(r ORDER BY r.created_at DESC, r.id DESC), '[]')"
    " FROM (SELECT id, caller_name, phone_number, outcome, lead_tier, created_at FROM call_logs"
    " WHERE org_id = $1::uuid AND created_at >= $2::timestamptz AND created_at < $3::timestamptz"
    " ORDER BY created_at DESC, id DESC LIMIT 10) r))::text FROM t";

static const char GET_SQL[] =
    "SELECT row_to_json(c)::text FROM (SELECT " DETAIL_COLUMNS " FROM call_logs WHERE org_id = $1::uuid AND id = $2::uuid) c";

const dashboard_calls_statement DASHBOARD_CALLS_STATEMENTS[] = {
    {DASHBOARD_CALLS_LIST_STMT, LIST_SQL},
    {DASHBOARD_CALLS_STATS_STMT, STATS_SQL},
    {DASHBOARD_CALLS_GET_STMT, GET_SQL},
    {NULL, NULL},
};

#define DEFAULT_WINDOW_MS (30LL * 86400000)
#define MAX_WINDOW_MS     (366LL * 86400000)

static const char *const STATUSES[] = {"queued", "ringing", "in-progress", "forwarding", "ended", "completed"};
static const char *const TIERS[] = {"hot", "warm", "cold"};
static const char *const SENTIMENTS[] = {"positive", "neutral", "negative"};
static const char *const CALL_TYPES[] = {"inbound", "outbound", "web"};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

void dashboard_calls_prepare(vx_pg *pg)
{
    for (const dashboard_calls_statement *st = DASHBOARD_CALLS_STATEMENTS; st->name != NULL; st++)
        vx_pg_prepare(pg, st->name, st->sql);
}

/* How a parameter read: its value is there, it is absent, or it is bad (answered). */
typedef enum {
    PARAM_SET = 0,
    PARAM_ABSENT = 1,
    PARAM_BAD = -1,
} param_status;

static param_status refuse(vx_rpc_reply *reply, const char *message)
{
    vx_rpc_reply_error(reply, 400, "invalid_query", message);
    return PARAM_BAD;
}

/* refuse, for the readers that answer true (go on) or false (answered). */
static bool refused(vx_rpc_reply *reply, const char *message)
{
    refuse(reply, message);
    return false;
}

/* key, when present, must be one of the n values of set. */
static param_status read_choice(const char *query, const char *key, const char *const *set, size_t n, char *out, size_t out_len,
                                const char *message, vx_rpc_reply *reply)
{
    vx_query_status st = vx_query_get(query, key, out, out_len);
    if (st == VX_QUERY_ABSENT)
        return PARAM_ABSENT;
    for (size_t i = 0; st == VX_QUERY_OK && i < n; i++)
        if (strcmp(out, set[i]) == 0)
            return PARAM_SET;
    return refuse(reply, message);
}

/* The outcome as stored: a short word, so anything else matches nothing and is a mistake. */
static bool outcome_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return false;
    return true;
}

/* A time bound (call_filters_time) into *ms. */
static param_status read_time(const char *query, const char *key, bool end_of_day, int64_t *ms, vx_rpc_reply *reply)
{
    char value[64];
    vx_query_status st = vx_query_get(query, key, value, sizeof(value));
    if (st == VX_QUERY_ABSENT)
        return PARAM_ABSENT;
    if (st == VX_QUERY_OK && call_filters_time(value, end_of_day, ms))
        return PARAM_SET;
    char message[256];
    snprintf(message, sizeof(message),
             "%s must be a date (2026-01-31) or a timestamp with its offset (2026-01-31T09:30:00Z; send a '+' as %%2B), "
             "from 1970 on.",
             key);
    return refuse(reply, message);
}

/* from and to of a request: *from_ms, *to_ms keep the caller's defaults when absent. */
static bool read_window(const char *query, int64_t *from_ms, int64_t *to_ms, bool *has_from, bool *has_to, vx_rpc_reply *reply)
{
    param_status f = read_time(query, "from", false, from_ms, reply);
    if (f == PARAM_BAD)
        return false;
    param_status t = read_time(query, "to", true, to_ms, reply);
    if (t == PARAM_BAD)
        return false;
    *has_from = f == PARAM_SET;
    *has_to = t == PARAM_SET;
    return true;
}

/* The list's filters and paging, as read from the query. */
typedef struct list_query {
    long page, limit;
    bool has_page, has_cursor;
    int64_t from_ms, to_ms;
    bool has_from, has_to;
    int64_t after_us;
    char after_id[37];
    char status[16], outcome[72], tier[8], call_type[16], sentiment[16];
    bool has_status, has_outcome, has_tier, has_call_type, has_sentiment;
    char *name_like, *phone_like; /* owned; NULL when there is no search */
} list_query;

static bool read_list_query(const vx_gateway_request *req, list_query *lq, vx_rpc_reply *reply)
{
    const char *q = req->query;
    vx_query_status st = vx_query_long(q, "page", 1, 100000, &lq->page);
    if (st == VX_QUERY_INVALID)
        return refused(reply, "page must be an integer from 1 to 100000.");
    lq->has_page = st == VX_QUERY_OK;
    if (vx_query_long(q, "limit", 1, 100, &lq->limit) == VX_QUERY_INVALID)
        return refused(reply, "limit must be an integer from 1 to 100.");

    st = vx_cursor_from_query(q, CALL_FILTERS_CURSOR_LIST, req->auth->org_id, &lq->after_us, lq->after_id);
    if (st == VX_QUERY_INVALID)
        return refused(reply, "cursor is not a next_cursor this list gave: start again without it.");
    lq->has_cursor = st == VX_QUERY_OK;
    if (lq->has_cursor && lq->has_page)
        return refused(reply, "page cannot be combined with cursor: the cursor already says where the page starts.");

    if (!read_window(q, &lq->from_ms, &lq->to_ms, &lq->has_from, &lq->has_to, reply))
        return false;
    if (lq->has_from && lq->has_to && lq->from_ms >= lq->to_ms)
        return refused(reply, "from must be before to.");

    param_status ps = read_choice(q, "status", STATUSES, N_OF(STATUSES), lq->status, sizeof(lq->status),
                                  "status must be one of queued, ringing, in-progress, forwarding, ended, completed.", reply);
    if (ps == PARAM_BAD)
        return false;
    lq->has_status = ps == PARAM_SET;
    ps = read_choice(q, "lead_tier", TIERS, N_OF(TIERS), lq->tier, sizeof(lq->tier), "lead_tier must be one of hot, warm, cold.",
                     reply);
    if (ps == PARAM_BAD)
        return false;
    lq->has_tier = ps == PARAM_SET;
    ps = read_choice(q, "sentiment", SENTIMENTS, N_OF(SENTIMENTS), lq->sentiment, sizeof(lq->sentiment),
                     "sentiment must be one of positive, neutral, negative.", reply);
    if (ps == PARAM_BAD)
        return false;
    lq->has_sentiment = ps == PARAM_SET;
    ps = read_choice(q, "call_type", CALL_TYPES, N_OF(CALL_TYPES), lq->call_type, sizeof(lq->call_type),
                     "call_type must be one of inbound, outbound, web.", reply);
    if (ps == PARAM_BAD)
        return false;
    lq->has_call_type = ps == PARAM_SET;

    st = vx_query_get(q, "outcome", lq->outcome, sizeof(lq->outcome));
    if (st == VX_QUERY_INVALID || (st == VX_QUERY_OK && !outcome_ok(lq->outcome)))
        return refused(reply, "outcome must be 1 to 64 letters, digits, '-' or '_' (as stored, e.g. completed).");
    lq->has_outcome = st == VX_QUERY_OK;

    char search[CALL_FILTERS_SEARCH_MAX + 1];
    st = vx_query_get(q, "q", search, sizeof(search));
    if (st == VX_QUERY_INVALID || (st == VX_QUERY_OK && search[0] != '\0' && !call_filters_search_ok(search)))
        return refused(reply, "q must be text of at most 100 bytes (UTF-8, no control characters).");
    if (st == VX_QUERY_OK && search[0] != '\0') { /* an empty search box searches nothing */
        lq->name_like = call_filters_like_pattern(search);
        lq->phone_like = call_filters_phone_pattern(search);
    }
    return true;
}

void dashboard_calls_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    list_query lq = {.page = 1, .limit = 20};
    if (!read_list_query(req, &lq, reply)) {
        free(lq.name_like);
        free(lq.phone_like);
        return;
    }
    char from[25], to[25], after_at[VX_TIME_US_LEN], after_id[37], limit_s[16], offset_s[24];
    if (lq.has_from)
        vx_time_format_iso(lq.from_ms, from);
    if (lq.has_to)
        vx_time_format_iso(lq.to_ms, to);
    call_filters_page_start(lq.has_to, lq.to_ms, lq.has_cursor, lq.after_us, lq.after_id, after_at, after_id);
    snprintf(limit_s, sizeof(limit_s), "%ld", lq.limit);
    snprintf(offset_s, sizeof(offset_s), "%ld", (lq.page - 1) * lq.limit);

    const char *params[DASHBOARD_CALLS_LIST_NPARAMS] = {
        [DASHBOARD_CALLS_LIST_ORG] = req->auth->org_id,
        [DASHBOARD_CALLS_LIST_FROM] = lq.has_from ? from : "-infinity",
        [DASHBOARD_CALLS_LIST_TO] = lq.has_to ? to : "infinity",
        [DASHBOARD_CALLS_LIST_AFTER_AT] = after_at,
        [DASHBOARD_CALLS_LIST_AFTER_ID] = after_id,
        [DASHBOARD_CALLS_LIST_STATUS] = lq.has_status ? lq.status : NULL,
        [DASHBOARD_CALLS_LIST_OUTCOME] = lq.has_outcome ? lq.outcome : NULL,
        [DASHBOARD_CALLS_LIST_TIER] = lq.has_tier ? lq.tier : NULL,
        [DASHBOARD_CALLS_LIST_TYPE] = lq.has_call_type ? lq.call_type : NULL,
        [DASHBOARD_CALLS_LIST_SENTIMENT] = lq.has_sentiment ? lq.sentiment : NULL,
        [DASHBOARD_CALLS_LIST_NAME_LIKE] = lq.name_like,
        [DASHBOARD_CALLS_LIST_PHONE_LIKE] = lq.phone_like,
        [DASHBOARD_CALLS_LIST_LIMIT] = limit_s,
        [DASHBOARD_CALLS_LIST_OFFSET] = lq.has_cursor ? "0" : offset_s,
        [DASHBOARD_CALLS_LIST_COUNT] = lq.has_cursor ? "false" : "true",
    };
    PGresult *res = vx_access_read_as_org(pg, req, DASHBOARD_CALLS_LIST_STMT, DASHBOARD_CALLS_LIST_NPARAMS, params, reply);
    free(lq.name_like);
    free(lq.phone_like);
    if (res == NULL)
        return;

    const char *more = vx_pg_value(res, 0, 1), *last_at = vx_pg_value(res, 0, 2), *last_id = vx_pg_value(res, 0, 3);
    const char *total = vx_pg_value(res, 0, 4), *capped = vx_pg_value(res, 0, 5);
    char *next = NULL;
    if (more != NULL && strcmp(more, "t") == 0 && last_at != NULL && last_id != NULL)
        next = vx_cursor_encode(CALL_FILTERS_CURSOR_LIST, req->auth->org_id, strtoll(last_at, NULL, 10), last_id);
    reply->status = 200;
    reply->content_type = "application/json";
    vx_buf_printf(&reply->body, "{\"calls\":%s,\"pagination\":{\"page\":", PQgetvalue(res, 0, 0));
    if (lq.has_cursor)
        vx_buf_puts(&reply->body, "null");
    else
        vx_buf_printf(&reply->body, "%ld", lq.page);
    const char *capped_json = capped == NULL ? "null" : strcmp(capped, "t") == 0 ? "true" : "false";
    vx_buf_printf(&reply->body, ",\"limit\":%ld,\"total\":%s,\"total_capped\":%s},\"next_cursor\":", lq.limit,
                  total != NULL ? total : "null", capped_json);
    if (next != NULL)
        vx_buf_json_string(&reply->body, next, strlen(next));
    else
        vx_buf_puts(&reply->body, "null");
    vx_buf_putc(&reply->body, '}');
    free(next);
    PQclear(res);
}

void dashboard_calls_stats(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    int64_t from_ms = 0, to_ms = vx_now_ms();
    bool has_from, has_to;
    if (!read_window(req->query, &from_ms, &to_ms, &has_from, &has_to, reply))
        return;
    if (!has_from)
        from_ms = to_ms - DEFAULT_WINDOW_MS;
    if (from_ms >= to_ms) {
        refuse(reply, "from must be before to (which is now unless given).");
        return;
    }
    if (to_ms - from_ms > MAX_WINDOW_MS) {
        refuse(reply, "from and to may be at most 366 days apart.");
        return;
    }
    char from[25], to[25];
    vx_time_format_iso(from_ms, from);
    vx_time_format_iso(to_ms, to);
    const char *params[DASHBOARD_CALLS_STATS_NPARAMS] = {req->auth->org_id, from, to};
    PGresult *res = vx_access_read_as_org(pg, req, DASHBOARD_CALLS_STATS_STMT, DASHBOARD_CALLS_STATS_NPARAMS, params, reply);
    if (res == NULL)
        return;
    vx_rpc_reply_json(reply, 200, PQgetvalue(res, 0, 0));
    PQclear(res);
}

void dashboard_calls_get(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_uuid(req, reply);
    if (id == NULL)
        return;
    const char *params[2] = {req->auth->org_id, id};
    PGresult *res = vx_access_read_as_org(pg, req, DASHBOARD_CALLS_GET_STMT, 2, params, reply);
    if (res == NULL)
        return;
    if (PQntuples(res) == 0)
        vx_rpc_reply_error(reply, 404, "not_found", "No call with this id.");
    else
        vx_rpc_reply_json(reply, 200, PQgetvalue(res, 0, 0));
    PQclear(res);
}
