/*
 * bench_rag: rag-search's retrieval, measured in process on its own modules
 * (chunker, analyzer, index, search, the built-in embedder). Prints figures;
 * never fails on them. Run by tests/bench/run.sh (`make bench`;
 * BENCH_ONLY=rag runs it alone).
 *
 *   1. Recall on the clinic paraphrase set (tests/bench/data: a clinic's
 *      knowledge base and questions worded as callers speak, each naming the
 *      section that answers it): recall@1 and @5 (the answering section
 *      among the first k distinct sections) for BM25 alone, dense alone and
 *      the fusion at several dense weights — how the default weights were
 *      chosen.
 *   2. Recall on MedQuAD (../shared/data/medquad: every distinct answer
 *      indexed as a document, BENCH_RAG_QUESTIONS questions, default 1,000,
 *      spread over the set): the same table, at document level.
 *   3. Search latency in the service's own path (search_run: the question
 *      embedded, both rankings, fusion, context) over 10,000 and 100,000
 *      chunks of one org: p50/p95/p99; and the parts (embedding the
 *      question; search with the vector given).
 *   4. Memory per 10,000 chunks (heap in use before and after loading them).
 *
 * Environment: RAG_MODEL_DIR (default the build's model), MEDQUAD (default
 * ../shared/data/medquad/medquad_answered.jsonl.gz), BENCH_RAG_QUESTIONS,
 * BENCH_RAG_MEDQUAD_DOCS (index at most this many answers; default all),
 * BENCH_RAG_RECALL_ONLY (set: the recall tables only), BENCH_RAG_LARGE=0 (no
 * 100,000-chunk figure). The chunks' vectors
 * are cached in build/bench-cache (MedQuAD's 40,796 chunks take ~8 minutes
 * to embed on both cores; the next run reads them back).
 */
#include <cjson/cJSON.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "embed/use_lite.h"
#include "index/registry.h"
#include "ingest/chunker.h"
#include "ingest/markdown.h"
#include "search.h"
#include "vx_time.h"

#define ORG "0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b"

typedef struct corpus {
    /* chunks */
    char **heading, **text;
    int *label; /* the section / document each chunk belongs to */
    size_t n, cap;
    /* questions */
    char **question;
    int *expected;
    size_t nq, qcap;
    /* labels' names (clinic: the section heading) */
    char **label_name;
    size_t nlabels, lcap;
} corpus;

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t c = *cap > 0 ? *cap : 64;
    while (c < need)
        c *= 2;
    p = realloc(p, c * size);
    if (p == NULL)
        abort();
    *cap = c;
    return p;
}

static void add_chunk(corpus *c, const char *heading, const char *text, int label)
{
    size_t cap = c->cap;
    c->heading = grow(c->heading, &cap, c->n + 1, sizeof(char *));
    cap = c->cap;
    c->text = grow(c->text, &cap, c->n + 1, sizeof(char *));
    cap = c->cap;
    c->label = grow(c->label, &cap, c->n + 1, sizeof(int));
    c->cap = cap;
    c->heading[c->n] = strdup(heading);
    c->text[c->n] = strdup(text);
    c->label[c->n] = label;
    c->n++;
}

static int add_label(corpus *c, const char *name)
{
    c->label_name = grow(c->label_name, &c->lcap, c->nlabels + 1, sizeof(char *));
    c->label_name[c->nlabels] = strdup(name);
    return (int)c->nlabels++;
}

static void add_question(corpus *c, const char *q, int expected)
{
    size_t cap = c->qcap;
    c->question = grow(c->question, &cap, c->nq + 1, sizeof(char *));
    cap = c->qcap;
    c->expected = grow(c->expected, &cap, c->nq + 1, sizeof(int));
    c->qcap = cap;
    c->question[c->nq] = strdup(q);
    c->expected[c->nq++] = expected;
}

/* Cuts text into chunks, each labelled label_of(heading path) or label. */
static void chunk_into(corpus *c, const char *text, size_t len, int label, bool label_by_section)
{
    chunker_config cfg;
    chunker_config_default(&cfg);
    chunker_list list = {0};
    chunker_split(&cfg, text, len, &list);
    for (size_t i = 0; i < list.count; i++) {
        const char *path = list.items[i].heading_path;
        size_t pl = strlen(path);
        const char *body = list.items[i].text;
        if (pl > 0 && strncmp(body, path, pl) == 0 && body[pl] == '\n')
            body += pl + 1;
        int l = label;
        if (label_by_section) {
            /* The section: the last part of the path. */
            const char *last = strrchr(path, '>');
            last = last != NULL ? last + 2 : path;
            l = -1;
            for (size_t k = 0; k < c->nlabels && l < 0; k++)
                if (strcmp(c->label_name[k], last) == 0)
                    l = (int)k;
            if (l < 0)
                l = add_label(c, last);
        }
        add_chunk(c, path, body, l);
    }
    chunker_list_free(&list);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
        abort();
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static bool load_clinic(corpus *c, const char *kb_path, const char *q_path)
{
    size_t len;
    char *md = read_all(kb_path, &len);
    char *qs = md != NULL ? read_all(q_path, &len) : NULL;
    if (qs == NULL) {
        free(md);
        return false;
    }
    size_t text_len;
    char *text = markdown_to_text(md, strlen(md), &text_len);
    chunk_into(c, text, text_len, 0, true);
    free(text);
    free(md);
    for (char *line = strtok(qs, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t');
        if (tab == NULL)
            continue;
        *tab = '\0';
        const char *want = tab + 1;
        int l = -1;
        for (size_t k = 0; k < c->nlabels && l < 0; k++)
            if (strcmp(c->label_name[k], want) == 0)
                l = (int)k;
        if (l < 0)
            fprintf(stderr, "bench_rag: no section \"%s\" in the clinic knowledge base\n", want);
        else
            add_question(c, line, l);
    }
    free(qs);
    return c->nq > 0;
}

/* Distinct answers by text: an open-addressing table of (hash, document). */
typedef struct answer_table {
    uint64_t *hash;
    int *doc;
    char **text;
    size_t cap;
} answer_table;

static uint64_t text_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h | 1;
}

/* The document of answer a: an existing one, or -1 when it is new (then *slot says where). */
static int answer_find(const answer_table *t, const char *a, size_t *slot)
{
    uint64_t h = text_hash(a);
    size_t i = (size_t)h & (t->cap - 1);
    while (t->hash[i] != 0) {
        if (t->hash[i] == h && strcmp(t->text[i], a) == 0)
            return t->doc[i];
        i = (i + 1) & (t->cap - 1);
    }
    *slot = i;
    return -1;
}

/* Every distinct answer a document (at most max_docs), chunked; questions
 * spread evenly over the pairs whose answer was indexed (at most max_questions). */
static bool load_medquad(corpus *c, const char *path, size_t max_docs, size_t max_questions)
{
    gzFile f = gzopen(path, "rb");
    if (f == NULL)
        return false;
    answer_table t = {.cap = 1 << 16};
    t.hash = calloc(t.cap, sizeof(uint64_t));
    t.doc = calloc(t.cap, sizeof(int));
    t.text = calloc(t.cap, sizeof(char *));
    char **qs = NULL;
    int *qdoc = NULL;
    size_t nq = 0, qcap = 0, qcap2 = 0;
    static char line[1 << 20];
    int docs = 0;
    while (gzgets(f, line, sizeof(line)) != NULL) {
        cJSON *o = cJSON_Parse(line);
        const cJSON *q = cJSON_GetObjectItem(o, "question"), *a = cJSON_GetObjectItem(o, "answer");
        if (cJSON_IsString(q) && cJSON_IsString(a) && a->valuestring[0] != '\0') {
            size_t slot = 0;
            int d = answer_find(&t, a->valuestring, &slot);
            if (d < 0 && (size_t)docs < max_docs) {
                d = docs++;
                t.hash[slot] = text_hash(a->valuestring);
                t.doc[slot] = d;
                t.text[slot] = strdup(a->valuestring);
                chunk_into(c, a->valuestring, strlen(a->valuestring), d, false);
            }
            if (d >= 0) {
                qs = grow(qs, &qcap, nq + 1, sizeof(char *));
                qdoc = grow(qdoc, &qcap2, nq + 1, sizeof(int));
                qs[nq] = strdup(q->valuestring);
                qdoc[nq++] = d;
            }
        }
        cJSON_Delete(o);
    }
    gzclose(f);
    c->nlabels = (size_t)docs;
    size_t want = max_questions < nq ? max_questions : nq;
    for (size_t i = 0; i < want; i++) {
        size_t k = i * nq / want; /* spread over the whole set */
        add_question(c, qs[k], qdoc[k]);
    }
    for (size_t i = 0; i < nq; i++)
        free(qs[i]);
    free(qs);
    free(qdoc);
    for (size_t i = 0; i < t.cap; i++)
        free(t.text[i]);
    free(t.hash);
    free(t.doc);
    free(t.text);
    return c->nq > 0;
}

/* ---- embedding and indexing ---- */

typedef struct loaded {
    kb_registry *reg;
    float *qvec; /* nq × dim */
    double embed_chunk_us, embed_query_us;
} loaded;

static double now_us(void)
{
    return (double)vx_monotonic_us();
}

/* As the indexer embeds a chunk: its headings, then its text (malloc'd). */
static char *chunk_text(const corpus *c, size_t i)
{
    size_t len = strlen(c->heading[i]) + strlen(c->text[i]) + 2;
    char *t = malloc(len);
    snprintf(t, len, "%s%s%s", c->heading[i], c->heading[i][0] != '\0' ? "\n" : "", c->text[i]);
    return t;
}

#define EMBED_THREADS 2

typedef struct embed_job {
    const corpus *c;
    embedder *e;
    float *vectors;
    size_t first, step; /* batches first, first + step, … */
} embed_job;

static void *embed_worker(void *arg)
{
    embed_job *j = arg;
    size_t batch = j->e->max_batch;
    for (size_t b = j->first; b * batch < j->c->n; b += j->step) {
        size_t i = b * batch, n = j->c->n - i < batch ? j->c->n - i : batch;
        char **texts = malloc(n * sizeof(char *));
        for (size_t k = 0; k < n; k++)
            texts[k] = chunk_text(j->c, i + k);
        char why[128];
        if (j->e->embed(j->e, (const char *const *)texts, n, j->vectors + i * (size_t)j->e->dim, why, sizeof(why)) != EMBED_OK) {
            fprintf(stderr, "bench_rag: embedding failed: %s\n", why);
            exit(1);
        }
        for (size_t k = 0; k < n; k++)
            free(texts[k]);
        free(texts);
    }
    return NULL;
}

/* Every chunk's vector, on both cores (the embedder is thread-safe). */
static void embed_all(const corpus *c, embedder *e, float *vectors)
{
    pthread_t t[EMBED_THREADS];
    embed_job jobs[EMBED_THREADS];
    for (size_t k = 0; k < EMBED_THREADS; k++) {
        jobs[k] = (embed_job){.c = c, .e = e, .vectors = vectors, .first = k, .step = EMBED_THREADS};
        pthread_create(&t[k], NULL, embed_worker, &jobs[k]);
    }
    for (size_t k = 0; k < EMBED_THREADS; k++)
        pthread_join(t[k], NULL);
}

/* The vectors of a corpus already embedded by this model, kept under
 * build/bench-cache by a hash of every chunk's text: MedQuAD's ~64,000
 * chunks take minutes to embed, and a second run needs none of it. */
static void cache_path(const corpus *c, const embedder *e, char *out, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < c->n; i++) {
        char *t = chunk_text(c, i);
        for (const char *p = t; *p != '\0'; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL;
        free(t);
    }
    snprintf(out, len, "build/bench-cache/%s-%zu-%016llx.f32", e->model, c->n, (unsigned long long)h);
}

static bool cache_read(const corpus *c, const embedder *e, float *vectors)
{
    char path[256];
    cache_path(c, e, path, sizeof(path));
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    size_t want = c->n * (size_t)e->dim;
    bool ok = fread(vectors, sizeof(float), want, f) == want;
    fclose(f);
    return ok;
}

static void cache_write(const corpus *c, const embedder *e, const float *vectors)
{
    char path[256];
    cache_path(c, e, path, sizeof(path));
    mkdir("build", 0755);
    mkdir("build/bench-cache", 0755);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return;
    fwrite(vectors, sizeof(float), c->n * (size_t)e->dim, f);
    fclose(f);
}

/* Embeds the corpus's chunks (and questions) and loads them as one org's
 * index (copies of the chunks `copies` times: the 100,000-chunk figure). */
static void load_index(corpus *c, embedder *e, analyzer *a, loaded *out, size_t limit, int copies, float **vectors_io)
{
    size_t n = c->n < limit ? c->n : limit;
    float *vectors = *vectors_io;
    if (vectors == NULL) {
        vectors = malloc(c->n * (size_t)e->dim * sizeof(float));
        double t0 = now_us();
        if (!cache_read(c, e, vectors)) {
            embed_all(c, e, vectors);
            cache_write(c, e, vectors);
            out->embed_chunk_us = (now_us() - t0) / (double)c->n * EMBED_THREADS; /* per chunk on one core */
        }
        *vectors_io = vectors;
    }
    kb_doc **docs = calloc((size_t)copies, sizeof(kb_doc *));
    for (int k = 0; k < copies; k++) {
        char doc_id[37];
        snprintf(doc_id, sizeof(doc_id), "00000000-0000-4000-8000-%012u", (unsigned)k % 1000000u);
        docs[k] = kb_doc_create(ORG, doc_id, 1, n);
        for (size_t i = 0; i < n; i++) {
            char id[40];
            snprintf(id, sizeof(id), "%08u-0000-4000-8000-%012u", (unsigned)k % 100u, (unsigned)(i % 100000000u));
            kb_doc_set_chunk(docs[k], i, id, c->heading[i], c->text[i], vectors + i * (size_t)e->dim, e->dim, a);
        }
    }
    out->reg = kb_registry_create();
    kb_registry_put(out->reg, ORG, kb_index_build(docs, (size_t)copies, e->dim));
    for (int k = 0; k < copies; k++)
        kb_doc_unref(docs[k]);
    free(docs);
}

static void embed_questions(corpus *c, embedder *e, loaded *out)
{
    out->qvec = malloc(c->nq * (size_t)e->dim * sizeof(float));
    double t0 = now_us();
    for (size_t i = 0; i < c->nq; i++) {
        const char *texts[1] = {c->question[i]};
        char why[128];
        if (e->embed(e, texts, 1, out->qvec + i * (size_t)e->dim, why, sizeof(why)) != EMBED_OK)
            exit(1);
    }
    out->embed_query_us = (now_us() - t0) / (double)c->nq;
}

/* ---- recall ---- */

typedef struct term_list {
    uint64_t t[64];
    size_t n;
} term_list;

static void collect(uint64_t term, void *arg)
{
    term_list *l = arg;
    if (l->n < 64)
        l->t[l->n++] = term;
}

typedef enum { RANK_BM25, RANK_DENSE, RANK_FUSED } ranking;

/* Whether question q's label is among the first k distinct labels of the ranking. */
static void recall_of(corpus *c, loaded *l, analyzer *a, const embedder *e, ranking how, const search_config *cfg, double *r1,
                      double *r5)
{
    size_t hit1 = 0, hit5 = 0;
    search_config wide = *cfg;
    wide.max_chunks = SEARCH_MAX_CHUNKS;
    for (size_t q = 0; q < c->nq; q++) {
        int labels[SEARCH_MAX_CHUNKS];
        size_t nl = 0;
        kb_index *ix = kb_registry_get(l->reg, ORG);
        kb_scored top[SEARCH_MAX_CHUNKS];
        size_t n = 0;
        search_result res = {0};
        if (how == RANK_FUSED) {
            search_with_vector(l->reg, a, l->qvec + q * (size_t)e->dim, e->dim, &wide, ORG, c->question[q], SEARCH_MAX_CHUNKS,
                               &res);
            for (size_t i = 0; i < res.n; i++) {
                /* The chunk's position: its id's tail (see load_index). */
                top[n++].chunk = (uint32_t)strtoul(res.hits[i].chunk->id + 24, NULL, 10);
            }
        } else if (how == RANK_BM25) {
            term_list terms = {.n = 0};
            analyzer_terms(a, c->question[q], strlen(c->question[q]), collect, &terms);
            n = kb_index_bm25(ix, terms.t, terms.n, SEARCH_MAX_CHUNKS, top);
        } else {
            n = kb_index_dense(ix, l->qvec + q * (size_t)e->dim, SEARCH_MAX_CHUNKS, top);
        }
        for (size_t i = 0; i < n && nl < 5; i++) {
            size_t pos = how == RANK_FUSED ? top[i].chunk : (size_t)strtoul(kb_index_chunk(ix, top[i].chunk)->id + 24, NULL, 10);
            int label = c->label[pos];
            bool seen = false;
            for (size_t k = 0; k < nl && !seen; k++)
                seen = labels[k] == label;
            if (!seen)
                labels[nl++] = label;
        }
        search_result_free(&res);
        kb_index_unref(ix);
        if (nl > 0 && labels[0] == c->expected[q])
            hit1++;
        for (size_t k = 0; k < nl; k++)
            if (labels[k] == c->expected[q]) {
                hit5++;
                break;
            }
    }
    *r1 = (double)hit1 / (double)c->nq;
    *r5 = (double)hit5 / (double)c->nq;
}

static void recall_table(const char *name, corpus *c, loaded *l, analyzer *a, const embedder *e, const search_config *cfg)
{
    double r1, r5;
    printf("%s: %zu questions, %zu chunks, %zu %s\n", name, c->nq, c->n, c->nlabels,
           strcmp(name, "clinic") == 0 ? "sections" : "documents");
    recall_of(c, l, a, e, RANK_BM25, cfg, &r1, &r5);
    printf("  %-34s recall@1 %.3f  recall@5 %.3f\n", "BM25", r1, r5);
    recall_of(c, l, a, e, RANK_DENSE, cfg, &r1, &r5);
    printf("  %-34s recall@1 %.3f  recall@5 %.3f\n", "dense (use-lite-v1)", r1, r5);
    /* The fusion at several dense weights and cosine thresholds (* the defaults). */
    static const float weights[] = {0.25f, 0.5f, 1.0f, 2.0f};
    static const float thresholds[] = {0.25f, 0.35f, 0.45f, 0.55f};
    for (size_t t = 0; t < sizeof(thresholds) / sizeof(thresholds[0]); t++)
        for (size_t w = 0; w < sizeof(weights) / sizeof(weights[0]); w++) {
            search_config f = *cfg;
            f.weight_bm25 = 1.0f;
            f.weight_dense = weights[w];
            f.threshold = thresholds[t];
            recall_of(c, l, a, e, RANK_FUSED, &f, &r1, &r5);
            char label[64];
            snprintf(label, sizeof(label), "fused, dense %.2f, cos >= %.2f%s", weights[w], thresholds[t],
                     weights[w] == cfg->weight_dense && thresholds[t] == cfg->threshold && cfg->weight_bm25 == 1.0f ? " *" : "");
            printf("  %-34s recall@1 %.3f  recall@5 %.3f\n", label, r1, r5);
        }
}

/* ---- latency ---- */

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static void latency(const char *name, corpus *c, loaded *l, analyzer *a, embedder *e, const search_config *cfg)
{
    size_t n = c->nq;
    double *full = malloc(n * sizeof(double)), *given = malloc(n * sizeof(double));
    vx_buf ctx = VX_BUF_INIT;
    for (size_t q = 0; q < n; q++) {
        search_result res;
        double t0 = now_us();
        search_run(l->reg, a, e, cfg, ORG, c->question[q], 0, &res);
        search_context(&res, cfg->max_context, &ctx);
        full[q] = now_us() - t0;
        search_result_free(&res);
        t0 = now_us();
        search_with_vector(l->reg, a, l->qvec + q * (size_t)e->dim, e->dim, cfg, ORG, c->question[q], 0, &res);
        search_context(&res, cfg->max_context, &ctx);
        given[q] = now_us() - t0;
        search_result_free(&res);
    }
    vx_buf_free(&ctx);
    qsort(full, n, sizeof(double), cmp_double);
    qsort(given, n, sizeof(double), cmp_double);
    kb_index *ix = kb_registry_get(l->reg, ORG);
    printf("search, %zu chunks (%zu questions, one core): with the question's embedding p50 %.2f ms p95 %.2f ms p99 %.2f ms;"
           " search alone p50 %.2f ms p95 %.2f ms p99 %.2f ms\n",
           kb_index_size(ix), n, full[n / 2] / 1000, full[n * 95 / 100] / 1000, full[n * 99 / 100] / 1000, given[n / 2] / 1000,
           given[n * 95 / 100] / 1000, given[n * 99 / 100] / 1000);
    (void)name;
    kb_index_unref(ix);
    free(full);
    free(given);
}

static void free_loaded(loaded *l)
{
    kb_registry_destroy(l->reg);
    free(l->qvec);
    memset(l, 0, sizeof(*l));
}

int main(void)
{
    const char *model = getenv("RAG_MODEL_DIR");
#ifdef USE_LITE_TEST_DIR
    if (model == NULL || model[0] == '\0')
        model = USE_LITE_TEST_DIR;
#endif
    char why[256];
    embedder *e = use_lite_open(model, why, sizeof(why));
    if (e == NULL) {
        fprintf(stderr, "bench_rag: the built-in model: %s\n", why);
        return 1;
    }
    analyzer *a = analyzer_create();
    search_config cfg;
    search_config_defaults(&cfg);

    corpus clinic = {0};
    if (load_clinic(&clinic, "tests/bench/data/clinic_kb.md", "tests/bench/data/clinic_questions.tsv")) {
        loaded l = {0};
        float *vectors = NULL;
        load_index(&clinic, e, a, &l, clinic.n, 1, &vectors);
        embed_questions(&clinic, e, &l);
        recall_table("clinic", &clinic, &l, a, e, &cfg);
        free_loaded(&l);
        free(vectors);
    } else {
        printf("clinic: tests/bench/data/clinic_kb.md or clinic_questions.tsv missing\n");
    }

    const char *mq = getenv("MEDQUAD") != NULL ? getenv("MEDQUAD") : "../shared/data/medquad/medquad_answered.jsonl.gz";
    long nq = getenv("BENCH_RAG_QUESTIONS") != NULL ? atol(getenv("BENCH_RAG_QUESTIONS")) : 1000;
    long nd = getenv("BENCH_RAG_MEDQUAD_DOCS") != NULL ? atol(getenv("BENCH_RAG_MEDQUAD_DOCS")) : 1000000;
    corpus med = {0};
    if (!load_medquad(&med, mq, (size_t)nd, (size_t)nq)) {
        printf("medquad: %s not found\n", mq);
    } else {
        loaded l = {0};
        float *vectors = NULL;
        load_index(&med, e, a, &l, med.n, 1, &vectors);
        embed_questions(&med, e, &l);
        if (l.embed_chunk_us > 0)
            printf("embedding (use-lite-v1): %.0f us per chunk on one core (batches of %zu)\n", l.embed_chunk_us, e->max_batch);
        printf("embedding (use-lite-v1): %.0f us per question\n", l.embed_query_us);
        recall_table("medquad", &med, &l, a, e, &cfg);
        free_loaded(&l);

        /* Latency and memory at 10,000 and 100,000 chunks (BENCH_RAG_RECALL_ONLY: not). */
        if (getenv("BENCH_RAG_RECALL_ONLY") != NULL) {
            free(vectors);
            analyzer_destroy(a);
            embedder_destroy(e);
            return 0;
        }
        struct mallinfo2 before = mallinfo2();
        load_index(&med, e, a, &l, 10000, 1, &vectors);
        struct mallinfo2 after = mallinfo2();
        embed_questions(&med, e, &l);
        size_t loaded_chunks = med.n < 10000 ? med.n : 10000;
        double mib = (double)(after.uordblks - before.uordblks) / (1024.0 * 1024.0);
        printf("memory: %.1f MiB of heap for %zu chunks, %.1f MiB per 10,000 (text, terms, vectors of 512 floats, postings)\n", mib,
               loaded_chunks, mib * 10000.0 / (double)loaded_chunks);
        latency("10k", &med, &l, a, e, &cfg);
        free_loaded(&l);
        if (getenv("BENCH_RAG_LARGE") != NULL && strcmp(getenv("BENCH_RAG_LARGE"), "0") == 0) {
            free(vectors);
            analyzer_destroy(a);
            embedder_destroy(e);
            return 0;
        }
        size_t copies = (100000 + med.n - 1) / med.n;
        load_index(&med, e, a, &l, 100000 / copies, (int)copies, &vectors);
        embed_questions(&med, e, &l);
        latency("100k", &med, &l, a, e, &cfg);
        free_loaded(&l);
        free(vectors);
    }
    analyzer_destroy(a);
    embedder_destroy(e);
    return 0;
}
