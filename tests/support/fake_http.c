/*
 * fake_http: see fake_http.h.
 */
#include "fake_http.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vx_log.h"

#define MAX_HEAD (16 * 1024)
#define MAX_BODY (1024 * 1024)

static struct {
    fake_route route;
    atomic_int active;
    /* Set by the signal handler, read by every connection thread: an atomic
     * (lock-free, so signal-safe), not a volatile sig_atomic_t, which is
     * only meant for the thread the handler interrupts (TSan caught it). */
    atomic_int stop;
} H;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&H.stop, 1);
}

void fake_json_body(fake_response *r, int status, cJSON *json)
{
    char *s = cJSON_PrintUnformatted(json);
    r->status = status;
    vx_buf_puts(&r->body, s);
    free(s);
    cJSON_Delete(json);
}

/* Reads one request; false on EOF, error, or stop. *head holds leftover bytes across requests. */
static bool read_request(int fd, vx_buf *in, fake_request *q)
{
    char *end;
    while ((end = in->data ? strstr(in->data, "\r\n\r\n") : NULL) == NULL) {
        if (in->len > MAX_HEAD || atomic_load(&H.stop))
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
    char *mark = strchr(q->path, '?');
    q->query = mark != NULL ? mark + 1 : "";
    size_t clen = 0;
    for (char *line = strstr(in->data, "\r\n"); line != NULL && line < end; line = strstr(line + 2, "\r\n")) {
        char *h = line + 2;
        if (strncasecmp(h, "Content-Length:", 15) == 0)
            clen = strtoul(h + 15, NULL, 10);
        else if (strncasecmp(h, "Authorization:", 14) == 0)
            sscanf(h + 14, " %1023[^\r\n]", q->auth);
        else if (strncasecmp(h, "Content-Type:", 13) == 0)
            sscanf(h + 13, " %255[^\r\n]", q->content_type);
        else if (strncasecmp(h, "Connection:", 11) == 0 && strncasecmp(h + 11, " close", 6) == 0)
            q->close = true;
    }
    if (clen > MAX_BODY)
        return false;
    while (in->len < head_len + clen) {
        char chunk[4096];
        ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) && !atomic_load(&H.stop))
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
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 302:
        return "Found";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
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
        fake_request q;
        memset(&q, 0, sizeof(q));
        if (!read_request(fd, &in, &q)) {
            free(q.body);
            break;
        }
        fake_response r = {.status = 0, .extra_headers = NULL, .body = VX_BUF_INIT, .headers = VX_BUF_INIT};
        H.route(&q, &r);
        char status[8];
        snprintf(status, sizeof(status), "%d", r.status);
        vx_log_info(NULL, NULL, "request", "method", q.method, "path", q.path, "status", status);
        vx_buf out = VX_BUF_INIT;
        vx_buf_printf(&out, "HTTP/1.1 %d %s\r\n", r.status, reason_phrase(r.status));
        if (r.status != 204)
            vx_buf_printf(&out, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                          r.content_type != NULL ? r.content_type : "application/json; charset=UTF-8", r.body.len);
        if (r.extra_headers != NULL)
            vx_buf_puts(&out, r.extra_headers);
        if (r.headers.len > 0)
            vx_buf_append(&out, r.headers.data, r.headers.len);
        vx_buf_puts(&out, q.close ? "Connection: close\r\n\r\n" : "\r\n");
        if (r.body.len > 0 && r.status != 204)
            vx_buf_append(&out, r.body.data, r.body.len);
        bool ok = send(fd, out.data, out.len, MSG_NOSIGNAL) == (ssize_t)out.len;
        vx_buf_free(&out);
        vx_buf_free(&r.body);
        vx_buf_free(&r.headers);
        free(q.body);
        if (!ok || q.close)
            break;
    }
    vx_buf_free(&in);
    close(fd);
    atomic_fetch_sub(&H.active, 1);
    return NULL;
}

int fake_http_serve(int port, fake_route route)
{
    H.route = route;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(lfd, 128) != 0) {
        fprintf(stderr, "fake: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        close(lfd);
        return 1;
    }
    char port_s[16];
    snprintf(port_s, sizeof(port_s), "%d", port);
    vx_log_info(NULL, NULL, "listening", "port", port_s);
    while (!atomic_load(&H.stop)) {
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
        atomic_fetch_add(&H.active, 1);
        if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd) != 0) {
            atomic_fetch_sub(&H.active, 1);
            close(fd);
        }
        pthread_attr_destroy(&attr);
    }
    close(lfd);
    for (int i = 0; i < 100 && atomic_load(&H.active) > 0; i++) {
        struct timespec ts = {0, 50000000L};
        nanosleep(&ts, NULL);
    }
    vx_log_info(NULL, NULL, "stopped");
    return 0;
}
