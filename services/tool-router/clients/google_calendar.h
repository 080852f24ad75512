/*
 * google_calendar: the one Google Calendar API v3 client (libcurl) — freeBusy
 * query, events insert / patch (move) / delete — as contracts/providers.md §3
 * describes the wire format.
 *
 * The base URL and the timeout come with each google_calendar_conn (tool-router's
 * settings: GOOGLE_CALENDAR_BASE_URL, default
 * https://www.googleapis.com/calendar/v3, which tests point at
 * tests/fakes/google_calendar; GOOGLE_TIMEOUT_MS, default 2000). A caller is
 * waiting on the phone, so nothing is retried here; the caller decides what
 * a failure means.
 * Failures are logged once (HTTP status and Google's reason, never the token)
 * and returned as a google_calendar_status: GOOGLE_CALENDAR_OK (0), or one
 * negative GOOGLE_CALENDAR_ERR_* per way Google can fail.
 *
 * Thread safety: every function may be called from any thread at once.
 */
#ifndef TOOL_ROUTER_CLIENTS_GOOGLE_CALENDAR_H
#define TOOL_ROUTER_CLIENTS_GOOGLE_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    GOOGLE_CALENDAR_OK = 0,
    GOOGLE_CALENDAR_ERR_AUTH = -1,        /* 401 authError: token expired or revoked */
    GOOGLE_CALENDAR_ERR_FORBIDDEN = -2,   /* 403 other than rate limits: no access to the calendar */
    GOOGLE_CALENDAR_ERR_NOT_FOUND = -3,   /* 404: no such calendar or event */
    GOOGLE_CALENDAR_ERR_CONFLICT = -4,    /* 409: an event with this id exists already */
    GOOGLE_CALENDAR_ERR_GONE = -5,        /* 410: the event was deleted already */
    GOOGLE_CALENDAR_ERR_RATE_LIMIT = -6,  /* 429, or 403 with a rate/quota reason */
    GOOGLE_CALENDAR_ERR_BAD_REQUEST = -7, /* 400 and other 4xx */
    GOOGLE_CALENDAR_ERR_SERVER = -8,      /* 5xx */
    GOOGLE_CALENDAR_ERR_NETWORK = -9,     /* no answer: connect failure, timeout */
    GOOGLE_CALENDAR_ERR_PROTOCOL = -10,   /* an answer we cannot read */
    GOOGLE_CALENDAR_ERR_CALENDAR = -11    /* freeBusy answered 200 with an error for the calendar */
} google_calendar_status;

/* A short name for logs ("ok", "auth", "timeout-or-network", …). */
const char *google_calendar_status_name(google_calendar_status s);

/* One org's calendar for the duration of a tool call. The caller owns the
 * strings; access_token is a secret and must never be logged. */
typedef struct google_calendar_conn {
    const char *base_url; /* e.g. "https://www.googleapis.com/calendar/v3"; a trailing '/' is ignored */
    long timeout_ms;      /* whole call, connect included */
    const char *access_token;
    const char *calendar_id; /* "primary" or an id such as an email address */
    const char *request_id;  /* for log lines; may be NULL */
    const char *org_id;      /* for log lines; may be NULL */
} google_calendar_conn;

typedef struct google_calendar_interval {
    int64_t start_ms;
    int64_t end_ms;
} google_calendar_interval;

/* POST /freeBusy for [from, to). On GOOGLE_CALENDAR_OK, *busy (malloc'd, caller frees;
 * NULL when none) holds *nbusy intervals. */
google_calendar_status google_calendar_freebusy(const google_calendar_conn *g, int64_t from_ms, int64_t to_ms,
                                                google_calendar_interval **busy, size_t *nbusy);

typedef struct google_calendar_event {
    const char *id;          /* client-chosen base32hex id (makes a retried insert safe), or NULL */
    const char *summary;     /* title */
    const char *description; /* may be NULL */
    int64_t start_ms, end_ms;
    const char *timezone;       /* IANA name for start/end */
    const char *appointment_id; /* stored in extendedProperties.private; may be NULL */
} google_calendar_event;

/* POST /calendars/{calendarId}/events. On GOOGLE_CALENDAR_OK, *event_id is the event's
 * id (malloc'd, caller frees). An id conflict (409) with ev->id set means the
 * event exists already: reported as GOOGLE_CALENDAR_OK with *event_id = ev->id. */
google_calendar_status google_calendar_event_insert(const google_calendar_conn *g, const google_calendar_event *ev,
                                                    char **event_id);

/* PATCH /calendars/{calendarId}/events/{eventId}: new start and end. */
google_calendar_status google_calendar_event_move(const google_calendar_conn *g, const char *event_id, int64_t start_ms,
                                                  int64_t end_ms, const char *tz);

/* DELETE /calendars/{calendarId}/events/{eventId}. An event that is gone
 * already (410) or unknown (404) counts as deleted: GOOGLE_CALENDAR_OK. */
google_calendar_status google_calendar_event_delete(const google_calendar_conn *g, const char *event_id);

#endif
