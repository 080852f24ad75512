/*
 * vapi_control: Live Call Control over libcurl (see vapi_control.h).
 *
 * Design: the URL check is a parse of exactly what must be true — an http(s)
 * scheme, a host that ends where the port, path, query or fragment begins
 * (no userinfo, so "https://vapi.ai@evil.example/" is refused), a port, and
 * a path with no dot segment or backslash that a server could resolve
 * elsewhere — then either https and a host under vapi.ai, or an entry of the
 * operator's list with the same scheme, host and port whose path is a prefix
 * ending at a segment boundary (never a string prefix: a longer port, a
 * userinfo or "/../" used to walk past one). The command is one POST through vx_http (shared with the
 * Google client): no retries, a caller is waiting; any 2xx is success, and
 * a failure is logged with the status or network error, never the URL,
 * which is the call's credential.
 */
#include "clients/vapi_control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vx_http.h"
#include "vx_log.h"

#define MAX_ANSWER_BYTES (64 * 1024)

/* An http(s) URL taken apart: scheme, host, port and the rest. */
typedef struct url_parts {
    bool https;
    const char *host; /* not NUL-terminated: host_len bytes */
    size_t host_len;
    long port;        /* the scheme's default when absent */
    const char *path; /* "" or "/…", up to the end (query and fragment included) */
    size_t path_len;  /* the path alone, without "?…" or "#…" */
} url_parts;

/* True when a path has no dot segment ("." / "..", also percent-encoded), no
 * backslash, space or control character: nothing a server may resolve to
 * another path than the one compared. */
static bool path_is_plain(const char *path)
{
    for (const char *p = path; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || c == '\\')
            return false;
        if (c == '%' && p[1] == '2' && (p[2] == 'e' || p[2] == 'E'))
            return false;
    }
    size_t len = strcspn(path, "?#");
    for (size_t i = 0; i < len;) {
        size_t start = i + 1, end = start;
        while (end < len && path[end] != '/')
            end++;
        size_t seg = end - start;
        if ((seg == 1 && path[start] == '.') || (seg == 2 && path[start] == '.' && path[start + 1] == '.'))
            return false;
        i = end;
    }
    return true;
}

/* Splits an http or https URL with a plain path; false for anything else:
 * another scheme, userinfo ("https://vapi.ai@evil.example/"), an empty or
 * bracketed host, a port that is not 1..65535, a path that is not plain. */
static bool url_split(const char *url, url_parts *u)
{
    const char *rest;
    if (strncasecmp(url, "https://", 8) == 0) {
        u->https = true;
        rest = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        u->https = false;
        rest = url + 7;
    } else {
        return false;
    }
    size_t authority = strcspn(rest, "/?#");
    if (memchr(rest, '@', authority) != NULL || memchr(rest, '[', authority) != NULL || authority == 0)
        return false;
    const char *colon = memchr(rest, ':', authority);
    u->host = rest;
    u->host_len = colon != NULL ? (size_t)(colon - rest) : authority;
    if (u->host_len == 0)
        return false;
    u->port = u->https ? 443 : 80;
    if (colon != NULL) {
        size_t digits = authority - u->host_len - 1;
        if (digits == 0 || digits > 5)
            return false;
        long port = 0;
        for (size_t i = 1; i <= digits; i++) {
            if (colon[i] < '0' || colon[i] > '9')
                return false;
            port = port * 10 + (colon[i] - '0');
        }
        if (port < 1 || port > 65535)
            return false;
        u->port = port;
    }
    u->path = rest + authority;
    u->path_len = strcspn(u->path, "?#");
    return path_is_plain(u->path);
}

/* True when host (len bytes, no port) is vapi.ai or a name under it. */
static bool is_vapi_host(const char *host, size_t len)
{
    static const char domain[] = "vapi.ai";
    size_t d = sizeof(domain) - 1;
    if (len == d)
        return strncasecmp(host, domain, d) == 0;
    return len > d + 1 && host[len - d - 1] == '.' && strncasecmp(host + len - d, domain, d) == 0;
}

/* True when url lies under the trusted entry (len bytes of the allow list):
 * the same scheme, host and port, and a path that starts with the entry's at
 * a segment boundary ("/calls" covers "/calls/1", not "/callsx"). */
static bool under_entry(const url_parts *u, const char *entry, size_t len)
{
    char buf[512];
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, entry, len);
    buf[len] = '\0';
    url_parts e;
    if (!url_split(buf, &e) || e.path_len != strlen(e.path)) /* an entry has no query */
        return false;
    if (e.https != u->https || e.port != u->port || e.host_len != u->host_len || strncasecmp(e.host, u->host, e.host_len) != 0)
        return false;
    if (u->path_len < e.path_len || strncmp(u->path, e.path, e.path_len) != 0)
        return false;
    return e.path_len == 0 || e.path[e.path_len - 1] == '/' || u->path_len == e.path_len || u->path[e.path_len] == '/';
}

bool vapi_control_url_allowed(const char *url, const char *allow)
{
    url_parts u;
    if (url == NULL || !url_split(url, &u))
        return false;
    if (u.https && is_vapi_host(u.host, u.host_len))
        return true;
    for (const char *p = allow; p != NULL && *p != '\0';) {
        size_t n = strcspn(p, ",");
        if (under_entry(&u, p, n))
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

int vapi_control_transfer(const char *control_url, const cJSON *destination, const char *content, long timeout_ms,
                          const char *request_id, const char *org_id)
{
    cJSON *cmd = cJSON_CreateObject();
    cJSON_AddStringToObject(cmd, "type", "transfer");
    cJSON_AddItemToObject(cmd, "destination", cJSON_Duplicate(destination, true));
    if (content != NULL)
        cJSON_AddStringToObject(cmd, "content", content);
    char *body = cJSON_PrintUnformatted(cmd);
    cJSON_Delete(cmd);
    const char *headers[] = {"Content-Type: application/json", "Accept: application/json", NULL};
    vx_http_request req = {
        .method = "POST",
        .url = control_url,
        .headers = headers,
        .body = body,
        .timeout_ms = timeout_ms,
        .max_answer_bytes = MAX_ANSWER_BYTES,
    };
    vx_http_answer answer;
    const char *error = NULL;
    int rc = vx_http_perform(&req, &answer, &error);
    free(body);
    if (rc != 0) {
        vx_log_warn(request_id, org_id, "live call transfer failed", "error", error);
        return -1;
    }
    long status = answer.status;
    vx_buf_free(&answer.body);
    if (status < 200 || status > 299) {
        char s[16];
        snprintf(s, sizeof(s), "%ld", status);
        vx_log_warn(request_id, org_id, "live call transfer refused", "http_status", s);
        return -1;
    }
    return 0;
}
