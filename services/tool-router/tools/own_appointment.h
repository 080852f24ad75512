/*
 * own_appointment: which appointment cancelAppointment and
 * rescheduleAppointment may change — only one booked with the phone number
 * the call comes from (issue 9, live-call privacy).
 *
 * Whoever is on the line can say any number or appointment id, and a
 * spoken number proves nothing; the calling number (message.call.customer.
 * number, ctx->caller_number) is the one thing about the caller Vapi vouches
 * for. So a change is refused, and nothing is changed, when
 * - the call has no caller number (a web call, a withheld number), or
 * - the "phone" argument is another number than the caller's (refused
 *   before anything is looked up, so not even "there is none" is said), or
 * - the appointment found (by its id, or by the phone) belongs to a contact
 *   whose phone is not the caller's.
 * Numbers are compared as E.164 (calendar/args.h's args_e164, the form
 * contacts.phone is stored in).
 */
#ifndef TOOL_ROUTER_TOOLS_OWN_APPOINTMENT_H
#define TOOL_ROUTER_TOOLS_OWN_APPOINTMENT_H

#include "calendar/booking.h"
#include "calendar/schedule.h"
#include "tool.h"

/* What the caller hears when the appointment is not theirs to change (an error result). */
#define OWN_APPOINTMENT_REFUSAL                                                                                                    \
    "For your privacy, I can only change appointments booked with the phone number you're calling from. Please call us "           \
    "from that number and I'll be happy to help."

/* Registers the ownership check under the name stmt (each tool registers its
 * own: statement names are unique per connection). */
void own_appointment_prepare(vx_pg *pg, const char *stmt);

/* The org's rules into *s (schedule_load) and the appointment the arguments
 * name into *a, found and locked by booking_find (calendar/booking.h) and
 * limited to the caller's own as above; stmt is the name given to
 * own_appointment_prepare. The first two refusals come before any read.
 * Returns 0 (the caller's, *s and *a filled), 1 (out answered: refused, not
 * found, or arguments to ask again) or -1 (database). */
int own_appointment_find(const tool_ctx *ctx, const char *stmt, schedule *s, booking_appointment *a, tool_result *out);

#endif
