/*
 * The reference fixture of the built-in embedder's tests:
 * tests/fixtures/embeddings/reference.json (make_reference.sh), read relative
 * to the repo root — per text its token ids and, unless the reference refused
 * it (the empty text), its 512-d vector.
 */
#ifndef TESTS_RAG_SEARCH_EMBED_REFERENCE_H
#define TESTS_RAG_SEARCH_EMBED_REFERENCE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define EMBED_REFERENCE_PATH "tests/fixtures/embeddings/reference.json"
#define EMBED_REFERENCE_DIM  512

typedef struct {
    char *text;
    int32_t *ids;
    size_t n_ids;
    float *vector; /* EMBED_REFERENCE_DIM floats, or NULL */
} embed_reference_case;

/* Returns the cases (*n of them), NULL if the file is missing or malformed. */
static inline embed_reference_case *embed_reference_load(size_t *n)
{
    *n = 0;
    FILE *f = fopen(EMBED_REFERENCE_PATH, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    size_t got = fread(buf, 1, (size_t)size, f);
    fclose(f);
    cJSON *root = cJSON_ParseWithLength(buf, got);
    free(buf);
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
    if (!cJSON_IsArray(cases)) {
        cJSON_Delete(root);
        return NULL;
    }
    size_t count = (size_t)cJSON_GetArraySize(cases);
    embed_reference_case *out = calloc(count, sizeof *out);
    const cJSON *c;
    size_t i = 0;
    cJSON_ArrayForEach(c, cases)
    {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(c, "text");
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c, "ids");
        const cJSON *vec = cJSON_GetObjectItemCaseSensitive(c, "vector");
        out[i].text = strdup(cJSON_IsString(text) ? text->valuestring : "");
        out[i].n_ids = (size_t)cJSON_GetArraySize(ids);
        out[i].ids = calloc(out[i].n_ids + 1, sizeof *out[i].ids);
        size_t k = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, ids) out[i].ids[k++] = (int32_t)v->valuedouble;
        if (cJSON_IsArray(vec) && cJSON_GetArraySize(vec) == EMBED_REFERENCE_DIM) {
            out[i].vector = calloc(EMBED_REFERENCE_DIM, sizeof *out[i].vector);
            k = 0;
            cJSON_ArrayForEach(v, vec) out[i].vector[k++] = (float)v->valuedouble;
        }
        i++;
    }
    cJSON_Delete(root);
    *n = count;
    return out;
}

static inline void embed_reference_free(embed_reference_case *cases, size_t n)
{
    for (size_t i = 0; cases != NULL && i < n; i++) {
        free(cases[i].text);
        free(cases[i].ids);
        free(cases[i].vector);
    }
    free(cases);
}

#endif
