/*
 * store: rag-search's SQL — kb_documents and kb_chunks (migration 0020).
 *
 * Every statement that reads or writes an org's rows runs under that org's
 * claims (row-level security); the two cross-org look-ups
 * (kb_documents_versions, kb_documents_due) reveal only ids and versions.
 * Vectors travel as hex of little-endian float32 (bytea).
 *
 * Thread safety: as vx_pg — one handle per thread.
 */
#ifndef RAG_SEARCH_STORE_H
#define RAG_SEARCH_STORE_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "index/kb_index.h"
#include "vx_pg.h"

typedef enum {
    STORE_OK = 0,
    STORE_EXISTS = 1,       /* the same bytes were uploaded before: the existing document */
    STORE_NOT_FOUND = 2,    /* no such document in the org */
    STORE_ERROR = -1,       /* logged */
    STORE_UNAVAILABLE = -2, /* the database cannot be reached now (logged) */
} store_status;

void store_prepare(vx_pg *pg);

/* ---- the replicas' loader ---- */
typedef struct store_version {
    char org_id[37];
    char id[37];
    int64_t version;
} store_version;
/* Every document's org, id and version, sorted by org then id. */
store_status store_versions(vx_pg *pg, store_version **out, size_t *n);
/* One document as a new kb_doc (its chunks by ordinal, vectors only those
 * of model with dim floats); *out NULL when it no longer exists. */
store_status store_load_document(vx_pg *pg, const char *org_id, const char *doc_id, const char *model, int dim, analyzer *a,
                                 kb_doc **out);

/* ---- uploads and the owner's routes (JSON built by PostgreSQL) ---- */
typedef struct store_chunk {
    const char *heading;
    const char *content;
} store_chunk;
typedef struct store_upload {
    const char *org_id;
    const char *title;
    const char *content_type;
    size_t byte_size;
    const char *sha256; /* hex */
    size_t characters;
    const store_chunk *chunks;
    size_t nchunks;
} store_upload;
/* Stores the document and its chunks in one transaction. *json (malloc'd)
 * is the document as the routes show it: the new one (STORE_OK) or the one
 * uploaded before with the same bytes (STORE_EXISTS). */
store_status store_document_create(vx_pg *pg, const store_upload *u, char **json);
/* The org's documents, newest first, at most limit: a JSON array. */
store_status store_document_list(vx_pg *pg, const char *org_id, int limit, char **json);
store_status store_document_get(vx_pg *pg, const char *org_id, const char *id, char **json);
/* Deletes the document and its chunks. */
store_status store_document_delete(vx_pg *pg, const char *org_id, const char *id);

/* ---- the embedding worker ---- */
typedef struct store_due_doc {
    char org_id[37];
    char id[37];
} store_due_doc;
/* Documents whose chunks lack vectors of model, not leased, due: at most max. */
store_status store_due(vx_pg *pg, const char *model, int max, store_due_doc *out, size_t *n);
/* Leases the document for lease_s seconds when it is still due: STORE_OK,
 * or STORE_NOT_FOUND when another replica has it, it is done or gone. */
store_status store_claim(vx_pg *pg, const char *org_id, const char *doc_id, const char *model, int lease_s);
/* Up to limit chunks of the document without a vector of model: rows of
 * (id, text to embed). The caller PQclear()s; NULL on failure (logged). */
PGresult *store_pending_chunks(vx_pg *pg, const char *org_id, const char *doc_id, const char *model, int limit);
/* Saves n vectors (dim floats each, in ids' order) and renews the lease. */
store_status store_save_vectors(vx_pg *pg, const char *org_id, const char *doc_id, const char *model, int dim,
                                const char *const *ids, const float *vectors, size_t n, int lease_s);
/* Marks the document ready with model when every chunk has its vector. */
store_status store_finish(vx_pg *pg, const char *org_id, const char *doc_id, const char *model);
/* Releases the lease and sets the next try delay_s from now, with detail
 * for the owner (no secret). After max_attempts the document is 'failed'. */
store_status store_retry_later(vx_pg *pg, const char *org_id, const char *doc_id, int delay_s, const char *detail,
                               int max_attempts);

#endif
