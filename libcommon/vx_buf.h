/*
 * vx_buf: a growable byte buffer that stays NUL-terminated.
 *
 * Used to build log lines, JSON answers and SQL parameters without fixed-size
 * arrays. Allocation failure aborts the process: every caller would have to
 * turn it into a crash or a 500 anyway, and an out-of-memory service is
 * better restarted by its supervisor.
 */
#ifndef VX_BUF_H
#define VX_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct vx_buf {
    char *data; /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
} vx_buf;

/* Kept on one line: clang-format would spread this initializer over four. */
/* clang-format off */
#define VX_BUF_INIT {NULL, 0, 0}
/* clang-format on */

void vx_buf_append(vx_buf *b, const void *data, size_t len);
void vx_buf_puts(vx_buf *b, const char *s);
void vx_buf_putc(vx_buf *b, char c);
void vx_buf_printf(vx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vx_buf_vprintf(vx_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends s as a JSON string literal, quotes included, escaping as RFC 8259 requires. */
void vx_buf_json_string(vx_buf *b, const char *s, size_t len);
void vx_buf_reset(vx_buf *b);
/* Hands the data to the caller (who frees it) and leaves b empty. Never NULL. */
char *vx_buf_steal(vx_buf *b);
void vx_buf_free(vx_buf *b);

#endif
