/*
 * spm: SentencePiece unigram tokenization as the reference does it (spm.h).
 *
 * The vocabulary is a trie over code points whose edges live in one
 * open-addressing table keyed by (parent node, code point), so a prefix
 * search from each position costs one probe per code point.
 */
#include "embed/spm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <unicode/unorm2.h>

#include "vx_utf8.h"

#define SPM_MAX_VOCAB     (1u << 20)
#define SPM_MAX_FILE      (16u << 20)
#define SPM_SEPARATOR     0x2581u /* ▁ */
#define SPM_REPLACEMENT   0xFFFDu
#define SPM_NO_PIECE      (-1)
#define SPM_MAX_CODEPOINT 0x10FFFFu

typedef struct {
    int32_t piece; /* vocabulary index ending here, or SPM_NO_PIECE */
    double score;
} spm_node;

typedef struct {
    uint64_t key; /* (parent + 1) << 21 | code point; 0 = empty slot */
    int32_t child;
} spm_edge;

struct spm {
    size_t size;
    uint16_t *utf16_len; /* per id: the piece's JavaScript string length */
    spm_node *nodes;     /* nodes[0] is the root */
    size_t n_nodes;
    spm_edge *edges;
    size_t edge_mask; /* table size - 1 (a power of two) */
};

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

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n == 0 ? 1 : n, size);
    if (p == NULL)
        abort();
    return p;
}

static void *xrealloc(void *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        abort();
    p = realloc(p, n * size == 0 ? 1 : n * size);
    if (p == NULL)
        abort();
    return p;
}

static uint64_t edge_hash(uint64_t key)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return key;
}

static uint64_t edge_key(int32_t parent, uint32_t cp)
{
    return ((uint64_t)(parent + 1) << 21) | cp;
}

static int32_t edge_find(const spm *s, int32_t parent, uint32_t cp)
{
    uint64_t key = edge_key(parent, cp);
    for (size_t i = edge_hash(key) & s->edge_mask;; i = (i + 1) & s->edge_mask) {
        if (s->edges[i].key == key)
            return s->edges[i].child;
        if (s->edges[i].key == 0)
            return -1;
    }
}

/* Decodes UTF-8 at p[0..n) (n >= 1): the code point and its length; a byte
 * that does not start a valid sequence is U+FFFD of length 1. */
static uint32_t utf8_next(const unsigned char *p, size_t n, size_t *len)
{
    size_t l = vx_utf8_seq_len(p, n);
    if (l == 0) {
        *len = 1;
        return SPM_REPLACEMENT;
    }
    *len = l;
    switch (l) {
    case 1:
        return p[0];
    case 2:
        return ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    case 3:
        return ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    default:
        return ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) | ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    }
}

spm *spm_create(const char *json, size_t len, char *why, size_t why_len)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (root == NULL) {
        set_why(why, why_len, "vocabulary: not JSON");
        return NULL;
    }
    spm *s = NULL;
    if (!cJSON_IsArray(root)) {
        set_why(why, why_len, "vocabulary: not a JSON array");
        goto out;
    }
    size_t size = (size_t)cJSON_GetArraySize(root);
    if (size <= SPM_RESERVED || size > SPM_MAX_VOCAB) {
        set_why(why, why_len, "vocabulary: %zu entries (expected %d to %u)", size, SPM_RESERVED + 1, SPM_MAX_VOCAB);
        goto out;
    }
    s = xcalloc(1, sizeof *s);
    s->size = size;
    s->utf16_len = xcalloc(size, sizeof *s->utf16_len);
    /* Every piece: its length, and an upper bound on the trie's nodes. */
    size_t total_cps = 0, id = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, root)
    {
        const cJSON *piece = cJSON_GetArrayItem(entry, 0), *score = cJSON_GetArrayItem(entry, 1);
        if (!cJSON_IsArray(entry) || cJSON_GetArraySize(entry) != 2 || !cJSON_IsString(piece) ||
            !(cJSON_IsNumber(score) || cJSON_IsNull(score))) {
            set_why(why, why_len, "vocabulary: entry %zu is not [piece, score]", id);
            goto fail;
        }
        const unsigned char *p = (const unsigned char *)piece->valuestring;
        size_t plen = strlen(piece->valuestring), u16 = 0;
        for (size_t i = 0; i < plen;) {
            size_t l;
            uint32_t cp = utf8_next(p + i, plen - i, &l);
            u16 += cp >= 0x10000 ? 2 : 1;
            total_cps++;
            i += l;
        }
        if (u16 > UINT16_MAX) {
            set_why(why, why_len, "vocabulary: entry %zu is too long", id);
            goto fail;
        }
        s->utf16_len[id++] = (uint16_t)u16;
    }
    /* The edge table: at most one edge per code point of all pieces. */
    size_t cap = 16;
    while (cap < 2 * (total_cps + 1))
        cap *= 2;
    s->edges = xcalloc(cap, sizeof *s->edges);
    s->edge_mask = cap - 1;
    s->nodes = xcalloc(total_cps + 1, sizeof *s->nodes);
    s->nodes[0] = (spm_node){SPM_NO_PIECE, 0};
    s->n_nodes = 1;
    id = 0;
    cJSON_ArrayForEach(entry, root)
    {
        if (id >= SPM_RESERVED) {
            const char *text = cJSON_GetArrayItem(entry, 0)->valuestring;
            const unsigned char *p = (const unsigned char *)text;
            size_t plen = strlen(text);
            int32_t node = 0;
            for (size_t i = 0; i < plen;) {
                size_t l;
                uint32_t cp = utf8_next(p + i, plen - i, &l);
                int32_t child = edge_find(s, node, cp);
                if (child < 0) {
                    child = (int32_t)s->n_nodes++;
                    s->nodes[child] = (spm_node){SPM_NO_PIECE, 0};
                    uint64_t key = edge_key(node, cp);
                    size_t k = edge_hash(key) & s->edge_mask;
                    while (s->edges[k].key != 0)
                        k = (k + 1) & s->edge_mask;
                    s->edges[k] = (spm_edge){key, child};
                }
                node = child;
                i += l;
            }
            if (node != 0) { /* the empty piece is never a match */
                s->nodes[node].piece = (int32_t)id;
                /* null (the model's vocab.json has it for the 7 pieces with ':')
                 * is 0 in the reference's arithmetic. */
                const cJSON *score = cJSON_GetArrayItem(entry, 1);
                s->nodes[node].score = cJSON_IsNumber(score) ? score->valuedouble : 0.0;
            }
        }
        id++;
    }
    s->nodes = xrealloc(s->nodes, s->n_nodes, sizeof *s->nodes); /* give back what no piece needed */
    goto out;
fail:
    spm_destroy(s);
    s = NULL;
out:
    cJSON_Delete(root);
    return s;
}

spm *spm_load(const char *path, char *why, size_t why_len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        set_why(why, why_len, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = xcalloc(SPM_MAX_FILE + 1, 1);
    size_t n = fread(buf, 1, SPM_MAX_FILE + 1, f);
    bool bad = ferror(f) != 0;
    fclose(f);
    spm *s = NULL;
    if (bad)
        set_why(why, why_len, "%s: read error", path);
    else if (n > SPM_MAX_FILE)
        set_why(why, why_len, "%s: larger than %u bytes", path, SPM_MAX_FILE);
    else if ((s = spm_create(buf, n, why, why_len)) == NULL && why != NULL && why_len > 0) {
        char inner[256];
        snprintf(inner, sizeof inner, "%s", why);
        set_why(why, why_len, "%s: %s", path, inner);
    }
    free(buf);
    return s;
}

void spm_destroy(spm *s)
{
    if (s == NULL)
        return;
    free(s->utf16_len);
    free(s->nodes);
    free(s->edges);
    free(s);
}

size_t spm_size(const spm *s)
{
    return s->size;
}

size_t spm_memory(const spm *s)
{
    return sizeof *s + s->size * sizeof *s->utf16_len + s->n_nodes * sizeof *s->nodes + (s->edge_mask + 1) * sizeof *s->edges;
}

/* text -> UTF-16 (bounded, invalid bytes as U+FFFD) -> NFKC -> code points,
 * with the separator in front and for every space. Returns the symbols
 * (malloc'd, *n of them; NULL and 0 for the empty text). */
static uint32_t *normalize(const char *text, size_t len, size_t *n)
{
    *n = 0;
    if (len > SPM_MAX_INPUT) {
        /* Back to the start of a sequence (3 bytes at most), so the cut never
         * splits one; text[len] exists as the text is longer. */
        len = SPM_MAX_INPUT;
        for (int k = 0; k < 3 && ((unsigned char)text[len] & 0xC0) == 0x80; k++)
            len--;
    }
    if (len == 0)
        return NULL;
    UChar *src = xcalloc(len * 2, sizeof *src);
    int32_t src_len = 0;
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        size_t l;
        uint32_t cp = utf8_next(p + i, len - i, &l);
        if (cp >= 0x10000) {
            src[src_len++] = (UChar)(0xD800 + ((cp - 0x10000) >> 10));
            src[src_len++] = (UChar)(0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else {
            src[src_len++] = (UChar)cp;
        }
        i += l;
    }
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *nfkc = unorm2_getNFKCInstance(&err);
    UChar *dst = NULL;
    int32_t dst_len = 0;
    if (U_SUCCESS(err)) {
        int32_t cap = src_len + 16;
        for (int attempt = 0; attempt < 2; attempt++) {
            dst = xrealloc(dst, (size_t)cap, sizeof *dst);
            err = U_ZERO_ERROR;
            dst_len = unorm2_normalize(nfkc, src, src_len, dst, cap, &err);
            if (err != U_BUFFER_OVERFLOW_ERROR)
                break;
            cap = dst_len + 1;
        }
    }
    if (U_FAILURE(err)) {
        /* Only if ICU's data cannot load: tokenize the text as it is. */
        free(dst);
        dst = src;
        dst_len = src_len;
        src = NULL;
    }
    free(src);
    uint32_t *sym = xcalloc((size_t)dst_len + 1, sizeof *sym);
    size_t k = 0;
    if (dst_len > 0)
        sym[k++] = SPM_SEPARATOR;
    for (int32_t i = 0; i < dst_len && k < SPM_MAX_SYMBOLS; i++) {
        uint32_t cp = dst[i];
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < dst_len && dst[i + 1] >= 0xDC00 && dst[i + 1] <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (uint32_t)(dst[i + 1] - 0xDC00);
            i++;
        }
        sym[k++] = cp == ' ' ? SPM_SEPARATOR : cp;
    }
    free(dst);
    *n = k;
    return sym;
}

size_t spm_encode(const spm *s, const char *text, size_t len, int32_t *ids, size_t max_ids)
{
    size_t n;
    uint32_t *sym = normalize(text, len, &n);
    if (n == 0) {
        free(sym);
        return 0;
    }
    double *best = xcalloc(n + 1, sizeof *best);
    int32_t *words = xcalloc(n + 1, sizeof *words);
    /* Forward: relax every piece starting at i, i ascending, so each end sees
     * its candidates in the order of their start, as the reference does. */
    for (size_t i = 0; i < n; i++) {
        bool matched = false;
        int32_t node = 0;
        for (size_t j = i; j < n; j++) {
            node = edge_find(s, node, sym[j]);
            if (node < 0)
                break;
            const spm_node *nd = &s->nodes[node];
            if (nd->piece == SPM_NO_PIECE)
                continue;
            matched = true;
            double score = nd->score + best[i];
            if (best[j + 1] == 0 || score >= best[j + 1]) {
                best[j + 1] = score;
                words[j + 1] = nd->piece;
            }
        }
        if (!matched) { /* the unknown piece: this code point, score 0 */
            double score = 0 + best[i];
            if (best[i + 1] == 0 || score >= best[i + 1]) {
                best[i + 1] = score;
                words[i + 1] = SPM_UNK_ID;
            }
        }
    }
    /* Backward, by each piece's UTF-16 length; results come last first. */
    int32_t *rev = xcalloc(n, sizeof *rev);
    size_t count = 0;
    for (ptrdiff_t it = (ptrdiff_t)n; it > 0;) {
        int32_t id = words[it];
        if (!(id == SPM_UNK_ID && count > 0 && rev[count - 1] == SPM_UNK_ID))
            rev[count++] = id;
        it -= s->utf16_len[id] > 0 ? s->utf16_len[id] : 1; /* an empty <unk> would never end */
    }
    for (size_t k = 0; k < count && k < max_ids; k++)
        ids[k] = rev[count - 1 - k];
    free(rev);
    free(words);
    free(best);
    free(sym);
    return count;
}
