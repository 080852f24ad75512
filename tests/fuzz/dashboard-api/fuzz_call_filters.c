/*
 * libFuzzer harness for dashboard-api's query parsers
 * (services/dashboard-api/call_filters.c): arbitrary bytes as a from/to
 * time and a search text. Nothing crashes; a time that parses formats back
 * to one that parses to the same instant; a search that is accepted gives
 * patterns wrapped in %…%. (The paging cursor: tests/fuzz/libcommon/fuzz_cursor.c.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "call_filters.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    int64_t ms = 0;
    if (call_filters_time(s, false, &ms)) {
        char text[VX_TIME_US_LEN];
        vx_time_format_us(ms * 1000, text);
        int64_t again = 0;
        if (!call_filters_time(text, false, &again) || again != ms)
            abort();
    }
    call_filters_time(s, true, &ms);

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
