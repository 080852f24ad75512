/*
 * answer: cleaning and Vapi answer shapes (see answer.h).
 *
 * Answers are built as cJSON trees and printed once; cJSON escapes what JSON
 * requires, and answer_clean has already made every spoken string one valid
 * UTF-8 line, as Vapi's tool docs demand ("a newline causes parsing errors").
 */
#include "answer.h"

#include <string.h>

#include "vx_utf8.h"

void answer_clean(vx_buf *out, const char *s, size_t max)
{
    vx_buf_reset(out);
    vx_buf_puts(out, ""); /* never NULL data */
    if (s == NULL)
        return;
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    bool space = false;
    for (size_t i = 0; i < n;) {
        size_t len = vx_utf8_seq_len(p + i, n - i);
        if (len == 1 && (p[i] < 0x20 || p[i] == 0x7f || p[i] == ' ')) {
            space = out->len > 0;
            i++;
            continue;
        }
        size_t need = (len == 0 ? 1 : len) + (space ? 1 : 0);
        if (out->len + need > max)
            break;
        if (space)
            vx_buf_putc(out, ' ');
        space = false;
        if (len == 0) {
            vx_buf_putc(out, '?');
            i++;
        } else {
            vx_buf_append(out, p + i, len);
            i += len;
        }
    }
}

char *answer_clean_dup(const char *s, size_t max)
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

void answer_add_clean(cJSON *obj, const char *key, const char *s, size_t max)
{
    vx_buf b = VX_BUF_INIT;
    answer_clean(&b, s, max);
    cJSON_AddStringToObject(obj, key, b.data);
    vx_buf_free(&b);
}

/* Copies extra's fields into obj, except the reserved keys (NULL-terminated). */
static void merge_extra(cJSON *obj, const cJSON *extra, const char *const *reserved)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, extra)
    {
        if (f->string == NULL || cJSON_GetObjectItemCaseSensitive(obj, f->string) != NULL)
            continue;
        bool skip = false;
        for (size_t i = 0; reserved[i] != NULL && !skip; i++)
            skip = strcmp(f->string, reserved[i]) == 0;
        if (!skip)
            cJSON_AddItemToObject(obj, f->string, cJSON_Duplicate(f, 1));
    }
}

static const char *text_of(const tool_result *r)
{
    return r->text.data != NULL ? r->text.data : "";
}

char *answer_tool_calls(unsigned shapes, const vapi_call *calls, const tool_result *results, size_t n)
{
    static const char *const entry_keys[] = {"name", "toolCallId", "result", "error", NULL};
    static const char *const top_keys[] = {"results", "toolResult", "result", "error", NULL};
    cJSON *answer = cJSON_CreateObject();
    if (shapes & ANSWER_RESULTS) {
        cJSON *list = cJSON_AddArrayToObject(answer, "results");
        for (size_t i = 0; i < n; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "name", calls[i].name);
            cJSON_AddStringToObject(e, "toolCallId", calls[i].id);
            cJSON_AddStringToObject(e, results[i].is_error ? "error" : "result", text_of(&results[i]));
            merge_extra(e, results[i].extra, entry_keys);
            cJSON_AddItemToArray(list, e);
        }
    }
    if (n == 1 && (shapes & (ANSWER_TOOL_RESULT | ANSWER_RESULT))) {
        if (shapes & ANSWER_TOOL_RESULT) {
            cJSON *tr = cJSON_AddObjectToObject(answer, "toolResult");
            cJSON_AddStringToObject(tr, "type", "text");
            cJSON_AddStringToObject(tr, "content", text_of(&results[0]));
        }
        if (shapes & ANSWER_RESULT)
            cJSON_AddStringToObject(answer, "result", text_of(&results[0]));
        merge_extra(answer, results[0].extra, top_keys);
    }
    char *out = cJSON_PrintUnformatted(answer);
    cJSON_Delete(answer);
    return out;
}
