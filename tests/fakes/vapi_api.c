/*
 * vapi_api: a wire-faithful fake of Vapi's REST API for tests
 * (contracts/vapi.md §4, §4.1–§4.6), as a standalone program: the
 * credentials and phone numbers the credential vault creates and deletes,
 * the calls webhook-ingest lists to reconcile lost reports, and the
 * assistants and tools tool-sync creates, links and patches.
 *
 *   VAPI_API_FAKE_PORT   port on 127.0.0.1 (required)
 *   VAPI_API_FAKE_KEY    the one private key accepted as "Authorization: Bearer …" (required)
 *
 * API (JSON bodies; ids are UUIDs; objects carry id, orgId, createdAt, updatedAt):
 *   POST   /credential    {"provider":"twilio","accountSid","authToken" | "apiKey"+"apiSecret","name"?}
 *                         → 201 {id, orgId, provider, accountSid, name, createdAt, updatedAt} (never a secret)
 *   DELETE /credential/{id}    → 200 the deleted credential; 404 unknown
 *   POST   /phone-number  {"provider":"twilio","number" (E.164),"twilioAccountSid","twilioAuthToken"?,
 *                          "twilioApiKey"?,"twilioApiSecret"?,"name"?,"assistantId"?,"squadId"?,"workflowId"?,
 *                          "server"?:{"url","credentialId"?,"headers"?,"timeoutSeconds"?,"backoffPlan"?},
 *                          "smsEnabled"?,"fallbackDestination"?}
 *                         → 201 TwilioPhoneNumber {id, orgId, provider:"twilio", number, status:"active",
 *                           twilioAccountSid, twilioAuthToken (Vapi's objects carry it: never log one), name,
 *                           server, assistantId?, …, createdAt, updatedAt};
 *                           a number already imported (and not deleted) → 400 "Number already exists"
 *   DELETE /phone-number/{id}  → 200 the deleted number; 404 unknown
 *   GET    /call?limit&createdAtGt&createdAtGe&createdAtLt&createdAtLe&id&assistantId&phoneNumberId
 *                         → 200 [Call, …]: the seeded calls that pass every filter given, newest
 *                           createdAt first, at most limit (default 100; 0 or over 1000 → 400);
 *                           a date that is not ISO 8601 → 400 "createdAtGt must be a valid ISO
 *                           8601 date string"; an unknown parameter → 400 "property x should not
 *                           exist" (Vapi's query DTOs are whitelisted too)
 *   POST   /call          {"assistantId" | "assistant" | "squadId" | "squad" | "workflowId" | "workflow" (one needed),
 *                          "phoneNumberId" | "phoneNumber" (one needed), "customer":{"number" (E.164, 3..40),
 *                          "name"? (≤ 40 characters), "sipUri"?, "extension"?, "email"?, "externalId"?,
 *                          "numberE164CheckEnabled"?, "assistantOverrides"?}, "customerId"?, "name"?,
 *                          "assistantOverrides"?, "assistantVersion"?, "schedulePlan"?, "transport"?,
 *                          "squadOverrides"?, "workflowOverrides"?}   (§4.5; "customers" batches are not faked: 400)
 *                         → 201 Call {id, orgId, type:"outboundPhoneCall", status:"queued", assistantId,
 *                           phoneNumberId, customer, phoneCallProvider, phoneCallTransport, createdAt, updatedAt,
 *                           subscriptionLimits:{concurrencyBlocked, concurrencyLimit:10, remainingConcurrentCalls}};
 *                           the call is then listed by GET /call like a seeded one
 *   POST   /assistant     CreateAssistantDTO, no field required: "name" (≤ 40), "firstMessage", "firstMessageMode",
 *                          "model":{"provider","model" (both required),"messages"?:[{"role":system|user|assistant|
 *                          tool|function,"content"}],"toolIds"?:[id of an existing tool],"tools"?:[{"type",…}],
 *                          "temperature"? (0..2),"maxTokens"?,"knowledgeBase"?,"knowledgeBaseId"?,"fallbackModels"?,
 *                          "toolStrategy"?,"emotionRecognitionEnabled"?,"numFastTurns"?,"systemPrompt"? (deprecated)},
 *                          "voice"/"transcriber":{"provider",…}, "server":{"url","credentialId"?,"headers"?,
 *                          "timeoutSeconds"? (1..300),"backoffPlan"?}, "serverMessages":[one of Vapi's message types],
 *                          "clientMessages", "metadata", "analysisPlan", "artifactPlan", "messagePlan", "startSpeakingPlan",
 *                          "stopSpeakingPlan", "monitorPlan", "compliancePlan", "keypadInputPlan", "voicemailDetection",
 *                          "voicemailMessage", "endCallMessage", "endCallPhrases", "maxDurationSeconds" (10..43200),
 *                          "silenceTimeoutSeconds", "backgroundSound", "backgroundDenoisingEnabled",
 *                          "backgroundSpeechDenoisingPlan", "modelOutputInMessagesEnabled", "transportConfigurations",
 *                          "observabilityPlan", "credentials", "credentialIds", "hooks", "firstMessageInterruptionsEnabled"
 *                         → 201 Assistant {id, orgId, createdAt, updatedAt, …every field as sent}
 *                           (fields checked: types, ranges, enums; plans and metadata only as objects)
 *   GET    /assistant?limit  → 200 [Assistant, …] newest first, at most limit (default 100, over 1000 → 400)
 *   GET    /assistant/{id}   → 200 Assistant; 404 "Assistant not found"
 *   PATCH  /assistant/{id}   the same fields, all optional → 200 Assistant: each top-level field given
 *                            REPLACES the old one whole — a nested object is never merged, so
 *                            {"model":{"provider":"openai","model":"gpt-4o"}} drops the model's messages,
 *                            toolIds, tools and temperature (§4.2); fields not given are kept
 *   DELETE /assistant/{id}   → 200 the deleted assistant; 404 unknown
 *   POST   /tool          {"type": "function" | "transferCall" | "endCall" | "dtmf" | a native integration
 *                          ("google.calendar.event.create", "google.calendar.availability.check",
 *                          "google.sheets.row.append", "slack.message.send", "gohighlevel.calendar.event.create",
 *                          "gohighlevel.calendar.availability.check", "gohighlevel.contact.create",
 *                          "gohighlevel.contact.get"), "function"? (required for "function"):{"name" ([a-zA-Z0-9_-]{1,64}),
 *                          "description"?,"parameters"?:{"type":"object","properties"?,"required"?:[…]},"strict"?},
 *                          "server"?:{as an assistant's}, "messages"?:[{"type":request-start|request-complete|
 *                          request-failed|request-response-delayed,"content"?,…}], function only: "async"?,
 *                          "parameters"?, "variableExtractionPlan"?; transferCall only: "destinations"?:[{"type":number|
 *                          sip|assistant,…}]; all: "rejectionPlan"?; native ones: "metadata"?}   (§4.1)
 *                         → 201 Tool {id, orgId, createdAt, updatedAt, …as sent}; the same name twice makes two tools
 *   GET    /tool?limit, GET /tool/{id}, DELETE /tool/{id}   as for assistants ("Tool not found")
 *   PATCH  /tool/{id}     the create fields of the tool's type but "type" (→ 400 ["property type should not
 *                         exist"]), all optional; each replaces the old one whole → 200 Tool
 *   model.toolIds must name live tools: an unknown id → 400 ["model.toolIds: no tool with id …"] (the fake's
 *   choice and wording: whether Vapi checks is not documented). A deleted tool stays in the toolIds of the
 *   assistants that had it (so their next PATCH carrying it is refused).
 * Errors in Vapi's NestJS shape {"message": [..] or "…","error","statusCode"}: an unknown property →
 * 400 ["property x should not exist"] (no credentialId on a Twilio number: §4.4); a missing or
 * wrong field → 400; a wrong or missing key → 401 "Invalid Key. Hot tip, …"; unknown paths → 404.
 *
 * Test control (no auth):
 *   GET  /_fake/state   {"credentials":[…],"phoneNumbers":[…],"created":{"credentials":N,"phoneNumbers":M},
 *                        "deleted":{"credentials":N,"phoneNumbers":M}}: the live objects as answered,
 *                        but with "authTokenSha256" (hex SHA-256 of the token received, "" when none) in
 *                        place of a secret; created/deleted count successful calls since the last reset
 *   POST /_fake/fail {"path":"/phone-number"|"/credential"|"/call"|"" (any),"method":"POST"|"DELETE"|"" (any),
 *                     "status":500,"count":1,"retryAfter":"7"?,"delayMs":0?}
 *                       the next count matching API calls (path equal or under it) answer status in
 *                       the NestJS shape, without doing anything: with a "Retry-After" header when
 *                       retryAfter is given, and after delayMs (an answer too late for a client's timeout)
 *   POST /_fake/calls {"calls":[Call, …]}  seeds calls as Vapi would answer them (each needs a string
 *                       "id" and an ISO "createdAt"; "orgId" is added when absent); a call whose id is
 *                       known replaces it (a call that went on and ended). GET /_fake/state then also
 *                       has "calls": N, "listed": how many GET /call were answered 200, and
 *                       "failures": how many API calls got a /_fake/fail answer
 *   POST /_fake/slow {"path":"/call","method":"POST","delayMs":500,"count":1}
 *                       the next count matching API calls are answered as usual, but delayMs late
 *                       (two clients racing for one call both reach the fake before either is answered)
 *   GET /_fake/state also has "created":{"calls":N} (POST /call answered 201) and "callRequests": every
 *                       POST /call that passed the key check, in order, as {"contentType","body"} (the body
 *                       parsed, or null) — what a client sent, failed and refused ones included
 *   GET /_fake/state also has "assistants":[…], "tools":[…] (the live objects, as GET answers them);
 *                       "created"/"patched"/"deleted":{"assistants":N,"tools":M} (calls answered 2xx);
 *                       "counts":{"POST /tool":3,"PATCH /assistant/{id}":10,…}: every API call received, by
 *                       method and path template (the query cut off, the second segment as "{id}"), refused
 *                       and failed ones included; "succeeded":{…}: the same, of those answered 2xx;
 *                       "downMs": how long down mode lasts still (0: up); "downAnswered": calls answered so
 *   POST /_fake/down {"ms":30000,"status":503?,"retryAfter":"5"?}
 *                       for ms from now every API call (any path, key unchecked) answers status (5xx,
 *                       default 503) as {"message":"fake: Vapi is down","error":"Service Unavailable",
 *                       "statusCode":503}, with a Retry-After header when retryAfter (digits) is given,
 *                       and does nothing; /_fake/fail and /_fake/slow rules are not used meanwhile
 *   POST /_fake/up      ends down mode at once
 *   POST /_fake/assistants {Assistant}
 *                       stores an assistant as if made elsewhere, unvalidated (fields and native tools
 *                       this fake does not model), keeping its "id" if given (replacing one with that id);
 *                       → 201 the stored object
 *   /_fake/fail and /_fake/slow apply to /assistant and /tool like any path ("path":"/tool" matches
 *                       /tool and /tool/{id}); a failure with status 429 and "retryAfter":"7" is Vapi's
 *                       rate limit
 *   POST /_fake/reset   forgets everything (down mode and counts included)
 *
 * Design: routes on tests/support/fake_http's server, one mutex over the
 * state (cJSON documents); assistants and tools live in
 * tests/support/fake_vapi_agents.c under the same mutex. SIGTERM stops it,
 * frees everything and exits 0.
 * Logs carry method, path and status only (fake_http), never a key or token.
 */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_http.h"
#include "fake_vapi.h"
#include "fake_vapi_agents.h"
#include "vx_crypto.h"
#include "vx_log.h"
#include "vx_time.h"
#include "vx_validate.h"

static struct {
    pthread_mutex_t lock;
    const char *key;
    char org_id[37];
    cJSON *credentials, *numbers; /* arrays of objects as answered, plus "authTokenSha256" */
    cJSON *calls;                 /* the seeded Call objects, in seeding order */
    cJSON *call_requests;         /* every POST /call past the key check: {"contentType","body"} */
    int created_credentials, created_numbers, deleted_credentials, deleted_numbers, listed_calls, failures, created_calls;
    char fail_path[256], fail_method[16], fail_retry_after[32], slow_path[256], slow_method[16];
    int fail_status, fail_count, fail_delay_ms, slow_count, slow_delay_ms;
    cJSON *counts, *succeeded;      /* {"<METHOD> <path template>": N}: every API call received / answered 2xx */
    int64_t down_until_us;          /* monotonic; every API call answers down_status until then */
    int down_status, down_answered; /* down_answered: API calls answered so */
    char down_retry_after[32];
} S = {.lock = PTHREAD_MUTEX_INITIALIZER};

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

static const char *str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Checks that each key present is a string; NULL when so, else the NestJS message. */
static const char *not_strings(const cJSON *obj, const char *const *keys, char *buf, size_t n)
{
    for (size_t i = 0; keys[i] != NULL; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, keys[i]);
        if (v != NULL && !cJSON_IsString(v)) {
            snprintf(buf, n, "%s must be a string", keys[i]);
            return buf;
        }
    }
    return NULL;
}

static void stamp(cJSON *o, const char *id)
{
    char now[32];
    vx_time_format_iso(vx_now_ms(), now);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "orgId", S.org_id);
    cJSON_AddStringToObject(o, "createdAt", now);
    cJSON_AddStringToObject(o, "updatedAt", now);
}

static void secret_hash(cJSON *o, const char *token)
{
    char hex[2 * VX_SHA256_LEN + 1] = "";
    if (token != NULL) {
        uint8_t d[VX_SHA256_LEN];
        vx_sha256(token, strlen(token), d);
        vx_hex_encode(d, sizeof(d), hex);
    }
    cJSON_AddStringToObject(o, "authTokenSha256", hex);
}

/* POST /credential */
static void create_credential(const cJSON *in, fake_response *r)
{
    static const char *const twilio[] = {"provider", "accountSid", "authToken", "apiKey", "apiSecret", "name", NULL};
    char buf[160];
    const char *provider = str(in, "provider");
    if (provider == NULL || strcmp(provider, "twilio") != 0) {
        fake_vapi_error(r, 400, "provider must be one of the following values: twilio, vonage, … (this fake knows twilio)", true);
        return;
    }
    const char *extra = fake_vapi_extra_property(in, twilio), *why = not_strings(in, twilio, buf, sizeof(buf));
    if (extra != NULL) {
        snprintf(buf, sizeof(buf), "property %s should not exist", extra);
        why = buf;
    }
    const char *token = str(in, "authToken");
    if (why == NULL && (str(in, "accountSid") == NULL || str(in, "accountSid")[0] == '\0'))
        why = "accountSid must be a string";
    if (why == NULL && (token == NULL || token[0] == '\0') && (str(in, "apiKey") == NULL || str(in, "apiSecret") == NULL))
        why = "authToken must be a string";
    if (why != NULL) {
        fake_vapi_error(r, 400, why, true);
        return;
    }
    char id[37];
    uuid(id);
    cJSON *o = cJSON_CreateObject();
    stamp(o, id);
    cJSON_AddStringToObject(o, "provider", "twilio");
    cJSON_AddStringToObject(o, "accountSid", str(in, "accountSid"));
    if (str(in, "name") != NULL)
        cJSON_AddStringToObject(o, "name", str(in, "name"));
    cJSON *kept = cJSON_Duplicate(o, true);
    secret_hash(kept, token);
    cJSON_AddItemToArray(S.credentials, kept);
    S.created_credentials++;
    fake_json_body(r, 201, o);
}

/* POST /phone-number */
static void import_number(const cJSON *in, fake_response *r)
{
    static const char *const twilio[] = {
        "provider",    "number",  "twilioAccountSid", "twilioAuthToken", "twilioApiKey", "twilioApiSecret",     "name",
        "assistantId", "squadId", "workflowId",       "server",          "smsEnabled",   "fallbackDestination", NULL};
    static const char *const strings[] = {"number", "twilioAccountSid", "twilioAuthToken", "twilioApiKey", "twilioApiSecret",
                                          "name",   "assistantId",      "squadId",         "workflowId",   NULL};
    char buf[160];
    const char *provider = str(in, "provider");
    if (provider == NULL || strcmp(provider, "twilio") != 0) {
        fake_vapi_error(r, 400, "provider must be one of the following values: byo-phone-number, twilio, vonage, vapi, telnyx",
                        true);
        return;
    }
    const char *extra = fake_vapi_extra_property(in, twilio), *why = not_strings(in, strings, buf, sizeof(buf));
    if (extra != NULL) {
        snprintf(buf, sizeof(buf), "property %s should not exist", extra);
        why = buf;
    }
    const cJSON *server = cJSON_GetObjectItemCaseSensitive(in, "server");
    const cJSON *sms = cJSON_GetObjectItemCaseSensitive(in, "smsEnabled");
    const char *number = str(in, "number");
    if (why == NULL && (number == NULL || !vx_is_e164(number)))
        why = "number must be a valid phone number in the E.164 format";
    if (why == NULL && (str(in, "twilioAccountSid") == NULL || str(in, "twilioAccountSid")[0] == '\0'))
        why = "twilioAccountSid must be a string";
    if (why == NULL && server != NULL)
        why = fake_vapi_invalid_server(server, "server", buf, sizeof(buf));
    if (why == NULL && sms != NULL && !cJSON_IsBool(sms))
        why = "smsEnabled must be a boolean value";
    if (why != NULL) {
        fake_vapi_error(r, 400, why, true);
        return;
    }
    const cJSON *n;
    cJSON_ArrayForEach(n, S.numbers)
    {
        if (strcmp(str(n, "number"), number) == 0) {
            fake_vapi_error(r, 400, "Number already exists", false);
            return;
        }
    }
    char id[37];
    uuid(id);
    cJSON *o = cJSON_CreateObject();
    stamp(o, id);
    cJSON_AddStringToObject(o, "provider", "twilio");
    cJSON_AddStringToObject(o, "number", number);
    cJSON_AddStringToObject(o, "status", "active");
    cJSON_AddStringToObject(o, "twilioAccountSid", str(in, "twilioAccountSid"));
    static const char *const copied[] = {"name",       "assistantId",         "squadId", "workflowId", "server",
                                         "smsEnabled", "fallbackDestination", NULL};
    for (size_t i = 0; copied[i] != NULL; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, copied[i]);
        if (v != NULL)
            cJSON_AddItemToObject(o, copied[i], cJSON_Duplicate(v, true));
    }
    cJSON *kept = cJSON_Duplicate(o, true);
    secret_hash(kept, str(in, "twilioAuthToken"));
    cJSON_AddItemToArray(S.numbers, kept);
    S.created_numbers++;
    /* Vapi's number objects carry the Twilio auth token back. */
    if (str(in, "twilioAuthToken") != NULL)
        cJSON_AddStringToObject(o, "twilioAuthToken", str(in, "twilioAuthToken"));
    fake_json_body(r, 201, o);
}

/* DELETE /{kind}/{id}: 200 with the object (without the fake's hash), or 404. */
static void delete_one(cJSON *list, const char *id, const char *what, int *deleted, fake_response *r)
{
    cJSON *o;
    cJSON_ArrayForEach(o, list)
    {
        if (strcmp(str(o, "id"), id) == 0) {
            cJSON_DetachItemViaPointer(list, o);
            cJSON_DeleteItemFromObjectCaseSensitive(o, "authTokenSha256");
            (*deleted)++;
            fake_json_body(r, 200, o);
            return;
        }
    }
    char message[64];
    snprintf(message, sizeof(message), "%s not found", what);
    fake_vapi_error(r, 404, message, false);
}

/* One query parameter's value, percent-decoded ('+' as a space, as Express reads a query). */
static void query_decode(const char *in, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned hi, lo;
        if (in[i] == '%' && i + 2 < n && sscanf(in + i + 1, "%1x%1x", &hi, &lo) == 2) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = in[i] == '+' ? ' ' : in[i];
        }
    }
    out[o] = '\0';
}

/* The filters of GET /call. */
enum { F_GT, F_GE, F_LT, F_LE, F_COUNT };

/* A Call's createdAt in unix ms, or false. */
static bool created_ms(const cJSON *call, int64_t *ms)
{
    return vx_time_parse_iso(str(call, "createdAt"), ms);
}

static int newest_first(const void *a, const void *b)
{
    int64_t x = 0, y = 0;
    created_ms(*(const cJSON *const *)a, &x);
    created_ms(*(const cJSON *const *)b, &y);
    return x < y ? 1 : x > y ? -1 : 0;
}

/* GET /call (state locked). */
static void list_calls(const char *query, fake_response *r)
{
    static const char *const dates[F_COUNT] = {"createdAtGt", "createdAtGe", "createdAtLt", "createdAtLe"};
    static const char *const ids[] = {"id", "assistantId", "phoneNumberId"};
    bool has[F_COUNT] = {false};
    int64_t bound[F_COUNT] = {0};
    char id_filter[3][256] = {"", "", ""};
    long limit = 100;
    char message[300];
    for (const char *p = query; *p != '\0';) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        char name[64], value[256];
        size_t name_len = eq != NULL ? (size_t)(eq - p) : len;
        query_decode(p, name_len, name, sizeof(name));
        query_decode(eq != NULL ? eq + 1 : p + len, eq != NULL ? len - name_len - 1 : 0, value, sizeof(value));
        p += len + (p[len] == '&');
        if (name[0] == '\0')
            continue;
        bool known = false;
        for (int i = 0; i < F_COUNT; i++) {
            if (strcmp(name, dates[i]) != 0)
                continue;
            known = true;
            if (!vx_time_parse_iso(value, &bound[i])) {
                snprintf(message, sizeof(message), "%s must be a valid ISO 8601 date string", name);
                fake_vapi_error(r, 400, message, true);
                return;
            }
            has[i] = true;
        }
        for (int i = 0; i < 3; i++) {
            if (strcmp(name, ids[i]) == 0) {
                known = true;
                snprintf(id_filter[i], sizeof(id_filter[i]), "%s", value);
            }
        }
        if (strcmp(name, "limit") == 0) {
            known = true;
            char *end;
            limit = strtol(value, &end, 10);
            if (value[0] == '\0' || *end != '\0' || limit < 0 || limit > 1000) {
                fake_vapi_error(r, 400, limit > 1000 ? "limit must not be greater than 1000" : "limit must be a number", true);
                return;
            }
        }
        if (!known) {
            snprintf(message, sizeof(message), "property %s should not exist", name);
            fake_vapi_error(r, 400, message, true);
            return;
        }
    }
    int n = cJSON_GetArraySize(S.calls), kept = 0;
    const cJSON **sorted = calloc((size_t)n + 1, sizeof(*sorted));
    if (sorted == NULL)
        abort();
    const cJSON *c;
    cJSON_ArrayForEach(c, S.calls)
    {
        int64_t at = 0;
        created_ms(c, &at);
        bool pass = (!has[F_GT] || at > bound[F_GT]) && (!has[F_GE] || at >= bound[F_GE]) && (!has[F_LT] || at < bound[F_LT]) &&
                    (!has[F_LE] || at <= bound[F_LE]);
        for (int i = 0; i < 3 && pass; i++)
            pass = id_filter[i][0] == '\0' || (str(c, ids[i]) != NULL && strcmp(str(c, ids[i]), id_filter[i]) == 0);
        if (pass)
            sorted[kept++] = c;
    }
    qsort(sorted, (size_t)kept, sizeof(*sorted), newest_first);
    cJSON *out = cJSON_CreateArray();
    for (int i = 0; i < kept && i < limit; i++)
        cJSON_AddItemToArray(out, cJSON_Duplicate(sorted[i], true));
    free(sorted);
    S.listed_calls++;
    fake_json_body(r, 200, out);
}

/* The length of s in code points (UTF-8). */
static size_t code_points(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Checks POST /call's customer; NULL when valid. */
static const char *invalid_customer(const cJSON *customer, char *buf, size_t n)
{
    static const char *const allowed[] = {
        "number", "name", "sipUri", "extension", "email", "externalId", "numberE164CheckEnabled", "assistantOverrides", NULL};
    static const char *const strings[] = {"number", "name", "sipUri", "extension", "email", "externalId", NULL};
    if (!cJSON_IsObject(customer))
        return "nested property customer must be either object or array";
    const char *extra = fake_vapi_extra_property(customer, allowed);
    if (extra != NULL) {
        snprintf(buf, n, "customer.property %s should not exist", extra);
        return buf;
    }
    char inner[128];
    const char *why = not_strings(customer, strings, inner, sizeof(inner));
    if (why != NULL) {
        snprintf(buf, n, "customer.%s", why);
        return buf;
    }
    const char *number = str(customer, "number"), *name = str(customer, "name");
    const cJSON *check = cJSON_GetObjectItemCaseSensitive(customer, "numberE164CheckEnabled");
    if (number == NULL && str(customer, "sipUri") == NULL)
        return "customer.number must be a string";
    if (number != NULL && (strlen(number) < 3 || strlen(number) > 40))
        return "customer.number must be longer than or equal to 3 characters and shorter than or equal to 40 characters";
    if (number != NULL && !cJSON_IsFalse(check) && !vx_is_e164(number))
        return "customer.number must be a valid phone number in the E.164 format";
    if (name != NULL && code_points(name) > 40)
        return "customer.name must be shorter than or equal to 40 characters";
    return NULL;
}

/* POST /call (state locked). */
static void create_call(const cJSON *in, fake_response *r)
{
    static const char *const allowed[] = {"assistantId",       "assistant",     "assistantOverrides",
                                          "assistantVersion",  "squadId",       "squad",
                                          "squadOverrides",    "workflowId",    "workflow",
                                          "workflowOverrides", "phoneNumberId", "phoneNumber",
                                          "customerId",        "customer",      "name",
                                          "schedulePlan",      "transport",     NULL};
    static const char *const strings[] = {"assistantId", "squadId", "workflowId", "phoneNumberId", "customerId", "name", NULL};
    char buf[200];
    const char *extra = fake_vapi_extra_property(in, allowed), *why = not_strings(in, strings, buf, sizeof(buf));
    if (cJSON_GetObjectItemCaseSensitive(in, "customers") != NULL)
        why = "this fake does not batch: customers is not supported";
    else if (extra != NULL) {
        snprintf(buf, sizeof(buf), "property %s should not exist", extra);
        why = buf;
    }
    static const char *const runners[] = {"assistantId", "assistant", "squadId", "squad", "workflowId", "workflow"};
    bool runner = false;
    for (size_t i = 0; i < sizeof(runners) / sizeof(runners[0]); i++)
        runner = runner || cJSON_GetObjectItemCaseSensitive(in, runners[i]) != NULL;
    const cJSON *customer = cJSON_GetObjectItemCaseSensitive(in, "customer");
    if (why == NULL && !runner)
        why = "Couldn't Create Call. Need Either `assistant`, `assistantId`, `squad`, `squadId`, `workflow`, or `workflowId`.";
    if (why == NULL && str(in, "phoneNumberId") == NULL && cJSON_GetObjectItemCaseSensitive(in, "phoneNumber") == NULL)
        why = "Couldn't Create Call. Need Either `phoneNumberId` or `phoneNumber`.";
    if (why == NULL && customer == NULL && str(in, "customerId") == NULL)
        why = "Couldn't Create Call. Need Either `customer` or `customerId`.";
    if (why == NULL && customer != NULL)
        why = invalid_customer(customer, buf, sizeof(buf));
    if (why != NULL) {
        fake_vapi_error(r, 400, why, true);
        return;
    }
    int active = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, S.calls)
    {
        const char *st = str(c, "status");
        active += st != NULL && (strcmp(st, "queued") == 0 || strcmp(st, "ringing") == 0 || strcmp(st, "in-progress") == 0);
    }
    char id[37];
    uuid(id);
    cJSON *o = cJSON_CreateObject();
    stamp(o, id);
    cJSON_AddStringToObject(o, "type", "outboundPhoneCall");
    cJSON_AddStringToObject(o, "status", "queued");
    static const char *const copied[] = {"assistantId", "squadId", "workflowId", "phoneNumberId",
                                         "customerId",  "name",    "customer",   NULL};
    for (size_t i = 0; copied[i] != NULL; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, copied[i]);
        if (v != NULL)
            cJSON_AddItemToObject(o, copied[i], cJSON_Duplicate(v, true));
    }
    cJSON_AddStringToObject(o, "phoneCallProvider", "twilio");
    cJSON_AddStringToObject(o, "phoneCallTransport", "pstn");
    cJSON_AddItemToArray(S.calls, cJSON_Duplicate(o, true));
    S.created_calls++;
    /* contracts/vapi.md §4.5: 10 concurrent calls per org by default. */
    cJSON *limits = cJSON_AddObjectToObject(o, "subscriptionLimits");
    cJSON_AddBoolToObject(limits, "concurrencyBlocked", active >= 10);
    cJSON_AddNumberToObject(limits, "concurrencyLimit", 10);
    cJSON_AddNumberToObject(limits, "remainingConcurrentCalls", active >= 10 ? 0 : 10 - active - 1);
    fake_json_body(r, 201, o);
}

/* POST /_fake/calls (state locked): false when a call lacks its id or createdAt. */
static bool seed_calls(const cJSON *in)
{
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(in, "calls"), *c;
    if (!cJSON_IsArray(calls))
        return false;
    cJSON_ArrayForEach(c, calls)
    {
        int64_t at;
        if (str(c, "id") == NULL || !created_ms(c, &at))
            return false;
    }
    cJSON_ArrayForEach(c, calls)
    {
        cJSON *copy = cJSON_Duplicate(c, true);
        if (str(copy, "orgId") == NULL)
            cJSON_AddStringToObject(copy, "orgId", S.org_id);
        int i = 0;
        const cJSON *old;
        bool replaced = false;
        cJSON_ArrayForEach(old, S.calls)
        {
            if (strcmp(str(old, "id"), str(c, "id")) == 0) {
                cJSON_ReplaceItemInArray(S.calls, i, copy);
                replaced = true;
                break;
            }
            i++;
        }
        if (!replaced)
            cJSON_AddItemToArray(S.calls, copy);
    }
    return true;
}

/* Whether a request for path matches a /_fake/fail or /_fake/slow rule (count left, path equal or under it, method). */
static bool rule_matches(const fake_request *q, const char *path, int count, const char *rule_path, const char *rule_method)
{
    size_t n = strlen(rule_path);
    bool path_ok = n == 0 || (strncmp(path, rule_path, n) == 0 && (path[n] == '\0' || path[n] == '/'));
    return count > 0 && path_ok && (rule_method[0] == '\0' || strcmp(rule_method, q->method) == 0);
}

static bool fail_matches(const fake_request *q, const char *path)
{
    return rule_matches(q, path, S.fail_count, S.fail_path, S.fail_method);
}

/* An API call (state locked); *delay_ms: how long to hold the answer back (outside the lock). */
static void api(fake_request *q, fake_response *r, int *delay_ms)
{
    char path[2048];
    snprintf(path, sizeof(path), "%.*s", (int)strcspn(q->path, "?"), q->path);
    if (vx_monotonic_us() < S.down_until_us) {
        /* Down: before the key is even looked at, as a load balancer in front of a dead service answers. */
        S.down_answered++;
        fake_vapi_error(r, S.down_status, "fake: Vapi is down", false);
        if (S.down_retry_after[0] != '\0')
            vx_buf_printf(&r->headers, "Retry-After: %s\r\n", S.down_retry_after);
        return;
    }
    char expected[1100];
    snprintf(expected, sizeof(expected), "Bearer %s", S.key);
    if (!vx_ct_equal(q->auth, strlen(q->auth), expected, strlen(expected))) {
        fake_vapi_error(r, 401, "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.",
                        false);
        return;
    }
    /* NestJS parses JSON only with a JSON Content-Type; anything else is an empty body. */
    bool json = strncmp(q->content_type, "application/json", 16) == 0;
    bool post = strcmp(q->method, "POST") == 0, del = strcmp(q->method, "DELETE") == 0, get = strcmp(q->method, "GET") == 0;
    if (post && strcmp(path, "/call") == 0) {
        cJSON *seen = cJSON_CreateObject();
        cJSON_AddStringToObject(seen, "contentType", q->content_type);
        cJSON *body = cJSON_ParseWithLength(q->body, q->body_len);
        cJSON_AddItemToObject(seen, "body", body != NULL ? body : cJSON_CreateNull());
        cJSON_AddItemToArray(S.call_requests, seen);
    }
    if (fail_matches(q, path)) {
        S.fail_count--;
        S.failures++;
        fake_vapi_error(r, S.fail_status, "fake failure", false);
        if (S.fail_retry_after[0] != '\0')
            vx_buf_printf(&r->headers, "Retry-After: %s\r\n", S.fail_retry_after);
        *delay_ms = S.fail_delay_ms;
        return;
    }
    if (rule_matches(q, path, S.slow_count, S.slow_path, S.slow_method)) {
        S.slow_count--;
        *delay_ms = S.slow_delay_ms;
    }
    char id[128] = "", rest[8] = "";
    if (fake_vapi_agents_route(q, path, r)) {
        /* /assistant…, /tool… (tests/support/fake_vapi_agents.c) */
    } else if (get && strcmp(path, "/call") == 0) {
        list_calls(q->query, r);
    } else if (post && (strcmp(path, "/credential") == 0 || strcmp(path, "/phone-number") == 0 || strcmp(path, "/call") == 0)) {
        cJSON *in = json ? cJSON_ParseWithLength(q->body, q->body_len) : cJSON_CreateObject();
        if (!cJSON_IsObject(in))
            fake_vapi_error(r, 400, "Unexpected token in JSON", false);
        else if (strcmp(path, "/credential") == 0)
            create_credential(in, r);
        else if (strcmp(path, "/call") == 0)
            create_call(in, r);
        else
            import_number(in, r);
        cJSON_Delete(in);
    } else if (del && sscanf(path, "/credential/%127[^/]%7s", id, rest) == 1) {
        delete_one(S.credentials, id, "Credential", &S.deleted_credentials, r);
    } else if (del && sscanf(path, "/phone-number/%127[^/]%7s", id, rest) == 1) {
        delete_one(S.numbers, id, "Phone number", &S.deleted_numbers, r);
    } else {
        char message[2100];
        snprintf(message, sizeof(message), "Cannot %s %s", q->method, path);
        fake_vapi_error(r, 404, message, false);
    }
}

static void control(const fake_request *q, fake_response *r)
{
    cJSON *in = cJSON_ParseWithLength(q->body, q->body_len);
    if (strcmp(q->path, "/_fake/state") == 0 && strcmp(q->method, "GET") == 0) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddItemToObject(out, "credentials", cJSON_Duplicate(S.credentials, true));
        cJSON_AddItemToObject(out, "phoneNumbers", cJSON_Duplicate(S.numbers, true));
        cJSON *created = cJSON_AddObjectToObject(out, "created"), *deleted = cJSON_AddObjectToObject(out, "deleted");
        cJSON_AddNumberToObject(created, "credentials", S.created_credentials);
        cJSON_AddNumberToObject(created, "phoneNumbers", S.created_numbers);
        cJSON_AddNumberToObject(deleted, "credentials", S.deleted_credentials);
        cJSON_AddNumberToObject(deleted, "phoneNumbers", S.deleted_numbers);
        cJSON_AddNumberToObject(created, "calls", S.created_calls);
        cJSON_AddItemToObject(out, "callRequests", cJSON_Duplicate(S.call_requests, true));
        cJSON_AddNumberToObject(out, "calls", cJSON_GetArraySize(S.calls));
        cJSON_AddNumberToObject(out, "listed", S.listed_calls);
        cJSON_AddNumberToObject(out, "failures", S.failures);
        fake_vapi_agents_state(out);
        cJSON_AddItemToObject(out, "counts", cJSON_Duplicate(S.counts, true));
        cJSON_AddItemToObject(out, "succeeded", cJSON_Duplicate(S.succeeded, true));
        int64_t left_us = S.down_until_us - vx_monotonic_us();
        cJSON_AddNumberToObject(out, "downMs", left_us > 0 ? (double)((left_us + 999) / 1000) : 0);
        cJSON_AddNumberToObject(out, "downAnswered", S.down_answered);
        fake_json_body(r, 200, out);
    } else if (strcmp(q->path, "/_fake/calls") == 0 && strcmp(q->method, "POST") == 0) {
        if (seed_calls(in))
            r->status = 204;
        else
            fake_vapi_error(r, 400, "calls must be an array of calls with an id and an ISO createdAt", false);
    } else if (strcmp(q->path, "/_fake/fail") == 0 && strcmp(q->method, "POST") == 0) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(in, "status"), *n = cJSON_GetObjectItemCaseSensitive(in, "count");
        const cJSON *delay = cJSON_GetObjectItemCaseSensitive(in, "delayMs");
        snprintf(S.fail_path, sizeof(S.fail_path), "%s", str(in, "path") != NULL ? str(in, "path") : "");
        snprintf(S.fail_method, sizeof(S.fail_method), "%s", str(in, "method") != NULL ? str(in, "method") : "");
        /* Only what a header value may hold: digits, letters, spaces, ',' and ':' (an HTTP date). */
        const char *ra = str(in, "retryAfter") != NULL ? str(in, "retryAfter") : "";
        snprintf(S.fail_retry_after, sizeof(S.fail_retry_after), "%.*s",
                 (int)strspn(ra, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ,:"), ra);
        S.fail_status = cJSON_IsNumber(st) ? st->valueint : 500;
        S.fail_count = cJSON_IsNumber(n) ? n->valueint : 1;
        S.fail_delay_ms = cJSON_IsNumber(delay) && delay->valueint > 0 && delay->valueint <= 30000 ? delay->valueint : 0;
        r->status = 204;
    } else if (strcmp(q->path, "/_fake/slow") == 0 && strcmp(q->method, "POST") == 0) {
        const cJSON *delay = cJSON_GetObjectItemCaseSensitive(in, "delayMs"), *n = cJSON_GetObjectItemCaseSensitive(in, "count");
        snprintf(S.slow_path, sizeof(S.slow_path), "%s", str(in, "path") != NULL ? str(in, "path") : "");
        snprintf(S.slow_method, sizeof(S.slow_method), "%s", str(in, "method") != NULL ? str(in, "method") : "");
        S.slow_delay_ms = cJSON_IsNumber(delay) && delay->valueint > 0 && delay->valueint <= 30000 ? delay->valueint : 0;
        S.slow_count = cJSON_IsNumber(n) ? n->valueint : 1;
        r->status = 204;
    } else if (strcmp(q->path, "/_fake/down") == 0 && strcmp(q->method, "POST") == 0) {
        const cJSON *ms = cJSON_GetObjectItemCaseSensitive(in, "ms"), *st = cJSON_GetObjectItemCaseSensitive(in, "status");
        if (!cJSON_IsNumber(ms) || ms->valuedouble < 1 || ms->valuedouble > 600000 ||
            (st != NULL && (!cJSON_IsNumber(st) || st->valueint < 500 || st->valueint > 599))) {
            fake_vapi_error(r, 400, "down needs ms (1..600000) and, if given, a 5xx status", false);
        } else {
            S.down_until_us = vx_monotonic_us() + (int64_t)ms->valuedouble * 1000;
            S.down_status = st != NULL ? st->valueint : 503;
            const char *ra = str(in, "retryAfter") != NULL ? str(in, "retryAfter") : "";
            snprintf(S.down_retry_after, sizeof(S.down_retry_after), "%.*s", (int)strspn(ra, "0123456789"), ra);
            r->status = 204;
        }
    } else if (strcmp(q->path, "/_fake/up") == 0 && strcmp(q->method, "POST") == 0) {
        S.down_until_us = 0;
        r->status = 204;
    } else if (strcmp(q->path, "/_fake/assistants") == 0 && strcmp(q->method, "POST") == 0) {
        fake_vapi_agents_seed_assistant(in, r);
    } else if (strcmp(q->path, "/_fake/reset") == 0 && strcmp(q->method, "POST") == 0) {
        fake_vapi_agents_reset();
        cJSON_Delete(S.counts);
        cJSON_Delete(S.succeeded);
        S.counts = cJSON_CreateObject();
        S.succeeded = cJSON_CreateObject();
        S.down_until_us = 0;
        S.down_answered = 0;
        cJSON_Delete(S.credentials);
        cJSON_Delete(S.numbers);
        cJSON_Delete(S.calls);
        cJSON_Delete(S.call_requests);
        S.credentials = cJSON_CreateArray();
        S.numbers = cJSON_CreateArray();
        S.calls = cJSON_CreateArray();
        S.call_requests = cJSON_CreateArray();
        S.created_credentials = S.created_numbers = S.deleted_credentials = S.deleted_numbers = S.listed_calls = S.failures = 0;
        S.created_calls = 0;
        S.fail_count = S.slow_count = 0;
        r->status = 204;
    } else {
        fake_vapi_error(r, 404, "no such control endpoint", false);
    }
    cJSON_Delete(in);
}

/* "<METHOD> <path template>": the query cut off, the segment after the first one read as an id
 * ("PATCH /assistant/{id}", "GET /tool", "DELETE /phone-number/{id}"). */
static void call_key(const fake_request *q, char *out, size_t n)
{
    size_t len = strcspn(q->path, "?");
    const char *second = len > 1 ? memchr(q->path + 1, '/', len - 1) : NULL;
    if (second == NULL) {
        snprintf(out, n, "%s %.*s", q->method, (int)len, q->path);
        return;
    }
    const char *third = memchr(second + 1, '/', len - (size_t)(second + 1 - q->path));
    const char *end = q->path + len;
    snprintf(out, n, "%s %.*s/{id}%.*s", q->method, (int)(second - q->path), q->path, third != NULL ? (int)(end - third) : 0,
             third != NULL ? third : "");
}

static void bump(cJSON *counts, const char *key)
{
    cJSON *n = cJSON_GetObjectItemCaseSensitive(counts, key);
    if (cJSON_IsNumber(n))
        cJSON_SetNumberValue(n, n->valuedouble + 1);
    else
        cJSON_AddNumberToObject(counts, key, 1);
}

static void route(fake_request *q, fake_response *r)
{
    int delay_ms = 0;
    pthread_mutex_lock(&S.lock);
    if (strncmp(q->path, "/_fake/", 7) == 0) {
        control(q, r);
    } else {
        char key[2100];
        call_key(q, key, sizeof(key));
        bump(S.counts, key);
        api(q, r, &delay_ms);
        if (r->status >= 200 && r->status <= 299)
            bump(S.succeeded, key);
    }
    pthread_mutex_unlock(&S.lock);
    if (delay_ms > 0)
        nanosleep(&(struct timespec){.tv_sec = delay_ms / 1000, .tv_nsec = (long)(delay_ms % 1000) * 1000000L}, NULL);
}

int main(void)
{
    vx_log_init("vapi-api-fake");
    const char *port_s = getenv("VAPI_API_FAKE_PORT");
    S.key = getenv("VAPI_API_FAKE_KEY");
    if (port_s == NULL || atoi(port_s) <= 0 || S.key == NULL || S.key[0] == '\0') {
        fprintf(stderr, "vapi_api fake: set VAPI_API_FAKE_PORT and VAPI_API_FAKE_KEY\n");
        return 2;
    }
    uuid(S.org_id);
    S.credentials = cJSON_CreateArray();
    S.numbers = cJSON_CreateArray();
    S.calls = cJSON_CreateArray();
    S.call_requests = cJSON_CreateArray();
    S.counts = cJSON_CreateObject();
    S.succeeded = cJSON_CreateObject();
    fake_vapi_agents_init(S.org_id);
    int rc = fake_http_serve(atoi(port_s), route);
    fake_vapi_agents_free();
    cJSON_Delete(S.counts);
    cJSON_Delete(S.succeeded);
    cJSON_Delete(S.credentials);
    cJSON_Delete(S.numbers);
    cJSON_Delete(S.calls);
    cJSON_Delete(S.call_requests);
    return rc;
}
