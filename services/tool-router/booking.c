/*
 * booking: bookClinicAppointment (see booking.h), and the checks and
 * answers it shares with rescheduling (booking_change.c).
 *
 * bookClinicAppointment(name, phone?, email?, service?, start): every
 * argument is validated before the first write, so a bad argument changes
 * nothing and gets a sentence back. Then, inside one SAVEPOINT, the contact
 * is upserted by (org, phone) and the appointment inserted; when the
 * exclusion constraint refuses it (23P01, see booking_lost_race) the
 * savepoint is rolled back (the contact too: nothing is left of a lost race)
 * and the caller hears the nearest free slots. Google Calendar, when the org
 * has it, is asked before the write (an outside event blocks the time too)
 * and gets the event after it; Google failing never fails the booking.
 */
#include "booking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_change.h"
#include "scheduling.h"
#include "scheduling_core.h"
#include "scheduling_input.h"
#include "vx_log.h"
#include "vx_time.h"

#define MS_PER_MINUTE 60000LL
#define EMAIL_MAX     254

#define STMT_CONTACT "sched_book_contact"
#define STMT_INSERT  "sched_book_insert"
#define STMT_EVENT   "sched_book_event"

/* A returning caller keeps the names on file; email and lead status follow the booking. */
static const char CONTACT_SQL[] =
    "INSERT INTO contacts (org_id, phone, first_name, last_name, email, lead_status, last_contacted_at)"
    " VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::text, 'booked', now())"
    " ON CONFLICT (org_id, phone) DO UPDATE SET first_name = COALESCE(contacts.first_name, EXCLUDED.first_name),"
    " last_name = COALESCE(contacts.last_name, EXCLUDED.last_name), email = COALESCE(EXCLUDED.email, contacts.email),"
    " lead_status = 'booked', last_contacted_at = now()"
    " RETURNING id";

static const char INSERT_SQL[] =
    "INSERT INTO appointments (org_id, contact_id, service_id, service_name, starts_at, ends_at, buffer_minutes,"
    " vapi_call_id, tool_call_id)"
    " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::timestamptz, $6::timestamptz, $7::integer, $8::text,"
    " NULLIF($9::text, ''))"
    " RETURNING id";

static const char EVENT_SQL[] = "UPDATE appointments SET google_event_id = $3::text WHERE org_id = $1::uuid AND id = $2::uuid";

void booking_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, BOOKING_STMT_SAVEPOINT, "SAVEPOINT scheduling_write");
    vx_pg_prepare(pg, BOOKING_STMT_ROLLBACK_TO, "ROLLBACK TO SAVEPOINT scheduling_write");
    vx_pg_prepare(pg, BOOKING_STMT_RELEASE, "RELEASE SAVEPOINT scheduling_write");
    vx_pg_prepare(pg, STMT_CONTACT, CONTACT_SQL);
    vx_pg_prepare(pg, STMT_INSERT, INSERT_SQL);
    vx_pg_prepare(pg, STMT_EVENT, EVENT_SQL);
    booking_change_prepare(pg);
}

void booking_queue_confirmation(const tool_ctx *ctx, const char *appointment_id)
{
    /* The notifier's job subject does not exist yet (a later issue). */
    vx_log_debug(ctx->request_id, ctx->org_id, "booking confirmation not queued: no notifier yet", "appointment_id",
                 appointment_id);
}

bool booking_lost_race(const tool_ctx *ctx)
{
    const char *state = vx_pg_sqlstate(ctx->pg);
    return strcmp(state, "23P01") == 0 || strcmp(state, "40P01") == 0;
}

int booking_run(const tool_ctx *ctx, const char *stmt, int n, const char *const *params)
{
    PGresult *r = scheduling_exec(ctx, stmt, n, params);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

static void _notice(int minutes, char *out, size_t size)
{
    if (minutes >= 1440 && minutes % 1440 == 0)
        snprintf(out, size, "%d day%s", minutes / 1440, minutes == 1440 ? "" : "s");
    else if (minutes >= 60 && minutes % 60 == 0)
        snprintf(out, size, "%d hour%s", minutes / 60, minutes == 60 ? "" : "s");
    else
        snprintf(out, size, "%d minutes", minutes);
}

int booking_check_start(const tool_ctx *ctx, const scheduling_settings *s, scheduling_google *g, int64_t start_ms,
                        int64_t length_ms, const char *exclude_id, scheduling_when *w, tool_result *out)
{
    if (scheduling_format(ctx, s->timezone, &start_ms, 1, w) != 0)
        return -1;
    availability_date end = scheduling_horizon_end(s);
    if (start_ms < s->now_ms) {
        tool_fail(out, "That time has already passed. What other time would suit you?");
        return 1;
    }
    if (start_ms < s->now_ms + s->min_notice_minutes * MS_PER_MINUTE) {
        char notice[32];
        _notice(s->min_notice_minutes, notice, sizeof(notice));
        tool_fail(out, "I need at least %s of notice for a booking. What later time would suit you?", notice);
        return 1;
    }
    if (availability_date_days(w->date) > availability_date_days(end)) {
        char label[40];
        availability_date_label(end, label, sizeof(label));
        tool_fail(out, "I can only book up to %d days ahead, so until %s. Which day before then would suit you?", s->horizon_days,
                  label);
        return 1;
    }
    scheduling_calendar cal;
    if (scheduling_calendar_load(ctx, s, NULL, w->date, w->date, exclude_id, &cal) != 0)
        return -1;
    size_t nwin;
    const availability_span *win = scheduling_calendar_day(&cal, w->date, &nwin);
    bool open = availability_within_windows(win, nwin, start_ms, length_ms);
    scheduling_calendar_free(&cal);
    if (!open)
        return booking_say_taken(ctx, s, g, start_ms, length_ms, exclude_id, "I'm sorry, we're not open at that time.", out) == 0
                   ? 1
                   : -1;
    return 0;
}

int booking_google_busy(const tool_ctx *ctx, const scheduling_settings *s, scheduling_google *g, int64_t start_ms, int64_t end_ms)
{
    int64_t buffer_ms = s->buffer_minutes * MS_PER_MINUTE;
    availability_span *busy = NULL;
    size_t n = scheduling_google_busy(g, start_ms, end_ms + buffer_ms, buffer_ms, &busy);
    bool hit = availability_overlaps(busy, n, start_ms, end_ms + buffer_ms);
    free(busy);
    return hit;
}

int booking_say_taken(const tool_ctx *ctx, const scheduling_settings *s, scheduling_google *g, int64_t start_ms, int64_t length_ms,
                      const char *exclude_id, const char *lead, tool_result *out)
{
    scheduling_when w;
    if (scheduling_format(ctx, s->timezone, &start_ms, 1, &w) != 0)
        return -1;
    scheduling_openings o;
    if (scheduling_find_openings(ctx, s, g, w.date, length_ms, start_ms, exclude_id, &o) != 0)
        return -1;
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b, "%s ", lead);
    int rc = scheduling_say_openings(ctx, s, &o, &b);
    if (rc == 0)
        tool_fail(out, "%s", b.data);
    vx_buf_free(&b);
    return rc;
}

const char *booking_article(const char *noun)
{
    return strchr("AEIOUaeiou", noun[0]) != NULL && noun[0] != '\0' ? "an" : "a";
}

/* The validated arguments of one booking. */
typedef struct book_args {
    char *name; /* cleaned; first and last point into name_split */
    char *name_split;
    const char *first, *last;
    char *email; /* NULL when not given or not plausible */
    char *service_said;
    char phone[17];
    int64_t start_ms, length_ms;
    scheduling_service svc;
    const char *service_name;
} book_args;

static void _args_free(book_args *a)
{
    free(a->name);
    free(a->name_split);
    free(a->email);
    free(a->service_said);
}

static bool _plausible_email(const char *e)
{
    const char *at = strchr(e, '@');
    return at != NULL && at != e && strchr(at + 1, '@') == NULL && strchr(at + 1, '.') != NULL && strchr(e, ' ') == NULL &&
           at[strlen(at) - 1] != '.';
}

/* Reads and validates; returns 1 when out was answered, -1 when the database failed, 0 when all is well. */
static int _read_args(const tool_ctx *ctx, const scheduling_settings *s, book_args *a, tool_result *out)
{
    scheduling_arg st = scheduling_arg_text(ctx, "name", SCHEDULING_TEXT_MAX, &a->name);
    if (st != SCHEDULING_ARG_OK) {
        tool_fail(out, st == SCHEDULING_ARG_MISSING ? "What name should I put the booking under?"
                                                    : "I didn't catch the name. Could you spell it for me?");
        return 1;
    }
    if ((a->name_split = strdup(a->name)) == NULL)
        abort();
    char *space = strchr(a->name_split, ' ');
    a->first = a->name_split;
    if (space != NULL) {
        *space = '\0';
        a->last = space + 1;
    }
    st = scheduling_arg_phone(ctx, "phone", a->phone);
    if (st != SCHEDULING_ARG_OK) {
        tool_fail(out, st == SCHEDULING_ARG_MISSING ? "What phone number should I put on the booking, with the country code?"
                                                    : "That phone number doesn't look right. Could you say it with the country "
                                                      "code, like plus one five five five, one two three, four five six seven?");
        return 1;
    }
    if (scheduling_arg_instant(ctx, "start", s->timezone, &a->start_ms, &st) != 0)
        return -1;
    if (st != SCHEDULING_ARG_OK) {
        tool_fail(out, st == SCHEDULING_ARG_MISSING ? "What day and time would you like?"
                                                    : "I didn't catch the time. What day and time would you like?");
        return 1;
    }
    st = scheduling_arg_text(ctx, "service", SCHEDULING_TEXT_MAX, &a->service_said);
    if (st == SCHEDULING_ARG_INVALID) {
        tool_fail(out, "I didn't catch the service. Which service would you like to book?");
        return 1;
    }
    if (scheduling_service_find(ctx, a->service_said, &a->svc) != 0)
        return -1;
    if (a->service_said != NULL && !a->svc.found) {
        vx_buf names = VX_BUF_INIT;
        int count = 0;
        if (scheduling_service_names(ctx, &names, &count) != 0)
            return -1;
        if (count > 0)
            tool_fail(out, "I couldn't find a service called \"%s\". We offer %s. Which one would you like?", a->service_said,
                      names.data);
        vx_buf_free(&names);
        if (count > 0)
            return 1;
    }
    a->service_name = a->svc.found ? a->svc.name : a->service_said != NULL ? a->service_said : "appointment";
    a->length_ms = (a->svc.found ? a->svc.duration_minutes : s->slot_minutes) * MS_PER_MINUTE;
    char *email = NULL;
    if (scheduling_arg_text(ctx, "email", EMAIL_MAX, &email) == SCHEDULING_ARG_OK && _plausible_email(email))
        a->email = email;
    else
        free(email); /* an unusable email never costs the caller the booking */
    return 0;
}

/* SAVEPOINT, contact upsert, insert. *taken when the race was lost (rolled back to the savepoint). */
static int _write(const tool_ctx *ctx, const scheduling_settings *s, const book_args *a, char id[37], bool *taken)
{
    *taken = false;
    if (booking_run(ctx, BOOKING_STMT_SAVEPOINT, 0, NULL) != 0)
        return -1;
    const char *cp[5] = {ctx->org_id, a->phone, a->first, a->last, a->email};
    PGresult *r = scheduling_exec(ctx, STMT_CONTACT, 5, cp);
    if (r == NULL || PQntuples(r) != 1) {
        PQclear(r);
        return -1;
    }
    char contact_id[37], start[25], end[25], buffer[16];
    snprintf(contact_id, sizeof(contact_id), "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    vx_time_format_iso(a->start_ms, start);
    vx_time_format_iso(a->start_ms + a->length_ms, end);
    snprintf(buffer, sizeof(buffer), "%d", s->buffer_minutes);
    const char *ip[9] = {ctx->org_id,       contact_id,       a->svc.found ? a->svc.id : NULL, a->service_name, start, end, buffer,
                         ctx->vapi_call_id, ctx->tool_call_id};
    r = vx_pg_exec(ctx->pg, STMT_INSERT, 9, ip);
    if (r == NULL && booking_lost_race(ctx)) {
        *taken = true;
        return booking_run(ctx, BOOKING_STMT_ROLLBACK_TO, 0, NULL);
    }
    if (r == NULL || PQntuples(r) != 1) {
        if (r == NULL)
            vx_log_error(ctx->request_id, ctx->org_id, "scheduling query failed", "statement", STMT_INSERT, "error",
                         vx_pg_error(ctx->pg), "sqlstate", vx_pg_sqlstate(ctx->pg));
        PQclear(r);
        return -1;
    }
    snprintf(id, 37, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return booking_run(ctx, BOOKING_STMT_RELEASE, 0, NULL);
}

/* A change to a Google event to make once the transaction committed:
 * everything copied, because the tool's own buffers are gone by then. */
typedef struct pending_event {
    booking_google_op op;
    google_conn conn;
    char *access_token, *calendar_id, *summary, *description, *timezone;
    char event_id[128];
    char appointment_id[37];
    int64_t start_ms, end_ms;
} pending_event;

static void _pending_event_free(void *data)
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
static void _record_event_id(const tool_ctx *ctx, const pending_event *p, const char *created)
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

/* After commit: applies the change. Failure is logged, never fatal: the
 * appointment stands (or is cancelled) whatever Google says. */
static void _apply_after_commit(const tool_ctx *ctx, void *data, tool_result *result)
{
    static const char *const what[] = {"created", "moved", "deleted"};
    pending_event *p = data;
    p->conn.request_id = ctx->request_id;
    p->conn.org_id = ctx->org_id;
    google_status st;
    char *created = NULL;
    if (p->op == BOOKING_GOOGLE_INSERT) {
        google_event ev = {p->event_id, p->summary, p->description, p->start_ms, p->end_ms, p->timezone, p->appointment_id};
        st = google_event_insert(&p->conn, &ev, &created);
    } else if (p->op == BOOKING_GOOGLE_MOVE) {
        st = google_event_move(&p->conn, p->event_id, p->start_ms, p->end_ms, p->timezone);
    } else {
        st = google_event_delete(&p->conn, p->event_id);
    }
    if (st != GOOGLE_OK) {
        vx_log_warn(ctx->request_id, ctx->org_id, "google calendar event not changed", "change", what[p->op], "appointment_id",
                    p->appointment_id, "status", google_status_name(st));
        return;
    }
    if (created != NULL)
        _record_event_id(ctx, p, created);
    free(created);
}

static char *_dup_or_abort(const char *s)
{
    char *d = strdup(s != NULL ? s : "");
    if (d == NULL)
        abort();
    return d;
}

void booking_defer_google(const scheduling_google *g, booking_google_op op, const char *event_id, const char *appointment_id,
                          int64_t start_ms, int64_t end_ms, const char *timezone, const char *summary, const char *description,
                          tool_result *out)
{
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
    p->summary = _dup_or_abort(summary);
    p->description = _dup_or_abort(description);
    p->access_token = _dup_or_abort(g->access_token);
    p->calendar_id = _dup_or_abort(g->calendar_id);
    p->timezone = _dup_or_abort(timezone);
    p->start_ms = start_ms;
    p->end_ms = end_ms;
    p->conn = g->conn;
    p->conn.access_token = p->access_token;
    p->conn.calendar_id = p->calendar_id;
    p->conn.request_id = NULL; /* set from the ctx when the change is applied */
    p->conn.org_id = NULL;
    out->after_commit = _apply_after_commit;
    out->after_commit_data = p;
    out->free_after_commit = _pending_event_free;
}

tool_status tool_book_appointment(const tool_ctx *ctx, tool_result *out)
{
    scheduling_settings s;
    if (scheduling_settings_load(ctx, &s) != 0)
        return TOOL_RETRY;
    book_args a;
    memset(&a, 0, sizeof(a));
    scheduling_google g;
    memset(&g, 0, sizeof(g));
    scheduling_when w;
    char id[37];
    bool taken = false;
    int rc = _read_args(ctx, &s, &a, out);
    if (rc == 0) {
        scheduling_google_open(ctx, &g);
        rc = booking_check_start(ctx, &s, &g, a.start_ms, a.length_ms, NULL, &w, out);
    }
    if (rc == 0) {
        if (booking_google_busy(ctx, &s, &g, a.start_ms, a.start_ms + a.length_ms))
            rc = booking_say_taken(ctx, &s, &g, a.start_ms, a.length_ms, NULL, "I'm sorry, that time isn't available.", out) == 0
                     ? 1
                     : -1;
    }
    if (rc == 0)
        rc = _write(ctx, &s, &a, id, &taken);
    if (rc == 0 && taken)
        rc = booking_say_taken(ctx, &s, &g, a.start_ms, a.length_ms, NULL, "I'm sorry, that time was just taken.", out) == 0 ? 1
                                                                                                                             : -1;
    if (rc == 0) {
        vx_buf summary = VX_BUF_INIT, description = VX_BUF_INIT;
        vx_buf_printf(&summary, "%s: %s", a.service_name, a.name);
        vx_buf_printf(&description, "Booked by phone by the Voxanne receptionist. Caller: %s, %s.", a.name, a.phone);
        booking_defer_google(&g, BOOKING_GOOGLE_INSERT, NULL, id, a.start_ms, a.start_ms + a.length_ms, s.timezone, summary.data,
                             description.data, out);
        vx_buf_free(&summary);
        vx_buf_free(&description);
    }
    if (rc == 0) {
        booking_queue_confirmation(ctx, id);
        tool_say(out, "You're booked for %s %s on %s at %s. We'll see you then, %s!", booking_article(a.service_name),
                 a.service_name, w.date_label, w.time, a.first);
        vx_log_info(ctx->request_id, ctx->org_id, "appointment booked", "appointment_id", id);
    }
    scheduling_google_close(&g);
    _args_free(&a);
    return rc < 0 ? TOOL_RETRY : TOOL_DONE;
}
