/*
 * indexer: the background embedding of uploaded documents — "indexing"
 * until every chunk has a vector of the current embedder, then "ready".
 *
 * The database is the queue (kb_documents_due, migration 0020): each pass
 * takes the documents due, leases one (so several replicas share the work
 * and a replica that dies leaves its document to the others once the lease
 * runs out), embeds its chunks a batch at a time, saving each batch and
 * renewing the lease, and marks it ready. A failing provider leaves the
 * document for later (30 s; 10 min when its quota is exhausted or it
 * refuses our key) with a sentence for the owner in its detail. The same
 * pass re-embeds everything after a change of embedder (a document whose
 * model differs is due), while its old vectors keep answering.
 */
#ifndef RAG_SEARCH_INDEXER_H
#define RAG_SEARCH_INDEXER_H

#include "embed/embedder.h"

typedef struct kb_indexer_config {
    const char *database_url;
    embedder *embedder; /* not owned; NULL: nothing is embedded (BM25 only) */
    int batch;          /* chunks per embedding call (capped by the embedder's max_batch) */
} kb_indexer_config;

typedef struct kb_indexer kb_indexer;

kb_indexer *kb_indexer_create(const kb_indexer_config *cfg);
int kb_indexer_start(kb_indexer *x);
/* Looks for work now (after an upload). */
void kb_indexer_wake(kb_indexer *x);
void kb_indexer_stop(kb_indexer *x);
void kb_indexer_destroy(kb_indexer *x);

#endif
