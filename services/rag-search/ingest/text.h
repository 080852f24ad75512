/*
 * text: any bytes made into clean UTF-8 text, the one form the markdown
 * reader and the chunker work on.
 */
#ifndef RAG_SEARCH_INGEST_TEXT_H
#define RAG_SEARCH_INGEST_TEXT_H

#include <stddef.h>

/* in[0..len) as valid UTF-8 (malloc'd, NUL-terminated, *out_len bytes; the
 * caller frees it): each run of bytes that is not UTF-8 becomes one U+FFFD;
 * CR LF and lone CR become LF; a tab becomes a space; form feed (a page
 * break) and LF stay; every other control character (C0, DEL, C1) and
 * U+FEFF (a byte order mark) is dropped. Linear; at most 3 bytes out per
 * byte in. */
char *text_clean(const char *in, size_t len, size_t *out_len);

/* The number of code points of valid UTF-8 s[0..n). */
size_t text_chars(const char *s, size_t n);

#endif
