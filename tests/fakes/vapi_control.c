/*
 * vapi_control: a wire-faithful fake of Vapi's Live Call Control endpoint
 * (contracts/vapi.md §2.4, "Alternative: Live Call Control") for tests, as a
 * standalone program.
 *
 *   VAPI_FAKE_PORT   port on 127.0.0.1 (required)
 *
 * Control API, as Vapi serves it on a call's monitor.controlUrl (the URL is
 * the credential: no auth header):
 *   POST /{callId}/control  {"type":"transfer","destination":{"type":"number","number":"+…"}
 *                            | {"type":"sip","sipUri":"sip:…"},"content"?:"…"}
 *                           also "say" {"content"}, "end-call"
 *     → 200 {"message":"ok"}; a body Vapi's validation rejects → 400 in its
 *       NestJS shape {"message":["property x should not exist"],"error":"Bad Request",
 *       "statusCode":400}; an unknown call → 404.
 * Calls exist from their first command; /_fake/end marks one ended (404 from then on).
 *
 * Test control:
 *   GET  /_fake/commands                 {"items":[{"callId","command"}…]} accepted commands, in order
 *   POST /_fake/fail {"status","count"}  the next count commands answer status (Vapi's error shape)
 *   POST /_fake/end {"callId"}           the call is over
 *   POST /_fake/reset                    forgets everything
 */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_http.h"
#include "fake_vapi.h"
#include "vx_log.h"
#include "vx_validate.h"

static struct {
    pthread_mutex_t lock;
    cJSON *commands; /* array of {"callId","command"} */
    cJSON *ended;    /* array of call ids */
    int fail_status, fail_count;
} S = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Checks a command as Vapi's validation would; NULL when valid, else the message. */
static const char *invalid(const cJSON *cmd, char *buf, size_t n)
{
    static const char *const top[] = {"type", "destination", "content", NULL};
    static const char *const number[] = {"type", "number", "extension", "callerId", "message", "description", NULL};
    static const char *const sip[] = {"type", "sipUri", "sipHeaders", "message", "description", NULL};
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(cmd, "type");
    if (!cJSON_IsObject(cmd) || !cJSON_IsString(type))
        return "type must be a string";
    const char *extra = fake_vapi_extra_property(cmd, top);
    if (extra != NULL) {
        snprintf(buf, n, "property %s should not exist", extra);
        return buf;
    }
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(cmd, "content");
    if (content != NULL && !cJSON_IsString(content))
        return "content must be a string";
    if (strcmp(type->valuestring, "say") == 0 || strcmp(type->valuestring, "end-call") == 0)
        return NULL;
    if (strcmp(type->valuestring, "transfer") != 0)
        return "type must be one of the following values: say, add-message, control, end-call, transfer, handoff";
    const cJSON *dest = cJSON_GetObjectItemCaseSensitive(cmd, "destination");
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(dest, "type");
    if (!cJSON_IsObject(dest) || !cJSON_IsString(dtype))
        return "destination must be an object with a type";
    bool is_number = strcmp(dtype->valuestring, "number") == 0;
    if (!is_number && strcmp(dtype->valuestring, "sip") != 0)
        return "destination.type must be one of the following values: number, sip";
    extra = fake_vapi_extra_property(dest, is_number ? number : sip);
    if (extra != NULL) {
        snprintf(buf, n, "property destination.%s should not exist", extra);
        return buf;
    }
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(dest, is_number ? "number" : "sipUri");
    if (!cJSON_IsString(to) || (is_number ? !vx_is_e164(to->valuestring) : strncmp(to->valuestring, "sip", 3) != 0))
        return is_number ? "destination.number must be a valid phone number in the E.164 format"
                         : "destination.sipUri must be a valid SIP URI";
    return NULL;
}

static bool call_ended(const char *call_id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, S.ended)
    {
        if (strcmp(c->valuestring, call_id) == 0)
            return true;
    }
    return false;
}

static void command(const char *call_id, const fake_request *q, fake_response *r)
{
    if (S.fail_count > 0) {
        S.fail_count--;
        fake_vapi_error(r, S.fail_status, "fake failure", true);
        return;
    }
    if (call_ended(call_id)) {
        fake_vapi_error(r, 404, "Call not found or already ended", true);
        return;
    }
    cJSON *cmd = cJSON_ParseWithLength(q->body, q->body_len);
    char buf[160];
    const char *why = cmd == NULL ? "body must be JSON" : invalid(cmd, buf, sizeof(buf));
    if (why != NULL) {
        cJSON_Delete(cmd);
        fake_vapi_error(r, 400, why, true);
        return;
    }
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "callId", call_id);
    cJSON_AddItemToObject(entry, "command", cmd);
    cJSON_AddItemToArray(S.commands, entry);
    cJSON *ok = cJSON_CreateObject();
    cJSON_AddStringToObject(ok, "message", "ok");
    fake_json_body(r, 200, ok);
}

static void control(const fake_request *q, fake_response *r)
{
    cJSON *in = cJSON_ParseWithLength(q->body, q->body_len);
    if (strcmp(q->path, "/_fake/commands") == 0 && strcmp(q->method, "GET") == 0) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddItemToObject(out, "items", cJSON_Duplicate(S.commands, true));
        fake_json_body(r, 200, out);
    } else if (strcmp(q->path, "/_fake/fail") == 0 && strcmp(q->method, "POST") == 0) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(in, "status"), *n = cJSON_GetObjectItemCaseSensitive(in, "count");
        S.fail_status = cJSON_IsNumber(st) ? st->valueint : 500;
        S.fail_count = cJSON_IsNumber(n) ? n->valueint : 1;
        r->status = 204;
    } else if (strcmp(q->path, "/_fake/end") == 0 && strcmp(q->method, "POST") == 0 &&
               cJSON_IsString(cJSON_GetObjectItemCaseSensitive(in, "callId"))) {
        cJSON_AddItemToArray(S.ended, cJSON_CreateString(cJSON_GetObjectItemCaseSensitive(in, "callId")->valuestring));
        r->status = 204;
    } else if (strcmp(q->path, "/_fake/reset") == 0 && strcmp(q->method, "POST") == 0) {
        cJSON_Delete(S.commands);
        cJSON_Delete(S.ended);
        S.commands = cJSON_CreateArray();
        S.ended = cJSON_CreateArray();
        S.fail_count = 0;
        r->status = 204;
    } else {
        fake_vapi_error(r, 404, "no such control endpoint", true);
    }
    cJSON_Delete(in);
}

static void route(fake_request *q, fake_response *r)
{
    char call_id[256] = "", rest[16] = "";
    pthread_mutex_lock(&S.lock);
    if (strncmp(q->path, "/_fake/", 7) == 0)
        control(q, r);
    else if (strcmp(q->method, "POST") == 0 && sscanf(q->path, "/%255[^/]/contro%15s", call_id, rest) == 2 &&
             strcmp(rest, "l") == 0)
        command(call_id, q, r);
    else
        fake_vapi_error(r, 404, "Cannot handle this request", true);
    pthread_mutex_unlock(&S.lock);
}

int main(void)
{
    vx_log_init("vapi-control-fake");
    const char *port_s = getenv("VAPI_FAKE_PORT");
    if (port_s == NULL || atoi(port_s) <= 0) {
        fprintf(stderr, "vapi_control fake: set VAPI_FAKE_PORT\n");
        return 2;
    }
    S.commands = cJSON_CreateArray();
    S.ended = cJSON_CreateArray();
    int rc = fake_http_serve(atoi(port_s), route);
    cJSON_Delete(S.commands);
    cJSON_Delete(S.ended);
    return rc;
}
