/*
 * vapi_message: the lenient parser of vapi_message.h.
 *
 * Design: the body is parsed once with cJSON; everything the router needs is
 * a pointer into that tree, so nothing is copied but the arguments that came
 * as a JSON string (parsed a second time and kept in m->owned, a cJSON array
 * whose deletion frees them all together with the shared empty object).
 *
 * Argument size: a body no larger than VAPI_MAX_ARGS_BYTES cannot hold larger
 * arguments, so objects are only measured (a walk that stops as soon as the
 * bound is passed) when the body itself is larger. String arguments are
 * checked by their length before they are parsed.
 *
 * The conversation (transfer-destination-request): a list may hold the whole
 * call, so only its latest entries are looked at — found with one walk along
 * cJSON's links (no indexed access, which would walk again per entry), the
 * only cost that grows with the list, and no more than parsing the body was.
 */
#include "vapi_message.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "vx_json.h"
#include "vx_tool_catalog.h"
#include "vx_vapi.h"

bool vapi_message_name_valid(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= VAPI_MAX_NAME || !(isalnum(c) || c == '_' || c == '-'))
            return false;
    }
    return n > 0;
}

/* 1..max printable ASCII characters (Vapi ids are UUIDs or "call_…"). */
static bool printable_id(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        if (n >= max || (unsigned char)s[n] < 0x21 || (unsigned char)s[n] > 0x7e)
            return false;
    return n > 0;
}

static const char *id_at(const cJSON *root, const char *p1, const char *p2)
{
    const char *s = vx_json_str_first(root, p1, p2, (const char *)NULL);
    return s != NULL && printable_id(s, VAPI_MAX_ID) ? s : NULL;
}

static const char *e164_at(const cJSON *root, const char *p1, const char *p2)
{
    const char *s = vx_json_str_first(root, p1, p2, (const char *)NULL);
    return s != NULL && vx_is_e164(s) ? s : NULL;
}

/* An http(s) URL of printable ASCII (no spaces), at most VAPI_MAX_URL bytes, or NULL. */
static const char *url_at(const cJSON *root, const char *path)
{
    const char *s = vx_json_str_first(root, path, (const char *)NULL);
    if (s == NULL || (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) || !printable_id(s, VAPI_MAX_URL))
        return NULL;
    return s;
}

/* Subtracts an estimate of item's JSON size from *budget; false once it is spent. */
static bool fits(const cJSON *item, long *budget)
{
    *budget -= 8 + (item->string != NULL ? (long)strlen(item->string) : 0);
    if (cJSON_IsString(item))
        *budget -= (long)strlen(item->valuestring);
    for (const cJSON *c = item->child; c != NULL && *budget >= 0; c = c->next)
        if (!fits(c, budget))
            return false;
    return *budget >= 0;
}

/* The shared empty arguments object: the first item of m->owned. */
static const cJSON *empty_object(const vapi_message *m)
{
    return m->owned->child;
}

/* Keeps the first problem found. */
static void set_problem(vapi_call *c, vapi_call_problem p)
{
    if (c->problem == VAPI_CALL_OK)
        c->problem = p;
}

/* Sets c->args from the first present one of the candidates. */
static void take_args(vapi_message *m, vapi_call *c, const cJSON *const *candidates, size_t n, size_t body_len)
{
    const cJSON *a = NULL;
    for (size_t i = 0; i < n && a == NULL; i++)
        a = candidates[i];
    c->args = empty_object(m);
    c->args_given = false;
    if (a == NULL || (cJSON_IsString(a) && a->valuestring[strspn(a->valuestring, " \t\r\n")] == '\0'))
        return;
    c->args_given = true;
    if (cJSON_IsObject(a)) {
        long budget = VAPI_MAX_ARGS_BYTES;
        if (body_len > VAPI_MAX_ARGS_BYTES && !fits(a, &budget))
            set_problem(c, VAPI_CALL_BAD_ARGS);
        else
            c->args = a;
        return;
    }
    if (!cJSON_IsString(a) || strlen(a->valuestring) > VAPI_MAX_ARGS_BYTES) {
        set_problem(c, VAPI_CALL_BAD_ARGS);
        return;
    }
    cJSON *parsed = cJSON_ParseWithOpts(a->valuestring, NULL, 1);
    if (!cJSON_IsObject(parsed)) {
        cJSON_Delete(parsed);
        set_problem(c, VAPI_CALL_BAD_ARGS);
        return;
    }
    cJSON_AddItemToArray(m->owned, parsed);
    c->args = parsed;
}

/* The call's id as sent, and whether it is usable. */
static void take_id(vapi_call *c, const cJSON *item)
{
    const cJSON *id = vx_json_at(item, "id");
    c->id = "";
    if (id == NULL)
        return;
    if (cJSON_IsString(id) && (id->valuestring[0] == '\0' || printable_id(id->valuestring, VAPI_MAX_ID)))
        c->id = id->valuestring;
    else
        set_problem(c, VAPI_CALL_BAD_ID);
}

static void take_name(vapi_call *c, const char *name, const char *path_tool)
{
    if (name == NULL)
        name = path_tool;
    if (name != NULL && vapi_message_name_valid(name)) {
        c->name = name;
    } else {
        c->name = "";
        set_problem(c, VAPI_CALL_BAD_NAME);
    }
}

/* One entry of a tool call list; wrapper is the toolWithToolCallList item or NULL. */
static void parse_call(vapi_message *m, vapi_call *c, const cJSON *item, const cJSON *wrapper, const char *path_tool,
                       size_t body_len)
{
    memset(c, 0, sizeof(*c));
    take_id(c, item);
    const char *name = vx_json_str_first(item, "function.name", "name", (const char *)NULL);
    if (name == NULL && wrapper != NULL)
        name = vx_json_str_first(wrapper, "function.name", "name", (const char *)NULL);
    const cJSON *candidates[3] = {vx_json_at(item, "function.arguments"), vx_json_at(item, "arguments"),
                                  vx_json_at(item, "parameters")};
    take_args(m, c, candidates, 3, body_len);
    take_name(c, name, path_tool);
}

/* The first of the three lists that is a non-empty array; *wrapped for toolWithToolCallList. */
static const cJSON *call_list(const cJSON *msg, bool *wrapped)
{
    static const char *const keys[] = {"toolCallList", "toolCalls", "toolWithToolCallList"};
    for (size_t i = 0; i < 3; i++) {
        const cJSON *l = vx_json_at(msg, keys[i]);
        if (cJSON_IsArray(l) && cJSON_GetArraySize(l) > 0) {
            *wrapped = i == 2;
            return l;
        }
    }
    return NULL;
}

static void parse_tool_calls(vapi_message *m, const cJSON *list, bool wrapped, const char *path_tool, size_t body_len)
{
    int n = cJSON_GetArraySize(list);
    m->calls = calloc((size_t)(n < VAPI_MAX_ANSWERED ? n : VAPI_MAX_ANSWERED), sizeof(*m->calls));
    if (m->calls == NULL)
        abort();
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        if (m->ncalls == VAPI_MAX_ANSWERED)
            break;
        const cJSON *call = wrapped ? vx_json_at(item, "toolCall") : item;
        if (!cJSON_IsObject(call))
            continue;
        vapi_call *c = &m->calls[m->ncalls];
        parse_call(m, c, call, wrapped ? item : NULL, path_tool, body_len);
        if (m->ncalls >= VAPI_MAX_CALLS)
            c->problem = VAPI_CALL_TOO_MANY; /* wins: such a call is never looked at further */
        m->ncalls++;
    }
}

/* Legacy {"functionCall": {"name"|"functionName", "parameters"}}: one call without an id. */
static void parse_function_call(vapi_message *m, const cJSON *fc, const char *path_tool, size_t body_len)
{
    m->calls = calloc(1, sizeof(*m->calls));
    if (m->calls == NULL)
        abort();
    vapi_call *c = &m->calls[0];
    take_id(c, fc);
    const cJSON *candidates[2] = {vx_json_at(fc, "parameters"), vx_json_at(fc, "arguments")};
    take_args(m, c, candidates, 2, body_len);
    take_name(c, vx_json_str_first(fc, "name", "functionName", (const char *)NULL), path_tool);
    m->ncalls = 1;
}

/* The last user utterance of a knowledge-base-request: one walk forward
 * along the links (an indexed walk from the end would start over from the
 * head for every entry: quadratic in a long hostile list). */
static const char *last_user_text(const cJSON *msg)
{
    static const char *const lists[] = {"messages", "messagesOpenAIFormatted"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *l = vx_json_at(msg, lists[i]);
        const char *last = NULL;
        for (const cJSON *e = cJSON_IsArray(l) ? l->child : NULL; e != NULL; e = e->next) {
            const char *role = vx_json_str(e, "role");
            const char *text = vx_json_str_first(e, "message", "content", (const char *)NULL);
            if (role != NULL && strcmp(role, "user") == 0 && text != NULL)
                last = text;
        }
        if (last != NULL)
            return last;
    }
    return NULL;
}

/* The first of array's items from which at most max remain (NULL: none). */
static const cJSON *last_items(const cJSON *array, int max)
{
    int skip = cJSON_GetArraySize(array) - max;
    const cJSON *item = array->child;
    for (; skip > 0 && item != NULL; skip--)
        item = item->next;
    return item;
}

/* The last transferCall call among the latest entries of one conversation
 * list, whose entries hold their calls under calls_key; NULL when none.
 * Entries and calls of any other shape are passed over. */
static const cJSON *last_transfer_call(const cJSON *history, const char *calls_key)
{
    if (!cJSON_IsArray(history))
        return NULL;
    const cJSON *found = NULL;
    for (const cJSON *e = last_items(history, VAPI_MAX_HISTORY); e != NULL; e = e->next) {
        const cJSON *calls = vx_json_at(e, calls_key);
        if (!cJSON_IsArray(calls))
            continue;
        for (const cJSON *c = last_items(calls, VAPI_MAX_HISTORY_CALLS); c != NULL; c = c->next) {
            const char *name = vx_json_str_first(c, "function.name", "name", (const char *)NULL);
            if (name != NULL && strcmp(name, VX_TOOL_TRANSFER_CALL) == 0)
                found = c;
        }
    }
    return found;
}

/* transfer-destination-request: the arguments of the transferCall call that
 * caused it — the conversation's last one. Its arguments when unusable leave
 * an empty object, not an earlier call's: those asked for another transfer. */
static void take_transfer_args(vapi_message *m, size_t body_len)
{
    static const struct {
        const char *list, *calls_key;
    } histories[] = {
        {"artifact.messages", "toolCalls"},
        {"messages", "toolCalls"},
        {"artifact.messagesOpenAIFormatted", "tool_calls"},
        {"messagesOpenAIFormatted", "tool_calls"},
    };
    const cJSON *call = NULL;
    for (size_t i = 0; i < sizeof(histories) / sizeof(histories[0]) && call == NULL; i++)
        call = last_transfer_call(vx_json_at(m->msg, histories[i].list), histories[i].calls_key);
    if (call == NULL)
        return;
    vapi_call c = {0};
    const cJSON *candidates[2] = {vx_json_at(call, "function.arguments"), vx_json_at(call, "arguments")};
    take_args(m, &c, candidates, 2, body_len);
    m->transfer_args = c.args;
}

/* The message object: root.message, or root itself when it looks like one. */
static const cJSON *find_message(const cJSON *root)
{
    const cJSON *msg = vx_json_at(root, "message");
    if (cJSON_IsObject(msg))
        return msg;
    static const char *const keys[] = {"type", "toolCallList", "toolCalls", "toolWithToolCallList", "functionCall"};
    for (size_t i = 0; cJSON_IsObject(root) && i < sizeof(keys) / sizeof(keys[0]); i++)
        if (vx_json_at(root, keys[i]) != NULL)
            return root;
    return NULL;
}

vapi_parse_status vapi_message_parse(const char *body, size_t len, const char *path_tool, vapi_message *out)
{
    memset(out, 0, sizeof(*out));
    cJSON *root = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
    if (root == NULL)
        return VAPI_PARSE_NOT_JSON;
    const cJSON *msg = find_message(root);
    if (msg == NULL) {
        cJSON_Delete(root);
        return VAPI_PARSE_NO_MESSAGE;
    }
    out->root = root;
    out->msg = msg;
    out->owned = cJSON_CreateArray();
    cJSON_AddItemToArray(out->owned, cJSON_CreateObject());
    out->type = vx_json_str(msg, "type");
    out->kind = vx_vapi_message_kind(out->type);

    bool wrapped = false;
    const cJSON *list = call_list(msg, &wrapped);
    const cJSON *fc = vx_json_at(msg, "functionCall");
    if (!cJSON_IsObject(fc))
        fc = NULL;
    /* Without a type, or on the per-tool route (which only ever invokes a
     * tool), the shape decides; a per-tool body without calls is a tool
     * invocation with no calls, answered with an empty results list. */
    if (out->type == NULL || path_tool != NULL) {
        if (list != NULL)
            out->kind = VX_VAPI_TOOL_CALLS;
        else if (fc != NULL)
            out->kind = VX_VAPI_FUNCTION_CALL;
        else
            out->kind = path_tool != NULL ? VX_VAPI_TOOL_CALLS : VX_VAPI_NOT_CALL_TIME;
    }
    if (out->kind == VX_VAPI_TOOL_CALLS && list != NULL)
        parse_tool_calls(out, list, wrapped, path_tool, len);
    else if (out->kind == VX_VAPI_FUNCTION_CALL && fc != NULL)
        parse_function_call(out, fc, path_tool, len);

    out->call_id = id_at(msg, "call.id", NULL);
    out->assistant_id = id_at(msg, "call.assistantId", "assistant.id");
    out->phone_number_id = id_at(msg, "call.phoneNumberId", "phoneNumber.id");
    out->called_number = e164_at(msg, "phoneNumber.number", "call.phoneNumber.number");
    out->caller_number = e164_at(msg, "call.customer.number", "customer.number");
    out->control_url = url_at(msg, "call.monitor.controlUrl");
    if (!vx_vapi_org_hint(out->msg, out->metadata_org_id))
        out->metadata_org_id[0] = '\0';
    if (out->kind == VX_VAPI_KNOWLEDGE_BASE_REQUEST)
        out->kb_query = last_user_text(msg);
    if (out->kind == VX_VAPI_TRANSFER_DESTINATION_REQUEST)
        take_transfer_args(out, len);
    return VAPI_PARSE_OK;
}

void vapi_message_free(vapi_message *m)
{
    free(m->calls);
    cJSON_Delete(m->owned);
    cJSON_Delete(m->root);
    memset(m, 0, sizeof(*m));
}
