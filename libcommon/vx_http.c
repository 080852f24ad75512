/*
 * vx_http: see vx_http.h. One easy handle per request: the clients call
 * outside services a few times per phone call, so reusing connections would
 * save little and cost shared state between threads.
 */
#include "vx_http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct sink {
    vx_buf *body;
    size_t max;
    bool too_big;
} sink;

static size_t on_body(char *ptr, size_t size, size_t n, void *userdata)
{
    sink *s = userdata;
    size_t add = size * n;
    if (s->body->len + add > s->max) {
        s->too_big = true;
        return 0; /* aborts the transfer */
    }
    vx_buf_append(s->body, ptr, add);
    return add;
}

int vx_http_perform(const vx_http_request *req, vx_http_answer *out, const char **error)
{
    memset(out, 0, sizeof(*out));
    pthread_once(&curl_once, curl_init_once);
    CURL *c = curl_easy_init();
    if (c == NULL)
        abort(); /* only fails when out of memory */
    /* "Expect:" off: curl would wait for a 100-continue before sending a larger body. */
    struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
        headers = curl_slist_append(headers, req->headers[i]);
    long timeout = req->timeout_ms < 50 ? 50 : req->timeout_ms > 60000 ? 60000 : req->timeout_ms;
    sink s = {&out->body, req->max_answer_bytes, false};
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "voxanne/1");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout < 1000 ? timeout : 1000L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    if (req->body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(req->body));
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
        /* The last answer's headers only (not a 100-continue's), the last of a repeated one. */
        for (size_t i = 0; req->capture_headers != NULL && req->capture_headers[i] != NULL && !s.too_big; i++) {
            struct curl_header *h = NULL;
            if (curl_easy_header(c, req->capture_headers[i], 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == NULL)
                continue;
            vx_buf_append(&out->headers, req->capture_headers[i], strlen(req->capture_headers[i]) + 1);
            vx_buf_append(&out->headers, h->value, strlen(h->value) + 1);
        }
        curl_off_t retry_after = 0;
        if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
            out->retry_after_s = retry_after > 86400 ? 86400 : (long)retry_after;
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK || s.too_big) {
        *error = s.too_big ? "answer too large" : curl_easy_strerror(rc);
        vx_buf_free(&out->body);
        vx_buf_free(&out->headers);
        out->status = 0;
        out->retry_after_s = 0;
        return -1;
    }
    return 0;
}

const char *vx_http_answer_header(const vx_http_answer *a, const char *name)
{
    for (size_t at = 0; at < a->headers.len;) {
        const char *n = a->headers.data + at;
        const char *v = n + strlen(n) + 1;
        if (strcasecmp(n, name) == 0)
            return v;
        at = (size_t)(v - a->headers.data) + strlen(v) + 1;
    }
    return NULL;
}
