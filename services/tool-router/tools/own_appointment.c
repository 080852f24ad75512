/*
 * own_appointment: the caller's own appointment (contract in
 * own_appointment.h).
 *
 * Design: two checks that need no database run first (is there a caller
 * number; is the "phone" argument that number), then the org's rules are
 * loaded and booking_find finds and locks the appointment as before, then
 * one read asks whether its contact's phone is the caller's. That last
 * check also covers the appointmentId path, where booking_find looks at no
 * phone at all; it reads the row booking_find locked, so the appointment
 * cannot pass to another contact before the tool writes.
 */
#include "tools/own_appointment.h"

#include <string.h>

#include "calendar/args.h"
#include "vx_log.h"

static const char OWNER_SQL[] = "SELECT 1 FROM appointments a JOIN contacts c ON c.org_id = a.org_id AND c.id = a.contact_id"
                                " WHERE a.org_id = $1::uuid AND a.id = $2::uuid AND c.phone = $3::text";

void own_appointment_prepare(vx_pg *pg, const char *stmt)
{
    vx_pg_prepare(pg, stmt, OWNER_SQL);
}

static int refuse(const tool_ctx *ctx, const char *reason, tool_result *out)
{
    vx_log_info(ctx->request_id, ctx->org_id, "appointment change refused", "tool", ctx->tool_name, "reason", reason);
    tool_fail(out, "%s", OWN_APPOINTMENT_REFUSAL);
    return 1;
}

int own_appointment_find(const tool_ctx *ctx, const char *stmt, schedule *s, booking_appointment *a, tool_result *out)
{
    char caller[ARGS_E164_SIZE], said[ARGS_E164_SIZE];
    if (ctx->caller_number == NULL || !args_e164(ctx->caller_number, caller))
        return refuse(ctx, "no caller number", out);
    /* Missing, it is the caller's number; malformed, booking_find asks again (or the id decides). */
    if (args_phone(ctx, VX_TOOL_ARG_PHONE, said) == ARGS_OK && strcmp(said, caller) != 0)
        return refuse(ctx, "another number than the caller's", out);
    if (schedule_load(ctx, s) != 0)
        return -1;
    int rc = booking_find(ctx, s, a, out);
    if (rc != 0)
        return rc;
    const char *p[3] = {ctx->org_id, a->id, caller};
    PGresult *r = schedule_exec(ctx, stmt, 3, p);
    if (r == NULL)
        return -1;
    bool own = PQntuples(r) == 1;
    PQclear(r);
    return own ? 0 : refuse(ctx, "not the caller's appointment", out);
}
