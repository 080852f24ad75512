/*
 * vx_query: reading parameters from a URL query string ("a=1&b=x%20y"), and
 * writing them (query strings and application/x-www-form-urlencoded bodies).
 */
#ifndef VX_QUERY_H
#define VX_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "vx_buf.h"

typedef enum {
    VX_QUERY_OK = 0,
    VX_QUERY_ABSENT = 1,   /* no such key: not an error, the caller's default applies */
    VX_QUERY_INVALID = -1, /* bad percent-encoding, an embedded NUL, or longer than out_len - 1 */
} vx_query_status;

/* Finds the first key and writes its percent-decoded value ('+' is a space) into out. */
vx_query_status vx_query_get(const char *query, const char *key, char *out, size_t out_len);
/* Reads key as an integer in [min, max]; absent leaves *out unchanged and returns VX_QUERY_ABSENT. */
vx_query_status vx_query_long(const char *query, const char *key, long min, long max, long *out);

/* Appends "key=value" to out, preceded by '&' when out is not empty. Both are
 * percent-encoded: RFC 3986's unreserved characters (ALPHA DIGIT - . _ ~)
 * stay, every other byte becomes %XX (upper-case hex), a space included
 * ("%20", never '+', which some readers would keep as a plus). The same
 * bytes thus read back through vx_query_get. value NULL is the empty value. */
void vx_query_append(vx_buf *out, const char *key, const char *value);

#endif
