/*
 * orgs: the resolver cache and the change listener of orgs.h.
 *
 * Resolver: one statement asks all four SECURITY DEFINER functions at once
 * (each a unique-index probe; the same SQL as webhook-ingest's resolver), in
 * autocommit, so a miss costs one round trip; C picks the first answer in
 * tier order. The cache is direct-mapped on a hash of the four inputs: a
 * collision evicts, an expired entry is ignored. Negative answers are cached
 * too (briefly), so a burst of calls from an unknown assistant does not turn
 * into a burst of queries.
 *
 * Invalidation: the generation is read before the cache is consulted and
 * before the database is asked. A NOTIFY is sent after the change commits;
 * an answer read before that commit may be stored, but the notification that
 * follows bumps the generation and the next resolve drops it.
 *
 * Listener: a plain libpq connection (not vx_pg: it needs the socket) in one
 * thread that poll()s the socket and a self-pipe; writing to the pipe stops
 * it at once. Every (re)connect bumps the generation too, since
 * notifications sent while it was away are lost.
 */
#include "orgs.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vx_buf.h"
#include "vx_log.h"
#include "vx_time.h"

#define CACHE_SLOTS      1024
#define TTL_FOUND_MS     60000
#define TTL_SHORT_MS     5000
#define BACKOFF_MIN_MS   100
#define BACKOFF_MAX_MS   5000
#define POLL_INTERVAL_MS 30000

static const char RESOLVE_SQL[] = "SELECT org_for_assistant($1)::text,"
                                  " CASE WHEN org_exists($2::uuid) THEN $2::uuid::text END,"
                                  " org_for_phone_number_id($3)::text,"
                                  " org_for_phone_number($4)::text";
#define RESOLVE_STMT "orgs_resolve"

struct orgs_listener {
    char *conninfo;
    pthread_t thread;
    int wake[2]; /* self-pipe: [0] polled by the thread, [1] written by stop */
    atomic_uint_fast64_t generation;
    atomic_bool live;
};

/* ------------------------------------------------------------ listener */

static void bump(orgs_listener *l)
{
    atomic_fetch_add_explicit(&l->generation, 1, memory_order_release);
}

/* Waits up to ms for the stop pipe; true when asked to stop. */
static bool wait_stop(orgs_listener *l, int ms)
{
    struct pollfd p = {l->wake[0], POLLIN, 0};
    return poll(&p, 1, ms) > 0;
}

static PGconn *listen_connect(orgs_listener *l)
{
    /* expand_dbname: the first value is the whole conninfo; keepalives notice a
     * silently dropped connection (no notification would ever say so). */
    static const char *const keys[] = {"dbname",          "application_name",    "connect_timeout",  "keepalives",
                                       "keepalives_idle", "keepalives_interval", "keepalives_count", NULL};
    const char *values[] = {l->conninfo, "tool-router-listener", "5", "1", "10", "5", "3", NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn) != CONNECTION_OK) {
        vx_log_warn(NULL, NULL, "org cache listener cannot connect", "error", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    PGresult *res = PQexec(conn, "LISTEN " ORGS_CHANNEL);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        vx_log_warn(NULL, NULL, "org cache listener cannot LISTEN", "error", PQresultErrorMessage(res));
    PQclear(res);
    if (!ok) {
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

/* Serves one connection until it breaks (returns false) or stop is asked (true). */
static bool listen_loop(orgs_listener *l, PGconn *conn)
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
    orgs_listener *l = arg;
    int backoff = BACKOFF_MIN_MS;
    for (;;) {
        PGconn *conn = listen_connect(l);
        if (conn != NULL) {
            atomic_store(&l->live, true);
            bump(l); /* whatever happened while we were not listening */
            vx_log_info(NULL, NULL, "org cache listener connected", "channel", ORGS_CHANNEL);
            backoff = BACKOFF_MIN_MS;
            bool stop = listen_loop(l, conn);
            atomic_store(&l->live, false);
            bump(l);
            PQfinish(conn);
            if (stop)
                return NULL;
            vx_log_warn(NULL, NULL, "org cache listener lost its connection");
        }
        if (wait_stop(l, backoff))
            return NULL;
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
}

orgs_listener *orgs_listener_start(const char *conninfo)
{
    orgs_listener *l = calloc(1, sizeof(*l));
    if (l == NULL || (l->conninfo = strdup(conninfo)) == NULL)
        abort();
    atomic_init(&l->generation, 1);
    atomic_init(&l->live, false);
    if (pipe(l->wake) != 0) {
        vx_log_error(NULL, NULL, "org cache listener: pipe failed", "error", strerror(errno));
        free(l->conninfo);
        free(l);
        return NULL;
    }
    if (pthread_create(&l->thread, NULL, listener_main, l) != 0) {
        vx_log_error(NULL, NULL, "org cache listener: thread creation failed");
        close(l->wake[0]);
        close(l->wake[1]);
        free(l->conninfo);
        free(l);
        return NULL;
    }
    return l;
}

void orgs_listener_stop(orgs_listener *l)
{
    if (l == NULL)
        return;
    ssize_t w;
    do
        w = write(l->wake[1], "x", 1);
    while (w < 0 && errno == EINTR);
    pthread_join(l->thread, NULL);
    close(l->wake[0]);
    close(l->wake[1]);
    free(l->conninfo);
    free(l);
}

uint64_t orgs_listener_generation(const orgs_listener *l)
{
    return atomic_load_explicit(&((orgs_listener *)l)->generation, memory_order_acquire);
}

bool orgs_listener_live(const orgs_listener *l)
{
    return atomic_load(&((orgs_listener *)l)->live);
}

/* ------------------------------------------------------------ resolver */

typedef struct slot {
    char *key;                     /* NULL when empty */
    char org[VX_UUID_STR_LEN + 1]; /* "" for a cached "not found" */
    int64_t expires_ms;
} slot;

struct orgs_resolver {
    vx_pg *pg;
    const orgs_listener *listener;
    uint64_t generation;
    slot cache[CACHE_SLOTS];
};

orgs_resolver *orgs_resolver_create(vx_pg *pg, const orgs_listener *listener)
{
    orgs_resolver *r = calloc(1, sizeof(*r));
    if (r == NULL)
        abort();
    r->pg = pg;
    r->listener = listener;
    vx_pg_prepare(pg, RESOLVE_STMT, RESOLVE_SQL);
    return r;
}

static void cache_clear(orgs_resolver *r)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        free(r->cache[i].key);
        r->cache[i].key = NULL;
    }
}

void orgs_resolver_destroy(orgs_resolver *r)
{
    if (r == NULL)
        return;
    cache_clear(r);
    free(r);
}

/* The four inputs, each followed by a separator no id contains. */
static void make_key(const orgs_keys *k, vx_buf *out)
{
    const char *parts[4] = {k->assistant_id, k->metadata_org_id, k->phone_number_id, k->phone_number};
    for (size_t i = 0; i < 4; i++) {
        if (parts[i] != NULL)
            vx_buf_puts(out, parts[i]);
        vx_buf_putc(out, '\x1f');
    }
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static orgs_result lookup(orgs_resolver *r, const orgs_keys *k, char org_id[VX_UUID_STR_LEN + 1], const char **tier)
{
    static const char *const tiers[] = {"assistant", "metadata", "phone_number_id", "phone_number"};
    const char *params[4] = {k->assistant_id, k->metadata_org_id, k->phone_number_id, k->phone_number};
    PGresult *res = vx_pg_exec(r->pg, RESOLVE_STMT, 4, params);
    if (res == NULL)
        return ORGS_DB_ERROR;
    orgs_result out = ORGS_NOT_FOUND;
    for (int col = 0; col < 4 && PQntuples(res) == 1; col++) {
        const char *v = vx_pg_value(res, 0, col);
        if (v != NULL && strlen(v) == VX_UUID_STR_LEN) {
            memcpy(org_id, v, VX_UUID_STR_LEN + 1);
            *tier = tiers[col];
            out = ORGS_FOUND;
            break;
        }
    }
    PQclear(res);
    return out;
}

orgs_result orgs_resolve(orgs_resolver *r, const orgs_keys *k, char org_id[VX_UUID_STR_LEN + 1], const char **tier)
{
    *tier = "none";
    org_id[0] = '\0';
    if (k->assistant_id == NULL && k->metadata_org_id == NULL && k->phone_number_id == NULL && k->phone_number == NULL)
        return ORGS_NOT_FOUND;

    bool live = r->listener != NULL && orgs_listener_live(r->listener);
    if (r->listener != NULL) {
        uint64_t gen = orgs_listener_generation(r->listener);
        if (gen != r->generation) {
            cache_clear(r);
            r->generation = gen;
        }
    }
    vx_buf key = VX_BUF_INIT;
    make_key(k, &key);
    slot *s = &r->cache[hash(key.data) % CACHE_SLOTS];
    int64_t now = vx_now_ms();
    if (s->key != NULL && now < s->expires_ms && strcmp(s->key, key.data) == 0) {
        vx_buf_free(&key);
        memcpy(org_id, s->org, sizeof(s->org));
        *tier = "cache";
        return org_id[0] != '\0' ? ORGS_FOUND : ORGS_NOT_FOUND;
    }
    orgs_result res = lookup(r, k, org_id, tier);
    if (res != ORGS_DB_ERROR) {
        free(s->key);
        s->key = vx_buf_steal(&key);
        memcpy(s->org, org_id, sizeof(s->org));
        s->expires_ms = now + (res == ORGS_FOUND && live ? TTL_FOUND_MS : TTL_SHORT_MS);
    }
    vx_buf_free(&key);
    return res;
}
