/*
 * text: bounded, database-safe copies of strings taken from Vapi payloads.
 *
 * PostgreSQL rejects text that is not valid UTF-8 (and any NUL), and a
 * rejected value would turn a good report into a parked one. Every string we
 * store therefore goes through here: it is cut to a maximum length without
 * splitting a UTF-8 sequence, and each byte that does not start or continue a
 * valid sequence becomes '?'. Pure functions, no I/O.
 */
#ifndef INGEST_TEXT_H
#define INGEST_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Copies at most max bytes of s (NUL-terminated) into a new string, repairing
 * invalid UTF-8 as described above. *truncated (may be NULL) tells whether
 * bytes were dropped. Returns NULL when s is NULL. The caller frees. */
char *ingest_text_dup(const char *s, size_t max, bool *truncated);

/* The same repair over len bytes of s into a new NUL-terminated string; NUL
 * bytes inside become '?'. Returns a string even for len 0. The caller frees. */
char *ingest_text_dup_len(const char *s, size_t len, size_t max, bool *truncated);

/* Repairs s in place (invalid bytes become '?'; the length never changes). */
void ingest_text_sanitize(char *s);

#endif
