/*
 * loader: the diff of document versions and the swaps (see loader.h).
 */
#include "loader.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/analyzer.h"
#include "store.h"
#include "vx_listen.h"
#include "vx_log.h"
#include "vx_periodic.h"
#include "vx_time.h"

#define CHANNEL            "voxanne_kb_changed"
#define POLL_MS            100
#define FULL_DIFF_EVERY_MS 30000
#define RETRY_MS           1000

struct kb_loader {
    kb_loader_config cfg;
    vx_pg *pg;
    analyzer *analyzer;
    vx_listener *listener;
    vx_periodic *periodic;
    uint64_t seen_generation;
    int64_t last_full_ms;
    atomic_bool ready;
    atomic_bool wake;
};

/* The org's current documents, by id (the index holds them sorted). */
static kb_doc *current_doc(kb_index *ix, const char *id)
{
    if (ix == NULL)
        return NULL;
    size_t lo = 0, hi = kb_index_docs(ix);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(kb_doc_id(kb_index_doc(ix, mid)), id);
        if (c == 0)
            return kb_index_doc(ix, mid);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Brings one org to versions v[0..n) (sorted by id). 0, or -1 when a
 * document could not be read (the org keeps its index; the next pass retries). */
static int sync_org(kb_loader *l, const char *org_id, const store_version *v, size_t n)
{
    kb_index *old = kb_registry_get(l->cfg.registry, org_id);
    kb_doc **docs = calloc(n > 0 ? n : 1, sizeof(kb_doc *));
    if (docs == NULL)
        abort();
    size_t kept = 0;
    bool changed = old == NULL ? n > 0 : kb_index_docs(old) != n;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        kb_doc *d = current_doc(old, v[i].id);
        if (d != NULL && kb_doc_version(d) == v[i].version) {
            docs[kept++] = kb_doc_ref(d);
            continue;
        }
        changed = true;
        kb_doc *fresh = NULL;
        if (store_load_document(l->pg, org_id, v[i].id, l->cfg.model, l->cfg.dim, l->analyzer, &fresh) != STORE_OK)
            rc = -1;
        else if (fresh != NULL)
            docs[kept++] = fresh;
    }
    if (rc == 0 && changed)
        kb_registry_put(l->cfg.registry, org_id,
                        kept > 0 ? kb_index_build(docs, kept, l->cfg.model != NULL ? l->cfg.dim : 0) : NULL);
    for (size_t i = 0; i < kept; i++)
        kb_doc_unref(docs[i]);
    free(docs);
    kb_index_unref(old);
    return rc;
}

/* One diff of every org. 0, or -1 when the database could not be read. */
static int diff_all(kb_loader *l)
{
    store_version *v;
    size_t n;
    if (store_versions(l->pg, &v, &n) != STORE_OK)
        return -1;
    int rc = 0;
    size_t start = 0;
    while (start < n) {
        size_t end = start;
        while (end < n && strcmp(v[end].org_id, v[start].org_id) == 0)
            end++;
        if (sync_org(l, v[start].org_id, v + start, end - start) != 0)
            rc = -1;
        start = end;
    }
    /* Orgs whose last document went. */
    size_t norgs;
    char **orgs = kb_registry_orgs(l->cfg.registry, &norgs);
    for (size_t i = 0; i < norgs; i++) {
        bool present = false;
        for (size_t lo = 0, hi = n; lo < hi && !present;) {
            size_t mid = lo + (hi - lo) / 2;
            int c = strcmp(v[mid].org_id, orgs[i]);
            if (c == 0)
                present = true;
            else if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (!present)
            kb_registry_put(l->cfg.registry, orgs[i], NULL);
        free(orgs[i]);
    }
    free(orgs);
    free(v);
    return rc;
}

static long loader_pass(vx_periodic *self, void *arg)
{
    kb_loader *l = arg;
    uint64_t generation = vx_listener_generation(l->listener);
    int64_t now = vx_monotonic_us() / 1000;
    bool due = generation != l->seen_generation || atomic_exchange(&l->wake, false) || !atomic_load(&l->ready) ||
               now - l->last_full_ms >= FULL_DIFF_EVERY_MS;
    if (!due)
        return POLL_MS;
    if (diff_all(l) != 0)
        return RETRY_MS; /* seen_generation unchanged: the next pass diffs again */
    l->seen_generation = generation;
    l->last_full_ms = now;
    if (!atomic_exchange(&l->ready, true)) {
        kb_registry_stats s;
        kb_registry_stats_get(l->cfg.registry, &s);
        char orgs[24], chunks[24];
        snprintf(orgs, sizeof(orgs), "%zu", s.orgs);
        snprintf(chunks, sizeof(chunks), "%zu", s.chunks);
        vx_log_info(NULL, NULL, "knowledge bases loaded", "orgs", orgs, "chunks", chunks);
    }
    return POLL_MS;
}

kb_loader *kb_loader_create(const kb_loader_config *cfg)
{
    kb_loader *l = calloc(1, sizeof(*l));
    if (l == NULL)
        abort();
    l->cfg = *cfg;
    l->pg = vx_pg_create(cfg->database_url);
    store_prepare(l->pg);
    l->analyzer = analyzer_create();
    l->listener = vx_listener_create(cfg->database_url, CHANNEL, "rag-search-loader");
    l->periodic = vx_periodic_create("kb-loader", loader_pass, l);
    if (l->analyzer == NULL || l->listener == NULL) {
        kb_loader_destroy(l);
        return NULL;
    }
    atomic_init(&l->ready, false);
    atomic_init(&l->wake, false);
    return l;
}

int kb_loader_start(kb_loader *l)
{
    if (vx_listener_start(l->listener) != 0)
        return -1;
    return vx_periodic_start(l->periodic);
}

bool kb_loader_ready(const kb_loader *l)
{
    return atomic_load(&((kb_loader *)l)->ready);
}

void kb_loader_wake(kb_loader *l)
{
    atomic_store(&l->wake, true);
    vx_periodic_wake(l->periodic);
}

void kb_loader_stop(kb_loader *l)
{
    if (l == NULL)
        return;
    vx_periodic_stop(l->periodic);
    vx_listener_stop(l->listener);
}

void kb_loader_destroy(kb_loader *l)
{
    if (l == NULL)
        return;
    kb_loader_stop(l);
    vx_periodic_destroy(l->periodic);
    vx_listener_destroy(l->listener);
    analyzer_destroy(l->analyzer);
    vx_pg_destroy(l->pg);
    free(l);
}
