/*
 * libFuzzer harness for libcommon/vx_cursor.c: arbitrary bytes as a paging
 * cursor, as a token and as a query string. Nothing crashes; a cursor is
 * accepted only as one made for this org and list (a forged one is refused,
 * never read), and what is accepted re-encodes to the very same token.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vx_cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIST "calls"
#define ORG  "2f1c0a4e-7d3b-4c55-9a0e-1b2c3d4e5f60"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    int64_t at = 0;
    char id[37];
    if (vx_cursor_decode(LIST, ORG, s, &at, id)) {
        char *made = vx_cursor_encode(LIST, ORG, at, id);
        if (made == NULL || strcmp(made, s) != 0)
            abort();
        free(made);
    }
    vx_cursor_from_query(s, LIST, ORG, &at, id);
    free(s);
    return 0;
}
