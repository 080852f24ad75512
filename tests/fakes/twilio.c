/*
 * twilio: a wire-faithful fake of Twilio's REST API 2010-04-01 for tests
 * (contracts/providers.md §1, §1c, §1d), as a standalone program: the reads
 * the credential vault makes to check an owner's Twilio credentials.
 *
 *   TWILIO_FAKE_PORT   port on 127.0.0.1 (required)
 *
 * API (HTTP Basic: Account SID as user, Auth Token as password):
 *   GET /2010-04-01/Accounts/{AccountSid}.json
 *       → 200 the account: sid, friendly_name, status (active|suspended|closed), type ("Full"),
 *         auth_token (Twilio returns it: a client must never log it), owner_account_sid,
 *         date_created, date_updated (RFC 2822), uri, subresource_uris
 *   GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json[?PhoneNumber=…&PageSize=…&Page=…]
 *       → 200 the list envelope {"incoming_phone_numbers":[…],"end","first_page_uri","next_page_uri",
 *         "page","page_size","previous_page_uri","start","uri"}. PhoneNumber is a pattern, as
 *         Twilio's: it matches anywhere in the number and '*' stands for any digit (so a client
 *         must compare phone_number itself); a '+' sent unencoded reads as a space and matches nothing.
 *   The same paths without ".json" answer 200 in XML (<TwilioResponse>…), as the 2010 API does.
 * Errors, in Twilio's shape {"code","message","more_info","status"} (XML without ".json"):
 *   wrong or missing credentials → 401 code 20003 "Authenticate" (+ WWW-Authenticate: Basic);
 *   another account's resources or an unknown path → 404 code 20404; a method other than GET on a
 *   known resource → 405 code 20004.
 *
 * Test control (no auth):
 *   POST /_fake/accounts {"sid","authToken","status"?:"active","friendlyName"?,"type"?:"Full","numbers":["+1…"]}
 *        registers (or replaces) an account and its incoming numbers
 *        → 200 {"sid","numbers":[{"phoneNumber","sid":"PN…"}]}
 *   POST /_fake/fail {"status","count"}   the next count API calls answer status with Twilio's error body
 *                                         (401 → 20003, 404 → 20404, 429 → 20429, 500 → 20500, 503 → 20503)
 *   POST /_fake/slow {"delay_ms","count"}  the next count API calls wait delay_ms, then answer normally
 *   GET  /_fake/requests                  {"items":[{"method","path","auth_ok"}…]} API calls in order (path with
 *                                         its query; never a credential)
 *   POST /_fake/reset                     forgets everything
 *
 * Design: routes on tests/support/fake_http's server, one mutex over the
 * state (cJSON documents); SIGTERM stops it, frees everything and exits 0.
 * Logs carry method, path and status only (fake_http), never a credential.
 */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake_http.h"
#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_log.h"
#include "vx_query.h"

#define PREFIX "/2010-04-01/Accounts/"

static struct {
    pthread_mutex_t lock;
    cJSON *accounts; /* array of
                        {"sid","authToken","status","friendlyName","type","created","numbers":[{"phone_number","sid","created"}]} */
    cJSON *requests; /* array of {"method","path","auth_ok"} */
    int fail_status, fail_count;
    int slow_ms, slow_count; /* the next slow_count API calls wait slow_ms first, then answer normally */
} S = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* RFC 2822, as Twilio writes dates. */
static void rfc2822_now(char out[40])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 40, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static void new_sid(const char *prefix, char out[35])
{
    uint8_t raw[16];
    vx_random_bytes(raw, sizeof(raw));
    memcpy(out, prefix, 2);
    vx_hex_encode(raw, sizeof(raw), out + 2);
}

static const char *str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* "incoming_phone_numbers" → "IncomingPhoneNumbers": Twilio's XML element names. */
static void pascal(vx_buf *out, const char *key)
{
    bool up = true;
    for (const char *p = key; *p != '\0'; p++) {
        if (*p == '_') {
            up = true;
            continue;
        }
        vx_buf_putc(out, up && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p);
        up = false;
    }
}

static void xml_text(vx_buf *out, const char *s)
{
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '&')
            vx_buf_puts(out, "&amp;");
        else if (*p == '<')
            vx_buf_puts(out, "&lt;");
        else if (*p == '>')
            vx_buf_puts(out, "&gt;");
        else
            vx_buf_putc(out, *p);
    }
}

/* One JSON member as Twilio's XML: objects nest, an array's items take the singular name. */
static void xml_item(vx_buf *out, const char *name, const cJSON *v)
{
    vx_buf tag = VX_BUF_INIT;
    pascal(&tag, name);
    if (cJSON_IsNull(v)) {
        vx_buf_printf(out, "<%s/>", tag.data);
    } else if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        vx_buf_printf(out, "<%s>", tag.data);
        char single[128];
        snprintf(single, sizeof(single), "%s", name);
        size_t n = strlen(single);
        if (n > 1 && single[n - 1] == 's')
            single[n - 1] = '\0';
        const cJSON *m;
        cJSON_ArrayForEach(m, v) xml_item(out, cJSON_IsArray(v) ? single : m->string, m);
        vx_buf_printf(out, "</%s>", tag.data);
    } else if (cJSON_IsString(v)) {
        vx_buf_printf(out, "<%s>", tag.data);
        xml_text(out, v->valuestring);
        vx_buf_printf(out, "</%s>", tag.data);
    } else if (cJSON_IsBool(v)) {
        vx_buf_printf(out, "<%s>%s</%s>", tag.data, cJSON_IsTrue(v) ? "true" : "false", tag.data);
    } else {
        vx_buf_printf(out, "<%s>%.0f</%s>", tag.data, v->valuedouble, tag.data);
    }
    vx_buf_free(&tag);
}

/* Answers json (which it frees), in XML when the path had no ".json". */
static void answer(fake_response *r, int status, const char *xml_root, cJSON *json, bool as_xml)
{
    if (!as_xml) {
        fake_json_body(r, status, json);
        return;
    }
    r->status = status;
    r->content_type = "application/xml";
    vx_buf_puts(&r->body, "<?xml version='1.0' encoding='UTF-8'?>\n<TwilioResponse>");
    if (xml_root != NULL) {
        xml_item(&r->body, xml_root, json);
    } else {
        const cJSON *m;
        cJSON_ArrayForEach(m, json) xml_item(&r->body, m->string, m);
    }
    vx_buf_puts(&r->body, "</TwilioResponse>");
    cJSON_Delete(json);
}

/* Twilio's error body: {"code","message","more_info","status"}. */
static void twilio_error(fake_response *r, int status, int code, const char *message, bool as_xml)
{
    char more[96];
    snprintf(more, sizeof(more), "https://www.twilio.com/docs/errors/%d", code);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", message);
    cJSON_AddStringToObject(e, "more_info", more);
    cJSON_AddNumberToObject(e, "status", status);
    if (status == 401)
        r->extra_headers = "WWW-Authenticate: Basic realm=\"Twilio API\"\r\n";
    answer(r, status, "rest_exception", e, as_xml);
}

static cJSON *find_account(const char *sid)
{
    cJSON *a;
    cJSON_ArrayForEach(a, S.accounts)
    {
        if (sid != NULL && strcmp(str(a, "sid"), sid) == 0)
            return a;
    }
    return NULL;
}

/* The account whose SID and token the Basic credentials hold, or NULL. */
static cJSON *authenticate(const char *header)
{
    if (strncmp(header, "Basic ", 6) != 0)
        return NULL;
    /* Standard base64 → base64url without padding, which libcommon decodes strictly. */
    char b64[1024];
    size_t n = 0;
    for (const char *p = header + 6; *p != '\0' && *p != '=' && n + 1 < sizeof(b64); p++)
        b64[n++] = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    b64[n] = '\0';
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    if (vx_base64url_decode(b64, n, &raw, &raw_len) != 0)
        return NULL;
    char *colon = memchr(raw, ':', raw_len);
    cJSON *account = NULL;
    if (colon != NULL) {
        *colon = '\0';
        cJSON *a = find_account((const char *)raw);
        const char *token = a != NULL ? str(a, "authToken") : NULL;
        if (token != NULL && strlen(colon + 1) == strlen(token) && vx_ct_equal(colon + 1, strlen(token), token, strlen(token)))
            account = a;
    }
    explicit_bzero(raw, raw_len);
    free(raw);
    return account;
}

static cJSON *account_json(const cJSON *a)
{
    const char *sid = str(a, "sid");
    char uri[128];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "auth_token", str(a, "authToken"));
    cJSON_AddStringToObject(o, "date_created", str(a, "created"));
    cJSON_AddStringToObject(o, "date_updated", str(a, "created"));
    cJSON_AddStringToObject(o, "friendly_name", str(a, "friendlyName"));
    cJSON_AddStringToObject(o, "owner_account_sid", sid);
    cJSON_AddStringToObject(o, "sid", sid);
    cJSON_AddStringToObject(o, "status", str(a, "status"));
    cJSON *sub = cJSON_AddObjectToObject(o, "subresource_uris");
    static const char *const subs[][2] = {{"incoming_phone_numbers", "IncomingPhoneNumbers"},
                                          {"messages", "Messages"},
                                          {"calls", "Calls"},
                                          {"outgoing_caller_ids", "OutgoingCallerIds"}};
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        snprintf(uri, sizeof(uri), PREFIX "%s/%s.json", sid, subs[i][1]);
        cJSON_AddStringToObject(sub, subs[i][0], uri);
    }
    cJSON_AddStringToObject(o, "type", str(a, "type"));
    snprintf(uri, sizeof(uri), PREFIX "%s.json", sid);
    cJSON_AddStringToObject(o, "uri", uri);
    return o;
}

static cJSON *number_json(const cJSON *a, const cJSON *n)
{
    const char *sid = str(a, "sid"), *pn = str(n, "sid");
    char uri[128];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "account_sid", sid);
    cJSON_AddNullToObject(o, "address_sid");
    cJSON_AddStringToObject(o, "address_requirements", "none");
    cJSON_AddStringToObject(o, "api_version", "2010-04-01");
    cJSON_AddBoolToObject(o, "beta", false);
    cJSON *caps = cJSON_AddObjectToObject(o, "capabilities");
    cJSON_AddBoolToObject(caps, "voice", true);
    cJSON_AddBoolToObject(caps, "sms", true);
    cJSON_AddBoolToObject(caps, "mms", true);
    cJSON_AddBoolToObject(caps, "fax", false);
    cJSON_AddStringToObject(o, "date_created", str(n, "created"));
    cJSON_AddStringToObject(o, "date_updated", str(n, "created"));
    cJSON_AddNullToObject(o, "emergency_address_sid");
    cJSON_AddStringToObject(o, "emergency_status", "Inactive");
    cJSON_AddStringToObject(o, "friendly_name", str(n, "phone_number"));
    cJSON_AddNullToObject(o, "identity_sid");
    cJSON_AddStringToObject(o, "origin", "twilio");
    cJSON_AddStringToObject(o, "phone_number", str(n, "phone_number"));
    cJSON_AddStringToObject(o, "sid", pn);
    cJSON_AddStringToObject(o, "sms_application_sid", "");
    cJSON_AddStringToObject(o, "sms_fallback_method", "POST");
    cJSON_AddStringToObject(o, "sms_fallback_url", "");
    cJSON_AddStringToObject(o, "sms_method", "POST");
    cJSON_AddStringToObject(o, "sms_url", "");
    cJSON_AddStringToObject(o, "status", "in-use");
    cJSON_AddStringToObject(o, "status_callback", "");
    cJSON_AddStringToObject(o, "status_callback_method", "POST");
    cJSON_AddNullToObject(o, "trunk_sid");
    snprintf(uri, sizeof(uri), PREFIX "%s/IncomingPhoneNumbers/%s.json", sid, pn);
    cJSON_AddStringToObject(o, "uri", uri);
    cJSON_AddStringToObject(o, "voice_application_sid", "");
    cJSON_AddBoolToObject(o, "voice_caller_id_lookup", false);
    cJSON_AddStringToObject(o, "voice_fallback_method", "POST");
    cJSON_AddStringToObject(o, "voice_fallback_url", "");
    cJSON_AddStringToObject(o, "voice_method", "POST");
    cJSON_AddStringToObject(o, "voice_receive_mode", "voice");
    cJSON_AddStringToObject(o, "voice_url", "");
    return o;
}

/* Twilio's PhoneNumber filter: the pattern anywhere in the number, '*' for any digit. */
static bool number_matches(const char *number, const char *pattern)
{
    size_t n = strlen(number), m = strlen(pattern);
    for (size_t at = 0; at + m <= n; at++) {
        size_t i = 0;
        while (i < m && (pattern[i] == number[at + i] || (pattern[i] == '*' && number[at + i] >= '0' && number[at + i] <= '9')))
            i++;
        if (i == m)
            return true;
    }
    return false;
}

static void list_numbers(const cJSON *a, const fake_request *q, fake_response *r, bool as_xml)
{
    char pattern[128] = "";
    long page_size = 50, page = 0;
    if (vx_query_get(q->query, "PhoneNumber", pattern, sizeof(pattern)) == VX_QUERY_INVALID ||
        vx_query_long(q->query, "PageSize", 1, 1000, &page_size) == VX_QUERY_INVALID ||
        vx_query_long(q->query, "Page", 0, 100000, &page) == VX_QUERY_INVALID) {
        twilio_error(r, 400, 20001, "Invalid query parameter", as_xml);
        return;
    }
    cJSON *items = cJSON_CreateArray();
    long total = 0;
    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(a, "numbers"))
    {
        if (!number_matches(str(n, "phone_number"), pattern))
            continue;
        if (total >= page * page_size && total < (page + 1) * page_size)
            cJSON_AddItemToArray(items, number_json(a, n));
        total++;
    }
    vx_buf base = VX_BUF_INIT, query = VX_BUF_INIT;
    vx_buf_printf(&base, PREFIX "%s/IncomingPhoneNumbers.json?", str(a, "sid"));
    if (pattern[0] != '\0')
        vx_query_append(&query, "PhoneNumber", pattern);
    char uri[512];
    cJSON *o = cJSON_CreateObject();
    int count = cJSON_GetArraySize(items);
    cJSON_AddNumberToObject(o, "end", count > 0 ? (double)(page * page_size + count - 1) : 0);
    snprintf(uri, sizeof(uri), "%s%s%sPageSize=%ld&Page=0", base.data, query.len ? query.data : "", query.len ? "&" : "",
             page_size);
    cJSON_AddStringToObject(o, "first_page_uri", uri);
    cJSON_AddItemToObject(o, "incoming_phone_numbers", items);
    snprintf(uri, sizeof(uri), "%s%s%sPageSize=%ld&Page=%ld", base.data, query.len ? query.data : "", query.len ? "&" : "",
             page_size, page + 1);
    if ((page + 1) * page_size < total)
        cJSON_AddStringToObject(o, "next_page_uri", uri);
    else
        cJSON_AddNullToObject(o, "next_page_uri");
    cJSON_AddNumberToObject(o, "page", (double)page);
    cJSON_AddNumberToObject(o, "page_size", (double)page_size);
    snprintf(uri, sizeof(uri), "%s%s%sPageSize=%ld&Page=%ld", base.data, query.len ? query.data : "", query.len ? "&" : "",
             page_size, page - 1);
    if (page > 0)
        cJSON_AddStringToObject(o, "previous_page_uri", uri);
    else
        cJSON_AddNullToObject(o, "previous_page_uri");
    cJSON_AddNumberToObject(o, "start", (double)(page * page_size));
    snprintf(uri, sizeof(uri), "%s%s%sPageSize=%ld&Page=%ld", base.data, query.len ? query.data : "", query.len ? "&" : "",
             page_size, page);
    cJSON_AddStringToObject(o, "uri", uri);
    vx_buf_free(&base);
    vx_buf_free(&query);
    answer(r, 200, NULL, o, as_xml);
}

static int error_code(int status)
{
    switch (status) {
    case 401:
        return 20003;
    case 404:
        return 20404;
    case 429:
        return 20429;
    default:
        return 20000 + status;
    }
}

static const char *error_message(int status)
{
    switch (status) {
    case 401:
        return "Authenticate";
    case 404:
        return "The requested resource was not found";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return status >= 500 ? "Internal Server Error" : "Bad Request";
    }
}

/* An API call (state locked). */
static void api(fake_request *q, fake_response *r)
{
    char path[2048];
    snprintf(path, sizeof(path), "%.*s", (int)strcspn(q->path, "?"), q->path);
    size_t len = strlen(path);
    bool as_xml = !(len > 5 && strcmp(path + len - 5, ".json") == 0);
    if (!as_xml)
        path[len - 5] = '\0';
    cJSON *caller = authenticate(q->auth);
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "method", q->method);
    cJSON_AddStringToObject(entry, "path", q->path);
    cJSON_AddBoolToObject(entry, "auth_ok", caller != NULL);
    cJSON_AddItemToArray(S.requests, entry);
    if (S.fail_count > 0) {
        S.fail_count--;
        twilio_error(r, S.fail_status, error_code(S.fail_status), error_message(S.fail_status), as_xml);
        return;
    }
    if (caller == NULL) {
        twilio_error(r, 401, 20003, "Authenticate", as_xml);
        return;
    }
    char sid[64] = "", rest[64] = "";
    int parts = strncmp(path, PREFIX, strlen(PREFIX)) == 0 ? sscanf(path + strlen(PREFIX), "%63[^/]%63s", sid, rest) : 0;
    bool is_account = parts == 1, is_numbers = parts == 2 && strcmp(rest, "/IncomingPhoneNumbers") == 0;
    if ((!is_account && !is_numbers) || strcmp(sid, str(caller, "sid")) != 0) {
        char message[2100];
        snprintf(message, sizeof(message), "The requested resource %s was not found", q->path);
        twilio_error(r, 404, 20404, message, as_xml);
    } else if (strcmp(q->method, "GET") != 0) {
        twilio_error(r, 405, 20004, "Method not allowed", as_xml);
    } else if (is_account) {
        answer(r, 200, "account", account_json(caller), as_xml);
    } else {
        list_numbers(caller, q, r, as_xml);
    }
}

static void control_error(fake_response *r, int status, const char *message)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "error", message);
    fake_json_body(r, status, e);
}

/* POST /_fake/accounts */
static void register_account(const cJSON *in, fake_response *r)
{
    const char *sid = str(in, "sid"), *token = str(in, "authToken");
    const cJSON *numbers = cJSON_GetObjectItemCaseSensitive(in, "numbers");
    if (sid == NULL || sid[0] == '\0' || token == NULL || (numbers != NULL && !cJSON_IsArray(numbers))) {
        control_error(r, 400, "sid and authToken are required; numbers is an array of strings");
        return;
    }
    char created[40], pn[35];
    rfc2822_now(created);
    cJSON *a = cJSON_CreateObject(), *out = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "sid", sid);
    cJSON_AddStringToObject(a, "authToken", token);
    cJSON_AddStringToObject(a, "status", str(in, "status") != NULL ? str(in, "status") : "active");
    cJSON_AddStringToObject(a, "friendlyName",
                            str(in, "friendlyName") != NULL ? str(in, "friendlyName") : "My first Twilio account");
    cJSON_AddStringToObject(a, "type", str(in, "type") != NULL ? str(in, "type") : "Full");
    cJSON_AddStringToObject(a, "created", created);
    cJSON *list = cJSON_AddArrayToObject(a, "numbers");
    cJSON_AddStringToObject(out, "sid", sid);
    cJSON *out_numbers = cJSON_AddArrayToObject(out, "numbers");
    const cJSON *n;
    cJSON_ArrayForEach(n, numbers)
    {
        if (!cJSON_IsString(n))
            continue;
        new_sid("PN", pn);
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "phone_number", n->valuestring);
        cJSON_AddStringToObject(item, "sid", pn);
        cJSON_AddStringToObject(item, "created", created);
        cJSON_AddItemToArray(list, item);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "phoneNumber", n->valuestring);
        cJSON_AddStringToObject(o, "sid", pn);
        cJSON_AddItemToArray(out_numbers, o);
    }
    cJSON *old = find_account(sid);
    if (old != NULL)
        cJSON_ReplaceItemViaPointer(S.accounts, old, a);
    else
        cJSON_AddItemToArray(S.accounts, a);
    fake_json_body(r, 200, out);
}

static void control(const fake_request *q, fake_response *r)
{
    cJSON *in = cJSON_ParseWithLength(q->body, q->body_len);
    bool post = strcmp(q->method, "POST") == 0;
    if (strcmp(q->path, "/_fake/accounts") == 0 && post) {
        register_account(in, r);
    } else if (strcmp(q->path, "/_fake/fail") == 0 && post) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(in, "status"), *n = cJSON_GetObjectItemCaseSensitive(in, "count");
        S.fail_status = cJSON_IsNumber(st) ? st->valueint : 500;
        S.fail_count = cJSON_IsNumber(n) ? n->valueint : 1;
        r->status = 204;
    } else if (strcmp(q->path, "/_fake/slow") == 0 && post) {
        const cJSON *ms = cJSON_GetObjectItemCaseSensitive(in, "delay_ms"), *n = cJSON_GetObjectItemCaseSensitive(in, "count");
        S.slow_ms = cJSON_IsNumber(ms) ? ms->valueint : 0;
        S.slow_count = cJSON_IsNumber(n) ? n->valueint : 1;
        r->status = 204;
    } else if (strcmp(q->path, "/_fake/requests") == 0 && strcmp(q->method, "GET") == 0) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddItemToObject(out, "items", cJSON_Duplicate(S.requests, true));
        fake_json_body(r, 200, out);
    } else if (strcmp(q->path, "/_fake/reset") == 0 && post) {
        cJSON_Delete(S.accounts);
        cJSON_Delete(S.requests);
        S.accounts = cJSON_CreateArray();
        S.requests = cJSON_CreateArray();
        S.fail_count = 0;
        r->status = 204;
    } else {
        control_error(r, 404, "no such control endpoint");
    }
    cJSON_Delete(in);
}

static void route(fake_request *q, fake_response *r)
{
    pthread_mutex_lock(&S.lock);
    bool is_api = strncmp(q->path, "/_fake/", 7) != 0;
    if (is_api && S.slow_count > 0) {
        /* A slow Twilio: wait outside the lock, so control calls still answer. */
        int ms = S.slow_ms;
        S.slow_count--;
        pthread_mutex_unlock(&S.lock);
        usleep((useconds_t)ms * 1000);
        pthread_mutex_lock(&S.lock);
    }
    if (!is_api)
        control(q, r);
    else
        api(q, r);
    pthread_mutex_unlock(&S.lock);
}

int main(void)
{
    vx_log_init("twilio-fake");
    const char *port_s = getenv("TWILIO_FAKE_PORT");
    if (port_s == NULL || atoi(port_s) <= 0) {
        fprintf(stderr, "twilio fake: set TWILIO_FAKE_PORT\n");
        return 2;
    }
    S.accounts = cJSON_CreateArray();
    S.requests = cJSON_CreateArray();
    int rc = fake_http_serve(atoi(port_s), route);
    cJSON_Delete(S.accounts);
    cJSON_Delete(S.requests);
    return rc;
}
