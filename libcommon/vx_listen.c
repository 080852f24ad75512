/*
 * vx_listen: the LISTEN thread behind cache invalidation (see vx_listen.h).
 */
#include "vx_listen.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vx_buf.h"
#include "vx_log.h"

#define BACKOFF_MIN_MS   100
#define BACKOFF_MAX_MS   5000
#define POLL_INTERVAL_MS 30000

struct vx_listener {
    char *conninfo;
    char *channel;
    char *application_name;
    pthread_t thread;
    bool running; /* the thread was started and not joined yet: touched only by start and stop */
    int wake[2];  /* self-pipe: [0] polled by the thread, [1] written by stop */
    atomic_uint_fast64_t generation;
    atomic_bool live;
    vx_listener_fn on_change; /* set before start, then only read */
    void *on_change_arg;
};

/* ------------------------------------------------------------ listener */

static void bump(vx_listener *l)
{
    atomic_fetch_add_explicit(&l->generation, 1, memory_order_release);
    if (l->on_change != NULL)
        l->on_change(l->on_change_arg);
}

/* Waits up to ms for the stop pipe; true when asked to stop. */
static bool wait_stop(vx_listener *l, int ms)
{
    struct pollfd p = {l->wake[0], POLLIN, 0};
    return poll(&p, 1, ms) > 0;
}

static PGconn *listen_connect(vx_listener *l)
{
    /* expand_dbname: the first value is the whole conninfo; keepalives notice a
     * silently dropped connection (no notification would ever say so). */
    static const char *const keys[] = {"dbname",          "application_name",    "connect_timeout",  "keepalives",
                                       "keepalives_idle", "keepalives_interval", "keepalives_count", NULL};
    const char *values[] = {l->conninfo, l->application_name, "5", "1", "10", "5", "3", NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn) != CONNECTION_OK) {
        vx_log_warn(NULL, NULL, "notification listener cannot connect", "error", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    char *quoted = PQescapeIdentifier(conn, l->channel, strlen(l->channel));
    vx_buf sql = VX_BUF_INIT;
    vx_buf_printf(&sql, "LISTEN %s", quoted != NULL ? quoted : "\"\"");
    PQfreemem(quoted);
    PGresult *res = PQexec(conn, sql.data);
    vx_buf_free(&sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        vx_log_warn(NULL, NULL, "notification listener cannot LISTEN", "error", PQresultErrorMessage(res));
    PQclear(res);
    if (!ok) {
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

/* Serves one connection until it breaks (returns false) or stop is asked (true). */
static bool listen_loop(vx_listener *l, PGconn *conn)
{
    struct pollfd p[2] = {{l->wake[0], POLLIN, 0}, {PQsocket(conn), POLLIN, 0}};
    for (;;) {
        int n = poll(p, 2, POLL_INTERVAL_MS);
        if (n < 0 && errno != EINTR)
            return false;
        if (p[0].revents != 0)
            return true;
        if (n == 0) {
            /* Quiet for a while: make sure the connection is still there. */
            PGresult *res = PQexec(conn, "SELECT 1");
            bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
            PQclear(res);
            if (!ok)
                return false;
        } else if (PQconsumeInput(conn) != 1) {
            return false;
        }
        bool changed = false;
        PGnotify *note;
        while ((note = PQnotifies(conn)) != NULL) {
            changed = true;
            PQfreemem(note);
        }
        if (changed)
            bump(l);
        if (PQstatus(conn) != CONNECTION_OK)
            return false;
    }
}

static void *listener_main(void *arg)
{
    vx_listener *l = arg;
    int backoff = BACKOFF_MIN_MS;
    for (;;) {
        PGconn *conn = listen_connect(l);
        if (conn != NULL) {
            atomic_store(&l->live, true);
            bump(l); /* whatever happened while we were not listening */
            vx_log_info(NULL, NULL, "notification listener connected", "channel", l->channel);
            backoff = BACKOFF_MIN_MS;
            bool stop = listen_loop(l, conn);
            atomic_store(&l->live, false);
            bump(l);
            PQfinish(conn);
            if (stop)
                return NULL;
            vx_log_warn(NULL, NULL, "notification listener lost its connection");
        }
        if (wait_stop(l, backoff))
            return NULL;
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
}

/* Frees what create allocated (the thread is not running). */
static void listener_free(vx_listener *l)
{
    if (l->wake[0] >= 0)
        close(l->wake[0]);
    if (l->wake[1] >= 0)
        close(l->wake[1]);
    free(l->conninfo);
    free(l->channel);
    free(l->application_name);
    free(l);
}

vx_listener *vx_listener_create(const char *conninfo, const char *channel, const char *application_name)
{
    vx_listener *l = calloc(1, sizeof(*l));
    if (l == NULL || (l->conninfo = strdup(conninfo)) == NULL || (l->channel = strdup(channel)) == NULL ||
        (l->application_name = strdup(application_name)) == NULL)
        abort();
    atomic_init(&l->generation, 1);
    atomic_init(&l->live, false);
    l->wake[0] = l->wake[1] = -1;
    if (pipe(l->wake) != 0) {
        vx_log_error(NULL, NULL, "notification listener: pipe failed", "error", strerror(errno));
        l->wake[0] = l->wake[1] = -1;
        listener_free(l);
        return NULL;
    }
    return l;
}

void vx_listener_on_change(vx_listener *l, vx_listener_fn fn, void *arg)
{
    l->on_change = fn;
    l->on_change_arg = arg;
}

int vx_listener_start(vx_listener *l)
{
    if (pthread_create(&l->thread, NULL, listener_main, l) != 0) {
        vx_log_error(NULL, NULL, "notification listener: thread creation failed");
        return -1;
    }
    l->running = true;
    return 0;
}

void vx_listener_stop(vx_listener *l)
{
    if (l == NULL || !l->running)
        return;
    ssize_t w;
    do
        w = write(l->wake[1], "x", 1);
    while (w < 0 && errno == EINTR);
    pthread_join(l->thread, NULL);
    l->running = false;
}

void vx_listener_destroy(vx_listener *l)
{
    if (l == NULL)
        return;
    vx_listener_stop(l);
    listener_free(l);
}

uint64_t vx_listener_generation(const vx_listener *l)
{
    return atomic_load_explicit(&((vx_listener *)l)->generation, memory_order_acquire);
}

bool vx_listener_live(const vx_listener *l)
{
    return atomic_load(&((vx_listener *)l)->live);
}
