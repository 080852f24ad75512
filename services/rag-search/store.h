/*
 * store: rag-search's SQL — kb_documents and kb_chunks (migration 0020).
 *
 * Every statement that reads or writes an org's rows runs under that org's
 * claims (row-level security); the two cross-org look-ups
 * (kb_documents_versions, kb_documents_due) reveal only ids and versions.
 * The owner's uploads and deletions are audited (below).
 * Vectors travel as hex of little-endian float32 (bytea).
 *
 * Thread safety: as vx_pg — one handle per thread.
 */
#ifndef RAG_SEARCH_STORE_H
#define RAG_SEARCH_STORE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/kb_index.h"
#include "vx_pg.h"
#include "vx_rpc.h"

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

/* ---- uploads and the owner's routes (JSON built by PostgreSQL) ----
 *
 * An upload that stores a document and a deletion each write their audit
 * entry (libcommon/vx_audit.h) in the same transaction, for req's user:
 * STORE_AUDIT_ADDED with details {"name", "kind", "byte_size"},
 * STORE_AUDIT_DELETED with {"name"}, both targeting STORE_AUDIT_TARGET and
 * the document's id. A change that fails leaves no entry, and an entry that
 * cannot be written fails the change. Never the document's content. */
#define STORE_AUDIT_ADDED   "knowledge_base.document_added"
#define STORE_AUDIT_DELETED "knowledge_base.document_deleted"
#define STORE_AUDIT_TARGET  "kb_document"

typedef struct store_chunk {
    const char *heading;
    const char *content;
} store_chunk;
typedef struct store_upload {
    const char *title;
    const char *content_type;
    const char *kind; /* for the audit entry: "text", "markdown" or "pdf" */
    size_t byte_size;
    const char *sha256; /* hex */
    size_t characters;
    const store_chunk *chunks;
    size_t nchunks;
} store_upload;
/* Stores the document and its chunks in req's org, in one transaction with
 * its audit entry. *json (malloc'd) is the document as the routes show it:
 * the new one (STORE_OK) or the one uploaded before with the same bytes
 * (STORE_EXISTS: nothing stored, nothing audited). */
store_status store_document_create(vx_pg *pg, const vx_gateway_request *req, const store_upload *u, char **json);

/* One page of the org's documents, newest first (created_at DESC, id DESC). */
typedef struct store_page {
    char *json;       /* the page's documents: a JSON array, malloc'd */
    bool more;        /* another page follows, after the last one shown: */
    int64_t last_us;  /* its created_at, unix microseconds */
    char last_id[37]; /* its id */
} store_page;
/* At most limit documents after the position (after_at, a timestamptz's
 * text, and after_id: a previous page's last document), or from the newest
 * when both are NULL. STORE_OK with out filled (free out->json). */
store_status store_document_list(vx_pg *pg, const char *org_id, int limit, const char *after_at, const char *after_id,
                                 store_page *out);
/* The list's statement, for the plan test: $1 org, $2 limit, $3 after_at,
 * $4 after_id. Its one row: the page (JSON), then the last document's
 * created_at (unix microseconds) and id when another page follows, else
 * NULL and NULL. */
extern const char STORE_DOCUMENT_LIST_SQL[];
store_status store_document_get(vx_pg *pg, const char *org_id, const char *id, char **json);
/* Deletes the document of req's org and its chunks, with the audit entry. */
store_status store_document_delete(vx_pg *pg, const vx_gateway_request *req, const char *id);

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
