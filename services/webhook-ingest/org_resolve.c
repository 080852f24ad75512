/*
 * org_resolve: the three-tier org look-up (see org_resolve.h).
 *
 * One statement asks all four SECURITY DEFINER functions at once (each is a
 * unique-index probe), so resolution costs one round trip inside its
 * claim-less transaction; C then picks the first answer in tier order.
 * The cache is direct-mapped on a hash of the four inputs: a collision just
 * evicts, an expired entry is ignored, and only found orgs are cached, so a
 * newly added agent is seen at once and a removed one within 30 s.
 */
#include "org_resolve.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_time.h"

#define CACHE_SLOTS  256
#define CACHE_TTL_MS 30000

static const char RESOLVE_SQL[] = "SELECT org_for_assistant($1)::text,"
                                  " CASE WHEN org_exists($2::uuid) THEN $2::uuid::text END,"
                                  " org_for_phone_number_id($3)::text,"
                                  " org_for_phone_number($4)::text";
#define RESOLVE_STMT "ingest_org_resolve"

typedef struct {
    char *key;
    char org[VX_UUID_STR_LEN + 1];
    int64_t expires_ms;
} slot;

struct ingest_resolver {
    vx_pg *pg;
    const vx_listener *orgs_changed; /* NULL: entries only expire */
    uint64_t generation;
    slot cache[CACHE_SLOTS];
};

ingest_resolver *ingest_resolver_create(vx_pg *pg, const vx_listener *orgs_changed)
{
    ingest_resolver *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->pg = pg;
    r->orgs_changed = orgs_changed;
    vx_pg_prepare(pg, RESOLVE_STMT, RESOLVE_SQL);
    return r;
}

void ingest_resolver_destroy(ingest_resolver *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        free(r->cache[i].key);
    free(r);
}

/* The cache key: the four inputs, each followed by a separator no id contains. */
static void _key(const ingest_call *c, vx_buf *k)
{
    const char *parts[] = {c->assistant_id, c->metadata_org_id, c->phone_number_id, c->to_number};
    for (size_t i = 0; i < 4; i++) {
        if (parts[i])
            vx_buf_puts(k, parts[i]);
        vx_buf_putc(k, '\x1f');
    }
}

static uint32_t _hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Asks the database. Returns FOUND/NOT_FOUND/DB_ERROR; the transaction is closed either way. */
static ingest_org_result _lookup(ingest_resolver *r, const ingest_call *c, char org_id[VX_UUID_STR_LEN + 1], const char **tier)
{
    static const char *const tiers[] = {"assistant", "metadata", "phone_number_id", "phone_number"};
    const char *params[4] = {c->assistant_id, c->metadata_org_id, c->phone_number_id, c->to_number};

    if (vx_pg_begin(r->pg) != 0)
        return INGEST_ORG_DB_ERROR;
    PGresult *res = vx_pg_exec(r->pg, RESOLVE_STMT, 4, params);
    if (!res) {
        vx_pg_rollback(r->pg);
        return INGEST_ORG_DB_ERROR;
    }
    ingest_org_result out = INGEST_ORG_NOT_FOUND;
    for (int col = 0; col < 4 && PQntuples(res) == 1; col++) {
        const char *v = vx_pg_value(res, 0, col);
        if (v && strlen(v) == VX_UUID_STR_LEN) {
            memcpy(org_id, v, VX_UUID_STR_LEN + 1);
            *tier = tiers[col];
            out = INGEST_ORG_FOUND;
            break;
        }
    }
    PQclear(res);
    if (vx_pg_commit(r->pg) != 0)
        return INGEST_ORG_DB_ERROR;
    return out;
}

ingest_org_result ingest_org_resolve(ingest_resolver *r, const ingest_call *c, char org_id[VX_UUID_STR_LEN + 1], const char **tier)
{
    *tier = "none";
    org_id[0] = '\0';
    if (!c->assistant_id && !c->metadata_org_id && !c->phone_number_id && !c->to_number)
        return INGEST_ORG_NOT_FOUND;

    /* An agent or org changed somewhere (or we could not hear it): forget everything. */
    if (r->orgs_changed != NULL) {
        uint64_t gen = vx_listener_generation(r->orgs_changed);
        if (gen != r->generation) {
            for (size_t i = 0; i < CACHE_SLOTS; i++) {
                free(r->cache[i].key);
                r->cache[i].key = NULL;
            }
            r->generation = gen;
        }
    }
    vx_buf key = VX_BUF_INIT;
    _key(c, &key);
    slot *s = &r->cache[_hash(key.data) % CACHE_SLOTS];
    int64_t now = vx_now_ms();
    if (s->key && now < s->expires_ms && strcmp(s->key, key.data) == 0) {
        memcpy(org_id, s->org, sizeof s->org);
        *tier = "cache";
        vx_buf_free(&key);
        return INGEST_ORG_FOUND;
    }

    ingest_org_result res = _lookup(r, c, org_id, tier);
    if (res == INGEST_ORG_FOUND) {
        free(s->key);
        s->key = vx_buf_steal(&key);
        memcpy(s->org, org_id, sizeof s->org);
        s->expires_ms = now + CACHE_TTL_MS;
    }
    vx_buf_free(&key);
    return res;
}
