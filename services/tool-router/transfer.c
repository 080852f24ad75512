/*
 * transfer: destination look-up and call_logs bookkeeping (see transfer.h).
 *
 * The destination is one statement: the settings row plus, through a lateral
 * jsonb_each_text, the department entry whose name matches (ORDER BY key makes
 * the pick deterministic; the table's CHECK already forbids two names that
 * differ only in case).
 *
 * Logging is one INSERT … ON CONFLICT (vapi_call_id) DO UPDATE: the call's
 * row is found through the unique index (no plan to go stale), a row that
 * webhook-ingest commits at the same instant is simply updated, and the DO
 * UPDATE's WHERE org_id = $1 skips another org's row of that id silently —
 * PostgreSQL checks that WHERE before the row-level security policy, which
 * would otherwise raise an error (tested in test_tool_router).
 *
 * The live transfer (vapi_control) runs after the commit: no outside call
 * holds the transaction open, and a rolled-back transfer never happens.
 */
#include "transfer.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "answer.h"
#include "settings.h"
#include "vapi_control.h"
#include "vx_log.h"

#define MAX_DEPARTMENT 64

void transfer_prepare(vx_pg *pg)
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

typedef struct destination {
    bool found;
    bool sip;
    char *address;    /* E.164 number or SIP URI (malloc'd) */
    char *department; /* the matched name as configured, or NULL (malloc'd) */
} destination;

static void destination_free(destination *d)
{
    free(d->address);
    free(d->department);
}

/* Finds the destination; -1 on a database failure. */
static int find_destination(const tool_ctx *ctx, const char *department, destination *d)
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

/* Writes the transfer (or the callback request, to == NULL) on the call. -1 on a database failure. */
static int log_transfer(const tool_ctx *ctx, const char *to, const char *reason, const char *department)
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

/* The spoken line for d. */
static void transfer_sentence(const destination *d, vx_buf *out)
{
    vx_buf_reset(out);
    if (d->department != NULL)
        vx_buf_printf(out, "Transferring you to our %s team now.", d->department);
    else
        vx_buf_puts(out, "Transferring you to a member of our team now.");
}

/* {"type":"number","number":…} or {"type":"sip","sipUri":…}, with the spoken message. */
static cJSON *destination_json(const destination *d, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", d->sip ? "sip" : "number");
    cJSON_AddStringToObject(o, d->sip ? "sipUri" : "number", d->address);
    if (message != NULL)
        cJSON_AddStringToObject(o, "message", message);
    return o;
}

/* A bounded, single-line copy of an argument (NULL stays NULL). */
static char *clean_arg(const char *s, size_t max)
{
    if (s == NULL)
        return NULL;
    vx_buf b = VX_BUF_INIT;
    answer_clean(&b, s, max);
    if (b.len == 0) {
        vx_buf_free(&b);
        return NULL;
    }
    return vx_buf_steal(&b);
}

/* What the live transfer needs once the transaction has committed. */
typedef struct live_transfer {
    cJSON *destination; /* {"type":"number","number"} or {"type":"sip","sipUri"} */
    char *content;      /* what Vapi says before it transfers */
    char *reason, *department;
} live_transfer;

static void live_transfer_free(void *data)
{
    live_transfer *lt = data;
    cJSON_Delete(lt->destination);
    free(lt->content);
    free(lt->reason);
    free(lt->department);
    free(lt);
}

/* Notes the callback request on the call in a transaction of its own (the tool's has committed). */
static void note_callback(const tool_ctx *ctx, const live_transfer *lt)
{
    if (vx_pg_begin_org(ctx->pg, ctx->org_id) != 0 || log_transfer(ctx, NULL, lt->reason, lt->department) != 0 ||
        vx_pg_commit(ctx->pg) != 0) {
        vx_log_error(ctx->request_id, ctx->org_id, "callback request not noted", "error", vx_pg_error(ctx->pg));
        vx_pg_rollback(ctx->pg);
    }
}

/* After the commit: asks Vapi to transfer the live call. When Vapi does not
 * take it, the caller must not wait for a transfer that will never come:
 * they hear that someone will call back, and the request is noted on the
 * call. (A repeat of this toolCallId replays the committed answer.) */
static void transfer_live_call(const tool_ctx *ctx, void *data, tool_result *r)
{
    live_transfer *lt = data;
    if (!vapi_control_url_allowed(ctx->control_url, ctx->settings->vapi_control_allow)) {
        vx_log_warn(ctx->request_id, ctx->org_id, "the call's control URL is not Vapi's: not used", "vapi_call_id",
                    ctx->vapi_call_id != NULL ? ctx->vapi_call_id : "");
        return;
    }
    if (vapi_control_transfer(ctx->control_url, lt->destination, lt->content, ctx->settings->vapi_control_timeout_ms,
                              ctx->request_id, ctx->org_id) == 0) {
        vx_log_info(ctx->request_id, ctx->org_id, "call transferred", "tool_call_id", ctx->tool_call_id);
        return;
    }
    note_callback(ctx, lt);
    tool_say(r, "%s", ctx->settings->say_no_transfer);
    cJSON_DeleteItemFromObject(r->extra, "destination");
}

/* Sets up the live transfer for after the commit (nothing without a control URL). */
static void plan_live_transfer(const tool_ctx *ctx, const destination *d, const char *sentence, const char *reason,
                               const char *department, tool_result *out)
{
    if (ctx->control_url == NULL)
        return;
    live_transfer *lt = calloc(1, sizeof(*lt));
    if (lt == NULL)
        abort();
    lt->destination = destination_json(d, NULL);
    lt->content = strdup(sentence);
    lt->reason = reason != NULL ? strdup(reason) : NULL;
    lt->department = department != NULL ? strdup(department) : NULL;
    if (lt->content == NULL || (reason != NULL && lt->reason == NULL) || (department != NULL && lt->department == NULL))
        abort();
    out->after_commit = transfer_live_call;
    out->after_commit_data = lt;
    out->free_after_commit = live_transfer_free;
}

tool_status tool_transfer_call(const tool_ctx *ctx, tool_result *out)
{
    char *summary = clean_arg(tool_arg_str(ctx, "summary"), TRANSFER_MAX_REASON);
    char *department = clean_arg(tool_arg_str(ctx, "department"), MAX_DEPARTMENT);
    destination d;
    tool_status st = TOOL_DONE;
    if (find_destination(ctx, department, &d) != 0) {
        st = TOOL_RETRY;
    } else if (!d.found) {
        if (log_transfer(ctx, NULL, summary, department) != 0)
            st = TOOL_RETRY;
        else
            tool_say(out, "%s", ctx->settings->say_no_transfer);
    } else if (log_transfer(ctx, d.address, summary, department) != 0) {
        st = TOOL_RETRY;
    } else {
        vx_buf sentence = VX_BUF_INIT;
        transfer_sentence(&d, &sentence);
        tool_say(out, "%s", sentence.data);
        out->extra = cJSON_CreateObject();
        cJSON_AddItemToObject(out->extra, "destination", destination_json(&d, sentence.data));
        plan_live_transfer(ctx, &d, sentence.data, summary, department, out);
        vx_buf_free(&sentence);
    }
    destination_free(&d);
    free(summary);
    free(department);
    return st;
}

tool_status transfer_destination_answer(const tool_ctx *ctx, cJSON *answer)
{
    char *department = clean_arg(tool_arg_str(ctx, "department"), MAX_DEPARTMENT);
    destination d;
    tool_status st = TOOL_DONE;
    if (find_destination(ctx, department, &d) != 0) {
        st = TOOL_RETRY;
    } else if (!d.found) {
        cJSON_AddStringToObject(answer, "error", "Sorry, I can't transfer your call right now.");
    } else if (log_transfer(ctx, d.address, NULL, department) != 0) {
        st = TOOL_RETRY;
    } else {
        vx_buf sentence = VX_BUF_INIT;
        transfer_sentence(&d, &sentence);
        cJSON_AddItemToObject(answer, "destination", destination_json(&d, NULL));
        cJSON *msg = cJSON_AddObjectToObject(answer, "message");
        cJSON_AddStringToObject(msg, "type", "request-start");
        cJSON_AddStringToObject(msg, "message", sentence.data);
        vx_buf_free(&sentence);
    }
    destination_free(&d);
    free(department);
    return st;
}
