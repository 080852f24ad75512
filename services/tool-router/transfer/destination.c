/*
 * destination: destination look-up and call_logs bookkeeping (see
 * destination.h).
 *
 * The destination is one statement: the settings row plus, through a lateral
 * jsonb_each_text, the department entry whose name matches (ORDER BY key makes
 * the pick deterministic; the table's CHECK already forbids two names that
 * differ only in case).
 *
 * Recording is one INSERT … ON CONFLICT (vapi_call_id) DO UPDATE: the call's
 * row is found through the unique index (no plan to go stale), a row that
 * webhook-ingest commits at the same instant is simply updated, and the DO
 * UPDATE's WHERE org_id = $1 skips another org's row of that id silently —
 * PostgreSQL checks that WHERE before the row-level security policy, which
 * would otherwise raise an error (tested in the transferCall integration
 * tests).
 */
#include "transfer/destination.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vx_log.h"

void destination_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, "transfer_destination",
                  "SELECT s.transfer_phone_number::text, s.transfer_sip_uri, d.key, d.value"
                  " FROM integration_settings s LEFT JOIN LATERAL ("
                  "   SELECT key, value FROM jsonb_each_text(s.transfer_departments)"
                  "   WHERE $2::text IS NOT NULL AND lower(key) = lower($2::text) ORDER BY key LIMIT 1) d ON true"
                  " WHERE s.org_id = $1::uuid");
    /* $3 destination (NULL: callback request), $4 reason, $5 department, $6 caller number.
     * One upsert on the call's unique Vapi id: the row is found through the
     * arbiter index, never through a plan (a cached plan made while call_logs
     * was empty scanned the org's whole history on every transfer), and two
     * writers of one call cannot race. Another org's call with that id is
     * left alone (the WHERE), and nothing is returned. */
    vx_pg_prepare(pg, "transfer_log",
                  "INSERT INTO call_logs AS c (org_id, vapi_call_id, call_sid, status, phone_number, from_number, caller_name,"
                  "   transfer_to, transfer_reason, transfer_time, metadata)"
                  " VALUES ($1::uuid, $2::text, 'vapi-' || $2::text, 'in-progress', $6::e164, $6::e164, 'Unknown Caller',"
                  "   $3::text, CASE WHEN $3::text IS NULL THEN NULL ELSE $4::text END,"
                  "   CASE WHEN $3::text IS NULL THEN NULL ELSE now() END,"
                  "   CASE WHEN $3::text IS NULL THEN jsonb_build_object('callback_requested', jsonb_build_object("
                  "     'reason', $4::text, 'department', $5::text, 'at', now())) ELSE '{}'::jsonb END)"
                  " ON CONFLICT (vapi_call_id) DO UPDATE SET"
                  "   transfer_to = COALESCE(EXCLUDED.transfer_to, c.transfer_to),"
                  "   transfer_reason = CASE WHEN $3::text IS NULL THEN c.transfer_reason"
                  "     ELSE COALESCE($4::text, c.transfer_reason) END,"
                  "   transfer_time = CASE WHEN $3::text IS NULL THEN c.transfer_time ELSE now() END,"
                  "   metadata = CASE WHEN $3::text IS NULL THEN c.metadata || EXCLUDED.metadata ELSE c.metadata END"
                  " WHERE c.org_id = $1::uuid"
                  " RETURNING 1");
}

void destination_free(destination *d)
{
    free(d->address);
    free(d->department);
}

int destination_find(const tool_ctx *ctx, const char *department, destination *d)
{
    memset(d, 0, sizeof(*d));
    const char *params[2] = {ctx->org_id, department};
    PGresult *res = vx_pg_exec(ctx->pg, "transfer_destination", 2, params);
    if (res == NULL) {
        vx_log_error(ctx->request_id, ctx->org_id, "transfer destination look-up failed", "error", vx_pg_error(ctx->pg));
        return -1;
    }
    if (PQntuples(res) == 1) {
        const char *number = vx_pg_value(res, 0, 0), *sip = vx_pg_value(res, 0, 1);
        const char *dept = vx_pg_value(res, 0, 2), *dept_to = vx_pg_value(res, 0, 3);
        const char *to = dept_to != NULL ? dept_to : number != NULL ? number : sip;
        if (to != NULL) {
            d->found = true;
            d->sip = strncasecmp(to, "sip", 3) == 0;
            d->address = strdup(to);
            d->department = dept_to != NULL ? strdup(dept) : NULL;
            if (d->address == NULL || (dept_to != NULL && d->department == NULL))
                abort();
        }
    }
    PQclear(res);
    return 0;
}

int destination_record(const tool_ctx *ctx, const char *to, const char *reason, const char *department)
{
    if (ctx->vapi_call_id == NULL) {
        vx_log_warn(ctx->request_id, ctx->org_id, "transfer not logged: the message has no call id");
        return 0;
    }
    const char *params[6] = {ctx->org_id, ctx->vapi_call_id, to, reason, department, ctx->caller_number};
    PGresult *res = vx_pg_exec(ctx->pg, "transfer_log", 6, params);
    if (res == NULL) {
        vx_log_error(ctx->request_id, ctx->org_id, "transfer log failed", "error", vx_pg_error(ctx->pg));
        return -1;
    }
    bool written = PQntuples(res) == 1;
    PQclear(res);
    if (!written)
        vx_log_warn(ctx->request_id, ctx->org_id, "transfer not logged: the call id belongs to another org's call", "vapi_call_id",
                    ctx->vapi_call_id);
    return 0;
}

void destination_sentence(const destination *d, vx_buf *out)
{
    vx_buf_reset(out);
    if (d->department != NULL)
        vx_buf_printf(out, "Transferring you to our %s team now.", d->department);
    else
        vx_buf_puts(out, "Transferring you to a member of our team now.");
}

cJSON *destination_json(const destination *d, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", d->sip ? "sip" : "number");
    cJSON_AddStringToObject(o, d->sip ? "sipUri" : "number", d->address);
    if (message != NULL)
        cJSON_AddStringToObject(o, "message", message);
    return o;
}
