/*
 * vapi_api: Vapi's REST API over libcurl (see vapi_api.h).
 *
 * Design: every operation is one request through call(), which owns the
 * secrets' lifetime: the Authorization header, the JSON body (it holds the
 * Twilio auth token) and the answer (a phone number comes back with its
 * twilioAuthToken) are wiped before they are freed, and nothing of them is
 * logged. An answer is classified in one place: any 2xx is success, 404 is
 * "gone" for a delete (and a refusal for a create, where it can only mean a
 * wrong base URL), 429 and 5xx are worth retrying later (Vapi publishes no
 * rate limit, contracts/vapi.md §4.6), and another 4xx is Vapi refusing
 * the request, logged with its NestJS "message" (a string or an array).
 */
#include "clients/vapi_api.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_http.h"
#include "vx_log.h"
#include "vx_secret.h"

#define MAX_ANSWER_BYTES (256 * 1024)
/* Vapi's validation messages are short; more than this is cut in the log line. */
#define MAX_LOGGED_MESSAGE 300

bool vapi_api_id_valid(const char *id)
{
    if (id == NULL || id[0] == '\0')
        return false;
    size_t n = 0;
    for (const char *p = id; *p != '\0'; p++, n++) {
        char ch = *p;
        if (n >= VAPI_API_ID_MAX ||
            !((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
            return false;
    }
    return true;
}

/* Logs Vapi's refusal: its "error" and "message" (a string, or an array joined with "; "). */
static void log_refusal(const char *what, long status, const vx_buf *body, const char *request_id, const char *org_id)
{
    char s[16];
    snprintf(s, sizeof(s), "%ld", status);
    cJSON *err = body->data != NULL ? cJSON_ParseWithLength(body->data, body->len) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(err, "error");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(err, "message");
    vx_buf message = VX_BUF_INIT;
    if (cJSON_IsString(m)) {
        vx_buf_puts(&message, m->valuestring);
    } else if (cJSON_IsArray(m)) {
        const cJSON *part;
        cJSON_ArrayForEach(part, m)
        {
            if (!cJSON_IsString(part))
                continue;
            if (message.len > 0)
                vx_buf_puts(&message, "; ");
            vx_buf_puts(&message, part->valuestring);
        }
    }
    if (message.len > MAX_LOGGED_MESSAGE) {
        message.len = MAX_LOGGED_MESSAGE;
        message.data[message.len] = '\0';
    }
    vx_log_warn(request_id, org_id, "vapi refused the request", "operation", what, "http_status", s, "vapi_error",
                cJSON_IsString(e) ? e->valuestring : NULL, "vapi_message", message.data);
    vx_buf_free(&message);
    cJSON_Delete(err);
}

/* One request: method on base + path, with body (NULL: none). When id is not
 * NULL the 2xx answer's "id" is copied into it (and must be a valid id).
 * A delete maps 404 to VAPI_API_NOT_FOUND, a create to VAPI_API_REJECTED. */
static vapi_api_status call(const vapi_api_config *c, const char *method, const char *path, const char *body, bool is_delete,
                            char id[VAPI_API_ID_MAX + 1], const char *what, const char *request_id, const char *org_id)
{
    vx_buf url = VX_BUF_INIT, auth = VX_BUF_INIT;
    const char *base = c->base_url != NULL && c->base_url[0] != '\0' ? c->base_url : "https://api.vapi.ai";
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    vx_buf_append(&url, base, n);
    vx_buf_puts(&url, path);
    vx_buf_printf(&auth, "Authorization: Bearer %s", c->private_key);
    /* The Content-Type only with a body: a DELETE has none. */
    const char *headers[] = {auth.data, "Accept: application/json", body != NULL ? "Content-Type: application/json" : NULL, NULL};
    vx_http_request req = {
        .method = method,
        .url = url.data,
        .headers = headers,
        .body = body,
        .timeout_ms = c->timeout_ms,
        .max_answer_bytes = MAX_ANSWER_BYTES,
    };
    vx_http_answer answer;
    const char *error = NULL;
    int rc = vx_http_perform(&req, &answer, &error);
    explicit_bzero(auth.data, auth.len);
    vx_buf_free(&auth);
    vx_buf_free(&url);
    if (rc != 0) {
        vx_log_warn(request_id, org_id, "vapi unreachable", "operation", what, "error", error);
        return VAPI_API_ERROR;
    }
    vapi_api_status st;
    if (answer.status >= 200 && answer.status <= 299) {
        st = VAPI_API_OK;
        if (id != NULL) {
            cJSON *obj = answer.body.data != NULL ? cJSON_ParseWithLength(answer.body.data, answer.body.len) : NULL;
            const cJSON *got = cJSON_GetObjectItemCaseSensitive(obj, "id");
            if (cJSON_IsString(got) && vapi_api_id_valid(got->valuestring)) {
                snprintf(id, VAPI_API_ID_MAX + 1, "%s", got->valuestring);
            } else {
                /* Vapi may have made it: say so, the caller cannot delete what it cannot name. */
                vx_log_error(request_id, org_id, "vapi answered something unreadable (the object may exist on Vapi)", "operation",
                             what);
                st = VAPI_API_ERROR;
            }
            vx_secret_json_delete(obj);
        }
    } else if (answer.status >= 400 && answer.status <= 499 && answer.status != 429) {
        log_refusal(what, answer.status, &answer.body, request_id, org_id);
        st = answer.status == 404 && is_delete ? VAPI_API_NOT_FOUND : VAPI_API_REJECTED;
    } else {
        if (answer.status >= 400)
            log_refusal(what, answer.status, &answer.body, request_id, org_id);
        else
            vx_log_warn(request_id, org_id, "vapi answered something unreadable", "operation", what);
        st = VAPI_API_ERROR;
    }
    vx_secret_buf_free(&answer.body);
    return st;
}

static bool have_key(const vapi_api_config *c, const char *request_id, const char *org_id)
{
    if (c != NULL && c->private_key != NULL && c->private_key[0] != '\0')
        return true;
    vx_log_error(request_id, org_id, "VAPI_PRIVATE_KEY is not set");
    return false;
}

static void add_optional(cJSON *obj, const char *key, const char *value)
{
    if (value != NULL && value[0] != '\0')
        cJSON_AddStringToObject(obj, key, value);
}

/* A create: body printed, sent, then wiped with the tree it came from. */
static vapi_api_status create(const vapi_api_config *c, const char *path, cJSON *obj, char id[VAPI_API_ID_MAX + 1],
                              const char *what, const char *request_id, const char *org_id)
{
    char *body = cJSON_PrintUnformatted(obj);
    vx_secret_json_delete(obj);
    if (body == NULL)
        abort(); /* out of memory */
    vapi_api_status st = call(c, "POST", path, body, false, id, what, request_id, org_id);
    vx_secret_free(body);
    return st;
}

vapi_api_status vapi_api_create_twilio_credential(const vapi_api_config *c, const char *account_sid, const char *auth_token,
                                                  const char *name, char id[VAPI_API_ID_MAX + 1], const char *request_id,
                                                  const char *org_id)
{
    id[0] = '\0';
    if (!have_key(c, request_id, org_id))
        return VAPI_API_ERROR;
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "provider", "twilio");
    cJSON_AddStringToObject(obj, "accountSid", account_sid != NULL ? account_sid : "");
    cJSON_AddStringToObject(obj, "authToken", auth_token != NULL ? auth_token : "");
    add_optional(obj, "name", name);
    return create(c, "/credential", obj, id, "create credential", request_id, org_id);
}

vapi_api_status vapi_api_import_twilio_number(const vapi_api_config *c, const char *number, const char *account_sid,
                                              const char *auth_token, const char *name, const char *server_url,
                                              const char *server_credential_id, char id[VAPI_API_ID_MAX + 1],
                                              const char *request_id, const char *org_id)
{
    id[0] = '\0';
    if (!have_key(c, request_id, org_id))
        return VAPI_API_ERROR;
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "provider", "twilio");
    cJSON_AddStringToObject(obj, "number", number != NULL ? number : "");
    cJSON_AddStringToObject(obj, "twilioAccountSid", account_sid != NULL ? account_sid : "");
    cJSON_AddStringToObject(obj, "twilioAuthToken", auth_token != NULL ? auth_token : "");
    add_optional(obj, "name", name);
    cJSON *server = cJSON_AddObjectToObject(obj, "server");
    cJSON_AddStringToObject(server, "url", server_url != NULL ? server_url : "");
    add_optional(server, "credentialId", server_credential_id);
    return create(c, "/phone-number", obj, id, "import phone number", request_id, org_id);
}

static vapi_api_status delete_one(const vapi_api_config *c, const char *kind, const char *id, const char *what,
                                  const char *request_id, const char *org_id)
{
    if (!have_key(c, request_id, org_id))
        return VAPI_API_ERROR;
    if (!vapi_api_id_valid(id)) {
        vx_log_warn(request_id, org_id, "vapi id is malformed: not sent", "operation", what);
        return VAPI_API_REJECTED;
    }
    char path[32 + VAPI_API_ID_MAX];
    snprintf(path, sizeof(path), "/%s/%s", kind, id);
    return call(c, "DELETE", path, NULL, true, NULL, what, request_id, org_id);
}

vapi_api_status vapi_api_delete_credential(const vapi_api_config *c, const char *id, const char *request_id, const char *org_id)
{
    return delete_one(c, "credential", id, "delete credential", request_id, org_id);
}

vapi_api_status vapi_api_delete_phone_number(const vapi_api_config *c, const char *id, const char *request_id, const char *org_id)
{
    return delete_one(c, "phone-number", id, "delete phone number", request_id, org_id);
}
