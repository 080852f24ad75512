/*
 * reschedule_appointment: the rescheduleAppointment tool (contract in
 * tools.h).
 *
 * Design: the appointment is found and locked by own_appointment_find (its
 * id, or the caller's phone and maybe its current start) — only one booked
 * with the number the call comes from (own_appointment.h; anything else is
 * refused before the new time is even looked at, and nothing changes).
 * Moving keeps its duration, takes the org's current buffer and runs
 * inside the booking savepoint, so the exclusion constraint protects it
 * exactly like a new booking — a row never collides with its own old time,
 * and its own Google event is left out of the busy times (google_link's
 * ignored span). The Google event, when there is one, is moved after the
 * commit; Google failing is logged, never fatal. When Google needs
 * reconnecting the move is made on the internal calendar alone, and the
 * caller hears that the clinic will confirm the new time.
 */
#include "tools/tools.h"

#include <stdio.h>
#include <string.h>

#include "calendar/args.h"
#include "calendar/booking.h"
#include "calendar/schedule.h"
#include "tools/own_appointment.h"
#include "vx_log.h"
#include "vx_time.h"

#define STMT_MOVE  "sched_change_move"
#define STMT_OWNER "sched_change_move_owner"

static const char MOVE_SQL[] = "UPDATE appointments SET starts_at = $3::timestamptz, ends_at = $4::timestamptz,"
                               " buffer_minutes = $5::integer WHERE org_id = $1::uuid AND id = $2::uuid AND status = 'booked'";

void reschedule_appointment_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_MOVE, MOVE_SQL);
    own_appointment_prepare(pg, STMT_OWNER);
}

/* Moves a inside the savepoint; *taken when another booking holds the time (rolled back to the savepoint). */
static int move(const tool_ctx *ctx, const schedule *s, const booking_appointment *a, int64_t start_ms, bool *taken)
{
    *taken = false;
    if (booking_run(ctx, BOOKING_STMT_SAVEPOINT, 0, NULL) != 0)
        return -1;
    char start[25], end[25], buffer[16];
    vx_time_format_iso(start_ms, start);
    vx_time_format_iso(start_ms + (a->end_ms - a->start_ms), end);
    snprintf(buffer, sizeof(buffer), "%d", s->buffer_minutes);
    const char *p[5] = {ctx->org_id, a->id, start, end, buffer};
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

tool_status reschedule_appointment_run(const tool_ctx *ctx, tool_result *out)
{
    schedule s;
    booking_appointment a;
    memset(&a, 0, sizeof(a));
    google_link g;
    memset(&g, 0, sizeof(g));
    local_time w;
    int64_t start_ms = 0;
    bool taken = false;
    int rc = own_appointment_find(ctx, STMT_OWNER, &s, &a, out);
    if (rc == 0) {
        args_status st;
        rc = args_instant(ctx, VX_TOOL_ARG_NEW_START, s.timezone, &start_ms, &st);
        if (rc == 0 && st != ARGS_OK) {
            tool_fail(out, st == ARGS_MISSING ? "What day and time would you like to move it to?"
                                              : "I didn't catch the new time. What day and time would you like instead?");
            rc = 1;
        }
    }
    int64_t length_ms = a.end_ms - a.start_ms;
    if (rc == 0) {
        google_link_open(ctx, &g);
        g.ignore_start_ms = a.start_ms; /* its own event does not block its new time */
        g.ignore_end_ms = a.end_ms;
        rc = booking_check_start(ctx, &s, &g, start_ms, length_ms, a.id, &w, out);
    }
    if (rc == 0 && booking_google_busy(ctx, &s, &g, start_ms, start_ms + length_ms))
        rc = booking_say_taken(ctx, &s, &g, start_ms, length_ms, a.id, "I'm sorry, that time isn't available.", out) == 0 ? 1 : -1;
    if (rc == 0)
        rc = move(ctx, &s, &a, start_ms, &taken);
    if (rc == 0 && taken)
        rc = booking_say_taken(ctx, &s, &g, start_ms, length_ms, a.id, "I'm sorry, that time was just taken.", out) == 0 ? 1 : -1;
    if (rc == 0 && a.event_id[0] != '\0')
        booking_defer_google(&g, BOOKING_GOOGLE_MOVE, a.event_id, a.id, start_ms, start_ms + length_ms, s.timezone, NULL, NULL,
                             out);
    if (rc == 0) {
        if (g.reconnect_needed) /* as for a booking: Google's busy times were not checked, nor is its event moved */
            tool_say(out, "Done: your %s is now on %s at %s. The clinic will confirm the new time with you shortly.", a.service,
                     w.date_label, w.time);
        else
            tool_say(out, "Done: your %s is now on %s at %s.", a.service, w.date_label, w.time);
        vx_log_info(ctx->request_id, ctx->org_id, "appointment rescheduled", "appointment_id", a.id);
    }
    google_link_close(&g);
    return rc < 0 ? TOOL_RETRY : TOOL_DONE;
}
