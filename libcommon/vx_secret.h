/*
 * vx_secret: wiping a secret before its memory goes back to the allocator,
 * so a token, auth token or decrypted credential does not linger in freed
 * heap (a core dump, a later buggy read). explicit_bzero, which the compiler
 * may not remove as a dead store.
 *
 * Every function accepts NULL (nothing to do).
 */
#ifndef VX_SECRET_H
#define VX_SECRET_H

#include <cjson/cJSON.h>

#include "vx_buf.h"

/* Wipes and frees a NUL-terminated string. */
void vx_secret_free(char *s);
/* Wipes a buffer's bytes and frees them; b is empty afterwards. */
void vx_secret_buf_free(vx_buf *b);
/* Wipes every string value in the tree (keys are names, not secrets), then deletes it. */
void vx_secret_json_delete(cJSON *root);

#endif
