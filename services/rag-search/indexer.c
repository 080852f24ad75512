/*
 * indexer: lease, embed, save, finish (see indexer.h).
 */
#include "indexer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "vx_log.h"
#include "vx_periodic.h"

#define DUE_MAX      8
#define LEASE_S      120
#define IDLE_MS      2000
#define BUSY_MS      50
#define RETRY_S      30
#define REFUSED_S    600 /* quota exhausted or key refused: an operator has to act */
#define MAX_ATTEMPTS 20

struct kb_indexer {
    kb_indexer_config cfg;
    vx_pg *pg;
    vx_periodic *periodic;
};

/* Embeds the leased document to the end, or leaves it for later. */
static void embed_document(kb_indexer *x, vx_periodic *self, const store_due_doc *doc)
{
    embedder *e = x->cfg.embedder;
    size_t batch = (size_t)(x->cfg.batch > 0 ? x->cfg.batch : 32);
    if (batch > e->max_batch)
        batch = e->max_batch;
    float *vectors = malloc(batch * (size_t)e->dim * sizeof(float));
    if (vectors == NULL)
        abort();
    size_t embedded = 0;
    while (!vx_periodic_stopping(self)) {
        PGresult *rows = store_pending_chunks(x->pg, doc->org_id, doc->id, e->model, (int)batch);
        if (rows == NULL)
            break; /* the lease runs out; another pass takes it again */
        size_t n = (size_t)PQntuples(rows);
        if (n == 0) {
            PQclear(rows);
            if (store_finish(x->pg, doc->org_id, doc->id, e->model) == STORE_OK) {
                char count[24];
                snprintf(count, sizeof(count), "%zu", embedded);
                vx_log_info(NULL, doc->org_id, "knowledge document indexed", "document_id", doc->id, "embedded", count, "model",
                            e->model);
            }
            break;
        }
        const char **texts = calloc(n, sizeof(char *)), **ids = calloc(n, sizeof(char *));
        if (texts == NULL || ids == NULL)
            abort();
        for (size_t i = 0; i < n; i++) {
            ids[i] = PQgetvalue(rows, (int)i, 0);
            texts[i] = PQgetvalue(rows, (int)i, 1);
        }
        char why[200] = "";
        embed_status st = e->embed(e, texts, n, vectors, why, sizeof(why));
        free(texts);
        if (st != EMBED_OK) {
            free(ids);
            PQclear(rows);
            bool refused = st == EMBED_QUOTA || st == EMBED_FAILED;
            vx_log_warn(NULL, doc->org_id, "knowledge document embedding failed", "document_id", doc->id, "model", e->model,
                        "error", why);
            char detail[300];
            snprintf(detail, sizeof(detail), "%s: %s", refused ? "The embedding provider refused" : "Embedding failed, retrying",
                     why[0] != '\0' ? why : "no reason given");
            store_retry_later(x->pg, doc->org_id, doc->id, refused ? REFUSED_S : RETRY_S, detail, MAX_ATTEMPTS);
            break;
        }
        store_status saved = store_save_vectors(x->pg, doc->org_id, doc->id, e->model, e->dim, ids, vectors, n, LEASE_S);
        free(ids);
        PQclear(rows);
        if (saved != STORE_OK)
            break;
        embedded += n;
    }
    free(vectors);
}

static long indexer_pass(vx_periodic *self, void *arg)
{
    kb_indexer *x = arg;
    if (x->cfg.embedder == NULL)
        return 60000;
    store_due_doc due[DUE_MAX];
    size_t n = 0;
    if (store_due(x->pg, x->cfg.embedder->model, DUE_MAX, due, &n) != STORE_OK)
        return IDLE_MS;
    bool worked = false;
    for (size_t i = 0; i < n && !vx_periodic_stopping(self); i++) {
        if (store_claim(x->pg, due[i].org_id, due[i].id, x->cfg.embedder->model, LEASE_S) != STORE_OK)
            continue; /* another replica has it, or it is done or gone */
        embed_document(x, self, &due[i]);
        worked = true;
    }
    return worked ? BUSY_MS : IDLE_MS;
}

kb_indexer *kb_indexer_create(const kb_indexer_config *cfg)
{
    kb_indexer *x = calloc(1, sizeof(*x));
    if (x == NULL)
        abort();
    x->cfg = *cfg;
    x->pg = vx_pg_create(cfg->database_url);
    store_prepare(x->pg);
    x->periodic = vx_periodic_create("kb-indexer", indexer_pass, x);
    return x;
}

int kb_indexer_start(kb_indexer *x)
{
    return vx_periodic_start(x->periodic);
}

void kb_indexer_wake(kb_indexer *x)
{
    vx_periodic_wake(x->periodic);
}

void kb_indexer_stop(kb_indexer *x)
{
    if (x != NULL)
        vx_periodic_stop(x->periodic);
}

void kb_indexer_destroy(kb_indexer *x)
{
    if (x == NULL)
        return;
    kb_indexer_stop(x);
    vx_periodic_destroy(x->periodic);
    vx_pg_destroy(x->pg);
    free(x);
}
