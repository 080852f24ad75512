/*
 * libFuzzer harness for pdf-text's extraction (services/pdf-text/extract.c)
 * in-process: arbitrary bytes as a PDF, read by poppler-glib as the program
 * reads stdin. Whatever comes in, nothing crashes or reads out of bounds in
 * our code (poppler itself is not instrumented), the status is one pdf-text
 * can exit with, and
 *   - the sink gets no more than max_text bytes, and nothing at all when the
 *     document is refused for its page count;
 *   - only EXTRACT_OK and EXTRACT_TOO_MUCH_TEXT ever pass text on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct sink_state {
    size_t bytes;
} sink_state;

static int count_sink(void *ctx, const char *text, size_t len)
{
    sink_state *s = ctx;
    if (text == NULL || len == 0)
        abort();
    s->bytes += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    extract_limits limits = {.max_pages = 50, .max_text = 256 * 1024};
    sink_state s = {0};
    extract_status st = extract_text(data, size, &limits, count_sink, &s);
    switch (st) {
    case EXTRACT_OK:
    case EXTRACT_TOO_MUCH_TEXT:
        break;
    case EXTRACT_ENCRYPTED:
    case EXTRACT_MALFORMED:
    case EXTRACT_TOO_MANY_PAGES:
        if (s.bytes != 0)
            abort();
        break;
    default:
        abort(); /* internal, usage and input size are main.c's, never extract_text's */
    }
    if (s.bytes > limits.max_text)
        abort();
    return 0;
}
