/*
 * kb_index: documents, the BM25 postings and the vector scan (see kb_index.h).
 *
 * Design: a document keeps each chunk's distinct term hashes with their
 * counts, so an index is rebuilt from memory without analysing text again
 * (an upload to an org of 10,000 chunks rebuilds in milliseconds, not the
 * seconds stemming would take). The postings live in one table with open
 * addressing on the 64-bit term hash and two flat arrays (chunk, count)
 * that each term's slice indexes: three allocations per index, and a
 * query's terms each touch one contiguous slice.
 */
#include "index/kb_index.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <math.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define BM25_K1 1.2f
#define BM25_B  0.75f

/* The dense scan's first pass (kb_index_dense): each vector rounded to int8
 * at its own scale, the question to int16 at its own. int16 × int8 products
 * summed by AVX2 in int32 lanes stay exact up to this many dimensions (a lane
 * adds dim / 16 products of at most 32,767 × 127: 4096 / 16 × 4,161,409 <
 * 2^31); a wider model scans in float32 alone. */
#define Q8_MAX         127
#define Q16_MAX        32767
#define APPROX_MAX_DIM 4096
/* Beyond this k the first pass saves too little to be worth its bookkeeping
 * (a search asks for 50, at most DEPTH_MAX = 200). */
#define APPROX_MAX_K 256
/* Rows per call of the first pass's kernel. */
#define DENSE_BLOCK 64

/* How an int8 row stands for its float32 vector v: v ≈ scale × q8, with
 * err >= ||v - scale × q8|| and norm >= ||v|| (Euclidean, rounded up);
 * err is infinite when v holds a NaN or an infinity. */
typedef struct q8_meta {
    float scale, err, norm;
} q8_meta;

struct kb_doc {
    char id[37];
    char org_id[37];
    int64_t version;
    size_t nchunks;
    kb_chunk *chunks;
    float *vectors; /* nchunks × dim, 32-byte aligned, made with the first vector; chunks point into it */
    int8_t *q8;     /* the same rounded to int8 (nchunks × dim), made with it */
    q8_meta *q8_meta;
    int dim;
    size_t bytes;
    atomic_int refs;
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n > 0 ? n : 1, size > 0 ? size : 1);
    if (p == NULL)
        abort();
    return p;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s != NULL ? s : "");
    if (d == NULL)
        abort();
    return d;
}

kb_doc *kb_doc_create(const char *org_id, const char *id, int64_t version, size_t nchunks)
{
    kb_doc *d = xcalloc(1, sizeof(*d));
    size_t n = strnlen(id, 36);
    memcpy(d->id, id, n);
    n = strnlen(org_id, 36);
    memcpy(d->org_id, org_id, n);
    d->version = version;
    d->nchunks = nchunks;
    d->chunks = xcalloc(nchunks, sizeof(kb_chunk));
    d->bytes = sizeof(*d) + nchunks * sizeof(kb_chunk);
    atomic_init(&d->refs, 1);
    return d;
}

/* Collects a chunk's terms while the analyzer emits them. */
typedef struct term_counter {
    uint64_t *keys;
    uint16_t *counts;
    size_t cap; /* power of two */
    size_t distinct;
    uint32_t total;
} term_counter;

static void counter_grow(term_counter *c);

/* The float nearest above x (x >= 0): a bound that rounding cannot shrink. */
static float round_up(double x)
{
    float f = (float)x;
    return (double)f >= x ? f : nextafterf(f, INFINITY);
}

/* v's int8 row at the scale max|v| / 127, and the bounds kb_index_dense
 * needs to know how far a score of the row can be from v's (q8_meta). */
static void quantize_row(const float *v, int dim, int8_t *q, q8_meta *m)
{
    float most = 0;
    bool finite = true;
    for (int i = 0; i < dim; i++) {
        finite = finite && isfinite(v[i]);
        if (fabsf(v[i]) > most)
            most = fabsf(v[i]);
    }
    m->scale = finite && most > 0 ? most / Q8_MAX : 0;
    double err = 0, norm = 0;
    for (int i = 0; i < dim; i++) {
        long r = m->scale > 0 ? lrintf(v[i] / m->scale) : 0;
        q[i] = (int8_t)(r > Q8_MAX ? Q8_MAX : r < -Q8_MAX ? -Q8_MAX : r);
        /* Exact in double: a float times a small integer fits 53 bits. */
        double d = (double)v[i] - (double)m->scale * q[i];
        err += d * d;
        norm += (double)v[i] * v[i];
    }
    /* sqrt in double is correctly rounded, and round_up adds the ulp the
     * sums may have lost many times over for 4096 terms. */
    m->err = finite ? round_up(sqrt(err) * (1 + 0x1p-40)) : INFINITY;
    m->norm = finite ? round_up(sqrt(norm) * (1 + 0x1p-40)) : INFINITY;
}

static void counter_add(uint64_t term, void *arg)
{
    term_counter *c = arg;
    if (term == 0)
        term = 1; /* 0 marks an empty slot */
    if (c->total < UINT32_MAX)
        c->total++;
    if (2 * (c->distinct + 1) > c->cap)
        counter_grow(c);
    size_t mask = c->cap - 1;
    for (size_t i = (size_t)term & mask;; i = (i + 1) & mask) {
        if (c->keys[i] == term) {
            if (c->counts[i] < UINT16_MAX)
                c->counts[i]++;
            return;
        }
        if (c->keys[i] == 0) {
            c->keys[i] = term;
            c->counts[i] = 1;
            c->distinct++;
            return;
        }
    }
}

static void counter_grow(term_counter *c)
{
    term_counter bigger = {.cap = c->cap > 0 ? 2 * c->cap : 64};
    bigger.keys = xcalloc(bigger.cap, sizeof(uint64_t));
    bigger.counts = xcalloc(bigger.cap, sizeof(uint16_t));
    for (size_t i = 0; i < c->cap; i++) {
        if (c->keys[i] == 0)
            continue;
        size_t mask = bigger.cap - 1;
        size_t j = (size_t)c->keys[i] & mask;
        while (bigger.keys[j] != 0)
            j = (j + 1) & mask;
        bigger.keys[j] = c->keys[i];
        bigger.counts[j] = c->counts[i];
    }
    bigger.distinct = c->distinct;
    bigger.total = c->total;
    free(c->keys);
    free(c->counts);
    *c = bigger;
}

void kb_doc_set_chunk(kb_doc *d, size_t i, const char *chunk_id, const char *heading, const char *content, const float *vector,
                      int dim, analyzer *a)
{
    kb_chunk *c = &d->chunks[i];
    size_t n = strnlen(chunk_id, 36);
    memcpy(c->id, chunk_id, n);
    c->document_id = d->id;
    c->heading = xstrdup(heading);
    c->content = xstrdup(content);
    term_counter counter = {0};
    analyzer_terms(a, c->heading, strlen(c->heading), counter_add, &counter);
    analyzer_terms(a, c->content, strlen(c->content), counter_add, &counter);
    c->length = counter.total;
    c->nterms = (uint32_t)counter.distinct;
    c->terms = xcalloc(counter.distinct, sizeof(uint64_t));
    c->tf = xcalloc(counter.distinct, sizeof(uint16_t));
    for (size_t k = 0, j = 0; k < counter.cap; k++)
        if (counter.keys[k] != 0) {
            c->terms[j] = counter.keys[k];
            c->tf[j++] = counter.counts[k];
        }
    free(counter.keys);
    free(counter.counts);
    if (vector != NULL && dim > 0 && (d->vectors == NULL || d->dim == dim)) {
        if (d->vectors == NULL) {
            /* One block per document: an index scans it in order, and holds
             * no copy of its own (the vectors are most of the memory). */
            size_t bytes = (d->nchunks * (size_t)dim * sizeof(float) + 31) / 32 * 32;
            d->vectors = aligned_alloc(32, bytes);
            if (d->vectors == NULL)
                abort();
            /* The int8 copy a quarter the size: what a search streams
             * through (kb_index_dense); rounded here, once per document,
             * so that building an index stays a matter of pointers. */
            size_t qbytes = (d->nchunks * (size_t)dim + 31) / 32 * 32;
            d->q8 = aligned_alloc(32, qbytes);
            d->q8_meta = xcalloc(d->nchunks, sizeof(q8_meta));
            if (d->q8 == NULL)
                abort();
            d->dim = dim;
            d->bytes += bytes + qbytes + d->nchunks * sizeof(q8_meta);
        }
        c->vector = d->vectors + i * (size_t)dim;
        memcpy(c->vector, vector, (size_t)dim * sizeof(float));
        quantize_row(c->vector, dim, d->q8 + i * (size_t)dim, &d->q8_meta[i]);
    }
    d->bytes += strlen(c->heading) + strlen(c->content) + 2 + c->nterms * (sizeof(uint64_t) + sizeof(uint16_t));
}

const char *kb_doc_id(const kb_doc *d)
{
    return d->id;
}

const char *kb_doc_org(const kb_doc *d)
{
    return d->org_id;
}

int64_t kb_doc_version(const kb_doc *d)
{
    return d->version;
}

size_t kb_doc_chunks(const kb_doc *d)
{
    return d->nchunks;
}

size_t kb_doc_bytes(const kb_doc *d)
{
    return d->bytes;
}

kb_doc *kb_doc_ref(kb_doc *d)
{
    atomic_fetch_add(&d->refs, 1);
    return d;
}

void kb_doc_unref(kb_doc *d)
{
    if (d == NULL || atomic_fetch_sub(&d->refs, 1) != 1)
        return;
    for (size_t i = 0; i < d->nchunks; i++) {
        free(d->chunks[i].heading);
        free(d->chunks[i].content);
        free(d->chunks[i].terms);
        free(d->chunks[i].tf);
    }
    free(d->vectors);
    free(d->q8);
    free(d->q8_meta);
    free(d->chunks);
    free(d);
}

/* One term's postings: [start, start + df) of the flat arrays. */
typedef struct posting_slot {
    uint64_t term; /* 0: empty */
    uint32_t start;
    uint32_t df;
    float idf;
} posting_slot;

struct kb_index {
    atomic_int refs;
    kb_doc **docs;
    size_t ndocs;
    const kb_chunk **chunks;
    size_t n;
    /* BM25 */
    posting_slot *slots;
    size_t slot_mask;
    uint32_t *post_chunk;
    uint16_t *post_tf;
    float *norm; /* per chunk: k1 * (1 - b + b * length / avgdl) */
    /* dense: the documents' own vector blocks, in order */
    int dim;
    size_t nvec;
    const float **vec;   /* row → the chunk's vector */
    uint32_t *vec_chunk; /* row → chunk */
    /* the int8 first pass: rows as vec's, usable when approx */
    const int8_t **q8;
    q8_meta *q8_meta;
    bool approx;
};

static posting_slot *slot_find(posting_slot *slots, size_t mask, uint64_t term)
{
    for (size_t i = (size_t)term & mask;; i = (i + 1) & mask)
        if (slots[i].term == term || slots[i].term == 0)
            return &slots[i];
}

static void build_bm25(kb_index *ix)
{
    size_t postings = 0;
    double total_length = 0;
    for (size_t i = 0; i < ix->n; i++) {
        postings += ix->chunks[i]->nterms;
        total_length += ix->chunks[i]->length;
    }
    /* At most `postings` distinct terms: a table twice that keeps probes short. */
    size_t cap = 64;
    while (cap < 2 * postings)
        cap *= 2;
    ix->slots = xcalloc(cap, sizeof(posting_slot));
    ix->slot_mask = cap - 1;
    for (size_t i = 0; i < ix->n; i++)
        for (uint32_t t = 0; t < ix->chunks[i]->nterms; t++) {
            posting_slot *s = slot_find(ix->slots, ix->slot_mask, ix->chunks[i]->terms[t]);
            s->term = ix->chunks[i]->terms[t];
            s->df++;
        }
    uint32_t offset = 0;
    double n = (double)ix->n;
    for (size_t i = 0; i < cap; i++) {
        if (ix->slots[i].term == 0)
            continue;
        double df = ix->slots[i].df;
        ix->slots[i].idf = (float)log(1.0 + (n - df + 0.5) / (df + 0.5));
        ix->slots[i].start = offset;
        offset += ix->slots[i].df;
        ix->slots[i].df = 0; /* refilled below as the insertion point */
    }
    ix->post_chunk = xcalloc(postings, sizeof(uint32_t));
    ix->post_tf = xcalloc(postings, sizeof(uint16_t));
    for (size_t i = 0; i < ix->n; i++)
        for (uint32_t t = 0; t < ix->chunks[i]->nterms; t++) {
            posting_slot *s = slot_find(ix->slots, ix->slot_mask, ix->chunks[i]->terms[t]);
            ix->post_chunk[s->start + s->df] = (uint32_t)i;
            ix->post_tf[s->start + s->df] = ix->chunks[i]->tf[t];
            s->df++;
        }
    double avgdl = ix->n > 0 && total_length > 0 ? total_length / n : 1.0;
    ix->norm = xcalloc(ix->n, sizeof(float));
    for (size_t i = 0; i < ix->n; i++)
        ix->norm[i] = (float)(BM25_K1 * (1.0 - BM25_B + BM25_B * ix->chunks[i]->length / avgdl));
}

static void build_dense(kb_index *ix, int dim)
{
    ix->dim = dim;
    if (dim <= 0)
        return;
    for (size_t i = 0; i < ix->n; i++)
        ix->nvec += ix->chunks[i]->vector != NULL;
    ix->vec = xcalloc(ix->nvec, sizeof(float *));
    ix->vec_chunk = xcalloc(ix->nvec, sizeof(uint32_t));
    ix->q8 = xcalloc(ix->nvec, sizeof(int8_t *));
    ix->q8_meta = xcalloc(ix->nvec, sizeof(q8_meta));
    /* The first pass only when every row has a faithful int8 copy: a
     * document of vectors of another width, or one with a NaN, is scanned
     * in float32 as it always was. */
    ix->approx = dim <= APPROX_MAX_DIM;
    size_t r = 0, i = 0;
    for (size_t d = 0; d < ix->ndocs; d++) {
        const kb_doc *doc = ix->docs[d];
        for (size_t j = 0; j < doc->nchunks; j++, i++) {
            if (ix->chunks[i]->vector == NULL)
                continue;
            ix->vec[r] = ix->chunks[i]->vector;
            ix->vec_chunk[r] = (uint32_t)i;
            if (doc->dim == dim && isfinite(doc->q8_meta[j].err)) {
                ix->q8[r] = doc->q8 + j * (size_t)dim;
                ix->q8_meta[r] = doc->q8_meta[j];
            } else {
                ix->approx = false;
            }
            r++;
        }
    }
}

kb_index *kb_index_build(kb_doc *const *docs, size_t ndocs, int dim)
{
    kb_index *ix = xcalloc(1, sizeof(*ix));
    atomic_init(&ix->refs, 1);
    ix->docs = xcalloc(ndocs, sizeof(kb_doc *));
    ix->ndocs = ndocs;
    for (size_t i = 0; i < ndocs; i++) {
        ix->docs[i] = kb_doc_ref(docs[i]);
        ix->n += docs[i]->nchunks;
    }
    ix->chunks = xcalloc(ix->n, sizeof(kb_chunk *));
    size_t k = 0;
    for (size_t i = 0; i < ndocs; i++)
        for (size_t j = 0; j < docs[i]->nchunks; j++)
            ix->chunks[k++] = &docs[i]->chunks[j];
    build_bm25(ix);
    build_dense(ix, dim);
    return ix;
}

kb_index *kb_index_ref(kb_index *ix)
{
    atomic_fetch_add(&ix->refs, 1);
    return ix;
}

void kb_index_unref(kb_index *ix)
{
    if (ix == NULL || atomic_fetch_sub(&ix->refs, 1) != 1)
        return;
    for (size_t i = 0; i < ix->ndocs; i++)
        kb_doc_unref(ix->docs[i]);
    free(ix->docs);
    free(ix->chunks);
    free(ix->slots);
    free(ix->post_chunk);
    free(ix->post_tf);
    free(ix->norm);
    free(ix->vec);
    free(ix->vec_chunk);
    free(ix->q8);
    free(ix->q8_meta);
    free(ix);
}

size_t kb_index_size(const kb_index *ix)
{
    return ix->n;
}

size_t kb_index_vectors(const kb_index *ix)
{
    return ix->nvec;
}

int kb_index_dim(const kb_index *ix)
{
    return ix->dim;
}

size_t kb_index_docs(const kb_index *ix)
{
    return ix->ndocs;
}

kb_doc *kb_index_doc(const kb_index *ix, size_t i)
{
    return ix->docs[i];
}

const kb_chunk *kb_index_chunk(const kb_index *ix, size_t i)
{
    return ix->chunks[i];
}

/* Keeps out[0..*n) the best k by score, best first (k is small: a few dozen). */
static void top_insert(kb_scored *out, size_t *n, size_t k, uint32_t chunk, float score)
{
    if (*n == k && score <= out[k - 1].score)
        return;
    size_t i = *n < k ? (*n)++ : k - 1;
    while (i > 0 && out[i - 1].score < score) {
        out[i] = out[i - 1];
        i--;
    }
    out[i].chunk = chunk;
    out[i].score = score;
}

size_t kb_index_bm25(const kb_index *ix, const uint64_t *terms, size_t nterms, size_t k, kb_scored *out)
{
    if (k == 0 || ix->n == 0 || nterms == 0)
        return 0;
    float *scores = calloc(ix->n, sizeof(float));
    if (scores == NULL)
        abort();
    for (size_t q = 0; q < nterms; q++) {
        uint64_t term = terms[q] != 0 ? terms[q] : 1;
        bool repeated = false;
        for (size_t p = 0; p < q && !repeated; p++)
            repeated = (terms[p] != 0 ? terms[p] : 1) == term;
        const posting_slot *s = slot_find(ix->slots, ix->slot_mask, term);
        if (repeated || s->term == 0)
            continue;
        for (uint32_t j = 0; j < s->df; j++) {
            uint32_t c = ix->post_chunk[s->start + j];
            float tf = ix->post_tf[s->start + j];
            scores[c] += s->idf * tf * (BM25_K1 + 1.0f) / (tf + ix->norm[c]);
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < ix->n; i++)
        if (scores[i] > 0)
            top_insert(out, &n, k, (uint32_t)i, scores[i]);
    free(scores);
    return n;
}

typedef float v4f __attribute__((vector_size(16)));

/* Four independent vector accumulators: a single running sum is one long
 * dependency chain, and GCC does not reassociate floats at -O2. */
static float dot_portable(const float *a, const float *b, size_t n)
{
    v4f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v4f a0, a1, a2, a3, b0, b1, b2, b3;
        memcpy(&a0, a + i, 16);
        memcpy(&a1, a + i + 4, 16);
        memcpy(&a2, a + i + 8, 16);
        memcpy(&a3, a + i + 12, 16);
        memcpy(&b0, b + i, 16);
        memcpy(&b1, b + i + 4, 16);
        memcpy(&b2, b + i + 8, 16);
        memcpy(&b3, b + i + 12, 16);
        s0 += a0 * b0;
        s1 += a1 * b1;
        s2 += a2 * b2;
        s3 += a3 * b3;
    }
    v4f s = (s0 + s1) + (s2 + s3);
    float sum = (s[0] + s[1]) + (s[2] + s[3]);
    for (; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}

#if defined(__x86_64__)
/* The same eight floats wide with fused multiply-adds, where the CPU has
 * them (chosen once at start-up): twice the portable kernel's speed on a
 * scan of every vector of an org. */
__attribute__((target("avx2,fma"))) static float dot_avx2(const float *a, const float *b, size_t n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    float sum = _mm_cvtss_f32(h);
    for (; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}
#endif

#if defined(__x86_64__)
/* The int8 first pass's dot product, exact in integers: sixteen int8
 * widened to int16 and multiplied by the question's int16 in pairs
 * (vpmaddwd), 32 dimensions per iteration from 32 bytes of the row where
 * float32 reads 128 — the scan of an org's rows is bound by memory.
 * n <= APPROX_MAX_DIM keeps the int32 lanes from overflowing.
 *
 * AVX2 only: without it (other CPUs, RAG_PORTABLE_KERNELS) the dense
 * ranking is the float32 scan alone. A portable version in vector
 * extensions was tried: without pmovsx / pmulld (plain x86-64) GCC made it
 * five to eight times slower than the float32 scan it would replace. */
__attribute__((target("avx2"))) static inline int64_t dot_i8_avx2(const int16_t *q, const int8_t *v, size_t n)
{
    __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i v0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(v + i)));
        __m256i v1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(v + i + 16)));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(v0, _mm256_loadu_si256((const __m256i *)(q + i))));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(v1, _mm256_loadu_si256((const __m256i *)(q + i + 16))));
    }
    /* The eight lanes of each summed in int64: their total may pass 2^31. */
    __m256i w0 =
        _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(s0)), _mm256_cvtepi32_epi64(_mm256_extracti128_si256(s0, 1)));
    __m256i w1 =
        _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(s1)), _mm256_cvtepi32_epi64(_mm256_extracti128_si256(s1, 1)));
    __m256i w = _mm256_add_epi64(w0, w1);
    int64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, w);
    int64_t sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < n; i++)
        sum += (int32_t)q[i] * v[i];
    return sum;
}

/* A block of rows per call: a call and its bookkeeping per row of 512
 * bytes cost as much as a third of the arithmetic (perf). */
__attribute__((target("avx2"))) static void dot_i8_rows_avx2(const int16_t *q, const int8_t *const *rows, size_t nrows, size_t n,
                                                             int64_t *out)
{
    for (size_t r = 0; r < nrows; r++)
        out[r] = dot_i8_avx2(q, rows[r], n);
}
#endif

static float (*dot_kernel)(const float *, const float *, size_t) = dot_portable;
static kb_dot_i8_fn dot_i8_kernel = NULL; /* NULL: no first pass */

/* Before any thread exists: the choice is read without a lock afterwards. */
__attribute__((constructor)) static void choose_kernel(void)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    bool portable = getenv("RAG_PORTABLE_KERNELS") != NULL;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && !portable)
        dot_kernel = dot_avx2;
    if (__builtin_cpu_supports("avx2") && !portable)
        dot_i8_kernel = dot_i8_rows_avx2;
#endif
}

float kb_dot(const float *a, const float *b, size_t n)
{
    return dot_kernel(a, b, n);
}

kb_dot_i8_fn kb_dot_i8_kernel(void)
{
    return dot_i8_kernel;
}

/* Every row scored in float32 (the reference the first pass must match). */
static size_t dense_exact(const kb_index *ix, const float *query, size_t k, kb_scored *out)
{
    size_t n = 0;
    for (size_t r = 0; r < ix->nvec; r++) {
        float score = kb_dot(ix->vec[r], query, (size_t)ix->dim);
        top_insert(out, &n, k, ix->vec_chunk[r], score);
    }
    return n;
}

/* The question rounded to int16 at the scale max|q| / 32767, with
 * err >= ||q - scale × q16|| and norm >= ||q||. False when q is not finite. */
typedef struct q16_query {
    int16_t q[APPROX_MAX_DIM];
    double scale, err, norm;
} q16_query;

static bool quantize_query(const float *query, int dim, q16_query *out)
{
    float most = 0;
    for (int i = 0; i < dim; i++) {
        if (!isfinite(query[i]))
            return false;
        if (fabsf(query[i]) > most)
            most = fabsf(query[i]);
    }
    out->scale = most > 0 ? (double)most / Q16_MAX : 0;
    double err = 0, norm = 0;
    for (int i = 0; i < dim; i++) {
        long r = out->scale > 0 ? lrint(query[i] / out->scale) : 0;
        out->q[i] = (int16_t)(r > Q16_MAX ? Q16_MAX : r < -Q16_MAX ? -Q16_MAX : r);
        double d = (double)query[i] - out->scale * out->q[i];
        err += d * d;
        norm += (double)query[i] * query[i];
    }
    out->err = sqrt(err) * (1 + 0x1p-40);
    out->norm = sqrt(norm) * (1 + 0x1p-40);
    return true;
}

/* A row that may still be among the k best after the first pass. */
typedef struct dense_candidate {
    uint32_t row;
    double upper; /* its float32 score is at most this */
} dense_candidate;

/* The k largest lower bounds seen, as a min-heap: heap[0] is T. */
static void heap_sift_down(double *h, size_t n)
{
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && h[l] < h[m])
            m = l;
        if (l + 1 < n && h[l + 1] < h[m])
            m = l + 1;
        if (m == i)
            return;
        double t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void heap_push(double *h, size_t *n, double x)
{
    size_t i = (*n)++;
    h[i] = x;
    while (i > 0 && h[(i - 1) / 2] > h[i]) {
        double t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

/*
 * The same k best as dense_exact, bit for bit, reading a quarter of the
 * bytes: the float32 scan of 10,000 × 512 floats streams 20 MB per search
 * and was most of a search's time (perf on bench_rag), bound by memory.
 *
 * First pass: every row's int8 copy against the int16 question gives an
 * approximate score a (an exact integer sum, then one scaling in double)
 * and a bound e with |f - a| <= e, f being the float32 score dense_exact
 * computes. With v = sv·v8 + dv and q = sq·q16 + dq:
 *   q·v - a = sq·q16·dv + dq·v, so |q·v - a| <= (|q| + |dq|)·|dv| + |dq|·|v|
 * (Cauchy-Schwarz, norms from q8_meta and q16_query); the float32 sum of n
 * products, in any order, is within gamma_n·|q|·|v| of q·v (gamma_n =
 * n·u / (1 - n·u) <= 2·n·u, u = 2^-24); the double arithmetic adds far less
 * than the 2^-40 slack. T, the k-th largest a - e, is a score at least k
 * rows reach for sure, so a row whose a + e < T is below k others and can
 * never be returned; the rest (rarely more than a few times k) are scored
 * again in float32 by the same kernel, in row order, through the same
 * top_insert: equal scores keep the earlier row as the full scan does.
 * T only rises during the pass, so a row is dropped as soon as its a + e
 * falls below the T of the rows seen so far.
 */
static size_t dense_two_pass(const kb_index *ix, const float *query, size_t k, kb_scored *out)
{
    q16_query q;
    if (!quantize_query(query, ix->dim, &q))
        return dense_exact(ix, query, k, out);
    size_t dim = (size_t)ix->dim;
    /* e = (|q| + |dq|)·|dv| + |dq|·|v| + gamma·(|q| + |dq|)·(|v| + |dv|),
     * gathered as e = per_err·|dv| + per_norm·|v| for the loop. */
    double gamma = 2.0 * (double)dim * 0x1p-24 + 0x1p-40;
    double per_err = (q.norm + q.err) * (1 + gamma), per_norm = q.err + gamma * (q.norm + q.err);
    double heap[APPROX_MAX_K];
    size_t nheap = 0;
    double t = -INFINITY;
    dense_candidate local[512], *cand = local;
    size_t ncand = 0, cap = sizeof(local) / sizeof(local[0]);
    int64_t sums[DENSE_BLOCK];
    for (size_t base = 0; base < ix->nvec; base += DENSE_BLOCK) {
        size_t rows = ix->nvec - base < DENSE_BLOCK ? ix->nvec - base : DENSE_BLOCK;
        dot_i8_kernel(q.q, ix->q8 + base, rows, dim, sums);
        for (size_t j = 0; j < rows; j++) {
            const q8_meta *m = &ix->q8_meta[base + j];
            double a = (double)sums[j] * q.scale * m->scale;
            double e = per_err * m->err + per_norm * m->norm;
            if (a + e < t)
                continue;
            if (ncand == cap) {
                /* Full: first forget the rows T has passed since they came in. */
                size_t kept = 0;
                for (size_t i = 0; i < ncand; i++)
                    if (cand[i].upper >= t)
                        cand[kept++] = cand[i];
                ncand = kept;
                if (ncand > cap / 2) {
                    dense_candidate *bigger = malloc(2 * cap * sizeof(*bigger));
                    if (bigger == NULL)
                        abort();
                    memcpy(bigger, cand, ncand * sizeof(*bigger));
                    if (cand != local)
                        free(cand);
                    cand = bigger;
                    cap *= 2;
                }
            }
            cand[ncand++] = (dense_candidate){.row = (uint32_t)(base + j), .upper = a + e};
            if (nheap < k) {
                heap_push(heap, &nheap, a - e);
                if (nheap == k)
                    t = heap[0];
            } else if (a - e > heap[0]) {
                heap[0] = a - e;
                heap_sift_down(heap, nheap);
                t = heap[0];
            }
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < ncand; i++) {
        if (cand[i].upper < t)
            continue;
        uint32_t r = cand[i].row;
        top_insert(out, &n, k, ix->vec_chunk[r], kb_dot(ix->vec[r], query, dim));
    }
    if (cand != local)
        free(cand);
    return n;
}

size_t kb_index_dense(const kb_index *ix, const float *query, size_t k, kb_scored *out)
{
    if (k == 0 || ix->nvec == 0 || query == NULL)
        return 0;
    /* With k rows or more asked for, every row is returned: nothing to prune. */
    if (dot_i8_kernel != NULL && ix->approx && k <= APPROX_MAX_K && k < ix->nvec)
        return dense_two_pass(ix, query, k, out);
    return dense_exact(ix, query, k, out);
}

const uint32_t *kb_index_postings(const kb_index *ix, uint64_t term, uint32_t *n)
{
    const posting_slot *s = slot_find(ix->slots, ix->slot_mask, term != 0 ? term : 1);
    *n = s->term != 0 ? s->df : 0;
    return *n > 0 ? ix->post_chunk + s->start : NULL;
}
