/*
 * libFuzzer harness for dashboard-api's query parsers
 * (services/dashboard-api/call_filters.c): arbitrary bytes as a from/to
 * time, a paging cursor and a search text. Nothing crashes; a time that
 * parses formats back to one that parses to the same instant; a cursor is
 * accepted only as one made for this org (a forged one is refused, never
 * read); a search that is accepted gives patterns wrapped in %…%.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "call_filters.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ORG "2f1c0a4e-7d3b-4c55-9a0e-1b2c3d4e5f60"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    int64_t ms = 0;
    if (call_filters_time(s, false, &ms)) {
        char text[CALL_FILTERS_TIME_LEN];
        call_filters_format_us(ms * 1000, text);
        int64_t again = 0;
        if (!call_filters_time(text, false, &again) || again != ms)
            abort();
    }
    call_filters_time(s, true, &ms);

    int64_t created = 0;
    char id[37];
    if (call_filters_cursor_decode(ORG, s, &created, id)) {
        /* Only a token this org's encoder makes is read back; it re-encodes to itself. */
        char *made = call_filters_cursor_encode(ORG, created, id);
        if (made == NULL || strcmp(made, s) != 0)
            abort();
        free(made);
    }

    if (call_filters_search_ok(s)) {
        char *like = call_filters_like_pattern(s);
        if (like != NULL && (like[0] != '%' || like[strlen(like) - 1] != '%'))
            abort();
        free(like);
        free(call_filters_phone_pattern(s));
    }
    free(s);
    return 0;
}
