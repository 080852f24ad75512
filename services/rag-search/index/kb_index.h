/*
 * kb_index: one org's knowledge base in memory — its documents' chunks, a
 * BM25 inverted index over their terms and their vectors (each document's in
 * one block, scanned in place) — and
 * the two rankings a search fuses (search.h).
 *
 * A kb_doc is one document as loaded from kb_chunks: its chunks with their
 * text, their analysed terms (analyzer.h) and their vector when it was made
 * by the current embedder. It is built once and never changes; a new
 * version of the document is a new kb_doc.
 *
 * A kb_index is built from an org's kb_docs and never changes either: a
 * replica that learns of a change builds a new index and swaps it in
 * (registry.h), while searches still holding the old one finish on it.
 * Both are reference-counted for that reason.
 *
 * Scoring: BM25 (k1 = 1.2, b = 0.75, idf = ln(1 + (N - df + 0.5) / (df + 0.5)))
 * with the statistics of the org's own chunks; dense: the dot product of
 * L2-normalised vectors (the cosine), over all chunks, exact: a first pass
 * over an int8 copy of each vector (a quarter of the bytes: the float32
 * scan is bound by memory) bounds every score, and only the rows that may
 * be among the k best are scored again in float32 — the same chunks and
 * scores as a float32 scan of all (kb_index.c's dense_two_pass says why).
 * No ANN needed: 10,000 × 512 a fraction of a millisecond.
 */
#ifndef RAG_SEARCH_INDEX_KB_INDEX_H
#define RAG_SEARCH_INDEX_KB_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "index/analyzer.h"

typedef struct kb_chunk {
    char id[37];
    const char *document_id; /* its kb_doc's id */
    char *heading;           /* "" when none */
    char *content;
    uint32_t length; /* terms in heading and content: BM25's document length */
    uint32_t nterms; /* distinct terms */
    uint64_t *terms; /* distinct term hashes */
    uint16_t *tf;    /* how often each occurs (capped at 65,535) */
    float *vector;   /* dim floats, L2-normalised; NULL when not embedded by the current model */
} kb_chunk;

typedef struct kb_doc kb_doc;

/* A document of nchunks chunks (filled with kb_doc_set_chunk), one reference. */
kb_doc *kb_doc_create(const char *org_id, const char *id, int64_t version, size_t nchunks);
/* Fills chunk i: copies the texts, analyses heading and content with a, and
 * copies vector (dim floats) unless it is NULL. */
void kb_doc_set_chunk(kb_doc *d, size_t i, const char *chunk_id, const char *heading, const char *content, const float *vector,
                      int dim, analyzer *a);
const char *kb_doc_id(const kb_doc *d);
const char *kb_doc_org(const kb_doc *d);
int64_t kb_doc_version(const kb_doc *d);
size_t kb_doc_chunks(const kb_doc *d);
/* Bytes the document holds (texts, terms, vectors): for the memory figure. */
size_t kb_doc_bytes(const kb_doc *d);
kb_doc *kb_doc_ref(kb_doc *d);
void kb_doc_unref(kb_doc *d); /* NULL: nothing */

typedef struct kb_index kb_index;

/* An index over docs[0..ndocs) (each gets a reference), whose vectors have
 * dim floats (0: no vectors). Aborts only when out of memory. */
kb_index *kb_index_build(kb_doc *const *docs, size_t ndocs, int dim);
kb_index *kb_index_ref(kb_index *ix);
void kb_index_unref(kb_index *ix); /* NULL: nothing */

size_t kb_index_size(const kb_index *ix);    /* chunks */
size_t kb_index_vectors(const kb_index *ix); /* chunks with a vector */
int kb_index_dim(const kb_index *ix);
size_t kb_index_docs(const kb_index *ix);
kb_doc *kb_index_doc(const kb_index *ix, size_t i);
const kb_chunk *kb_index_chunk(const kb_index *ix, size_t i);

typedef struct kb_scored {
    uint32_t chunk; /* index for kb_index_chunk */
    float score;
} kb_scored;

/* The at most k best chunks for the query terms (distinct or not: a term
 * asked twice counts once), best first; only chunks with a score > 0.
 * Returns how many were written to out. */
size_t kb_index_bm25(const kb_index *ix, const uint64_t *terms, size_t nterms, size_t k, kb_scored *out);
/* The chunks that hold term (sorted by chunk; *n of them, 0 when none). */
const uint32_t *kb_index_postings(const kb_index *ix, uint64_t term, uint32_t *n);

/* The at most k chunks whose vector is closest to query (dim floats,
 * L2-normalised), best first, with their cosine. */
size_t kb_index_dense(const kb_index *ix, const float *query, size_t k, kb_scored *out);

/* The dot product of a and b (n floats), several accumulators wide. */
float kb_dot(const float *a, const float *b, size_t n);

/* The first pass of kb_index_dense: out[r] = the exact integer dot product
 * of an int16 question q and the int8 row rows[r] (n <= 4096 values each),
 * for r < nrows. The AVX2 kernel, or NULL where the CPU lacks AVX2 or
 * RAG_PORTABLE_KERNELS is set (then kb_index_dense scans in float32 only). */
typedef void (*kb_dot_i8_fn)(const int16_t *q, const int8_t *const *rows, size_t nrows, size_t n, int64_t *out);
kb_dot_i8_fn kb_dot_i8_kernel(void);

#endif
