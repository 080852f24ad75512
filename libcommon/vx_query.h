/*
 * vx_query: reading parameters from a URL query string ("a=1&b=x%20y").
 */
#ifndef VX_QUERY_H
#define VX_QUERY_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    VX_QUERY_OK = 0,
    VX_QUERY_ABSENT = 1,   /* no such key: not an error, the caller's default applies */
    VX_QUERY_INVALID = -1, /* bad percent-encoding, an embedded NUL, or longer than out_len - 1 */
} vx_query_status;

/* Finds the first key and writes its percent-decoded value ('+' is a space) into out. */
vx_query_status vx_query_get(const char *query, const char *key, char *out, size_t out_len);
/* Reads key as an integer in [min, max]; absent leaves *out unchanged and returns VX_QUERY_ABSENT. */
vx_query_status vx_query_long(const char *query, const char *key, long min, long max, long *out);

#endif
