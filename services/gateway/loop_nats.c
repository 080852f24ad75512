/*
 * loop_nats: cnats' event-loop callbacks on an h2o evloop (see loop_nats.h).
 */
#include "loop_nats.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "vx_log.h"
#include "vx_nats.h"

struct loop_nats {
    natsConnection *nc;
    h2o_evloop_t *loop;
    pthread_t owner;
    loop_nats_read_cb on_read;
    void *data;

    /* What cnats wants, written by any thread under mu. */
    pthread_mutex_t mu;
    int want_fd;     /* cnats' socket, -1 when detached */
    bool want_read;  /* cnats reads the socket (off while it reconnects) */
    bool want_write; /* cnats has buffered output */
    bool posted;     /* apply_msg is queued to the loop */
    h2o_multithread_receiver_t receiver;
    h2o_multithread_message_t apply_msg;

    /* What the loop does about it: loop thread only. */
    h2o_socket_t *sock; /* watches a dup of watched_fd */
    int watched_fd;
    bool reading;
    bool write_notified;         /* h2o_socket_notify_write pending */
    h2o_timeout_t flush_timeout; /* 0 ms: runs at the end of the current turn */
    h2o_timeout_entry_t flush_entry;
};

static void on_readable(h2o_socket_t *sock, const char *err);
static void on_writable(h2o_socket_t *sock, const char *err);

static bool want_write(loop_nats *n)
{
    pthread_mutex_lock(&n->mu);
    bool w = n->want_write;
    pthread_mutex_unlock(&n->mu);
    return w;
}

/* Writes what cnats has buffered; waits for the socket when it is full. */
static void flush(loop_nats *n)
{
    if (n->sock == NULL || n->write_notified || !want_write(n))
        return;
    natsConnection_ProcessWriteEvent(n->nc);
    if (n->sock != NULL && want_write(n)) {
        n->write_notified = true;
        h2o_socket_notify_write(n->sock, on_writable);
    }
}

static void on_flush_due(h2o_timeout_entry_t *entry)
{
    loop_nats *n = H2O_STRUCT_FROM_MEMBER(loop_nats, flush_entry, entry);
    flush(n);
}

static void on_writable(h2o_socket_t *sock, const char *err)
{
    loop_nats *n = sock->data;
    n->write_notified = false;
    flush(n);
}

static void on_readable(h2o_socket_t *sock, const char *err)
{
    loop_nats *n = sock->data;
    /* On an error too: reading is how cnats learns the connection is gone. */
    natsConnection_ProcessReadEvent(n->nc);
    n->on_read(n->data);
}

/* Makes the loop match what cnats wants (loop thread only). */
static void apply(loop_nats *n)
{
    pthread_mutex_lock(&n->mu);
    int fd = n->want_fd;
    bool read = n->want_read;
    bool write = n->want_write;
    n->posted = false;
    pthread_mutex_unlock(&n->mu);

    if (fd != n->watched_fd) {
        if (n->sock != NULL) {
            if (n->reading)
                h2o_socket_read_stop(n->sock);
            h2o_socket_close(n->sock);
            n->sock = NULL;
            n->reading = false;
            n->write_notified = false;
        }
        n->watched_fd = -1;
        int dup_fd = fd >= 0 ? dup(fd) : -1;
        if (dup_fd >= 0) {
            n->sock = h2o_evloop_socket_create(n->loop, dup_fd, H2O_SOCKET_FLAG_DONT_READ);
            n->sock->data = n;
            n->watched_fd = fd;
        } else if (fd >= 0) {
            vx_log_error(NULL, NULL, "cannot watch the nats socket (dup failed)");
        }
    }
    /* A dead socket stays readable (EOF): while cnats reconnects it does not
     * want reads, and watching it would spin the loop. */
    if (n->sock != NULL && read != n->reading) {
        if (read)
            h2o_socket_read_start(n->sock, on_readable);
        else
            h2o_socket_read_stop(n->sock);
        n->reading = read;
    }
    if (write && n->sock != NULL && !h2o_timeout_is_linked(&n->flush_entry))
        h2o_timeout_link(n->loop, &n->flush_timeout, &n->flush_entry);
}

static void on_apply_message(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    loop_nats *n = H2O_STRUCT_FROM_MEMBER(loop_nats, receiver, receiver);
    while (!h2o_linklist_is_empty(messages))
        h2o_linklist_unlink(messages->next);
    apply(n);
}

/* Records a change; the loop applies it now (its own thread) or soon (posted). */
static void changed(loop_nats *n)
{
    if (pthread_equal(pthread_self(), n->owner)) {
        apply(n);
        return;
    }
    pthread_mutex_lock(&n->mu);
    bool post = !n->posted;
    n->posted = true;
    pthread_mutex_unlock(&n->mu);
    if (post)
        h2o_multithread_send_message(&n->receiver, &n->apply_msg);
}

static natsStatus on_attach(void **user, void *loop, natsConnection *nc, natsSock fd)
{
    loop_nats *n = loop;
    *user = n;
    pthread_mutex_lock(&n->mu);
    n->want_fd = (int)fd;
    n->want_read = true;
    pthread_mutex_unlock(&n->mu);
    changed(n);
    return NATS_OK;
}

static natsStatus on_read_interest(void *user, bool add)
{
    loop_nats *n = user;
    pthread_mutex_lock(&n->mu);
    n->want_read = add;
    pthread_mutex_unlock(&n->mu);
    changed(n);
    return NATS_OK;
}

static natsStatus on_write_interest(void *user, bool add)
{
    loop_nats *n = user;
    pthread_mutex_lock(&n->mu);
    bool was = n->want_write;
    n->want_write = add;
    pthread_mutex_unlock(&n->mu);
    if (add && !was)
        changed(n);
    return NATS_OK;
}

static natsStatus on_detach(void *user)
{
    loop_nats *n = user;
    pthread_mutex_lock(&n->mu);
    n->want_fd = -1;
    n->want_read = false;
    n->want_write = false;
    pthread_mutex_unlock(&n->mu);
    changed(n);
    return NATS_OK;
}

loop_nats *loop_nats_connect(h2o_evloop_t *loop, h2o_multithread_queue_t *queue, const char *url, const char *name,
                             loop_nats_read_cb on_read, void *data)
{
    loop_nats *n = calloc(1, sizeof(*n));
    if (n == NULL)
        abort();
    n->loop = loop;
    n->owner = pthread_self();
    n->on_read = on_read;
    n->data = data;
    n->want_fd = -1;
    n->watched_fd = -1;
    pthread_mutex_init(&n->mu, NULL);
    h2o_multithread_register_receiver(queue, &n->receiver, on_apply_message);
    h2o_timeout_init(loop, &n->flush_timeout, 0);
    n->flush_entry.cb = on_flush_due;
    natsOptions *opts = vx_nats_options(url, name);
    if (opts != NULL && (natsOptions_SetEventLoop(opts, n, on_attach, on_read_interest, on_write_interest, on_detach) != NATS_OK ||
                         natsOptions_DisableNoResponders(opts, true) != NATS_OK)) {
        natsOptions_Destroy(opts);
        opts = NULL;
    }
    n->nc = opts != NULL ? vx_nats_connect_with(opts, url) : NULL;
    if (n->nc == NULL) {
        h2o_multithread_unregister_receiver(queue, &n->receiver);
        pthread_mutex_destroy(&n->mu);
        free(n);
        return NULL;
    }
    return n;
}

natsConnection *loop_nats_connection(loop_nats *n)
{
    return n->nc;
}

void loop_nats_close(loop_nats *n)
{
    if (n == NULL)
        return;
    if (h2o_timeout_is_linked(&n->flush_entry))
        h2o_timeout_unlink(&n->flush_entry);
    flush(n);
    natsConnection_Destroy(n->nc); /* detaches: the watched socket is closed */
    n->nc = NULL;
}
