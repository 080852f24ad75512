/*
 * fake_vapi_agents: assistants and tools of the vapi_api fake (see
 * fake_vapi_agents.h; the wire API is in tests/fakes/vapi_api.c).
 *
 * Design: two cJSON arrays in creation order hold the objects exactly as
 * answered. A request is validated whole before anything changes, like
 * NestJS's ValidationPipe with whitelisting: an unknown property is a 400
 * "property x should not exist" (nested: "model.property x …"). A PATCH
 * replaces each top-level field it names, whole: a nested object (model,
 * voice, server, function…) is never merged (contracts/vapi.md §4.2).
 */
#include "fake_vapi_agents.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_vapi.h"
#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_time.h"

static struct {
    char org_id[37];
    cJSON *assistants, *tools; /* arrays, creation order */
    int created_assistants, created_tools, patched_assistants, patched_tools, deleted_assistants, deleted_tools;
} A;

/* Tool types this fake knows (POST /tool is discriminated by type): ours,
 * Vapi's built-ins, and its native integrations, so a test can put a native
 * interceptor on an assistant by id. */
static const char *const TOOL_TYPES[] = {"function",
                                         "transferCall",
                                         "endCall",
                                         "dtmf",
                                         "google.calendar.event.create",
                                         "google.calendar.availability.check",
                                         "google.sheets.row.append",
                                         "slack.message.send",
                                         "gohighlevel.calendar.availability.check",
                                         "gohighlevel.calendar.event.create",
                                         "gohighlevel.contact.create",
                                         "gohighlevel.contact.get",
                                         NULL};

/* CreateAssistantDTO's properties (the ones this fake accepts). */
static const char *const ASSISTANT_FIELDS[] = {"name",
                                               "firstMessage",
                                               "firstMessageMode",
                                               "firstMessageInterruptionsEnabled",
                                               "model",
                                               "voice",
                                               "transcriber",
                                               "server",
                                               "serverMessages",
                                               "clientMessages",
                                               "metadata",
                                               "analysisPlan",
                                               "artifactPlan",
                                               "messagePlan",
                                               "startSpeakingPlan",
                                               "stopSpeakingPlan",
                                               "monitorPlan",
                                               "compliancePlan",
                                               "keypadInputPlan",
                                               "voicemailDetection",
                                               "voicemailMessage",
                                               "endCallMessage",
                                               "endCallPhrases",
                                               "maxDurationSeconds",
                                               "silenceTimeoutSeconds",
                                               "backgroundSound",
                                               "backgroundDenoisingEnabled",
                                               "backgroundSpeechDenoisingPlan",
                                               "modelOutputInMessagesEnabled",
                                               "transportConfigurations",
                                               "observabilityPlan",
                                               "credentials",
                                               "credentialIds",
                                               "hooks",
                                               NULL};

/* The values of assistant.serverMessages (CreateAssistantDTO's enum). */
static const char *const SERVER_MESSAGES[] = {"conversation-update",
                                              "end-of-call-report",
                                              "function-call",
                                              "hang",
                                              "language-changed",
                                              "language-change-detected",
                                              "model-output",
                                              "phone-call-control",
                                              "speech-update",
                                              "status-update",
                                              "transcript",
                                              "transcript[transcriptType=\"final\"]",
                                              "tool-calls",
                                              "transfer-destination-request",
                                              "handoff-destination-request",
                                              "transfer-update",
                                              "user-interrupted",
                                              "voice-input",
                                              "assistant.started",
                                              "knowledge-base-request",
                                              "voice-request",
                                              "call.endpointing.request",
                                              "chat.created",
                                              "chat.deleted",
                                              "session.created",
                                              "session.updated",
                                              "session.deleted",
                                              NULL};

static const char *str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool one_of(const char *s, const char *const *list)
{
    for (size_t i = 0; s != NULL && list[i] != NULL; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* "<what> must be one of the following values: a, b, …" into buf. */
static const char *must_be_one_of(const char *what, const char *const *list, char *buf, size_t n)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b, "%s must be one of the following values: ", what);
    for (size_t i = 0; list[i] != NULL; i++)
        vx_buf_printf(&b, "%s%s", i > 0 ? ", " : "", list[i]);
    snprintf(buf, n, "%s", b.data);
    vx_buf_free(&b);
    return buf;
}

static const char *extra(const cJSON *obj, const char *const *allowed, const char *prefix, char *buf, size_t n)
{
    const char *x = fake_vapi_extra_property(obj, allowed);
    if (x == NULL)
        return NULL;
    snprintf(buf, n, "%s%sproperty %s should not exist", prefix, prefix[0] != '\0' ? "." : "", x);
    return buf;
}

static void uuid(char out[37])
{
    uint8_t b[16];
    vx_random_bytes(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    char hex[33];
    vx_hex_encode(b, sizeof(b), hex);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/* A new object with id, orgId, createdAt, updatedAt first, as Vapi answers. */
static cJSON *stamped(const char *id)
{
    char now[32];
    vx_time_format_iso(vx_now_ms(), now);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "orgId", A.org_id);
    cJSON_AddStringToObject(o, "createdAt", now);
    cJSON_AddStringToObject(o, "updatedAt", now);
    return o;
}

static void touch(cJSON *o)
{
    char now[32];
    vx_time_format_iso(vx_now_ms(), now);
    cJSON_ReplaceItemInObjectCaseSensitive(o, "updatedAt", cJSON_CreateString(now));
}

static cJSON *find(cJSON *list, const char *id)
{
    cJSON *o;
    cJSON_ArrayForEach(o, list)
    {
        const char *oid = str(o, "id");
        if (oid != NULL && strcmp(oid, id) == 0)
            return o;
    }
    return NULL;
}

/* Copies (or, on a PATCH, replaces) every member of in into o. */
static void put_fields(cJSON *o, const cJSON *in)
{
    for (const cJSON *m = in->child; m != NULL; m = m->next) {
        cJSON *copy = cJSON_Duplicate(m, true);
        if (cJSON_GetObjectItemCaseSensitive(o, m->string) != NULL)
            cJSON_ReplaceItemInObjectCaseSensitive(o, m->string, copy);
        else
            cJSON_AddItemToObject(o, m->string, copy);
    }
}

const char *fake_vapi_invalid_server(const cJSON *server, const char *prefix, char *buf, size_t n)
{
    static const char *const allowed[] = {"url", "credentialId", "headers", "timeoutSeconds", "backoffPlan", NULL};
    if (!cJSON_IsObject(server)) {
        snprintf(buf, n, "nested property %s must be either object or array", prefix);
        return buf;
    }
    const char *why = extra(server, allowed, prefix, buf, n);
    if (why != NULL)
        return why;
    const char *url = str(server, "url");
    if (url == NULL || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) || strlen(url) < 10) {
        snprintf(buf, n, "%s.url must be a URL address", prefix);
        return buf;
    }
    const cJSON *cred = cJSON_GetObjectItemCaseSensitive(server, "credentialId");
    if (cred != NULL && !cJSON_IsString(cred)) {
        snprintf(buf, n, "%s.credentialId must be a string", prefix);
        return buf;
    }
    const cJSON *headers = cJSON_GetObjectItemCaseSensitive(server, "headers");
    if (headers != NULL && !cJSON_IsObject(headers)) {
        snprintf(buf, n, "%s.headers must be an object", prefix);
        return buf;
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(server, "timeoutSeconds");
    if (t != NULL && (!cJSON_IsNumber(t) || t->valuedouble < 1 || t->valuedouble > 300)) {
        snprintf(buf, n, "%s.timeoutSeconds must not be greater than 300", prefix);
        return buf;
    }
    return NULL;
}

/* Each item of the array at key (when present) passes check; NULL when so. */
static const char *strings_array(const cJSON *obj, const char *key, const char *const *allowed_values, char *buf, size_t n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key), *v;
    if (a == NULL)
        return NULL;
    if (!cJSON_IsArray(a)) {
        snprintf(buf, n, "%s must be an array", key);
        return buf;
    }
    cJSON_ArrayForEach(v, a)
    {
        if (!cJSON_IsString(v)) {
            snprintf(buf, n, "each value in %s must be a string", key);
            return buf;
        }
        if (allowed_values != NULL && !one_of(v->valuestring, allowed_values)) {
            char what[64];
            snprintf(what, sizeof(what), "each value in %s", key);
            return must_be_one_of(what, allowed_values, buf, n);
        }
    }
    return NULL;
}

/* A tool's function {name, description?, parameters?, strict?}. */
static const char *invalid_function(const cJSON *f, char *buf, size_t n)
{
    static const char *const allowed[] = {"name", "description", "parameters", "strict", NULL};
    static const char *const params_allowed[] = {"type", "properties", "required", NULL};
    if (!cJSON_IsObject(f))
        return "nested property function must be either object or array";
    const char *why = extra(f, allowed, "function", buf, n);
    if (why != NULL)
        return why;
    const char *name = str(f, "name");
    size_t len = name != NULL ? strlen(name) : 0;
    bool ok = len >= 1 && len <= 64;
    for (size_t i = 0; ok && i < len; i++) {
        char ch = name[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
    }
    if (!ok)
        return "function.name must match /^[a-zA-Z0-9_-]{1,64}$/ regular expression";
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(f, "description");
    if (d != NULL && !cJSON_IsString(d))
        return "function.description must be a string";
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(f, "strict");
    if (s != NULL && !cJSON_IsBool(s))
        return "function.strict must be a boolean value";
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(f, "parameters");
    if (p == NULL)
        return NULL;
    if (!cJSON_IsObject(p))
        return "nested property function.parameters must be either object or array";
    why = extra(p, params_allowed, "function.parameters", buf, n);
    if (why != NULL)
        return why;
    const char *type = str(p, "type");
    if (type == NULL || strcmp(type, "object") != 0)
        return "function.parameters.type must be one of the following values: object";
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(p, "properties");
    if (props != NULL && !cJSON_IsObject(props))
        return "function.parameters.properties must be an object";
    return strings_array(p, "required", NULL, buf, n) != NULL ? "function.parameters.required must be an array of strings" : NULL;
}

/* A tool's messages [{type, content?, …}]. */
static const char *invalid_tool_messages(const cJSON *m)
{
    static const char *const types[] = {"request-start", "request-complete", "request-failed", "request-response-delayed", NULL};
    if (!cJSON_IsArray(m))
        return "messages must be an array";
    const cJSON *one;
    cJSON_ArrayForEach(one, m)
    {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(one, "content");
        if (!cJSON_IsObject(one) || !one_of(str(one, "type"), types))
            return "messages.type must be one of the following values: request-start, request-complete, request-failed, "
                   "request-response-delayed";
        if (content != NULL && !cJSON_IsString(content))
            return "messages.content must be a string";
    }
    return NULL;
}

/* A transferCall tool's destinations [{type:"number"|"sip"|"assistant", …}]. */
static const char *invalid_destinations(const cJSON *d)
{
    if (!cJSON_IsArray(d))
        return "destinations must be an array";
    const cJSON *one;
    cJSON_ArrayForEach(one, d)
    {
        const char *type = str(one, "type");
        if (type == NULL || (strcmp(type, "number") != 0 && strcmp(type, "sip") != 0 && strcmp(type, "assistant") != 0))
            return "destinations.type must be one of the following values: number, sip, assistant";
        if (strcmp(type, "number") == 0 && str(one, "number") == NULL)
            return "destinations.number must be a string";
        if (strcmp(type, "sip") == 0 && str(one, "sipUri") == NULL)
            return "destinations.sipUri must be a string";
    }
    return NULL;
}

/* A tool body for POST (create: type required) or PATCH of a tool of type
 * (no type allowed); NULL when valid. */
static const char *invalid_tool(const cJSON *in, const char *type, bool create, char *buf, size_t n)
{
    static const char *const function_fields[] = {
        "type", "async", "messages", "function", "server", "parameters", "variableExtractionPlan", "rejectionPlan", NULL};
    static const char *const transfer_fields[] = {"type", "messages", "destinations", "function", "server", "rejectionPlan", NULL};
    static const char *const other_fields[] = {"type", "messages", "function", "server", "rejectionPlan", "metadata", NULL};
    if (!create && cJSON_GetObjectItemCaseSensitive(in, "type") != NULL)
        return "property type should not exist";
    if (create && !one_of(type, TOOL_TYPES))
        return must_be_one_of("type", TOOL_TYPES, buf, n);
    bool function = strcmp(type, "function") == 0, transfer = strcmp(type, "transferCall") == 0;
    const char *why = extra(in, function ? function_fields : transfer ? transfer_fields : other_fields, "", buf, n);
    if (why != NULL)
        return why;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(in, "function");
    if (create && function && f == NULL)
        return "function must be an object";
    if (f != NULL && (why = invalid_function(f, buf, n)) != NULL)
        return why;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, "server");
    if (v != NULL && (why = fake_vapi_invalid_server(v, "server", buf, n)) != NULL)
        return why;
    if ((v = cJSON_GetObjectItemCaseSensitive(in, "messages")) != NULL && (why = invalid_tool_messages(v)) != NULL)
        return why;
    if ((v = cJSON_GetObjectItemCaseSensitive(in, "destinations")) != NULL && (why = invalid_destinations(v)) != NULL)
        return why;
    if ((v = cJSON_GetObjectItemCaseSensitive(in, "async")) != NULL && !cJSON_IsBool(v))
        return "async must be a boolean value";
    if ((v = cJSON_GetObjectItemCaseSensitive(in, "parameters")) != NULL && !cJSON_IsArray(v) && !cJSON_IsObject(v))
        return "parameters must be an array";
    return NULL;
}

/* An assistant's model {provider, model, messages?, toolIds?, tools?, temperature?, …}. */
static const char *invalid_model(const cJSON *m, char *buf, size_t n)
{
    static const char *const allowed[] = {
        "provider",      "model",           "messages",     "tools",        "toolIds",
        "knowledgeBase", "knowledgeBaseId", "temperature",  "maxTokens",    "emotionRecognitionEnabled",
        "numFastTurns",  "fallbackModels",  "toolStrategy", "systemPrompt", NULL};
    static const char *const roles[] = {"system", "user", "assistant", "tool", "function", NULL};
    if (!cJSON_IsObject(m))
        return "nested property model must be either object or array";
    const char *why = extra(m, allowed, "model", buf, n);
    if (why != NULL)
        return why;
    if (str(m, "provider") == NULL || str(m, "provider")[0] == '\0')
        return "model.provider should not be empty";
    if (str(m, "model") == NULL || str(m, "model")[0] == '\0')
        return "model.model must be a string";
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "messages"), *one;
    if (v != NULL && !cJSON_IsArray(v))
        return "model.messages must be an array";
    cJSON_ArrayForEach(one, v)
    {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(one, "content");
        if (!cJSON_IsObject(one) || !one_of(str(one, "role"), roles))
            return "model.messages.role must be one of the following values: system, user, assistant, tool, function";
        if (content != NULL && !cJSON_IsString(content))
            return "model.messages.content must be a string";
    }
    if ((why = strings_array(m, "toolIds", NULL, buf, n)) != NULL) {
        snprintf(buf, n, "model.toolIds must be an array of strings");
        return buf;
    }
    /* Vapi links tools by id: an id that names no tool is refused (this fake's choice and message). */
    cJSON_ArrayForEach(one, cJSON_GetObjectItemCaseSensitive(m, "toolIds"))
    {
        if (find(A.tools, one->valuestring) == NULL) {
            snprintf(buf, n, "model.toolIds: no tool with id %.100s", one->valuestring);
            return buf;
        }
    }
    v = cJSON_GetObjectItemCaseSensitive(m, "tools");
    if (v != NULL && !cJSON_IsArray(v))
        return "model.tools must be an array";
    cJSON_ArrayForEach(one, v)
    {
        if (!cJSON_IsObject(one) || str(one, "type") == NULL)
            return "model.tools.type must be a string";
    }
    v = cJSON_GetObjectItemCaseSensitive(m, "temperature");
    if (v != NULL && (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 2))
        return "model.temperature must not be greater than 2";
    v = cJSON_GetObjectItemCaseSensitive(m, "maxTokens");
    if (v != NULL && (!cJSON_IsNumber(v) || v->valuedouble < 50 || v->valuedouble > 10000))
        return "model.maxTokens must not be greater than 10000";
    return NULL;
}

/* A voice or transcriber: an object with a provider. */
static const char *invalid_provider_object(const cJSON *o, const char *what, char *buf, size_t n)
{
    if (!cJSON_IsObject(o)) {
        snprintf(buf, n, "nested property %s must be either object or array", what);
        return buf;
    }
    if (str(o, "provider") == NULL || str(o, "provider")[0] == '\0') {
        snprintf(buf, n, "%s.provider should not be empty", what);
        return buf;
    }
    return NULL;
}

/* An assistant body (POST or PATCH: no field is required); NULL when valid. */
static const char *invalid_assistant(const cJSON *in, char *buf, size_t n)
{
    static const char *const strings[] = {"name", "firstMessage", "voicemailMessage", "endCallMessage", "backgroundSound", NULL};
    static const char *const objects[] = {"metadata",
                                          "analysisPlan",
                                          "artifactPlan",
                                          "messagePlan",
                                          "startSpeakingPlan",
                                          "stopSpeakingPlan",
                                          "monitorPlan",
                                          "compliancePlan",
                                          "keypadInputPlan",
                                          "voicemailDetection",
                                          "backgroundSpeechDenoisingPlan",
                                          "observabilityPlan",
                                          NULL};
    static const char *const bools[] = {"firstMessageInterruptionsEnabled", "backgroundDenoisingEnabled",
                                        "modelOutputInMessagesEnabled", NULL};
    static const char *const modes[] = {"assistant-speaks-first", "assistant-speaks-first-with-model-generated-message",
                                        "assistant-waits-for-user", NULL};
    const char *why = extra(in, ASSISTANT_FIELDS, "", buf, n);
    if (why != NULL)
        return why;
    for (size_t i = 0; strings[i] != NULL; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, strings[i]);
        if (v != NULL && !cJSON_IsString(v)) {
            snprintf(buf, n, "%s must be a string", strings[i]);
            return buf;
        }
    }
    for (size_t i = 0; objects[i] != NULL; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, objects[i]);
        if (v != NULL && !cJSON_IsObject(v)) {
            snprintf(buf, n, "nested property %s must be either object or array", objects[i]);
            return buf;
        }
    }
    for (size_t i = 0; bools[i] != NULL; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, bools[i]);
        if (v != NULL && !cJSON_IsBool(v)) {
            snprintf(buf, n, "%s must be a boolean value", bools[i]);
            return buf;
        }
    }
    const char *name = str(in, "name");
    if (name != NULL && strlen(name) > 40) /* bytes: the fake's names are ASCII */
        return "name must be shorter than or equal to 40 characters";
    if (str(in, "firstMessageMode") != NULL && !one_of(str(in, "firstMessageMode"), modes))
        return must_be_one_of("firstMessageMode", modes, buf, n);
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(in, "model")) != NULL && (why = invalid_model(v, buf, n)) != NULL)
        return why;
    if ((v = cJSON_GetObjectItemCaseSensitive(in, "voice")) != NULL && (why = invalid_provider_object(v, "voice", buf, n)) != NULL)
        return why;
    if ((v = cJSON_GetObjectItemCaseSensitive(in, "transcriber")) != NULL &&
        (why = invalid_provider_object(v, "transcriber", buf, n)) != NULL)
        return why;
    if ((v = cJSON_GetObjectItemCaseSensitive(in, "server")) != NULL &&
        (why = fake_vapi_invalid_server(v, "server", buf, n)) != NULL)
        return why;
    if ((why = strings_array(in, "serverMessages", SERVER_MESSAGES, buf, n)) != NULL ||
        (why = strings_array(in, "clientMessages", NULL, buf, n)) != NULL ||
        (why = strings_array(in, "endCallPhrases", NULL, buf, n)) != NULL ||
        (why = strings_array(in, "credentialIds", NULL, buf, n)) != NULL)
        return why;
    static const char *const arrays[] = {"hooks", "transportConfigurations", "credentials", NULL};
    for (size_t i = 0; arrays[i] != NULL; i++) {
        v = cJSON_GetObjectItemCaseSensitive(in, arrays[i]);
        if (v != NULL && !cJSON_IsArray(v)) {
            snprintf(buf, n, "%s must be an array", arrays[i]);
            return buf;
        }
    }
    v = cJSON_GetObjectItemCaseSensitive(in, "maxDurationSeconds");
    if (v != NULL && (!cJSON_IsNumber(v) || v->valuedouble < 10 || v->valuedouble > 43200))
        return "maxDurationSeconds must not be greater than 43200";
    v = cJSON_GetObjectItemCaseSensitive(in, "silenceTimeoutSeconds");
    if (v != NULL && (!cJSON_IsNumber(v) || v->valuedouble < 10 || v->valuedouble > 3600))
        return "silenceTimeoutSeconds must not be greater than 3600";
    return NULL;
}

/* GET /assistant, GET /tool: ?limit (0..1000, default 100), newest first. */
static void list(const cJSON *items, const char *query, fake_response *r)
{
    long limit = 100;
    char message[300];
    for (const char *p = query; *p != '\0';) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t name_len = eq != NULL ? (size_t)(eq - p) : len;
        char name[64], value[32];
        snprintf(name, sizeof(name), "%.*s", (int)(name_len < 63 ? name_len : 63), p);
        snprintf(value, sizeof(value), "%.*s", eq != NULL ? (int)(len - name_len - 1 < 31 ? len - name_len - 1 : 31) : 0,
                 eq != NULL ? eq + 1 : "");
        p += len + (p[len] == '&');
        if (name[0] == '\0')
            continue;
        if (strcmp(name, "limit") != 0) {
            snprintf(message, sizeof(message), "property %s should not exist", name);
            fake_vapi_error(r, 400, message, true);
            return;
        }
        char *end;
        limit = strtol(value, &end, 10);
        if (value[0] == '\0' || *end != '\0' || limit < 0 || limit > 1000) {
            fake_vapi_error(r, 400, limit > 1000 ? "limit must not be greater than 1000" : "limit must be a number", true);
            return;
        }
    }
    cJSON *out = cJSON_CreateArray();
    long kept = 0;
    for (const cJSON *o = cJSON_GetArrayItem(items, cJSON_GetArraySize(items) - 1); o != NULL && kept < limit; o = o->prev) {
        cJSON_AddItemToArray(out, cJSON_Duplicate(o, true));
        kept++;
        if (o == items->child)
            break; /* cJSON's first item's prev points at the last one */
    }
    fake_json_body(r, 200, out);
}

/* DELETE /{kind}/{id}: 200 with the object, or 404. */
static void remove_one(cJSON *items, const char *id, const char *what, int *deleted, fake_response *r)
{
    cJSON *o = find(items, id);
    if (o == NULL) {
        char message[64];
        snprintf(message, sizeof(message), "%s not found", what);
        fake_vapi_error(r, 404, message, false);
        return;
    }
    cJSON_DetachItemViaPointer(items, o);
    (*deleted)++;
    fake_json_body(r, 200, o);
}

static void answer_copy(const cJSON *o, int status, fake_response *r)
{
    fake_json_body(r, status, cJSON_Duplicate(o, true));
}

static void create_assistant(const cJSON *in, fake_response *r)
{
    char buf[1200];
    const char *why = invalid_assistant(in, buf, sizeof(buf));
    if (why != NULL) {
        fake_vapi_error(r, 400, why, true);
        return;
    }
    char id[37];
    uuid(id);
    cJSON *o = stamped(id);
    put_fields(o, in);
    cJSON_AddItemToArray(A.assistants, o);
    A.created_assistants++;
    answer_copy(o, 201, r);
}

static void patch_assistant(cJSON *o, const cJSON *in, fake_response *r)
{
    char buf[1200];
    const char *why = invalid_assistant(in, buf, sizeof(buf));
    if (why != NULL) {
        fake_vapi_error(r, 400, why, true);
        return;
    }
    put_fields(o, in); /* each field given replaces the old one whole: model included */
    touch(o);
    A.patched_assistants++;
    answer_copy(o, 200, r);
}

static void create_tool(const cJSON *in, fake_response *r)
{
    char buf[1200];
    const char *type = str(in, "type");
    const char *why = invalid_tool(in, type != NULL ? type : "", true, buf, sizeof(buf));
    if (why != NULL) {
        fake_vapi_error(r, 400, why, true);
        return;
    }
    char id[37];
    uuid(id);
    cJSON *o = stamped(id);
    put_fields(o, in);
    cJSON_AddItemToArray(A.tools, o);
    A.created_tools++;
    answer_copy(o, 201, r);
}

static void patch_tool(cJSON *o, const cJSON *in, fake_response *r)
{
    char buf[1200];
    const char *why = invalid_tool(in, str(o, "type") != NULL ? str(o, "type") : "", false, buf, sizeof(buf));
    if (why != NULL) {
        fake_vapi_error(r, 400, why, true);
        return;
    }
    put_fields(o, in);
    touch(o);
    A.patched_tools++;
    answer_copy(o, 200, r);
}

bool fake_vapi_agents_route(const fake_request *q, const char *path, fake_response *r)
{
    bool assistant = strncmp(path, "/assistant", 10) == 0 && (path[10] == '\0' || path[10] == '/');
    bool tool = strncmp(path, "/tool", 5) == 0 && (path[5] == '\0' || path[5] == '/');
    if (!assistant && !tool)
        return false;
    const char *rest = path + (assistant ? 10 : 5);
    const char *id = rest[0] == '/' ? rest + 1 : NULL;
    cJSON *items = assistant ? A.assistants : A.tools;
    const char *what = assistant ? "Assistant" : "Tool";
    const char *m = q->method;
    if (id != NULL && (id[0] == '\0' || strchr(id, '/') != NULL)) {
        char message[2100];
        snprintf(message, sizeof(message), "Cannot %s %s", m, path);
        fake_vapi_error(r, 404, message, false);
        return true;
    }
    if (id == NULL && strcmp(m, "GET") == 0) {
        list(items, q->query, r);
        return true;
    }
    if (id != NULL && strcmp(m, "DELETE") == 0) {
        remove_one(items, id, what, assistant ? &A.deleted_assistants : &A.deleted_tools, r);
        return true;
    }
    cJSON *o = id != NULL ? find(items, id) : NULL;
    if (id != NULL && (strcmp(m, "GET") == 0 || strcmp(m, "PATCH") == 0) && o == NULL) {
        char message[64];
        snprintf(message, sizeof(message), "%s not found", what);
        fake_vapi_error(r, 404, message, false);
        return true;
    }
    if (id != NULL && strcmp(m, "GET") == 0) {
        answer_copy(o, 200, r);
        return true;
    }
    bool create = id == NULL && strcmp(m, "POST") == 0, patch = id != NULL && strcmp(m, "PATCH") == 0;
    if (!create && !patch) {
        char message[2100];
        snprintf(message, sizeof(message), "Cannot %s %s", m, path);
        fake_vapi_error(r, 404, message, false);
        return true;
    }
    /* NestJS parses JSON only with a JSON Content-Type; anything else is an empty body. */
    bool json = strncmp(q->content_type, "application/json", 16) == 0;
    cJSON *in = json ? cJSON_ParseWithLength(q->body, q->body_len) : cJSON_CreateObject();
    if (!cJSON_IsObject(in))
        fake_vapi_error(r, 400, "Unexpected token in JSON", false);
    else if (assistant && create)
        create_assistant(in, r);
    else if (assistant)
        patch_assistant(o, in, r);
    else if (create)
        create_tool(in, r);
    else
        patch_tool(o, in, r);
    cJSON_Delete(in);
    return true;
}

void fake_vapi_agents_seed_assistant(const cJSON *assistant, fake_response *r)
{
    if (!cJSON_IsObject(assistant)) {
        fake_vapi_error(r, 400, "an assistant must be an object", false);
        return;
    }
    char id[37];
    uuid(id);
    const char *given = str(assistant, "id");
    cJSON *o = stamped(given != NULL ? given : id);
    cJSON *rest = cJSON_Duplicate(assistant, true);
    cJSON_DeleteItemFromObjectCaseSensitive(rest, "id");
    put_fields(o, rest);
    cJSON_Delete(rest);
    if (given != NULL) {
        cJSON *old = find(A.assistants, given);
        if (old != NULL)
            cJSON_Delete(cJSON_DetachItemViaPointer(A.assistants, old));
    }
    cJSON_AddItemToArray(A.assistants, o);
    answer_copy(o, 201, r);
}

static void count(cJSON *state, const char *key, const char *what, int n)
{
    cJSON *o = cJSON_GetObjectItemCaseSensitive(state, key);
    if (o == NULL)
        o = cJSON_AddObjectToObject(state, key);
    cJSON_AddNumberToObject(o, what, n);
}

void fake_vapi_agents_state(cJSON *state)
{
    cJSON_AddItemToObject(state, "assistants", cJSON_Duplicate(A.assistants, true));
    cJSON_AddItemToObject(state, "tools", cJSON_Duplicate(A.tools, true));
    count(state, "created", "assistants", A.created_assistants);
    count(state, "created", "tools", A.created_tools);
    count(state, "patched", "assistants", A.patched_assistants);
    count(state, "patched", "tools", A.patched_tools);
    count(state, "deleted", "assistants", A.deleted_assistants);
    count(state, "deleted", "tools", A.deleted_tools);
}

void fake_vapi_agents_init(const char *org_id)
{
    snprintf(A.org_id, sizeof(A.org_id), "%s", org_id);
    A.assistants = cJSON_CreateArray();
    A.tools = cJSON_CreateArray();
}

void fake_vapi_agents_free(void)
{
    cJSON_Delete(A.assistants);
    cJSON_Delete(A.tools);
    A.assistants = A.tools = NULL;
}

void fake_vapi_agents_reset(void)
{
    fake_vapi_agents_free();
    char org[37];
    snprintf(org, sizeof(org), "%s", A.org_id);
    memset(&A, 0, sizeof(A));
    fake_vapi_agents_init(org);
}
