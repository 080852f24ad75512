/*
 * transfer_call: the transferCall tool (contract in tools.h).
 *
 * Design: the destination and the note on the call are transfer/destination's
 * (shared with transfer-destination-request); this file adds the spoken
 * answer and the transfer itself. Vapi does not act on a destination in a
 * custom function's result, so when the message carries the call's
 * monitor.controlUrl the tool asks Vapi's Live Call Control to move the live
 * call (clients/vapi_control.h) — as after-commit work (tool_result), so no
 * outside call holds the transaction open and a rolled-back transfer never
 * happens. If Vapi refuses or does not answer, the caller hears the callback
 * sentence instead and the request is noted on the call in a transaction of
 * its own. A control URL that is not Vapi's (nor trusted) is not called.
 */
#include "tools/tools.h"

#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "clients/vapi_control.h"
#include "settings.h"
#include "transfer/destination.h"
#include "vx_log.h"

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
    if (vx_pg_begin_org(ctx->pg, ctx->org_id) != 0 || destination_record(ctx, NULL, lt->reason, lt->department) != 0 ||
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
                    ctx->vapi_call_id);
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

tool_status transfer_call_run(const tool_ctx *ctx, tool_result *out)
{
    char *summary = answer_clean_dup(tool_arg_str(ctx, VX_TOOL_ARG_SUMMARY), DESTINATION_MAX_REASON);
    char *department = answer_clean_dup(tool_arg_str(ctx, VX_TOOL_ARG_DEPARTMENT), DESTINATION_MAX_DEPARTMENT);
    destination d;
    tool_status st = TOOL_DONE;
    if (destination_find(ctx, department, &d) != 0) {
        st = TOOL_RETRY;
    } else if (!d.found) {
        if (destination_record(ctx, NULL, summary, department) != 0)
            st = TOOL_RETRY;
        else
            tool_say(out, "%s", ctx->settings->say_no_transfer);
    } else if (destination_record(ctx, d.address, summary, department) != 0) {
        st = TOOL_RETRY;
    } else {
        vx_buf sentence = VX_BUF_INIT;
        destination_sentence(&d, &sentence);
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
