/*
 * tool: the helpers tool.h promises every tool.
 *
 * tool_say/tool_fail format and flatten the sentence to one line (a
 * newline in a result breaks Vapi's parsing). The framework cleans every
 * answer once more before it leaves (valid UTF-8, capped, also stored
 * replays), so a tool cannot get that wrong either.
 */
#include "tool.h"

#include <stdarg.h>

#include "vx_json.h"

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

const char *tool_arg_str(const tool_ctx *ctx, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(ctx->args, name);
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
