/*
 * rag-search: each org's knowledge base, searched mid-call (SPEC
 * "rag-search", issue 14).
 *
 * This file only wires: the settings (settings.h), the embedder
 * (embed/factory.h), the registry of every org's in-memory index and the
 * loader that keeps it equal to the database (loader.h), the background
 * embedding (indexer.h), the workers answering tool-router's rpc.rag.search
 * (rag_rpc.h) and the owner's routes rpc.kb.> (routes/routes.h), and a
 * graceful stop on SIGINT/SIGTERM. Exit status: 0 after a graceful stop, 1
 * when start-up fails (the embedder's model cannot be loaded, say), 2 on a
 * configuration mistake.
 */
#include <signal.h>
#include <stdlib.h>

#include "embed/factory.h"
#include "index/registry.h"
#include "indexer.h"
#include "loader.h"
#include "rag_rpc.h"
#include "routes/routes.h"
#include "settings.h"
#include "vx_config.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_signal.h"

#define SERVICE "rag-search"

int main(void)
{
    vx_log_init(SERVICE);
    vx_signal_block_termination();
    rag_settings cfg;
    rag_settings_load(&cfg);
    if (routes_check() != 0)
        return VX_EXIT_FAILED;

    int status = VX_EXIT_FAILED;
    natsConnection *nc = NULL;
    kb_loader *loader = NULL;
    kb_indexer *indexer = NULL;
    rag_rpc_server *searcher = NULL;
    routes_worker **routes = calloc((size_t)cfg.route_workers, sizeof(*routes));
    kb_registry *registry = kb_registry_create();
    if (routes == NULL)
        abort();
    bool failed = false;
    embedder *emb = embed_factory_open(&cfg, &failed);
    if (failed)
        goto out;

    kb_loader_config lcfg = {.database_url = cfg.database_url,
                             .registry = registry,
                             .model = emb != NULL ? emb->model : NULL,
                             .dim = emb != NULL ? emb->dim : 0};
    loader = kb_loader_create(&lcfg);
    kb_indexer_config icfg = {.database_url = cfg.database_url, .embedder = emb, .batch = cfg.embed_batch};
    indexer = kb_indexer_create(&icfg);
    if (loader == NULL || kb_loader_start(loader) != 0 || kb_indexer_start(indexer) != 0)
        goto out;
    kb_service svc = {.settings = &cfg, .registry = registry, .embedder = emb, .indexer = indexer, .loader = loader};

    nc = vx_nats_connect(cfg.nats_url, SERVICE);
    if (nc == NULL)
        goto out;
    searcher = rag_rpc_server_start(registry, emb, &cfg.search, nc, (size_t)cfg.workers);
    if (searcher == NULL)
        goto out;
    for (int i = 0; i < cfg.route_workers; i++) {
        routes[i] = routes_worker_create(&svc);
        if (routes[i] == NULL || routes_worker_start(routes[i], nc) != 0)
            goto out;
    }
    vx_log_info(NULL, NULL, "rag-search serving", "subjects", "rpc.rag.search, rpc.kb.>", "embedder",
                emb != NULL ? emb->model : "none");
    int sig = vx_signal_wait_termination();
    vx_log_info(NULL, NULL, "rag-search stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = VX_EXIT_OK;

out:
    /* Every worker drained before any is freed. */
    rag_rpc_server_stop(searcher);
    for (int i = 0; i < cfg.route_workers; i++)
        routes_worker_stop(routes[i]);
    rag_rpc_server_destroy(searcher);
    for (int i = 0; i < cfg.route_workers; i++)
        routes_worker_destroy(routes[i]);
    free(routes);
    vx_nats_close(nc);
    nats_Close();
    kb_indexer_destroy(indexer); /* before the embedder it uses */
    kb_loader_destroy(loader);
    embedder_destroy(emb);
    kb_registry_destroy(registry);
    return vx_signal_stop_requested() ? VX_EXIT_OK : status; /* stopped while starting: a stop */
}
