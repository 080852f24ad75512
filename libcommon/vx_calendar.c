/*
 * vx_calendar: an org's rules, calendar and openings (see vx_calendar.h).
 *
 * Design: one statement returns every rule together with the org's local
 * date and the transaction's now(), so a request works from one consistent
 * "today" and "now". A missing org_settings row is a LEFT JOIN with COALESCE
 * to the column defaults, so an org that never configured its calendar
 * still gets sensible answers. A calendar is loaded for a range of days in
 * two queries (windows, booked blocks) plus at most one ask of the outside
 * source, so "the next open day within 60 days" costs the same round trips
 * as one day; C then does the slot arithmetic on integers (vx_slots.h).
 */
#include "vx_calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_log.h"
#include "vx_time.h"

#define MS_PER_MINUTE 60000LL

#define STMT_RULES     "vx_calendar_rules"
#define STMT_LOCAL_DAY "vx_calendar_local_day"
#define STMT_WINDOWS   "vx_calendar_windows"
#define STMT_BUSY      "vx_calendar_busy"

/* An org without an org_settings row gets the column defaults of migrations/0003. */
static const char RULES_SQL[] =
    "SELECT z.tz, COALESCE(s.slot_minutes, 30), COALESCE(s.buffer_minutes, 0), COALESCE(s.booking_horizon_days, 60),"
    " COALESCE(s.min_notice_minutes, 60), (now() AT TIME ZONE z.tz)::date - DATE '1970-01-01',"
    " (extract(epoch FROM (now() AT TIME ZONE z.tz)::date::timestamp AT TIME ZONE z.tz) * 1000)::bigint,"
    " (extract(epoch FROM now()) * 1000)::bigint"
    " FROM (SELECT $1::uuid AS org_id) AS o LEFT JOIN org_settings s ON s.org_id = o.org_id,"
    " LATERAL (SELECT COALESCE(s.timezone, 'America/New_York') AS tz) AS z";

static const char LOCAL_DAY_SQL[] = "SELECT ($1::timestamptz AT TIME ZONE $2::text)::date - DATE '1970-01-01'";

/* Business hours of each local date in [$2, $3] as instants in zone $4. */
static const char WINDOWS_SQL[] = "SELECT days.d - DATE '1970-01-01',"
                                  " (extract(epoch FROM (days.d + h.opens) AT TIME ZONE $4::text) * 1000)::bigint,"
                                  " (extract(epoch FROM (days.d + h.closes) AT TIME ZONE $4::text) * 1000)::bigint"
                                  " FROM (SELECT $2::date + i AS d FROM generate_series(0, $3::date - $2::date) AS i) AS days"
                                  " JOIN business_hours h ON h.org_id = $1::uuid AND h.weekday = extract(dow FROM days.d)"
                                  " ORDER BY days.d, h.opens";

/* Booked blocks (buffer included) overlapping [$2, $3), but appointment $4. */
static const char BUSY_SQL[] =
    "SELECT (extract(epoch FROM lower(blocks)) * 1000)::bigint, (extract(epoch FROM upper(blocks)) * 1000)::bigint"
    " FROM appointments WHERE org_id = $1::uuid AND status = 'booked'"
    " AND blocks && tstzrange($2::timestamptz, $3::timestamptz)"
    " AND id IS DISTINCT FROM $4::uuid";

void vx_calendar_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_RULES, RULES_SQL);
    vx_pg_prepare(pg, STMT_LOCAL_DAY, LOCAL_DAY_SQL);
    vx_pg_prepare(pg, STMT_WINDOWS, WINDOWS_SQL);
    vx_pg_prepare(pg, STMT_BUSY, BUSY_SQL);
}

/* Runs a statement; on failure logs it and returns NULL. */
static PGresult *run(const vx_calendar_source *src, const char *stmt, int n, const char *const *params)
{
    PGresult *r = vx_pg_exec(src->pg, stmt, n, params);
    if (r == NULL)
        vx_log_error(src->request_id, src->org_id, "scheduling query failed", "statement", stmt, "error", vx_pg_error(src->pg),
                     "sqlstate", vx_pg_sqlstate(src->pg));
    return r;
}

/* The integer at (row, col); 0 for SQL NULL. */
static int64_t int_at(const PGresult *r, int row, int col)
{
    const char *v = vx_pg_value(r, row, col);
    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

/* "YYYY-MM-DD" of a local date into out[11] (years 1970..9999). */
static void date_text(int64_t day, char out[11])
{
    int64_t y;
    unsigned m, d;
    vx_civil_from_days(day, &y, &m, &d);
    snprintf(out, 11, "%04d-%02u-%02u", (int)y, m, d);
}

int vx_calendar_rules_load(const vx_calendar_source *src, vx_calendar_rules *out)
{
    const char *p[1] = {src->org_id};
    PGresult *r = run(src, STMT_RULES, 1, p);
    if (r == NULL)
        return -1;
    int rc = -1;
    if (PQntuples(r) == 1) {
        memset(out, 0, sizeof(*out));
        snprintf(out->timezone, sizeof(out->timezone), "%s", PQgetvalue(r, 0, 0));
        out->slot_minutes = (int)int_at(r, 0, 1);
        out->buffer_minutes = (int)int_at(r, 0, 2);
        out->horizon_days = (int)int_at(r, 0, 3);
        out->min_notice_minutes = (int)int_at(r, 0, 4);
        out->today = int_at(r, 0, 5);
        out->today_start_ms = int_at(r, 0, 6);
        out->now_ms = int_at(r, 0, 7);
        rc = 0;
    }
    PQclear(r);
    return rc;
}

int vx_calendar_local_day(const vx_calendar_source *src, const char *tz, int64_t instant_ms, int64_t *day)
{
    char iso[25];
    vx_time_format_iso(instant_ms, iso);
    const char *p[2] = {iso, tz};
    PGresult *r = run(src, STMT_LOCAL_DAY, 2, p);
    if (r == NULL)
        return -1;
    int rc = PQntuples(r) == 1 && vx_pg_value(r, 0, 0) != NULL ? 0 : -1;
    if (rc == 0)
        *day = int_at(r, 0, 0);
    PQclear(r);
    return rc;
}

static void *grow(void *p, size_t n, size_t size)
{
    void *q = realloc(p, (n ? n : 1) * size);
    if (q == NULL)
        abort();
    return q;
}

int vx_calendar_load(const vx_calendar_source *src, const vx_calendar_rules *rules, int64_t from, int64_t to,
                     const char *exclude_id, vx_calendar *cal)
{
    memset(cal, 0, sizeof(*cal));
    char from_s[11], to_s[11];
    date_text(from, from_s);
    date_text(to, to_s);
    const char *p[4] = {src->org_id, from_s, to_s, rules->timezone};
    PGresult *r = run(src, STMT_WINDOWS, 4, p);
    if (r == NULL)
        return -1;
    size_t n = (size_t)PQntuples(r);
    cal->days = grow(NULL, n, sizeof(*cal->days));
    cal->windows = grow(NULL, n, sizeof(*cal->windows));
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        cal->days[i] = int_at(r, (int)i, 0);
        cal->windows[i].start_ms = int_at(r, (int)i, 1);
        cal->windows[i].end_ms = int_at(r, (int)i, 2);
        lo = cal->windows[i].start_ms < lo ? cal->windows[i].start_ms : lo;
        hi = cal->windows[i].end_ms > hi ? cal->windows[i].end_ms : hi;
    }
    cal->nwindows = n;
    PQclear(r);
    if (n == 0)
        return 0;

    /* A slot at closing time still blocks its buffer after the close. */
    int64_t buffer_ms = rules->buffer_minutes * MS_PER_MINUTE;
    hi += buffer_ms;
    char lo_s[25], hi_s[25];
    vx_time_format_iso(lo, lo_s);
    vx_time_format_iso(hi, hi_s);
    const char *bp[4] = {src->org_id, lo_s, hi_s, exclude_id};
    r = run(src, STMT_BUSY, 4, bp);
    if (r == NULL) {
        vx_calendar_free(cal);
        return -1;
    }
    cal->nbusy = (size_t)PQntuples(r);
    cal->busy = grow(NULL, cal->nbusy, sizeof(*cal->busy));
    for (size_t i = 0; i < cal->nbusy; i++) {
        cal->busy[i].start_ms = int_at(r, (int)i, 0);
        cal->busy[i].end_ms = int_at(r, (int)i, 1);
    }
    PQclear(r);
    if (src->extra_busy == NULL)
        return 0;
    vx_slots_span *extra = NULL;
    size_t ne = src->extra_busy(src->extra_arg, lo, hi, buffer_ms, &extra);
    cal->busy = grow(cal->busy, cal->nbusy + ne, sizeof(*cal->busy));
    if (ne > 0)
        memcpy(cal->busy + cal->nbusy, extra, ne * sizeof(*extra));
    cal->nbusy += ne;
    free(extra);
    return 0;
}

void vx_calendar_free(vx_calendar *cal)
{
    free(cal->days);
    free(cal->windows);
    free(cal->busy);
    memset(cal, 0, sizeof(*cal));
}

const vx_slots_span *vx_calendar_day(const vx_calendar *cal, int64_t day, size_t *n)
{
    size_t i = 0;
    while (i < cal->nwindows && cal->days[i] < day)
        i++;
    size_t j = i;
    while (j < cal->nwindows && cal->days[j] == day)
        j++;
    *n = j - i;
    return cal->windows != NULL ? cal->windows + i : NULL;
}

size_t vx_calendar_slots(const vx_calendar *cal, const vx_calendar_rules *r, int64_t day, int64_t length_ms, int64_t *out,
                         size_t max)
{
    vx_slots_request req;
    req.windows = vx_calendar_day(cal, day, &req.nwindows);
    req.busy = cal->busy;
    req.nbusy = cal->nbusy;
    req.length_ms = length_ms;
    req.buffer_ms = r->buffer_minutes * MS_PER_MINUTE;
    req.earliest_ms = r->now_ms + r->min_notice_minutes * MS_PER_MINUTE;
    return req.nwindows > 0 ? vx_slots_free(&req, out, max) : 0;
}

/* Fills o's offer from the free slots of day. */
static void offer(vx_calendar_openings *o, int64_t day, const int64_t *all, size_t total, int64_t target_ms)
{
    size_t n = total < VX_CALENDAR_DAY_MAX ? total : VX_CALENDAR_DAY_MAX;
    o->found = true;
    o->on_day = day;
    o->total_on = total;
    if (target_ms != 0) {
        o->nslots = vx_slots_nearest(all, n, target_ms, o->slots, VX_CALENDAR_OFFER_MAX);
    } else {
        o->nslots = n < VX_CALENDAR_OFFER_MAX ? n : VX_CALENDAR_OFFER_MAX;
        memcpy(o->slots, all, o->nslots * sizeof(*all));
    }
}

int vx_calendar_openings_find(const vx_calendar_source *src, const vx_calendar_rules *r, int64_t day, int64_t length_ms,
                              int64_t target_ms, const char *exclude_id, vx_calendar_openings *o)
{
    memset(o, 0, sizeof(*o));
    int64_t all[VX_CALENDAR_DAY_MAX];
    vx_calendar cal;
    if (vx_calendar_load(src, r, day, day, exclude_id, &cal) != 0)
        return -1;
    size_t nwin;
    vx_calendar_day(&cal, day, &nwin);
    o->day_open = nwin > 0;
    o->day_total = vx_calendar_slots(&cal, r, day, length_ms, all, VX_CALENDAR_DAY_MAX);
    vx_calendar_free(&cal);
    if (o->day_total > 0) {
        offer(o, day, all, o->day_total, target_ms);
        return 0;
    }
    int64_t first = day + 1, last = r->today + r->horizon_days;
    if (first > last)
        return 0;
    if (vx_calendar_load(src, r, first, last, exclude_id, &cal) != 0)
        return -1;
    for (int64_t d = first; d <= last && cal.nwindows > 0; d++) {
        size_t total = vx_calendar_slots(&cal, r, d, length_ms, all, VX_CALENDAR_DAY_MAX);
        if (total > 0) {
            offer(o, d, all, total, 0);
            break;
        }
    }
    vx_calendar_free(&cal);
    return 0;
}

bool vx_calendar_lost_race(const vx_pg *pg)
{
    const char *state = vx_pg_sqlstate(pg);
    return strcmp(state, "23P01") == 0 || strcmp(state, "40P01") == 0;
}
