/*
 * vx_orgs: the resolver cache of vx_orgs.h.
 *
 * Resolver: one statement asks all four SECURITY DEFINER functions at once
 * (each a unique-index probe), in
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
 */
#include "vx_orgs.h"

#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_log.h"
#include "vx_time.h"

#define CACHE_SLOTS  1024
#define TTL_FOUND_MS 60000
#define TTL_SHORT_MS 5000

static const char RESOLVE_SQL[] = "SELECT org_for_assistant($1)::text,"
                                  " CASE WHEN org_exists($2::uuid) THEN $2::uuid::text END,"
                                  " org_for_phone_number_id($3)::text,"
                                  " org_for_phone_number($4)::text";
#define RESOLVE_STMT "vx_orgs_resolve"

/* ------------------------------------------------------------ resolver */

typedef struct slot {
    char *key;                     /* NULL when empty */
    char org[VX_UUID_STR_LEN + 1]; /* "" for a cached "not found" */
    int64_t expires_ms;
} slot;

struct vx_orgs_resolver {
    vx_pg *pg;
    const vx_listener *listener;
    uint64_t generation;
    slot cache[CACHE_SLOTS];
};

vx_orgs_resolver *vx_orgs_resolver_create(vx_pg *pg, const vx_listener *listener)
{
    vx_orgs_resolver *r = calloc(1, sizeof(*r));
    if (r == NULL)
        abort();
    r->pg = pg;
    r->listener = listener;
    vx_pg_prepare(pg, RESOLVE_STMT, RESOLVE_SQL);
    return r;
}

static void cache_clear(vx_orgs_resolver *r)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        free(r->cache[i].key);
        r->cache[i].key = NULL;
    }
}

void vx_orgs_resolver_destroy(vx_orgs_resolver *r)
{
    if (r == NULL)
        return;
    cache_clear(r);
    free(r);
}

/* The four inputs, each followed by a separator no id contains. */
static void make_key(const vx_orgs_keys *k, vx_buf *out)
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

static vx_orgs_result lookup(vx_orgs_resolver *r, const vx_orgs_keys *k, char org_id[VX_UUID_STR_LEN + 1], const char **tier)
{
    static const char *const tiers[] = {"assistant", "metadata", "phone_number_id", "phone_number"};
    const char *params[4] = {k->assistant_id, k->metadata_org_id, k->phone_number_id, k->phone_number};
    PGresult *res = vx_pg_exec(r->pg, RESOLVE_STMT, 4, params);
    if (res == NULL)
        return VX_ORGS_DB_ERROR;
    vx_orgs_result out = VX_ORGS_NOT_FOUND;
    for (int col = 0; col < 4 && PQntuples(res) == 1; col++) {
        const char *v = vx_pg_value(res, 0, col);
        if (v != NULL && strlen(v) == VX_UUID_STR_LEN) {
            memcpy(org_id, v, VX_UUID_STR_LEN + 1);
            *tier = tiers[col];
            out = VX_ORGS_FOUND;
            break;
        }
    }
    PQclear(res);
    return out;
}

vx_orgs_result vx_orgs_resolve(vx_orgs_resolver *r, const vx_orgs_keys *k, char org_id[VX_UUID_STR_LEN + 1], const char **tier)
{
    *tier = "none";
    org_id[0] = '\0';
    if (k->assistant_id == NULL && k->metadata_org_id == NULL && k->phone_number_id == NULL && k->phone_number == NULL)
        return VX_ORGS_NOT_FOUND;

    bool live = r->listener != NULL && vx_listener_live(r->listener);
    if (r->listener != NULL) {
        uint64_t gen = vx_listener_generation(r->listener);
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
        return org_id[0] != '\0' ? VX_ORGS_FOUND : VX_ORGS_NOT_FOUND;
    }
    vx_orgs_result res = lookup(r, k, org_id, tier);
    if (res != VX_ORGS_DB_ERROR) {
        free(s->key);
        s->key = vx_buf_steal(&key);
        memcpy(s->org, org_id, sizeof(s->org));
        s->expires_ms = now + (res == VX_ORGS_FOUND && live ? TTL_FOUND_MS : TTL_SHORT_MS);
    }
    vx_buf_free(&key);
    return res;
}
