/*
 * search: one question against one org's knowledge base — BM25 and dense
 * rankings fused, rare words promoted, cut to the configured chunks and
 * characters. The one search behind rpc.rag.search (tool-router's
 * getKnowledgeBase and Vapi's knowledge-base-request) and the owner's
 * GET /api/knowledge-base/search.
 *
 * Ranking (weights and depth chosen by measurement: `make bench`,
 * BENCH_ONLY=rag, recall on MedQuAD and on the clinic paraphrase set):
 * - the BM25 and the dense top `depth` are fused by weighted reciprocal rank
 *   fusion, fused = w_bm25 / (k + rank_bm25) + w_dense / (k + rank_dense);
 * - a chunk is an answer when its cosine reaches `threshold` or it matches
 *   a word of the question (BM25 > 0): dense alone never brings back a
 *   chunk that is only vaguely alike, and keywords never miss an exact word;
 * - a word of the question found in at most `rare_df` chunks is a name, a
 *   price or a code: the chunks holding it go first, best BM25 first (the
 *   issue's "a doctor's surname that appears once finds it in the top result").
 * Without an embedder (or when the org's vectors are of another model) the
 * search is BM25 alone: answers never stop while vectors are rebuilt.
 */
#ifndef RAG_SEARCH_SEARCH_H
#define RAG_SEARCH_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "embed/embedder.h"
#include "index/analyzer.h"
#include "index/registry.h"
#include "vx_buf.h"

#define SEARCH_MAX_CHUNKS 20 /* the most any config or request may ask for */

typedef struct search_config {
    float threshold;    /* cosine a dense-only match needs (SPEC: 0.25) */
    int max_chunks;     /* chunks answered by default (SPEC: 5) */
    size_t max_context; /* bytes of context at most (SPEC: 2,000 characters) */
    int depth;          /* candidates taken from each ranking */
    float weight_bm25;  /* RRF weights */
    float weight_dense;
    int rrf_k;        /* RRF's k */
    unsigned rare_df; /* a word in at most this many chunks promotes them */
} search_config;

/* SPEC's values and the measured weights. */
void search_config_defaults(search_config *c);

typedef struct search_hit {
    const kb_chunk *chunk; /* valid while the result holds its index */
    float similarity;      /* the cosine when the chunk has a vector, else its BM25 relative to the best (0..1] */
    float bm25;            /* 0 when no word matched */
    double fused;
    bool in_context; /* set by search_context: its text is part of the context */
} search_hit;

typedef struct search_result {
    kb_index *index; /* held until search_result_free */
    size_t n;
    search_hit hits[SEARCH_MAX_CHUNKS];
    bool dense; /* the dense ranking took part */
} search_result;

typedef enum {
    SEARCH_FOUND = 0,
    SEARCH_NOTHING = 1, /* no knowledge base, or nothing relevant */
} search_status;

/* Searches org_id's index in reg for query. a is the calling thread's
 * analyzer; e may be NULL (BM25 only); max_chunks 0: the config's.
 * out is always initialised (search_result_free). */
search_status search_run(kb_registry *reg, analyzer *a, embedder *e, const search_config *cfg, const char *org_id,
                         const char *query, int max_chunks, search_result *out);
/* The same with the question's vector already made (vec: dim floats,
 * L2-normalised; NULL: keywords only) — the bench's way to compare rankings
 * without embedding each question again. */
search_status search_with_vector(kb_registry *reg, analyzer *a, const float *vec, int dim, const search_config *cfg,
                                 const char *org_id, const char *query, int max_chunks, search_result *out);
void search_result_free(search_result *r);

/* The hits' texts joined ("heading: content", blank line between), at
 * most max_bytes (the first hit cut on a character boundary if it alone is
 * longer; later hits that do not fit are left out), each hit's in_context
 * set accordingly. Returns the hits used. */
size_t search_context(search_result *r, size_t max_bytes, vx_buf *out);

#endif
