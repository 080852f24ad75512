/*
 * answer: what goes back to Vapi — the JSON shapes of contracts/vapi.md §2
 * for tool results, and the one cleaning every spoken string gets.
 *
 * Every answer is HTTP 200 application/json (Vapi ignores other statuses'
 * bodies, so an error is a sentence, never a 5xx). Shapes, combinable:
 *   ANSWER_RESULTS      {"results":[{"name","toolCallId","result"|"error", …extra}]}
 *                       (current tool-calls; one entry per call, in order)
 *   ANSWER_TOOL_RESULT  {"toolResult":{"type":"text","content":"…"}, …extra}
 *                       (legacy per-tool routes; only with exactly one call)
 *   ANSWER_RESULT       {"result":"…", …extra} (legacy function-call; one call)
 * "extra" are a tool's additional fields (tool_result.extra); they never
 * replace the fields above.
 */
#ifndef TOOL_ROUTER_ANSWER_H
#define TOOL_ROUTER_ANSWER_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "tool.h"
#include "vapi_message.h"

enum {
    ANSWER_RESULTS = 1u << 0,
    ANSWER_TOOL_RESULT = 1u << 1,
    ANSWER_RESULT = 1u << 2,
};

/* Writes s into out (replacing its content) as one clean line: control
 * characters (newlines, tabs, …) become spaces, runs of spaces collapse, the
 * ends are trimmed, bytes that are not valid UTF-8 become '?', and the result
 * is cut to at most max bytes on a character boundary. NULL s gives "". */
void answer_clean(vx_buf *out, const char *s, size_t max);

/* The JSON answer for calls[i] → results[i] (i < n) in the given shapes.
 * Texts must already be clean. Returns a malloc'd string (cJSON_free). */
char *answer_tool_calls(unsigned shapes, const vapi_call *calls, const tool_result *results, size_t n);

/* A clean copy of s (see answer_clean), malloc'd and owned by the caller;
 * NULL when s is NULL or nothing is left of it. */
char *answer_clean_dup(const char *s, size_t max);

/* Adds a clean copy of s (see answer_clean) as obj[key]. */
void answer_add_clean(cJSON *obj, const char *key, const char *s, size_t max);

#endif
