/*
 * cancel_appointment: the cancelAppointment tool (contract in tools.h).
 *
 * Design: the appointment is found and locked by own_appointment_find —
 * only one booked with the number the call comes from (own_appointment.h;
 * anything else is refused and nothing changes) — then its status becomes
 * 'cancelled', which frees the time at once (the exclusion constraint only
 * covers booked rows) — no savepoint needed, nothing can collide. The Google event, when there is one, is deleted after the
 * commit; Google failing (or no longer connected) is logged, never fatal.
 * The caller's answer is the same when Google needs reconnecting: the
 * cancellation is done, and nothing about the clinic's calendar is said
 * (the owner's side is logged).
 */
#include "tools/tools.h"

#include <string.h>

#include "calendar/booking.h"
#include "calendar/schedule.h"
#include "tools/own_appointment.h"
#include "vx_log.h"

#define STMT_CANCEL "sched_change_cancel"
#define STMT_OWNER  "sched_change_cancel_owner"

static const char CANCEL_SQL[] =
    "UPDATE appointments SET status = 'cancelled' WHERE org_id = $1::uuid AND id = $2::uuid AND status = 'booked'";

void cancel_appointment_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_CANCEL, CANCEL_SQL);
    own_appointment_prepare(pg, STMT_OWNER);
}

tool_status cancel_appointment_run(const tool_ctx *ctx, tool_result *out)
{
    schedule s;
    booking_appointment a;
    int rc = own_appointment_find(ctx, STMT_OWNER, &s, &a, out);
    if (rc != 0)
        return rc < 0 ? TOOL_RETRY : TOOL_DONE;
    local_time w;
    const char *p[2] = {ctx->org_id, a.id};
    if (booking_run(ctx, STMT_CANCEL, 2, p) != 0 || local_time_format(ctx, s.timezone, &a.start_ms, 1, &w) != 0)
        return TOOL_RETRY;
    if (a.event_id[0] != '\0') {
        google_link g;
        google_link_open(ctx, &g);
        if (!g.connected && !g.reconnect_needed) /* needing reconnecting: booking_defer_google says so */
            vx_log_warn(ctx->request_id, ctx->org_id, "google calendar event not deleted", "appointment_id", a.id, "status",
                        "not connected");
        booking_defer_google(&g, BOOKING_GOOGLE_DELETE, a.event_id, a.id, 0, 0, s.timezone, NULL, NULL, out);
        google_link_close(&g);
    }
    vx_log_info(ctx->request_id, ctx->org_id, "appointment cancelled", "appointment_id", a.id);
    tool_say(out, "Your %s on %s at %s is cancelled.", a.service, w.date_label, w.time);
    return TOOL_DONE;
}
