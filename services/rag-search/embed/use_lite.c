/*
 * use_lite: Universal Sentence Encoder lite in C (use_lite.h says what it
 * computes and why it is shaped so).
 *
 * Memory: one 64-byte aligned arena holds what the forward pass reads — the
 * embeddings, the vectors (layer norms, biases, timescales) and the matrices
 * repacked in panels; the shards are read into a temporary buffer, copied
 * into it and freed.
 */
#include "embed/use_lite.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "embed/kernels.h"
#include "embed/spm.h"

#define MODEL_JSON_MAX (8u << 20)
#define SHARD_MAX      (64u << 20)
#define EMB_DIM        256
#define HID            512
#define FFN            1536
#define TIMING         128 /* sin and cos of this many timescales: EMB_DIM */
#define HEADS          4
#define LAYERS         2
#define OUTPUT_NODE    "module_apply_default/Encoder_en/hidden_layers/l2_normalize"

/* The graph's names: A for the apply-time tensors, S for the transformer
 * stack's constants, M for the module's variables. */
#define A "module_apply_default/Encoder_en/KonaTransformer/Encode/"
#define S "module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/"
#define M "module/Encoder_en/KonaTransformer/Encode/"

typedef struct {
    size_t d_in, head_dim;
    float q_scale;
    const float *ln1_scale, *ln1_bias; /* [d_in] */
    kernels_dense qkv;                 /* d_in -> 3 d_in: q, k, v */
    kernels_dense proj;                /* d_in -> HID */
    kernels_dense residual;            /* layer 0: d_in -> HID; else in = 0 */
    const float *ln2_scale, *ln2_bias; /* [HID] */
    kernels_dense ffn1, ffn2;          /* HID -> FFN -> HID */
} layer;

typedef struct {
    embedder base; /* first: the embedder handed out */
    spm *vocab;
    float *arena;
    size_t arena_bytes;
    const float *emb; /* [emb_rows][EMB_DIM] */
    size_t emb_rows;
    const float *timing; /* [max_tokens][EMB_DIM]: sin, then cos, of t × the inverse timescales */
    layer layers[LAYERS];
    kernels_dense hidden; /* HID -> HID, then tanh */
    float ln_eps, l2_eps;
    size_t max_tokens;
    bool has_q16; /* the matrices are packed in 16-bit integers too (the CPU runs the int16 kernels) */
    kernels_kind kernels;
    kernels_matmul_fn matmul;
} use_lite;

static void set_why(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_why(char *why, size_t why_len, const char *fmt, ...)
{
    if (why == NULL || why_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n == 0 ? 1 : n);
    if (p == NULL)
        abort();
    return p;
}

/* ------------------------------------------------------------ forward */

typedef struct {
    float *x, *h, *ln, *qkv, *ctx, *ffn, *scores, *pooled, *ffn_mean, *hidden, *panel;
} scratch;

static scratch scratch_new(size_t tokens)
{
    size_t t = tokens;
    size_t sizes[] = {t * HID, t * HID, t * HID, t * 3 * HID, t * HID, t * FFN, t, HID, FFN, HID, kernels_scratch_floats(t, FFN)};
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        total += (sizes[i] + 15) & ~(size_t)15;
    float *base = aligned_alloc(64, total * sizeof(float)), *p = base; /* the kernels' panel scratch is read 32-byte aligned */
    if (base == NULL)
        abort();
    scratch s;
    float **slots[] = {&s.x, &s.h, &s.ln, &s.qkv, &s.ctx, &s.ffn, &s.scores, &s.pooled, &s.ffn_mean, &s.hidden, &s.panel};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        *slots[i] = p;
        p += (sizes[i] + 15) & ~(size_t)15;
    }
    return s;
}

/* Multi-head self-attention of n tokens over ln (already normalised):
 * ctx[n][d_in], heads side by side, as combine_heads lays them out. */
static void attention(const use_lite *m, const layer *l, size_t n, scratch *s)
{
    size_t d = l->d_in, hd = l->head_dim;
    m->matmul(s->ln, n, &l->qkv, s->qkv, false, s->panel); /* q comes scaled: build_layer folded the scale into W and b */
    memset(s->ctx, 0, n * d * sizeof *s->ctx);
    for (size_t h = 0; h < HEADS; h++) {
        for (size_t i = 0; i < n; i++) {
            const float *q = s->qkv + i * 3 * d + h * hd;
            float max = -INFINITY;
            for (size_t j = 0; j < n; j++) {
                s->scores[j] = kernels_dot(q, s->qkv + j * 3 * d + d + h * hd, hd);
                max = s->scores[j] > max ? s->scores[j] : max;
            }
            float sum = 0;
            for (size_t j = 0; j < n; j++) {
                s->scores[j] = expf(s->scores[j] - max);
                sum += s->scores[j];
            }
            float *c = s->ctx + i * d + h * hd;
            for (size_t j = 0; j < n; j++)
                kernels_axpy(c, s->scores[j] / sum, s->qkv + j * 3 * d + 2 * d + h * hd, hd);
        }
    }
}

/* The mean of n rows of d floats. */
static void mean_rows(const float *x, size_t n, size_t d, float *mean)
{
    memset(mean, 0, d * sizeof *mean);
    for (size_t t = 0; t < n; t++)
        for (size_t i = 0; i < d; i++)
            mean[i] += x[t * d + i];
    for (size_t i = 0; i < d; i++)
        mean[i] /= (float)n;
}

/* One layer. s->x: its input [n][d_in]. Leaves its output [n][HID] in s->x,
 * or, for the last layer (pool), only the output's mean over the tokens in
 * s->pooled: the second FFN matrix and the residual are linear, so the mean
 * of W2·r_t + b2 + h_t is W2·mean(r) + b2 + mean(h) — one row through W2
 * instead of n, a sixth of a text's multiply-adds, the same vector up to
 * float rounding. */
static void forward_layer(const use_lite *m, const layer *l, size_t n, bool pool, scratch *s)
{
    kernels_layer_norm(s->x, n, l->d_in, l->ln1_scale, l->ln1_bias, m->ln_eps, s->ln);
    attention(m, l, n, s);
    m->matmul(s->ctx, n, &l->proj, s->h, false, s->panel);
    if (l->residual.in != 0) {
        m->matmul(s->x, n, &l->residual, s->ffn, false, s->panel);
        kernels_axpy(s->h, 1.0f, s->ffn, n * HID); /* the sums as vectors: exact, ×1 */
    } else {
        kernels_axpy(s->h, 1.0f, s->x, n * HID);
    }
    kernels_layer_norm(s->h, n, HID, l->ln2_scale, l->ln2_bias, m->ln_eps, s->ln);
    m->matmul(s->ln, n, &l->ffn1, s->ffn, true, s->panel);
    if (pool) {
        mean_rows(s->ffn, n, FFN, s->ffn_mean);
        m->matmul(s->ffn_mean, 1, &l->ffn2, s->pooled, false, s->panel);
        mean_rows(s->h, n, HID, s->x); /* s->x is free now */
        kernels_axpy(s->pooled, 1.0f, s->x, HID);
        return;
    }
    m->matmul(s->ffn, n, &l->ffn2, s->x, false, s->panel);
    kernels_axpy(s->x, 1.0f, s->h, n * HID);
}

/* One text's vector from its ids (1 <= n <= max_tokens). */
static void forward(const use_lite *m, const int32_t *ids, size_t n, scratch *s, float *out)
{
    for (size_t t = 0; t < n; t++) {
        const float *e = m->emb + (size_t)ids[t] * EMB_DIM, *timing = m->timing + t * EMB_DIM;
        float *x = s->x + t * EMB_DIM;
        for (size_t k = 0; k < EMB_DIM; k++)
            x[k] = e[k] + (e[k] + timing[k]);
    }
    for (size_t i = 0; i < LAYERS; i++)
        forward_layer(m, &m->layers[i], n, i + 1 == LAYERS, s); /* the last leaves the mean over the tokens in s->pooled */
    m->matmul(s->pooled, 1, &m->hidden, s->hidden, false, s->panel);
    float sq = 0;
    for (size_t i = 0; i < HID; i++) {
        out[i] = tanhf(s->hidden[i]);
        sq += out[i] * out[i];
    }
    float rs = 1.0f / sqrtf(sq > m->l2_eps ? sq : m->l2_eps);
    for (size_t i = 0; i < HID; i++)
        out[i] *= rs;
}

static embed_status use_lite_embed(embedder *e, const char *const *texts, size_t n, float *out, char *why, size_t why_len)
{
    const use_lite *m = (const use_lite *)e;
    if (n > e->max_batch) {
        set_why(why, why_len, "%zu texts in one call, at most %zu", n, e->max_batch);
        return EMBED_FAILED;
    }
    for (size_t i = 0; i < n; i++)
        if (texts[i] == NULL) {
            set_why(why, why_len, "text %zu is NULL", i);
            return EMBED_FAILED;
        }
    /* Tokens first, so the scratch is sized for the longest text (a query's
     * is a few hundred KB, not the 3 MB of 128 tokens). */
    int32_t *ids = xmalloc(n * m->max_tokens * sizeof *ids);
    size_t *counts = xmalloc(n * sizeof *counts), longest = 1;
    embed_status st = EMBED_OK;
    for (size_t i = 0; i < n && st == EMBED_OK; i++) {
        counts[i] = spm_encode(m->vocab, texts[i], strlen(texts[i]), ids + i * m->max_tokens, m->max_tokens);
        if (counts[i] == 0) {
            set_why(why, why_len, "text %zu has no token (it is empty)", i);
            st = EMBED_FAILED;
        }
        counts[i] = counts[i] < m->max_tokens ? counts[i] : m->max_tokens;
        longest = counts[i] > longest ? counts[i] : longest;
    }
    if (st == EMBED_OK) {
        scratch s = scratch_new(longest);
        for (size_t i = 0; i < n; i++)
            forward(m, ids + i * m->max_tokens, counts[i], &s, out + i * USE_LITE_DIM);
        free(s.x);
    }
    free(counts);
    free(ids);
    return st;
}

/* ------------------------------------------------------------ loading */

typedef struct {
    const char *name;
    const char *dtype;
    size_t dims[4], rank, count;
    size_t offset;             /* in the shards' buffer */
    const unsigned char *data; /* there, once all are read */
} tensor;

typedef struct {
    tensor *t;
    size_t n;
    unsigned char *blob;
} manifest;

static void manifest_free(manifest *mf)
{
    free(mf->t);
    free(mf->blob);
}

static const tensor *find(const manifest *mf, const char *name)
{
    for (size_t i = 0; i < mf->n; i++)
        if (strcmp(mf->t[i].name, name) == 0)
            return &mf->t[i];
    return NULL;
}

/* The tensor called name, of that dtype and shape (rank dims), or NULL with why. */
static const tensor *need(const manifest *mf, const char *name, const char *dtype, size_t rank, const size_t *dims, char *why,
                          size_t why_len)
{
    const tensor *t = find(mf, name);
    if (t == NULL) {
        set_why(why, why_len, "model.json: no tensor %s", name);
        return NULL;
    }
    bool ok = strcmp(t->dtype, dtype) == 0 && t->rank == rank;
    for (size_t i = 0; ok && i < rank; i++)
        ok = t->dims[i] == dims[i];
    if (!ok) {
        set_why(why, why_len, "model.json: tensor %s is not %s of the expected shape", name, dtype);
        return NULL;
    }
    return t;
}

static char *read_file(const char *path, size_t max, size_t *len, char *why, size_t why_len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        set_why(why, why_len, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = xmalloc(max + 1);
    size_t n = fread(buf, 1, max + 1, f);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || n > max) {
        set_why(why, why_len, "%s: %s", path, bad ? "read error" : "larger than expected");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Reads the weights manifest and every shard it names (concatenated per
 * group, as TensorFlow.js lays them out), checking that each group's shards
 * hold exactly its tensors. The names point into root. */
static int manifest_read(const char *dir, const cJSON *root, manifest *mf, char *why, size_t why_len)
{
    memset(mf, 0, sizeof *mf);
    const cJSON *topo = cJSON_GetObjectItemCaseSensitive(root, "modelTopology");
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(topo, "node"), *node;
    bool has_output = false;
    cJSON_ArrayForEach(node, nodes)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(node, "name");
        has_output |= cJSON_IsString(name) && strcmp(name->valuestring, OUTPUT_NODE) == 0;
    }
    if (!has_output) {
        set_why(why, why_len, "model.json: not USE lite's graph (no node %s)", OUTPUT_NODE);
        return -1;
    }
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(root, "weightsManifest"), *g;
    if (!cJSON_IsArray(groups)) {
        set_why(why, why_len, "model.json: no weightsManifest");
        return -1;
    }
    size_t n_tensors = 0, total = 0;
    cJSON_ArrayForEach(g, groups) n_tensors += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(g, "weights"));
    mf->t = calloc(n_tensors + 1, sizeof *mf->t);
    if (mf->t == NULL)
        abort();
    size_t gi = 0;
    cJSON_ArrayForEach(g, groups)
    {
        /* The group's tensors, and the bytes they take. */
        const cJSON *weights = cJSON_GetObjectItemCaseSensitive(g, "weights"), *w;
        size_t first = mf->n, group_bytes = 0;
        cJSON_ArrayForEach(w, weights)
        {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(w, "name");
            const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(w, "dtype");
            const cJSON *shape = cJSON_GetObjectItemCaseSensitive(w, "shape"), *d;
            if (!cJSON_IsString(name) || !cJSON_IsString(dtype) || !cJSON_IsArray(shape) || cJSON_GetArraySize(shape) > 4) {
                set_why(why, why_len, "model.json: weight %zu of group %zu is malformed", mf->n - first, gi);
                return -1;
            }
            if (cJSON_GetObjectItemCaseSensitive(w, "quantization") != NULL ||
                (strcmp(dtype->valuestring, "float32") != 0 && strcmp(dtype->valuestring, "int32") != 0)) {
                set_why(why, why_len, "model.json: weight %s is quantized or not float32/int32", name->valuestring);
                return -1;
            }
            tensor *t = &mf->t[mf->n++];
            t->name = name->valuestring;
            t->dtype = dtype->valuestring;
            t->count = 1;
            cJSON_ArrayForEach(d, shape)
            {
                if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble > 1e8) {
                    set_why(why, why_len, "model.json: weight %s has a bad shape", t->name);
                    return -1;
                }
                t->dims[t->rank++] = (size_t)d->valuedouble;
                t->count *= (size_t)d->valuedouble;
                if (t->count > SHARD_MAX) {
                    set_why(why, why_len, "model.json: weight %s is too large", t->name);
                    return -1;
                }
            }
            group_bytes += t->count * 4;
        }
        /* Its shards, read back to back. */
        const cJSON *paths = cJSON_GetObjectItemCaseSensitive(g, "paths"), *p;
        if (!cJSON_IsArray(paths) || group_bytes > (size_t)SHARD_MAX * 16) {
            set_why(why, why_len, "model.json: group %zu has no paths or is too large", gi);
            return -1;
        }
        unsigned char *blob = realloc(mf->blob, total + group_bytes + 1);
        if (blob == NULL)
            abort();
        mf->blob = blob;
        size_t got = 0;
        cJSON_ArrayForEach(p, paths)
        {
            if (!cJSON_IsString(p) || strchr(p->valuestring, '/') != NULL || p->valuestring[0] == '.') {
                set_why(why, why_len, "model.json: group %zu names a shard outside the model folder", gi);
                return -1;
            }
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, p->valuestring);
            FILE *f = fopen(path, "rb");
            if (f == NULL) {
                set_why(why, why_len, "%s: %s", path, strerror(errno));
                return -1;
            }
            size_t room = group_bytes + 1 - got; /* one more byte shows a shard too long */
            size_t n = fread(mf->blob + total + got, 1, room, f);
            bool bad = ferror(f) != 0;
            fclose(f);
            if (bad) {
                set_why(why, why_len, "%s: read error", path);
                return -1;
            }
            got += n;
            if (got > group_bytes) {
                set_why(why, why_len, "%s: the shards of group %zu hold more than its %zu bytes of weights", path, gi, group_bytes);
                return -1;
            }
        }
        if (got != group_bytes) {
            set_why(why, why_len, "model: the shards of group %zu hold %zu bytes, its weights take %zu (damaged or truncated)", gi,
                    got, group_bytes);
            return -1;
        }
        size_t off = total;
        for (size_t i = first; i < mf->n; i++) {
            mf->t[i].offset = off;
            off += mf->t[i].count * 4;
        }
        total += group_bytes;
        gi++;
    }
    for (size_t i = 0; i < mf->n; i++)
        mf->t[i].data = mf->blob + mf->t[i].offset; /* the buffer has stopped moving */
    return 0;
}

/* The arena: what the forward pass reads, copied and packed out of the shards. */
typedef struct {
    float *base;
    size_t used, cap; /* floats */
} arena;

static float *arena_take(arena *a, size_t n)
{
    float *p = a->base + a->used;
    a->used += (n + 15) & ~(size_t)15; /* each piece 64-byte aligned */
    return p;
}

static const float *copy_vec(arena *a, const tensor *t)
{
    float *p = arena_take(a, t->count);
    memcpy(p, t->data, t->count * sizeof *p);
    return p;
}

/* The arena's floats a matrix takes (each piece rounded to 16, as
 * arena_take does): half precision, two values to a float's room, the bias,
 * and with q16 the 16-bit integer copy and its column scales. */
static size_t matrix_floats(size_t in, size_t out, bool q16)
{
    size_t n = ((in * out + 1) / 2 + 15) + (out + 15);
    return q16 ? n + ((in * out + 1) / 2 + 15) + (out + 15) : n;
}

/* w [in][out] and bias [out]: float32 bytes, any alignment. */
static void pack_bytes(arena *a, const void *w, const void *bias, size_t in, size_t out, bool q16, kernels_dense *d)
{
    uint16_t *p = (uint16_t *)arena_take(a, (in * out + 1) / 2);
    kernels_pack(w, in, out, p);
    d->in = in;
    d->out = out;
    d->panels = p;
    float *b = arena_take(a, out);
    memcpy(b, bias, out * sizeof *b);
    d->bias = b;
    if (q16) {
        int16_t *q = (int16_t *)arena_take(a, (in * out + 1) / 2);
        float *scale = arena_take(a, out);
        kernels_pack_q16(w, in, out, q, scale);
        d->q16 = q;
        d->q16_scale = scale;
    }
}

static void pack(arena *a, const tensor *w, const tensor *b, size_t in, size_t out, bool q16, kernels_dense *d)
{
    pack_bytes(a, w->data, b->data, in, out, q16, d);
}

/* The attention's q, k, v transform [d][3d], with q's columns and bias
 * multiplied by q_scale: the graph scales q after the product, a pass over
 * every q the multiply now does for nothing (rounding aside, the same). */
static void pack_qkv(arena *a, const tensor *w, const tensor *b, size_t d, float q_scale, bool q16, kernels_dense *out)
{
    float *ws = xmalloc(d * 3 * d * sizeof *ws), *bs = xmalloc(3 * d * sizeof *bs);
    memcpy(ws, w->data, d * 3 * d * sizeof *ws);
    memcpy(bs, b->data, 3 * d * sizeof *bs);
    for (size_t k = 0; k < d; k++)
        for (size_t c = 0; c < d; c++)
            ws[k * 3 * d + c] *= q_scale;
    for (size_t c = 0; c < d; c++)
        bs[c] *= q_scale;
    pack_bytes(a, ws, bs, d, 3 * d, q16, out);
    free(ws);
    free(bs);
}

static float scalar_f(const tensor *t)
{
    float v;
    memcpy(&v, t->data, sizeof v);
    return v;
}

static int32_t scalar_i(const tensor *t, size_t i)
{
    int32_t v;
    memcpy(&v, t->data + i * sizeof v, sizeof v);
    return v;
}

/* Dense layer names are built at run time (per layer): a tiny formatter. */
static const tensor *need_fmt(const manifest *mf, const char *dtype, size_t rank, const size_t *dims, char *why, size_t why_len,
                              const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static const tensor *need_fmt(const manifest *mf, const char *dtype, size_t rank, const size_t *dims, char *why, size_t why_len,
                              const char *fmt, ...)
{
    char name[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return need(mf, name, dtype, rank, dims, why, why_len);
}

static int build_layer(use_lite *m, const manifest *mf, arena *a, int li, char *why, size_t why_len)
{
    layer *l = &m->layers[li];
    size_t d = li == 0 ? EMB_DIM : HID;
    size_t v_d[] = {d}, v_hid[] = {HID}, v_ffn[] = {FFN}, v_3d[] = {3 * d}, scalar[] = {0}, three[] = {3};
    size_t k_qkv[] = {1, 1, d, 3 * d}, k_proj[] = {1, 1, d, HID}, k_res[] = {d, HID}, k_f1[] = {HID, FFN}, k_f2[] = {FFN, HID};
    const tensor *ln1s, *ln1b, *qkvw, *qkvb, *projw, *projb, *ln2s, *ln2b, *f1w, *f1b, *f2w, *f2b, *qs, *split, *hd, *heads;
#define T(var, dtype, rank, dims, ...)                                                                                             \
    if ((var = need_fmt(mf, dtype, rank, dims, why, why_len, __VA_ARGS__)) == NULL)                                                \
        return -1;
    T(ln1s, "float32", 1, v_d,
      A "Layer_%d/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", li);
    T(ln1b, "float32", 1, v_d,
      A "Layer_%d/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", li);
    T(qkvw, "float32", 4, k_qkv, M "Layer_%d/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0", li);
    T(qkvb, "float32", 1, v_3d, A "Layer_%d/TransformerLayer/MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat",
      li);
    T(projw, "float32", 4, k_proj, M "Layer_%d/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0", li);
    T(projb, "float32", 1, v_hid,
      A "Layer_%d/TransformerLayer/MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat", li);
    T(ln2s, "float32", 1, v_hid,
      A "Layer_%d/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", li);
    T(ln2b, "float32", 1, v_hid,
      A "Layer_%d/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", li);
    T(f1w, "float32", 2, k_f1, S "Layer_%d/TransformerLayer/FFN/conv1/Tensordot/Reshape_1", li);
    T(f1b, "float32", 1, v_ffn, A "Layer_%d/TransformerLayer/FFN/conv1/bias/ConcatPartitions/concat", li);
    T(f2w, "float32", 2, k_f2, S "Layer_%d/TransformerLayer/FFN/conv2/Tensordot/Reshape_1", li);
    T(f2b, "float32", 1, v_hid, A "Layer_%d/TransformerLayer/FFN/conv2/bias/ConcatPartitions/concat", li);
    T(qs, "float32", 0, scalar, S "Layer_%d/TransformerLayer/MultiheadAttention/mul/y", li);
    T(split, "int32", 1, three, S "Layer_%d/TransformerLayer/MultiheadAttention/Const", li);
    T(hd, "int32", 0, scalar, S "Layer_%d/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3",
      li);
    /* Both layers' head count is this one constant of layer 1. */
    T(heads, "int32", 0, scalar, S "Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2%s",
      "");
    l->d_in = d;
    l->head_dim = (size_t)scalar_i(hd, 0);
    l->q_scale = scalar_f(qs);
    if (scalar_i(heads, 0) != HEADS || l->head_dim * HEADS != d || scalar_i(split, 0) != (int32_t)d ||
        scalar_i(split, 1) != (int32_t)d || scalar_i(split, 2) != (int32_t)d || !(l->q_scale > 0 && l->q_scale < 1)) {
        set_why(why, why_len, "model.json: layer %d's attention is not %d heads over %zu dimensions", li, HEADS, d);
        return -1;
    }
    l->ln1_scale = copy_vec(a, ln1s);
    l->ln1_bias = copy_vec(a, ln1b);
    pack_qkv(a, qkvw, qkvb, d, l->q_scale, m->has_q16, &l->qkv);
    pack(a, projw, projb, d, HID, m->has_q16, &l->proj);
    if (li == 0) {
        const tensor *rw, *rb;
        T(rw, "float32", 2, k_res, A "Layer_%d/TransformerLayer/dense/kernel/ConcatPartitions/concat", li);
        T(rb, "float32", 1, v_hid, A "Layer_%d/TransformerLayer/dense/bias/ConcatPartitions/concat", li);
        pack(a, rw, rb, d, HID, m->has_q16, &l->residual);
    }
#undef T
    l->ln2_scale = copy_vec(a, ln2s);
    l->ln2_bias = copy_vec(a, ln2b);
    pack(a, f1w, f1b, HID, FFN, m->has_q16, &l->ffn1);
    pack(a, f2w, f2b, FFN, HID, m->has_q16, &l->ffn2);
    return 0;
}

static int build(use_lite *m, const manifest *mf, char *why, size_t why_len)
{
    const tensor *emb = find(mf, "module/Embeddings_en");
    if (emb == NULL || strcmp(emb->dtype, "float32") != 0 || emb->rank != 2 || emb->dims[1] != EMB_DIM ||
        emb->dims[0] < spm_size(m->vocab)) {
        set_why(why, why_len, "model.json: module/Embeddings_en is not float32 [%zu or more rows, %d]", spm_size(m->vocab),
                EMB_DIM);
        return -1;
    }
    size_t timing[] = {1, TIMING}, scalar[] = {0}, k_hid[] = {HID, HID}, v_hid[] = {HID};
    const tensor *inv, *eps, *l2, *clip, *hw, *hb;
    if ((inv = need(mf, S "Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1", "float32", 2, timing, why, why_len)) == NULL ||
        (eps = need(mf, S "Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x", "float32", 0, scalar, why,
                    why_len)) == NULL ||
        (l2 = need(mf, "module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y", "float32", 0, scalar, why,
                   why_len)) == NULL ||
        (clip = need(mf, "module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y", "int32", 0, scalar, why,
                     why_len)) == NULL ||
        (hw = need(mf, "module/Encoder_en/hidden_layers/tanh_layer_0/weights", "float32", 2, k_hid, why, why_len)) == NULL ||
        (hb = need(mf, "module/Encoder_en/hidden_layers/tanh_layer_0/bias", "float32", 1, v_hid, why, why_len)) == NULL)
        return -1;
    m->ln_eps = scalar_f(eps);
    m->l2_eps = scalar_f(l2);
    int32_t max_tokens = scalar_i(clip, 0);
    if (!(m->ln_eps > 0 && m->ln_eps < 1e-3f) || !(m->l2_eps > 0 && m->l2_eps < 1e-6f) || max_tokens < 1 || max_tokens > 4096) {
        set_why(why, why_len, "model.json: a constant (epsilon, maximum length) is out of range");
        return -1;
    }
    m->max_tokens = (size_t)max_tokens;
    m->emb_rows = emb->dims[0];
    /* What the arena holds, in floats, each piece rounded to 16. */
    bool q16 = m->has_q16;
    size_t need_floats = (emb->count + 15) + (m->max_tokens * EMB_DIM + 15) + matrix_floats(HID, HID, q16);
    for (int li = 0; li < LAYERS; li++) {
        size_t d = li == 0 ? EMB_DIM : HID;
        need_floats += 2 * (d + 15) + matrix_floats(d, 3 * d, q16) + matrix_floats(d, HID, q16) + 2 * (HID + 15) +
                       matrix_floats(HID, FFN, q16) + matrix_floats(FFN, HID, q16);
        if (li == 0)
            need_floats += matrix_floats(d, HID, q16);
    }
    arena a = {aligned_alloc(64, ((need_floats * sizeof(float)) + 63) & ~(size_t)63), 0, need_floats};
    if (a.base == NULL)
        abort();
    m->arena = a.base;
    m->emb = copy_vec(&a, emb);
    /* The timing signal of every position, once: sin and cos were a
     * question's largest cost after the matrices. */
    float *table = arena_take(&a, m->max_tokens * EMB_DIM);
    for (size_t t = 0; t < m->max_tokens; t++)
        for (size_t k = 0; k < TIMING; k++) {
            float inv_timescale;
            memcpy(&inv_timescale, inv->data + k * sizeof inv_timescale, sizeof inv_timescale);
            float angle = (float)t * inv_timescale;
            table[t * EMB_DIM + k] = (float)sin((double)angle);
            table[t * EMB_DIM + TIMING + k] = (float)cos((double)angle);
        }
    m->timing = table;
    for (int li = 0; li < LAYERS; li++)
        if (build_layer(m, mf, &a, li, why, why_len) != 0)
            return -1;
    pack(&a, hw, hb, HID, HID, q16, &m->hidden);
    if (a.used > a.cap)
        abort(); /* the sum above is wrong: a bug, not a damaged file */
    m->arena_bytes = a.cap * sizeof(float);
    return 0;
}

static void use_lite_destroy(embedder *e)
{
    use_lite *m = (use_lite *)e;
    if (m == NULL)
        return;
    spm_destroy(m->vocab);
    free(m->arena);
    free(m);
}

embedder *use_lite_open(const char *model_dir, char *why, size_t why_len)
{
    set_why(why, why_len, "%s", "");
    use_lite *m = calloc(1, sizeof *m);
    if (m == NULL)
        abort();
    m->base.model = USE_LITE_MODEL;
    m->base.dim = USE_LITE_DIM;
    m->base.max_batch = USE_LITE_MAX_BATCH;
    m->base.embed = use_lite_embed;
    m->base.destroy = use_lite_destroy;
    /* The integer copy only where the CPU runs the int16 kernels (10 MB). */
    m->has_q16 = kernels_available(KERNELS_INT16);
    use_lite_set_kernels(&m->base, kernels_best());
    char path[4096];
    snprintf(path, sizeof path, "%s/vocab.json", model_dir);
    m->vocab = spm_load(path, why, why_len);
    if (m->vocab == NULL) {
        use_lite_destroy(&m->base);
        return NULL;
    }
    snprintf(path, sizeof path, "%s/model.json", model_dir);
    size_t len;
    char *json = read_file(path, MODEL_JSON_MAX, &len, why, why_len);
    bool have_json = json != NULL;
    cJSON *root = have_json ? cJSON_ParseWithLength(json, len) : NULL;
    free(json);
    manifest mf = {0};
    int rc = -1;
    if (have_json && root == NULL)
        set_why(why, why_len, "%s: not JSON", path);
    else if (root != NULL && manifest_read(model_dir, root, &mf, why, why_len) == 0)
        rc = build(m, &mf, why, why_len);
    manifest_free(&mf);
    cJSON_Delete(root);
    if (rc != 0) {
        use_lite_destroy(&m->base);
        return NULL;
    }
    return &m->base;
}

const char *use_lite_set_kernels(embedder *e, kernels_kind kind)
{
    use_lite *m = (use_lite *)e;
    if (!kernels_available(kind) || (kind == KERNELS_INT16 && !m->has_q16))
        return NULL;
    m->kernels = kind;
    m->matmul = kernels_matmul(kind);
    return kernels_name(kind);
}

const char *use_lite_kernels(const embedder *e)
{
    return kernels_name(((const use_lite *)e)->kernels);
}

size_t use_lite_memory(const embedder *e)
{
    const use_lite *m = (const use_lite *)e;
    return sizeof *m + m->arena_bytes + spm_memory(m->vocab);
}
