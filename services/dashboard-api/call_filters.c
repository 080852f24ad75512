/*
 * call_filters: time bounds, cursors and search patterns of the calls
 * dashboard (see call_filters.h).
 */
#include "call_filters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_time.h"
#include "vx_utf8.h"
#include "vx_validate.h"

#define MS_PER_DAY 86400000LL
#define US_PER_DAY 86400000000LL
/* 9999-12-31T23:59:59.999999Z: the last instant a timestamp here can write. */
#define MAX_US 253402300799999999LL

#define CURSOR_VERSION   1
#define CURSOR_CHECK_LEN 8
#define CURSOR_BODY_LEN  (1 + 8 + 16)
#define CURSOR_LEN       (CURSOR_BODY_LEN + CURSOR_CHECK_LEN)

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

static void put_digits(char *out, int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void call_filters_format_us(int64_t unix_us, char out[CALL_FILTERS_TIME_LEN])
{
    if (unix_us < 0)
        unix_us = 0;
    if (unix_us > MAX_US)
        unix_us = MAX_US;
    int64_t days = unix_us / US_PER_DAY, us = unix_us % US_PER_DAY;
    int64_t y;
    unsigned m, d;
    vx_civil_from_days(days, &y, &m, &d);
    put_digits(out, y, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[10] = 'T';
    put_digits(out + 11, us / 3600000000LL, 2);
    out[13] = ':';
    put_digits(out + 14, us / 60000000LL % 60, 2);
    out[16] = ':';
    put_digits(out + 17, us / 1000000 % 60, 2);
    out[19] = '.';
    put_digits(out + 20, us % 1000000, 6);
    out[26] = 'Z';
    out[27] = '\0';
}

/* The 16 bytes of a canonical UUID (vx_is_uuid checked it). */
static void uuid_bytes(const char *id, uint8_t out[16])
{
    size_t o = 0;
    for (const char *p = id; *p != '\0' && o < 16; p++) {
        if (*p == '-')
            continue;
        out[o++] = (uint8_t)(vx_hex_digit(p[0]) * 16 + vx_hex_digit(p[1]));
        p++;
    }
}

static void uuid_text(const uint8_t in[16], char out[37])
{
    char hex[33];
    vx_hex_encode(in, 16, hex);
    size_t o = 0;
    for (size_t i = 0; i < 32; i++) {
        if (i == 8 || i == 12 || i == 16 || i == 20)
            out[o++] = '-';
        out[o++] = hex[i];
    }
    out[o] = '\0';
}

static void cursor_check(const char *org_id, const uint8_t body[CURSOR_BODY_LEN], uint8_t check[CURSOR_CHECK_LEN])
{
    static const char domain[] = "voxanne calls cursor";
    vx_buf b = VX_BUF_INIT;
    vx_buf_append(&b, domain, sizeof(domain)); /* with its NUL: the org id cannot run into it */
    vx_buf_puts(&b, org_id);
    vx_buf_putc(&b, '\0');
    vx_buf_append(&b, body, CURSOR_BODY_LEN);
    uint8_t digest[VX_SHA256_LEN];
    vx_sha256(b.data, b.len, digest);
    memcpy(check, digest, CURSOR_CHECK_LEN);
    vx_buf_free(&b);
}

char *call_filters_cursor_encode(const char *org_id, int64_t created_us, const char *id)
{
    uint8_t raw[CURSOR_LEN];
    raw[0] = CURSOR_VERSION;
    uint64_t v = (uint64_t)created_us;
    for (int i = 0; i < 8; i++)
        raw[1 + i] = (uint8_t)(v >> (56 - 8 * i));
    uuid_bytes(id, raw + 9);
    cursor_check(org_id, raw, raw + CURSOR_BODY_LEN);
    char *token = vx_base64url_encode(raw, sizeof(raw));
    if (token == NULL)
        abort();
    return token;
}

bool call_filters_cursor_decode(const char *org_id, const char *token, int64_t *created_us, char id[37])
{
    uint8_t *raw = NULL;
    size_t len = 0;
    if (vx_base64url_decode(token, strlen(token), &raw, &len) != 0)
        return false;
    bool ok = len == CURSOR_LEN && raw[0] == CURSOR_VERSION;
    if (ok) {
        uint8_t check[CURSOR_CHECK_LEN];
        cursor_check(org_id, raw, check);
        ok = vx_ct_equal(check, sizeof(check), raw + CURSOR_BODY_LEN, CURSOR_CHECK_LEN);
    }
    uint64_t v = 0;
    for (int i = 0; ok && i < 8; i++)
        v = v << 8 | raw[1 + i];
    ok = ok && v <= (uint64_t)MAX_US;
    if (ok) {
        *created_us = (int64_t)v;
        uuid_text(raw + 9, id);
    }
    free(raw);
    return ok;
}

void call_filters_page_start(bool has_to, int64_t to_ms, bool has_cursor, int64_t cursor_us, const char *cursor_id,
                             char at[CALL_FILTERS_TIME_LEN], char id[37])
{
    if (has_to && (!has_cursor || to_ms * 1000 <= cursor_us)) {
        call_filters_format_us(to_ms * 1000, at);
        snprintf(id, 37, "%s", "00000000-0000-0000-0000-000000000000");
    } else if (has_cursor) {
        call_filters_format_us(cursor_us, at);
        snprintf(id, 37, "%s", cursor_id);
    } else {
        snprintf(at, CALL_FILTERS_TIME_LEN, "%s", "infinity");
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
