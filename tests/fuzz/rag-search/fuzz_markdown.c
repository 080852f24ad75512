/*
 * libFuzzer harness for rag-search's Markdown reader
 * (services/rag-search/ingest/markdown.c) on arbitrary bytes as an uploaded
 * document. Whatever comes in, nothing crashes, leaks or reads out of
 * bounds, and the text that comes out
 *   - is valid UTF-8 of the length it says, without NUL or a control
 *     character other than LF;
 *   - has a heading form ("#"×1-6, a space, text) on every line that starts
 *     with '#', so the chunker never takes text for a heading;
 *   - is what the chunker then cuts without a failure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/chunker.h"
#include "ingest/markdown.h"
#include "vx_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    char *out = markdown_to_text((const char *)data, size, &n);
    if (out == NULL || strlen(out) != n)
        abort();
    for (size_t i = 0; i < n;) {
        size_t l = vx_utf8_seq_len((const unsigned char *)out + i, n - i);
        if (l == 0 || (l == 1 && (unsigned char)out[i] < 0x20 && out[i] != '\n') || out[i] == 0x7F)
            abort();
        i += l;
    }
    for (size_t at = 0; at < n;) {
        const char *nl = memchr(out + at, '\n', n - at);
        size_t end = nl != NULL ? (size_t)(nl - out) : n;
        if (out[at] == '#') {
            size_t level = 0;
            while (at + level < end && out[at + level] == '#')
                level++;
            if (level > 6 || at + level + 1 >= end || out[at + level] != ' ' || out[at + level + 1] == ' ')
                abort();
        }
        at = end + 1;
    }
    chunker_config cfg;
    chunker_config_default(&cfg);
    cfg.target_chars = 60;
    cfg.max_chars = 90;
    cfg.overlap_chars = 20;
    chunker_list chunks;
    chunker_status st = chunker_split(&cfg, out, n, &chunks);
    if (st != CHUNKER_OK && st != CHUNKER_TOO_MANY)
        abort();
    chunker_list_free(&chunks);
    free(out);
    return 0;
}
