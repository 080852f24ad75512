/*
 * tools: every Vapi tool tool-router answers, one file each, named after the
 * tool:
 *
 *   lookupCaller           tools/lookup_caller.c
 *   checkAvailability      tools/check_availability.c
 *   bookClinicAppointment  tools/book_clinic_appointment.c
 *   rescheduleAppointment  tools/reschedule_appointment.c
 *   cancelAppointment      tools/cancel_appointment.c
 *   transferCall           tools/transfer_call.c
 *   getKnowledgeBase       tools/get_knowledge_base.c
 *
 * Every tool follows the contract of tool.h (runs inside the org's scope,
 * fills a tool_result with one sayable sentence, TOOL_RETRY only when the
 * database failed). tool_table.c is the one place that maps a Vapi name to
 * these functions and says whether the tool writes (→ transaction and
 * ledger) and whether it needs the database at all.
 *
 * One header for all seven, not one each: every tool has the same shape (a
 * tool_fn, or a plan/answer pair, and maybe its statements), so seven
 * headers would repeat one declaration seven times; here each tool's
 * contract — its arguments, its answers, what it writes — sits above its
 * declaration, and the whole menu of the voice agent reads on one page.
 * Each function is named after its file: <file>_run is the tool_fn,
 * <file>_prepare registers the file's own statements (shared calendar and
 * transfer statements are registered by their modules). One module here
 * is not a tool: own_appointment (its own header), the rule the two tools
 * that change an appointment share.
 */
#ifndef TOOL_ROUTER_TOOLS_TOOLS_H
#define TOOL_ROUTER_TOOLS_TOOLS_H

#include <stdbool.h>

#include "tool.h"

/*
 * lookupCaller(searchKey, searchType?) — "who is this caller?" mid-call.
 * searchType is "phone" | "email" | "name"; when absent it is guessed from
 * the key: an '@' means email, mostly digits mean phone, else name.
 *   phone  normalized to E.164 when that is unambiguous (+ and digits, or a
 *          10-digit US number, or 1 + 10 digits), then an exact match;
 *   email  case-insensitive exact match;
 *   name   case-insensitive "first last", or a single word matching the start
 *          of the first name ("Jon" finds Jonathan); fewer than three
 *          letters is refused at once: "I need at least three letters of a
 *          name to look someone up. Could you tell me your full name?"
 * Privacy: whoever is on the line can say anyone's name, number or address,
 * so an answer never holds a contact's email, phone, id or lead data — at
 * most their first name and hints: "phoneHint" "…42" (the last two digits),
 * "emailHint" "j***@d***.example" (first letter of the name and the domain,
 * the domain's last label). A record whose phone is the number the call
 * comes from (ctx->caller_number) is the caller's own ("callerKnown"): only
 * then are its full name and last call given.
 * Answers:
 *   none      "I couldn't find …", extra {"found":false}
 *   one       "Found you, John!" — the caller's own record adds "Your last
 *             call with us was 6 days ago." — extra {"found":true,
 *             "callerKnown":bool,"contact":{firstName,phoneHint?,emailHint?}},
 *             the caller's own contact also {name,lastContactedAt?}
 *   several   "I found 2 people who match: Sam (phone ending in 42) and Sara
 *             (email starting with s). Which one are you?" (each told apart
 *             by the phone's ending, else the email's first letter; more
 *             than five: asks for a phone number or email instead); extra
 *             {"found":false,"multipleMatches":true,"contacts":[{firstName,
 *             phoneHint?,emailHint?}…]}
 * Read-only, and a one-read tool (tool_read in tool.h): the framework runs
 * the reads of many callers in one round trip.
 */
#define LOOKUP_CALLER_E164_SIZE 17 /* "+" and up to 15 digits, NUL included */
void lookup_caller_prepare(vx_pg *pg);
void lookup_caller_plan(const tool_ctx *ctx, tool_read *read, tool_result *out);
tool_status lookup_caller_answer(const tool_ctx *ctx, const PGresult *rows, tool_result *out);
/* A spoken/typed phone number as E.164 into out; false when it is not
 * unambiguously one ("555-1234", letters, too short or long). */
bool lookup_caller_e164(const char *in, char out[LOOKUP_CALLER_E164_SIZE]);
/* The hints an answer gives instead of a contact detail, into out (emptied
 * first): "jane.doe@doe.example" → "j***@d***.example" ("" when it is not an
 * address with a name and a domain; NULL too); an E.164 number → "…42" its
 * last two digits ("" when shorter than 8 characters, or NULL). */
void lookup_caller_email_hint(const char *email, vx_buf *out);
void lookup_caller_phone_hint(const char *phone, vx_buf *out);

/*
 * checkAvailability(date?, service?) — the openings of the asked day in the
 * org's local time: the first three and how many more, sized by the named
 * service's duration or the org's slot length. A closed day, a fully booked
 * day or a day without openings left today says so and offers the next day
 * that has openings, up to the booking horizon. The date may be
 * "YYYY-MM-DD", an ISO date-time, "today", "tomorrow" or a weekday; a
 * missing date means today. Takes the org's business hours, time zone
 * (DST-correct), slot length, buffer, existing appointments and, when the
 * org has it connected, Google Calendar's busy times into account.
 * Read-only.
 */
tool_status check_availability_run(const tool_ctx *ctx, tool_result *out);

/*
 * bookClinicAppointment(name, phone?, email?, service?, start) — books
 * start (ISO 8601 with an offset, or the org's local "YYYY-MM-DDTHH:MM")
 * for the named service's duration (else the org's slot length). The phone
 * defaults to the caller's number; an unusable email is dropped, never
 * fatal. Upserts the contact by (org, phone) and inserts the appointment;
 * double booking is impossible by construction (an exclusion constraint,
 * migrations/0003_scheduling.sql): a caller who loses the race for a slot
 * hears "that time was just taken" and the nearest free slots, and nothing
 * of the attempt is kept. A bad argument changes nothing and asks again.
 * With Google Calendar: its busy times block too, and the event is created
 * after the commit. Answers "You're booked for a Cleaning on Tuesday, March
 * 10 at 10:00 AM. We'll see you then, Ann!" — or, when the org's Google
 * Calendar needs reconnecting (booked on the internal calendar alone),
 * "You're booked for … at 10:00 AM, Ann. The clinic will confirm the time
 * with you shortly." Side effects: claimed in the ledger.
 */
void book_clinic_appointment_prepare(vx_pg *pg);
tool_status book_clinic_appointment_run(const tool_ctx *ctx, tool_result *out);

/*
 * rescheduleAppointment(appointmentId? | phone? + currentStart?, newStart)
 * — moves the caller's booked appointment (see booking_find in
 * calendar/booking.h for how it is found; another org's id is "not found")
 * to newStart, only when it was booked with the number the call comes from
 * (tools/own_appointment.h: else, and on a call without a caller number,
 * the refusal OWN_APPOINTMENT_REFUSAL and nothing changes), keeping its duration, under the same checks and collision
 * rule as a booking. The Google event, when there is one, follows after the
 * commit. Answers "Done: your Cleaning is now on … at 10:30 AM." — with
 * " The clinic will confirm the new time with you shortly." when the org's
 * Google Calendar needs reconnecting. Side effects: claimed in the ledger.
 */
void reschedule_appointment_prepare(vx_pg *pg);
tool_status reschedule_appointment_run(const tool_ctx *ctx, tool_result *out);

/*
 * cancelAppointment(appointmentId? | phone? + currentStart?) — cancels the
 * caller's booked appointment, which frees its time at once — only one
 * booked with the number the call comes from, as for rescheduleAppointment
 * (tools/own_appointment.h); the Google event, when there is one, is
 * deleted after the commit. Side effects: claimed in the ledger.
 */
void cancel_appointment_prepare(vx_pg *pg);
tool_status cancel_appointment_run(const tool_ctx *ctx, tool_result *out);

/*
 * transferCall(summary?, department?) — hands the caller to a human: the
 * destination rule of transfer/destination.h, recorded on the call with the
 * summary as reason. Answers "Transferring you to our billing team now." +
 * extra {"destination":{"type":"number","number":…,"message":…}} (or
 * {"type":"sip","sipUri":…}); with no destination, the settings' callback
 * sentence (the request is noted on the call). When the message carries
 * the call's monitor.controlUrl, Vapi's Live Call Control is asked to move
 * the live call after the commit; if Vapi refuses, the caller hears the
 * callback sentence instead. Side effects: claimed in the ledger.
 */
tool_status transfer_call_run(const tool_ctx *ctx, tool_result *out);

/*
 * getKnowledgeBase(query) — answers from the org's own knowledge base
 * through rag-search, waiting at most settings.rag_timeout_ms. The context
 * text is the result (one line, capped). No rag-search, a timeout, an error
 * or nothing found are normal outcomes of a live call: the assistant hears
 * a sentence (settings.say_no_knowledge, or that there is nothing about
 * it) as a result and carries on. Needs no database.
 */
tool_status get_knowledge_base_run(const tool_ctx *ctx, tool_result *out);

#endif
