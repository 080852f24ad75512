/*
 * booking: the write path the calendar tools that write share —
 * bookClinicAppointment, rescheduleAppointment and cancelAppointment
 * (tools/): the savepoint every colliding write runs in, the checks of a
 * requested start, the "that time is taken, I have …" answer, finding the
 * caller's booked appointment, and the Google Calendar change made once the
 * transaction has committed.
 *
 * Every write that can collide (a new booking, a moved one) runs inside the
 * SAVEPOINT below: the appointments_no_overlap exclusion constraint is the
 * only judge of "is this time free" (SQLSTATE 23P01), so however many callers
 * race for one slot exactly one wins, and the others are rolled back to the
 * savepoint and offered the nearest free slots instead — the normal path,
 * not an error.
 *
 * Functions returning int return 0 when all is well, 1 when out already holds
 * the answer (a sentence for the caller: nothing more to do), and -1 when the
 * database failed (logged; the tool returns TOOL_RETRY and the framework
 * rolls back). They run inside the tool's transaction and filter by
 * ctx->org_id. Statements are registered by booking_prepare.
 */
#ifndef TOOL_ROUTER_CALENDAR_BOOKING_H
#define TOOL_ROUTER_CALENDAR_BOOKING_H

#include <stdbool.h>
#include <stdint.h>

#include "calendar/args.h"
#include "calendar/google_link.h"
#include "calendar/local_time.h"
#include "calendar/schedule.h"
#include "tool.h"

/* The savepoint every colliding write runs in. */
#define BOOKING_STMT_SAVEPOINT   "sched_savepoint"
#define BOOKING_STMT_ROLLBACK_TO "sched_rollback_to_savepoint"
#define BOOKING_STMT_RELEASE     "sched_release_savepoint"

/* Registers the statements of booking.c on a worker's connection. */
void booking_prepare(vx_pg *pg);

/*
 * True when the last statement failed because another booking holds the
 * time: 23P01 (exclusion violation) or 40P01 (vx_calendar_lost_race says
 * why). Either way the caller rolls back to the savepoint and offers other
 * times.
 */
bool booking_lost_race(const tool_ctx *ctx);

/* Runs a statement whose rows do not matter; 0, or -1 (logged) when the database failed. */
int booking_run(const tool_ctx *ctx, const char *stmt, int nparams, const char *const *params);

/*
 * The checks of a requested start [start, start + length): not past, not
 * inside the minimum notice, within the horizon, inside business hours (of
 * the calendar without exclude_id). Fills *w (the start in local time).
 * Returns 0 when acceptable, 1 when out holds the answer (with the nearest
 * openings when the org is closed then; g, which may be NULL, adds Google's
 * busy times to them), -1 when the database failed.
 */
int booking_check_start(const tool_ctx *ctx, const schedule *s, google_link *g, int64_t start_ms, int64_t length_ms,
                        const char *exclude_id, local_time *w, tool_result *out);

/* True when the org's Google calendar has something within [start, end)
 * (the end widened by the buffer) — false also when Google is not connected
 * or fails (then logged, and g is dropped for the rest of the call). */
bool booking_google_busy(const tool_ctx *ctx, const schedule *s, google_link *g, int64_t start_ms, int64_t end_ms);

/* Answers "<lead> On Tuesday, March 10 I have …" with the openings nearest
 * start (same day, else the next day with any), as an error result.
 * Returns 0, or -1 when the database failed. */
int booking_say_taken(const tool_ctx *ctx, const schedule *s, google_link *g, int64_t start_ms, int64_t length_ms,
                      const char *exclude_id, const char *lead, tool_result *out);

/* "a" or "an" for a service name ("an Initial Consultation"). */
const char *booking_article(const char *noun);

/*
 * The boundary to the notifier for the booking confirmation SMS. The
 * notifier is a later issue: until it exists this queues nothing (and says
 * so at debug level), and appointments.confirmation_sent stays false so the
 * notifier can find unconfirmed bookings when it arrives. It must never block
 * the call or fail the booking.
 */
void booking_queue_confirmation(const tool_ctx *ctx, const char *appointment_id);

/* A booked appointment of the org, as found by booking_find. */
typedef struct booking_appointment {
    char id[37];
    char service[4 * ARGS_TEXT_MAX + 1];
    int64_t start_ms, end_ms;
    char event_id[1025]; /* its Google event, "" when there is none */
} booking_appointment;

/*
 * The appointment the arguments name, locked (FOR UPDATE) so that two
 * changes of one appointment run one after the other: by appointmentId,
 * which must be the org's (another org's id is just "not found"); else the
 * next upcoming booked appointment of the contact with that phone (the
 * "phone" argument, else the caller's own number), the one starting at
 * currentStart when that is given. Returns 0 (found, *a filled), 1 (out
 * answered: not found, or arguments to ask again) or -1 (database).
 */
int booking_find(const tool_ctx *ctx, const schedule *s, booking_appointment *a, tool_result *out);

/* What to do to a Google event once the transaction commits. */
typedef enum { BOOKING_GOOGLE_INSERT = 0, BOOKING_GOOGLE_MOVE = 1, BOOKING_GOOGLE_DELETE = 2 } booking_google_op;

/* Schedules a Google Calendar change as out's after-commit work (nothing when g
 * is not connected; logged at warn when that is because Google needs
 * reconnecting): outside calls never hold the transaction — and the locks
 * of what it wrote — open, and never happen if it rolls back. event_id is the
 * existing event (MOVE, DELETE); an insert derives its id from appointment_id
 * and records the created id on the appointment. Strings are copied; failures
 * after the commit are logged, never fatal. */
void booking_defer_google(const google_link *g, booking_google_op op, const char *event_id, const char *appointment_id,
                          int64_t start_ms, int64_t end_ms, const char *tz, const char *summary, const char *description,
                          tool_result *out);

#endif
