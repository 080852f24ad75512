/*
 * vt_sse: a small Server-Sent Events client for the tests (see vt.h): one
 * socket, a raw buffer, HTTP/1.1 chunked decoding, and the event stream's
 * line format (id, event, data fields; comments; a blank line ends an event).
 */
#include "vt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vx_time.h"

struct vt_sse {
    int fd;
    bool closed;
    long status;
    bool chunked;
    char *raw; /* bytes read, not yet decoded */
    size_t raw_len, raw_cap;
    char *body; /* decoded body, not yet parsed into events */
    size_t body_len, body_cap;
    size_t chunk_left; /* bytes left in the current chunk */
    int pings;
};

static void grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    size_t cap2 = *cap == 0 ? 4096 : *cap;
    while (cap2 < need)
        cap2 *= 2;
    *buf = realloc(*buf, cap2);
    VT_REQUIRE(*buf != NULL, "out of memory");
    *cap = cap2;
}

vt_sse *vt_sse_connect(int port, const char *path, const char *const *headers, int rcvbuf)
{
    vt_sse *s = calloc(1, sizeof(*s));
    VT_REQUIRE(s != NULL, "out of memory");
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    VT_REQUIRE(s->fd >= 0, "socket failed");
    if (rcvbuf > 0)
        setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    VT_REQUIRE(connect(s->fd, (struct sockaddr *)&addr, sizeof(addr)) == 0, "cannot connect to the gateway");
    char req[8192];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n", path);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "%s\r\n", headers[i]);
    n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
    VT_REQUIRE((size_t)n < sizeof(req) && send(s->fd, req, (size_t)n, MSG_NOSIGNAL) == n, "cannot send the request");
    return s;
}

/* Reads what is there within timeout_ms (until the deadline): false when nothing came or the peer closed. */
static bool read_some(vt_sse *s, int64_t deadline_ms)
{
    if (s->closed)
        return false;
    int64_t left = deadline_ms - vx_monotonic_us() / 1000;
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    if (left < 0 || poll(&p, 1, (int)left) <= 0)
        return false;
    grow(&s->raw, &s->raw_cap, s->raw_len + 65536);
    ssize_t n = recv(s->fd, s->raw + s->raw_len, 65536, 0);
    if (n <= 0) {
        s->closed = true;
        return false;
    }
    s->raw_len += (size_t)n;
    return true;
}

static void consume_raw(vt_sse *s, size_t n)
{
    memmove(s->raw, s->raw + n, s->raw_len - n);
    s->raw_len -= n;
}

long vt_sse_status(vt_sse *s, int timeout_ms)
{
    int64_t deadline = vx_monotonic_us() / 1000 + timeout_ms;
    for (;;) {
        char *end = s->raw_len > 0 ? memmem(s->raw, s->raw_len, "\r\n\r\n", 4) : NULL;
        if (end != NULL) {
            *end = '\0';
            sscanf(s->raw, "HTTP/1.%*d %ld", &s->status);
            for (char *p = s->raw; *p; p++)
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
            s->chunked = strstr(s->raw, "transfer-encoding: chunked") != NULL;
            consume_raw(s, (size_t)(end - s->raw) + 4);
            return s->status;
        }
        if (!read_some(s, deadline))
            return 0;
    }
}

/* Moves what raw holds of the body into body. */
static void decode(vt_sse *s)
{
    for (;;) {
        if (!s->chunked) {
            grow(&s->body, &s->body_cap, s->body_len + s->raw_len + 1);
            memcpy(s->body + s->body_len, s->raw, s->raw_len);
            s->body_len += s->raw_len;
            s->raw_len = 0;
            return;
        }
        if (s->chunk_left == 0) {
            char *crlf = s->raw_len > 0 ? memmem(s->raw, s->raw_len, "\r\n", 2) : NULL;
            if (crlf == NULL)
                return;
            if (crlf == s->raw) { /* the CRLF after a chunk's data */
                consume_raw(s, 2);
                continue;
            }
            s->chunk_left = strtoul(s->raw, NULL, 16);
            consume_raw(s, (size_t)(crlf - s->raw) + 2);
            if (s->chunk_left == 0) { /* the last chunk */
                s->closed = true;
                return;
            }
            continue;
        }
        size_t n = s->raw_len < s->chunk_left ? s->raw_len : s->chunk_left;
        if (n == 0)
            return;
        grow(&s->body, &s->body_cap, s->body_len + n + 1);
        memcpy(s->body + s->body_len, s->raw, n);
        s->body_len += n;
        s->chunk_left -= n;
        consume_raw(s, n);
    }
}

/* Parses one event block out of body, if a whole one is there. */
static bool parse_event(vt_sse *s, vt_sse_event *ev, bool *got)
{
    char *end = s->body_len > 0 ? memmem(s->body, s->body_len, "\n\n", 2) : NULL;
    if (end == NULL)
        return false;
    size_t block_len = (size_t)(end - s->body) + 2;
    memset(ev, 0, sizeof(*ev));
    bool any = false;
    for (char *line = s->body; line < end + 1;) {
        char *nl = memchr(line, '\n', (size_t)(end + 1 - line));
        *nl = '\0';
        if (strncmp(line, ": ping", 6) == 0)
            s->pings++;
        else if (strncmp(line, "id: ", 4) == 0)
            snprintf(ev->id, sizeof(ev->id), "%s", line + 4), any = true;
        else if (strncmp(line, "event: ", 7) == 0)
            snprintf(ev->event, sizeof(ev->event), "%s", line + 7), any = true;
        else if (strncmp(line, "data: ", 6) == 0)
            free(ev->data), ev->data = strdup(line + 6), any = true;
        line = nl + 1;
    }
    memmove(s->body, s->body + block_len, s->body_len - block_len);
    s->body_len -= block_len;
    *got = any && ev->data != NULL;
    if (!*got)
        vt_sse_event_free(ev);
    return true;
}

bool vt_sse_next(vt_sse *s, int timeout_ms, vt_sse_event *ev)
{
    int64_t deadline = vx_monotonic_us() / 1000 + timeout_ms;
    for (;;) {
        decode(s);
        bool got = false;
        while (parse_event(s, ev, &got))
            if (got)
                return true;
        if (!read_some(s, deadline))
            return false;
    }
}

int vt_sse_pings(const vt_sse *s)
{
    return s->pings;
}

bool vt_sse_wait_closed(vt_sse *s, int timeout_ms, size_t *bytes)
{
    int64_t deadline = vx_monotonic_us() / 1000 + timeout_ms;
    size_t total = s->raw_len;
    s->raw_len = 0;
    while (!s->closed && vx_monotonic_us() / 1000 < deadline) {
        size_t before = s->raw_len;
        if (read_some(s, deadline))
            total += s->raw_len - before;
        s->raw_len = 0;
    }
    if (bytes != NULL)
        *bytes = total;
    return s->closed;
}

void vt_sse_event_free(vt_sse_event *ev)
{
    free(ev->data);
    ev->data = NULL;
}

void vt_sse_close(vt_sse *s)
{
    if (s == NULL)
        return;
    close(s->fd);
    free(s->raw);
    free(s->body);
    free(s);
}
