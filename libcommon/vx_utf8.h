/*
 * vx_utf8: UTF-8 validation as RFC 3629 defines it — no overlong forms, no
 * surrogates, nothing above U+10FFFF.
 */
#ifndef VX_UTF8_H
#define VX_UTF8_H

#include <stddef.h>

/* The length (1-4; 1 for ASCII) of the valid UTF-8 sequence starting at s, of which n bytes
 * are available, or 0 when the bytes there are not valid UTF-8. n must be >= 1. */
size_t vx_utf8_seq_len(const unsigned char *s, size_t n);

#endif
