/*
 * args: the calendar tools' arguments, read defensively. A voice model sends
 * names with stray whitespace, phone numbers with spaces and dashes, dates in
 * several shapes, numbers where strings belong, and now and then megabytes
 * of garbage; nothing here lets any of that reach the database in a form
 * that could fail a statement (which would abort the tool's transaction) or
 * reach a spoken answer as more than one line.
 *
 * Arguments come from ctx->args, the arguments object vapi_message made —
 * the same whether Vapi sent it as an object or as a JSON string.
 *
 * Every reader answers with an args_status: OK (the value is set), MISSING
 * (absent, null, "" or only whitespace: the caller did not say it; ask for
 * it or use a default) or INVALID (present but unusable: a wrong type, too
 * long, not UTF-8, malformed; ask again). Outputs are only set on OK.
 * Strings returned through char ** are malloc'd and owned by the caller.
 * Only args_instant touches the database (a local time is converted in the
 * org's time zone); everything else is pure.
 */
#ifndef TOOL_ROUTER_CALENDAR_ARGS_H
#define TOOL_ROUTER_CALENDAR_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar/date.h"
#include "tool.h"

#define ARGS_TEXT_MAX  200 /* longest name or service name taken from a caller, in characters */
#define ARGS_E164_SIZE 17  /* "+" and up to 15 digits, NUL included */

typedef enum {
    ARGS_OK = 0,
    ARGS_MISSING, /* absent, null or empty */
    ARGS_INVALID  /* present but unusable: wrong type, too long, malformed */
} args_status;

/*
 * Caller text made safe to store and to speak: valid UTF-8 required,
 * control and line-separator characters become spaces, runs of spaces
 * collapse, ends are trimmed, at most max_chars characters. Returns a
 * malloc'd string, or NULL when in is NULL, empty after trimming, too long
 * or not UTF-8.
 */
char *args_clean_text(const char *in, size_t max_chars);

/* A phone number as said ("+1 (555) 123-4567") reduced to E.164 into out
 * ("+15551234567"); false when it is not one (the country code must be
 * there: no guessing of a national number). */
bool args_e164(const char *in, char out[ARGS_E164_SIZE]);

/* A text argument, cleaned (see args_clean_text) into *out. */
args_status args_text(const tool_ctx *ctx, const char *name, size_t max_chars, char **out);

/* The phone argument `name` as E.164, or when it is missing the caller's
 * number (ctx->caller_number); MISSING when there is neither. */
args_status args_phone(const tool_ctx *ctx, const char *name, char out[ARGS_E164_SIZE]);

/* A date argument: "YYYY-MM-DD", an ISO date-time (its date), "today",
 * "tomorrow" or a weekday name (the next such day, today included), any
 * case, relative to the org's local date today. */
args_status args_date(const tool_ctx *ctx, const char *name, date_ymd today, date_ymd *out);

/* A date-time argument as sent (see date_time_parse): with an offset it is
 * an instant, without one a wall-clock time of the org. */
args_status args_date_time(const tool_ctx *ctx, const char *name, date_time *out);

/* A date-time argument as an instant: one with an offset directly, a local
 * one read in the org's time zone tz (one query, calendar/local_time.h).
 * Returns -1 when the database failed, else 0 with *st set and, on OK, *out. */
int args_instant(const tool_ctx *ctx, const char *name, const char *tz, int64_t *out, args_status *st);

#endif
