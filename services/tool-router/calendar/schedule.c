/*
 * schedule: the org's scheduling rules and services (see schedule.h).
 *
 * Design: the rules are libcommon's vx_calendar_rules_load — one statement
 * returns every rule together with the org's local date and the
 * transaction's now(), so the tool works from one consistent "today" and
 * "now", PostgreSQL's clock, not this machine's — kept here in the shape
 * the tools use (a date_ymd today).
 */
#include "calendar/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_log.h"

#define STMT_SERVICE  "sched_service"
#define STMT_SERVICES "sched_services"

/* Exact name, then keyword, then the name inside what was said (or the other way round). */
static const char SERVICE_SQL[] =
    "SELECT id, name, duration_minutes FROM services"
    " WHERE org_id = $1::uuid AND active AND (lower(name) = lower($2::text)"
    " OR EXISTS (SELECT 1 FROM unnest(keywords) AS k WHERE lower(k) = lower($2::text))"
    " OR (length($2::text) >= 3 AND (strpos(lower($2::text), lower(name)) > 0 OR strpos(lower(name), lower($2::text)) > 0"
    " OR EXISTS (SELECT 1 FROM unnest(keywords) AS k WHERE length(k) >= 3 AND strpos(lower($2::text), lower(k)) > 0))))"
    " ORDER BY lower(name) = lower($2::text) DESC,"
    " EXISTS (SELECT 1 FROM unnest(keywords) AS k WHERE lower(k) = lower($2::text)) DESC, length(name) DESC, id"
    " LIMIT 1";

static const char SERVICES_SQL[] = "SELECT name FROM services WHERE org_id = $1::uuid AND active ORDER BY lower(name) LIMIT 8";

void schedule_prepare(vx_pg *pg)
{
    vx_calendar_prepare(pg); /* the rules, the calendar and its openings: libcommon's, shared with dashboard-api */
    vx_pg_prepare(pg, STMT_SERVICE, SERVICE_SQL);
    vx_pg_prepare(pg, STMT_SERVICES, SERVICES_SQL);
}

PGresult *schedule_exec(const tool_ctx *ctx, const char *stmt, int n, const char *const *params)
{
    PGresult *r = vx_pg_exec(ctx->pg, stmt, n, params);
    if (r == NULL)
        vx_log_error(ctx->request_id, ctx->org_id, "scheduling query failed", "statement", stmt, "error", vx_pg_error(ctx->pg),
                     "sqlstate", vx_pg_sqlstate(ctx->pg));
    return r;
}

int64_t schedule_int_at(const PGresult *r, int row, int col)
{
    const char *v = vx_pg_value(r, row, col);
    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

int schedule_load(const tool_ctx *ctx, schedule *s)
{
    vx_calendar_source src = {.pg = ctx->pg, .request_id = ctx->request_id, .org_id = ctx->org_id};
    vx_calendar_rules r;
    if (vx_calendar_rules_load(&src, &r) != 0)
        return -1;
    snprintf(s->timezone, sizeof(s->timezone), "%s", r.timezone);
    s->slot_minutes = r.slot_minutes;
    s->buffer_minutes = r.buffer_minutes;
    s->horizon_days = r.horizon_days;
    s->min_notice_minutes = r.min_notice_minutes;
    s->today = date_from_days(r.today);
    s->now_ms = r.now_ms;
    return 0;
}

void schedule_rules(const schedule *s, vx_calendar_rules *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->timezone, sizeof(r->timezone), "%s", s->timezone);
    r->slot_minutes = s->slot_minutes;
    r->buffer_minutes = s->buffer_minutes;
    r->horizon_days = s->horizon_days;
    r->min_notice_minutes = s->min_notice_minutes;
    r->today = date_days(s->today);
    r->now_ms = s->now_ms;
}

date_ymd schedule_horizon_end(const schedule *s)
{
    return date_from_days(date_days(s->today) + s->horizon_days);
}

int schedule_service_find(const tool_ctx *ctx, const char *wanted, schedule_service *out)
{
    memset(out, 0, sizeof(*out));
    if (wanted == NULL || *wanted == '\0')
        return 0;
    const char *p[2] = {ctx->org_id, wanted};
    PGresult *r = schedule_exec(ctx, STMT_SERVICE, 2, p);
    if (r == NULL)
        return -1;
    if (PQntuples(r) > 0) {
        out->found = true;
        snprintf(out->id, sizeof(out->id), "%s", PQgetvalue(r, 0, 0));
        snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(r, 0, 1));
        out->duration_minutes = (int)schedule_int_at(r, 0, 2);
    }
    PQclear(r);
    return 0;
}

int schedule_service_names(const tool_ctx *ctx, vx_buf *out, int *count)
{
    const char *p[1] = {ctx->org_id};
    PGresult *r = schedule_exec(ctx, STMT_SERVICES, 1, p);
    if (r == NULL)
        return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        if (i > 0)
            vx_buf_puts(out, i == n - 1 ? " and " : ", ");
        vx_buf_puts(out, PQgetvalue(r, i, 0));
    }
    *count = n;
    PQclear(r);
    return 0;
}
