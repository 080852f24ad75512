/*
 * vapi_control: Live Call Control over libcurl (see vapi_control.h).
 *
 * Design: the URL check is a parse of exactly what must be true — an https
 * scheme, a host that ends where the path, port, query or fragment begins
 * (no userinfo, so "https://vapi.ai@evil.example/" is refused) and is
 * vapi.ai or a name under it — or a plain prefix match against the
 * operator's list. The command is one POST through vx_http (shared with the
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

/* True when host (len bytes, no port) is vapi.ai or a name under it. */
static bool is_vapi_host(const char *host, size_t len)
{
    static const char domain[] = "vapi.ai";
    size_t d = sizeof(domain) - 1;
    if (len == d)
        return strncasecmp(host, domain, d) == 0;
    return len > d + 1 && host[len - d - 1] == '.' && strncasecmp(host + len - d, domain, d) == 0;
}

bool vapi_control_url_allowed(const char *url, const char *allow)
{
    if (url == NULL)
        return false;
    if (strncasecmp(url, "https://", 8) == 0) {
        const char *host = url + 8;
        size_t len = strcspn(host, "/:?#@");
        /* No userinfo ("https://vapi.ai@evil.example/"): the host must end where the path or port begins. */
        if (host[len] != '@' && len > 0 && is_vapi_host(host, len))
            return true;
    }
    for (const char *p = allow; p != NULL && *p != '\0';) {
        size_t n = strcspn(p, ",");
        if (n > 0 && strncmp(url, p, n) == 0)
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
