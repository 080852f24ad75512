/*
 * routes: the table and a small segment matcher.
 *
 * Matching walks the table in order and compares path segments; there are a
 * few dozen routes, so a linear scan costs less than the hash it would need.
 * A path that matches a pattern but with the wrong method is remembered so the
 * answer can be 405 instead of 404.
 */
#include "routes.h"

#include <stdbool.h>
#include <string.h>

#include "vx_validate.h"

static const route ROUTES[] = {
    {"health", "GET", "/health", AUTH_NONE, TARGET_HEALTH, NULL},
    {"ready", "GET", "/ready", AUTH_NONE, TARGET_READY, NULL},
    {"metrics", "GET", "/metrics", AUTH_NONE, TARGET_METRICS, NULL},
    {"vapi.webhook", "POST", "/api/vapi/webhook", AUTH_VAPI, TARGET_VAPI_WEBHOOK, NULL},
    {"vapi.tool", "POST", "/api/vapi/tools/{tool}", AUTH_VAPI, TARGET_VAPI_TOOL, "rpc.tools.call"},
    {"calls.list", "GET", "/api/calls", AUTH_DASHBOARD, TARGET_RPC, "rpc.dashboard.calls.list"},
    {"calls.get", "GET", "/api/calls/{id:uuid}", AUTH_DASHBOARD, TARGET_RPC, "rpc.dashboard.calls.get"},
};

const route *routes_table(size_t *count)
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
static seg_result match_pattern(const char *pattern, const char *path, size_t path_len, route_match *out)
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
            if (slen == 0 || out->nparams == ROUTE_MAX_PARAMS)
                return SEG_MISMATCH;
            if (is_uuid && !vx_is_uuid(sseg, slen) && result == SEG_MATCH) {
                result = SEG_BAD_PARAM;
                out->bad_param = name;
                out->bad_param_len = name_len;
            }
            out->params[out->nparams++] = (route_param){name, name_len, sseg, slen};
        } else if (plen != slen || memcmp(pseg, sseg, plen) != 0) {
            return SEG_MISMATCH;
        }
    }
    return result;
}

route_match_status routes_match(const route *table, size_t count, const char *method, size_t method_len, const char *path,
                                size_t path_len, route_match *out)
{
    bool path_known = false;
    /* A trailing slash is not a different resource. */
    if (path_len > 1 && path[path_len - 1] == '/')
        path_len--;
    for (size_t i = 0; i < count; i++) {
        route_match m = {0};
        seg_result r = match_pattern(table[i].pattern, path, path_len, &m);
        if (r == SEG_MISMATCH)
            continue;
        if (strlen(table[i].method) != method_len || memcmp(table[i].method, method, method_len) != 0) {
            path_known = true;
            continue;
        }
        *out = m;
        out->route = &table[i];
        return r == SEG_BAD_PARAM ? ROUTE_BAD_PARAM : ROUTE_FOUND;
    }
    return path_known ? ROUTE_METHOD_NOT_ALLOWED : ROUTE_NOT_FOUND;
}
