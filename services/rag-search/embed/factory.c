/*
 * factory: settings → embedder (see factory.h).
 */
#include "embed/factory.h"

#include "clients/openai.h"
#include "embed/use_lite.h"
#include "vx_log.h"

#ifndef RAG_MODEL_DIR_DEFAULT
#define RAG_MODEL_DIR_DEFAULT "/usr/share/voxanne/models/use-lite-v1"
#endif

const char *embed_factory_default_model_dir(void)
{
    return RAG_MODEL_DIR_DEFAULT;
}

embedder *embed_factory_open(const rag_settings *s, bool *failed)
{
    *failed = false;
    char why[256] = "";
    embedder *e = NULL;
    switch (s->embedder) {
    case RAG_EMBEDDER_NONE:
        vx_log_info(NULL, NULL, "no embedder (RAG_EMBEDDER=none): keyword search only");
        return NULL;
    case RAG_EMBEDDER_OPENAI: {
        openai_embedder_config cfg;
        openai_embedder_config_load(&cfg);
        e = openai_embedder_open(&cfg, why, sizeof(why));
        break;
    }
    case RAG_EMBEDDER_BUILTIN:
        e = use_lite_open(s->model_dir != NULL ? s->model_dir : embed_factory_default_model_dir(), why, sizeof(why));
        if (e != NULL) /* which kernels: a question costs ~3 times more without the int16 ones */
            vx_log_info(NULL, NULL, "built-in embedder loaded", "model", e->model, "kernels", use_lite_kernels(e));
        break;
    }
    if (e == NULL) {
        vx_log_error(NULL, NULL, "embedder unavailable", "error", why);
        *failed = true;
    }
    return e;
}
