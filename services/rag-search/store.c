/*
 * store: rag-search's SQL (see store.h).
 */
#include "store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_audit.h"
#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_log.h"

#define STMT_VERSIONS "kb_versions"
#define STMT_LOAD     "kb_load"
#define STMT_CREATE   "kb_create"
#define STMT_CHUNKS   "kb_chunks_insert"
#define STMT_EXISTING "kb_existing"
#define STMT_LIST     "kb_list"
#define STMT_GET      "kb_get"
#define STMT_DELETE   "kb_delete"
#define STMT_DUE      "kb_due"
#define STMT_CLAIM    "kb_claim"
#define STMT_PENDING  "kb_pending"
#define STMT_VECTORS  "kb_vectors"
#define STMT_LEASE    "kb_lease"
#define STMT_FINISH   "kb_finish"
#define STMT_RETRY    "kb_retry"

/* What the routes show of a document: no org id, no lease bookkeeping. */
#define DOC_JSON                                                                                                                   \
    "json_build_object('id', d.id, 'title', d.title, 'content_type', d.content_type, 'byte_size', d.byte_size,"                    \
    " 'sha256', d.sha256, 'status', d.status, 'detail', d.detail, 'chunk_count', d.chunk_count,"                                   \
    " 'characters', d.characters, 'embedding_model', d.embedding_model, 'created_at', d.created_at,"                               \
    " 'updated_at', d.updated_at)"

/*
 * One page of the list: up to limit + 1 documents after the position
 * ($3, $4), straight from kb_documents_org_created_idx (org_id, created_at
 * DESC, id DESC; migrations/0020) — the row comparison is the index's
 * bound, so a page deep in the list reads a page's worth of the index, and
 * the one extra row only tells whether another page follows. Then the
 * page's JSON, and its last document's created_at (unix microseconds,
 * exact: extract(epoch) is numeric) and id when another page follows.
 */
const char STORE_DOCUMENT_LIST_SQL[] =
    "WITH page AS MATERIALIZED (SELECT d.created_at, d.id, " DOC_JSON " AS j FROM kb_documents d"
    " WHERE d.org_id = $1::uuid AND (d.created_at, d.id) < ($3::timestamptz, $4::uuid)"
    " ORDER BY d.created_at DESC, d.id DESC LIMIT $2::integer + 1),"
    " shown AS (SELECT created_at, id, j FROM page ORDER BY created_at DESC, id DESC LIMIT $2::integer),"
    " last AS (SELECT created_at, id FROM shown WHERE (SELECT count(*) FROM page) > $2::integer"
    " ORDER BY created_at, id LIMIT 1)"
    " SELECT (SELECT coalesce(json_agg(j ORDER BY created_at DESC, id DESC), '[]'::json)::text FROM shown),"
    " (SELECT (extract(epoch FROM created_at) * 1000000)::bigint FROM last), (SELECT id::text FROM last)";

void store_prepare(vx_pg *pg)
{
    vx_audit_prepare(pg);
    vx_pg_prepare(pg, STMT_VERSIONS, "SELECT org_id, id, version FROM kb_documents_versions() ORDER BY org_id, id");
    vx_pg_prepare(pg, STMT_LOAD,
                  "SELECT d.version, c.id, c.heading, c.content,"
                  " CASE WHEN c.embedding_model = $3 AND c.embedding_dim = $4::integer THEN c.embedding END"
                  " FROM kb_documents d LEFT JOIN kb_chunks c ON c.document_id = d.id AND c.org_id = d.org_id"
                  " WHERE d.org_id = $1::uuid AND d.id = $2::uuid ORDER BY c.ordinal");
    vx_pg_prepare(pg, STMT_CREATE,
                  "INSERT INTO kb_documents AS d (org_id, title, content_type, byte_size, sha256, chunk_count, characters)"
                  " VALUES ($1::uuid, $2, $3, $4::integer, $5, $6::integer, $7::integer)"
                  " ON CONFLICT (org_id, sha256) DO NOTHING RETURNING d.id, " DOC_JSON "::text");
    /* Every chunk in one statement: ordinal from the array's order. */
    vx_pg_prepare(pg, STMT_CHUNKS,
                  "INSERT INTO kb_chunks (org_id, document_id, ordinal, heading, content)"
                  " SELECT $1::uuid, $2::uuid, (t.ord - 1)::integer, coalesce(t.c->>'h', ''), t.c->>'c'"
                  " FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS t(c, ord)");
    vx_pg_prepare(pg, STMT_EXISTING, "SELECT " DOC_JSON "::text FROM kb_documents d WHERE d.org_id = $1::uuid AND d.sha256 = $2");
    vx_pg_prepare(pg, STMT_LIST, STORE_DOCUMENT_LIST_SQL);
    vx_pg_prepare(pg, STMT_GET, "SELECT " DOC_JSON "::text FROM kb_documents d WHERE d.org_id = $1::uuid AND d.id = $2::uuid");
    vx_pg_prepare(pg, STMT_DELETE, "DELETE FROM kb_documents WHERE org_id = $1::uuid AND id = $2::uuid RETURNING id, title");
    vx_pg_prepare(pg, STMT_DUE, "SELECT org_id, id FROM kb_documents_due($1, $2::integer)");
    vx_pg_prepare(pg, STMT_CLAIM,
                  "UPDATE kb_documents SET claimed_until = now() + make_interval(secs => $4::integer), attempts = attempts + 1"
                  " WHERE org_id = $1::uuid AND id = $2::uuid AND status <> 'failed'"
                  " AND embedding_model IS DISTINCT FROM $3 AND coalesce(claimed_until, '-infinity') < now() RETURNING id");
    /* What is embedded: the headings above the chunk, then its text. */
    vx_pg_prepare(pg, STMT_PENDING,
                  "SELECT id, CASE WHEN heading = '' THEN content ELSE heading || E'\\n' || content END FROM kb_chunks"
                  " WHERE org_id = $1::uuid AND document_id = $2::uuid AND embedding_model IS DISTINCT FROM $3"
                  " ORDER BY ordinal LIMIT $4::integer");
    vx_pg_prepare(pg, STMT_VECTORS,
                  "UPDATE kb_chunks c SET embedding = decode(v.x, 'hex'), embedding_model = $3, embedding_dim = $4::integer"
                  " FROM jsonb_to_recordset($5::jsonb) AS v(i uuid, x text)"
                  " WHERE c.org_id = $1::uuid AND c.document_id = $2::uuid AND c.id = v.i");
    vx_pg_prepare(pg, STMT_LEASE,
                  "UPDATE kb_documents SET claimed_until = now() + make_interval(secs => $3::integer)"
                  " WHERE org_id = $1::uuid AND id = $2::uuid");
    vx_pg_prepare(pg, STMT_FINISH,
                  "UPDATE kb_documents SET status = 'ready', embedding_model = $3, detail = NULL, claimed_until = NULL,"
                  " attempts = 0, next_attempt_at = NULL WHERE org_id = $1::uuid AND id = $2::uuid AND NOT EXISTS"
                  " (SELECT 1 FROM kb_chunks c WHERE c.org_id = $1::uuid AND c.document_id = $2::uuid"
                  "  AND c.embedding_model IS DISTINCT FROM $3)");
    vx_pg_prepare(pg, STMT_RETRY,
                  "UPDATE kb_documents SET claimed_until = NULL, next_attempt_at = now() + make_interval(secs => $3::integer),"
                  " detail = $4, status = CASE WHEN attempts >= $5::integer THEN 'failed' ELSE status END"
                  " WHERE org_id = $1::uuid AND id = $2::uuid");
}

static store_status failed(vx_pg *pg, const char *org_id, const char *what)
{
    bool transient = vx_pg_error_is_transient(pg);
    vx_log_error(NULL, org_id, "knowledge base statement failed", "statement", what, "sqlstate", vx_pg_sqlstate(pg), "error",
                 vx_pg_error(pg));
    vx_pg_rollback(pg);
    return transient ? STORE_UNAVAILABLE : STORE_ERROR;
}

/* Opens a transaction (writes) or a read scope under org_id's claims. */
static store_status begin(vx_pg *pg, const char *org_id, bool writes)
{
    int begun = writes ? vx_pg_begin_org(pg, org_id) : vx_pg_begin_org_reads(pg, org_id);
    if (begun != 0) {
        vx_log_error(NULL, org_id, "knowledge base transaction could not begin", "error", vx_pg_error(pg));
        return STORE_UNAVAILABLE;
    }
    return STORE_OK;
}

/* One statement under org_id's claims, its own transaction. *res is the
 * result (caller clears) on STORE_OK. */
static store_status run_in_org(vx_pg *pg, const char *org_id, bool writes, const char *stmt, int n, const char *const *params,
                               PGresult **res)
{
    *res = NULL;
    if (begin(pg, org_id, writes) != STORE_OK)
        return STORE_UNAVAILABLE;
    *res = vx_pg_exec(pg, stmt, n, params);
    if (*res == NULL)
        return failed(pg, org_id, stmt);
    if (vx_pg_commit(pg) != 0) {
        PQclear(*res);
        *res = NULL;
        return failed(pg, org_id, "COMMIT");
    }
    return STORE_OK;
}

store_status store_versions(vx_pg *pg, store_version **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (vx_pg_ensure(pg) != 0)
        return STORE_UNAVAILABLE;
    PGresult *res = vx_pg_exec(pg, STMT_VERSIONS, 0, NULL);
    if (res == NULL)
        return failed(pg, NULL, STMT_VERSIONS);
    int rows = PQntuples(res);
    store_version *v = calloc(rows > 0 ? (size_t)rows : 1, sizeof(*v));
    if (v == NULL)
        abort();
    for (int i = 0; i < rows; i++) {
        snprintf(v[i].org_id, sizeof(v[i].org_id), "%s", PQgetvalue(res, i, 0));
        snprintf(v[i].id, sizeof(v[i].id), "%s", PQgetvalue(res, i, 1));
        v[i].version = strtoll(PQgetvalue(res, i, 2), NULL, 10);
    }
    PQclear(res);
    *out = v;
    *n = (size_t)rows;
    return STORE_OK;
}

/* A bytea in PostgreSQL's hex output ("\x…") as dim little-endian floats. */
static bool decode_vector(const char *hex, int dim, float *out)
{
    size_t len = strlen(hex);
    if (len != 2 + 8 * (size_t)dim || hex[0] != '\\' || hex[1] != 'x')
        return false;
    for (int i = 0; i < dim; i++) {
        uint8_t b[4];
        if (vx_hex_decode(hex + 2 + 8 * (size_t)i, 8, b, 4) != 0)
            return false;
        uint32_t bits = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        memcpy(&out[i], &bits, sizeof(float));
    }
    return true;
}

store_status store_load_document(vx_pg *pg, const char *org_id, const char *doc_id, const char *model, int dim, analyzer *a,
                                 kb_doc **out)
{
    *out = NULL;
    char dim_text[16];
    snprintf(dim_text, sizeof(dim_text), "%d", dim);
    const char *p[4] = {org_id, doc_id, model != NULL ? model : "", dim_text};
    PGresult *res;
    store_status st = run_in_org(pg, org_id, false, STMT_LOAD, 4, p, &res);
    if (st != STORE_OK)
        return st;
    int rows = PQntuples(res);
    if (rows == 0) {
        PQclear(res);
        return STORE_OK; /* deleted since */
    }
    /* A document without chunks has one row of NULLs (the LEFT JOIN). */
    size_t nchunks = PQgetisnull(res, 0, 1) ? 0 : (size_t)rows;
    kb_doc *d = kb_doc_create(org_id, doc_id, strtoll(PQgetvalue(res, 0, 0), NULL, 10), nchunks);
    float *vec = calloc(dim > 0 ? (size_t)dim : 1, sizeof(float));
    if (vec == NULL)
        abort();
    for (size_t i = 0; i < nchunks; i++) {
        bool has_vector = dim > 0 && !PQgetisnull(res, (int)i, 4) && decode_vector(PQgetvalue(res, (int)i, 4), dim, vec);
        kb_doc_set_chunk(d, i, PQgetvalue(res, (int)i, 1), PQgetvalue(res, (int)i, 2), PQgetvalue(res, (int)i, 3),
                         has_vector ? vec : NULL, dim, a);
    }
    free(vec);
    PQclear(res);
    *out = d;
    return STORE_OK;
}

/* The details of a document's audit entry: its name and, for an upload,
 * its kind and size — never its content. malloc'd. */
static char *audit_details(const char *title, const char *kind, size_t byte_size)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "{\"name\":");
    vx_buf_json_string(&b, title, strlen(title));
    if (kind != NULL) {
        vx_buf_puts(&b, ",\"kind\":");
        vx_buf_json_string(&b, kind, strlen(kind));
        vx_buf_printf(&b, ",\"byte_size\":%zu", byte_size);
    }
    vx_buf_putc(&b, '}');
    return vx_buf_steal(&b);
}

/* The document's audit entry, in the open transaction (the caller rolls
 * back when it fails). */
static int audit(vx_pg *pg, const vx_gateway_request *req, const char *action, const char *id, const char *title, const char *kind,
                 size_t byte_size)
{
    char *details = audit_details(title, kind, byte_size);
    int rc = vx_audit_record(pg, req, action, STORE_AUDIT_TARGET, id, details);
    free(details);
    return rc;
}

store_status store_document_create(vx_pg *pg, const vx_gateway_request *req, const store_upload *u, char **json)
{
    *json = NULL;
    const char *org_id = req->auth->org_id;
    char size[24], chunks[24], characters[24];
    snprintf(size, sizeof(size), "%zu", u->byte_size);
    snprintf(chunks, sizeof(chunks), "%zu", u->nchunks);
    snprintf(characters, sizeof(characters), "%zu", u->characters);
    if (begin(pg, org_id, true) != STORE_OK)
        return STORE_UNAVAILABLE;
    const char *p[7] = {org_id, u->title, u->content_type, size, u->sha256, chunks, characters};
    PGresult *res = vx_pg_exec(pg, STMT_CREATE, 7, p);
    if (res == NULL)
        return failed(pg, org_id, STMT_CREATE);
    if (PQntuples(res) == 0) { /* the same bytes are there already: nothing changes, nothing is audited */
        PQclear(res);
        const char *e[2] = {org_id, u->sha256};
        res = vx_pg_exec(pg, STMT_EXISTING, 2, e);
        if (res == NULL)
            return failed(pg, org_id, STMT_EXISTING);
        store_status st = PQntuples(res) == 1 ? STORE_EXISTS : STORE_ERROR;
        if (st == STORE_EXISTS && (*json = strdup(PQgetvalue(res, 0, 0))) == NULL)
            abort();
        PQclear(res);
        vx_pg_rollback(pg);
        return st;
    }
    char id[37];
    snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
    char *doc = strdup(PQgetvalue(res, 0, 1));
    PQclear(res);
    if (doc == NULL)
        abort();
    if (audit(pg, req, STORE_AUDIT_ADDED, id, u->title, u->kind, u->byte_size) != 0) {
        free(doc);
        return failed(pg, org_id, "audit_log");
    }
    vx_buf body = VX_BUF_INIT;
    vx_buf_putc(&body, '[');
    for (size_t i = 0; i < u->nchunks; i++) {
        vx_buf_puts(&body, i > 0 ? ",{\"h\":" : "{\"h\":");
        vx_buf_json_string(&body, u->chunks[i].heading, strlen(u->chunks[i].heading));
        vx_buf_puts(&body, ",\"c\":");
        vx_buf_json_string(&body, u->chunks[i].content, strlen(u->chunks[i].content));
        vx_buf_putc(&body, '}');
    }
    vx_buf_putc(&body, ']');
    const char *c[3] = {org_id, id, body.data};
    res = vx_pg_exec(pg, STMT_CHUNKS, 3, c);
    vx_buf_free(&body);
    if (res == NULL) {
        free(doc);
        return failed(pg, org_id, STMT_CHUNKS);
    }
    PQclear(res);
    if (vx_pg_commit(pg) != 0) {
        free(doc);
        return failed(pg, org_id, "COMMIT");
    }
    *json = doc;
    return STORE_OK;
}

/* A statement whose one row and column is the answer's JSON. */
static store_status json_of(vx_pg *pg, const char *org_id, const char *stmt, int n, const char *const *params, char **json)
{
    *json = NULL;
    PGresult *res;
    store_status st = run_in_org(pg, org_id, false, stmt, n, params, &res);
    if (st != STORE_OK)
        return st;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return STORE_NOT_FOUND;
    }
    if ((*json = strdup(PQgetvalue(res, 0, 0))) == NULL)
        abort();
    PQclear(res);
    return STORE_OK;
}

store_status store_document_list(vx_pg *pg, const char *org_id, int limit, const char *after_at, const char *after_id,
                                 store_page *out)
{
    memset(out, 0, sizeof(*out));
    char l[16];
    snprintf(l, sizeof(l), "%d", limit);
    /* The first page: after every document (no id sorts above the largest). */
    const char *p[4] = {org_id, l, after_at != NULL ? after_at : "infinity",
                        after_id != NULL ? after_id : "ffffffff-ffff-ffff-ffff-ffffffffffff"};
    PGresult *res;
    store_status st = run_in_org(pg, org_id, false, STMT_LIST, 4, p, &res);
    if (st != STORE_OK)
        return st;
    if ((out->json = strdup(PQgetvalue(res, 0, 0))) == NULL)
        abort();
    out->more = !PQgetisnull(res, 0, 1) && !PQgetisnull(res, 0, 2);
    if (out->more) {
        out->last_us = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        snprintf(out->last_id, sizeof(out->last_id), "%s", PQgetvalue(res, 0, 2));
    }
    PQclear(res);
    return STORE_OK;
}

store_status store_document_get(vx_pg *pg, const char *org_id, const char *id, char **json)
{
    const char *p[2] = {org_id, id};
    return json_of(pg, org_id, STMT_GET, 2, p, json);
}

store_status store_document_delete(vx_pg *pg, const vx_gateway_request *req, const char *id)
{
    const char *org_id = req->auth->org_id;
    if (begin(pg, org_id, true) != STORE_OK)
        return STORE_UNAVAILABLE;
    const char *p[2] = {org_id, id};
    PGresult *res = vx_pg_exec(pg, STMT_DELETE, 2, p);
    if (res == NULL)
        return failed(pg, org_id, STMT_DELETE);
    if (PQntuples(res) != 1) {
        PQclear(res);
        vx_pg_rollback(pg);
        return STORE_NOT_FOUND;
    }
    int rc = audit(pg, req, STORE_AUDIT_DELETED, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), NULL, 0);
    PQclear(res);
    if (rc != 0)
        return failed(pg, org_id, "audit_log");
    if (vx_pg_commit(pg) != 0)
        return failed(pg, org_id, "COMMIT");
    return STORE_OK;
}

store_status store_due(vx_pg *pg, const char *model, int max, store_due_doc *out, size_t *n)
{
    *n = 0;
    if (vx_pg_ensure(pg) != 0)
        return STORE_UNAVAILABLE;
    char m[16];
    snprintf(m, sizeof(m), "%d", max);
    const char *p[2] = {model, m};
    PGresult *res = vx_pg_exec(pg, STMT_DUE, 2, p);
    if (res == NULL)
        return failed(pg, NULL, STMT_DUE);
    for (int i = 0; i < PQntuples(res) && i < max; i++) {
        snprintf(out[i].org_id, sizeof(out[i].org_id), "%s", PQgetvalue(res, i, 0));
        snprintf(out[i].id, sizeof(out[i].id), "%s", PQgetvalue(res, i, 1));
        (*n)++;
    }
    PQclear(res);
    return STORE_OK;
}

store_status store_claim(vx_pg *pg, const char *org_id, const char *doc_id, const char *model, int lease_s)
{
    char l[16];
    snprintf(l, sizeof(l), "%d", lease_s);
    const char *p[4] = {org_id, doc_id, model, l};
    PGresult *res;
    store_status st = run_in_org(pg, org_id, true, STMT_CLAIM, 4, p, &res);
    if (st != STORE_OK)
        return st;
    st = PQntuples(res) == 1 ? STORE_OK : STORE_NOT_FOUND;
    PQclear(res);
    return st;
}

PGresult *store_pending_chunks(vx_pg *pg, const char *org_id, const char *doc_id, const char *model, int limit)
{
    char l[16];
    snprintf(l, sizeof(l), "%d", limit);
    const char *p[4] = {org_id, doc_id, model, l};
    PGresult *res;
    return run_in_org(pg, org_id, false, STMT_PENDING, 4, p, &res) == STORE_OK ? res : NULL;
}

store_status store_save_vectors(vx_pg *pg, const char *org_id, const char *doc_id, const char *model, int dim,
                                const char *const *ids, const float *vectors, size_t n, int lease_s)
{
    vx_buf body = VX_BUF_INIT;
    char *hex = malloc(8 * (size_t)dim + 1);
    uint8_t *bytes = malloc(4 * (size_t)dim);
    if (hex == NULL || bytes == NULL)
        abort();
    vx_buf_putc(&body, '[');
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < dim; k++) {
            uint32_t bits;
            memcpy(&bits, &vectors[i * (size_t)dim + (size_t)k], sizeof(bits));
            for (int b = 0; b < 4; b++)
                bytes[4 * k + b] = (uint8_t)(bits >> (8 * b)); /* little-endian whatever the host */
        }
        vx_hex_encode(bytes, 4 * (size_t)dim, hex);
        vx_buf_printf(&body, "%s{\"i\":\"%s\",\"x\":\"%s\"}", i > 0 ? "," : "", ids[i], hex);
    }
    vx_buf_putc(&body, ']');
    free(hex);
    free(bytes);
    char d[16], l[16];
    snprintf(d, sizeof(d), "%d", dim);
    snprintf(l, sizeof(l), "%d", lease_s);
    store_status st = STORE_OK;
    if (vx_pg_begin_org(pg, org_id) != 0) {
        vx_buf_free(&body);
        return STORE_UNAVAILABLE;
    }
    const char *p[5] = {org_id, doc_id, model, d, body.data};
    PGresult *res = vx_pg_exec(pg, STMT_VECTORS, 5, p);
    vx_buf_free(&body);
    if (res == NULL)
        return failed(pg, org_id, STMT_VECTORS);
    PQclear(res);
    const char *q[3] = {org_id, doc_id, l};
    res = vx_pg_exec(pg, STMT_LEASE, 3, q);
    if (res == NULL)
        return failed(pg, org_id, STMT_LEASE);
    PQclear(res);
    if (vx_pg_commit(pg) != 0)
        return failed(pg, org_id, "COMMIT");
    return st;
}

store_status store_finish(vx_pg *pg, const char *org_id, const char *doc_id, const char *model)
{
    const char *p[3] = {org_id, doc_id, model};
    PGresult *res;
    store_status st = run_in_org(pg, org_id, true, STMT_FINISH, 3, p, &res);
    if (st == STORE_OK)
        PQclear(res);
    return st;
}

store_status store_retry_later(vx_pg *pg, const char *org_id, const char *doc_id, int delay_s, const char *detail, int max_attempts)
{
    char d[16], m[16];
    snprintf(d, sizeof(d), "%d", delay_s);
    snprintf(m, sizeof(m), "%d", max_attempts);
    const char *p[5] = {org_id, doc_id, d, detail, m};
    PGresult *res;
    store_status st = run_in_org(pg, org_id, true, STMT_RETRY, 5, p, &res);
    if (st == STORE_OK)
        PQclear(res);
    return st;
}
