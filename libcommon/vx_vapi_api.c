/*
 * vx_vapi_api: Vapi's REST API over libcurl (see vx_vapi_api.h).
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
 * A list answer is parsed here and handed over whole (never logged); its
 * raw text is wiped like every other answer.
 */
#include "vx_vapi_api.h"

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

bool vx_vapi_api_id_valid(const char *id)
{
    if (id == NULL || id[0] == '\0')
        return false;
    size_t n = 0;
    for (const char *p = id; *p != '\0'; p++, n++) {
        char ch = *p;
        if (n >= VX_VAPI_API_ID_MAX ||
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
 * NULL the 2xx answer's "id" is copied into it (and must be a valid id);
 * when json is not NULL the 2xx answer, parsed, is handed over in *json
 * (unparsable: VX_VAPI_API_ERROR; handed over even when the id was not
 * readable: the caller frees it). With gone_on_404 (a delete, a get or a
 * patch of one object) 404 is VX_VAPI_API_NOT_FOUND, otherwise (a create)
 * VX_VAPI_API_REJECTED. When info is not NULL, the answer's status and
 * Retry-After go into it. 429, 5xx and no answer are VX_VAPI_API_ERROR here:
 * the assistant and tool functions tell them apart (finer()). */
static vx_vapi_api_status call(const vx_vapi_api_config *c, const char *method, const char *path, const char *body,
                               bool gone_on_404, size_t max_answer_bytes, char id[VX_VAPI_API_ID_MAX + 1], cJSON **json,
                               vx_vapi_api_answer *info, const char *what, const char *request_id, const char *org_id)
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
        .max_answer_bytes = max_answer_bytes,
    };
    vx_http_answer answer;
    const char *error = NULL;
    int rc = vx_http_perform(&req, &answer, &error);
    explicit_bzero(auth.data, auth.len);
    vx_buf_free(&auth);
    vx_buf_free(&url);
    if (info != NULL) {
        info->http_status = rc == 0 ? answer.status : 0;
        info->retry_after_s = rc == 0 ? answer.retry_after_s : 0;
    }
    if (rc != 0) {
        vx_log_warn(request_id, org_id, "vapi unreachable", "operation", what, "error", error);
        return VX_VAPI_API_ERROR;
    }
    vx_vapi_api_status st;
    if (answer.status >= 200 && answer.status <= 299) {
        st = VX_VAPI_API_OK;
        cJSON *obj = (id != NULL || json != NULL) && answer.body.data != NULL
                         ? cJSON_ParseWithLength(answer.body.data, answer.body.len)
                         : NULL;
        if (id != NULL) {
            const cJSON *got = cJSON_GetObjectItemCaseSensitive(obj, "id");
            if (cJSON_IsString(got) && vx_vapi_api_id_valid(got->valuestring)) {
                snprintf(id, VX_VAPI_API_ID_MAX + 1, "%s", got->valuestring);
            } else {
                /* Vapi may have made it: say so, the caller cannot delete what it cannot name. */
                vx_log_error(request_id, org_id, "vapi answered something unreadable (the object may exist on Vapi)", "operation",
                             what);
                st = VX_VAPI_API_ERROR;
            }
        }
        if (json != NULL && obj == NULL) {
            vx_log_warn(request_id, org_id, "vapi answered something unreadable", "operation", what);
            st = VX_VAPI_API_ERROR;
        } else if (json != NULL) {
            *json = obj;
            obj = NULL;
        }
        vx_secret_json_delete(obj);
    } else if (answer.status >= 400 && answer.status <= 499 && answer.status != 429) {
        log_refusal(what, answer.status, &answer.body, request_id, org_id);
        st = answer.status == 404 && gone_on_404 ? VX_VAPI_API_NOT_FOUND : VX_VAPI_API_REJECTED;
    } else {
        if (answer.status >= 400)
            log_refusal(what, answer.status, &answer.body, request_id, org_id);
        else
            vx_log_warn(request_id, org_id, "vapi answered something unreadable", "operation", what);
        st = VX_VAPI_API_ERROR;
    }
    vx_secret_buf_free(&answer.body);
    return st;
}

static bool have_key(const vx_vapi_api_config *c, const char *request_id, const char *org_id)
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
static vx_vapi_api_status create(const vx_vapi_api_config *c, const char *path, cJSON *obj, char id[VX_VAPI_API_ID_MAX + 1],
                                 const char *what, const char *request_id, const char *org_id)
{
    char *body = cJSON_PrintUnformatted(obj);
    vx_secret_json_delete(obj);
    if (body == NULL)
        abort(); /* out of memory */
    vx_vapi_api_status st = call(c, "POST", path, body, false, MAX_ANSWER_BYTES, id, NULL, NULL, what, request_id, org_id);
    vx_secret_free(body);
    return st;
}

vx_vapi_api_status vx_vapi_api_create_twilio_credential(const vx_vapi_api_config *c, const char *account_sid,
                                                        const char *auth_token, const char *name, char id[VX_VAPI_API_ID_MAX + 1],
                                                        const char *request_id, const char *org_id)
{
    id[0] = '\0';
    if (!have_key(c, request_id, org_id))
        return VX_VAPI_API_ERROR;
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "provider", "twilio");
    cJSON_AddStringToObject(obj, "accountSid", account_sid != NULL ? account_sid : "");
    cJSON_AddStringToObject(obj, "authToken", auth_token != NULL ? auth_token : "");
    add_optional(obj, "name", name);
    return create(c, "/credential", obj, id, "create credential", request_id, org_id);
}

vx_vapi_api_status vx_vapi_api_import_twilio_number(const vx_vapi_api_config *c, const char *number, const char *account_sid,
                                                    const char *auth_token, const char *name, const char *server_url,
                                                    const char *server_credential_id, char id[VX_VAPI_API_ID_MAX + 1],
                                                    const char *request_id, const char *org_id)
{
    id[0] = '\0';
    if (!have_key(c, request_id, org_id))
        return VX_VAPI_API_ERROR;
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

static vx_vapi_api_status delete_one(const vx_vapi_api_config *c, const char *kind, const char *id, const char *what,
                                     const char *request_id, const char *org_id)
{
    if (!have_key(c, request_id, org_id))
        return VX_VAPI_API_ERROR;
    if (!vx_vapi_api_id_valid(id)) {
        vx_log_warn(request_id, org_id, "vapi id is malformed: not sent", "operation", what);
        return VX_VAPI_API_REJECTED;
    }
    char path[32 + VX_VAPI_API_ID_MAX];
    snprintf(path, sizeof(path), "/%s/%s", kind, id);
    return call(c, "DELETE", path, NULL, true, MAX_ANSWER_BYTES, NULL, NULL, NULL, what, request_id, org_id);
}

vx_vapi_api_status vx_vapi_api_delete_credential(const vx_vapi_api_config *c, const char *id, const char *request_id,
                                                 const char *org_id)
{
    return delete_one(c, "credential", id, "delete credential", request_id, org_id);
}

vx_vapi_api_status vx_vapi_api_delete_phone_number(const vx_vapi_api_config *c, const char *id, const char *request_id,
                                                   const char *org_id)
{
    return delete_one(c, "phone-number", id, "delete phone number", request_id, org_id);
}

/* True when an ISO 8601 bound holds only the characters an instant needs. */
static bool iso_bound_valid(const char *s)
{
    if (s == NULL || s[0] == '\0' || strlen(s) > 40)
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        char ch = *p;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == ':' ||
              ch == '+' || ch == '-'))
            return false;
    }
    return true;
}

/* Appends s percent-encoded for a query value: only RFC 3986's unreserved
 * characters stay as they are (a '+' would read as a space, a ':' is encoded
 * too, as URLSearchParams does). */
static void put_query_value(vx_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        unsigned char ch = *p;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
            ch == '_' || ch == '~')
            vx_buf_putc(b, (char)ch);
        else
            vx_buf_printf(b, "%%%02X", ch);
    }
}

vx_vapi_api_status vx_vapi_api_list_calls(const vx_vapi_api_config *c, const char *created_after, const char *created_before,
                                          int limit, cJSON **calls, const char *request_id)
{
    *calls = NULL;
    if (!have_key(c, request_id, NULL))
        return VX_VAPI_API_ERROR;
    if (!iso_bound_valid(created_after) || (created_before != NULL && !iso_bound_valid(created_before))) {
        vx_log_warn(request_id, NULL, "vapi list bound is not an ISO 8601 instant: not sent", "operation", "list calls");
        return VX_VAPI_API_REJECTED;
    }
    if (limit < 1)
        limit = 1;
    if (limit > VX_VAPI_API_LIST_MAX)
        limit = VX_VAPI_API_LIST_MAX;
    vx_buf path = VX_BUF_INIT;
    vx_buf_printf(&path, "/call?limit=%d&createdAtGt=", limit);
    put_query_value(&path, created_after);
    if (created_before != NULL) {
        vx_buf_puts(&path, "&createdAtLt=");
        put_query_value(&path, created_before);
    }
    cJSON *answer = NULL;
    vx_vapi_api_status st =
        call(c, "GET", path.data, NULL, false, VX_VAPI_API_LIST_MAX_BYTES, NULL, &answer, NULL, "list calls", request_id, NULL);
    vx_buf_free(&path);
    if (st == VX_VAPI_API_OK && !cJSON_IsArray(answer)) {
        vx_log_warn(request_id, NULL, "vapi answered something unreadable", "operation", "list calls");
        st = VX_VAPI_API_ERROR;
    }
    if (st != VX_VAPI_API_OK) {
        vx_secret_json_delete(answer);
        return st;
    }
    *calls = answer;
    return VX_VAPI_API_OK;
}

/* The first max code points of s (UTF-8), into out. */
static void put_code_points(vx_buf *out, const char *s, size_t max)
{
    size_t n = 0, i = 0;
    for (; s[i] != '\0'; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && n++ == max)
            break;
    }
    vx_buf_append(out, s, i);
}

/* A call status as Vapi writes them ("queued", "in-progress"): lower-case letters and '-'. */
static bool status_word(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(((vx_vapi_api_call *)NULL)->status))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
            return false;
    return true;
}

vx_vapi_api_status vx_vapi_api_create_call(const vx_vapi_api_config *c, const char *assistant_id, const char *phone_number_id,
                                           const char *customer_number, const char *customer_name, vx_vapi_api_call *out,
                                           const char *request_id, const char *org_id)
{
    memset(out, 0, sizeof(*out));
    if (!have_key(c, request_id, org_id))
        return VX_VAPI_API_ERROR;
    if (assistant_id == NULL || assistant_id[0] == '\0' || phone_number_id == NULL || phone_number_id[0] == '\0' ||
        customer_number == NULL || customer_number[0] == '\0') {
        vx_log_warn(request_id, org_id, "vapi call lacks its assistant, number or customer: not sent", "operation", "create call");
        return VX_VAPI_API_REJECTED;
    }
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "assistantId", assistant_id);
    cJSON_AddStringToObject(obj, "phoneNumberId", phone_number_id);
    cJSON *customer = cJSON_AddObjectToObject(obj, "customer");
    cJSON_AddStringToObject(customer, "number", customer_number);
    if (customer_name != NULL && customer_name[0] != '\0') {
        vx_buf name = VX_BUF_INIT;
        put_code_points(&name, customer_name, VX_VAPI_API_CUSTOMER_NAME_MAX);
        cJSON_AddStringToObject(customer, "name", name.data);
        vx_secret_buf_free(&name);
    }
    char *body = cJSON_PrintUnformatted(obj);
    vx_secret_json_delete(obj);
    if (body == NULL)
        abort(); /* out of memory */
    cJSON *answer = NULL;
    vx_vapi_api_answer info = {0, 0};
    vx_vapi_api_status st =
        call(c, "POST", "/call", body, false, MAX_ANSWER_BYTES, out->id, &answer, &info, "create call", request_id, org_id);
    vx_secret_free(body);
    out->http_status = info.http_status;
    out->retry_after_s = info.retry_after_s;
    if (st == VX_VAPI_API_OK) {
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(answer, "status");
        if (cJSON_IsString(status) && status_word(status->valuestring))
            snprintf(out->status, sizeof(out->status), "%s", status->valuestring);
    } else {
        out->id[0] = '\0';
    }
    /* A call answers with its customer's number: wiped like every answer. */
    vx_secret_json_delete(answer);
    return st;
}

/* ---- Assistants and tools ---- */

/* The assistant and tool functions' status: VX_VAPI_API_ERROR told apart by what came back. */
static vx_vapi_api_status finer(vx_vapi_api_status st, const vx_vapi_api_answer *info)
{
    if (st != VX_VAPI_API_ERROR)
        return st;
    if (info->http_status == 429)
        return VX_VAPI_API_RATE_LIMITED;
    if (info->http_status == 0 || info->http_status >= 500)
        return VX_VAPI_API_UNAVAILABLE;
    return st;
}

/* What one request on an assistant or a tool needs. */
typedef struct object_request {
    const char *method;
    const char *kind;  /* "assistant", "tool" */
    const char *id;    /* with one: the object's (required, checked) */
    bool one;          /* about one object (get, patch, delete), not the collection (create, list) */
    int limit;         /* > 0: a list, ?limit=limit */
    const cJSON *body; /* NULL: none */
    bool without_type; /* send body without its "type" (a tool's PATCH) */
    char *new_id;      /* a create: the answer's id into it */
    cJSON **out;       /* NULL: the answer is not kept */
    const char *what;  /* for logs: "patch assistant" */
} object_request;

static vx_vapi_api_status object_call(const vx_vapi_api_config *c, const object_request *o, vx_vapi_api_answer *answer,
                                      const char *request_id, const char *org_id)
{
    vx_vapi_api_answer local;
    if (answer == NULL)
        answer = &local;
    answer->http_status = 0;
    answer->retry_after_s = 0;
    if (o->out != NULL)
        *o->out = NULL;
    if (o->new_id != NULL)
        o->new_id[0] = '\0';
    if (!have_key(c, request_id, org_id))
        return VX_VAPI_API_ERROR;
    if (o->one && !vx_vapi_api_id_valid(o->id)) {
        vx_log_warn(request_id, org_id, "vapi id is malformed: not sent", "operation", o->what);
        return VX_VAPI_API_REJECTED;
    }
    char *body = NULL;
    if (o->body != NULL || strcmp(o->method, "POST") == 0 || strcmp(o->method, "PATCH") == 0) {
        if (!cJSON_IsObject(o->body)) {
            vx_log_warn(request_id, org_id, "vapi request body is not an object: not sent", "operation", o->what);
            return VX_VAPI_API_REJECTED;
        }
        if (o->without_type) {
            cJSON *copy = cJSON_Duplicate(o->body, true);
            if (copy == NULL)
                abort(); /* out of memory */
            cJSON_DeleteItemFromObjectCaseSensitive(copy, "type");
            body = cJSON_PrintUnformatted(copy);
            vx_secret_json_delete(copy);
        } else {
            body = cJSON_PrintUnformatted(o->body);
        }
        if (body == NULL)
            abort(); /* out of memory */
    }
    vx_buf path = VX_BUF_INIT;
    vx_buf_printf(&path, "/%s", o->kind);
    if (o->one)
        vx_buf_printf(&path, "/%s", o->id);
    if (o->limit > 0)
        vx_buf_printf(&path, "?limit=%d", o->limit);
    cJSON *got = NULL;
    bool list = o->limit > 0;
    vx_vapi_api_status st =
        call(c, o->method, path.data, body, o->one, list ? VX_VAPI_API_LIST_MAX_BYTES : VX_VAPI_API_OBJECT_MAX_BYTES, o->new_id,
             o->out != NULL || list ? &got : NULL, answer, o->what, request_id, org_id);
    vx_buf_free(&path);
    vx_secret_free(body);
    if (st == VX_VAPI_API_OK && got != NULL && (list ? !cJSON_IsArray(got) : !cJSON_IsObject(got))) {
        vx_log_warn(request_id, org_id, "vapi answered something unreadable", "operation", o->what);
        st = VX_VAPI_API_ERROR;
    }
    if (st != VX_VAPI_API_OK) {
        vx_secret_json_delete(got);
        if (o->new_id != NULL)
            o->new_id[0] = '\0';
        return finer(st, answer);
    }
    if (o->out != NULL)
        *o->out = got;
    else
        vx_secret_json_delete(got);
    return VX_VAPI_API_OK;
}

static int clamp_limit(int limit)
{
    return limit < 1 ? 1 : limit > VX_VAPI_API_LIST_MAX ? VX_VAPI_API_LIST_MAX : limit;
}

vx_vapi_api_status vx_vapi_api_create_assistant(const vx_vapi_api_config *c, const cJSON *assistant,
                                                char id[VX_VAPI_API_ID_MAX + 1], cJSON **created, vx_vapi_api_answer *answer,
                                                const char *request_id, const char *org_id)
{
    object_request o = {
        .method = "POST", .kind = "assistant", .body = assistant, .new_id = id, .out = created, .what = "create assistant"};
    return object_call(c, &o, answer, request_id, org_id);
}

vx_vapi_api_status vx_vapi_api_get_assistant(const vx_vapi_api_config *c, const char *id, cJSON **assistant,
                                             vx_vapi_api_answer *answer, const char *request_id, const char *org_id)
{
    object_request o = {.method = "GET", .kind = "assistant", .id = id, .one = true, .out = assistant, .what = "get assistant"};
    return object_call(c, &o, answer, request_id, org_id);
}

vx_vapi_api_status vx_vapi_api_patch_assistant(const vx_vapi_api_config *c, const char *id, const cJSON *changes, cJSON **updated,
                                               vx_vapi_api_answer *answer, const char *request_id, const char *org_id)
{
    object_request o = {
        .method = "PATCH", .kind = "assistant", .id = id, .one = true, .body = changes, .out = updated, .what = "patch assistant"};
    return object_call(c, &o, answer, request_id, org_id);
}

vx_vapi_api_status vx_vapi_api_delete_assistant(const vx_vapi_api_config *c, const char *id, vx_vapi_api_answer *answer,
                                                const char *request_id, const char *org_id)
{
    object_request o = {.method = "DELETE", .kind = "assistant", .id = id, .one = true, .what = "delete assistant"};
    return object_call(c, &o, answer, request_id, org_id);
}

vx_vapi_api_status vx_vapi_api_list_assistants(const vx_vapi_api_config *c, int limit, cJSON **assistants,
                                               vx_vapi_api_answer *answer, const char *request_id)
{
    object_request o = {
        .method = "GET", .kind = "assistant", .limit = clamp_limit(limit), .out = assistants, .what = "list assistants"};
    return object_call(c, &o, answer, request_id, NULL);
}

vx_vapi_api_status vx_vapi_api_create_tool(const vx_vapi_api_config *c, const cJSON *tool, char id[VX_VAPI_API_ID_MAX + 1],
                                           cJSON **created, vx_vapi_api_answer *answer, const char *request_id, const char *org_id)
{
    object_request o = {.method = "POST", .kind = "tool", .body = tool, .new_id = id, .out = created, .what = "create tool"};
    return object_call(c, &o, answer, request_id, org_id);
}

vx_vapi_api_status vx_vapi_api_get_tool(const vx_vapi_api_config *c, const char *id, cJSON **tool, vx_vapi_api_answer *answer,
                                        const char *request_id, const char *org_id)
{
    object_request o = {.method = "GET", .kind = "tool", .id = id, .one = true, .out = tool, .what = "get tool"};
    return object_call(c, &o, answer, request_id, org_id);
}

vx_vapi_api_status vx_vapi_api_patch_tool(const vx_vapi_api_config *c, const char *id, const cJSON *changes, cJSON **updated,
                                          vx_vapi_api_answer *answer, const char *request_id, const char *org_id)
{
    object_request o = {.method = "PATCH",
                        .kind = "tool",
                        .id = id,
                        .one = true,
                        .body = changes,
                        .without_type = true,
                        .out = updated,
                        .what = "patch tool"};
    return object_call(c, &o, answer, request_id, org_id);
}

vx_vapi_api_status vx_vapi_api_delete_tool(const vx_vapi_api_config *c, const char *id, vx_vapi_api_answer *answer,
                                           const char *request_id, const char *org_id)
{
    object_request o = {.method = "DELETE", .kind = "tool", .id = id, .one = true, .what = "delete tool"};
    return object_call(c, &o, answer, request_id, org_id);
}

vx_vapi_api_status vx_vapi_api_list_tools(const vx_vapi_api_config *c, int limit, cJSON **tools, vx_vapi_api_answer *answer,
                                          const char *request_id)
{
    object_request o = {.method = "GET", .kind = "tool", .limit = clamp_limit(limit), .out = tools, .what = "list tools"};
    return object_call(c, &o, answer, request_id, NULL);
}

/* ---- The model merge (pure) ---- */

bool vx_vapi_api_tool_type_native(const char *type)
{
    return type != NULL && (strchr(type, '.') != NULL || strcmp(type, "make") == 0 || strcmp(type, "ghl") == 0);
}

static bool listed(const char *s, const char *const *list)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

static void default_string(cJSON *model, const char *key, const char *value)
{
    if (value == NULL || cJSON_IsString(cJSON_GetObjectItemCaseSensitive(model, key)))
        return;
    cJSON_DeleteItemFromObjectCaseSensitive(model, key);
    cJSON_AddStringToObject(model, key, value);
}

/* Sets the first system message's content to prompt, or puts one first. */
static void put_system_prompt(cJSON *model, const char *prompt)
{
    cJSON_DeleteItemFromObjectCaseSensitive(model, "systemPrompt");
    cJSON *messages = cJSON_GetObjectItemCaseSensitive(model, "messages");
    if (!cJSON_IsArray(messages)) {
        cJSON_DeleteItemFromObjectCaseSensitive(model, "messages");
        messages = cJSON_AddArrayToObject(model, "messages");
    }
    cJSON *m;
    cJSON_ArrayForEach(m, messages)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        if (cJSON_IsObject(m) && cJSON_IsString(role) && strcmp(role->valuestring, "system") == 0) {
            cJSON_DeleteItemFromObjectCaseSensitive(m, "content");
            cJSON_AddStringToObject(m, "content", prompt);
            return;
        }
    }
    cJSON *system = cJSON_CreateObject();
    cJSON_AddStringToObject(system, "role", "system");
    cJSON_AddStringToObject(system, "content", prompt);
    cJSON_InsertItemInArray(messages, 0, system);
}

static void add_once(cJSON *ids, const char *id)
{
    const cJSON *kept;
    cJSON_ArrayForEach(kept, ids)
    {
        if (strcmp(kept->valuestring, id) == 0)
            return;
    }
    cJSON_AddItemToArray(ids, cJSON_CreateString(id));
}

/* toolIds: the existing ones not in ours or drop, then ours, each once. */
static void merge_tool_ids(cJSON *model, const char *const *ours, const char *const *drop)
{
    cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(model, "toolIds");
    cJSON *ids = cJSON_CreateArray();
    const cJSON *from = cJSON_IsArray(old) ? old : NULL, *id;
    cJSON_ArrayForEach(id, from)
    {
        if (cJSON_IsString(id) && !listed(id->valuestring, ours) && !listed(id->valuestring, drop))
            add_once(ids, id->valuestring);
    }
    for (size_t i = 0; ours != NULL && ours[i] != NULL; i++)
        add_once(ids, ours[i]);
    if (cJSON_GetArraySize(ids) == 0 && old == NULL)
        cJSON_Delete(ids);
    else
        cJSON_AddItemToObject(model, "toolIds", ids);
    cJSON_Delete(old);
}

static void drop_native_tools(cJSON *model)
{
    cJSON *tools = cJSON_GetObjectItemCaseSensitive(model, "tools");
    if (!cJSON_IsArray(tools))
        return;
    cJSON *t = tools->child;
    while (t != NULL) {
        cJSON *next = t->next;
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(t, "type");
        if (cJSON_IsString(type) && vx_vapi_api_tool_type_native(type->valuestring))
            cJSON_Delete(cJSON_DetachItemViaPointer(tools, t));
        t = next;
    }
}

cJSON *vx_vapi_api_model_merge(const cJSON *existing, const char *default_provider, const char *default_model,
                               const char *system_prompt, const char *const *ours, const char *const *drop)
{
    cJSON *model = cJSON_IsObject(existing) ? cJSON_Duplicate(existing, true) : cJSON_CreateObject();
    if (model == NULL)
        abort(); /* out of memory */
    default_string(model, "provider", default_provider);
    default_string(model, "model", default_model);
    if (system_prompt != NULL)
        put_system_prompt(model, system_prompt);
    merge_tool_ids(model, ours, drop);
    drop_native_tools(model);
    return model;
}
