/*
 * vx_vapi_api: the one client of Vapi's REST API (libcurl) for a platform
 * backend, as contracts/vapi.md §4 describes it. Two services use it (so it
 * lives in libcommon, docs/conventions.md): the credential vault puts an
 * org's Twilio number on Vapi and takes it off again, webhook-ingest lists
 * recent calls to reconcile the reports it never received, dashboard-api
 * places an owner's call-back to a contact:
 *
 *   POST   /credential       {"provider":"twilio","accountSid","authToken","name"}        → 201 {id, …}  (§4.3)
 *   POST   /phone-number     {"provider":"twilio","number","twilioAccountSid","twilioAuthToken",
 *                             "name","server":{"url"[,"credentialId"]}}                    → 201 {id, …}  (§4.4)
 *   DELETE /credential/{id}, /phone-number/{id}                                           → 200 the deleted object
 *   GET    /call?limit&createdAtGt[&createdAtLt]                                          → 200 [Call, …] newest first
 *   POST   /call             {"assistantId","phoneNumberId","customer":{"number"[,"name"]}}  → 201 Call {id, status, …} (§4.5)
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
 * vx_vapi_api_status; the key, the Twilio auth token and Vapi's answer bodies
 * (a phone number carries its twilioAuthToken, a call its transcript) are
 * never logged.
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
    VX_VAPI_API_NOT_FOUND = 1, /* 404 on a delete: already gone (deletes treat it as done) */
    VX_VAPI_API_REJECTED = -2, /* another 4xx (and a 404 on a create): Vapi refused the request (logged with its message,
                               string or array); also an id that may not go into a URL, refused without a call */
    VX_VAPI_API_ERROR = -1,    /* network, timeout, 429, 5xx, unreadable */
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

#endif
