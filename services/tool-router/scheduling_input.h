/*
 * scheduling_input: the calendar tools' arguments, read defensively. A voice
 * model sends names with stray whitespace, phone numbers with spaces and
 * dashes, dates in several shapes, numbers where strings belong, and now and
 * then megabytes of garbage; nothing here lets any of that reach the database
 * in a form that could fail a statement (which would abort the tool's
 * transaction) or reach a spoken answer as more than one line.
 */
#ifndef TOOL_ROUTER_SCHEDULING_INPUT_H
#define TOOL_ROUTER_SCHEDULING_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "availability.h"
#include "tool.h"

typedef enum {
    SCHEDULING_ARG_OK = 0,
    SCHEDULING_ARG_MISSING, /* absent, null or empty */
    SCHEDULING_ARG_INVALID  /* present but unusable: wrong type, too long, malformed */
} scheduling_arg;

/*
 * Caller text made safe to store and to speak: valid UTF-8 required,
 * control and line-separator characters become spaces, runs of spaces
 * collapse, ends are trimmed, at most max_chars characters. Returns a
 * malloc'd string, or NULL when in is NULL, empty after trimming, too long
 * or not UTF-8.
 */
char *scheduling_clean_text(const char *in, size_t max_chars);

/* A phone number as said ("+1 (555) 123-4567") reduced to E.164 into out[17]
 * ("+15551234567"); false when it is not one (no country code included). */
bool scheduling_normalize_phone(const char *in, char out[17]);

/* A text argument, cleaned (see scheduling_clean_text) into *out (malloc'd, only on OK). */
scheduling_arg scheduling_arg_text(const tool_ctx *ctx, const char *name, size_t max_chars, char **out);

/* The phone argument `name` as E.164, or when it is missing the caller's
 * number (ctx->caller_number); MISSING when there is neither. */
scheduling_arg scheduling_arg_phone(const tool_ctx *ctx, const char *name, char out[17]);

/* A date argument: "YYYY-MM-DD", an ISO date-time (its date), "today",
 * "tomorrow" or a weekday name (the next such day, today included), relative
 * to the org's local date today. */
scheduling_arg scheduling_arg_date(const tool_ctx *ctx, const char *name, availability_date today, availability_date *out);

/* A date-time argument: ISO 8601 with an offset, or a local
 * "YYYY-MM-DDTHH:MM[:SS]" read in the org's timezone tz (one query).
 * Returns -1 when the database failed, else 0 with *st set and, on OK, *out. */
int scheduling_arg_instant(const tool_ctx *ctx, const char *name, const char *tz, int64_t *out, scheduling_arg *st);

#endif
