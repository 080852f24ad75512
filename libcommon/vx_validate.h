/*
 * vx_validate: the shapes checked at every edge — UUIDs, E.164 numbers,
 * email addresses, text without control characters.
 */
#ifndef VX_VALIDATE_H
#define VX_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#define VX_UUID_STR_LEN 36

/* True for the canonical 8-4-4-4-12 hex form (either case), exactly len bytes. */
bool vx_is_uuid(const char *s, size_t len);
/* True for ^\+[1-9][0-9]{6,14}$ (NUL-terminated). */
bool vx_is_e164(const char *s);
/* A sanity check of an email address (n bytes), not RFC 5321: one "@" with
 * something before it, and a domain with a dot that neither starts nor ends
 * it, nor doubles. No space anywhere (control characters are the caller's
 * check: vx_text_chars). */
bool vx_email_plausible(const char *s, size_t n);
/* The number of code points of s (n bytes), or -1 when s is not UTF-8 or
 * holds a control character (below 0x20, or DEL) other than those in
 * allowed_controls (a NUL-terminated list; "" allows none). NUL never passes. */
long vx_text_chars(const char *s, size_t n, const char *allowed_controls);
/* Writes a random (version 4) UUID, lower case, NUL-terminated, into out[37]. */
void vx_uuid_v4(char out[VX_UUID_STR_LEN + 1]);

#endif
