/*
 * calls: the dashboard's call log — GET /api/calls (the list, filtered and
 * paged), GET /api/calls/stats (the figures of a window) and GET
 * /api/calls/{id} (one call with its transcript).
 *
 * Every query runs scoped to the caller's org (RLS) and also filters by
 * org_id in its WHERE clause: defence in depth. The handlers serve requests
 * that passed access.h's checks (the router makes sure): req->auth holds a
 * valid org id and a role that may read calls.
 *
 * GET /api/calls — parameters, all optional; a bad value is a 400
 * {"error", "code": "invalid_query"} whose message names the parameter:
 *   from, to     created_at in [from, to): a date ("2026-01-31", 00:00 UTC;
 *                as to, the end of that day) or an RFC 3339 timestamp with
 *                its offset (a '+' sent as %2B); from before to
 *   status       queued | ringing | in-progress | forwarding | ended | completed
 *   outcome      as stored (webhook-ingest writes "completed"): 1-64 of
 *                A-Z a-z 0-9 - _
 *   lead_tier    hot | warm | cold
 *   sentiment    positive | neutral | negative — the polarity webhook-ingest's
 *                analytics read from the stored label and score (SENTIMENT_EXPR
 *                in calls.c: "Very positive" is positive, a score alone counts
 *                >= 0.6 positive, <= 0.4 negative)
 *   call_type    inbound | outbound | web (as stored: webhook-ingest maps
 *                Vapi's inboundPhoneCall / outboundPhoneCall / webCall to these)
 *   q            up to 100 bytes: a case-insensitive substring of the
 *                caller's name, or, when it reads as a phone number, of the
 *                digits of its numbers ("(415) 555" finds +14155550100);
 *                empty is no search
 *   limit        1-100, default 20
 *   page         1-100000, default 1: offset paging, with a total
 *   cursor       next_cursor of the previous answer (libcommon/vx_cursor.h): keyset
 *                paging, no offset and no count; not with page
 * Answer: {"calls": [...newest first...], "pagination": {"page", "limit",
 * "total", "total_capped"}, "next_cursor": "…" | null}. total is the number
 * of calls that match, exact up to 10,000; past that it is 10000 and
 * total_capped true (a count is a scan of every match). With a cursor, page,
 * total and total_capped are null: not counting is what a cursor is for.
 * next_cursor continues after the page's last call, null when no call
 * follows; it works after a page as well.
 *
 * GET /api/calls/stats — from, to as above (default: the 30 days up to now;
 * at most 366 days apart). Answer:
 *   {"from", "to",
 *    "total_calls", "inbound_calls", "bookings" (calls with booking_confirmed),
 *    "inbound_bookings",
 *    "success_rate"  inbound_bookings / inbound_calls, a fraction 0..1 rounded
 *                    to 4 places (the seed's percentage is this × 100), 0 when
 *                    there was no inbound call,
 *    "pipeline_value" sum of financial_value (0 when none),
 *    "average_duration_seconds" over the calls with a duration, 1 place (0 when none),
 *    "calls_by_lead_tier": {"hot", "warm", "cold", "unscored"},
 *    "calls_by_sentiment": {"positive", "neutral", "negative", "unknown"},
 *    "recent_activity": the window's last 10 calls, newest first, each
 *                       {"id", "caller_name", "phone_number", "outcome",
 *                        "lead_tier", "created_at"}}
 */
#ifndef DASHBOARD_CALLS_H
#define DASHBOARD_CALLS_H

#include "vx_pg.h"
#include "vx_rpc.h"

/* Registers the statements this module uses on pg. */
void dashboard_calls_prepare(vx_pg *pg);
void dashboard_calls_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_calls_get(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
/* GET /api/calls/stats: pipeline value, success rate (bookings / inbound calls), average duration, recent activity. */
void dashboard_calls_stats(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

/* The statements dashboard_calls_prepare registers, by name, ending with
 * {NULL, NULL}: also what tests/integration/dashboard-api/test_calls_plans.c
 * EXPLAINs at a few hundred thousand calls, so a statement that leaves its
 * index fails a test instead of a dashboard. */
typedef struct dashboard_calls_statement {
    const char *name;
    const char *sql;
} dashboard_calls_statement;
extern const dashboard_calls_statement DASHBOARD_CALLS_STATEMENTS[];

#define DASHBOARD_CALLS_LIST_STMT  "calls_list"
#define DASHBOARD_CALLS_STATS_STMT "calls_stats"
#define DASHBOARD_CALLS_GET_STMT   "calls_get"

/* The list statement's parameters, in order (index i is $i+1); an absent
 * filter is NULL. AFTER_AT/AFTER_ID are where the page starts, exclusive
 * (call_filters_page_start: the cursor, or to when that comes first). */
enum {
    DASHBOARD_CALLS_LIST_ORG = 0,
    DASHBOARD_CALLS_LIST_FROM,       /* timestamptz; '-infinity' when absent */
    DASHBOARD_CALLS_LIST_TO,         /* timestamptz, exclusive; 'infinity' when absent (the count's bound) */
    DASHBOARD_CALLS_LIST_AFTER_AT,   /* timestamptz */
    DASHBOARD_CALLS_LIST_AFTER_ID,   /* uuid */
    DASHBOARD_CALLS_LIST_STATUS,     /* text */
    DASHBOARD_CALLS_LIST_OUTCOME,    /* text */
    DASHBOARD_CALLS_LIST_TIER,       /* text */
    DASHBOARD_CALLS_LIST_TYPE,       /* text */
    DASHBOARD_CALLS_LIST_SENTIMENT,  /* text: positive | neutral | negative */
    DASHBOARD_CALLS_LIST_NAME_LIKE,  /* the search as an ILIKE pattern */
    DASHBOARD_CALLS_LIST_PHONE_LIKE, /* its digits as a LIKE pattern, NULL when it is no number */
    DASHBOARD_CALLS_LIST_LIMIT,      /* int */
    DASHBOARD_CALLS_LIST_OFFSET,     /* int */
    DASHBOARD_CALLS_LIST_COUNT,      /* boolean: count the matches */
    DASHBOARD_CALLS_LIST_NPARAMS
};
/* Its answer, one row: the page's calls (JSON array), whether more follow
 * (boolean), the last call's created_at (unix microseconds) and id, then
 * (NULL unless counted) the total and whether it was capped (boolean). */

/* The stats statement's parameters: org, from, to (timestamptz, to exclusive).
 * Its answer: one row, one column, the JSON. */
#define DASHBOARD_CALLS_STATS_NPARAMS 3

#endif
