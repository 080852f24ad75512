/*
 * router: the dashboard's subject → handler table.
 *
 * The subject is the one key from HTTP route to handler (libcommon/vx_routes.h):
 * the gateway sends each route's request on the row's subject, vx_rpc hands
 * it over with req->route set to that subject, and this table finds the
 * handler. dashboard_check_routes proves at start-up that the table and the
 * suite's routes agree, so a renamed route cannot silently 404 here.
 *
 * The table also says which roles each route admits, and every request
 * passes access.h's checks (token, role, active organization) before its
 * handler runs: a new route cannot forget them.
 */
#include "router.h"

#include <stdlib.h>
#include <string.h>

#include "vx_access.h"
#include "agent.h"
#include "appointments.h"
#include "audit.h"
#include "auth.h"
#include "calls.h"
#include "contact_call.h"
#include "contacts.h"
#include "contacts_csv.h"
#include "gdpr.h"
#include "services.h"
#include "settings.h"
#include "team.h"
#include "vx_audit.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_pg.h"
#include "vx_routes.h"

struct dashboard_worker {
    vx_pg *pg; /* owned; used only on the subscription's thread */
    vx_served_sub served;
};

typedef void (*dashboard_handler)(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

static const struct {
    const char *subject;
    dashboard_handler handler;
    unsigned roles; /* vx_role bits admitted; VX_ROLE_PUBLIC: the handler authenticates the caller itself */
} HANDLERS[] = {
    /* Sign-in: no token yet; the handler checks the password, refresh token or invitation. */
    {VX_SUBJECT_AUTH_SIGNUP, dashboard_auth_signup, VX_ROLE_PUBLIC},
    {VX_SUBJECT_AUTH_LOGIN, dashboard_auth_login, VX_ROLE_PUBLIC},
    {VX_SUBJECT_AUTH_REFRESH, dashboard_auth_refresh, VX_ROLE_PUBLIC},
    {VX_SUBJECT_AUTH_LOGOUT, dashboard_auth_logout, VX_ROLE_PUBLIC},
    {VX_SUBJECT_AUTH_ACCEPT_INVITE, dashboard_auth_accept_invite, VX_ROLE_PUBLIC},
    {VX_SUBJECT_ORGS_VALIDATE, dashboard_orgs_validate, VX_ROLE_MEMBERS},
    {VX_SUBJECT_TEAM_LIST, dashboard_team_list, VX_ROLE_OWNER},
    {VX_SUBJECT_TEAM_INVITE, dashboard_team_invite, VX_ROLE_OWNER},
    {VX_SUBJECT_TEAM_INVITE_REVOKE, dashboard_team_invite_revoke, VX_ROLE_OWNER},
    {VX_SUBJECT_TEAM_UPDATE, dashboard_team_update, VX_ROLE_OWNER},
    {VX_SUBJECT_TEAM_REMOVE, dashboard_team_remove, VX_ROLE_OWNER},
    {VX_SUBJECT_CALLS_LIST, dashboard_calls_list, VX_ROLE_MEMBERS},
    {VX_SUBJECT_CALLS_STATS, dashboard_calls_stats, VX_ROLE_MEMBERS},
    {VX_SUBJECT_CALLS_GET, dashboard_calls_get, VX_ROLE_MEMBERS},
    {VX_SUBJECT_CONTACTS_LIST, dashboard_contacts_list, VX_ROLE_MEMBERS},
    {VX_SUBJECT_CONTACTS_STATS, dashboard_contacts_stats, VX_ROLE_MEMBERS},
    {VX_SUBJECT_CONTACTS_GET, dashboard_contacts_get, VX_ROLE_MEMBERS},
    {VX_SUBJECT_CONTACTS_CREATE, dashboard_contacts_create, VX_ROLE_MEMBERS},
    {VX_SUBJECT_CONTACTS_UPDATE, dashboard_contacts_update, VX_ROLE_MEMBERS},
    {VX_SUBJECT_CONTACTS_DELETE, dashboard_contacts_delete, VX_ROLE_MEMBERS},
    {VX_SUBJECT_CONTACTS_IMPORT, dashboard_contacts_import, VX_ROLE_MEMBERS},
    /* Every contact's details at once, or everything about one: the owner's. */
    {VX_SUBJECT_CONTACTS_EXPORT, dashboard_contacts_export, VX_ROLE_OWNER},
    {VX_SUBJECT_CONTACTS_GDPR_EXPORT, dashboard_gdpr_export, VX_ROLE_OWNER},
    {VX_SUBJECT_CONTACTS_CALL, dashboard_contacts_call, VX_ROLE_MEMBERS},
    {VX_SUBJECT_APPOINTMENTS_LIST, dashboard_appointments_list, VX_ROLE_MEMBERS},
    {VX_SUBJECT_APPOINTMENTS_CREATE, dashboard_appointments_create, VX_ROLE_MEMBERS},
    {VX_SUBJECT_APPOINTMENTS_UPDATE, dashboard_appointments_update, VX_ROLE_MEMBERS},
    {VX_SUBJECT_APPOINTMENTS_RESCHEDULE, dashboard_appointments_reschedule, VX_ROLE_MEMBERS},
    {VX_SUBJECT_APPOINTMENTS_CANCEL, dashboard_appointments_cancel, VX_ROLE_MEMBERS},
    /* Staff read the price list (they answer callers); only owners change it. */
    {VX_SUBJECT_SERVICES_LIST, dashboard_services_list, VX_ROLE_MEMBERS},
    {VX_SUBJECT_SERVICES_CREATE, dashboard_services_create, VX_ROLE_OWNER},
    {VX_SUBJECT_SERVICES_UPDATE, dashboard_services_update, VX_ROLE_OWNER},
    {VX_SUBJECT_SERVICES_DELETE, dashboard_services_delete, VX_ROLE_OWNER},
    {VX_SUBJECT_SETTINGS_NOTIFICATIONS, dashboard_settings_notifications_get, VX_ROLE_MEMBERS},
    {VX_SUBJECT_SETTINGS_NOTIFICATIONS_PUT, dashboard_settings_notifications_put, VX_ROLE_OWNER},
    {VX_SUBJECT_AUDIT_LIST, dashboard_audit_list, VX_ROLE_OWNER},
    /* Staff see how the agent answers and whether it is in sync; the owner configures it. */
    {VX_SUBJECT_AGENT_GET, dashboard_agent_get, VX_ROLE_MEMBERS},
    {VX_SUBJECT_AGENT_PUT, dashboard_agent_put, VX_ROLE_OWNER},
    {VX_SUBJECT_AGENT_SYNC, dashboard_agent_sync_get, VX_ROLE_MEMBERS},
};
#define NHANDLERS (sizeof(HANDLERS) / sizeof(HANDLERS[0]))

/* A public handler skips every access check, so it must serve exactly the
 * routes the gateway forwards without a token — and those must be public:
 * a token-less request reaching a handler that trusts the token's org would
 * run as no org at all. */
static int check_public_handlers(void)
{
    size_t nroutes;
    const vx_route *routes = vx_routes_table(&nroutes);
    int rc = 0;
    for (size_t i = 0; i < NHANDLERS; i++) {
        for (size_t r = 0; r < nroutes; r++) {
            if (strcmp(routes[r].subject, HANDLERS[i].subject) != 0)
                continue;
            bool public_route = routes[r].auth == VX_AUTH_SERVICE;
            if (public_route != (HANDLERS[i].roles == VX_ROLE_PUBLIC)) {
                vx_log_error(NULL, NULL, "handler and route disagree on who authenticates", "subject", HANDLERS[i].subject);
                rc = -1;
            }
        }
    }
    return rc;
}

int dashboard_check_routes(void)
{
    const char *subjects[NHANDLERS];
    for (size_t i = 0; i < NHANDLERS; i++)
        subjects[i] = HANDLERS[i].subject;
    int rc = vx_routes_check_service("dashboard", subjects, NHANDLERS);
    return check_public_handlers() == 0 ? rc : -1;
}

static void dispatch(void *state, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    dashboard_worker *w = state;
    for (size_t i = 0; i < NHANDLERS; i++) {
        if (strcmp(req->route, HANDLERS[i].subject) == 0) {
            if (HANDLERS[i].roles == VX_ROLE_PUBLIC ||
                (vx_access_token(req, HANDLERS[i].roles, reply) && vx_access_org(w->pg, req, reply)))
                HANDLERS[i].handler(w->pg, req, reply);
            return;
        }
    }
    vx_log_warn(req->request_id, NULL, "no dashboard handler for subject", "subject", req->route);
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

dashboard_worker *dashboard_worker_create(const char *database_url)
{
    dashboard_worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        abort();
    w->pg = vx_pg_create(database_url);
    vx_access_prepare(w->pg);
    vx_audit_prepare(w->pg);
    dashboard_agent_prepare(w->pg);
    dashboard_appointments_prepare(w->pg);
    dashboard_audit_prepare(w->pg);
    dashboard_auth_prepare(w->pg);
    dashboard_calls_prepare(w->pg);
    dashboard_contact_call_prepare(w->pg);
    dashboard_contacts_prepare(w->pg);
    dashboard_contacts_csv_prepare(w->pg);
    dashboard_gdpr_prepare(w->pg);
    dashboard_services_prepare(w->pg);
    dashboard_settings_prepare(w->pg);
    dashboard_team_prepare(w->pg);
    return w;
}

int dashboard_worker_start(dashboard_worker *w, natsConnection *nc)
{
    return vx_rpc_serve(nc, "dashboard", dispatch, worker_healthy, w, &w->served);
}

void dashboard_worker_stop(dashboard_worker *w)
{
    vx_served_sub_stop(&w->served);
    vx_served_sub_end(&w->served);
}

void dashboard_worker_destroy(dashboard_worker *w)
{
    if (w == NULL)
        return;
    dashboard_worker_stop(w);
    vx_pg_destroy(w->pg);
    free(w);
}
