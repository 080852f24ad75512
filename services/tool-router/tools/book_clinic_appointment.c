/*
 * book_clinic_appointment: the bookClinicAppointment tool (contract in
 * tools.h).
 *
 * Design: every argument is validated before the first write, so a bad
 * argument changes nothing and gets a sentence back. Then, inside one
 * SAVEPOINT (calendar/booking.h), the contact is upserted by (org, phone)
 * and the appointment inserted; when the exclusion constraint refuses it
 * (23P01, see booking_lost_race) the savepoint is rolled back — the contact
 * too: nothing is left of a lost race — and the caller hears the nearest
 * free slots. Google Calendar, when the org has it, is asked before the
 * write (an outside event blocks the time too) and gets the event after the
 * commit; Google failing never fails the booking. When Google needs
 * reconnecting the booking is made on the internal calendar alone, and the
 * caller hears that the clinic will confirm the time rather than "we'll see
 * you then".
 */
#include "tools/tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/args.h"
#include "calendar/booking.h"
#include "calendar/schedule.h"
#include "vx_log.h"
#include "vx_time.h"

#define MS_PER_MINUTE 60000LL
#define EMAIL_MAX     254

#define STMT_CONTACT "sched_book_contact"
#define STMT_INSERT  "sched_book_insert"

/* A returning caller keeps the names on file; lead status follows the
 * booking. The email on file changes only when the booking comes from that
 * contact's own number ($6): anyone may book under any number they say, but
 * must not rewrite another patient's email that way (it would receive their
 * confirmations); otherwise a given email only fills an empty one. */
static const char CONTACT_SQL[] =
    "INSERT INTO contacts (org_id, phone, first_name, last_name, email, lead_status, last_contacted_at)"
    " VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::text, 'booked', now())"
    " ON CONFLICT (org_id, phone) DO UPDATE SET first_name = COALESCE(contacts.first_name, EXCLUDED.first_name),"
    " last_name = COALESCE(contacts.last_name, EXCLUDED.last_name),"
    " email = CASE WHEN $6::boolean THEN COALESCE(EXCLUDED.email, contacts.email)"
    " ELSE COALESCE(contacts.email, EXCLUDED.email) END,"
    " lead_status = 'booked', last_contacted_at = now()"
    " RETURNING id";

static const char INSERT_SQL[] =
    "INSERT INTO appointments (org_id, contact_id, service_id, service_name, starts_at, ends_at, buffer_minutes,"
    " vapi_call_id, tool_call_id)"
    " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::timestamptz, $6::timestamptz, $7::integer, $8::text,"
    " NULLIF($9::text, ''))"
    " RETURNING id";

void book_clinic_appointment_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_CONTACT, CONTACT_SQL);
    vx_pg_prepare(pg, STMT_INSERT, INSERT_SQL);
}

/* The validated arguments of one booking. */
typedef struct book_args {
    char *name; /* cleaned; first and last point into name_split */
    char *name_split;
    const char *first, *last;
    char *email; /* NULL when not given or not plausible */
    char *service_said;
    char phone[ARGS_E164_SIZE];
    int64_t start_ms, length_ms;
    schedule_service svc;
    const char *service_name;
} book_args;

static void book_args_free(book_args *a)
{
    free(a->name);
    free(a->name_split);
    free(a->email);
    free(a->service_said);
}

static bool plausible_email(const char *e)
{
    const char *at = strchr(e, '@');
    return at != NULL && at != e && strchr(at + 1, '@') == NULL && strchr(at + 1, '.') != NULL && strchr(e, ' ') == NULL &&
           at[strlen(at) - 1] != '.';
}

/* Reads and validates; returns 1 when out was answered, -1 when the database failed, 0 when all is well. */
static int read_args(const tool_ctx *ctx, const schedule *s, book_args *a, tool_result *out)
{
    args_status st = args_text(ctx, VX_TOOL_ARG_NAME, ARGS_TEXT_MAX, &a->name);
    if (st != ARGS_OK) {
        tool_fail(out, st == ARGS_MISSING ? "What name should I put the booking under?"
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
    st = args_phone(ctx, VX_TOOL_ARG_PHONE, a->phone);
    if (st != ARGS_OK) {
        tool_fail(out, st == ARGS_MISSING ? "What phone number should I put on the booking, with the country code?"
                                          : "That phone number doesn't look right. Could you say it with the country "
                                            "code, like plus one five five five, one two three, four five six seven?");
        return 1;
    }
    if (args_instant(ctx, VX_TOOL_ARG_START, s->timezone, &a->start_ms, &st) != 0)
        return -1;
    if (st != ARGS_OK) {
        tool_fail(out, st == ARGS_MISSING ? "What day and time would you like?"
                                          : "I didn't catch the time. What day and time would you like?");
        return 1;
    }
    st = args_text(ctx, VX_TOOL_ARG_SERVICE, ARGS_TEXT_MAX, &a->service_said);
    if (st == ARGS_INVALID) {
        tool_fail(out, "I didn't catch the service. Which service would you like to book?");
        return 1;
    }
    if (schedule_service_find(ctx, a->service_said, &a->svc) != 0)
        return -1;
    if (a->service_said != NULL && !a->svc.found) {
        vx_buf names = VX_BUF_INIT;
        int count = 0;
        if (schedule_service_names(ctx, &names, &count) != 0)
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
    if (args_text(ctx, VX_TOOL_ARG_EMAIL, EMAIL_MAX, &email) == ARGS_OK && plausible_email(email))
        a->email = email;
    else
        free(email); /* an unusable email never costs the caller the booking */
    return 0;
}

/* SAVEPOINT, contact upsert, insert. *taken when the race was lost (rolled back to the savepoint). */
static int write_booking(const tool_ctx *ctx, const schedule *s, const book_args *a, char id[37], bool *taken)
{
    *taken = false;
    if (booking_run(ctx, BOOKING_STMT_SAVEPOINT, 0, NULL) != 0)
        return -1;
    /* Is the number booked under the one the call comes from? */
    char caller[ARGS_E164_SIZE];
    bool own = ctx->caller_number != NULL && args_e164(ctx->caller_number, caller) && strcmp(caller, a->phone) == 0;
    const char *cp[6] = {ctx->org_id, a->phone, a->first, a->last, a->email, own ? "true" : "false"};
    PGresult *r = schedule_exec(ctx, STMT_CONTACT, 6, cp);
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

tool_status book_clinic_appointment_run(const tool_ctx *ctx, tool_result *out)
{
    schedule s;
    if (schedule_load(ctx, &s) != 0)
        return TOOL_RETRY;
    book_args a;
    memset(&a, 0, sizeof(a));
    google_link g;
    memset(&g, 0, sizeof(g));
    local_time w;
    char id[37];
    bool taken = false;
    int rc = read_args(ctx, &s, &a, out);
    if (rc == 0) {
        google_link_open(ctx, &g);
        rc = booking_check_start(ctx, &s, &g, a.start_ms, a.length_ms, NULL, &w, out);
    }
    if (rc == 0) {
        if (booking_google_busy(ctx, &s, &g, a.start_ms, a.start_ms + a.length_ms))
            rc = booking_say_taken(ctx, &s, &g, a.start_ms, a.length_ms, NULL, "I'm sorry, that time isn't available.", out) == 0
                     ? 1
                     : -1;
    }
    if (rc == 0)
        rc = write_booking(ctx, &s, &a, id, &taken);
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
        if (g.reconnect_needed) /* Google's busy times were not checked, nor is the event made: nothing final to promise */
            tool_say(out, "You're booked for %s %s on %s at %s, %s. The clinic will confirm the time with you shortly.",
                     booking_article(a.service_name), a.service_name, w.date_label, w.time, a.first);
        else
            tool_say(out, "You're booked for %s %s on %s at %s. We'll see you then, %s!", booking_article(a.service_name),
                     a.service_name, w.date_label, w.time, a.first);
        vx_log_info(ctx->request_id, ctx->org_id, "appointment booked", "appointment_id", id);
    }
    google_link_close(&g);
    book_args_free(&a);
    return rc < 0 ? TOOL_RETRY : TOOL_DONE;
}
