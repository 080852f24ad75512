/*
 * embedder: the one interface every text embedder of rag-search speaks — the
 * built-in offline model (embed/use_lite.h) and an OpenAI-compatible
 * /v1/embeddings provider (clients/openai.h). Chunks are embedded in the
 * background when a document is uploaded, queries while a caller waits.
 *
 * Vectors come back L2-normalised, so a dot product is the cosine. Each
 * vector is stored with `model` and `dim` (kb_chunks): a vector is only ever
 * compared with vectors of the same model, and a change of embedder
 * re-embeds in the background.
 *
 * Thread safety: embed may be called from several threads at once on one
 * embedder (read-only weights or a per-call HTTP handle; scratch per call).
 */
#ifndef RAG_SEARCH_EMBED_EMBEDDER_H
#define RAG_SEARCH_EMBED_EMBEDDER_H

#include <stddef.h>

typedef enum {
    EMBED_OK = 0,
    EMBED_RETRY = -1,  /* temporary: network, 5xx, rate limit — try again later */
    EMBED_QUOTA = -2,  /* the provider refuses until its account changes (insufficient_quota): no retry */
    EMBED_FAILED = -3, /* permanent for this input or configuration (bad key, bad model, bad input) */
} embed_status;

typedef struct embedder embedder;
struct embedder {
    const char *model; /* stored with each vector: "use-lite-v1", "text-embedding-3-small", … */
    int dim;           /* floats per vector */
    size_t max_batch;  /* texts per embed call, at most */
    /* Embeds texts[0..n) (n <= max_batch, each NUL-terminated UTF-8) into
     * out[n * dim], each vector L2-normalised. On failure out is undefined and
     * why (why_len bytes, NUL-terminated, no secret) says what went wrong. */
    embed_status (*embed)(embedder *e, const char *const *texts, size_t n, float *out, char *why, size_t why_len);
    void (*destroy)(embedder *e); /* frees e; NULL e: nothing (call embedder_destroy) */
};

static inline void embedder_destroy(embedder *e)
{
    if (e != NULL)
        e->destroy(e);
}

#endif
