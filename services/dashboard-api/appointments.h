/*
 * appointments: the org's appointments at the front desk —
 *   GET  /api/appointments                     list by range
 *   POST /api/appointments                     book
 *   PATCH /api/appointments/{id}               notes, service, status
 *   POST /api/appointments/{id}/reschedule     move to another time
 *   POST /api/appointments/{id}/cancel         cancel (frees the time)
 * for owners and staff. Answers keep the earlier dashboard's field names
 * (scheduled_time for the start, contact_name, phone_number: see the seed's
 * "DASHBOARD API FIXES").
 *
 * An appointment, as every answer shows it: id, contact_id, contact_name
 * ("first last", null without a name), phone_number, service_id (null when
 * none, or its service was deleted), service_name, scheduled_time and
 * ends_at (UTC, "2027-03-10T14:30:00.000Z": the format of alternatives),
 * duration_minutes, buffer_minutes (what it blocks after itself), status
 * (booked, cancelled, completed, no_show), notes, confirmation_sent,
 * created_at, updated_at.
 *
 *   list        ?from= &to= (a date, 00:00 UTC — as to, the end of that day
 *               — or an RFC 3339 time with its offset, '+' sent as %2B):
 *               appointments starting in [from, to). from defaults to the
 *               start of the org's local today, to to from + 30 days; to must
 *               be after from, at most 366 days later. Optional status,
 *               contact_id, service_id (UUIDs); page >= 1, limit 1..500
 *               (100). Ordered by start, then id →
 *               {"appointments": [...], "from", "to" (the range used, UTC),
 *               "pagination": {"page", "limit", "total"}}
 *   create      201 with the appointment; the body: appointment_fields.h.
 *               duration_minutes defaults to the service's duration, else
 *               the org's slot length; service_name is the service's name,
 *               else "appointment" (as tool-router books without one).
 *   update      200 with the appointment. service_id sets service_name too
 *               (the times stay: reschedule moves them); status booked again
 *               re-enters the no-overlap rule (409 slot_taken when it clashes).
 *   reschedule  200 with the appointment at its new time; duration_minutes
 *               defaults to its current length. Only a booked appointment.
 *   cancel      200 with the appointment, cancelled; cancelling a cancelled
 *               one again is the same 200, unchanged (a retried click), with
 *               no second audit entry.
 *
 * Booking rules. The appointments_no_overlap exclusion constraint is the
 * only judge of a clash (the savepoint pattern of tool-router's booking.c):
 * any number of racing requests for one time make exactly one booking. A
 * clash is 409 {"error", "code": "slot_taken", "alternatives": [up to 3
 * free starts, ISO UTC]} — the openings tool-router would offer a caller
 * (vx_calendar.h: the same day's nearest, else the next day with any, up to
 * the horizon; inside business hours, with the org's slot steps, buffer and
 * minimum notice), for the same length, the moved appointment left out of
 * its own clash. A new or moved appointment blocks the org's current buffer
 * after itself. A start in the past is refused; business hours, minimum
 * notice and the horizon are not enforced: the desk may book a patient at
 * 7:30 before opening, at short notice or far ahead — a person's decision
 * the voice agent may not make — but never onto another booking.
 *
 * Refusals ({"error", "code"}): 400 invalid_query, invalid_id, time_in_past
 * and the body's codes (appointment_fields.h); 404 not_found (the
 * appointment), contact_not_found, service_not_found — also for another
 * org's ids, never telling they exist; 409 slot_taken, service_inactive (a
 * deactivated service is not booked), not_booked (reschedule or cancel of a
 * completed / no-show / cancelled appointment), appointment_cancelled (a
 * status change of a cancelled one: book again instead).
 *
 * Every write is one transaction under the org's claims (vx_pg_begin_org),
 * each statement also naming org_id, with its audit_log entry
 * (appointment.created / .updated / .rescheduled / .cancelled; ids and field
 * names only, never a name, number or note). Google Calendar is not told:
 * see appointments.c.
 */
#ifndef DASHBOARD_APPOINTMENTS_H
#define DASHBOARD_APPOINTMENTS_H

#include "vx_pg.h"
#include "vx_rpc.h"

/* The list's statement, for the plan test: $1 org, $2 from, $3 to
 * (timestamptz), $4 status, $5 contact_id, $6 service_id (NULL: any), $7
 * limit, $8 offset. */
extern const char DASHBOARD_APPOINTMENTS_LIST_SQL[];

/* Registers the statements this module uses on pg (libcommon's vx_calendar's too). */
void dashboard_appointments_prepare(vx_pg *pg);
void dashboard_appointments_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_appointments_create(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_appointments_update(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_appointments_reschedule(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_appointments_cancel(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
