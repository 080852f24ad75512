/*
 * settings: rag-search's environment, read once at start-up (main.c).
 *
 *   DATABASE_URL, NATS_URL        required
 *   RAG_WORKERS                   2 (1..16): threads answering rpc.rag.search, each with its own analyzer
 *   RAG_ROUTE_WORKERS             2 (1..16): threads serving the owner's routes (rpc.kb.>), each its own connection
 *   The search (search.h; SPEC: one config, one place):
 *   RAG_THRESHOLD                 0.25 (0..1): the cosine a match found only by meaning needs
 *   RAG_MAX_CHUNKS                5 (1..20)
 *   RAG_MAX_CONTEXT_CHARS         2000 (200..20000)
 *   RAG_DEPTH                     50 (5..200): candidates from each ranking
 *   RAG_WEIGHT_BM25, RAG_WEIGHT_DENSE   RRF weights (0..10), measured defaults in search.c
 *   RAG_RARE_DF                   3 (0..100): a word in at most this many chunks promotes them
 *   The embedder (embed/embedder.h):
 *   EMBEDDINGS_BASE_URL           set: an OpenAI-compatible /v1/embeddings provider (clients/openai.h, with
 *                                 EMBEDDINGS_API_KEY, EMBEDDINGS_MODEL, EMBEDDINGS_DIMENSIONS)
 *   RAG_EMBEDDER                  "builtin" (default when EMBEDDINGS_BASE_URL is unset) | "openai" | "none"
 *                                 (keywords only)
 *   RAG_MODEL_DIR                 the built-in model's folder (embed/use_lite.h)
 *   RAG_EMBED_BATCH               32 (1..2048): chunks per embedding call in the background
 *   Uploads (ingest/): RAG_PDF_PROGRAM (pdf-text beside the executable), RAG_PDF_TIMEOUT_MS 20000,
 *   RAG_PDF_MAX_PAGES 2000; chunk sizes in ingest/chunker.h.
 */
#ifndef RAG_SEARCH_SETTINGS_H
#define RAG_SEARCH_SETTINGS_H

#include "search.h"

typedef enum { RAG_EMBEDDER_NONE, RAG_EMBEDDER_BUILTIN, RAG_EMBEDDER_OPENAI } rag_embedder_kind;

typedef struct rag_settings {
    const char *database_url;
    const char *nats_url;
    int workers;
    int route_workers;
    search_config search;
    rag_embedder_kind embedder;
    const char *model_dir; /* NULL: the built-in default */
    int embed_batch;
    const char *pdf_program; /* NULL: beside the executable */
    int pdf_timeout_ms;
    int pdf_max_pages;
} rag_settings;

/* Reads every variable; a mistake exits with status 2 and one line on stderr (vx_config). */
void rag_settings_load(rag_settings *s);

#endif
