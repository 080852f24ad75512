/*
 * vx_validate: the shapes checked at every edge — UUIDs and E.164 numbers.
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
/* Writes a random (version 4) UUID, lower case, NUL-terminated, into out[37]. */
void vx_uuid_v4(char out[VX_UUID_STR_LEN + 1]);

#endif
