/*
 * libFuzzer harness for the gateway's reading of a request head before its
 * body (admit_parse_head, services/gateway/admit.c): arbitrary bytes in an
 * exact-size heap block, so a read past them is an ASan report. A complete
 * head must be a prefix of the input and every slice must point inside it;
 * a Content-Length is read only when it is all digits (and then fits).
 * Input: the bytes as a client would send them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(h2o_iovec_t v, const char *buf, size_t len)
{
    if (v.base != NULL && (v.base < buf || v.base + v.len > buf + len))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size > 0 ? size : 1);
    if (buf == NULL)
        return 0;
    if (size > 0)
        memcpy(buf, data, size);
    http_head h;
    int n = admit_parse_head(buf, size, &h);
    if (n > 0) {
        if ((size_t)n > size)
            abort();
        h2o_iovec_t slices[] = {h.method, h.path, h.request_id, h.authorization, h.vapi_secret, h.signature, h.timestamp};
        for (size_t i = 0; i < sizeof(slices) / sizeof(slices[0]); i++)
            inside(slices[i], buf, (size_t)n);
        if (h.chunked && h.content_length != SIZE_MAX)
            abort();
    } else if (n != -1 && n != -2) {
        abort();
    }
    free(buf);
    return 0;
}
