/*
 * routes: the integrations subject → handler table (see routes.h).
 */
#include "integrations/routes.h"

#include <stdlib.h>
#include <string.h>

#include "vx_access.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_routes.h"

struct routes_worker {
    route_ctx ctx; /* ctx.pg is owned; used only on the subscription's thread */
    vx_served_sub served;
};

typedef void (*route_handler)(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply);

static const struct {
    const char *subject;
    route_handler handler;
    unsigned roles; /* vx_role bits admitted; 0: authenticated by the handler itself */
} HANDLERS[] = {
    /* The front desk may see what is connected; connecting is the owner's. */
    {VX_SUBJECT_INTEGRATIONS_LIST, integrations_list, VX_ROLE_MEMBERS},
    {VX_SUBJECT_INTEGRATIONS_TWILIO_CONNECT, integrations_twilio_connect, VX_ROLE_OWNER},
    {VX_SUBJECT_INTEGRATIONS_TWILIO_DELETE, integrations_twilio_delete, VX_ROLE_OWNER},
    {VX_SUBJECT_INTEGRATIONS_GOOGLE_AUTHORIZE, integrations_google_authorize, VX_ROLE_OWNER},
    {VX_SUBJECT_INTEGRATIONS_GOOGLE_CALLBACK, integrations_google_callback, 0},
};
#define NHANDLERS (sizeof(HANDLERS) / sizeof(HANDLERS[0]))

int routes_check(void)
{
    const char *subjects[NHANDLERS];
    for (size_t i = 0; i < NHANDLERS; i++)
        subjects[i] = HANDLERS[i].subject;
    return vx_routes_check_service("integrations", subjects, NHANDLERS);
}

static void dispatch(void *state, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    routes_worker *w = state;
    for (size_t i = 0; i < NHANDLERS; i++) {
        if (strcmp(req->route, HANDLERS[i].subject) != 0)
            continue;
        if (HANDLERS[i].roles == 0 || (vx_access_token(req, HANDLERS[i].roles, reply) && vx_access_org(w->ctx.pg, req, reply)))
            HANDLERS[i].handler(&w->ctx, req, reply);
        return;
    }
    vx_log_warn(req->request_id, NULL, "no integrations handler for subject", "subject", req->route);
    vx_rpc_reply_error(reply, 404, "not_found", "No such route.");
}

static bool worker_healthy(void *state, const char **detail)
{
    routes_worker *w = state;
    bool ok = vx_pg_ensure(w->ctx.pg) == 0;
    *detail = ok ? "ok" : "database unreachable";
    return ok;
}

routes_worker *routes_worker_create(const vault_ctx *v)
{
    routes_worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        abort();
    w->ctx.v = v;
    w->ctx.pg = vx_pg_create(v->settings->database_url);
    vx_access_prepare(w->ctx.pg);
    store_prepare(w->ctx.pg);
    integrations_twilio_prepare(w->ctx.pg);
    return w;
}

int routes_worker_start(routes_worker *w, natsConnection *nc)
{
    return vx_rpc_serve(nc, "integrations", dispatch, worker_healthy, w, &w->served);
}

void routes_worker_stop(routes_worker *w)
{
    vx_served_sub_stop(&w->served);
    vx_served_sub_end(&w->served);
}

void routes_worker_destroy(routes_worker *w)
{
    if (w == NULL)
        return;
    routes_worker_stop(w);
    vx_pg_destroy(w->ctx.pg);
    free(w);
}
