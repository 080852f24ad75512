/*
 * local_time: time-zone conversions through PostgreSQL (see local_time.h).
 *
 * Design: many instants are formatted in one round trip — they travel as
 * one timestamptz[] literal and come back in order (WITH ORDINALITY) — so an
 * answer offering three slots costs one query, not three.
 */
#include "calendar/local_time.h"

#include <stdio.h>

#include "calendar/schedule.h"
#include "vx_time.h"

#define STMT_FORMAT "sched_format"
#define STMT_LOCAL  "sched_local"

static const char FORMAT_SQL[] =
    "SELECT to_char(t AT TIME ZONE $2::text, 'FMHH12:MI AM'), (t AT TIME ZONE $2::text)::date - DATE '1970-01-01'"
    " FROM unnest($1::timestamptz[]) WITH ORDINALITY AS u(t, i) ORDER BY i";

static const char LOCAL_SQL[] = "SELECT (extract(epoch FROM $1::timestamp AT TIME ZONE $2::text) * 1000)::bigint";

void local_time_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_FORMAT, FORMAT_SQL);
    vx_pg_prepare(pg, STMT_LOCAL, LOCAL_SQL);
}

int local_time_format(const tool_ctx *ctx, const char *tz, const int64_t *instants, size_t n, local_time *out)
{
    if (n == 0)
        return 0;
    vx_buf arr = VX_BUF_INIT;
    vx_buf_putc(&arr, '{');
    for (size_t i = 0; i < n; i++) {
        char iso[25];
        vx_time_format_iso(instants[i], iso);
        if (i > 0)
            vx_buf_putc(&arr, ',');
        vx_buf_puts(&arr, iso);
    }
    vx_buf_putc(&arr, '}');
    const char *p[2] = {arr.data, tz};
    PGresult *r = schedule_exec(ctx, STMT_FORMAT, 2, p);
    vx_buf_free(&arr);
    if (r == NULL)
        return -1;
    int rc = (size_t)PQntuples(r) == n ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        snprintf(out[i].time, sizeof(out[i].time), "%s", PQgetvalue(r, (int)i, 0));
        out[i].date = date_from_days(schedule_int_at(r, (int)i, 1));
        date_label(out[i].date, out[i].date_label, sizeof(out[i].date_label));
    }
    PQclear(r);
    return rc;
}

int local_time_instant(const tool_ctx *ctx, const char *tz, const date_time *dt, int64_t *out)
{
    char local[20];
    date_time_local(dt, local);
    const char *p[2] = {local, tz};
    PGresult *r = schedule_exec(ctx, STMT_LOCAL, 2, p);
    if (r == NULL)
        return -1;
    int rc = PQntuples(r) == 1 && vx_pg_value(r, 0, 0) != NULL ? 0 : -1;
    if (rc == 0)
        *out = schedule_int_at(r, 0, 0);
    PQclear(r);
    return rc;
}

void local_time_say_list(vx_buf *b, const local_time *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            vx_buf_puts(b, i == n - 1 ? " and " : ", ");
        vx_buf_puts(b, w[i].time);
    }
}
