/*
 * factory: the embedder the settings choose (settings.h) — the OpenAI-
 * compatible provider when EMBEDDINGS_BASE_URL is set, else the built-in
 * model, or none (keywords only).
 */
#ifndef RAG_SEARCH_EMBED_FACTORY_H
#define RAG_SEARCH_EMBED_FACTORY_H

#include <stdbool.h>

#include "embed/embedder.h"
#include "settings.h"

/* The embedder, or NULL: by choice (RAG_EMBEDDER=none, *failed false) or
 * because it could not be made (*failed true, the reason logged). */
embedder *embed_factory_open(const rag_settings *s, bool *failed);

/* The built-in model's folder when RAG_MODEL_DIR is unset: the build's
 * (build/models/use-lite-v1 of the checkout), else /usr/share/voxanne/models/use-lite-v1 in the image. */
const char *embed_factory_default_model_dir(void);

#endif
