/*
 * libFuzzer harness for services/rag-search/clients/openai_wire.c, the parsers
 * of what an embeddings provider sends back: the 200 answer
 * (openai_wire_parse_answer), the error body, the x-ratelimit-reset-*
 * durations and base64 vectors — plus the cut of an input on a UTF-8
 * boundary. The first byte picks the inputs' count (1-8) and the expected
 * size (0: learnt, or 1-15); the rest is the body, copied into an
 * exact-size heap block so a read past its end is an ASan report. Checks:
 * an OK answer fills every vector with unit length; a cut is never longer
 * than asked, never splits a code point of valid text, and keeps valid
 * UTF-8 valid.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clients/openai_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t n = (size_t)(data[0] & 7) + 1;
    int dim = (data[0] >> 3) & 15;
    size_t len = size - 1;
    char *body = malloc(len + 1);
    if (body == NULL)
        abort();
    memcpy(body, data + 1, len);
    body[len] = '\0';

    enum { CAP = 8 * 64 };
    float out[CAP];
    char why[200];
    int d = dim;
    if (openai_wire_parse_answer(body, len, n, &d, out, CAP, why, sizeof(why)) == EMBED_OK) {
        if (d <= 0 || (dim > 0 && d != dim) || (size_t)d * n > CAP)
            abort();
        for (size_t i = 0; i < n; i++) {
            double sum = 0;
            for (int k = 0; k < d; k++)
                sum += (double)out[i * (size_t)d + (size_t)k] * out[i * (size_t)d + (size_t)k];
            if (fabs(sum - 1.0) > 1e-3)
                abort();
        }
    }

    openai_wire_error err;
    openai_wire_parse_error(body, len, &err);
    long ms = openai_wire_duration_ms(body);
    if (ms < -1 || ms > 86400000L)
        abort();
    float vec[64];
    size_t floats = len * 3 / 4 / 4;
    if (floats <= 64)
        (void)openai_wire_base64_floats(body, len, vec, floats);

    size_t max = (size_t)data[0] * 7;
    size_t keep = openai_wire_cut(body, len, max);
    if (keep > len || (len > max && keep > max))
        abort();
    if (openai_wire_utf8_valid(body, len) && !openai_wire_utf8_valid(body, keep))
        abort();
    free(body);
    return 0;
}
