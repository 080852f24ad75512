/*
 * booking: the calendar tools that write — bookClinicAppointment (booking.c),
 * rescheduleAppointment and cancelAppointment (booking_change.c), declared
 * in scheduling.h — and the checks and answers they share.
 *
 * Every write that can collide (a new booking, a moved one) runs inside a
 * SAVEPOINT: the appointments_no_overlap exclusion constraint is the only
 * judge of "is this time free" (SQLSTATE 23P01), so however many callers race
 * for one slot exactly one wins, and the others are rolled back to the
 * savepoint and offered the nearest free slots instead — the normal path,
 * not an error.
 */
#ifndef TOOL_ROUTER_BOOKING_H
#define TOOL_ROUTER_BOOKING_H

#include "scheduling_core.h"
#include "tool.h"

/* The savepoint every colliding write runs in (statements registered by booking_prepare). */
#define BOOKING_STMT_SAVEPOINT   "sched_savepoint"
#define BOOKING_STMT_ROLLBACK_TO "sched_rollback_to_savepoint"
#define BOOKING_STMT_RELEASE     "sched_release_savepoint"

/* Registers the statements of booking.c and booking_change.c (called by scheduling_prepare). */
void booking_prepare(vx_pg *pg);

/*
 * True when the last statement failed because another booking holds the
 * time: 23P01 (exclusion violation) or 40P01 — PostgreSQL documents that two
 * backends inserting overlapping rows at the same instant can each wait for
 * the other's row; the deadlock detector then aborts one of them, which has
 * lost the race just the same. Either way the caller rolls back to the
 * savepoint and offers other times.
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
int booking_check_start(const tool_ctx *ctx, const scheduling_settings *s, scheduling_google *g, int64_t start_ms,
                        int64_t length_ms, const char *exclude_id, scheduling_when *w, tool_result *out);

/* 1 when the org's Google calendar has something within [start, end) (each
 * side widened by the buffer), else 0 — also when Google is not connected or
 * fails (then logged, and g is dropped for the rest of the call). */
int booking_google_busy(const tool_ctx *ctx, const scheduling_settings *s, scheduling_google *g, int64_t start_ms, int64_t end_ms);

/* Answers "<lead> On Tuesday, March 10 I have …" with the openings nearest
 * start (same day, else the next day with any), as an error result.
 * Returns 0, or -1 when the database failed. */
int booking_say_taken(const tool_ctx *ctx, const scheduling_settings *s, scheduling_google *g, int64_t start_ms, int64_t length_ms,
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

/* What to do to a Google event once the transaction commits. */
typedef enum { BOOKING_GOOGLE_INSERT = 0, BOOKING_GOOGLE_MOVE = 1, BOOKING_GOOGLE_DELETE = 2 } booking_google_op;

/* Schedules a Google Calendar change as out's after-commit work (nothing when g
 * is not connected): outside calls never hold the transaction — and the locks
 * of what it wrote — open, and never happen if it rolls back. event_id is the
 * existing event (MOVE, DELETE); an insert derives its id from appointment_id
 * and records the created id on the appointment. Strings are copied. */
void booking_defer_google(const scheduling_google *g, booking_google_op op, const char *event_id, const char *appointment_id,
                          int64_t start_ms, int64_t end_ms, const char *timezone, const char *summary, const char *description,
                          tool_result *out);

#endif
