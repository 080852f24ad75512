/*
 * routes: the knowledge-base subject → handler table (see routes.h).
 */
#include "routes/routes.h"

#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "vx_access.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_routes.h"

struct routes_worker {
    route_ctx ctx; /* ctx.pg and ctx.analyzer are owned; used only on the subscription's thread */
    vx_served_sub served;
};

typedef void (*route_handler)(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply);

static const struct {
    const char *subject;
    route_handler handler;
    unsigned roles; /* vx_role bits admitted */
} HANDLERS[] = {
    {VX_SUBJECT_KB_DOCUMENTS_LIST, kb_documents_list, VX_ROLE_MEMBERS},
    {VX_SUBJECT_KB_DOCUMENTS_GET, kb_documents_get, VX_ROLE_MEMBERS},
    {VX_SUBJECT_KB_DOCUMENTS_CREATE, kb_documents_create, VX_ROLE_OWNER},
    {VX_SUBJECT_KB_DOCUMENTS_DELETE, kb_documents_delete, VX_ROLE_OWNER},
    {VX_SUBJECT_KB_SEARCH, kb_search_try, VX_ROLE_MEMBERS},
};
#define NHANDLERS (sizeof(HANDLERS) / sizeof(HANDLERS[0]))

int routes_check(void)
{
    const char *subjects[NHANDLERS];
    for (size_t i = 0; i < NHANDLERS; i++)
        subjects[i] = HANDLERS[i].subject;
    return vx_routes_check_service("kb", subjects, NHANDLERS);
}

static void dispatch(void *state, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    routes_worker *w = state;
    for (size_t i = 0; i < NHANDLERS; i++) {
        if (strcmp(req->route, HANDLERS[i].subject) != 0)
            continue;
        if (vx_access_token(req, HANDLERS[i].roles, reply) && vx_access_org(w->ctx.pg, req, reply))
            HANDLERS[i].handler(&w->ctx, req, reply);
        return;
    }
    vx_log_warn(req->request_id, NULL, "no knowledge-base handler for subject", "subject", req->route);
    vx_rpc_reply_error(reply, 404, "not_found", "No such route.");
}

static bool worker_healthy(void *state, const char **detail)
{
    routes_worker *w = state;
    if (vx_pg_ensure(w->ctx.pg) != 0) {
        *detail = "database unreachable";
        return false;
    }
    bool loaded = w->ctx.svc->loader == NULL || kb_loader_ready(w->ctx.svc->loader);
    *detail = loaded ? "ok" : "loading the knowledge bases";
    return loaded;
}

void kb_reply_store_error(int status, vx_rpc_reply *reply)
{
    if (status == STORE_NOT_FOUND)
        vx_rpc_reply_error(reply, 404, "not_found", "No such document.");
    else if (status == STORE_UNAVAILABLE)
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
    else
        vx_rpc_reply_error(reply, 500, "internal_error", "The knowledge base could not be read or changed.");
}

routes_worker *routes_worker_create(const kb_service *svc)
{
    routes_worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        abort();
    w->ctx.svc = svc;
    w->ctx.analyzer = analyzer_create();
    if (w->ctx.analyzer == NULL) {
        free(w);
        return NULL;
    }
    w->ctx.pg = vx_pg_create(svc->settings->database_url);
    vx_access_prepare(w->ctx.pg);
    store_prepare(w->ctx.pg);
    return w;
}

int routes_worker_start(routes_worker *w, natsConnection *nc)
{
    return vx_rpc_serve(nc, "kb", dispatch, worker_healthy, w, &w->served);
}

void routes_worker_stop(routes_worker *w)
{
    if (w != NULL) {
        vx_served_sub_stop(&w->served);
        vx_served_sub_end(&w->served);
    }
}

void routes_worker_destroy(routes_worker *w)
{
    if (w == NULL)
        return;
    routes_worker_stop(w);
    vx_pg_destroy(w->ctx.pg);
    analyzer_destroy(w->ctx.analyzer);
    free(w);
}
