/*
 * libFuzzer harness for rag-search's chunker
 * (services/rag-search/ingest/chunker.c): the first three bytes choose the
 * sizes (small, so that cutting is exercised), the rest is the text. Whatever
 * comes in, nothing crashes, leaks or reads out of bounds, and
 *   - ordinals count 0, 1, 2…; every chunk's text is valid UTF-8 of the
 *     length it says, starts with its heading path and a line break when
 *     it has one, and has a body that is not empty and not longer than
 *     max_chars characters;
 *   - a second run gives the same chunks (deterministic).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/chunker.h"
#include "ingest/text.h"
#include "vx_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    chunker_config cfg;
    chunker_config_default(&cfg);
    cfg.target_chars = 1 + data[0] % 200;
    cfg.max_chars = cfg.target_chars + data[1] % 100;
    cfg.overlap_chars = data[2] % 100; /* above half the target: mended */
    cfg.max_chunks = 5000;
    const char *text = (const char *)data + 3;
    size_t len = size - 3;

    chunker_list a, b;
    chunker_status st = chunker_split(&cfg, text, len, &a);
    if (st == CHUNKER_TOO_MANY && (a.count != 0 || a.items != NULL))
        abort();
    for (size_t i = 0; i < a.count; i++) {
        const chunker_chunk *c = &a.items[i];
        if (c->ordinal != i || c->text == NULL || c->heading_path == NULL || strlen(c->text) != c->text_len)
            abort();
        for (size_t at = 0; at < c->text_len;) {
            size_t l = vx_utf8_seq_len((const unsigned char *)c->text + at, c->text_len - at);
            if (l == 0)
                abort();
            at += l;
        }
        const char *body = c->text;
        size_t pl = strlen(c->heading_path);
        if (pl > 0) {
            if (strncmp(c->text, c->heading_path, pl) != 0 || c->text[pl] != '\n')
                abort();
            body = c->text + pl + 1;
        }
        if (*body == '\0' || text_chars(body, strlen(body)) > cfg.max_chars)
            abort();
    }
    if (chunker_split(&cfg, text, len, &b) != st || b.count != a.count)
        abort();
    for (size_t i = 0; i < a.count; i++)
        if (strcmp(a.items[i].text, b.items[i].text) != 0 || strcmp(a.items[i].heading_path, b.items[i].heading_path) != 0)
            abort();
    chunker_list_free(&a);
    chunker_list_free(&b);
    return 0;
}
