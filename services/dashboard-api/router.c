/*
 * router: the dashboard's route → handler table.
 */
#include "router.h"

#include <string.h>

#include "calls.h"
#include "vx_log.h"

typedef void (*dashboard_handler)(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

static const struct {
    const char *route;
    dashboard_handler handler;
} HANDLERS[] = {
    {"calls.list", dashboard_calls_list},
    {"calls.get", dashboard_calls_get},
};

static void dispatch(void *state, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    dashboard_worker *w = state;
    for (size_t i = 0; i < sizeof(HANDLERS) / sizeof(HANDLERS[0]); i++) {
        if (strcmp(req->route, HANDLERS[i].route) == 0) {
            HANDLERS[i].handler(w->pg, req, reply);
            return;
        }
    }
    vx_log_warn(req->request_id, NULL, "no dashboard handler for route", "route", req->route);
    vx_rpc_reply_error(reply, 404, "not_found", "No such route.");
}

/* Runs on the worker's own thread, so it may use the worker's connection. */
static bool worker_healthy(void *state, const char **detail)
{
    dashboard_worker *w = state;
    bool ok = vx_pg_ensure(w->pg) == 0;
    *detail = ok ? "ok" : "database unreachable";
    return ok;
}

void dashboard_worker_init(dashboard_worker *w, const char *database_url)
{
    memset(w, 0, sizeof(*w));
    w->pg = vx_pg_create(database_url);
    dashboard_calls_prepare(w->pg);
}

int dashboard_worker_start(dashboard_worker *w, natsConnection *nc)
{
    return vx_rpc_serve(nc, "dashboard", dispatch, worker_healthy, w, &w->sub);
}

void dashboard_worker_stop(dashboard_worker *w)
{
    if (w->sub != NULL) {
        natsSubscription_Drain(w->sub);
        natsSubscription_WaitForDrainCompletion(w->sub, 5000);
        natsSubscription_Destroy(w->sub);
        w->sub = NULL;
    }
    vx_pg_destroy(w->pg);
    w->pg = NULL;
}
