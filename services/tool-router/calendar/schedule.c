/*
 * schedule: the org's scheduling rules and services (see schedule.h).
 *
 * Design: one statement returns every rule together with the org's local
 * date and the transaction's now(), so the tool works from one consistent
 * "today" and "now" — PostgreSQL's clock, not this machine's. A missing
 * org_settings row is a LEFT JOIN with COALESCE to the column defaults, so
 * an org that never configured its calendar still gets sensible answers.
 */
#include "calendar/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_log.h"

#define STMT_SETTINGS "sched_settings"
#define STMT_SERVICE  "sched_service"
#define STMT_SERVICES "sched_services"

/* An org without an org_settings row gets the column defaults of migrations/0003. */
static const char SETTINGS_SQL[] =
    "SELECT COALESCE(s.timezone, 'America/New_York'), COALESCE(s.slot_minutes, 30), COALESCE(s.buffer_minutes, 0),"
    " COALESCE(s.booking_horizon_days, 60), COALESCE(s.min_notice_minutes, 60),"
    " to_char(now() AT TIME ZONE COALESCE(s.timezone, 'America/New_York'), 'YYYY-MM-DD'),"
    " (extract(epoch FROM now()) * 1000)::bigint"
    " FROM (SELECT $1::uuid AS org_id) AS o LEFT JOIN org_settings s ON s.org_id = o.org_id";

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
    vx_pg_prepare(pg, STMT_SETTINGS, SETTINGS_SQL);
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
    const char *p[1] = {ctx->org_id};
    PGresult *r = schedule_exec(ctx, STMT_SETTINGS, 1, p);
    if (r == NULL)
        return -1;
    int rc = -1;
    if (PQntuples(r) == 1 && date_parse(PQgetvalue(r, 0, 5), &s->today)) {
        snprintf(s->timezone, sizeof(s->timezone), "%s", PQgetvalue(r, 0, 0));
        s->slot_minutes = (int)schedule_int_at(r, 0, 1);
        s->buffer_minutes = (int)schedule_int_at(r, 0, 2);
        s->horizon_days = (int)schedule_int_at(r, 0, 3);
        s->min_notice_minutes = (int)schedule_int_at(r, 0, 4);
        s->now_ms = schedule_int_at(r, 0, 6);
        rc = 0;
    }
    PQclear(r);
    return rc;
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
