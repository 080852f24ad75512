/*
 * settings: the environment, read once (see settings.h).
 */
#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_config.h"

void rag_settings_load(rag_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->database_url = vx_config_require("DATABASE_URL");
    s->nats_url = vx_config_require("NATS_URL");
    s->workers = (int)vx_config_long("RAG_WORKERS", 2, 1, 16);
    s->route_workers = (int)vx_config_long("RAG_ROUTE_WORKERS", 2, 1, 16);
    search_config_defaults(&s->search);
    s->search.threshold = (float)vx_config_double("RAG_THRESHOLD", s->search.threshold, 0, 1);
    s->search.max_chunks = (int)vx_config_long("RAG_MAX_CHUNKS", s->search.max_chunks, 1, SEARCH_MAX_CHUNKS);
    s->search.max_context = (size_t)vx_config_long("RAG_MAX_CONTEXT_CHARS", (long)s->search.max_context, 200, 20000);
    s->search.depth = (int)vx_config_long("RAG_DEPTH", s->search.depth, 5, 200);
    s->search.weight_bm25 = (float)vx_config_double("RAG_WEIGHT_BM25", s->search.weight_bm25, 0, 10);
    s->search.weight_dense = (float)vx_config_double("RAG_WEIGHT_DENSE", s->search.weight_dense, 0, 10);
    s->search.rare_df = (unsigned)vx_config_long("RAG_RARE_DF", s->search.rare_df, 0, 100);
    const char *kind = vx_config_str("RAG_EMBEDDER", vx_config_str("EMBEDDINGS_BASE_URL", NULL) != NULL ? "openai" : "builtin");
    if (strcmp(kind, "builtin") == 0) {
        s->embedder = RAG_EMBEDDER_BUILTIN;
    } else if (strcmp(kind, "openai") == 0) {
        s->embedder = RAG_EMBEDDER_OPENAI;
    } else if (strcmp(kind, "none") == 0) {
        s->embedder = RAG_EMBEDDER_NONE;
    } else {
        fprintf(stderr, "environment variable RAG_EMBEDDER must be builtin, openai or none\n");
        exit(VX_EXIT_CONFIG);
    }
    s->model_dir = vx_config_str("RAG_MODEL_DIR", NULL);
    s->embed_batch = (int)vx_config_long("RAG_EMBED_BATCH", 32, 1, 2048);
    s->pdf_program = vx_config_str("RAG_PDF_PROGRAM", NULL);
    s->pdf_timeout_ms = (int)vx_config_long("RAG_PDF_TIMEOUT_MS", 20000, 1000, 300000);
    s->pdf_max_pages = (int)vx_config_long("RAG_PDF_MAX_PAGES", 2000, 1, 100000);
}
