/*
 * vx_natsloop: cnats event-loop callbacks backed by poll(2) (see vx_natsloop.h).
 *
 * cnats calls the callbacks from the owner thread (publish, read errors) and
 * from its own threads (reconnect: attach with a new socket; ping timer:
 * write). They only record what is wanted in atomics and, when called from
 * another thread, wake the owner's poll through an eventfd; the owner acts on
 * it in its next turn. No lock of ours is ever held while calling cnats.
 */
#include "vx_natsloop.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vx_log.h"
#include "vx_nats.h"
#include "vx_time.h"

struct vx_natsloop {
    natsConnection *nc;
    pthread_t owner;
    int wake_fd;
    atomic_int sock;        /* the attached socket, -1 when detached */
    atomic_bool want_read;  /* cnats wants read events */
    atomic_bool want_write; /* cnats has buffered output */
};

static void wake(vx_natsloop *l)
{
    if (pthread_equal(pthread_self(), l->owner))
        return; /* the owner acts on it in this very turn */
    uint64_t one = 1;
    ssize_t n;
    do
        n = write(l->wake_fd, &one, sizeof(one));
    while (n < 0 && errno == EINTR);
}

static natsStatus on_attach(void **user, void *loop, natsConnection *nc, natsSock sock)
{
    vx_natsloop *l = loop;
    *user = l;
    vx_log_debug(NULL, NULL, "nats socket attached to its loop");
    atomic_store(&l->sock, (int)sock);
    atomic_store(&l->want_read, true);
    wake(l);
    return NATS_OK;
}

static natsStatus on_read(void *user, bool add)
{
    vx_natsloop *l = user;
    atomic_store(&l->want_read, add);
    wake(l);
    return NATS_OK;
}

static natsStatus on_write(void *user, bool add)
{
    vx_natsloop *l = user;
    atomic_store(&l->want_write, add);
    if (add)
        wake(l);
    return NATS_OK;
}

static natsStatus on_detach(void *user)
{
    vx_natsloop *l = user;
    vx_log_debug(NULL, NULL, "nats socket detached from its loop");
    atomic_store(&l->sock, -1);
    atomic_store(&l->want_write, false);
    wake(l);
    return NATS_OK;
}

vx_natsloop *vx_natsloop_connect(const char *url, const char *name)
{
    vx_natsloop *l = calloc(1, sizeof(*l));
    if (l == NULL)
        abort();
    l->owner = pthread_self();
    atomic_init(&l->sock, -1);
    l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->wake_fd < 0) {
        vx_log_error(NULL, NULL, "eventfd failed");
        free(l);
        return NULL;
    }
    natsOptions *opts = vx_nats_options(url, name);
    if (opts != NULL && natsOptions_SetEventLoop(opts, l, on_attach, on_read, on_write, on_detach) != NATS_OK) {
        natsOptions_Destroy(opts);
        opts = NULL;
    }
    l->nc = opts != NULL ? vx_nats_connect_with(opts, url) : NULL;
    if (l->nc == NULL) {
        close(l->wake_fd);
        free(l);
        return NULL;
    }
    return l;
}

natsConnection *vx_natsloop_connection(vx_natsloop *l)
{
    return l->nc;
}

void vx_natsloop_poll(vx_natsloop *l, int timeout_ms)
{
    int sock = atomic_load(&l->sock);
    struct pollfd fds[2] = {{.fd = l->wake_fd, .events = POLLIN}, {.fd = sock, .events = 0}};
    if (atomic_load(&l->want_read))
        fds[1].events |= POLLIN;
    if (atomic_load(&l->want_write))
        fds[1].events |= POLLOUT;
    /* A dead socket stays readable (EOF) and reports hang-ups even without
     * events: while cnats reconnects it wants neither, so it is not watched. */
    int n = poll(fds, sock >= 0 && fds[1].events != 0 ? 2 : 1, timeout_ms);
    if (n <= 0)
        return;
    if (fds[0].revents & POLLIN) {
        uint64_t count;
        while (read(l->wake_fd, &count, sizeof(count)) < 0 && errno == EINTR) {
        }
    }
    if (sock < 0 || sock != atomic_load(&l->sock))
        return; /* detached or replaced meanwhile: the next turn polls the new one */
    /* An error or hang-up is read too: that is how cnats learns of it. */
    if (fds[1].revents & (POLLIN | POLLERR | POLLHUP))
        natsConnection_ProcessReadEvent(l->nc);
    if ((fds[1].revents & POLLOUT) && atomic_load(&l->want_write))
        natsConnection_ProcessWriteEvent(l->nc);
}

void vx_natsloop_flush(vx_natsloop *l)
{
    if (atomic_load(&l->want_write) && atomic_load(&l->sock) >= 0)
        natsConnection_ProcessWriteEvent(l->nc);
}

natsSubscription *vx_natsloop_send_marker(natsConnection *nc)
{
    char inbox[128];
    natsSubscription *marker = NULL;
    natsStatus s = vx_nats_new_inbox(inbox, sizeof(inbox)) == 0 ? NATS_OK : NATS_ERR;
    if (s == NATS_OK)
        s = natsConnection_SubscribeSync(&marker, nc, inbox);
    if (s == NATS_OK)
        s = natsConnection_Publish(nc, inbox, NULL, 0);
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "nats marker failed", "error", natsStatus_GetText(s));
        natsSubscription_Destroy(marker);
        return NULL;
    }
    return marker;
}

bool vx_natsloop_marker_back(natsSubscription *marker)
{
    natsMsg *msg = NULL;
    if (natsSubscription_NextMsg(&msg, marker, 0) != NATS_OK)
        return false;
    natsMsg_Destroy(msg);
    return true;
}

bool vx_natsloop_sync(vx_natsloop *l, int timeout_ms)
{
    natsSubscription *marker = vx_natsloop_send_marker(l->nc);
    bool back = false;
    for (int64_t until = vx_monotonic_us() + (int64_t)timeout_ms * 1000; marker != NULL;) {
        vx_natsloop_flush(l);
        if ((back = vx_natsloop_marker_back(marker)))
            break;
        int64_t left_ms = (until - vx_monotonic_us()) / 1000;
        if (left_ms <= 0)
            break;
        vx_natsloop_poll(l, left_ms < 50 ? (int)left_ms : 50);
    }
    natsSubscription_Destroy(marker);
    return back;
}

void vx_natsloop_destroy(vx_natsloop *l)
{
    if (l == NULL)
        return;
    /* cnats closes with SO_LINGER 0: a reset that throws away whatever the
     * server has not read yet, and in event-loop mode it writes nothing by
     * itself on close. So first make sure the server has read it all —
     * when there is one: while NATS is away nothing can be confirmed, and
     * waiting for it would only delay the stop past its budget. */
    if (atomic_load(&l->sock) >= 0 && natsConnection_Status(l->nc) == NATS_CONN_STATUS_CONNECTED && !vx_natsloop_sync(l, 5000))
        vx_log_warn(NULL, NULL, "nats server did not confirm the last output before closing");
    natsConnection_Destroy(l->nc);
    close(l->wake_fd);
    free(l);
}
