/*
 * vx_cursor: the dashboard lists' keyset cursors — an opaque token for "the
 * rows after this one" in a list ordered newest first by (a timestamp DESC,
 * a uuid DESC): the calls list, the knowledge base's documents.
 *
 * A token is base64url (no padding) of 33 bytes,
 *     version (1) | at, unix microseconds, big-endian (8) |
 *     id, the row's UUID (16) | check (8)
 * where check is the first 8 bytes of SHA-256("voxanne <list> cursor" NUL |
 * org id NUL | the 25 bytes before it). It is not a secret and needs none:
 * a forged one can only name a position among the caller's own rows, which
 * the list shows anyway. The check makes a mistyped, truncated or edited
 * token — or one another organization or another list was given — a clear
 * 400 instead of a silently different page: a foreign cursor is refused
 * before any row is read, so it reveals nothing.
 */
#ifndef VX_CURSOR_H
#define VX_CURSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "vx_query.h"

/* The query parameter a list reads its cursor from. */
#define VX_CURSOR_PARAM "cursor"

/* The cursor of the row (at in unix microseconds, id a UUID) of list
 * ("calls", "knowledge documents") for org_id: malloc'd, NUL-terminated. */
char *vx_cursor_encode(const char *list, const char *org_id, int64_t at_us, const char *id);
/* Reads a cursor vx_cursor_encode made for list and org_id: true with
 * *at_us and id (lower case, NUL-terminated) set, false for anything else
 * (garbage, another version, a failed check, another org's or list's, an
 * instant past VX_TIME_US_MAX). */
bool vx_cursor_decode(const char *list, const char *org_id, const char *token, int64_t *at_us, char id[37]);
/* The query's cursor parameter, read as vx_cursor_decode reads it:
 * VX_QUERY_ABSENT when there is none, VX_QUERY_OK with *at_us and id set,
 * VX_QUERY_INVALID for anything that is not a cursor this list gave this org. */
vx_query_status vx_cursor_from_query(const char *query, const char *list, const char *org_id, int64_t *at_us, char id[37]);

#endif
