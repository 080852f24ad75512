/*
 * search: fusion of the BM25 and dense rankings (see search.h).
 */
#include "search.h"

#include <stdlib.h>
#include <string.h>

#include "vx_log.h"
#include "vx_utf8.h"

#define QUERY_MAX_TERMS 64
#define DEPTH_MAX       200

void search_config_defaults(search_config *c)
{
    c->threshold = 0.25f;
    c->max_chunks = 5;
    c->max_context = 2000;
    c->depth = 50;
    /* Measured (BENCH_ONLY=rag, 1,000 MedQuAD questions over its 40,796
     * chunks, and the 178 caller-worded clinic questions), recall@1 / @5:
     *   BM25 alone          MedQuAD 0.298 / 0.656   clinic 0.652 / 0.831
     *   dense 0.25 (chosen) MedQuAD 0.330 / 0.647   clinic 0.629 / 0.854
     *   dense 1.0           MedQuAD 0.288 / 0.548   clinic 0.640 / 0.882
     * The built-in model is weak on MedQuAD's medical terms (dense alone
     * 0.127 / 0.280) and a larger weight lets it push the right answer out
     * of the first five there; a quarter keeps most of what it adds on the
     * paraphrased questions. The threshold (0.25 to 0.55) barely moved
     * either set. A stronger embedder (EMBEDDINGS_BASE_URL) may deserve more. */
    c->weight_bm25 = 1.0f;
    c->weight_dense = 0.25f;
    c->rrf_k = 60;
    c->rare_df = 3;
}

typedef struct term_list {
    uint64_t terms[QUERY_MAX_TERMS];
    size_t n;
} term_list;

static void collect(uint64_t term, void *arg)
{
    term_list *l = arg;
    if (l->n < QUERY_MAX_TERMS)
        l->terms[l->n++] = term;
}

/* One candidate of the fusion. */
typedef struct candidate {
    uint32_t chunk;
    int rank_bm25, rank_dense; /* 1-based; 0 when absent */
    float bm25, cosine;
    bool has_cosine, rare;
    double fused;
} candidate;

static candidate *candidate_of(candidate *c, size_t *n, uint32_t chunk)
{
    for (size_t i = 0; i < *n; i++)
        if (c[i].chunk == chunk)
            return &c[i];
    memset(&c[*n], 0, sizeof(candidate));
    c[*n].chunk = chunk;
    return &c[(*n)++];
}

static int by_rank(const void *pa, const void *pb)
{
    const candidate *a = pa, *b = pb;
    if (a->rare != b->rare)
        return a->rare ? -1 : 1;
    if (a->rare && a->bm25 != b->bm25)
        return a->bm25 > b->bm25 ? -1 : 1;
    if (a->fused != b->fused)
        return a->fused > b->fused ? -1 : 1;
    return a->chunk < b->chunk ? -1 : a->chunk > b->chunk;
}

/* The query's vector, or false (logged) when the embedder failed. */
static bool embed_query(embedder *e, const char *query, float *vec)
{
    char why[160] = "";
    const char *texts[1] = {query};
    embed_status st = e->embed(e, texts, 1, vec, why, sizeof(why));
    if (st != EMBED_OK) {
        vx_log_warn(NULL, NULL, "query embedding failed: keywords only", "model", e->model, "error", why);
        return false;
    }
    return true;
}

search_status search_run(kb_registry *reg, analyzer *a, embedder *e, const search_config *cfg, const char *org_id,
                         const char *query, int max_chunks, search_result *out)
{
    float *vec = NULL;
    if (e != NULL && query != NULL && query[0] != '\0') {
        vec = calloc((size_t)e->dim, sizeof(float));
        if (vec == NULL)
            abort();
        if (!embed_query(e, query, vec)) {
            free(vec);
            vec = NULL;
        }
    }
    search_status st = search_with_vector(reg, a, vec, vec != NULL ? e->dim : 0, cfg, org_id, query, max_chunks, out);
    free(vec);
    return st;
}

search_status search_with_vector(kb_registry *reg, analyzer *a, const float *vec, int dim, const search_config *cfg,
                                 const char *org_id, const char *query, int max_chunks, search_result *out)
{
    memset(out, 0, sizeof(*out));
    out->index = kb_registry_get(reg, org_id);
    if (out->index == NULL || query == NULL || query[0] == '\0')
        return SEARCH_NOTHING;
    kb_index *ix = out->index;
    size_t want = (size_t)(max_chunks > 0 ? max_chunks : cfg->max_chunks);
    if (want > SEARCH_MAX_CHUNKS)
        want = SEARCH_MAX_CHUNKS;
    size_t depth = (size_t)(cfg->depth > 0 ? cfg->depth : 1);
    if (depth > DEPTH_MAX)
        depth = DEPTH_MAX;

    term_list q = {.n = 0};
    analyzer_terms(a, query, strlen(query), collect, &q);
    kb_scored bm25[DEPTH_MAX], dense[DEPTH_MAX];
    size_t nb = kb_index_bm25(ix, q.terms, q.n, depth, bm25);
    size_t nd = 0;
    if (vec != NULL && kb_index_vectors(ix) > 0 && kb_index_dim(ix) == dim) {
        nd = kb_index_dense(ix, vec, depth, dense);
        out->dense = true;
    }

    candidate cands[2 * DEPTH_MAX];
    size_t nc = 0;
    for (size_t i = 0; i < nb; i++) {
        candidate *c = candidate_of(cands, &nc, bm25[i].chunk);
        c->rank_bm25 = (int)i + 1;
        c->bm25 = bm25[i].score;
    }
    for (size_t i = 0; i < nd; i++) {
        candidate *c = candidate_of(cands, &nc, dense[i].chunk);
        c->rank_dense = (int)i + 1;
        c->cosine = dense[i].score;
        c->has_cosine = true;
    }
    /* Rare words: the chunks that hold them (among the BM25 candidates,
     * which hold every matching chunk of a rare word: depth > rare_df). */
    for (size_t t = 0; t < q.n; t++) {
        uint32_t df = 0;
        const uint32_t *post = kb_index_postings(ix, q.terms[t], &df);
        if (df == 0 || df > cfg->rare_df)
            continue;
        for (uint32_t j = 0; j < df; j++)
            for (size_t i = 0; i < nc; i++)
                if (cands[i].chunk == post[j] && cands[i].rank_bm25 > 0)
                    cands[i].rare = true;
    }
    size_t kept = 0;
    for (size_t i = 0; i < nc; i++) {
        candidate c = cands[i];
        bool dense_enough = c.has_cosine && c.cosine >= cfg->threshold;
        if (c.rank_bm25 == 0 && !dense_enough)
            continue;
        c.fused = (c.rank_bm25 > 0 ? cfg->weight_bm25 / (double)(cfg->rrf_k + c.rank_bm25) : 0) +
                  (dense_enough ? cfg->weight_dense / (double)(cfg->rrf_k + c.rank_dense) : 0);
        cands[kept++] = c;
    }
    qsort(cands, kept, sizeof(candidate), by_rank);
    float best_bm25 = nb > 0 ? bm25[0].score : 1.0f;
    for (size_t i = 0; i < kept && out->n < want; i++) {
        search_hit *h = &out->hits[out->n++];
        h->chunk = kb_index_chunk(ix, cands[i].chunk);
        h->bm25 = cands[i].bm25;
        h->fused = cands[i].fused;
        if (h->chunk->vector != NULL && out->dense) {
            /* Its cosine even when it came through BM25 alone. */
            h->similarity = cands[i].has_cosine ? cands[i].cosine : -1.0f;
        } else {
            h->similarity = -1.0f;
        }
        if (h->similarity < 0)
            h->similarity = best_bm25 > 0 ? cands[i].bm25 / best_bm25 : 0;
    }
    return out->n > 0 ? SEARCH_FOUND : SEARCH_NOTHING;
}

void search_result_free(search_result *r)
{
    kb_index_unref(r->index);
    memset(r, 0, sizeof(*r));
}

/* The length of the longest prefix of s[0..n) that ends on a character boundary. */
static size_t utf8_prefix(const char *s, size_t n)
{
    /* The text is whole (s has a NUL after n at most): look at each
     * character in full, and stop before one that would cross n. */
    size_t i = 0, total = strlen(s);
    while (i < n) {
        size_t len = vx_utf8_seq_len((const unsigned char *)s + i, total - i);
        if (len == 0)
            len = 1; /* stored text is valid UTF-8; a stray byte is kept as it is */
        if (i + len > n)
            break;
        i += len;
    }
    return i;
}

size_t search_context(search_result *r, size_t max_bytes, vx_buf *out)
{
    vx_buf_reset(out);
    size_t used = 0;
    for (size_t i = 0; i < r->n; i++) {
        const kb_chunk *c = r->hits[i].chunk;
        r->hits[i].in_context = false;
        size_t hl = strlen(c->heading), cl = strlen(c->content);
        size_t need = (out->len > 0 ? 2 : 0) + (hl > 0 ? hl + 2 : 0) + cl;
        if (out->len + need > max_bytes) {
            if (out->len > 0)
                continue; /* a shorter one further down may still fit */
            /* The best hit alone is longer than the budget: its beginning. */
            vx_buf b = VX_BUF_INIT;
            if (hl > 0) {
                vx_buf_append(&b, c->heading, hl);
                vx_buf_puts(&b, ": ");
            }
            vx_buf_append(&b, c->content, cl);
            vx_buf_append(out, b.data, utf8_prefix(b.data, b.len < max_bytes ? b.len : max_bytes));
            vx_buf_free(&b);
            r->hits[i].in_context = true;
            used++;
            continue;
        }
        if (out->len > 0)
            vx_buf_puts(out, "\n\n");
        if (hl > 0) {
            vx_buf_append(out, c->heading, hl);
            vx_buf_puts(out, ": ");
        }
        vx_buf_append(out, c->content, cl);
        r->hits[i].in_context = true;
        used++;
    }
    return used;
}
