/*
 * scheduling_core: settings, services, calendar, openings and formatting
 * shared by the calendar tools (see scheduling_core.h).
 *
 * Design: PostgreSQL does every time-zone conversion — business hours become
 * instants with `(date + opens) AT TIME ZONE tz` and instants become spoken
 * local times with to_char(… AT TIME ZONE tz) — because its tz database is
 * what makes DST days right (a 23-hour spring day has fewer slots). C then
 * does the slot arithmetic on integers (availability.c). A calendar is loaded
 * for a range of days in two queries (windows, booked blocks) plus at most
 * one Google freeBusy call, so "the next open day within 60 days" costs the
 * same round trips as one day.
 */
#include "scheduling_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "voxanne/v1/vault.pb-c.h"
#include "vx_log.h"
#include "vx_time.h"

#define MS_PER_MINUTE    60000LL
#define VAULT_SUBJECT    "rpc.vault.google.token"
#define VAULT_TIMEOUT_MS 300

#define STMT_SETTINGS "sched_settings"
#define STMT_WINDOWS  "sched_windows"
#define STMT_BUSY     "sched_busy"
#define STMT_FORMAT   "sched_format"
#define STMT_LOCAL    "sched_local"
#define STMT_SERVICE  "sched_service"
#define STMT_SERVICES "sched_services"

/* An org without an org_settings row gets the column defaults of migrations/0003. */
static const char SETTINGS_SQL[] =
    "SELECT COALESCE(s.timezone, 'America/New_York'), COALESCE(s.slot_minutes, 30), COALESCE(s.buffer_minutes, 0),"
    " COALESCE(s.booking_horizon_days, 60), COALESCE(s.min_notice_minutes, 60),"
    " to_char(now() AT TIME ZONE COALESCE(s.timezone, 'America/New_York'), 'YYYY-MM-DD'),"
    " (extract(epoch FROM now()) * 1000)::bigint"
    " FROM (SELECT $1::uuid AS org_id) AS o LEFT JOIN org_settings s ON s.org_id = o.org_id";

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

static const char FORMAT_SQL[] =
    "SELECT to_char(t AT TIME ZONE $2::text, 'FMHH12:MI AM'), (t AT TIME ZONE $2::text)::date - DATE '1970-01-01'"
    " FROM unnest($1::timestamptz[]) WITH ORDINALITY AS u(t, i) ORDER BY i";

static const char LOCAL_SQL[] = "SELECT (extract(epoch FROM $1::timestamp AT TIME ZONE $2::text) * 1000)::bigint";

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

void scheduling_core_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_SETTINGS, SETTINGS_SQL);
    vx_pg_prepare(pg, STMT_WINDOWS, WINDOWS_SQL);
    vx_pg_prepare(pg, STMT_BUSY, BUSY_SQL);
    vx_pg_prepare(pg, STMT_FORMAT, FORMAT_SQL);
    vx_pg_prepare(pg, STMT_LOCAL, LOCAL_SQL);
    vx_pg_prepare(pg, STMT_SERVICE, SERVICE_SQL);
    vx_pg_prepare(pg, STMT_SERVICES, SERVICES_SQL);
}

PGresult *scheduling_exec(const tool_ctx *ctx, const char *stmt, int n, const char *const *params)
{
    PGresult *r = vx_pg_exec(ctx->pg, stmt, n, params);
    if (r == NULL)
        vx_log_error(ctx->request_id, ctx->org_id, "scheduling query failed", "statement", stmt, "error", vx_pg_error(ctx->pg),
                     "sqlstate", vx_pg_sqlstate(ctx->pg));
    return r;
}

static int64_t _int_at(const PGresult *r, int row, int col)
{
    const char *v = vx_pg_value(r, row, col);
    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

int scheduling_settings_load(const tool_ctx *ctx, scheduling_settings *s)
{
    const char *p[1] = {ctx->org_id};
    PGresult *r = scheduling_exec(ctx, STMT_SETTINGS, 1, p);
    if (r == NULL)
        return -1;
    int rc = -1;
    if (PQntuples(r) == 1 && availability_date_parse(PQgetvalue(r, 0, 5), &s->today)) {
        snprintf(s->timezone, sizeof(s->timezone), "%s", PQgetvalue(r, 0, 0));
        s->slot_minutes = (int)_int_at(r, 0, 1);
        s->buffer_minutes = (int)_int_at(r, 0, 2);
        s->horizon_days = (int)_int_at(r, 0, 3);
        s->min_notice_minutes = (int)_int_at(r, 0, 4);
        s->now_ms = _int_at(r, 0, 6);
        rc = 0;
    }
    PQclear(r);
    return rc;
}

availability_date scheduling_horizon_end(const scheduling_settings *s)
{
    return availability_date_from_days(availability_date_days(s->today) + s->horizon_days);
}

int scheduling_service_find(const tool_ctx *ctx, const char *wanted, scheduling_service *out)
{
    memset(out, 0, sizeof(*out));
    if (wanted == NULL || *wanted == '\0')
        return 0;
    const char *p[2] = {ctx->org_id, wanted};
    PGresult *r = scheduling_exec(ctx, STMT_SERVICE, 2, p);
    if (r == NULL)
        return -1;
    if (PQntuples(r) > 0) {
        out->found = true;
        snprintf(out->id, sizeof(out->id), "%s", PQgetvalue(r, 0, 0));
        snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(r, 0, 1));
        out->duration_minutes = (int)_int_at(r, 0, 2);
    }
    PQclear(r);
    return 0;
}

int scheduling_service_names(const tool_ctx *ctx, vx_buf *out, int *count)
{
    const char *p[1] = {ctx->org_id};
    PGresult *r = scheduling_exec(ctx, STMT_SERVICES, 1, p);
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

/* Per worker thread: until when the vault is taken to be absent. When
 * credential-vault is not deployed (or down) every calendar tool would
 * otherwise pay a NATS round trip to learn that again. */
static _Thread_local int64_t vault_absent_until_ms;

void scheduling_google_open(const tool_ctx *ctx, scheduling_google *g)
{
    memset(g, 0, sizeof(*g));
    long miss_ttl = ctx->settings != NULL ? ctx->settings->vault_miss_ttl_ms : 0;
    if (ctx->nc == NULL || (miss_ttl > 0 && vx_now_ms() < vault_absent_until_ms))
        return;
    Voxanne__V1__GoogleTokenRequest req = VOXANNE__V1__GOOGLE_TOKEN_REQUEST__INIT;
    req.request_id = (char *)(ctx->request_id != NULL ? ctx->request_id : "");
    req.org_id = (char *)ctx->org_id;
    size_t len = voxanne__v1__google_token_request__get_packed_size(&req);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    if (buf == NULL)
        abort();
    voxanne__v1__google_token_request__pack(&req, buf);
    natsMsg *msg = NULL;
    natsStatus st = natsConnection_Request(&msg, ctx->nc, VAULT_SUBJECT, buf, (int)len, VAULT_TIMEOUT_MS);
    free(buf);
    if (st != NATS_OK || natsMsg_IsNoResponders(msg)) {
        if (miss_ttl > 0)
            vault_absent_until_ms = vx_now_ms() + miss_ttl;
        vx_log_debug(ctx->request_id, ctx->org_id, "google calendar not used", "reason",
                     st != NATS_OK ? natsStatus_GetText(st) : "no credential vault");
        natsMsg_Destroy(msg);
        return;
    }
    Voxanne__V1__GoogleTokenReply *rep =
        voxanne__v1__google_token_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    natsMsg_Destroy(msg);
    if (rep == NULL) {
        vx_log_warn(ctx->request_id, ctx->org_id, "google calendar not used", "reason", "unreadable vault reply");
        return;
    }
    if (!rep->connected || rep->access_token == NULL || rep->access_token[0] == '\0') {
        vx_log_debug(ctx->request_id, ctx->org_id, "google calendar not used", "reason",
                     rep->error != NULL && rep->error[0] != '\0' ? rep->error : "not connected");
    } else {
        g->access_token = strdup(rep->access_token);
        g->calendar_id = strdup(rep->calendar_id != NULL && rep->calendar_id[0] != '\0' ? rep->calendar_id : "primary");
        if (g->access_token == NULL || g->calendar_id == NULL)
            abort();
        memset(rep->access_token, 0, strlen(rep->access_token));
        g->conn.base_url = ctx->settings != NULL ? ctx->settings->google_calendar_base_url : getenv("GOOGLE_CALENDAR_BASE_URL");
        g->conn.timeout_ms = ctx->settings != NULL ? ctx->settings->google_timeout_ms : 0; /* 0: the module's default */
        g->conn.access_token = g->access_token;
        g->conn.calendar_id = g->calendar_id;
        g->conn.request_id = ctx->request_id;
        g->conn.org_id = ctx->org_id;
        g->connected = true;
    }
    voxanne__v1__google_token_reply__free_unpacked(rep, NULL);
}

void scheduling_google_close(scheduling_google *g)
{
    if (g->access_token != NULL)
        memset(g->access_token, 0, strlen(g->access_token));
    free(g->access_token);
    free(g->calendar_id);
    memset(g, 0, sizeof(*g));
}

static void *_grow(void *p, size_t n, size_t size)
{
    void *q = realloc(p, (n ? n : 1) * size);
    if (q == NULL)
        abort();
    return q;
}

size_t scheduling_google_busy(scheduling_google *g, int64_t from_ms, int64_t to_ms, int64_t buffer_ms, availability_span **out)
{
    *out = NULL;
    if (g == NULL || !g->connected)
        return 0;
    google_interval *busy = NULL;
    size_t n = 0, kept = 0;
    google_status st = google_freebusy(&g->conn, from_ms, to_ms, &busy, &n);
    if (st != GOOGLE_OK) {
        vx_log_warn(g->conn.request_id, g->conn.org_id, "proceeding without google calendar", "status", google_status_name(st));
        g->connected = false;
        return 0;
    }
    availability_span *list = _grow(NULL, 2 * n, sizeof(*list)); /* a cut can split one interval in two */
    int64_t a = g->ignore_start_ms, b = g->ignore_end_ms;
    for (size_t i = 0; i < n; i++) {
        int64_t s = busy[i].start_ms, e = busy[i].end_ms;
        if (a < b && s < b && a < e) { /* overlaps the ignored span: keep what lies outside it */
            if (s < a)
                list[kept++] = (availability_span){s, a + buffer_ms};
            if (e > b)
                list[kept++] = (availability_span){b, e + buffer_ms};
        } else {
            list[kept++] = (availability_span){s, e + buffer_ms};
        }
    }
    free(busy);
    *out = list;
    return kept;
}

int scheduling_calendar_load(const tool_ctx *ctx, const scheduling_settings *s, scheduling_google *g, availability_date from,
                             availability_date to, const char *exclude_id, scheduling_calendar *cal)
{
    memset(cal, 0, sizeof(*cal));
    char from_s[11], to_s[11];
    availability_date_iso(from, from_s);
    availability_date_iso(to, to_s);
    const char *p[4] = {ctx->org_id, from_s, to_s, s->timezone};
    PGresult *r = scheduling_exec(ctx, STMT_WINDOWS, 4, p);
    if (r == NULL)
        return -1;
    size_t n = (size_t)PQntuples(r);
    cal->days = _grow(NULL, n, sizeof(*cal->days));
    cal->windows = _grow(NULL, n, sizeof(*cal->windows));
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        cal->days[i] = _int_at(r, (int)i, 0);
        cal->windows[i].start_ms = _int_at(r, (int)i, 1);
        cal->windows[i].end_ms = _int_at(r, (int)i, 2);
        lo = cal->windows[i].start_ms < lo ? cal->windows[i].start_ms : lo;
        hi = cal->windows[i].end_ms > hi ? cal->windows[i].end_ms : hi;
    }
    cal->nwindows = n;
    PQclear(r);
    if (n == 0)
        return 0;

    /* A slot at closing time still blocks its buffer after the close. */
    int64_t buffer_ms = s->buffer_minutes * MS_PER_MINUTE;
    hi += buffer_ms;
    char lo_s[25], hi_s[25];
    vx_time_format_iso(lo, lo_s);
    vx_time_format_iso(hi, hi_s);
    const char *bp[4] = {ctx->org_id, lo_s, hi_s, exclude_id};
    r = scheduling_exec(ctx, STMT_BUSY, 4, bp);
    if (r == NULL) {
        scheduling_calendar_free(cal);
        return -1;
    }
    cal->nbusy = (size_t)PQntuples(r);
    cal->busy = _grow(NULL, cal->nbusy, sizeof(*cal->busy));
    for (size_t i = 0; i < cal->nbusy; i++) {
        cal->busy[i].start_ms = _int_at(r, (int)i, 0);
        cal->busy[i].end_ms = _int_at(r, (int)i, 1);
    }
    PQclear(r);
    availability_span *google = NULL;
    size_t ng = scheduling_google_busy(g, lo, hi, buffer_ms, &google);
    cal->busy = _grow(cal->busy, cal->nbusy + ng, sizeof(*cal->busy));
    if (ng > 0)
        memcpy(cal->busy + cal->nbusy, google, ng * sizeof(*google));
    cal->nbusy += ng;
    free(google);
    return 0;
}

void scheduling_calendar_free(scheduling_calendar *cal)
{
    free(cal->days);
    free(cal->windows);
    free(cal->busy);
    memset(cal, 0, sizeof(*cal));
}

const availability_span *scheduling_calendar_day(const scheduling_calendar *cal, availability_date day, size_t *n)
{
    int64_t d = availability_date_days(day);
    size_t i = 0;
    while (i < cal->nwindows && cal->days[i] < d)
        i++;
    size_t j = i;
    while (j < cal->nwindows && cal->days[j] == d)
        j++;
    *n = j - i;
    return cal->windows != NULL ? cal->windows + i : NULL;
}

size_t scheduling_calendar_slots(const scheduling_calendar *cal, const scheduling_settings *s, availability_date day,
                                 int64_t length_ms, int64_t *out, size_t max)
{
    availability_request req;
    req.windows = scheduling_calendar_day(cal, day, &req.nwindows);
    req.busy = cal->busy;
    req.nbusy = cal->nbusy;
    req.length_ms = length_ms;
    req.buffer_ms = s->buffer_minutes * MS_PER_MINUTE;
    req.earliest_ms = s->now_ms + s->min_notice_minutes * MS_PER_MINUTE;
    return req.nwindows > 0 ? availability_free_slots(&req, out, max) : 0;
}

/* Fills o's offer from the free slots of day. */
static void _offer(scheduling_openings *o, availability_date day, const int64_t *all, size_t total, int64_t target_ms)
{
    size_t n = total < SCHEDULING_DAY_MAX ? total : SCHEDULING_DAY_MAX;
    o->found = true;
    o->on = day;
    o->total_on = total;
    if (target_ms != 0) {
        o->nslots = availability_nearest(all, n, target_ms, o->slots, SCHEDULING_OFFER_MAX);
    } else {
        o->nslots = n < SCHEDULING_OFFER_MAX ? n : SCHEDULING_OFFER_MAX;
        memcpy(o->slots, all, o->nslots * sizeof(*all));
    }
}

int scheduling_find_openings(const tool_ctx *ctx, const scheduling_settings *s, scheduling_google *g, availability_date day,
                             int64_t length_ms, int64_t target_ms, const char *exclude_id, scheduling_openings *o)
{
    memset(o, 0, sizeof(*o));
    int64_t all[SCHEDULING_DAY_MAX];
    scheduling_calendar cal;
    if (scheduling_calendar_load(ctx, s, g, day, day, exclude_id, &cal) != 0)
        return -1;
    size_t nwin;
    scheduling_calendar_day(&cal, day, &nwin);
    o->day_open = nwin > 0;
    o->day_total = scheduling_calendar_slots(&cal, s, day, length_ms, all, SCHEDULING_DAY_MAX);
    scheduling_calendar_free(&cal);
    if (o->day_total > 0) {
        _offer(o, day, all, o->day_total, target_ms);
        return 0;
    }
    int64_t first = availability_date_days(day) + 1, last = availability_date_days(scheduling_horizon_end(s));
    if (first > last)
        return 0;
    if (scheduling_calendar_load(ctx, s, g, availability_date_from_days(first), availability_date_from_days(last), exclude_id,
                                 &cal) != 0)
        return -1;
    for (int64_t d = first; d <= last && cal.nwindows > 0; d++) {
        size_t total = scheduling_calendar_slots(&cal, s, availability_date_from_days(d), length_ms, all, SCHEDULING_DAY_MAX);
        if (total > 0) {
            _offer(o, availability_date_from_days(d), all, total, 0);
            break;
        }
    }
    scheduling_calendar_free(&cal);
    return 0;
}

int scheduling_format(const tool_ctx *ctx, const char *tz, const int64_t *instants, size_t n, scheduling_when *out)
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
    PGresult *r = scheduling_exec(ctx, STMT_FORMAT, 2, p);
    vx_buf_free(&arr);
    if (r == NULL)
        return -1;
    int rc = (size_t)PQntuples(r) == n ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        snprintf(out[i].time, sizeof(out[i].time), "%s", PQgetvalue(r, (int)i, 0));
        out[i].date = availability_date_from_days(_int_at(r, (int)i, 1));
        availability_date_label(out[i].date, out[i].date_label, sizeof(out[i].date_label));
    }
    PQclear(r);
    return rc;
}

int scheduling_local_instant(const tool_ctx *ctx, const char *tz, const availability_datetime *dt, int64_t *out)
{
    char local[20];
    availability_datetime_local(dt, local);
    const char *p[2] = {local, tz};
    PGresult *r = scheduling_exec(ctx, STMT_LOCAL, 2, p);
    if (r == NULL)
        return -1;
    int rc = PQntuples(r) == 1 && vx_pg_value(r, 0, 0) != NULL ? 0 : -1;
    if (rc == 0)
        *out = _int_at(r, 0, 0);
    PQclear(r);
    return rc;
}

void scheduling_say_times(vx_buf *b, const scheduling_when *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            vx_buf_puts(b, i == n - 1 ? " and " : ", ");
        vx_buf_puts(b, w[i].time);
    }
}

int scheduling_say_openings(const tool_ctx *ctx, const scheduling_settings *s, const scheduling_openings *o, vx_buf *b)
{
    if (!o->found) {
        vx_buf_printf(b, "I'm sorry, I don't have any openings in the next %d days.", s->horizon_days);
        return 0;
    }
    scheduling_when w[SCHEDULING_OFFER_MAX];
    if (scheduling_format(ctx, s->timezone, o->slots, o->nslots, w) != 0)
        return -1;
    char label[40];
    availability_date_label(o->on, label, sizeof(label));
    if (o->nslots == 1 && o->total_on == 1) {
        vx_buf_printf(b, "On %s I have one opening, at %s.", label, w[0].time);
    } else if (o->total_on > o->nslots) {
        vx_buf_printf(b, "On %s I have ", label);
        for (size_t i = 0; i < o->nslots; i++)
            vx_buf_printf(b, "%s, ", w[i].time);
        size_t more = o->total_on - o->nslots;
        b->len -= 2; /* the last ", " */
        b->data[b->len] = '\0';
        vx_buf_printf(b, " and %zu more opening%s.", more, more == 1 ? "" : "s");
    } else {
        vx_buf_printf(b, "On %s I have ", label);
        scheduling_say_times(b, w, o->nslots);
        vx_buf_puts(b, ".");
    }
    return 0;
}
