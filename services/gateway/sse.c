/*
 * sse: a loop thread's event streams (see sse.h).
 *
 * A stream's life, all on its loop thread:
 *   CATCHING_UP  (Last-Event-ID given) live events of its org are held back
 *                while fetches (events.h) read the missed ones a page at a
 *                time; the next page is asked for once the previous one has
 *                left (so a client far behind is fed at its own pace);
 *   LIVE         each event of its org is appended to its output and sent;
 *   ending       no more events: the end of the response goes out when the
 *                write in flight is done (gateway stops, token expired), or
 *                the connection is cut (a slow client: dropped).
 * Every frame is put in the output at most once, in sequence order:
 * last_sent is the highest sequence put there, and anything at or below it
 * is skipped — that is the de-duplication at the switch from catch-up to live.
 */
#include "sse.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vx_log.h"
#include "vx_time.h"

#define SSE_MIN_STALL_MS 10000 /* a write not done after max(this, 2 heartbeats): the client is dropped */
#define SSE_KEEP_BUF     (64 * 1024)

typedef enum { SSE_CATCHING_UP, SSE_LIVE } sse_state;

typedef struct sse_client {
    h2o_generator_t gen;
    h2o_linklist_t link; /* in sse_thread.clients */
    h2o_timeout_entry_t heartbeat;
    h2o_timeout_entry_t finish; /* ends the response at the end of the turn */
    sse_thread *st;
    h2o_req_t *req;
    char org_id[EVENTS_ORG_MAX + 1];
    char request_id[REQUEST_ID_MAX + 1];
    int64_t token_exp; /* unix seconds */
    sse_state state;
    uint64_t last_sent; /* the highest sequence put in the output */
    vx_buf out;         /* waiting for the write in flight */
    vx_buf inflight;    /* given to h2o_send: untouched until proceed */
    bool sending;
    uint64_t sending_since; /* loop ms */
    events_item **held;     /* live events held back while catching up */
    size_t nheld, held_cap, held_bytes;
    events_fetch *fetch;     /* in flight, or NULL */
    bool fetch_when_drained; /* the next catch-up page, once the output is empty */
    bool ending;             /* no more output: the response ends */
    bool dropped;            /* ending as an error (slow client) */
} sse_client;

struct sse_thread {
    gw_thread *t;
    h2o_linklist_t clients;
    atomic_int nclients; /* read by the feed's thread (sse_thread_post) */
    h2o_multithread_receiver_t events_rx;
    h2o_multithread_receiver_t fetch_rx;
    h2o_timeout_t heartbeat;
    h2o_timeout_t end_of_turn; /* 0 ms */
};

/* One event on its way to a loop thread. */
typedef struct sse_post {
    h2o_multithread_message_t super;
    events_item *it;
} sse_post;

/* ---- Pure parts ---- */

void sse_format_frame(vx_buf *out, uint64_t seq, const char *type, size_t type_len, const char *data, size_t data_len)
{
    vx_buf_printf(out, "id: %" PRIu64 "\nevent: ", seq);
    for (size_t i = 0; i < type_len; i++)
        if (type[i] > ' ' && type[i] < 0x7f)
            vx_buf_putc(out, type[i]);
    vx_buf_puts(out, "\ndata: ");
    size_t from = 0;
    for (size_t i = 0; i <= data_len; i++) {
        if (i < data_len && data[i] != '\r' && data[i] != '\n' && data[i] != '\0')
            continue;
        vx_buf_append(out, data + from, i - from);
        if (i < data_len && data[i] != '\0')
            vx_buf_putc(out, ' ');
        from = i + 1;
    }
    vx_buf_puts(out, "\n\n");
}

int sse_parse_last_event_id(const char *s, size_t len, uint64_t *id)
{
    while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0 || len > 19)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX)
        return -1;
    *id = v;
    return 0;
}

bool sse_query_value(const char *query, size_t len, const char *name, const char **value, size_t *value_len)
{
    size_t name_len = strlen(name);
    const char *p = query, *end = query + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        const char *key_end = eq != NULL ? eq : pair_end;
        if ((size_t)(key_end - p) == name_len && memcmp(p, name, name_len) == 0) {
            *value = eq != NULL ? eq + 1 : pair_end;
            *value_len = (size_t)(pair_end - *value);
            return true;
        }
        p = pair_end + 1;
    }
    return false;
}

/* ---- One stream ---- */

static void start_fetch(sse_client *c);

static events *thread_events(sse_thread *st)
{
    return st->t->gw->events;
}

/* Gives the output to h2o, unless a write is in flight (then proceed does). */
static void kick(sse_client *c)
{
    if (c->sending || c->ending || c->out.len == 0)
        return;
    vx_buf t = c->inflight;
    c->inflight = c->out;
    c->out = t;
    vx_buf_reset(&c->out);
    h2o_iovec_t buf = h2o_iovec_init(c->inflight.data, c->inflight.len);
    c->sending = true;
    c->sending_since = h2o_now(c->st->t->loop);
    h2o_send(c->req, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
}

/* Ends the response at the end of this turn (or after the write in flight):
 * never synchronously, as h2o may free the request (and c) inside h2o_send. */
static void end_stream(sse_client *c)
{
    if (c->ending)
        return;
    c->ending = true;
    if (!c->sending && !h2o_timeout_is_linked(&c->finish))
        h2o_timeout_link(c->st->t->loop, &c->st->end_of_turn, &c->finish);
}

/* A client that does not keep up: its connection is cut. A write in flight
 * cannot be taken back from h2o, so the socket is shut down under it: the
 * write fails, h2o closes the connection and stops the request. */
static void drop(sse_client *c, const char *why)
{
    if (c->dropped)
        return;
    vx_log_warn(c->request_id, c->org_id, "event stream client dropped", "reason", why);
    c->dropped = true;
    if (c->sending) {
        c->ending = true;
        h2o_socket_t *sock = c->req->conn->callbacks->get_socket != NULL ? c->req->conn->callbacks->get_socket(c->req->conn) : NULL;
        if (sock != NULL)
            shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
        return;
    }
    end_stream(c);
}

static void on_finish(h2o_timeout_entry_t *entry)
{
    sse_client *c = H2O_STRUCT_FROM_MEMBER(sse_client, finish, entry);
    /* The last touch of c: h2o may dispose of the request in there. */
    h2o_send(c->req, NULL, 0, c->dropped ? H2O_SEND_STATE_ERROR : H2O_SEND_STATE_FINAL);
}

static void append(sse_client *c, const char *data, size_t len)
{
    if (c->ending)
        return;
    vx_buf_append(&c->out, data, len);
    if (c->out.len > c->st->t->gw->cfg.sse_max_buffer_bytes)
        drop(c, "output buffer full");
}

/* Puts one event in the output unless it was already there. */
static void send_item(sse_client *c, const events_item *it)
{
    if (it->seq <= c->last_sent)
        return;
    c->last_sent = it->seq;
    append(c, it->frame, it->len);
}

static void hold(sse_client *c, events_item *it)
{
    if (c->nheld == c->held_cap) {
        c->held_cap = c->held_cap == 0 ? 16 : c->held_cap * 2;
        c->held = realloc(c->held, c->held_cap * sizeof(*c->held));
        if (c->held == NULL)
            abort();
    }
    c->held[c->nheld++] = events_item_ref(it);
    c->held_bytes += it->len;
    if (c->held_bytes > c->st->t->gw->cfg.sse_max_buffer_bytes)
        drop(c, "too many events while catching up");
}

static void release_held(sse_client *c)
{
    for (size_t i = 0; i < c->nheld; i++)
        events_item_unref(c->held[i]);
    free(c->held);
    c->held = NULL;
    c->nheld = c->held_cap = c->held_bytes = 0;
}

static void go_live(sse_client *c)
{
    for (size_t i = 0; i < c->nheld && !c->ending; i++)
        send_item(c, c->held[i]);
    release_held(c);
    c->state = SSE_LIVE;
}

static void on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    sse_client *c = H2O_STRUCT_FROM_MEMBER(sse_client, gen, gen);
    c->sending = false;
    if (c->inflight.cap > SSE_KEEP_BUF)
        vx_buf_free(&c->inflight);
    else
        vx_buf_reset(&c->inflight);
    if (c->ending) {
        on_finish(&c->finish);
        return;
    }
    if (c->fetch_when_drained && c->out.len == 0) {
        c->fetch_when_drained = false;
        start_fetch(c);
    }
    kick(c);
}

static void on_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    /* The client is gone: the request pool's dispose (on_client_dispose)
     * cleans up right after. */
    sse_client *c = H2O_STRUCT_FROM_MEMBER(sse_client, gen, gen);
    c->ending = true;
}

static void on_client_dispose(void *p)
{
    sse_client *c = p;
    if (c->fetch != NULL) /* it comes back later and is freed then */
        c->fetch->client = NULL;
    if (h2o_timeout_is_linked(&c->heartbeat))
        h2o_timeout_unlink(&c->heartbeat);
    if (h2o_timeout_is_linked(&c->finish))
        h2o_timeout_unlink(&c->finish);
    h2o_linklist_unlink(&c->link);
    atomic_fetch_sub_explicit(&c->st->nclients, 1, memory_order_relaxed);
    events_release(thread_events(c->st), c->org_id);
    release_held(c);
    vx_buf_free(&c->out);
    vx_buf_free(&c->inflight);
}

static void on_heartbeat(h2o_timeout_entry_t *entry)
{
    sse_client *c = H2O_STRUCT_FROM_MEMBER(sse_client, heartbeat, entry);
    gateway *gw = c->st->t->gw;
    uint64_t stall_ms = 2 * gw->cfg.sse_heartbeat_ms > SSE_MIN_STALL_MS ? 2 * gw->cfg.sse_heartbeat_ms : SSE_MIN_STALL_MS;
    if (c->ending)
        return;
    h2o_timeout_link(c->st->t->loop, &c->st->heartbeat, &c->heartbeat);
    if (c->sending && h2o_now(c->st->t->loop) - c->sending_since > stall_ms) {
        drop(c, "not reading");
        return;
    }
    if (vx_now_ms() / 1000 >= c->token_exp) {
        /* The client reconnects (Last-Event-ID) with a fresh token. */
        end_stream(c);
        return;
    }
    if (c->out.len == 0 && !c->sending) {
        append(c, H2O_STRLIT(": ping\n\n"));
        kick(c);
    }
}

/* ---- Catch-up ---- */

static void start_fetch(sse_client *c)
{
    events_fetch *f = calloc(1, sizeof(*f));
    if (f == NULL)
        abort();
    f->reply_to = &c->st->fetch_rx;
    f->client = c;
    snprintf(f->org_id, sizeof(f->org_id), "%s", c->org_id);
    f->after = c->last_sent;
    c->fetch = f;
    events_fetch_submit(thread_events(c->st), f);
}

static void fetched(sse_client *c, events_fetch *f)
{
    c->fetch = NULL;
    if (f->failed) {
        /* Never skip ahead: end, and the client resumes from what it got. */
        end_stream(c);
        return;
    }
    for (size_t i = 0; i < f->nitems && !c->ending; i++)
        send_item(c, f->items[i]);
    if (c->ending)
        return;
    if (f->more) {
        if (!c->sending && c->out.len == 0)
            start_fetch(c);
        else
            c->fetch_when_drained = true;
    } else {
        go_live(c);
    }
    kick(c);
}

static void on_fetch_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty(messages)) {
        events_fetch *f = H2O_STRUCT_FROM_MEMBER(events_fetch, super.link, messages->next);
        h2o_linklist_unlink(&f->super.link);
        if (f->client != NULL)
            fetched(f->client, f);
        events_fetch_free(f);
    }
}

/* ---- Live events ---- */

static void deliver(sse_thread *st, events_item *it)
{
    for (h2o_linklist_t *node = st->clients.next, *next; node != &st->clients; node = next) {
        next = node->next;
        sse_client *c = H2O_STRUCT_FROM_MEMBER(sse_client, link, node);
        if (c->ending || strcmp(c->org_id, it->org_id) != 0)
            continue;
        if (c->state == SSE_CATCHING_UP) {
            hold(c, it);
        } else {
            send_item(c, it);
            kick(c);
        }
    }
}

static void on_event_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    sse_thread *st = H2O_STRUCT_FROM_MEMBER(sse_thread, events_rx, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        sse_post *p = H2O_STRUCT_FROM_MEMBER(sse_post, super.link, messages->next);
        h2o_linklist_unlink(&p->super.link);
        deliver(st, p->it);
        events_item_unref(p->it);
        free(p);
    }
}

void sse_thread_post(gw_thread *t, events_item *it)
{
    sse_thread *st = t->sse;
    if (st == NULL || atomic_load_explicit(&st->nclients, memory_order_relaxed) == 0)
        return;
    sse_post *p = calloc(1, sizeof(*p));
    if (p == NULL)
        abort();
    p->it = events_item_ref(it);
    h2o_multithread_send_message(&st->events_rx, &p->super);
}

void sse_thread_init(gw_thread *t)
{
    sse_thread *st = calloc(1, sizeof(*st));
    if (st == NULL)
        abort();
    st->t = t;
    h2o_linklist_init_anchor(&st->clients);
    atomic_init(&st->nclients, 0);
    h2o_multithread_register_receiver(t->queue, &st->events_rx, on_event_messages);
    h2o_multithread_register_receiver(t->queue, &st->fetch_rx, on_fetch_messages);
    h2o_timeout_init(t->loop, &st->heartbeat, t->gw->cfg.sse_heartbeat_ms);
    h2o_timeout_init(t->loop, &st->end_of_turn, 0);
    t->sse = st;
}

void sse_thread_close(gw_thread *t)
{
    sse_thread *st = t->sse;
    if (st == NULL)
        return;
    for (h2o_linklist_t *node = st->clients.next; node != &st->clients; node = node->next)
        end_stream(H2O_STRUCT_FROM_MEMBER(sse_client, link, node));
}

/* ---- The route ---- */

/* Last-Event-ID, else ?lastEventId=: 1 and *id when given, 0 when not, -1 malformed. */
static int requested_resume(h2o_req_t *req, uint64_t *id)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("last-event-id"), -1);
    if (i >= 0)
        return sse_parse_last_event_id(req->headers.entries[i].value.base, req->headers.entries[i].value.len, id) == 0 ? 1 : -1;
    const char *v;
    size_t vlen;
    if (req->query_at != SIZE_MAX &&
        sse_query_value(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1, "lastEventId", &v, &vlen))
        return sse_parse_last_event_id(v, vlen, id) == 0 ? 1 : -1;
    return 0;
}

void sse_serve(request_ctx *ctx)
{
    gw_thread *t = ctx->thread;
    gateway *gw = t->gw;
    h2o_req_t *req = ctx->req;
    uint64_t last_id = 0;
    int resume = requested_resume(req, &last_id);
    if (resume < 0) {
        http_respond_error(ctx, 400, "invalid_last_event_id", "Last-Event-ID must be an event id (a number).");
        return;
    }
    if (!events_ready(gw->events) || t->sse == NULL) {
        http_respond_error(ctx, 503, "sse_unavailable", "The event stream is not available right now. Please retry.");
        return;
    }
    switch (events_admit(gw->events, ctx->claims.org_id)) {
    case EVENTS_ADMIT_OK:
        break;
    case EVENTS_ADMIT_ORG_FULL:
        http_respond_error(ctx, 429, "too_many_streams", "This organization has too many event streams open. Close one and retry.");
        return;
    case EVENTS_ADMIT_FULL:
        http_respond_error(ctx, 503, "sse_unavailable", "The event stream is not available right now. Please retry.");
        return;
    }
    sse_client *c = h2o_mem_alloc_shared(&req->pool, sizeof(*c), on_client_dispose);
    memset(c, 0, sizeof(*c));
    c->gen.proceed = on_proceed;
    c->gen.stop = on_stop;
    c->st = t->sse;
    c->req = req;
    snprintf(c->org_id, sizeof(c->org_id), "%s", ctx->claims.org_id);
    snprintf(c->request_id, sizeof(c->request_id), "%s", ctx->request_id);
    c->token_exp = ctx->claims.exp;
    c->heartbeat.cb = on_heartbeat;
    c->finish.cb = on_finish;
    c->last_sent = last_id;
    c->state = resume ? SSE_CATCHING_UP : SSE_LIVE;
    /* Registered before the catch-up read starts: see events.h. */
    h2o_linklist_insert(&c->st->clients, &c->link);
    atomic_fetch_add_explicit(&c->st->nclients, 1, memory_order_relaxed);

    http_add_header(ctx, "cache-control", H2O_STRLIT("no-store"));
    http_add_header(ctx, "x-accel-buffering", H2O_STRLIT("no"));
    http_begin_stream(ctx, &c->gen, "text/event-stream");
    /* The head and a first line now: the client knows it is connected. */
    append(c, H2O_STRLIT(": connected\nretry: 3000\n\n"));
    h2o_timeout_link(t->loop, &c->st->heartbeat, &c->heartbeat);
    if (resume)
        start_fetch(c);
    kick(c);
}
