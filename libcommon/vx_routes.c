/*
 * vx_routes: the table, a small segment matcher and the services' start-up
 * check (see vx_routes.h).
 *
 * Matching walks the table in order and compares path segments; there are a
 * few dozen routes, so a linear scan costs less than the hash it would need.
 * A path that matches a pattern but with the wrong method is remembered so the
 * answer can be 405 instead of 404.
 */
#include "vx_routes.h"

#include <stdbool.h>
#include <string.h>

#include "vx_log.h"
#include "vx_validate.h"

static const vx_route ROUTES[] = {
    {"GET", "/health", VX_AUTH_NONE, VX_TARGET_HEALTH, "gateway.health", false, 0},
    {"GET", "/ready", VX_AUTH_OPERATOR_DETAILS, VX_TARGET_READY, "gateway.ready", false, 0},
    {"GET", "/metrics", VX_AUTH_OPERATOR, VX_TARGET_METRICS, "gateway.metrics", false, 0},
    {"POST", "/api/vapi/webhook", VX_AUTH_VAPI, VX_TARGET_VAPI_WEBHOOK, VX_SUBJECT_TOOLS_WEBHOOK, false, 0},
    {"POST", "/api/vapi/tools/{tool}", VX_AUTH_VAPI, VX_TARGET_VAPI_TOOL, VX_SUBJECT_TOOLS_TOOL, false, 0},
    {"GET", "/api/events", VX_AUTH_DASHBOARD, VX_TARGET_EVENTS, "gateway.events", false, 0},
    {"GET", "/api/calls", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_CALLS_LIST, false, 0},
    {"GET", "/api/calls/stats", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_CALLS_STATS, false, 0},
    {"GET", "/api/calls/{id:uuid}", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_CALLS_GET, false, 0},
    {"GET", "/api/contacts", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_CONTACTS_LIST, false, 0},
    {"POST", "/api/contacts", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_CONTACTS_CREATE, false, 0},
    {"GET", "/api/contacts/stats", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_CONTACTS_STATS, false, 0},
    /* 10,000 rows with notes are more than the default megabyte. */
    {"POST", "/api/contacts/import", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_CONTACTS_IMPORT, false, VX_ROUTE_BODY_MAX},
    {"GET", "/api/contacts/export", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_CONTACTS_EXPORT, false, 0},
    {"GET", "/api/contacts/{id:uuid}/export", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_CONTACTS_GDPR_EXPORT, false, 0},
    {"POST", "/api/contacts/{id:uuid}/call", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_CONTACTS_CALL, true, 0},
    {"GET", "/api/contacts/{id:uuid}", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_CONTACTS_GET, false, 0},
    {"PATCH", "/api/contacts/{id:uuid}", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_CONTACTS_UPDATE, false, 0},
    {"DELETE", "/api/contacts/{id:uuid}", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_CONTACTS_DELETE, false, 0},
    {"GET", "/api/appointments", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_APPOINTMENTS_LIST, false, 0},
    {"POST", "/api/appointments", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_APPOINTMENTS_CREATE, false, 0},
    {"PATCH", "/api/appointments/{id:uuid}", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_APPOINTMENTS_UPDATE, false, 0},
    {"POST", "/api/appointments/{id:uuid}/reschedule", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_APPOINTMENTS_RESCHEDULE, false,
     0},
    {"POST", "/api/appointments/{id:uuid}/cancel", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_APPOINTMENTS_CANCEL, false, 0},
    {"GET", "/api/services", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_SERVICES_LIST, false, 0},
    {"POST", "/api/services", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_SERVICES_CREATE, false, 0},
    {"PATCH", "/api/services/{id:uuid}", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_SERVICES_UPDATE, false, 0},
    {"DELETE", "/api/services/{id:uuid}", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_SERVICES_DELETE, false, 0},
    {"GET", "/api/settings/notifications", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_SETTINGS_NOTIFICATIONS, false, 0},
    {"PUT", "/api/settings/notifications", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_SETTINGS_NOTIFICATIONS_PUT, false, 0},
    {"GET", "/api/agent", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_AGENT_GET, false, 0},
    {"PUT", "/api/agent", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_AGENT_PUT, false, 0},
    {"GET", "/api/agent/sync", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_AGENT_SYNC, false, 0},
    {"GET", "/api/audit", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_AUDIT_LIST, false, 0},
    {"POST", "/api/auth/signup", VX_AUTH_SERVICE, VX_TARGET_RPC, VX_SUBJECT_AUTH_SIGNUP, false, 0},
    {"POST", "/api/auth/login", VX_AUTH_SERVICE, VX_TARGET_RPC, VX_SUBJECT_AUTH_LOGIN, false, 0},
    {"POST", "/api/auth/refresh", VX_AUTH_SERVICE, VX_TARGET_RPC, VX_SUBJECT_AUTH_REFRESH, false, 0},
    {"POST", "/api/auth/logout", VX_AUTH_SERVICE, VX_TARGET_RPC, VX_SUBJECT_AUTH_LOGOUT, false, 0},
    {"POST", "/api/auth/invitations/accept", VX_AUTH_SERVICE, VX_TARGET_RPC, VX_SUBJECT_AUTH_ACCEPT_INVITE, false, 0},
    {"GET", "/api/orgs/validate", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_ORGS_VALIDATE, false, 0},
    {"GET", "/api/team", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_TEAM_LIST, false, 0},
    {"POST", "/api/team/invitations", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_TEAM_INVITE, false, 0},
    {"DELETE", "/api/team/invitations/{id:uuid}", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_TEAM_INVITE_REVOKE, false, 0},
    {"PATCH", "/api/team/{id:uuid}", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_TEAM_UPDATE, false, 0},
    {"DELETE", "/api/team/{id:uuid}", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_TEAM_REMOVE, false, 0},
    {"GET", "/api/integrations", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_INTEGRATIONS_LIST, false, 0},
    {"POST", "/api/integrations/twilio", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_INTEGRATIONS_TWILIO_CONNECT, true, 0},
    {"DELETE", "/api/integrations/twilio", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_INTEGRATIONS_TWILIO_DELETE, true, 0},
    {"GET", "/api/integrations/google/authorize", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_INTEGRATIONS_GOOGLE_AUTHORIZE, false,
     0},
    {"GET", "/api/integrations/google/callback", VX_AUTH_SERVICE, VX_TARGET_RPC, VX_SUBJECT_INTEGRATIONS_GOOGLE_CALLBACK, true, 0},
    {"GET", "/api/knowledge-base/documents", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_KB_DOCUMENTS_LIST, false, 0},
    /* A PDF of up to 10 MiB (issue 14): only this route takes that much, and
     * reading one may take seconds (pdf-text's own limit is 20 s). */
    {"POST", "/api/knowledge-base/documents", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_KB_DOCUMENTS_CREATE, true,
     VX_ROUTE_BODY_MAX},
    {"GET", "/api/knowledge-base/documents/{id:uuid}", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_KB_DOCUMENTS_GET, false, 0},
    {"DELETE", "/api/knowledge-base/documents/{id:uuid}", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_KB_DOCUMENTS_DELETE, false,
     0},
    {"GET", "/api/knowledge-base/search", VX_AUTH_DASHBOARD, VX_TARGET_RPC, VX_SUBJECT_KB_SEARCH, false, 0},
};

size_t vx_routes_largest_body(const vx_route *table, size_t count)
{
    size_t largest = 0;
    for (size_t i = 0; i < count; i++)
        if (table[i].max_body_bytes > largest)
            largest = table[i].max_body_bytes;
    return largest;
}

const vx_route *vx_routes_table(size_t *count)
{
    *count = sizeof(ROUTES) / sizeof(ROUTES[0]);
    return ROUTES;
}

/* Takes the next '/'-separated segment of [*p, end); returns its length and advances *p past it. */
static size_t next_segment(const char **p, const char *end, const char **seg)
{
    if (*p < end && **p == '/')
        (*p)++;
    *seg = *p;
    while (*p < end && **p != '/')
        (*p)++;
    return (size_t)(*p - *seg);
}

typedef enum { SEG_MISMATCH, SEG_MATCH, SEG_BAD_PARAM } seg_result;

/* Matches path against pattern, collecting parameters into out. */
static seg_result match_pattern(const char *pattern, const char *path, size_t path_len, vx_route_match *out)
{
    const char *pp = pattern, *pend = pattern + strlen(pattern);
    const char *sp = path, *send = path + path_len;
    seg_result result = SEG_MATCH;
    out->nparams = 0;
    while (pp < pend || sp < send) {
        const char *pseg, *sseg;
        size_t plen = next_segment(&pp, pend, &pseg);
        size_t slen = next_segment(&sp, send, &sseg);
        if (plen >= 2 && pseg[0] == '{' && pseg[plen - 1] == '}') {
            const char *name = pseg + 1;
            size_t name_len = plen - 2;
            const char *colon = memchr(name, ':', name_len);
            bool is_uuid = false;
            if (colon != NULL) {
                is_uuid = (size_t)(name + name_len - colon - 1) == 4 && memcmp(colon + 1, "uuid", 4) == 0;
                name_len = (size_t)(colon - name);
            }
            if (slen == 0 || out->nparams == VX_ROUTE_MAX_PARAMS)
                return SEG_MISMATCH;
            if (is_uuid && !vx_is_uuid(sseg, slen) && result == SEG_MATCH) {
                result = SEG_BAD_PARAM;
                out->bad_param = name;
                out->bad_param_len = name_len;
            }
            out->params[out->nparams++] = (vx_route_param){name, name_len, sseg, slen};
        } else if (plen != slen || memcmp(pseg, sseg, plen) != 0) {
            return SEG_MISMATCH;
        }
    }
    return result;
}

vx_route_match_status vx_routes_match(const vx_route *table, size_t count, const char *method, size_t method_len, const char *path,
                                      size_t path_len, vx_route_match *out)
{
    bool path_known = false;
    /* A trailing slash is not a different resource. */
    if (path_len > 1 && path[path_len - 1] == '/')
        path_len--;
    for (size_t i = 0; i < count; i++) {
        vx_route_match m = {0};
        seg_result r = match_pattern(table[i].pattern, path, path_len, &m);
        if (r == SEG_MISMATCH)
            continue;
        if (strlen(table[i].method) != method_len || memcmp(table[i].method, method, method_len) != 0) {
            path_known = true;
            continue;
        }
        *out = m;
        out->route = &table[i];
        return r == SEG_BAD_PARAM ? VX_ROUTE_BAD_PARAM : VX_ROUTE_FOUND;
    }
    return path_known ? VX_ROUTE_METHOD_NOT_ALLOWED : VX_ROUTE_NOT_FOUND;
}

/* True when subject is "rpc.<service>.<something>". */
static bool subject_of(const char *subject, const char *service)
{
    size_t n = strlen(service);
    return strncmp(subject, "rpc.", 4) == 0 && strncmp(subject + 4, service, n) == 0 && subject[4 + n] == '.' &&
           subject[5 + n] != '\0';
}

int vx_routes_check_table(const vx_route *table, size_t count, const char *service, const char *const *subjects, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        if (!subject_of(table[i].subject, service))
            continue;
        bool handled = false;
        for (size_t j = 0; j < n && !handled; j++)
            handled = strcmp(table[i].subject, subjects[j]) == 0;
        if (!handled) {
            vx_log_error(NULL, NULL, "a route of this service has no handler", "subject", table[i].subject, "method",
                         table[i].method, "path", table[i].pattern);
            rc = -1;
        }
    }
    for (size_t j = 0; j < n; j++) {
        bool routed = false;
        for (size_t i = 0; i < count && !routed; i++)
            routed = strcmp(table[i].subject, subjects[j]) == 0;
        if (!routed || !subject_of(subjects[j], service)) {
            vx_log_error(NULL, NULL, "a handler of this service has no route", "subject", subjects[j], "service", service);
            rc = -1;
        }
    }
    return rc;
}

int vx_routes_check_service(const char *service, const char *const *subjects, size_t n)
{
    size_t count;
    const vx_route *table = vx_routes_table(&count);
    return vx_routes_check_table(table, count, service, subjects, n);
}
