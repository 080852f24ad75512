/*
 * vx_routes: the suite's HTTP API in one table — one row per route: method,
 * path pattern, how the caller authenticates, what the gateway does with it,
 * and its subject.
 *
 * The subject is the one key from route to handler, as Redis keeps a
 * command's name and function in one row: the gateway sends a route's
 * request on the row's subject (and puts the same subject in
 * GatewayRequest.route), and the service that serves the subject dispatches
 * on it (vx_rpc makes GatewayRequest.route the subject the message arrived
 * on, whatever the sender wrote). A service checks its handler table against
 * this one at start-up (vx_routes_check_service) and refuses to start when
 * a route of its own has no handler or a handler no route — so renaming a
 * route cannot silently 404. Subjects are named by the VX_SUBJECT_* macros
 * below, which both sides use.
 *
 * Gateway-local routes (health, readiness, metrics, the events stream) have
 * a "gateway.<name>" subject that is never sent anywhere: it is their label
 * in logs and metrics.
 * Only liveness is anonymous: metrics name every route and its traffic, and
 * readiness details name the services behind the gateway, so both are the
 * operator's (VX_AUTH_OPERATOR, VX_AUTH_OPERATOR_DETAILS).
 *
 * Adding a route: a row in vx_routes.c and, for a new subject, a macro here
 * and a handler in the service; the gateway's code does not change.
 */
#ifndef VX_ROUTES_H
#define VX_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

/* Call-time Vapi messages from the webhook (tool-calls, function-call,
 * assistant-request, …: see vx_vapi_message_kind) and the per-tool URLs. */
#define VX_SUBJECT_TOOLS_WEBHOOK "rpc.tools.webhook"
#define VX_SUBJECT_TOOLS_TOOL    "rpc.tools.tool"
/* The dashboard's calls. */
#define VX_SUBJECT_CALLS_LIST  "rpc.dashboard.calls.list"
#define VX_SUBJECT_CALLS_GET   "rpc.dashboard.calls.get"
#define VX_SUBJECT_CALLS_STATS "rpc.dashboard.calls.stats"
/* The dashboard's contacts (the org's callers and leads). */
#define VX_SUBJECT_CONTACTS_LIST   "rpc.dashboard.contacts.list"
#define VX_SUBJECT_CONTACTS_STATS  "rpc.dashboard.contacts.stats"
#define VX_SUBJECT_CONTACTS_GET    "rpc.dashboard.contacts.get"
#define VX_SUBJECT_CONTACTS_CREATE "rpc.dashboard.contacts.create"
#define VX_SUBJECT_CONTACTS_UPDATE "rpc.dashboard.contacts.update"
#define VX_SUBJECT_CONTACTS_DELETE "rpc.dashboard.contacts.delete"
/* Contacts in bulk: CSV import and export; a contact's GDPR export (Art.
 * 15/20; the erasure is DELETE /api/contacts/{id}?erase=true); a call-back. */
#define VX_SUBJECT_CONTACTS_IMPORT      "rpc.dashboard.contacts.import"
#define VX_SUBJECT_CONTACTS_EXPORT      "rpc.dashboard.contacts.export"
#define VX_SUBJECT_CONTACTS_GDPR_EXPORT "rpc.dashboard.contacts.gdpr_export"
#define VX_SUBJECT_CONTACTS_CALL        "rpc.dashboard.contacts.call"
/* The org's appointments. */
#define VX_SUBJECT_APPOINTMENTS_LIST       "rpc.dashboard.appointments.list"
#define VX_SUBJECT_APPOINTMENTS_CREATE     "rpc.dashboard.appointments.create"
#define VX_SUBJECT_APPOINTMENTS_UPDATE     "rpc.dashboard.appointments.update"
#define VX_SUBJECT_APPOINTMENTS_RESCHEDULE "rpc.dashboard.appointments.reschedule"
#define VX_SUBJECT_APPOINTMENTS_CANCEL     "rpc.dashboard.appointments.cancel"
/* Built-in sign-in (VX_AUTH_SERVICE: dashboard-api checks the password,
 * refresh token or invitation itself) and the signed-in user's org. */
#define VX_SUBJECT_AUTH_SIGNUP        "rpc.dashboard.auth.signup"
#define VX_SUBJECT_AUTH_LOGIN         "rpc.dashboard.auth.login"
#define VX_SUBJECT_AUTH_REFRESH       "rpc.dashboard.auth.refresh"
#define VX_SUBJECT_AUTH_LOGOUT        "rpc.dashboard.auth.logout"
#define VX_SUBJECT_AUTH_ACCEPT_INVITE "rpc.dashboard.auth.accept_invite"
#define VX_SUBJECT_ORGS_VALIDATE      "rpc.dashboard.orgs.validate"
/* The org's team (owners): members, invitations, roles. */
#define VX_SUBJECT_TEAM_LIST          "rpc.dashboard.team.list"
#define VX_SUBJECT_TEAM_INVITE        "rpc.dashboard.team.invite"
#define VX_SUBJECT_TEAM_INVITE_REVOKE "rpc.dashboard.team.invite_revoke"
#define VX_SUBJECT_TEAM_UPDATE        "rpc.dashboard.team.update"
#define VX_SUBJECT_TEAM_REMOVE        "rpc.dashboard.team.remove"
/* The org's priced services, and the owner's notification preferences. */
#define VX_SUBJECT_SERVICES_LIST              "rpc.dashboard.services.list"
#define VX_SUBJECT_SERVICES_CREATE            "rpc.dashboard.services.create"
#define VX_SUBJECT_SERVICES_UPDATE            "rpc.dashboard.services.update"
#define VX_SUBJECT_SERVICES_DELETE            "rpc.dashboard.services.delete"
#define VX_SUBJECT_SETTINGS_NOTIFICATIONS     "rpc.dashboard.settings.notifications.get"
#define VX_SUBJECT_SETTINGS_NOTIFICATIONS_PUT "rpc.dashboard.settings.notifications.put"
/* The agent's configuration (owners change it; staff read it) and where its
 * sync to Vapi stands. */
#define VX_SUBJECT_AGENT_GET  "rpc.dashboard.agent.get"
#define VX_SUBJECT_AGENT_PUT  "rpc.dashboard.agent.put"
#define VX_SUBJECT_AGENT_SYNC "rpc.dashboard.agent.sync"
/* The organization's audit log (owners). */
#define VX_SUBJECT_AUDIT_LIST "rpc.dashboard.audit.list"
/* The owner's integrations (credential-vault: the only service that holds
 * the secrets behind them, so the only one that can validate and store them). */
#define VX_SUBJECT_INTEGRATIONS_LIST             "rpc.integrations.list"
#define VX_SUBJECT_INTEGRATIONS_TWILIO_CONNECT   "rpc.integrations.twilio.connect"
#define VX_SUBJECT_INTEGRATIONS_TWILIO_DELETE    "rpc.integrations.twilio.delete"
#define VX_SUBJECT_INTEGRATIONS_GOOGLE_AUTHORIZE "rpc.integrations.google.authorize"
#define VX_SUBJECT_INTEGRATIONS_GOOGLE_CALLBACK  "rpc.integrations.google.callback"
/* rag-search: the knowledge base (its NATS service is "kb"; rpc.rag.search is tool-router's, not a route). */
#define VX_SUBJECT_KB_DOCUMENTS_LIST   "rpc.kb.documents.list"
#define VX_SUBJECT_KB_DOCUMENTS_CREATE "rpc.kb.documents.create"
#define VX_SUBJECT_KB_DOCUMENTS_GET    "rpc.kb.documents.get"
#define VX_SUBJECT_KB_DOCUMENTS_DELETE "rpc.kb.documents.delete"
#define VX_SUBJECT_KB_SEARCH           "rpc.kb.search"

typedef enum {
    VX_AUTH_NONE,             /* anyone: liveness (/health) only */
    VX_AUTH_VAPI,             /* the HMAC signature when configured, else x-vapi-secret or the bearer secret */
    VX_AUTH_DASHBOARD,        /* Authorization: Bearer <HS256 JWT> with app_metadata.org_id */
    VX_AUTH_OPERATOR,         /* Authorization: Bearer <METRICS_TOKEN>; 404 when no token is configured */
    VX_AUTH_OPERATOR_DETAILS, /* anyone, but only the operator's bearer token unlocks the details of the answer (/ready) */
    VX_AUTH_SERVICE,          /* the service authenticates the request itself (Google's OAuth callback: its signed state);
                                 forwarded without an auth context, and only this kind may answer with a redirect */
} vx_route_auth;

typedef enum {
    VX_TARGET_RPC,          /* request/reply on the subject with a GatewayRequest */
    VX_TARGET_VAPI_WEBHOOK, /* call-time messages request/reply on the subject, the rest to JetStream */
    VX_TARGET_VAPI_TOOL,    /* one tool's own URL: request/reply on the subject, sayable fallback in both formats */
    VX_TARGET_HEALTH,       /* answered by the gateway itself */
    VX_TARGET_READY,
    VX_TARGET_METRICS,
    VX_TARGET_EVENTS, /* the org's Server-Sent Events stream, served by the gateway from JetStream (never forwarded) */
} vx_route_target;

typedef struct vx_route {
    const char *method;  /* "GET", "POST", … */
    const char *pattern; /* "/api/calls/{id:uuid}"; {name} matches one segment, {name:uuid} a UUID */
    vx_route_auth auth;
    vx_route_target target;
    const char *subject; /* the key: "rpc.<service>.<operation>", or "gateway.<name>" for local routes */
    /* The service calls outside providers (Twilio, Vapi, Google) while the
     * client waits, or does work that may take seconds (a PDF read): the
     * gateway gives it GATEWAY_PROVIDER_TIMEOUT_MS instead of
     * GATEWAY_UPSTREAM_TIMEOUT_MS. */
    bool waits_on_providers;
    /* The largest body the route takes; 0: the gateway's GATEWAY_MAX_BODY_BYTES.
     * For the few uploads that need more (a CSV of 10,000 contacts). At most
     * VX_ROUTE_BODY_MAX: the envelope must fit one NATS message (max_payload
     * 12 MB in deploy/ and deploy/local/infra.sh: 10 MiB and the envelope). */
    size_t max_body_bytes;
} vx_route;

#define VX_ROUTE_BODY_MAX ((size_t)10 << 20)

#define VX_ROUTE_MAX_PARAMS 4

typedef struct vx_route_param {
    const char *name;
    size_t name_len;
    const char *value; /* points into the request path */
    size_t value_len;
} vx_route_param;

typedef enum {
    VX_ROUTE_FOUND = 0,
    VX_ROUTE_NOT_FOUND = 1,
    VX_ROUTE_METHOD_NOT_ALLOWED = 2,
    VX_ROUTE_BAD_PARAM = 3, /* the path matched but a typed parameter (uuid) is malformed */
} vx_route_match_status;

typedef struct vx_route_match {
    const vx_route *route;
    vx_route_param params[VX_ROUTE_MAX_PARAMS];
    size_t nparams;
    const char *bad_param; /* for VX_ROUTE_BAD_PARAM: the parameter's name (points into the pattern) */
    size_t bad_param_len;
} vx_route_match;

/* The largest max_body_bytes of the table (0 when no route sets one). */
size_t vx_routes_largest_body(const vx_route *table, size_t count);

/* The suite's route table and its size. */
const vx_route *vx_routes_table(size_t *count);
/* Matches method and path (without query; need not be NUL-terminated)
 * against table. VX_ROUTE_FOUND and VX_ROUTE_BAD_PARAM fill out; the others
 * leave out->route NULL. A trailing slash is ignored. */
vx_route_match_status vx_routes_match(const vx_route *table, size_t count, const char *method, size_t method_len, const char *path,
                                      size_t path_len, vx_route_match *out);

/* Checks a service's handler table against the suite's route table: every
 * route whose subject is "rpc.<service>.…" must be among subjects[0..n), and
 * every entry of subjects must be such a route's subject. Logs each mismatch
 * (an error naming the route or handler) and returns 0 when they agree, -1
 * when not. A service's main refuses to start on -1. */
int vx_routes_check_service(const char *service, const char *const *subjects, size_t n);
/* The same check against any table (for tests). */
int vx_routes_check_table(const vx_route *table, size_t count, const char *service, const char *const *subjects, size_t n);

#endif
