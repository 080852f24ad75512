/*
 * vx_vapi_api: the one client of Vapi's REST API (libcurl) for a platform
 * backend, as contracts/vapi.md §4 describes it. Several services use it (so
 * it lives in libcommon, docs/conventions.md): the credential vault puts an
 * org's Twilio number on Vapi and takes it off again, webhook-ingest lists
 * recent calls to reconcile the reports it never received, dashboard-api
 * places an owner's call-back to a contact, tool-sync keeps the assistants
 * and the platform's tools:
 *
 *   POST   /credential       {"provider":"twilio","accountSid","authToken","name"}        → 201 {id, …}  (§4.3)
 *   POST   /phone-number     {"provider":"twilio","number","twilioAccountSid","twilioAuthToken",
 *                             "name","server":{"url"[,"credentialId"]}}                    → 201 {id, …}  (§4.4)
 *   DELETE /credential/{id}, /phone-number/{id}                                           → 200 the deleted object
 *   GET    /call?limit&createdAtGt[&createdAtLt]                                          → 200 [Call, …] newest first
 *   POST   /call             {"assistantId","phoneNumberId","customer":{"number"[,"name"]}}  → 201 Call {id, status, …} (§4.5)
 *   POST   /assistant, /tool  the caller's object                                            → 201 the object {id, …}
 *   GET    /assistant/{id}, /tool/{id}; GET /assistant?limit, /tool?limit                     → 200 the object; a list
 *   PATCH  /assistant/{id}, /tool/{id}  the caller's changes (a tool's without "type")        → 200 the whole object
 *   DELETE /assistant/{id}, /tool/{id}                                                        → 200 the deleted object
 *
 * Authorization: Bearer <private key>; JSON bodies (built with cJSON, so
 * every value is escaped). The base URL, key and timeout come with a
 * vx_vapi_api_config (the services' settings: VAPI_API_BASE_URL, default
 * https://api.vapi.ai, which tests point at tests/fakes/vapi_api;
 * VAPI_PRIVATE_KEY); a trailing '/' on the base is ignored. Nothing is
 * retried here: the caller decides.
 *
 * An id goes into a URL only when it is 1..100 characters of [A-Za-z0-9-]
 * (Vapi's ids are UUIDs); Vapi's answer is held to the same rule, since the
 * id it gives is the one deleted later.
 * Failures are logged once (HTTP status and Vapi's error and message — a
 * string or an array of strings — or the network error) and returned as a
 * vx_vapi_api_status; the key, the Twilio auth token, request bodies and
 * Vapi's answer bodies (a phone number carries its twilioAuthToken, a call
 * its transcript, a tool or an assistant its server.headers, which may hold
 * a secret) are never logged, and are wiped before they are freed.
 *
 * Thread safety: every function may be called from any thread at once.
 */
#ifndef VX_VAPI_API_H
#define VX_VAPI_API_H

#include <cjson/cJSON.h>
#include <stdbool.h>

typedef struct vx_vapi_api_config {
    const char *base_url;    /* VAPI_API_BASE_URL, default "https://api.vapi.ai" (chosen by the caller) */
    const char *private_key; /* VAPI_PRIVATE_KEY; NULL or "": every call fails with VX_VAPI_API_ERROR, logged "VAPI_PRIVATE_KEY is
                                not set" */
    long timeout_ms;
} vx_vapi_api_config;

typedef enum {
    VX_VAPI_API_OK = 0,
    VX_VAPI_API_NOT_FOUND = 1,     /* 404 on a delete (already gone: deletes treat it as done), or on a get or patch of an
                                      assistant or tool (it was deleted on Vapi: create it again) */
    VX_VAPI_API_REJECTED = -2,     /* another 4xx (and a 404 on a create): Vapi refused the request (logged with its message,
                                   string or array): retrying the same request will not help; also an id that may not go
                                   into a URL, or a body that is not an object, refused without a call */
    VX_VAPI_API_ERROR = -1,        /* the credential, number and call functions: network, timeout, 429, 5xx, unreadable.
                                      The assistant and tool functions: no key, or a 2xx answer that is unreadable (a create
                                      may then have made the object) */
    VX_VAPI_API_RATE_LIMITED = -3, /* assistant and tool functions only: 429; retry after answer.retry_after_s (0: Vapi
                                      said nothing, back off) */
    VX_VAPI_API_UNAVAILABLE = -4,  /* assistant and tool functions only: 5xx, no answer, a timeout (answer.http_status 0
                                      when no answer came): retry later */
} vx_vapi_api_status;

#define VX_VAPI_API_ID_MAX 100

/* True when id may go into a URL: 1..VX_VAPI_API_ID_MAX characters, each of [A-Za-z0-9-]. */
bool vx_vapi_api_id_valid(const char *id);

/* POST /credential {"provider":"twilio","accountSid","authToken","name"} → 201 with "id" copied into id (≤ 100 chars).
 * name NULL or "": omitted. */
vx_vapi_api_status vx_vapi_api_create_twilio_credential(const vx_vapi_api_config *c, const char *account_sid,
                                                        const char *auth_token, const char *name, char id[VX_VAPI_API_ID_MAX + 1],
                                                        const char *request_id, const char *org_id);

/* POST /phone-number {"provider":"twilio","number","twilioAccountSid","twilioAuthToken","name","server":{"url": server_url[,
 * "credentialId": server_credential_id]}} — no assistantId: inbound calls then send assistant-request.
 * server_credential_id may be NULL/"" (omitted); so may name. → 201, "id" into id. */
vx_vapi_api_status vx_vapi_api_import_twilio_number(const vx_vapi_api_config *c, const char *number, const char *account_sid,
                                                    const char *auth_token, const char *name, const char *server_url,
                                                    const char *server_credential_id, char id[VX_VAPI_API_ID_MAX + 1],
                                                    const char *request_id, const char *org_id);

/* DELETE /credential/{id}, DELETE /phone-number/{id}: OK on 200 (any 2xx), NOT_FOUND on 404. */
vx_vapi_api_status vx_vapi_api_delete_credential(const vx_vapi_api_config *c, const char *id, const char *request_id,
                                                 const char *org_id);
vx_vapi_api_status vx_vapi_api_delete_phone_number(const vx_vapi_api_config *c, const char *id, const char *request_id,
                                                   const char *org_id);

/* How many calls one GET /call may ask for (Vapi's maximum). */
#define VX_VAPI_API_LIST_MAX 1000
/* The largest list answer accepted: a Call carries its transcript and
 * messages, so a page is much larger than the vault's objects. A caller
 * asking for many calls per page may meet it (the page then fails, logged
 * "answer too large"): ask for fewer. */
#define VX_VAPI_API_LIST_MAX_BYTES (32u * 1024 * 1024)

/* GET /call?limit=<limit>&createdAtGt=<created_after>[&createdAtLt=<created_before>]:
 * the calls created in that window, newest first, at most limit (clamped to
 * 1..VX_VAPI_API_LIST_MAX). The bounds are ISO 8601 instants
 * ("2024-07-26T22:20:57.931Z"; characters [0-9A-Za-z.:+-] only, else
 * REJECTED without a request); created_after is required, created_before
 * may be NULL (no upper bound). On OK *calls is the answer, a JSON array
 * (its items are whatever Vapi sent: the caller checks each); the caller owns
 * it and frees it with vx_secret_json_delete (calls may embed a phone
 * number's credentials). Otherwise *calls is NULL. An answer that is not an
 * array is ERROR. */
vx_vapi_api_status vx_vapi_api_list_calls(const vx_vapi_api_config *c, const char *created_after, const char *created_before,
                                          int limit, cJSON **calls, const char *request_id);

/* Vapi's limit on customer.name (CreateCustomerDTO, maxLength 40): a longer name is cut to it. */
#define VX_VAPI_API_CUSTOMER_NAME_MAX 40

/* What POST /call gave back. */
typedef struct vx_vapi_api_call {
    char id[VX_VAPI_API_ID_MAX + 1]; /* the new call's id; "" unless OK */
    char status[16];                 /* its status as answered ("queued"); "" when absent or not a status word */
    long http_status;                /* Vapi's HTTP status; 0 when no answer came (unreachable, timed out) */
    long retry_after_s;              /* the answer's Retry-After in seconds (a 429's), 0 when none */
} vx_vapi_api_call;

/* POST /call {"assistantId","phoneNumberId","customer":{"number","name"?}}:
 * an outbound phone call from the org's Vapi number with its assistant
 * (contracts/vapi.md §4.5). customer_name NULL or "": omitted; longer than
 * VX_VAPI_API_CUSTOMER_NAME_MAX code points: cut. OK on 2xx with a valid id;
 * REJECTED on a 4xx other than 429 (Vapi refused: logged with its message)
 * and, without a request, when an id or the number is missing; ERROR
 * otherwise — no key, no answer (http_status 0), 429 (retry_after_s when
 * Vapi said), 5xx, or a 2xx without a readable id (logged: the call may
 * have been placed). The body and answer carry the customer's number: never
 * logged, wiped. */
vx_vapi_api_status vx_vapi_api_create_call(const vx_vapi_api_config *c, const char *assistant_id, const char *phone_number_id,
                                           const char *customer_number, const char *customer_name, vx_vapi_api_call *out,
                                           const char *request_id, const char *org_id);

/* ---- Assistants and tools (contracts/vapi.md §4.1, §4.2), for tool-sync ----
 *
 * Objects go in and come out as cJSON, whole: tool-sync GETs an assistant,
 * changes only what it owns (vx_vapi_api_model_merge) and PATCHes the whole
 * model back, since a PATCH replaces each top-level field it names whole
 * (§4.2). The functions never change what they are given. An object that
 * comes back is the caller's: free it with vx_secret_json_delete (a tool's
 * or an assistant's server.headers may hold a secret).
 * Every function fills answer (may be NULL) with what came back, and answers:
 * OK; NOT_FOUND (404 on a get, patch or delete); REJECTED (another 4xx,
 * e.g. 400 "property x should not exist", 401 wrong key, 409 on a pinned
 * assistant's delete; or refused before any request: a malformed id, a body
 * that is not an object); RATE_LIMITED (429, answer->retry_after_s from
 * Retry-After, 0 when none); UNAVAILABLE (5xx, no answer, timeout); ERROR (no
 * key: nothing sent; or a 2xx answer that is not what was asked, logged). */

/* What came back besides the object, for a caller that retries. */
typedef struct vx_vapi_api_answer {
    long http_status;   /* Vapi's HTTP status; 0 when no answer came (unreachable, timed out, nothing sent) */
    long retry_after_s; /* the answer's Retry-After in seconds (a 429's), 0 when none */
} vx_vapi_api_answer;

/* The largest assistant or tool accepted (an assistant carries its whole system prompt). */
#define VX_VAPI_API_OBJECT_MAX_BYTES (4u * 1024 * 1024)

/* POST /assistant with assistant (an object: name, firstMessage, voice, model, server, serverMessages, …) → 201:
 * its "id" into id ("" unless OK), and, when created is not NULL, the answer on OK (else NULL). */
vx_vapi_api_status vx_vapi_api_create_assistant(const vx_vapi_api_config *c, const cJSON *assistant,
                                                char id[VX_VAPI_API_ID_MAX + 1], cJSON **created, vx_vapi_api_answer *answer,
                                                const char *request_id, const char *org_id);
/* GET /assistant/{id} → *assistant on OK (else NULL). */
vx_vapi_api_status vx_vapi_api_get_assistant(const vx_vapi_api_config *c, const char *id, cJSON **assistant,
                                             vx_vapi_api_answer *answer, const char *request_id, const char *org_id);
/* PATCH /assistant/{id} with changes (an object; each top-level field given replaces Vapi's whole: send the
 * whole model) → when updated is not NULL, the whole assistant on OK (else NULL). */
vx_vapi_api_status vx_vapi_api_patch_assistant(const vx_vapi_api_config *c, const char *id, const cJSON *changes, cJSON **updated,
                                               vx_vapi_api_answer *answer, const char *request_id, const char *org_id);
/* DELETE /assistant/{id}. */
vx_vapi_api_status vx_vapi_api_delete_assistant(const vx_vapi_api_config *c, const char *id, vx_vapi_api_answer *answer,
                                                const char *request_id, const char *org_id);
/* GET /assistant?limit=<limit> (clamped to 1..VX_VAPI_API_LIST_MAX): newest first → *assistants, an array, on OK
 * (else NULL; an answer that is not an array is ERROR). */
vx_vapi_api_status vx_vapi_api_list_assistants(const vx_vapi_api_config *c, int limit, cJSON **assistants,
                                               vx_vapi_api_answer *answer, const char *request_id);

/* POST /tool with tool (an object with its "type": "function", "transferCall", …; §4.1) → 201: "id" into id,
 * and, when created is not NULL, the answer on OK. */
vx_vapi_api_status vx_vapi_api_create_tool(const vx_vapi_api_config *c, const cJSON *tool, char id[VX_VAPI_API_ID_MAX + 1],
                                           cJSON **created, vx_vapi_api_answer *answer, const char *request_id, const char *org_id);
/* GET /tool/{id} → *tool on OK (else NULL). */
vx_vapi_api_status vx_vapi_api_get_tool(const vx_vapi_api_config *c, const char *id, cJSON **tool, vx_vapi_api_answer *answer,
                                        const char *request_id, const char *org_id);
/* PATCH /tool/{id} with changes, its "type" left out of what is sent (Vapi refuses it on a PATCH, §4.1: so the
 * definition given to create may be given here as it is); each field given replaces Vapi's whole → when updated
 * is not NULL, the whole tool on OK. */
vx_vapi_api_status vx_vapi_api_patch_tool(const vx_vapi_api_config *c, const char *id, const cJSON *changes, cJSON **updated,
                                          vx_vapi_api_answer *answer, const char *request_id, const char *org_id);
/* DELETE /tool/{id}. */
vx_vapi_api_status vx_vapi_api_delete_tool(const vx_vapi_api_config *c, const char *id, vx_vapi_api_answer *answer,
                                           const char *request_id, const char *org_id);
/* GET /tool?limit=<limit> (clamped to 1..VX_VAPI_API_LIST_MAX): newest first → *tools, an array, on OK. */
vx_vapi_api_status vx_vapi_api_list_tools(const vx_vapi_api_config *c, int limit, cJSON **tools, vx_vapi_api_answer *answer,
                                          const char *request_id);

/* True for a tool type that is one of Vapi's native integrations, which act
 * on a provider themselves instead of asking our backend (SPEC hard rule 4:
 * an assistant never carries one): a type with a '.' in it
 * ("google.calendar.event.create", "google.calendar.availability.check",
 * "google.sheets.row.append", "slack.message.send",
 * "gohighlevel.calendar.event.create", "gohighlevel.contact.get", …, and
 * whatever integration Vapi adds under the same naming) and the legacy
 * "make" and "ghl". Not "function", "transferCall", "endCall", "dtmf",
 * "query", "mcp", "apiRequest", …; NULL: false. */
bool vx_vapi_api_tool_type_native(const char *type);

/* The model to PATCH back (fetch-merge-patch, SPEC hard rules 3 and 4): a
 * copy of existing (the "model" GET /assistant/{id} answered; NULL or not an
 * object: an empty one) in which only what we own changes:
 *  - "provider" and "model": kept; default_provider / default_model when
 *    missing (not strings) and the default is not NULL;
 *  - the system prompt: the first "messages" entry with role "system" gets
 *    content system_prompt (one is put first when there is none); every
 *    other message is kept, in order; the deprecated "systemPrompt" is
 *    removed (it would compete with the message). system_prompt NULL:
 *    messages and systemPrompt untouched;
 *  - "toolIds": the existing ids that are in neither ours nor drop, in order,
 *    then each of ours once (ours: NULL-terminated, NULL for none; drop:
 *    NULL-terminated ids to take off — tools of ours that were replaced, and
 *    native tools linked by id, which only a GET /tool/{id} can tell —, NULL
 *    for none). No "toolIds" when the result is empty and there was none;
 *  - "tools" (inline): every entry whose "type" is native
 *    (vx_vapi_api_tool_type_native) removed, the rest kept in order;
 *  - everything else (temperature, maxTokens, knowledgeBase, …) kept as is.
 * Returns a new object the caller owns (cJSON_Delete). */
cJSON *vx_vapi_api_model_merge(const cJSON *existing, const char *default_provider, const char *default_model,
                               const char *system_prompt, const char *const *ours, const char *const *drop);

#endif
