/*
 * registry: every org's current kb_index in this replica, looked up by
 * searches while the loader (loader.h) swaps new ones in.
 *
 * A search takes the org's index with a reference and searches it without
 * any lock; a swap replaces the pointer under a short write lock and drops
 * the registry's reference, so the old index is freed by whichever search
 * finishes last.
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef RAG_SEARCH_INDEX_REGISTRY_H
#define RAG_SEARCH_INDEX_REGISTRY_H

#include <stddef.h>

#include "index/kb_index.h"

typedef struct kb_registry kb_registry;

kb_registry *kb_registry_create(void);
void kb_registry_destroy(kb_registry *r); /* NULL: nothing */

/* The org's index with a reference (kb_index_unref), or NULL when the org
 * has nothing loaded. */
kb_index *kb_registry_get(kb_registry *r, const char *org_id);
/* Makes ix (its reference passes to the registry) the org's index; NULL
 * removes the org. */
void kb_registry_put(kb_registry *r, const char *org_id, kb_index *ix);
/* The org ids loaded now, copied into a new array of n strings (free each and the array). */
char **kb_registry_orgs(kb_registry *r, size_t *n);

typedef struct kb_registry_stats {
    size_t orgs, documents, chunks, vectors, bytes;
} kb_registry_stats;
void kb_registry_stats_get(kb_registry *r, kb_registry_stats *out);

#endif
