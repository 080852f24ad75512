/*
 * vapi_api: the one client of Vapi's REST API (libcurl) for a platform
 * backend, as contracts/vapi.md §4 describes it — what the vault needs to
 * put an org's Twilio number on Vapi and take it off again:
 *
 *   POST   /credential       {"provider":"twilio","accountSid","authToken","name"}        → 201 {id, …}  (§4.3)
 *   POST   /phone-number     {"provider":"twilio","number","twilioAccountSid","twilioAuthToken",
 *                             "name","server":{"url"[,"credentialId"]}}                    → 201 {id, …}  (§4.4)
 *   DELETE /credential/{id}, /phone-number/{id}                                           → 200 the deleted object
 *
 * Authorization: Bearer <private key>; JSON bodies (built with cJSON, so
 * every value is escaped). The base URL, key and timeout come with a
 * vapi_api_config (the vault's settings: VAPI_API_BASE_URL, default
 * https://api.vapi.ai, which tests point at tests/fakes/vapi_api;
 * VAPI_PRIVATE_KEY); a trailing '/' on the base is ignored. Nothing is
 * retried here: the caller decides.
 *
 * An id goes into a URL only when it is 1..100 characters of [A-Za-z0-9-]
 * (Vapi's ids are UUIDs); Vapi's answer is held to the same rule, since the
 * id it gives is the one deleted later.
 * Failures are logged once (HTTP status and Vapi's error and message — a
 * string or an array of strings — or the network error) and returned as a
 * vapi_api_status; the key, the Twilio auth token and Vapi's answer bodies
 * (a phone number carries its twilioAuthToken) are never logged nor returned.
 *
 * Thread safety: every function may be called from any thread at once.
 */
#ifndef CREDENTIAL_VAULT_CLIENTS_VAPI_API_H
#define CREDENTIAL_VAULT_CLIENTS_VAPI_API_H

#include <stdbool.h>

typedef struct vapi_api_config {
    const char *base_url; /* VAPI_API_BASE_URL, default "https://api.vapi.ai" (chosen by the caller) */
    const char
        *private_key; /* VAPI_PRIVATE_KEY; NULL or "": every call fails with VAPI_API_ERROR, logged "VAPI_PRIVATE_KEY is not set" */
    long timeout_ms;
} vapi_api_config;

typedef enum {
    VAPI_API_OK = 0,
    VAPI_API_NOT_FOUND = 1, /* 404 on a delete: already gone (deletes treat it as done) */
    VAPI_API_REJECTED = -2, /* another 4xx (and a 404 on a create): Vapi refused the request (logged with its message,
                               string or array); also an id that may not go into a URL, refused without a call */
    VAPI_API_ERROR = -1,    /* network, timeout, 429, 5xx, unreadable */
} vapi_api_status;

#define VAPI_API_ID_MAX 100

/* True when id may go into a URL: 1..VAPI_API_ID_MAX characters, each of [A-Za-z0-9-]. */
bool vapi_api_id_valid(const char *id);

/* POST /credential {"provider":"twilio","accountSid","authToken","name"} → 201 with "id" copied into id (≤ 100 chars).
 * name NULL or "": omitted. */
vapi_api_status vapi_api_create_twilio_credential(const vapi_api_config *c, const char *account_sid, const char *auth_token,
                                                  const char *name, char id[VAPI_API_ID_MAX + 1], const char *request_id,
                                                  const char *org_id);

/* POST /phone-number {"provider":"twilio","number","twilioAccountSid","twilioAuthToken","name","server":{"url": server_url[,
 * "credentialId": server_credential_id]}} — no assistantId: inbound calls then send assistant-request.
 * server_credential_id may be NULL/"" (omitted); so may name. → 201, "id" into id. */
vapi_api_status vapi_api_import_twilio_number(const vapi_api_config *c, const char *number, const char *account_sid,
                                              const char *auth_token, const char *name, const char *server_url,
                                              const char *server_credential_id, char id[VAPI_API_ID_MAX + 1],
                                              const char *request_id, const char *org_id);

/* DELETE /credential/{id}, DELETE /phone-number/{id}: OK on 200 (any 2xx), NOT_FOUND on 404. */
vapi_api_status vapi_api_delete_credential(const vapi_api_config *c, const char *id, const char *request_id, const char *org_id);
vapi_api_status vapi_api_delete_phone_number(const vapi_api_config *c, const char *id, const char *request_id, const char *org_id);

#endif
