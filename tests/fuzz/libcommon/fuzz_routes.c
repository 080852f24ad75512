/*
 * libFuzzer harness for vx_routes_match: arbitrary bytes as an HTTP method
 * and path (not NUL-terminated, in exact-size heap blocks, so an over-read is
 * an ASan report), matched against the suite's real table. Whatever comes in,
 * the answer must keep the matcher's promises:
 *   - FOUND / BAD_PARAM name a row whose method is exactly the request's, and
 *     every parameter points inside the path, within its length, and holds
 *     no '/'; a BAD_PARAM names one of the row's {name:uuid} parameters;
 *   - FOUND with a {…:uuid} parameter means it is a UUID;
 *   - NOT_FOUND / METHOD_NOT_ALLOWED leave no route behind;
 *   - METHOD_NOT_ALLOWED only when the same path with some row's own
 *     method is FOUND or BAD_PARAM (the path is known).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vx_routes.h"
#include "vx_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dup_bytes(const uint8_t *p, size_t n)
{
    char *s = malloc(n > 0 ? n : 1);
    if (s == NULL)
        abort();
    memcpy(s, p, n);
    return s;
}

static void check_params(const vx_route_match *m, const char *path, size_t path_len)
{
    if (m->nparams > VX_ROUTE_MAX_PARAMS)
        abort();
    for (size_t i = 0; i < m->nparams; i++) {
        const vx_route_param *p = &m->params[i];
        if (p->value < path || p->value + p->value_len > path + path_len || p->value_len == 0)
            abort();
        if (memchr(p->value, '/', p->value_len) != NULL)
            abort();
        if (p->name == NULL || p->name_len == 0 || strstr(m->route->pattern, "{") == NULL)
            abort();
    }
}

/* True when the pattern declares the parameter as {name:uuid}. */
static bool uuid_param(const char *pattern, const char *name, size_t name_len)
{
    for (const char *p = strchr(pattern, '{'); p != NULL; p = strchr(p + 1, '{'))
        if (strncmp(p + 1, name, name_len) == 0 && strncmp(p + 1 + name_len, ":uuid}", 6) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* First byte: how long the method is (0..15); the rest is the path. */
    size_t method_len = data[0] % 16;
    if (method_len > size - 1)
        method_len = size - 1;
    char *method = dup_bytes(data + 1, method_len);
    size_t path_len = size - 1 - method_len;
    char *path = dup_bytes(data + 1 + method_len, path_len);

    size_t count;
    const vx_route *table = vx_routes_table(&count);
    vx_route_match m;
    memset(&m, 0, sizeof(m));
    vx_route_match_status st = vx_routes_match(table, count, method, method_len, path, path_len, &m);
    switch (st) {
    case VX_ROUTE_FOUND:
    case VX_ROUTE_BAD_PARAM:
        if (m.route == NULL || strlen(m.route->method) != method_len || memcmp(m.route->method, method, method_len) != 0)
            abort();
        check_params(&m, path, path_len);
        if (st == VX_ROUTE_BAD_PARAM && (m.bad_param == NULL || !uuid_param(m.route->pattern, m.bad_param, m.bad_param_len)))
            abort();
        for (size_t i = 0; st == VX_ROUTE_FOUND && i < m.nparams; i++)
            if (uuid_param(m.route->pattern, m.params[i].name, m.params[i].name_len) &&
                !vx_is_uuid(m.params[i].value, m.params[i].value_len))
                abort();
        break;
    case VX_ROUTE_METHOD_NOT_ALLOWED: {
        if (m.route != NULL)
            abort();
        bool known = false;
        for (size_t i = 0; i < count && !known; i++) {
            vx_route_match other;
            memset(&other, 0, sizeof(other));
            vx_route_match_status s =
                vx_routes_match(table, count, table[i].method, strlen(table[i].method), path, path_len, &other);
            known = s == VX_ROUTE_FOUND || s == VX_ROUTE_BAD_PARAM;
        }
        if (!known)
            abort();
        break;
    }
    case VX_ROUTE_NOT_FOUND:
        if (m.route != NULL)
            abort();
        break;
    default:
        abort();
    }
    free(method);
    free(path);
    return 0;
}
