/*
 * routes: the owner's /api/knowledge-base routes (libcommon/vx_routes.c,
 * rpc.kb.*). Each worker is one vx_rpc_serve subscription in queue group
 * "kb" with its own vx_pg and analyzer; its table says which roles each
 * route admits, and every route passes libcommon/vx_access.h first. The
 * front desk may read the documents and try questions; adding and deleting
 * documents changes what the agent says, so it is the owner's.
 */
#ifndef RAG_SEARCH_ROUTES_ROUTES_H
#define RAG_SEARCH_ROUTES_ROUTES_H

#include <nats/nats.h>

#include "embed/embedder.h"
#include "index/analyzer.h"
#include "index/registry.h"
#include "indexer.h"
#include "loader.h"
#include "settings.h"
#include "vx_pg.h"
#include "vx_rpc.h"

/* What the service shares with every worker (not owned by the workers). */
typedef struct kb_service {
    const rag_settings *settings;
    kb_registry *registry;
    embedder *embedder; /* NULL: keywords only */
    kb_indexer *indexer;
    const kb_loader *loader; /* readiness: the first full load */
} kb_service;

/* What a handler works with: the service and its worker's own handles. */
typedef struct route_ctx {
    const kb_service *svc;
    vx_pg *pg;
    analyzer *analyzer;
} route_ctx;

typedef struct routes_worker routes_worker;

/* Checks the handler table against the suite's routes; -1 (logged) when they disagree. */
int routes_check(void);
routes_worker *routes_worker_create(const kb_service *svc);
int routes_worker_start(routes_worker *w, natsConnection *nc);
void routes_worker_stop(routes_worker *w);    /* drains: requests in hand are answered */
void routes_worker_destroy(routes_worker *w); /* stops if needed, frees */

/* The handlers (routes/documents.c, routes/upload.c, routes/search.c). */
void kb_documents_list(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply);
void kb_documents_get(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply);
void kb_documents_delete(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply);
void kb_documents_create(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply);
void kb_search_try(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply);
/* A store outcome that is not the handler's own as the route's error. */
void kb_reply_store_error(int status, vx_rpc_reply *reply);

#endif
