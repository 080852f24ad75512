/*
 * google_calendar: Google Calendar API v3 over libcurl (see google_calendar.h).
 *
 * Design: one easy handle per call (a call is rare next to the database work
 * of a tool, and this keeps the module free of shared state), the bearer
 * header built in a buffer that is wiped before it is freed, JSON built and
 * read with cJSON. Every non-2xx answer is read as Google's error shape
 * {"error":{"code","message","errors":[{"reason"}]}} and mapped to a
 * google_calendar_status by HTTP status first and reason second (403 means "rate
 * limited" only with a usageLimits reason), then logged once with the
 * operation, status and reason.
 */
#include "clients/google_calendar.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_http.h"
#include "vx_log.h"
#include "vx_time.h"

#define DEFAULT_BASE_URL   "https://www.googleapis.com/calendar/v3"
#define DEFAULT_TIMEOUT_MS 2000L
#define MAX_BODY_BYTES     (4L << 20)

const char *google_calendar_status_name(google_calendar_status s)
{
    switch (s) {
    case GOOGLE_CALENDAR_OK:
        return "ok";
    case GOOGLE_CALENDAR_ERR_AUTH:
        return "auth";
    case GOOGLE_CALENDAR_ERR_FORBIDDEN:
        return "forbidden";
    case GOOGLE_CALENDAR_ERR_NOT_FOUND:
        return "not-found";
    case GOOGLE_CALENDAR_ERR_CONFLICT:
        return "conflict";
    case GOOGLE_CALENDAR_ERR_GONE:
        return "gone";
    case GOOGLE_CALENDAR_ERR_RATE_LIMIT:
        return "rate-limited";
    case GOOGLE_CALENDAR_ERR_BAD_REQUEST:
        return "bad-request";
    case GOOGLE_CALENDAR_ERR_SERVER:
        return "server-error";
    case GOOGLE_CALENDAR_ERR_NETWORK:
        return "timeout-or-network";
    case GOOGLE_CALENDAR_ERR_PROTOCOL:
        return "unreadable-answer";
    case GOOGLE_CALENDAR_ERR_CALENDAR:
        return "calendar-error";
    }
    return "unknown";
}

typedef vx_http_answer reply;

/* "base + path", where path already holds escaped segments. */
static void request_url(vx_buf *url, const char *base, const char *path)
{
    if (base == NULL || *base == '\0')
        base = DEFAULT_BASE_URL;
    size_t len = strlen(base);
    while (len > 0 && base[len - 1] == '/')
        len--;
    vx_buf_append(url, base, len);
    vx_buf_puts(url, path);
}

/* Maps a non-2xx answer and logs it once. */
static google_calendar_status map_failure(const google_calendar_conn *g, const char *op, const reply *r)
{
    const char *reason = "", *message = "";
    cJSON *root = r->body.data != NULL ? cJSON_Parse(r->body.data) : NULL;
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(err, "errors"), 0);
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(first, "reason")))
        reason = cJSON_GetObjectItemCaseSensitive(first, "reason")->valuestring;
    else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(err, "error"))) /* OAuth-style */
        reason = cJSON_GetObjectItemCaseSensitive(err, "error")->valuestring;
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(err, "message")))
        message = cJSON_GetObjectItemCaseSensitive(err, "message")->valuestring;

    google_calendar_status s;
    /* rateLimitExceeded, userRateLimitExceeded, dailyLimitExceeded, quotaExceeded (domain usageLimits). */
    bool rate = strstr(reason, "LimitExceeded") != NULL || strcmp(reason, "quotaExceeded") == 0;
    if (r->status == 401)
        s = GOOGLE_CALENDAR_ERR_AUTH;
    else if (r->status == 403)
        s = rate ? GOOGLE_CALENDAR_ERR_RATE_LIMIT : GOOGLE_CALENDAR_ERR_FORBIDDEN;
    else if (r->status == 404)
        s = GOOGLE_CALENDAR_ERR_NOT_FOUND;
    else if (r->status == 409)
        s = GOOGLE_CALENDAR_ERR_CONFLICT;
    else if (r->status == 410)
        s = GOOGLE_CALENDAR_ERR_GONE;
    else if (r->status == 429)
        s = GOOGLE_CALENDAR_ERR_RATE_LIMIT;
    else if (r->status >= 500)
        s = GOOGLE_CALENDAR_ERR_SERVER;
    else if (r->status >= 400)
        s = GOOGLE_CALENDAR_ERR_BAD_REQUEST;
    else
        s = GOOGLE_CALENDAR_ERR_PROTOCOL;
    char status[24];
    snprintf(status, sizeof(status), "%ld", r->status);
    /* 404/410 on a delete are normal; the caller decides. Others are worth a line. */
    if (!(s == GOOGLE_CALENDAR_ERR_GONE || (s == GOOGLE_CALENDAR_ERR_NOT_FOUND && strcmp(op, "events.delete") == 0)))
        vx_log_warn(g->request_id, g->org_id, "google calendar call failed", "op", op, "http_status", status, "reason", reason,
                    "error", message, "status", google_calendar_status_name(s));
    cJSON_Delete(root);
    return s;
}

/*
 * Performs method on path with an optional JSON body. On GOOGLE_CALENDAR_OK (any
 * 2xx), *out holds the answer (caller frees out->body).
 */
static google_calendar_status perform(const google_calendar_conn *g, const char *op, const char *method, const char *path,
                                      const char *body, reply *out)
{
    vx_buf url = VX_BUF_INIT, auth = VX_BUF_INIT;
    request_url(&url, g->base_url, path);
    vx_buf_printf(&auth, "Authorization: Bearer %s", g->access_token != NULL ? g->access_token : "");
    const char *headers[] = {auth.data, "Accept: application/json", body != NULL ? "Content-Type: application/json" : NULL, NULL};
    vx_http_request req = {
        .method = method,
        .url = url.data,
        .headers = headers,
        .body = body,
        .timeout_ms = g->timeout_ms >= 50 && g->timeout_ms <= 60000 ? g->timeout_ms : DEFAULT_TIMEOUT_MS,
        .max_answer_bytes = MAX_BODY_BYTES,
    };
    const char *error = NULL;
    int rc = vx_http_perform(&req, out, &error);
    /* The header buffer held the token: wipe it before it goes back to the heap. */
    if (auth.data != NULL)
        memset(auth.data, 0, auth.len);
    vx_buf_free(&auth);
    vx_buf_free(&url);

    if (rc != 0) {
        google_calendar_status s =
            strcmp(error, "answer too large") == 0 ? GOOGLE_CALENDAR_ERR_PROTOCOL : GOOGLE_CALENDAR_ERR_NETWORK;
        vx_log_warn(g->request_id, g->org_id, "google calendar call failed", "op", op, "error", error, "status",
                    google_calendar_status_name(s));
        return s;
    }
    if (out->status < 200 || out->status > 299) {
        google_calendar_status s = map_failure(g, op, out);
        vx_buf_free(&out->body);
        return s;
    }
    return GOOGLE_CALENDAR_OK;
}

/* Escapes one path segment (curl_free the result). */
static char *escape_segment(const char *segment)
{
    char *e = curl_easy_escape(NULL, segment, 0);
    if (e == NULL)
        abort(); /* only fails when out of memory */
    return e;
}

/* Appends "/calendars/{calendarId}/events" with the id escaped ('@' → %40). */
static void events_path(vx_buf *path, const char *calendar_id)
{
    char *cal = escape_segment(calendar_id != NULL && *calendar_id ? calendar_id : "primary");
    vx_buf_printf(path, "/calendars/%s/events", cal);
    curl_free(cal);
}

static cJSON *time_object(int64_t ms, const char *tz)
{
    char iso[25];
    vx_time_format_iso(ms, iso);
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "dateTime", iso);
    if (tz != NULL)
        cJSON_AddStringToObject(t, "timeZone", tz);
    return t;
}

static bool read_busy(const cJSON *busy, google_calendar_interval **out, size_t *n)
{
    size_t count = (size_t)cJSON_GetArraySize(busy);
    google_calendar_interval *list = count > 0 ? calloc(count, sizeof(*list)) : NULL;
    if (count > 0 && list == NULL)
        abort();
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, busy)
    {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(item, "start"), *e = cJSON_GetObjectItemCaseSensitive(item, "end");
        if (!cJSON_IsString(s) || !cJSON_IsString(e) || !vx_time_parse_iso(s->valuestring, &list[i].start_ms) ||
            !vx_time_parse_iso(e->valuestring, &list[i].end_ms)) {
            free(list); /* a busy time we cannot read must not be taken for free time */
            return false;
        }
        i++;
    }
    *out = list;
    *n = i;
    return true;
}

google_calendar_status google_calendar_freebusy(const google_calendar_conn *g, int64_t from_ms, int64_t to_ms,
                                                google_calendar_interval **busy, size_t *nbusy)
{
    *busy = NULL;
    *nbusy = 0;
    const char *cal = g->calendar_id != NULL && *g->calendar_id ? g->calendar_id : "primary";
    char from[25], to[25];
    vx_time_format_iso(from_ms, from);
    vx_time_format_iso(to_ms, to);
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "timeMin", from);
    cJSON_AddStringToObject(req, "timeMax", to);
    cJSON *item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "id", cal);
    cJSON *items = cJSON_AddArrayToObject(req, "items");
    cJSON_AddItemToArray(items, item);
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);

    reply r;
    google_calendar_status s = perform(g, "freeBusy", "POST", "/freeBusy", body, &r);
    free(body);
    if (s != GOOGLE_CALENDAR_OK)
        return s;
    cJSON *root = cJSON_Parse(r.body.data != NULL ? r.body.data : "");
    vx_buf_free(&r.body);
    const cJSON *cals = cJSON_GetObjectItemCaseSensitive(root, "calendars");
    const cJSON *entry = cJSON_GetObjectItemCaseSensitive(cals, cal);
    if (entry == NULL && cJSON_GetArraySize(cals) == 1) /* answered under its canonical id */
        entry = cJSON_GetArrayItem(cals, 0);
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(entry, "errors");
    if (!cJSON_IsObject(entry)) {
        s = GOOGLE_CALENDAR_ERR_PROTOCOL;
        vx_log_warn(g->request_id, g->org_id, "google calendar call failed", "op", "freeBusy", "error",
                    "calendar missing from the answer", "status", google_calendar_status_name(s));
    } else if (cJSON_GetArraySize(errors) > 0) {
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(errors, 0), "reason");
        s = GOOGLE_CALENDAR_ERR_CALENDAR;
        vx_log_warn(g->request_id, g->org_id, "google calendar call failed", "op", "freeBusy", "reason",
                    cJSON_IsString(reason) ? reason->valuestring : "", "status", google_calendar_status_name(s));
    } else if (!read_busy(cJSON_GetObjectItemCaseSensitive(entry, "busy"), busy, nbusy)) {
        s = GOOGLE_CALENDAR_ERR_PROTOCOL;
        vx_log_warn(g->request_id, g->org_id, "google calendar call failed", "op", "freeBusy", "error", "unreadable busy interval",
                    "status", google_calendar_status_name(s));
    }
    cJSON_Delete(root);
    return s;
}

google_calendar_status google_calendar_event_insert(const google_calendar_conn *g, const google_calendar_event *ev, char **event_id)
{
    *event_id = NULL;
    cJSON *req = cJSON_CreateObject();
    if (ev->id != NULL)
        cJSON_AddStringToObject(req, "id", ev->id);
    cJSON_AddStringToObject(req, "summary", ev->summary != NULL ? ev->summary : "Appointment");
    if (ev->description != NULL)
        cJSON_AddStringToObject(req, "description", ev->description);
    cJSON_AddItemToObject(req, "start", time_object(ev->start_ms, ev->timezone));
    cJSON_AddItemToObject(req, "end", time_object(ev->end_ms, ev->timezone));
    cJSON_AddBoolToObject(cJSON_AddObjectToObject(req, "reminders"), "useDefault", true);
    if (ev->appointment_id != NULL)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(req, "extendedProperties"), "private"),
                                "voxanneAppointmentId", ev->appointment_id);
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);

    vx_buf path = VX_BUF_INIT;
    events_path(&path, g->calendar_id);
    vx_buf_puts(&path, "?sendUpdates=none");
    reply r;
    google_calendar_status s = perform(g, "events.insert", "POST", path.data, body, &r);
    vx_buf_free(&path);
    free(body);
    if (s == GOOGLE_CALENDAR_ERR_CONFLICT && ev->id != NULL) { /* our own id: inserted by an earlier attempt */
        if ((*event_id = strdup(ev->id)) == NULL)
            abort();
        return GOOGLE_CALENDAR_OK;
    }
    if (s != GOOGLE_CALENDAR_OK)
        return s;
    cJSON *root = cJSON_Parse(r.body.data != NULL ? r.body.data : "");
    vx_buf_free(&r.body);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (cJSON_IsString(id) && id->valuestring[0] != '\0') {
        if ((*event_id = strdup(id->valuestring)) == NULL)
            abort();
    } else {
        s = GOOGLE_CALENDAR_ERR_PROTOCOL;
        vx_log_warn(g->request_id, g->org_id, "google calendar call failed", "op", "events.insert", "error", "answer has no id",
                    "status", google_calendar_status_name(s));
    }
    cJSON_Delete(root);
    return s;
}

/* Appends "/{eventId}" escaped. */
static void event_segment(vx_buf *path, const char *event_id)
{
    char *id = escape_segment(event_id);
    vx_buf_printf(path, "/%s", id);
    curl_free(id);
}

google_calendar_status google_calendar_event_move(const google_calendar_conn *g, const char *event_id, int64_t start_ms,
                                                  int64_t end_ms, const char *tz)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddItemToObject(req, "start", time_object(start_ms, tz));
    cJSON_AddItemToObject(req, "end", time_object(end_ms, tz));
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    vx_buf path = VX_BUF_INIT;
    events_path(&path, g->calendar_id);
    event_segment(&path, event_id);
    vx_buf_puts(&path, "?sendUpdates=none");
    reply r;
    google_calendar_status s = perform(g, "events.patch", "PATCH", path.data, body, &r);
    vx_buf_free(&path);
    free(body);
    if (s == GOOGLE_CALENDAR_OK)
        vx_buf_free(&r.body);
    return s;
}

google_calendar_status google_calendar_event_delete(const google_calendar_conn *g, const char *event_id)
{
    vx_buf path = VX_BUF_INIT;
    events_path(&path, g->calendar_id);
    event_segment(&path, event_id);
    vx_buf_puts(&path, "?sendUpdates=none");
    reply r;
    google_calendar_status s = perform(g, "events.delete", "DELETE", path.data, NULL, &r);
    vx_buf_free(&path);
    if (s == GOOGLE_CALENDAR_OK)
        vx_buf_free(&r.body);
    return s == GOOGLE_CALENDAR_ERR_GONE || s == GOOGLE_CALENDAR_ERR_NOT_FOUND ? GOOGLE_CALENDAR_OK : s;
}
