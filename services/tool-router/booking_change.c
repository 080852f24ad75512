/*
 * booking_change: rescheduleAppointment(appointmentId? | phone? +
 * currentStart?, newStart) and cancelAppointment(appointmentId? | phone? +
 * currentStart?) — see booking_change.h.
 *
 * Finding the appointment: by appointmentId, which must be the org's (the
 * query filters by org_id as well as RLS does, so another org's id is just
 * "not found"); else the next upcoming booked appointment of the contact
 * with that phone (the argument, else the caller's own number), the one
 * starting at currentStart when given. The row is locked (FOR UPDATE), so
 * two changes of one appointment run one after the other.
 *
 * Moving keeps the duration, takes the org's current buffer and runs inside
 * the savepoint: the exclusion constraint protects it exactly like a new
 * booking (a row never collides with its own old time). Cancelling sets
 * status 'cancelled', which frees the time at once (the constraint only
 * covers booked rows). The Google event, when there is one, is moved or
 * deleted afterwards; Google failing is logged, never fatal.
 */
#include "booking_change.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking.h"
#include "scheduling.h"
#include "scheduling_core.h"
#include "scheduling_input.h"
#include "vx_log.h"
#include "vx_time.h"
#include "vx_validate.h"

#define STMT_FIND_ID    "sched_change_find_id"
#define STMT_FIND_PHONE "sched_change_find_phone"
#define STMT_MOVE       "sched_change_move"
#define STMT_CANCEL     "sched_change_cancel"

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

static const char MOVE_SQL[] = "UPDATE appointments SET starts_at = $3::timestamptz, ends_at = $4::timestamptz,"
                               " buffer_minutes = $5::integer WHERE org_id = $1::uuid AND id = $2::uuid AND status = 'booked'";

static const char CANCEL_SQL[] =
    "UPDATE appointments SET status = 'cancelled' WHERE org_id = $1::uuid AND id = $2::uuid AND status = 'booked'";

void booking_change_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_FIND_ID, FIND_ID_SQL);
    vx_pg_prepare(pg, STMT_FIND_PHONE, FIND_PHONE_SQL);
    vx_pg_prepare(pg, STMT_MOVE, MOVE_SQL);
    vx_pg_prepare(pg, STMT_CANCEL, CANCEL_SQL);
}

typedef struct booked {
    char id[37];
    char service[4 * SCHEDULING_TEXT_MAX + 1];
    int64_t start_ms, end_ms;
    char event_id[1025]; /* "" when there is no Google event */
} booked;

/* Finds the appointment the arguments name; returns 0 (found), 1 (out answered) or -1 (database). */
static int _find(const tool_ctx *ctx, const scheduling_settings *s, booked *b, tool_result *out)
{
    char *id = NULL, phone[17];
    PGresult *r;
    scheduling_arg st = scheduling_arg_text(ctx, "appointmentId", 64, &id);
    if (st == SCHEDULING_ARG_INVALID || (st == SCHEDULING_ARG_OK && !vx_is_uuid(id, strlen(id)))) {
        free(id);
        tool_fail(out, "I couldn't find that appointment. Could you tell me the phone number it was booked with?");
        return 1;
    }
    bool by_id = st == SCHEDULING_ARG_OK;
    if (by_id) {
        const char *p[2] = {ctx->org_id, id};
        r = scheduling_exec(ctx, STMT_FIND_ID, 2, p);
        free(id);
    } else {
        st = scheduling_arg_phone(ctx, "phone", phone);
        if (st != SCHEDULING_ARG_OK) {
            tool_fail(out, st == SCHEDULING_ARG_MISSING ? "What phone number was the appointment booked with?"
                                                        : "That phone number doesn't look right. Could you say it with the "
                                                          "country code?");
            return 1;
        }
        int64_t current = 0;
        if (scheduling_arg_instant(ctx, "currentStart", s->timezone, &current, &st) != 0)
            return -1;
        if (st == SCHEDULING_ARG_INVALID) {
            tool_fail(out, "I didn't catch when your current appointment is. What day and time is it?");
            return 1;
        }
        char current_iso[25];
        vx_time_format_iso(current, current_iso);
        const char *p[3] = {ctx->org_id, phone, st == SCHEDULING_ARG_OK ? current_iso : NULL};
        r = scheduling_exec(ctx, STMT_FIND_PHONE, 3, p);
    }
    if (r == NULL)
        return -1;
    int rc = 1;
    if (PQntuples(r) == 1) {
        snprintf(b->id, sizeof(b->id), "%s", PQgetvalue(r, 0, 0));
        snprintf(b->service, sizeof(b->service), "%s", PQgetvalue(r, 0, 1));
        b->start_ms = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
        b->end_ms = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
        snprintf(b->event_id, sizeof(b->event_id), "%s", PQgetvalue(r, 0, 4)); /* "" for NULL */
        rc = 0;
    } else if (by_id) {
        tool_fail(out, "I couldn't find that appointment. Could you tell me the phone number it was booked with?");
    } else {
        tool_fail(out, "I couldn't find an upcoming appointment for that phone number. Could you check the details for me?");
    }
    PQclear(r);
    return rc;
}

/* Moves b inside the savepoint; *taken when another booking holds the time (rolled back to the savepoint). */
static int _move(const tool_ctx *ctx, const scheduling_settings *s, const booked *b, int64_t start_ms, bool *taken)
{
    *taken = false;
    if (booking_run(ctx, BOOKING_STMT_SAVEPOINT, 0, NULL) != 0)
        return -1;
    char start[25], end[25], buffer[16];
    vx_time_format_iso(start_ms, start);
    vx_time_format_iso(start_ms + (b->end_ms - b->start_ms), end);
    snprintf(buffer, sizeof(buffer), "%d", s->buffer_minutes);
    const char *p[5] = {ctx->org_id, b->id, start, end, buffer};
    PGresult *r = vx_pg_exec(ctx->pg, STMT_MOVE, 5, p);
    if (r == NULL && booking_lost_race(ctx)) {
        *taken = true;
        return booking_run(ctx, BOOKING_STMT_ROLLBACK_TO, 0, NULL);
    }
    if (r == NULL) {
        vx_log_error(ctx->request_id, ctx->org_id, "scheduling query failed", "statement", STMT_MOVE, "error", vx_pg_error(ctx->pg),
                     "sqlstate", vx_pg_sqlstate(ctx->pg));
        return -1;
    }
    PQclear(r);
    return booking_run(ctx, BOOKING_STMT_RELEASE, 0, NULL);
}

tool_status tool_reschedule_appointment(const tool_ctx *ctx, tool_result *out)
{
    scheduling_settings s;
    if (scheduling_settings_load(ctx, &s) != 0)
        return TOOL_RETRY;
    booked b;
    memset(&b, 0, sizeof(b));
    scheduling_google g;
    memset(&g, 0, sizeof(g));
    scheduling_when w;
    int64_t start_ms = 0;
    bool taken = false;
    int rc = _find(ctx, &s, &b, out);
    if (rc == 0) {
        scheduling_arg st;
        rc = scheduling_arg_instant(ctx, "newStart", s.timezone, &start_ms, &st);
        if (rc == 0 && st != SCHEDULING_ARG_OK) {
            tool_fail(out, st == SCHEDULING_ARG_MISSING ? "What day and time would you like to move it to?"
                                                        : "I didn't catch the new time. What day and time would you like instead?");
            rc = 1;
        }
    }
    int64_t length_ms = b.end_ms - b.start_ms;
    if (rc == 0) {
        scheduling_google_open(ctx, &g);
        g.ignore_start_ms = b.start_ms; /* its own event does not block its new time */
        g.ignore_end_ms = b.end_ms;
        rc = booking_check_start(ctx, &s, &g, start_ms, length_ms, b.id, &w, out);
    }
    if (rc == 0 && booking_google_busy(ctx, &s, &g, start_ms, start_ms + length_ms))
        rc = booking_say_taken(ctx, &s, &g, start_ms, length_ms, b.id, "I'm sorry, that time isn't available.", out) == 0 ? 1 : -1;
    if (rc == 0)
        rc = _move(ctx, &s, &b, start_ms, &taken);
    if (rc == 0 && taken)
        rc = booking_say_taken(ctx, &s, &g, start_ms, length_ms, b.id, "I'm sorry, that time was just taken.", out) == 0 ? 1 : -1;
    if (rc == 0 && b.event_id[0] != '\0')
        booking_defer_google(&g, BOOKING_GOOGLE_MOVE, b.event_id, b.id, start_ms, start_ms + length_ms, s.timezone, NULL, NULL,
                             out);
    if (rc == 0) {
        tool_say(out, "Done: your %s is now on %s at %s.", b.service, w.date_label, w.time);
        vx_log_info(ctx->request_id, ctx->org_id, "appointment rescheduled", "appointment_id", b.id);
    }
    scheduling_google_close(&g);
    return rc < 0 ? TOOL_RETRY : TOOL_DONE;
}

tool_status tool_cancel_appointment(const tool_ctx *ctx, tool_result *out)
{
    scheduling_settings s;
    if (scheduling_settings_load(ctx, &s) != 0)
        return TOOL_RETRY;
    booked b;
    int rc = _find(ctx, &s, &b, out);
    if (rc != 0)
        return rc < 0 ? TOOL_RETRY : TOOL_DONE;
    scheduling_when w;
    const char *p[2] = {ctx->org_id, b.id};
    if (booking_run(ctx, STMT_CANCEL, 2, p) != 0 || scheduling_format(ctx, s.timezone, &b.start_ms, 1, &w) != 0)
        return TOOL_RETRY;
    if (b.event_id[0] != '\0') {
        scheduling_google g;
        scheduling_google_open(ctx, &g);
        if (!g.connected)
            vx_log_warn(ctx->request_id, ctx->org_id, "google calendar event not deleted", "appointment_id", b.id, "status",
                        "not connected");
        booking_defer_google(&g, BOOKING_GOOGLE_DELETE, b.event_id, b.id, 0, 0, s.timezone, NULL, NULL, out);
        scheduling_google_close(&g);
    }
    vx_log_info(ctx->request_id, ctx->org_id, "appointment cancelled", "appointment_id", b.id);
    tool_say(out, "Your %s on %s at %s is cancelled.", b.service, w.date_label, w.time);
    return TOOL_DONE;
}
