/*
 * registry: orgs' indexes behind a read-write lock (see registry.h).
 *
 * Design: a sorted array of (org id, index) searched by bisection. There
 * are at most thousands of orgs and a lookup is a few dozen string
 * compares; an insertion (an org's first document) moves the tail, rarely.
 */
#include "index/registry.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char org_id[37];
    kb_index *ix;
} entry;

struct kb_registry {
    pthread_rwlock_t lock;
    entry *entries;
    size_t n, cap;
};

kb_registry *kb_registry_create(void)
{
    kb_registry *r = calloc(1, sizeof(*r));
    if (r == NULL)
        abort();
    pthread_rwlock_init(&r->lock, NULL);
    return r;
}

void kb_registry_destroy(kb_registry *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        kb_index_unref(r->entries[i].ix);
    free(r->entries);
    pthread_rwlock_destroy(&r->lock);
    free(r);
}

/* The position of org_id, or where it would go (*found false). */
static size_t find(const kb_registry *r, const char *org_id, bool *found)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->entries[mid].org_id, org_id);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

kb_index *kb_registry_get(kb_registry *r, const char *org_id)
{
    pthread_rwlock_rdlock(&r->lock);
    bool found;
    size_t i = find(r, org_id, &found);
    kb_index *ix = found ? kb_index_ref(r->entries[i].ix) : NULL;
    pthread_rwlock_unlock(&r->lock);
    return ix;
}

void kb_registry_put(kb_registry *r, const char *org_id, kb_index *ix)
{
    kb_index *old = NULL;
    pthread_rwlock_wrlock(&r->lock);
    bool found;
    size_t i = find(r, org_id, &found);
    if (found) {
        old = r->entries[i].ix;
        if (ix != NULL) {
            r->entries[i].ix = ix;
        } else {
            memmove(&r->entries[i], &r->entries[i + 1], (r->n - i - 1) * sizeof(entry));
            r->n--;
        }
    } else if (ix != NULL) {
        if (r->n == r->cap) {
            size_t cap = r->cap > 0 ? 2 * r->cap : 16;
            entry *e = realloc(r->entries, cap * sizeof(entry));
            if (e == NULL)
                abort();
            r->entries = e;
            r->cap = cap;
        }
        memmove(&r->entries[i + 1], &r->entries[i], (r->n - i) * sizeof(entry));
        memset(&r->entries[i], 0, sizeof(entry));
        memcpy(r->entries[i].org_id, org_id, strnlen(org_id, 36));
        r->entries[i].ix = ix;
        r->n++;
    }
    pthread_rwlock_unlock(&r->lock);
    kb_index_unref(old); /* outside the lock: freeing a big index takes a while */
}

char **kb_registry_orgs(kb_registry *r, size_t *n)
{
    pthread_rwlock_rdlock(&r->lock);
    char **orgs = calloc(r->n > 0 ? r->n : 1, sizeof(char *));
    if (orgs == NULL)
        abort();
    for (size_t i = 0; i < r->n; i++)
        if ((orgs[i] = strdup(r->entries[i].org_id)) == NULL)
            abort();
    *n = r->n;
    pthread_rwlock_unlock(&r->lock);
    return orgs;
}

void kb_registry_stats_get(kb_registry *r, kb_registry_stats *out)
{
    memset(out, 0, sizeof(*out));
    pthread_rwlock_rdlock(&r->lock);
    out->orgs = r->n;
    for (size_t i = 0; i < r->n; i++) {
        const kb_index *ix = r->entries[i].ix;
        out->documents += kb_index_docs(ix);
        out->chunks += kb_index_size(ix);
        out->vectors += kb_index_vectors(ix);
        for (size_t d = 0; d < kb_index_docs(ix); d++)
            out->bytes += kb_doc_bytes(kb_index_doc(ix, d));
    }
    pthread_rwlock_unlock(&r->lock);
}
