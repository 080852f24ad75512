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
/* White space as JSON and forms have it: ' ', \t, \n, \v, \f, \r. */
bool vx_is_space(int c);
/* s[0..n) without its leading and trailing white space: *start and *len. */
void vx_trim(const char *s, size_t n, const char **start, size_t *len);
/* A caller's text fit to quote in an error message (an unknown field's
 * name): at most 48 bytes of it, cut on a character boundary, control
 * characters shown as '?', and "..." when it was cut. */
#define VX_EXCERPT_SIZE 64
/* A text field as a form sends it: s without its surrounding white space,
 * as a malloc'd copy, when that is min_chars..max_chars characters of UTF-8
 * without a control character; NULL otherwise. */
char *vx_clean_text(const char *s, size_t min_chars, size_t max_chars);
void vx_excerpt(const char *s, char out[VX_EXCERPT_SIZE]);
/* Writes a random (version 4) UUID, lower case, NUL-terminated, into out[37]. */
void vx_uuid_v4(char out[VX_UUID_STR_LEN + 1]);

#endif
