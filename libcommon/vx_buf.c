/*
 * vx_buf: a growable, always NUL-terminated byte buffer.
 *
 * Design: the buffer owns one heap block of cap bytes, of which len are used
 * and data[len] is always '\0' once anything was appended. Growth doubles the
 * capacity (at least to what is needed), so n appends cost O(n) amortised.
 * Every size computation is checked for overflow; an overflow or an
 * allocation failure aborts the process, as the header promises, so callers
 * never see a half-written buffer.
 *
 * vx_buf_json_string escapes as RFC 8259 requires and also makes the output
 * valid UTF-8: a byte that does not start a well-formed UTF-8 sequence
 * (overlong forms, surrogates and code points above U+10FFFF included) is
 * written as \ufffd. Logs and API answers therefore stay parseable by strict
 * JSON readers whatever bytes a caller or a phone transcript hands us.
 */
#include "vx_buf.h"
#include "vx_utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void buf_die(const char *why)
{
    fprintf(stderr, "vx_buf: %s\n", why);
    abort();
}

/* Makes room for extra more bytes plus the terminating NUL. */
static void buf_reserve(vx_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - 1 - b->len)
        buf_die("size overflow");
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        buf_die("out of memory");
    b->data = p;
    b->cap = cap;
}

/* Appends len bytes (which may contain NULs). Allocates even for len == 0, so
 * data is a valid C string after any append. */
void vx_buf_append(vx_buf *b, const void *data, size_t len)
{
    buf_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void vx_buf_puts(vx_buf *b, const char *s)
{
    vx_buf_append(b, s, s ? strlen(s) : 0);
}

void vx_buf_putc(vx_buf *b, char c)
{
    vx_buf_append(b, &c, 1);
}

/* Formats into the spare capacity; grows once and formats again when the
 * first attempt did not fit. */
void vx_buf_vprintf(vx_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    buf_reserve(b, 0);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->data + b->len, room, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        b->data[b->len] = '\0';
        buf_die("vsnprintf failed");
    }
    if ((size_t)n >= room) {
        buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    b->len += (size_t)n;
}

void vx_buf_printf(vx_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vx_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void vx_buf_json_string(vx_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    if (!s)
        len = 0;
    vx_buf_putc(b, '"');
    size_t i = 0;
    while (i < len) {
        /* Copy the longest run that needs no escaping in one go. */
        size_t run = i;
        while (run < len && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
            run++;
        if (run > i) {
            vx_buf_append(b, p + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t n = vx_utf8_seq_len(p + i, len - i);
            if (n) {
                vx_buf_append(b, p + i, n);
                i += n;
            } else {
                vx_buf_puts(b, "\\ufffd");
                i++;
            }
            continue;
        }
        switch (c) {
        case '"':
            vx_buf_puts(b, "\\\"");
            break;
        case '\\':
            vx_buf_puts(b, "\\\\");
            break;
        case '\b':
            vx_buf_puts(b, "\\b");
            break;
        case '\f':
            vx_buf_puts(b, "\\f");
            break;
        case '\n':
            vx_buf_puts(b, "\\n");
            break;
        case '\r':
            vx_buf_puts(b, "\\r");
            break;
        case '\t':
            vx_buf_puts(b, "\\t");
            break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
            vx_buf_append(b, esc, sizeof esc);
            break;
        }
        }
        i++;
    }
    vx_buf_putc(b, '"');
}

/* Empties the buffer but keeps its memory for reuse. */
void vx_buf_reset(vx_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *vx_buf_steal(vx_buf *b)
{
    char *p = b->data;
    if (!p) {
        p = malloc(1);
        if (!p)
            buf_die("out of memory");
        p[0] = '\0';
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

void vx_buf_free(vx_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
