/*
 * vx_cursor: keyset cursors of the dashboard's lists (see vx_cursor.h).
 */
#include "vx_cursor.h"

#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_time.h"

#define CURSOR_VERSION   1
#define CURSOR_CHECK_LEN 8
#define CURSOR_BODY_LEN  (1 + 8 + 16)
#define CURSOR_LEN       (CURSOR_BODY_LEN + CURSOR_CHECK_LEN)
/* Base64url of CURSOR_LEN bytes is 44 characters: room for a little more,
 * so a longer value is read and refused by its length, not cut. */
#define CURSOR_TEXT_MAX 64

/* The 16 bytes of a canonical UUID. */
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

static void cursor_check(const char *list, const char *org_id, const uint8_t body[CURSOR_BODY_LEN], uint8_t check[CURSOR_CHECK_LEN])
{
    /* Each string with its NUL: none can run into the next. For the calls
     * list these are the bytes of the tokens it gave before this module. */
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b, "voxanne %s cursor", list);
    vx_buf_putc(&b, '\0');
    vx_buf_puts(&b, org_id);
    vx_buf_putc(&b, '\0');
    vx_buf_append(&b, body, CURSOR_BODY_LEN);
    uint8_t digest[VX_SHA256_LEN];
    vx_sha256(b.data, b.len, digest);
    memcpy(check, digest, CURSOR_CHECK_LEN);
    vx_buf_free(&b);
}

char *vx_cursor_encode(const char *list, const char *org_id, int64_t at_us, const char *id)
{
    uint8_t raw[CURSOR_LEN];
    raw[0] = CURSOR_VERSION;
    uint64_t v = (uint64_t)at_us;
    for (int i = 0; i < 8; i++)
        raw[1 + i] = (uint8_t)(v >> (56 - 8 * i));
    uuid_bytes(id, raw + 9);
    cursor_check(list, org_id, raw, raw + CURSOR_BODY_LEN);
    char *token = vx_base64url_encode(raw, sizeof(raw));
    if (token == NULL)
        abort();
    return token;
}

bool vx_cursor_decode(const char *list, const char *org_id, const char *token, int64_t *at_us, char id[37])
{
    uint8_t *raw = NULL;
    size_t len = 0;
    if (vx_base64url_decode(token, strlen(token), &raw, &len) != 0)
        return false;
    bool ok = len == CURSOR_LEN && raw[0] == CURSOR_VERSION;
    if (ok) {
        uint8_t check[CURSOR_CHECK_LEN];
        cursor_check(list, org_id, raw, check);
        ok = vx_ct_equal(check, sizeof(check), raw + CURSOR_BODY_LEN, CURSOR_CHECK_LEN);
    }
    uint64_t v = 0;
    for (int i = 0; ok && i < 8; i++)
        v = v << 8 | raw[1 + i];
    ok = ok && v <= (uint64_t)VX_TIME_US_MAX;
    if (ok) {
        *at_us = (int64_t)v;
        uuid_text(raw + 9, id);
    }
    free(raw);
    return ok;
}

vx_query_status vx_cursor_from_query(const char *query, const char *list, const char *org_id, int64_t *at_us, char id[37])
{
    char token[CURSOR_TEXT_MAX + 1];
    vx_query_status st = vx_query_get(query, VX_CURSOR_PARAM, token, sizeof(token));
    if (st == VX_QUERY_OK && !vx_cursor_decode(list, org_id, token, at_us, id))
        return VX_QUERY_INVALID;
    return st;
}
