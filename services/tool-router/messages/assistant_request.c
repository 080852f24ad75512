/*
 * assistant_request: Vapi's assistant-request message (contract in
 * messages.h) — one statement, one answer.
 *
 * Design: the statement runs under the org's claims: every lateral
 * sub-select is limited by RLS and by org_id. The last summary is the
 * caller's most recent call with a non-empty outcome_summary other than this
 * call (call_logs_org_phone_idx serves it). Caller-supplied text (names,
 * summaries) is cleaned with answer_clean before it goes into the answer:
 * Vapi speaks firstMessage as it is.
 */
#include "messages/messages.h"

#include <string.h>

#include "answer.h"
#include "settings.h"
#include "vx_log.h"
#include "vx_vapi.h"

#define MAX_NAME    100
#define MAX_SUMMARY 500 /* bytes of the last call's summary handed to the assistant */

void assistant_request_prepare(vx_pg *pg)
{
    /* $1 org, $2 caller number, $3 phone number id, $4 called number, $5 this call's id. */
    vx_pg_prepare(pg, "assistant_request",
                  "SELECT a.vapi_assistant_id, o.name, c.first_name, c.last_name, l.outcome_summary"
                  " FROM organizations o"
                  " LEFT JOIN LATERAL (SELECT vapi_assistant_id FROM agents"
                  "   WHERE org_id = o.id AND vapi_assistant_id IS NOT NULL"
                  "   ORDER BY (coalesce(vapi_phone_number_id = $3::text, false)"
                  "             OR coalesce(phone_number::text = $4::text, false)) DESC, created_at LIMIT 1) a ON true"
                  " LEFT JOIN LATERAL (SELECT id, first_name, last_name FROM contacts"
                  "   WHERE org_id = o.id AND phone = $2::text) c ON true"
                  " LEFT JOIN LATERAL (SELECT outcome_summary FROM call_logs"
                  "   WHERE c.id IS NOT NULL AND org_id = o.id AND phone_number = $2::text"
                  "     AND outcome_summary <> '' AND vapi_call_id IS DISTINCT FROM $5::text"
                  "   ORDER BY created_at DESC LIMIT 1) l ON true"
                  " WHERE o.id = $1::uuid AND o.status = 'active'");
}

/* The caller's names, cleaned; first is "" when unknown. */
static void caller_names(const PGresult *res, vx_buf *first, vx_buf *full)
{
    const char *f = vx_pg_value(res, 0, 2), *l = vx_pg_value(res, 0, 3);
    answer_clean(first, f, MAX_NAME);
    vx_buf raw = VX_BUF_INIT;
    vx_buf_printf(&raw, "%s %s", f != NULL ? f : "", l != NULL ? l : "");
    answer_clean(full, raw.data, 2 * MAX_NAME);
    vx_buf_free(&raw);
}

tool_status assistant_request_answer(const tool_ctx *ctx, const char *phone_number_id, const char *called_number, cJSON *answer)
{
    const char *params[5] = {ctx->org_id, ctx->caller_number, phone_number_id, called_number, ctx->vapi_call_id};
    PGresult *res = vx_pg_exec(ctx->pg, "assistant_request", 5, params);
    if (res == NULL) {
        vx_log_error(ctx->request_id, ctx->org_id, "assistant look-up failed", "error", vx_pg_error(ctx->pg));
        return TOOL_RETRY;
    }
    const char *assistant = PQntuples(res) == 1 ? vx_pg_value(res, 0, 0) : NULL;
    if (assistant == NULL) {
        vx_log_warn(ctx->request_id, ctx->org_id, "assistant-request for an org without an active assistant");
        cJSON_AddStringToObject(answer, "error", ctx->settings->say_not_set_up);
        PQclear(res);
        return TOOL_DONE;
    }
    cJSON_AddStringToObject(answer, "assistantId", assistant);
    cJSON *overrides = cJSON_AddObjectToObject(answer, "assistantOverrides");
    cJSON *vars = cJSON_AddObjectToObject(overrides, "variableValues");
    cJSON_AddStringToObject(vars, "org_id", ctx->org_id);
    cJSON *meta = cJSON_AddObjectToObject(overrides, "metadata");
    cJSON_AddStringToObject(meta, "org_id", ctx->org_id);
    /* Signed for this call: the later messages of the call find their org
     * by it (tier 2), and no one can name an org there without it. */
    char org_sig[65];
    if (vx_vapi_org_hint_sign(ctx->org_id, ctx->vapi_call_id, org_sig) == 0) {
        cJSON_AddStringToObject(vars, "org_sig", org_sig);
        cJSON_AddStringToObject(meta, "org_sig", org_sig);
    } else {
        /* Without a call id there is nothing to sign for: the call's later
         * messages then resolve by assistant or number only. */
        vx_log_warn(ctx->request_id, ctx->org_id, "assistant-request without a call id: org hint not signed");
    }

    vx_buf first = VX_BUF_INIT, full = VX_BUF_INIT, org = VX_BUF_INIT;
    caller_names(res, &first, &full);
    if (full.len > 0) {
        cJSON_AddStringToObject(vars, "customerName", full.data);
        if (first.len > 0)
            cJSON_AddStringToObject(vars, "customerFirstName", first.data);
        const char *summary = vx_pg_value(res, 0, 4);
        if (summary != NULL)
            answer_add_clean(vars, "lastCallSummary", summary, MAX_SUMMARY);
    }
    if (first.len > 0) {
        answer_clean(&org, vx_pg_value(res, 0, 1), 2 * MAX_NAME);
        vx_buf greeting = VX_BUF_INIT;
        vx_buf_printf(&greeting, "Hi %s, thanks for calling %s! How can I help you today?", first.data, org.data);
        cJSON_AddStringToObject(overrides, "firstMessage", greeting.data);
        vx_buf_free(&greeting);
    }
    vx_buf_free(&first);
    vx_buf_free(&full);
    vx_buf_free(&org);
    PQclear(res);
    return TOOL_DONE;
}
