/*
 * twilio: Twilio's REST API over libcurl (see twilio.h).
 *
 * Design: one GET through vx_http per check, with the Basic credentials in a
 * header built for that request and wiped as soon as it is sent (libcurl
 * keeps no copy past the call). An answer is classified in one place
 * (answer_status): 200 goes on to be read, 401/403 mean the credentials
 * are wrong, 404 that the account (or resource) is not there, and anything
 * else — 429 (Twilio's concurrency limit, code 20429, "safe to retry"), 5xx,
 * an answer that is not JSON — is an error worth retrying later. Only
 * Twilio's code and message are logged from an error body: the account
 * resource itself carries auth_token, so a 200 body is never logged.
 */
#include "clients/twilio.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_http.h"
#include "vx_log.h"
#include "vx_secret.h"
#include "vx_query.h"

/* A page of 50 numbers is ~100 KiB; the filter keeps it to a few. */
#define MAX_ANSWER_BYTES (512 * 1024)
/* Twilio's error messages are short; a longer one is cut in the log line. */
#define MAX_LOGGED_MESSAGE 200

bool twilio_sid_valid(const char *sid, const char *prefix)
{
    if (sid == NULL || prefix == NULL || strlen(prefix) != 2 || strncmp(sid, prefix, 2) != 0 || strlen(sid) != 34)
        return false;
    for (size_t i = 2; i < 34; i++)
        if (vx_hex_digit(sid[i]) < 0)
            return false;
    return true;
}

/* base without its trailing slashes, then "/2010-04-01/Accounts/<sid>". */
static void account_url(vx_buf *url, const char *base, const char *sid)
{
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    vx_buf_append(url, base, n);
    vx_buf_printf(url, "/2010-04-01/Accounts/%s", sid);
}

/* "Authorization: Basic base64(sid:token)", malloc'd; the caller wipes it. */
static char *basic_header(const char *sid, const char *token)
{
    vx_buf pair = VX_BUF_INIT;
    vx_buf_printf(&pair, "%s:%s", sid, token);
    char *b64 = vx_base64_encode((const uint8_t *)pair.data, pair.len);
    explicit_bzero(pair.data, pair.len);
    vx_buf_free(&pair);
    if (b64 == NULL)
        abort(); /* out of memory */
    vx_buf header = VX_BUF_INIT;
    vx_buf_printf(&header, "Authorization: Basic %s", b64);
    explicit_bzero(b64, strlen(b64));
    free(b64);
    return vx_buf_steal(&header);
}

/* Logs a refused request with Twilio's code and message (never the body as a whole). */
static void log_refusal(const char *what, long status, const vx_buf *body, const char *request_id, const char *org_id)
{
    char s[16], code[24] = "";
    snprintf(s, sizeof(s), "%ld", status);
    cJSON *err = body->data != NULL ? cJSON_ParseWithLength(body->data, body->len) : NULL;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(err, "code");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(err, "message");
    if (cJSON_IsNumber(c))
        snprintf(code, sizeof(code), "%.0f", c->valuedouble);
    char message[MAX_LOGGED_MESSAGE + 1] = "";
    if (cJSON_IsString(m))
        snprintf(message, sizeof(message), "%s", m->valuestring);
    vx_log_warn(request_id, org_id, "twilio refused the request", "operation", what, "http_status", s, "twilio_code",
                code[0] != '\0' ? code : NULL, "twilio_message", cJSON_IsString(m) ? message : NULL);
    cJSON_Delete(err);
}

/* GETs url with the account's credentials. TWILIO_OK with *json the parsed
 * 200 answer (the caller deletes it); any other outcome is logged. */
static twilio_status get_json(const char *url, const char *sid, const char *token, long timeout_ms, const char *what,
                              const char *request_id, const char *org_id, cJSON **json)
{
    *json = NULL;
    char *auth = basic_header(sid, token != NULL ? token : "");
    const char *headers[] = {auth, "Accept: application/json", NULL};
    vx_http_request req = {
        .method = "GET",
        .url = url,
        .headers = headers,
        .body = NULL,
        .timeout_ms = timeout_ms,
        .max_answer_bytes = MAX_ANSWER_BYTES,
    };
    vx_http_answer answer;
    const char *error = NULL;
    int rc = vx_http_perform(&req, &answer, &error);
    explicit_bzero(auth, strlen(auth));
    free(auth);
    if (rc != 0) {
        vx_log_warn(request_id, org_id, "twilio unreachable", "operation", what, "error", error);
        return TWILIO_ERROR;
    }
    twilio_status st = TWILIO_OK;
    if (answer.status == 200) {
        *json = answer.body.data != NULL ? cJSON_ParseWithLength(answer.body.data, answer.body.len) : NULL;
        if (!cJSON_IsObject(*json)) {
            vx_log_warn(request_id, org_id, "twilio answered something unreadable", "operation", what);
            cJSON_Delete(*json);
            *json = NULL;
            st = TWILIO_ERROR;
        }
    } else {
        log_refusal(what, answer.status, &answer.body, request_id, org_id);
        st = answer.status == 401 || answer.status == 403 ? TWILIO_REJECTED
             : answer.status == 404                       ? TWILIO_NOT_FOUND
                                                          : TWILIO_ERROR;
    }
    /* A 200 account answer holds the auth token: wiped, not just freed. */
    vx_secret_buf_free(&answer.body);
    return st;
}

/* A malformed SID cannot authenticate, and must not reach a URL. */
static bool check_sid(const char *sid, const char *what, const char *request_id, const char *org_id)
{
    if (twilio_sid_valid(sid, "AC"))
        return true;
    vx_log_warn(request_id, org_id, "twilio account sid is malformed", "operation", what);
    return false;
}

twilio_status twilio_fetch_account(const char *base_url, const char *account_sid, const char *auth_token, long timeout_ms,
                                   const char *request_id, const char *org_id)
{
    static const char what[] = "fetch account";
    if (!check_sid(account_sid, what, request_id, org_id))
        return TWILIO_REJECTED;
    vx_buf url = VX_BUF_INIT;
    account_url(&url, base_url != NULL ? base_url : "", account_sid);
    vx_buf_puts(&url, ".json");
    cJSON *account;
    twilio_status st = get_json(url.data, account_sid, auth_token, timeout_ms, what, request_id, org_id, &account);
    vx_buf_free(&url);
    if (st != TWILIO_OK)
        return st;
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(account, "sid");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(account, "status");
    if (!cJSON_IsString(sid) || strcmp(sid->valuestring, account_sid) != 0 || !cJSON_IsString(status)) {
        vx_log_warn(request_id, org_id, "twilio answered something unreadable", "operation", what);
        st = TWILIO_ERROR;
    } else if (strcmp(status->valuestring, "active") != 0) {
        vx_log_info(request_id, org_id, "twilio account is not active", "status", status->valuestring);
        st = TWILIO_INACTIVE;
    }
    /* The account resource carries auth_token: wipe it before freeing. */
    cJSON *token = cJSON_GetObjectItemCaseSensitive(account, "auth_token");
    if (cJSON_IsString(token))
        explicit_bzero(token->valuestring, strlen(token->valuestring));
    cJSON_Delete(account);
    return st;
}

twilio_status twilio_find_incoming_number(const char *base_url, const char *account_sid, const char *auth_token, const char *number,
                                          long timeout_ms, const char *request_id, const char *org_id, char number_sid[35])
{
    static const char what[] = "find incoming number";
    if (number_sid != NULL)
        number_sid[0] = '\0';
    if (!check_sid(account_sid, what, request_id, org_id))
        return TWILIO_REJECTED;
    if (number == NULL || number[0] == '\0')
        return TWILIO_NOT_FOUND;
    vx_buf url = VX_BUF_INIT, query = VX_BUF_INIT;
    account_url(&url, base_url != NULL ? base_url : "", account_sid);
    vx_query_append(&query, "PhoneNumber", number);
    vx_buf_printf(&url, "/IncomingPhoneNumbers.json?%s", query.data);
    vx_buf_free(&query);
    cJSON *list;
    twilio_status st = get_json(url.data, account_sid, auth_token, timeout_ms, what, request_id, org_id, &list);
    vx_buf_free(&url);
    if (st != TWILIO_OK)
        return st;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "incoming_phone_numbers");
    if (!cJSON_IsArray(items)) {
        vx_log_warn(request_id, org_id, "twilio answered something unreadable", "operation", what);
        cJSON_Delete(list);
        return TWILIO_ERROR;
    }
    st = TWILIO_NOT_FOUND;
    const cJSON *item;
    cJSON_ArrayForEach(item, items)
    {
        const cJSON *phone = cJSON_GetObjectItemCaseSensitive(item, "phone_number");
        if (!cJSON_IsString(phone) || strcmp(phone->valuestring, number) != 0)
            continue;
        const cJSON *sid = cJSON_GetObjectItemCaseSensitive(item, "sid");
        if (!cJSON_IsString(sid) || !twilio_sid_valid(sid->valuestring, "PN")) {
            vx_log_warn(request_id, org_id, "twilio answered something unreadable", "operation", what);
            st = TWILIO_ERROR;
            break;
        }
        if (number_sid != NULL)
            memcpy(number_sid, sid->valuestring, 35); /* 34 characters and the NUL, checked above */
        st = TWILIO_OK;
        break;
    }
    if (st == TWILIO_NOT_FOUND)
        vx_log_info(request_id, org_id, "twilio account has no such incoming number");
    cJSON_Delete(list);
    return st;
}
