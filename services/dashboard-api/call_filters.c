/*
 * call_filters: time bounds, page starts and search patterns of the calls
 * dashboard (see call_filters.h).
 */
#include "call_filters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_time.h"
#include "vx_utf8.h"

#define MS_PER_DAY 86400000LL

static bool digits(const char *s, size_t n, unsigned *v)
{
    unsigned acc = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        acc = acc * 10 + (unsigned)(s[i] - '0');
    }
    *v = acc;
    return true;
}

bool call_filters_time(const char *s, bool end_of_day, int64_t *unix_ms)
{
    int64_t ms;
    if (strlen(s) == 10) {
        unsigned y, m, d;
        if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) || s[7] != '-' || !digits(s + 8, 2, &d) || m < 1 || m > 12 ||
            d < 1 || d > vx_days_in_month(y, m))
            return false;
        ms = (vx_days_from_civil(y, m, d) + (end_of_day ? 1 : 0)) * MS_PER_DAY;
    } else if (!vx_time_parse_iso(s, &ms)) {
        return false;
    }
    if (ms < 0) /* before 1970: no call was made then, and a cursor cannot say it */
        return false;
    *unix_ms = ms;
    return true;
}

void call_filters_page_start(bool has_to, int64_t to_ms, bool has_cursor, int64_t cursor_us, const char *cursor_id,
                             char at[VX_TIME_US_LEN], char id[37])
{
    if (has_to && (!has_cursor || to_ms * 1000 <= cursor_us)) {
        vx_time_format_us(to_ms * 1000, at);
        snprintf(id, 37, "%s", "00000000-0000-0000-0000-000000000000");
    } else if (has_cursor) {
        vx_time_format_us(cursor_us, at);
        snprintf(id, 37, "%s", cursor_id);
    } else {
        snprintf(at, VX_TIME_US_LEN, "%s", "infinity");
        snprintf(id, 37, "%s", "ffffffff-ffff-ffff-ffff-ffffffffffff");
    }
}

bool call_filters_search_ok(const char *q)
{
    size_t len = strlen(q);
    if (len == 0 || len > CALL_FILTERS_SEARCH_MAX)
        return false;
    const unsigned char *s = (const unsigned char *)q;
    for (size_t i = 0; i < len;) {
        size_t n = vx_utf8_seq_len(s + i, len - i);
        if (n == 0 || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f)))
            return false;
        /* C1 controls (U+0080–U+009F) are controls too. */
        if (n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)
            return false;
        i += n;
    }
    return true;
}

char *call_filters_like_pattern(const char *q)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_putc(&b, '%');
    for (const char *p = q; *p != '\0'; p++) {
        if (*p == '\\' || *p == '%' || *p == '_')
            vx_buf_putc(&b, '\\');
        vx_buf_putc(&b, *p);
    }
    vx_buf_putc(&b, '%');
    return vx_buf_steal(&b);
}

char *call_filters_phone_pattern(const char *q)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_putc(&b, '%');
    size_t ndigits = 0;
    for (const char *p = q; *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9') {
            vx_buf_putc(&b, *p);
            ndigits++;
        } else if (strchr("+-.() ", *p) == NULL) {
            vx_buf_free(&b);
            return NULL;
        }
    }
    if (ndigits == 0) {
        vx_buf_free(&b);
        return NULL;
    }
    vx_buf_putc(&b, '%');
    return vx_buf_steal(&b);
}
