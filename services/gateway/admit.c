/*
 * admit: connection cap, reading and judging the request head, handing over
 * to h2o (see admit.h).
 */
#include "admit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <h2o/http1.h>

#include "vx_log.h"
#include "vx_time.h"

/* libh2o parses every request head with picohttpparser and exports it, but
 * Debian installs no header for it: its declaration, unchanged since 2014. */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len, const char **path, size_t *path_len,
                      int *minor_version, struct phr_header *headers, size_t *num_headers, size_t last_len);

#define HEAD_FIRST_READ 2048
#define MAX_HEADERS     H2O_MAX_HEADERS /* as many as h2o itself accepts */
#define LINGER_MS       1000            /* reading (and discarding) after a refusal, at most */
#define LINGER_READS    64              /* reads of LINGER_CHUNK per turn of the loop, at most */
#define LINGER_CHUNK    16384
#define CAP_LOG_MS      10000 /* "connection cap reached" at most this often per thread */

/* One per accepted connection, for its whole life (the socket's on_close
 * frees it); the reading state only until h2o takes the connection. */
typedef struct admit_conn {
    h2o_linklist_t link;         /* in thread->admitting until handed to h2o */
    h2o_timeout_entry_t timeout; /* the head's, then the lingering read's */
    gw_thread *thread;
    h2o_socket_t *sock;
    struct timeval connected_at;
    int64_t start_us;
    char *buf; /* plain text: what was read so far (the head, maybe some body) */
    size_t len, cap;
    vx_buf answer;   /* a refusal being sent */
    size_t reserved; /* taken from gw->unverified_bytes, returned when the connection closes */
} admit_conn;

static bool header_is(const struct phr_header *h, const char *name)
{
    size_t len = strlen(name);
    return h->name_len == len && strncasecmp(h->name, name, len) == 0;
}

/* The first value wins, as h2o's header lookups return the first one. */
static void keep_first(h2o_iovec_t *slot, const struct phr_header *h)
{
    if (slot->base == NULL)
        *slot = h2o_iovec_init(h->value, h->value_len);
}

int admit_parse_head(const char *buf, size_t len, http_head *head)
{
    const char *method, *path;
    size_t method_len, path_len, nheaders = MAX_HEADERS;
    int minor;
    struct phr_header headers[MAX_HEADERS];
    int n = phr_parse_request(buf, len, &method, &method_len, &path, &path_len, &minor, headers, &nheaders, 0);
    if (n < 0)
        return n;
    memset(head, 0, sizeof(*head));
    head->method = h2o_iovec_init(method, method_len);
    head->path = h2o_iovec_init(path, path_len);
    head->content_length = SIZE_MAX;
    bool have_length = false;
    for (size_t i = 0; i < nheaders; i++) {
        const struct phr_header *h = &headers[i];
        if (header_is(h, "content-length")) {
            /* h2o reads the first one and refuses an unreadable one (400). */
            if (!have_length && (head->content_length = h2o_strtosize(h->value, h->value_len)) == SIZE_MAX)
                return -1;
            have_length = true;
        } else if (header_is(h, "transfer-encoding")) {
            head->chunked = true; /* h2o then ignores Content-Length */
        } else if (header_is(h, "authorization")) {
            keep_first(&head->authorization, h);
        } else if (header_is(h, "x-vapi-secret")) {
            keep_first(&head->vapi_secret, h);
        } else if (header_is(h, "x-signature")) {
            keep_first(&head->signature, h);
        } else if (header_is(h, "x-timestamp")) {
            keep_first(&head->timestamp, h);
        } else if (header_is(h, "x-request-id")) {
            keep_first(&head->request_id, h);
        }
    }
    if (head->chunked)
        head->content_length = SIZE_MAX;
    return n;
}

/* ---- life of a connection ---- */

/* Ends the reading state: off the thread's list and timeouts, buffer freed.
 * The connection record itself lives until the socket closes. */
static void detach(admit_conn *c)
{
    if (h2o_linklist_is_linked(&c->link))
        h2o_linklist_unlink(&c->link);
    if (h2o_timeout_is_linked(&c->timeout))
        h2o_timeout_unlink(&c->timeout);
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
}

/* The socket's on_close: the connection is gone, whoever closed it. */
static void on_closed(void *data)
{
    admit_conn *c = data;
    gateway *gw = c->thread->gw;
    atomic_fetch_sub_explicit(&gw->connections, 1, memory_order_relaxed);
    if (c->reserved > 0)
        atomic_fetch_sub_explicit(&gw->unverified_bytes, c->reserved, memory_order_relaxed);
    detach(c);
    vx_buf_free(&c->answer);
    free(c);
}

/* Closes a connection admit still holds (c is freed by on_closed, maybe later). */
static void close_conn(admit_conn *c)
{
    detach(c);
    h2o_socket_close(c->sock);
}

static void on_timeout(h2o_timeout_entry_t *entry)
{
    close_conn(H2O_STRUCT_FROM_MEMBER(admit_conn, timeout, entry));
}

/* ---- a refusal: answer, linger, close ---- */

/* Reads and discards what the client still sends, until it closes or the
 * lingering time is over: closing with unread data would reset the
 * connection, and the client might lose the answer. */
static void on_linger_readable(h2o_socket_t *sock, const char *err)
{
    admit_conn *c = sock->data;
    if (err != NULL) {
        close_conn(c);
        return;
    }
    if (sock->ssl != NULL) { /* h2o read and decrypted it */
        h2o_buffer_consume(&sock->input, sock->input->size);
        return;
    }
    char scratch[LINGER_CHUNK];
    for (int i = 0; i < LINGER_READS; i++) {
        ssize_t n = recv(h2o_socket_get_fd(sock), scratch, sizeof(scratch), 0);
        if (n > 0 || (n < 0 && errno == EINTR))
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        close_conn(c); /* the client closed, or the connection failed */
        return;
    }
}

static void on_refusal_sent(h2o_socket_t *sock, const char *err)
{
    admit_conn *c = sock->data;
    if (err != NULL) {
        close_conn(c);
        return;
    }
    /* Plain text: the client sees the end of the answer at once. (With TLS
     * the answer's Content-Length and "Connection: close" say it.) */
    if (sock->ssl == NULL)
        shutdown(h2o_socket_get_fd(sock), SHUT_WR);
    detach(c);
    h2o_linklist_insert(&c->thread->admitting, &c->link);
    c->timeout.cb = on_timeout;
    h2o_timeout_link(c->thread->loop, &c->thread->linger_timeout, &c->timeout);
    h2o_socket_read_start(sock, on_linger_readable);
}

/* Sends c->answer, then closes. */
static void send_refusal(admit_conn *c)
{
    h2o_socket_read_stop(c->sock);
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
    h2o_iovec_t answer = h2o_iovec_init(c->answer.data, c->answer.len);
    h2o_socket_write(c->sock, &answer, 1, on_refusal_sent);
}

static void refuse(admit_conn *c, const http_head *head, unsigned status, const char *code, const char *message)
{
    http_head_refusal(c->thread->gw, head, NULL, status, code, message, c->start_us, &c->answer);
    send_refusal(c);
}

/* ---- judging the head, handing over ---- */

static bool reserve_unverified(gateway *gw, size_t bytes)
{
    size_t before = atomic_fetch_add_explicit(&gw->unverified_bytes, bytes, memory_order_relaxed);
    if (before + bytes <= gw->cfg.unverified_body_bytes)
        return true;
    atomic_fetch_sub_explicit(&gw->unverified_bytes, bytes, memory_order_relaxed);
    return false;
}

/* h2o takes the connection: what admit read is already in sock->input. */
static void hand_over(admit_conn *c)
{
    h2o_socket_t *sock = c->sock;
    h2o_socket_read_stop(sock);
    detach(c);
    h2o_http1_accept(&c->thread->accept_ctx, sock, c->connected_at);
}

/* Judges a complete head: refuse it, or hand the connection to h2o. */
static void judge(admit_conn *c, const http_head *head)
{
    gateway *gw = c->thread->gw;
    http_head_verdict verdict = http_check_head(gw, head, c->start_us, &c->answer);
    if (verdict == HTTP_HEAD_REFUSED) {
        send_refusal(c);
        return;
    }
    if (verdict == HTTP_HEAD_UNVERIFIED) {
        size_t body = head->chunked ? gw->cfg.max_entity_bytes : head->content_length != SIZE_MAX ? head->content_length : 0;
        if (body > 0 && !reserve_unverified(gw, body)) {
            vx_log_debug(NULL, NULL, "unverified bodies at their limit: request refused");
            refuse(c, head, 503, "busy", "Too many requests are being received at once. Please retry.");
            return;
        }
        c->reserved = body;
    }
    /* Plain text: h2o reads the socket from now on, starting with what admit read. */
    if (c->sock->ssl == NULL) {
        h2o_socket_dont_read(c->sock, 0);
        h2o_iovec_t room = h2o_buffer_reserve(&c->sock->input, c->len);
        if (room.base == NULL)
            abort();
        memcpy(room.base, c->buf, c->len);
        c->sock->input->size += c->len;
    }
    hand_over(c);
}

/* Judges what was read so far (buf: the bytes; full: no more may be read).
 * Returns false while the head is incomplete; true once c is refused or
 * handed to h2o — which may even have closed it, so c is not to be used. */
static bool judge_bytes(admit_conn *c, const char *buf, size_t len, bool full)
{
    http_head head;
    int n = admit_parse_head(buf, len, &head);
    if (n == -2 && !full)
        return false;
    if (n == -1)
        refuse(c, NULL, 400, "bad_request", "The request could not be read.");
    else if (n == -2)
        refuse(c, NULL, 431, "head_too_large", "The request head is too large.");
    else
        judge(c, &head);
    return true;
}

/* Plain text: h2o only says the socket is readable (dont_read); admit reads. */
static void on_plain_readable(h2o_socket_t *sock, const char *err)
{
    admit_conn *c = sock->data;
    if (err != NULL) {
        close_conn(c);
        return;
    }
    for (;;) {
        if (c->len == c->cap) {
            c->cap = c->cap == 0 ? HEAD_FIRST_READ : c->cap * 2 > ADMIT_HEAD_MAX ? ADMIT_HEAD_MAX : c->cap * 2;
            if ((c->buf = realloc(c->buf, c->cap)) == NULL)
                abort();
        }
        ssize_t n = recv(h2o_socket_get_fd(sock), c->buf + c->len, c->cap - c->len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) { /* closed (or failed) before a whole head */
            close_conn(c);
            return;
        }
        c->len += (size_t)n;
        if (judge_bytes(c, c->buf, c->len, c->len == ADMIT_HEAD_MAX))
            return;
    }
}

/* TLS: h2o reads and decrypts into sock->input; admit looks at it. */
static void on_tls_readable(h2o_socket_t *sock, const char *err)
{
    admit_conn *c = sock->data;
    if (err != NULL) {
        close_conn(c);
        return;
    }
    size_t len = sock->input->size < ADMIT_HEAD_MAX ? sock->input->size : ADMIT_HEAD_MAX;
    judge_bytes(c, sock->input->bytes, len, len == ADMIT_HEAD_MAX);
}

static void on_handshake(h2o_socket_t *sock, const char *err)
{
    admit_conn *c = sock->data;
    if (err != NULL) {
        close_conn(c);
        return;
    }
    /* Only HTTP/1.1 is offered by ALPN (server.c): every request's head is judged here. */
    h2o_socket_read_start(sock, on_tls_readable);
    if (sock->input->size > 0)
        on_tls_readable(sock, NULL);
}

/* ---- accepting ---- */

/* Over the cap: closed at once, told why when that costs nothing. */
static void refuse_over_cap(gw_thread *t, h2o_socket_t *sock)
{
    static const char body[] =
        "{\"error\":\"The server has too many connections open. Please retry.\",\"code\":\"too_many_connections\"}";
    gateway *gw = t->gw;
    if (gw->ssl_ctx == NULL) {
        char answer[256];
        int n = snprintf(answer, sizeof(answer),
                         "HTTP/1.1 503 Server Error\r\nConnection: close\r\nContent-Type: application/json\r\n"
                         "Content-Length: %zu\r\n\r\n%s",
                         sizeof(body) - 1, body);
        /* Best effort, never waited for: the kernel takes it or it is lost. */
        if (n > 0 && (size_t)n < sizeof(answer))
            (void)send(h2o_socket_get_fd(sock), answer, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    h2o_socket_close(sock);
    metrics_observe(&gw->metrics, NULL, 503, 0);
    t->cap_refused++;
    uint64_t now = h2o_now(t->loop);
    if (t->cap_logged_at == 0 || now - t->cap_logged_at >= CAP_LOG_MS) {
        char max[16], refused[24];
        snprintf(max, sizeof(max), "%d", gw->cfg.max_connections);
        snprintf(refused, sizeof(refused), "%llu", (unsigned long long)t->cap_refused);
        vx_log_warn(NULL, NULL, "connection cap reached: new connections are closed", "max_connections", max, "refused", refused);
        t->cap_logged_at = now;
        t->cap_refused = 0;
    }
}

void admit_init_thread(gw_thread *t)
{
    gateway *gw = t->gw;
    h2o_linklist_init_anchor(&t->admitting);
    h2o_timeout_init(t->loop, &t->head_timeout, gw->cfg.head_timeout_ms);
    h2o_timeout_init(t->loop, &t->linger_timeout, LINGER_MS);
}

void admit_accept(gw_thread *t, h2o_socket_t *sock)
{
    gateway *gw = t->gw;
    if (atomic_fetch_add_explicit(&gw->connections, 1, memory_order_relaxed) >= gw->cfg.max_connections) {
        atomic_fetch_sub_explicit(&gw->connections, 1, memory_order_relaxed);
        refuse_over_cap(t, sock);
        return;
    }
    admit_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        abort();
    c->thread = t;
    c->sock = sock;
    c->connected_at = *h2o_get_timestamp(&t->ctx, NULL, NULL);
    c->start_us = vx_monotonic_us();
    sock->data = c;
    sock->on_close.cb = on_closed;
    sock->on_close.data = c;
    h2o_linklist_insert(&t->admitting, &c->link);
    c->timeout.cb = on_timeout;
    h2o_timeout_link(t->loop, &t->head_timeout, &c->timeout);
    if (gw->ssl_ctx != NULL) {
        h2o_socket_ssl_handshake(sock, gw->ssl_ctx, NULL, on_handshake);
    } else {
        h2o_socket_dont_read(sock, 1);
        h2o_socket_read_start(sock, on_plain_readable);
    }
}

void admit_close_all(gw_thread *t)
{
    while (!h2o_linklist_is_empty(&t->admitting))
        close_conn(H2O_STRUCT_FROM_MEMBER(admit_conn, link, t->admitting.next));
}
