/*
 * libFuzzer harness for vx_nats_url_for_log: arbitrary bytes as a NATS URL
 * list. The output must be NUL-terminated within its buffer, never longer
 * than the input, and never hold what stood between a URL's "://" and its
 * last '@' before the path (the credentials), checked with a marker: every
 * URL of the input gets "SECRETX" as its password.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_nats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* No NUL, no '@' and no "SECRETX" of the fuzzer's own, so the marker is ours. */
    char *host = malloc(size + 1);
    if (host == NULL)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < size; i++)
        if (data[i] != '\0' && data[i] != '@' && data[i] != ',' && data[i] != '/')
            host[n++] = (char)data[i];
    host[n] = '\0';
    if (strstr(host, "SECRETX") != NULL) {
        free(host);
        return 0;
    }
    size_t len = 2 * (n + 32);
    char *url = malloc(len);
    if (url == NULL)
        abort();
    /* Two URLs of a list, both with credentials. */
    snprintf(url, len, "nats://svc:SECRETX@%s,tls://SECRETX@%s:4222", host, host);
    size_t out_len = 1 + (size > 0 ? data[0] : 0);
    char *out = malloc(out_len);
    if (out == NULL)
        abort();
    vx_nats_url_for_log(url, out, out_len);
    if (memchr(out, '\0', out_len) == NULL || strlen(out) > strlen(url) || strstr(out, "SECRETX") != NULL)
        abort();
    free(out);
    free(url);
    free(host);
    return 0;
}
