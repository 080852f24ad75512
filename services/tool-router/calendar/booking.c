/*
 * booking: the write path shared by the calendar tools that write (see
 * booking.h).
 *
 * Design: a requested time is checked in the order a receptionist would —
 * past, notice, horizon, business hours — and each refusal is a sentence
 * that offers what is possible instead. The database stays the judge of
 * collisions (the exclusion constraint), never a read before the write.
 * Google Calendar changes are values copied into a pending_event and run
 * by the framework after the commit (tool_result.after_commit), so a slow
 * or failing Google never holds row locks and never touches an event for a
 * booking that was rolled back.
 */
#include "calendar/booking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/openings.h"
#include "clients/google_calendar.h"
#include "vx_log.h"
#include "vx_time.h"
#include "vx_validate.h"

#define MS_PER_MINUTE 60000LL

#define STMT_EVENT      "sched_book_event"
#define STMT_FIND_ID    "sched_change_find_id"
#define STMT_FIND_PHONE "sched_change_find_phone"

static const char EVENT_SQL[] = "UPDATE appointments SET google_event_id = $3::text WHERE org_id = $1::uuid AND id = $2::uuid";

#define APPOINTMENT_COLUMNS                                                                                                        \
    "a.id, a.service_name, (extract(epoch FROM a.starts_at) * 1000)::bigint, (extract(epoch FROM a.ends_at) * 1000)::bigint, "     \
    "a.google_event_id"

static const char FIND_ID_SQL[] = "SELECT " APPOINTMENT_COLUMNS " FROM appointments a"
                                  " WHERE a.org_id = $1::uuid AND a.id = $2::uuid AND a.status = 'booked' FOR UPDATE";

static const char FIND_PHONE_SQL[] = "SELECT " APPOINTMENT_COLUMNS " FROM appointments a"
                                     " JOIN contacts c ON c.org_id = a.org_id AND c.id = a.contact_id"
                                     " WHERE a.org_id = $1::uuid AND c.phone = $2::text AND a.status = 'booked'"
                                     " AND a.ends_at > now() AND ($3::timestamptz IS NULL OR a.starts_at = $3::timestamptz)"
                                     " ORDER BY a.starts_at LIMIT 1 FOR UPDATE OF a";

void booking_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, BOOKING_STMT_SAVEPOINT, "SAVEPOINT scheduling_write");
    vx_pg_prepare(pg, BOOKING_STMT_ROLLBACK_TO, "ROLLBACK TO SAVEPOINT scheduling_write");
    vx_pg_prepare(pg, BOOKING_STMT_RELEASE, "RELEASE SAVEPOINT scheduling_write");
    vx_pg_prepare(pg, STMT_EVENT, EVENT_SQL);
    vx_pg_prepare(pg, STMT_FIND_ID, FIND_ID_SQL);
    vx_pg_prepare(pg, STMT_FIND_PHONE, FIND_PHONE_SQL);
}

void booking_queue_confirmation(const tool_ctx *ctx, const char *appointment_id)
{
    /* The notifier's job subject does not exist yet (a later issue). */
    vx_log_debug(ctx->request_id, ctx->org_id, "booking confirmation not queued: no notifier yet", "appointment_id",
                 appointment_id);
}

bool booking_lost_race(const tool_ctx *ctx)
{
    return vx_calendar_lost_race(ctx->pg);
}

int booking_run(const tool_ctx *ctx, const char *stmt, int n, const char *const *params)
{
    PGresult *r = schedule_exec(ctx, stmt, n, params);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

/* "1 hour", "2 days", "45 minutes". */
static void say_notice(int minutes, char *out, size_t size)
{
    if (minutes >= 1440 && minutes % 1440 == 0)
        snprintf(out, size, "%d day%s", minutes / 1440, minutes == 1440 ? "" : "s");
    else if (minutes >= 60 && minutes % 60 == 0)
        snprintf(out, size, "%d hour%s", minutes / 60, minutes == 60 ? "" : "s");
    else
        snprintf(out, size, "%d minutes", minutes);
}

int booking_check_start(const tool_ctx *ctx, const schedule *s, google_link *g, int64_t start_ms, int64_t length_ms,
                        const char *exclude_id, local_time *w, tool_result *out)
{
    if (local_time_format(ctx, s->timezone, &start_ms, 1, w) != 0)
        return -1;
    date_ymd end = schedule_horizon_end(s);
    if (start_ms < s->now_ms) {
        tool_fail(out, "That time has already passed. What other time would suit you?");
        return 1;
    }
    if (start_ms < s->now_ms + s->min_notice_minutes * MS_PER_MINUTE) {
        char notice[32];
        say_notice(s->min_notice_minutes, notice, sizeof(notice));
        tool_fail(out, "I need at least %s of notice for a booking. What later time would suit you?", notice);
        return 1;
    }
    if (date_days(w->date) > date_days(end)) {
        char label[40];
        date_label(end, label, sizeof(label));
        tool_fail(out, "I can only book up to %d days ahead, so until %s. Which day before then would suit you?", s->horizon_days,
                  label);
        return 1;
    }
    openings_calendar cal;
    if (openings_calendar_load(ctx, s, NULL, w->date, w->date, exclude_id, &cal) != 0)
        return -1;
    size_t nwin;
    const vx_slots_span *win = openings_calendar_day(&cal, w->date, &nwin);
    bool open = vx_slots_within_windows(win, nwin, start_ms, length_ms);
    openings_calendar_free(&cal);
    if (!open)
        return booking_say_taken(ctx, s, g, start_ms, length_ms, exclude_id, "I'm sorry, we're not open at that time.", out) == 0
                   ? 1
                   : -1;
    return 0;
}

bool booking_google_busy(const tool_ctx *ctx, const schedule *s, google_link *g, int64_t start_ms, int64_t end_ms)
{
    int64_t buffer_ms = s->buffer_minutes * MS_PER_MINUTE;
    vx_slots_span *busy = NULL;
    size_t n = google_link_busy(g, start_ms, end_ms + buffer_ms, buffer_ms, &busy);
    bool hit = vx_slots_overlap(busy, n, start_ms, end_ms + buffer_ms);
    free(busy);
    return hit;
}

int booking_say_taken(const tool_ctx *ctx, const schedule *s, google_link *g, int64_t start_ms, int64_t length_ms,
                      const char *exclude_id, const char *lead, tool_result *out)
{
    local_time w;
    if (local_time_format(ctx, s->timezone, &start_ms, 1, &w) != 0)
        return -1;
    openings o;
    if (openings_find(ctx, s, g, w.date, length_ms, start_ms, exclude_id, &o) != 0)
        return -1;
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b, "%s ", lead);
    int rc = openings_say(ctx, s, &o, &b);
    if (rc == 0)
        tool_fail(out, "%s", b.data);
    vx_buf_free(&b);
    return rc;
}

const char *booking_article(const char *noun)
{
    return strchr("AEIOUaeiou", noun[0]) != NULL && noun[0] != '\0' ? "an" : "a";
}

int booking_find(const tool_ctx *ctx, const schedule *s, booking_appointment *a, tool_result *out)
{
    char *id = NULL, phone[ARGS_E164_SIZE];
    PGresult *r;
    args_status st = args_text(ctx, VX_TOOL_ARG_APPOINTMENT_ID, 64, &id);
    if (st == ARGS_INVALID || (st == ARGS_OK && !vx_is_uuid(id, strlen(id)))) {
        free(id);
        tool_fail(out, "I couldn't find that appointment. Could you tell me the phone number it was booked with?");
        return 1;
    }
    bool by_id = st == ARGS_OK;
    if (by_id) {
        const char *p[2] = {ctx->org_id, id};
        r = schedule_exec(ctx, STMT_FIND_ID, 2, p);
        free(id);
    } else {
        st = args_phone(ctx, VX_TOOL_ARG_PHONE, phone);
        if (st != ARGS_OK) {
            tool_fail(out, st == ARGS_MISSING ? "What phone number was the appointment booked with?"
                                              : "That phone number doesn't look right. Could you say it with the "
                                                "country code?");
            return 1;
        }
        int64_t current = 0;
        if (args_instant(ctx, VX_TOOL_ARG_CURRENT_START, s->timezone, &current, &st) != 0)
            return -1;
        if (st == ARGS_INVALID) {
            tool_fail(out, "I didn't catch when your current appointment is. What day and time is it?");
            return 1;
        }
        char current_iso[25];
        vx_time_format_iso(current, current_iso);
        const char *p[3] = {ctx->org_id, phone, st == ARGS_OK ? current_iso : NULL};
        r = schedule_exec(ctx, STMT_FIND_PHONE, 3, p);
    }
    if (r == NULL)
        return -1;
    int rc = 1;
    if (PQntuples(r) == 1) {
        snprintf(a->id, sizeof(a->id), "%s", PQgetvalue(r, 0, 0));
        snprintf(a->service, sizeof(a->service), "%s", PQgetvalue(r, 0, 1));
        a->start_ms = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
        a->end_ms = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
        snprintf(a->event_id, sizeof(a->event_id), "%s", PQgetvalue(r, 0, 4)); /* "" for NULL */
        rc = 0;
    } else if (by_id) {
        tool_fail(out, "I couldn't find that appointment. Could you tell me the phone number it was booked with?");
    } else {
        tool_fail(out, "I couldn't find an upcoming appointment for that phone number. Could you check the details for me?");
    }
    PQclear(r);
    return rc;
}

/* A change to a Google event to make once the transaction committed:
 * everything copied, because the tool's own buffers are gone by then. */
typedef struct pending_event {
    booking_google_op op;
    google_calendar_conn conn;
    char *access_token, *calendar_id, *summary, *description, *timezone;
    char event_id[128];
    char appointment_id[37];
    int64_t start_ms, end_ms;
} pending_event;

static void pending_event_free(void *data)
{
    pending_event *p = data;
    if (p == NULL)
        return;
    free(p->access_token);
    free(p->calendar_id);
    free(p->summary);
    free(p->description);
    free(p->timezone);
    free(p);
}

/* Records the id of an event just created, in a transaction of its own. */
static void record_event_id(const tool_ctx *ctx, const pending_event *p, const char *created)
{
    const char *params[3] = {ctx->org_id, p->appointment_id, created};
    PGresult *res = NULL;
    if (vx_pg_begin_org(ctx->pg, ctx->org_id) == 0 && (res = vx_pg_exec(ctx->pg, STMT_EVENT, 3, params)) != NULL &&
        vx_pg_commit(ctx->pg) == 0) {
        PQclear(res);
        return;
    }
    PQclear(res);
    vx_pg_rollback(ctx->pg);
    vx_log_warn(ctx->request_id, ctx->org_id, "google event id not recorded", "appointment_id", p->appointment_id, "error",
                vx_pg_error(ctx->pg));
}

/* What each booking_google_op does to the event, for log lines. */
static const char *const CHANGE_NAMES[] = {"created", "moved", "deleted"};

/* After commit: applies the change. Failure is logged, never fatal: the
 * appointment stands (or is cancelled) whatever Google says. */
static void apply_after_commit(const tool_ctx *ctx, void *data, tool_result *result)
{
    pending_event *p = data;
    p->conn.request_id = ctx->request_id;
    p->conn.org_id = ctx->org_id;
    google_calendar_status st;
    char *created = NULL;
    if (p->op == BOOKING_GOOGLE_INSERT) {
        google_calendar_event ev = {p->event_id, p->summary,  p->description,   p->start_ms,
                                    p->end_ms,   p->timezone, p->appointment_id};
        st = google_calendar_event_insert(&p->conn, &ev, &created);
    } else if (p->op == BOOKING_GOOGLE_MOVE) {
        st = google_calendar_event_move(&p->conn, p->event_id, p->start_ms, p->end_ms, p->timezone);
    } else {
        st = google_calendar_event_delete(&p->conn, p->event_id);
    }
    if (st != GOOGLE_CALENDAR_OK) {
        vx_log_warn(ctx->request_id, ctx->org_id, "google calendar event not changed", "change", CHANGE_NAMES[p->op],
                    "appointment_id", p->appointment_id, "status", google_calendar_status_name(st));
        return;
    }
    if (created != NULL)
        record_event_id(ctx, p, created);
    free(created);
}

static char *dup_or_abort(const char *s)
{
    char *d = strdup(s != NULL ? s : "");
    if (d == NULL)
        abort();
    return d;
}

void booking_defer_google(const google_link *g, booking_google_op op, const char *event_id, const char *appointment_id,
                          int64_t start_ms, int64_t end_ms, const char *tz, const char *summary, const char *description,
                          tool_result *out)
{
    if (!g->connected && g->reconnect_needed) /* the owner's to fix: the event is not there */
        vx_log_warn(g->conn.request_id, g->conn.org_id, "google calendar event not changed", "change", CHANGE_NAMES[op],
                    "appointment_id", appointment_id, "status", "google calendar needs reconnecting");
    if (!g->connected)
        return;
    pending_event *p = calloc(1, sizeof(*p));
    if (p == NULL)
        abort();
    p->op = op;
    if (op == BOOKING_GOOGLE_INSERT) {
        /* A client-chosen id (the uuid's hex digits are valid base32hex) makes a retried insert safe. */
        size_t n = 0;
        for (const char *c = appointment_id; *c != '\0' && n < 32; c++)
            if (*c != '-')
                p->event_id[n++] = *c;
        p->event_id[n] = '\0';
    } else {
        snprintf(p->event_id, sizeof(p->event_id), "%s", event_id);
    }
    snprintf(p->appointment_id, sizeof(p->appointment_id), "%s", appointment_id);
    p->summary = dup_or_abort(summary);
    p->description = dup_or_abort(description);
    p->access_token = dup_or_abort(g->access_token);
    p->calendar_id = dup_or_abort(g->calendar_id);
    p->timezone = dup_or_abort(tz);
    p->start_ms = start_ms;
    p->end_ms = end_ms;
    p->conn = g->conn;
    p->conn.access_token = p->access_token;
    p->conn.calendar_id = p->calendar_id;
    p->conn.request_id = NULL; /* set from the ctx when the change is applied */
    p->conn.org_id = NULL;
    out->after_commit = apply_after_commit;
    out->after_commit_data = p;
    out->free_after_commit = pending_event_free;
}
