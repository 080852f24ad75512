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
 * Design: a small blocking HTTP/1.1 server (keep-alive, Content-Length
 * bodies), one detached thread per connection, one mutex over the state.
 * SIGTERM stops accepting, waits for open connections, frees everything
 * and exits 0, so it runs clean under ASan.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vx_buf.h"
#include "vx_log.h"
#include "vx_time.h"

#define MAX_HEAD (16 * 1024)
#define MAX_BODY (1024 * 1024)

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
    atomic_int active;
    volatile sig_atomic_t stop;
    unsigned seq;
} S = {.lock = PTHREAD_MUTEX_INITIALIZER};

typedef struct request {
    char method[16];
    char path[2048];
    char auth[1024];
    bool close;
    char *body;
    size_t body_len;
} request;

typedef struct response {
    int status;
    const char *extra_headers; /* "Name: value\r\n"… or NULL */
    vx_buf body;
} response;

static void on_signal(int sig)
{
    (void)sig;
    S.stop = 1;
}

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

static void json_body(response *r, int status, cJSON *json)
{
    char *s = cJSON_PrintUnformatted(json);
    r->status = status;
    vx_buf_puts(&r->body, s);
    free(s);
    cJSON_Delete(json);
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
    json_body(r, status, root);
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
        json_body(r, 200, cJSON_Duplicate(ev, true)); /* 200, not 201 */
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
        json_body(r, 200, cJSON_Duplicate(e->json, true));
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
            json_body(r, 200, cJSON_Duplicate(e->json, true));
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
        json_body(r, 200, out);
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
        json_body(r, 200, out);
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

/* Reads one request; false on EOF, error, or stop. *head holds leftover bytes across requests. */
static bool read_request(int fd, vx_buf *in, request *q)
{
    char *end;
    while ((end = in->data ? strstr(in->data, "\r\n\r\n") : NULL) == NULL) {
        if (in->len > MAX_HEAD || S.stop)
            return false;
        char chunk[4096];
        ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
        if (n <= 0)
            return false;
        vx_buf_append(in, chunk, (size_t)n);
    }
    size_t head_len = (size_t)(end - in->data) + 4;
    char version[16] = "";
    if (sscanf(in->data, "%15s %2047s %15s", q->method, q->path, version) != 3)
        return false;
    q->close = strcmp(version, "HTTP/1.0") == 0;
    size_t clen = 0;
    for (char *line = strstr(in->data, "\r\n"); line != NULL && line < end; line = strstr(line + 2, "\r\n")) {
        char *h = line + 2;
        if (strncasecmp(h, "Content-Length:", 15) == 0)
            clen = strtoul(h + 15, NULL, 10);
        else if (strncasecmp(h, "Authorization:", 14) == 0)
            sscanf(h + 14, " %1023[^\r\n]", q->auth);
        else if (strncasecmp(h, "Connection:", 11) == 0 && strncasecmp(h + 11, " close", 6) == 0)
            q->close = true;
    }
    if (clen > MAX_BODY)
        return false;
    while (in->len < head_len + clen) {
        char chunk[4096];
        ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) && !S.stop)
            continue;
        if (n <= 0)
            return false;
        vx_buf_append(in, chunk, (size_t)n);
    }
    q->body = malloc(clen + 1);
    if (q->body == NULL)
        abort();
    memcpy(q->body, in->data + head_len, clen);
    q->body[clen] = '\0';
    q->body_len = clen;
    /* Keep what follows (a pipelined request) for the next call. */
    size_t rest = in->len - head_len - clen;
    memmove(in->data, in->data + head_len + clen, rest);
    in->len = rest;
    in->data[rest] = '\0';
    return true;
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 429:
        return "Too Many Requests";
    default:
        return status >= 500 ? "Server Error" : "Error";
    }
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    struct timeval tv = {0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    vx_buf in = VX_BUF_INIT;
    for (;;) {
        request q;
        memset(&q, 0, sizeof(q));
        if (!read_request(fd, &in, &q)) {
            free(q.body);
            break;
        }
        response r = {0, NULL, VX_BUF_INIT};
        route(&q, &r);
        char status[8];
        snprintf(status, sizeof(status), "%d", r.status);
        vx_log_info(NULL, NULL, "request", "method", q.method, "path", q.path, "status", status);
        vx_buf out = VX_BUF_INIT;
        vx_buf_printf(&out, "HTTP/1.1 %d %s\r\n", r.status, reason_phrase(r.status));
        if (r.status != 204)
            vx_buf_printf(&out, "Content-Type: application/json; charset=UTF-8\r\nContent-Length: %zu\r\n", r.body.len);
        if (r.extra_headers != NULL)
            vx_buf_puts(&out, r.extra_headers);
        vx_buf_puts(&out, q.close ? "Connection: close\r\n\r\n" : "\r\n");
        if (r.body.len > 0 && r.status != 204)
            vx_buf_append(&out, r.body.data, r.body.len);
        bool ok = send(fd, out.data, out.len, MSG_NOSIGNAL) == (ssize_t)out.len;
        vx_buf_free(&out);
        vx_buf_free(&r.body);
        free(q.body);
        if (!ok || q.close)
            break;
    }
    vx_buf_free(&in);
    close(fd);
    atomic_fetch_sub(&S.active, 1);
    return NULL;
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
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port_s))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(lfd, 128) != 0) {
        fprintf(stderr, "google_calendar fake: cannot listen on 127.0.0.1:%s: %s\n", port_s, strerror(errno));
        return 1;
    }
    vx_log_info(NULL, NULL, "listening", "port", port_s);
    while (!S.stop) {
        struct pollfd p = {lfd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        atomic_fetch_add(&S.active, 1);
        if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd) != 0) {
            atomic_fetch_sub(&S.active, 1);
            close(fd);
        }
        pthread_attr_destroy(&attr);
    }
    close(lfd);
    for (int i = 0; i < 100 && atomic_load(&S.active) > 0; i++) {
        struct timespec ts = {0, 50000000L};
        nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < S.nevents; i++) {
        free(S.events[i].calendar_id);
        cJSON_Delete(S.events[i].json);
    }
    for (size_t i = 0; i < S.nbusy; i++)
        free(S.busy[i].calendar_id);
    free(S.events);
    free(S.busy);
    vx_log_info(NULL, NULL, "stopped");
    return 0;
}
