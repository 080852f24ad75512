/*
 * google_calendar: a wire-faithful fake of the Google Calendar API v3 for
 * tests (contracts/providers.md §3), as a standalone program.
 *
 *   GOOGLE_FAKE_PORT   port on 127.0.0.1 (required)
 *   GOOGLE_FAKE_TOKEN  the one access token accepted as "Authorization: Bearer …" (required)
 *
 * Calendar API (paths with or without the /calendar/v3 prefix):
 *   POST   /freeBusy                                   → 200 calendar#freeBusy
 *   POST   /calendars/{calendarId}/events              → 200 calendar#event (409 on a taken client id)
 *   GET    /calendars/{calendarId}/events/{eventId}    → 200 (also a cancelled one), 404
 *   PATCH  /calendars/{calendarId}/events/{eventId}    → 200 full event, 404
 *   DELETE /calendars/{calendarId}/events/{eventId}    → 204 empty, 410 when deleted already, 404
 * A wrong or missing token gets Google's 401 authError body and a
 * WWW-Authenticate header; bad bodies get 400 with Google's nested error
 * shape; freeBusy merges scripted busy times with the calendar's events
 * (cancelled ones excluded), as the real service reflects created events.
 *
 * Test control (no auth):
 *   POST /_fake/busy {"calendarId","start","end"}   adds a busy interval (RFC 3339)
 *   POST /_fake/fail {"status","count","delay_ms"}  the next count API calls wait delay_ms, then
 *                                                  answer status with Google's error body (status 0: answer normally)
 *   GET  /_fake/events                              {"items":[event + "calendarId"…]} in creation order
 *   POST /_fake/reset                               forgets everything
 *
 * Design: routes on tests/support/fake_http's server, one mutex over the
 * state; SIGTERM stops it, frees everything and exits 0 (clean under ASan).
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
#include "vx_log.h"
#include "vx_time.h"

typedef struct event {
    char *calendar_id;
    cJSON *json; /* the event resource as answered */
    int64_t start_ms, end_ms;
} event;

typedef struct busy {
    char *calendar_id;
    int64_t start_ms, end_ms;
} busy;

static struct {
    pthread_mutex_t lock;
    event *events;
    size_t nevents;
    busy *busy;
    size_t nbusy;
    int fail_status, fail_count, fail_delay_ms;
    const char *token;
    unsigned seq;
} S = {.lock = PTHREAD_MUTEX_INITIALIZER};

typedef fake_request request;
typedef fake_response response;

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

/* RFC 3339 without milliseconds, as Google writes them. */
static void iso_seconds(int64_t ms, char out[25])
{
    vx_time_format_iso(ms, out);
    out[19] = 'Z';
    out[20] = '\0';
}

/* Google's error shape: {"error":{"errors":[{domain,reason,message}],"code","message"}}. */
static void google_error(response *r, int status, const char *domain, const char *reason, const char *message)
{
    cJSON *root = cJSON_CreateObject(), *err = cJSON_AddObjectToObject(root, "error");
    cJSON *item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "domain", domain);
    cJSON_AddStringToObject(item, "reason", reason);
    cJSON_AddStringToObject(item, "message", message);
    if (status == 401) {
        cJSON_AddStringToObject(item, "locationType", "header");
        cJSON_AddStringToObject(item, "location", "Authorization");
        r->extra_headers = "WWW-Authenticate: Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"\r\n";
    }
    cJSON_AddItemToArray(cJSON_AddArrayToObject(err, "errors"), item);
    cJSON_AddNumberToObject(err, "code", status);
    cJSON_AddStringToObject(err, "message", message);
    fake_json_body(r, status, root);
}

/* A Calendar time object: {"dateTime": RFC 3339 with offset} or {"date": "YYYY-MM-DD"}. */
static bool read_time(const cJSON *t, int64_t *ms)
{
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(t, "dateTime");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(t, "date");
    if (cJSON_IsString(dt))
        return vx_time_parse_iso(dt->valuestring, ms);
    if (cJSON_IsString(d) && strlen(d->valuestring) == 10) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%sT00:00:00Z", d->valuestring);
        return vx_time_parse_iso(buf, ms);
    }
    return false;
}

static bool base32hex_id(const char *id)
{
    size_t n = strlen(id);
    if (n < 5 || n > 1024)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'v') || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

static event *find_event(const char *cal, const char *id)
{
    for (size_t i = 0; i < S.nevents; i++) {
        const cJSON *eid = cJSON_GetObjectItemCaseSensitive(S.events[i].json, "id");
        if (strcmp(S.events[i].calendar_id, cal) == 0 && strcmp(eid->valuestring, id) == 0)
            return &S.events[i];
    }
    return NULL;
}

static void set_str(cJSON *o, const char *key, const char *value)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddStringToObject(o, key, value);
}

static void touch(cJSON *ev, bool created)
{
    char now[25], etag[32];
    iso_seconds(vx_now_ms(), now);
    snprintf(etag, sizeof(etag), "\"%u\"", ++S.seq);
    set_str(ev, "etag", etag);
    set_str(ev, "updated", now);
    if (created)
        set_str(ev, "created", now);
}

/* POST /calendars/{cal}/events */
static void events_insert(const char *cal, const request *q, response *r)
{
    cJSON *in = cJSON_ParseWithLength(q->body ? q->body : "", q->body_len);
    int64_t start, end;
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(in, "id");
    if (!cJSON_IsObject(in)) {
        google_error(r, 400, "global", "parseError", "Parse Error");
    } else if (!read_time(cJSON_GetObjectItemCaseSensitive(in, "start"), &start)) {
        google_error(r, 400, "global", "required", "Missing start time.");
    } else if (!read_time(cJSON_GetObjectItemCaseSensitive(in, "end"), &end)) {
        google_error(r, 400, "global", "required", "Missing end time.");
    } else if (end < start) {
        google_error(r, 400, "calendar", "timeRangeEmpty", "The specified time range is empty.");
    } else if (cid != NULL && (!cJSON_IsString(cid) || !base32hex_id(cid->valuestring))) {
        google_error(r, 400, "global", "invalid", "Invalid resource id value.");
    } else if (cid != NULL && find_event(cal, cid->valuestring) != NULL) {
        google_error(r, 409, "global", "duplicate", "The requested identifier already exists.");
    } else {
        char id[32], link[160], uid[64];
        if (cid != NULL)
            snprintf(id, sizeof(id), "%.31s", cid->valuestring);
        else
            snprintf(id, sizeof(id), "fk%08x%04x", (unsigned)rand(), ++S.seq & 0xffffu);
        for (char *p = id; *p; p++) /* keep generated ids base32hex */
            if (*p > 'v')
                *p = 'v';
        cJSON *ev = cJSON_Duplicate(in, true);
        set_str(ev, "kind", "calendar#event");
        set_str(ev, "id", id);
        set_str(ev, "status", "confirmed");
        snprintf(link, sizeof(link), "https://www.google.com/calendar/event?eid=%s", id);
        set_str(ev, "htmlLink", link);
        snprintf(uid, sizeof(uid), "%.31s@google.com", id);
        set_str(ev, "iCalUID", uid);
        set_str(ev, "eventType", "default");
        cJSON_DeleteItemFromObjectCaseSensitive(ev, "sequence");
        cJSON_AddNumberToObject(ev, "sequence", 0);
        cJSON *who = cJSON_CreateObject();
        cJSON_AddStringToObject(who, "email", strcmp(cal, "primary") == 0 ? "owner@example.com" : cal);
        cJSON_AddBoolToObject(who, "self", true);
        cJSON_AddItemToObject(ev, "creator", cJSON_Duplicate(who, true));
        cJSON_AddItemToObject(ev, "organizer", who);
        touch(ev, true);
        S.events = xrealloc(S.events, (S.nevents + 1) * sizeof(*S.events));
        S.events[S.nevents].calendar_id = strdup(cal);
        S.events[S.nevents].json = ev;
        S.events[S.nevents].start_ms = start;
        S.events[S.nevents].end_ms = end;
        S.nevents++;
        fake_json_body(r, 200, cJSON_Duplicate(ev, true)); /* 200, not 201 */
    }
    cJSON_Delete(in);
}

static void event_op(const char *cal, const char *id, const request *q, response *r)
{
    event *e = find_event(cal, id);
    if (e == NULL) {
        google_error(r, 404, "global", "notFound", "Not Found");
        return;
    }
    bool cancelled = strcmp(cJSON_GetObjectItemCaseSensitive(e->json, "status")->valuestring, "cancelled") == 0;
    if (strcmp(q->method, "GET") == 0) {
        fake_json_body(r, 200, cJSON_Duplicate(e->json, true));
    } else if (strcmp(q->method, "DELETE") == 0) {
        if (cancelled) {
            google_error(r, 410, "global", "deleted", "Resource has been deleted");
            return;
        }
        set_str(e->json, "status", "cancelled");
        touch(e->json, false);
        r->status = 204;
    } else if (strcmp(q->method, "PATCH") == 0) {
        cJSON *in = cJSON_ParseWithLength(q->body ? q->body : "", q->body_len);
        int64_t start = e->start_ms, end = e->end_ms;
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(in, "start"), *en = cJSON_GetObjectItemCaseSensitive(in, "end");
        if (!cJSON_IsObject(in) || (s != NULL && !read_time(s, &start)) || (en != NULL && !read_time(en, &end))) {
            google_error(r, 400, "global", "invalid", "Invalid value.");
        } else if (end < start) {
            google_error(r, 400, "calendar", "timeRangeEmpty", "The specified time range is empty.");
        } else {
            const cJSON *field;
            cJSON_ArrayForEach(field, in) /* patch semantics: given fields replace whole */
            {
                if (strcmp(field->string, "id") != 0 && strcmp(field->string, "kind") != 0) {
                    cJSON_DeleteItemFromObjectCaseSensitive(e->json, field->string);
                    cJSON_AddItemToObject(e->json, field->string, cJSON_Duplicate(field, true));
                }
            }
            e->start_ms = start;
            e->end_ms = end;
            cJSON *seq = cJSON_GetObjectItemCaseSensitive(e->json, "sequence");
            cJSON_SetNumberValue(seq, seq->valuedouble + 1);
            touch(e->json, false);
            fake_json_body(r, 200, cJSON_Duplicate(e->json, true));
        }
        cJSON_Delete(in);
    } else {
        google_error(r, 405, "global", "httpMethodNotAllowed", "Method Not Allowed");
    }
}

static int busy_cmp(const void *a, const void *b)
{
    const busy *x = a, *y = b;
    return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms;
}

/* POST /freeBusy */
static void freebusy(const request *q, response *r)
{
    cJSON *in = cJSON_ParseWithLength(q->body ? q->body : "", q->body_len);
    const cJSON *tmin = cJSON_GetObjectItemCaseSensitive(in, "timeMin"), *tmax = cJSON_GetObjectItemCaseSensitive(in, "timeMax");
    int64_t lo, hi;
    if (!cJSON_IsObject(in)) {
        google_error(r, 400, "global", "parseError", "Parse Error");
    } else if (!cJSON_IsString(tmin) || !vx_time_parse_iso(tmin->valuestring, &lo)) {
        google_error(r, 400, "global", "required", "Missing timeMin.");
    } else if (!cJSON_IsString(tmax) || !vx_time_parse_iso(tmax->valuestring, &hi)) {
        google_error(r, 400, "global", "required", "Missing timeMax.");
    } else if (hi <= lo) {
        google_error(r, 400, "calendar", "timeRangeEmpty", "The specified time range is empty.");
    } else {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "kind", "calendar#freeBusy");
        cJSON_AddStringToObject(out, "timeMin", tmin->valuestring);
        cJSON_AddStringToObject(out, "timeMax", tmax->valuestring);
        cJSON *cals = cJSON_AddObjectToObject(out, "calendars");
        const cJSON *item;
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(in, "items"))
        {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
            if (!cJSON_IsString(id) || cJSON_GetObjectItemCaseSensitive(cals, id->valuestring) != NULL)
                continue;
            busy *list = NULL;
            size_t n = 0;
            for (size_t i = 0; i < S.nbusy; i++)
                if (strcmp(S.busy[i].calendar_id, id->valuestring) == 0 && S.busy[i].start_ms < hi && S.busy[i].end_ms > lo) {
                    list = xrealloc(list, (n + 1) * sizeof(*list));
                    list[n++] = S.busy[i];
                }
            for (size_t i = 0; i < S.nevents; i++) {
                const char *st = cJSON_GetObjectItemCaseSensitive(S.events[i].json, "status")->valuestring;
                if (strcmp(S.events[i].calendar_id, id->valuestring) == 0 && strcmp(st, "cancelled") != 0 &&
                    S.events[i].start_ms < hi && S.events[i].end_ms > lo) {
                    list = xrealloc(list, (n + 1) * sizeof(*list));
                    list[n++] = (busy){NULL, S.events[i].start_ms, S.events[i].end_ms};
                }
            }
            if (n > 1)
                qsort(list, n, sizeof(*list), busy_cmp);
            cJSON *arr = cJSON_AddArrayToObject(cJSON_AddObjectToObject(cals, id->valuestring), "busy");
            for (size_t i = 0; i < n;) { /* merged and clipped to the range, as Google answers */
                int64_t s = list[i].start_ms, e = list[i].end_ms;
                for (i++; i < n && list[i].start_ms <= e; i++)
                    e = list[i].end_ms > e ? list[i].end_ms : e;
                char a[25], b[25];
                iso_seconds(s < lo ? lo : s, a);
                iso_seconds(e > hi ? hi : e, b);
                cJSON *p = cJSON_CreateObject();
                cJSON_AddStringToObject(p, "start", a);
                cJSON_AddStringToObject(p, "end", b);
                cJSON_AddItemToArray(arr, p);
            }
            free(list);
        }
        fake_json_body(r, 200, out);
    }
    cJSON_Delete(in);
}

/* Test control endpoints. */
static void control(const request *q, response *r)
{
    cJSON *in = cJSON_ParseWithLength(q->body ? q->body : "", q->body_len);
    if (strcmp(q->path, "/_fake/busy") == 0 && strcmp(q->method, "POST") == 0) {
        const cJSON *cal = cJSON_GetObjectItemCaseSensitive(in, "calendarId");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(in, "start"), *e = cJSON_GetObjectItemCaseSensitive(in, "end");
        int64_t a, b;
        if (!cJSON_IsString(s) || !cJSON_IsString(e) || !vx_time_parse_iso(s->valuestring, &a) ||
            !vx_time_parse_iso(e->valuestring, &b)) {
            google_error(r, 400, "fake", "invalid", "start and end must be RFC 3339");
        } else {
            S.busy = xrealloc(S.busy, (S.nbusy + 1) * sizeof(*S.busy));
            S.busy[S.nbusy++] = (busy){strdup(cJSON_IsString(cal) ? cal->valuestring : "primary"), a, b};
            r->status = 204;
        }
    } else if (strcmp(q->path, "/_fake/fail") == 0 && strcmp(q->method, "POST") == 0) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(in, "status"), *n = cJSON_GetObjectItemCaseSensitive(in, "count");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(in, "delay_ms");
        S.fail_status = cJSON_IsNumber(st) ? st->valueint : 503;
        S.fail_count = cJSON_IsNumber(n) ? n->valueint : 1;
        S.fail_delay_ms = cJSON_IsNumber(d) ? d->valueint : 0;
        r->status = 204;
    } else if (strcmp(q->path, "/_fake/events") == 0 && strcmp(q->method, "GET") == 0) {
        cJSON *out = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(out, "items");
        for (size_t i = 0; i < S.nevents; i++) {
            cJSON *ev = cJSON_Duplicate(S.events[i].json, true);
            cJSON_AddStringToObject(ev, "calendarId", S.events[i].calendar_id);
            cJSON_AddItemToArray(items, ev);
        }
        fake_json_body(r, 200, out);
    } else if (strcmp(q->path, "/_fake/reset") == 0 && strcmp(q->method, "POST") == 0) {
        for (size_t i = 0; i < S.nevents; i++) {
            free(S.events[i].calendar_id);
            cJSON_Delete(S.events[i].json);
        }
        for (size_t i = 0; i < S.nbusy; i++)
            free(S.busy[i].calendar_id);
        S.nevents = S.nbusy = 0;
        S.fail_count = 0;
        r->status = 204;
    } else {
        google_error(r, 404, "fake", "notFound", "no such control endpoint");
    }
    cJSON_Delete(in);
}

/* Decodes %XX in place. */
static void url_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '%' && p[1] && p[2]) {
            char hex[3] = {p[1], p[2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

static void route(request *q, response *r)
{
    char *query = strchr(q->path, '?');
    if (query != NULL)
        *query = '\0';
    if (strncmp(q->path, "/_fake/", 7) == 0) {
        pthread_mutex_lock(&S.lock);
        control(q, r);
        pthread_mutex_unlock(&S.lock);
        return;
    }
    const char *path = strncmp(q->path, "/calendar/v3/", 13) == 0 ? q->path + 12 : q->path;
    char expected[1100];
    snprintf(expected, sizeof(expected), "Bearer %s", S.token);
    if (strcmp(q->auth, expected) != 0) {
        google_error(r, 401, "global", "authError", "Invalid Credentials");
        return;
    }
    pthread_mutex_lock(&S.lock);
    int delay = 0;
    if (S.fail_count > 0) {
        S.fail_count--;
        delay = S.fail_delay_ms;
        r->status = S.fail_status;
    }
    pthread_mutex_unlock(&S.lock);
    if (delay > 0) {
        struct timespec ts = {delay / 1000, (long)(delay % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (r->status >= 400) {
        int st = r->status;
        google_error(r, st, st == 429 || st == 403 ? "usageLimits" : "global",
                     st == 429 || st == 403 ? "rateLimitExceeded" : "backendError",
                     st >= 500 ? "Backend Error" : "Rate Limit Exceeded");
        return;
    }
    char cal[1024] = "", id[1024] = "", rest[8] = "";
    pthread_mutex_lock(&S.lock);
    if (strcmp(path, "/freeBusy") == 0 && strcmp(q->method, "POST") == 0) {
        freebusy(q, r);
    } else if (sscanf(path, "/calendars/%1023[^/]/events/%1023[^/]%7s", cal, id, rest) == 2) {
        url_decode(cal);
        url_decode(id);
        event_op(cal, id, q, r);
    } else if (sscanf(path, "/calendars/%1023[^/]/event%7s", cal, rest) == 2 && strcmp(rest, "s") == 0 &&
               strcmp(q->method, "POST") == 0) {
        url_decode(cal);
        events_insert(cal, q, r);
    } else {
        google_error(r, 404, "global", "notFound", "Not Found");
    }
    pthread_mutex_unlock(&S.lock);
}

int main(void)
{
    vx_log_init("google-calendar-fake");
    const char *port_s = getenv("GOOGLE_FAKE_PORT");
    S.token = getenv("GOOGLE_FAKE_TOKEN");
    if (port_s == NULL || atoi(port_s) <= 0 || S.token == NULL || S.token[0] == '\0') {
        fprintf(stderr, "google_calendar fake: set GOOGLE_FAKE_PORT and GOOGLE_FAKE_TOKEN\n");
        return 2;
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    int rc = fake_http_serve(atoi(port_s), route);
    for (size_t i = 0; i < S.nevents; i++) {
        free(S.events[i].calendar_id);
        cJSON_Delete(S.events[i].json);
    }
    for (size_t i = 0; i < S.nbusy; i++)
        free(S.busy[i].calendar_id);
    free(S.events);
    free(S.busy);
    return rc;
}
