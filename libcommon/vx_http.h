/*
 * vx_http: one blocking HTTP request over libcurl, for the clients of outside
 * services (Google Calendar, Vapi's live call control).
 *
 * A caller is usually waiting on the phone, so there are no retries here: a
 * timeout for the whole call (connecting included, at most 1 s of it), an
 * answer capped in size, and the outcome left to the client module, which
 * knows what a status means for its service. Never logs: headers may hold
 * tokens, URLs may be capabilities.
 *
 * Thread safety: may be called from any thread at once.
 */
#ifndef VX_HTTP_H
#define VX_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "vx_buf.h"

typedef struct vx_http_request {
    const char *method;         /* "GET", "POST", "PATCH", "DELETE" */
    const char *url;            /* http or https only */
    const char *const *headers; /* "Name: value" lines, NULL-terminated; NULL for none */
    const char *body;           /* NUL-terminated; NULL for none */
    long timeout_ms;            /* whole call; clamped to [50, 60000] */
    size_t max_answer_bytes;    /* a longer answer is a failure ("answer too large") */
    /* Names of answer headers the caller wants (case-insensitive), NULL-terminated; NULL for none.
     * Their values go into vx_http_answer.headers, read with vx_http_answer_header. */
    const char *const *capture_headers;
} vx_http_request;

typedef struct vx_http_answer {
    long status; /* the HTTP status; 0 when no answer came */
    vx_buf body;
    long retry_after_s; /* the answer's Retry-After in seconds (an HTTP date counted from now), capped at a day; 0 when none */
    vx_buf headers;     /* the captured headers that came, "name\0value\0" each (name as asked); the caller frees it.
                           Empty (nothing to free) when the request captured none */
} vx_http_answer;

/* Performs req. Returns 0 when an answer came, whatever its status (the body
 * is in out; the caller frees it), or -1 with *error a short static reason
 * (connection refused, timeout, answer too large) and nothing to free. */
int vx_http_perform(const vx_http_request *req, vx_http_answer *out, const char **error);

/* The value of captured header name (as given in capture_headers, case-insensitive), or NULL when
 * the answer had none. Points into a->headers. */
const char *vx_http_answer_header(const vx_http_answer *a, const char *name);

#endif
