/*
 * tool: the helpers tool.h promises every tool, and the framework's run of
 * one call.
 *
 * tool_say/tool_fail format and flatten the sentence to one line (a
 * newline in a result breaks Vapi's parsing). The framework cleans every
 * answer once more before it leaves (valid UTF-8, capped, also stored
 * replays), so a tool cannot get that wrong either.
 *
 * tool_run has one failure path (goto failed): whatever went wrong — the
 * BEGIN, the ledger, the tool's TOOL_RETRY, storing the answer, the COMMIT —
 * is logged once, rolled back, and becomes the apology; the tool's
 * after-commit work is then released without running.
 */
#include "tool.h"

#include <stdarg.h>

#include "answer.h"
#include "ledger.h"
#include "settings.h"
#include "tool_table.h"
#include "vx_json.h"
#include "vx_log.h"

static void vsay(tool_result *out, bool is_error, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

static void vsay(tool_result *out, bool is_error, const char *fmt, va_list ap)
{
    vx_buf_reset(&out->text);
    vx_buf_vprintf(&out->text, fmt, ap);
    for (size_t i = 0; i < out->text.len; i++)
        if (out->text.data[i] == '\n' || out->text.data[i] == '\r' || out->text.data[i] == '\t')
            out->text.data[i] = ' ';
    out->is_error = is_error;
}

void tool_say(tool_result *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(out, false, fmt, ap);
    va_end(ap);
}

void tool_fail(tool_result *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(out, true, fmt, ap);
    va_end(ap);
}

static tool_arg_observer observer; /* tests only; set while no call runs */

void tool_arg_observe(tool_arg_observer fn)
{
    observer = fn;
}

const cJSON *tool_arg(const tool_ctx *ctx, const char *name)
{
    if (observer != NULL)
        observer(ctx->tool_name, name);
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(ctx->args, name);
    return cJSON_IsNull(item) ? NULL : item;
}

const char *tool_arg_str(const tool_ctx *ctx, const char *name)
{
    const cJSON *item = tool_arg(ctx, name);
    if (!cJSON_IsString(item) || item->valuestring[0] == '\0')
        return NULL;
    return item->valuestring;
}

void tool_result_finish(const tool_ctx *ctx, tool_result *r, bool committed)
{
    if (committed && r->after_commit != NULL)
        r->after_commit(ctx, r->after_commit_data, r);
    if (r->free_after_commit != NULL)
        r->free_after_commit(r->after_commit_data);
    r->after_commit = NULL;
    r->after_commit_data = NULL;
    r->free_after_commit = NULL;
}

void tool_result_apologize(tool_result *r, const settings *s)
{
    cJSON_Delete(r->extra);
    r->extra = NULL;
    tool_fail(r, "%s", s->say_apology);
}

void tool_result_clean(tool_result *r, size_t max)
{
    vx_buf clean = VX_BUF_INIT;
    answer_clean(&clean, r->text.data, max);
    if (clean.len == 0)
        vx_buf_puts(&clean, "Done.");
    vx_buf_free(&r->text);
    r->text = clean;
}

/* Runs t inside the org's scope (a transaction when it writes), with the ledger when it applies. */
static void run_in_scope(const tool_table_entry *t, const tool_ctx *ctx, tool_result *r)
{
    vx_pg *pg = ctx->pg;
    bool ledger = t->side_effects && ctx->tool_call_id[0] != '\0';
    /* A tool that writes nothing needs no BEGIN … COMMIT: each of its reads
     * travels with its claims in one round trip (see vx_pg_begin_org_reads). */
    int begun = t->side_effects ? vx_pg_begin_org(pg, ctx->org_id) : vx_pg_begin_org_reads(pg, ctx->org_id);
    if (begun != 0)
        goto failed;
    if (ledger) {
        ledger_claim_result c = ledger_claim(pg, ctx->org_id, ctx->tool_call_id, t->name, ctx->vapi_call_id, r);
        if (c == LEDGER_ERROR)
            goto failed;
        if (c == LEDGER_REPLAY) {
            vx_pg_rollback(pg); /* nothing was written */
            vx_log_info(ctx->request_id, ctx->org_id, "repeated tool call answered from the ledger", "tool", t->name,
                        "tool_call_id", ctx->tool_call_id);
            return;
        }
    }
    if (t->run(ctx, r) != TOOL_DONE)
        goto failed;
    /* What is stored is exactly what is said, now and on every replay. */
    tool_result_clean(r, ctx->settings->max_result_chars);
    if (ledger && ledger_store(pg, ctx->org_id, ctx->tool_call_id, r) != 0)
        goto failed;
    if (vx_pg_commit(pg) != 0)
        goto failed;
    tool_result_finish(ctx, r, true);
    return;
failed:
    vx_log_error(ctx->request_id, ctx->org_id, "tool call rolled back", "tool", t->name, "tool_call_id", ctx->tool_call_id, "error",
                 vx_pg_error(pg));
    vx_pg_rollback(pg);
    tool_result_finish(ctx, r, false);
    tool_result_apologize(r, ctx->settings);
}

void tool_run(const tool_table_entry *t, const tool_ctx *ctx, tool_result *r)
{
    if (t->needs_db) {
        run_in_scope(t, ctx, r);
        return;
    }
    bool done = t->run(ctx, r) == TOOL_DONE;
    tool_result_finish(ctx, r, done);
    if (!done)
        tool_result_apologize(r, ctx->settings);
}

void tool_answer_read(const tool_table_entry *t, const tool_ctx *ctx, const PGresult *rows, tool_result *r)
{
    if (rows == NULL || t->answer(ctx, rows, r) != TOOL_DONE) {
        vx_log_error(ctx->request_id, ctx->org_id, "tool read failed", "tool", t->name, "tool_call_id", ctx->tool_call_id, "error",
                     rows == NULL ? vx_pg_error(ctx->pg) : "unexpected rows");
        tool_result_apologize(r, ctx->settings);
    }
    tool_result_clean(r, ctx->settings->max_result_chars);
}
