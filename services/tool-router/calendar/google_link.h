/*
 * google_link: the org's Google Calendar for the span of one tool call —
 * its token (from credential-vault, clients/vault.h) and the busy times the
 * calendar tools take into account besides their own appointments.
 *
 * Google is optional and never fails a tool: no vault, no token, a timeout
 * or an error all leave the link unconnected (logged), and the internal
 * calendar carries on alone. A Google failure in the middle of a call drops
 * the link for the rest of that call, so one slow Google costs one timeout,
 * not one per query.
 *
 * One way of being unconnected is told apart: the org connected Google, but
 * Google refused its token and the owner must connect it again
 * (reconnect_needed). The tools still work on the internal calendar alone,
 * but then neither Google's busy times were checked nor is its calendar
 * updated, so what they tell the caller must not sound final about the
 * clinic's calendar.
 *
 * Ownership: a google_link lives on the tool's stack; google_link_open fills
 * it (always: unconnected on any trouble) and google_link_close wipes the
 * token and frees what open allocated. Closing an unconnected or zeroed link
 * is harmless.
 */
#ifndef TOOL_ROUTER_CALENDAR_GOOGLE_LINK_H
#define TOOL_ROUTER_CALENDAR_GOOGLE_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vx_slots.h"
#include "clients/google_calendar.h"
#include "tool.h"

typedef struct google_link {
    bool connected;
    bool reconnect_needed; /* not connected because Google refused the org's token (the vault said so) */
    char *access_token;    /* secret: never logged */
    char *calendar_id;
    google_calendar_conn conn; /* points into the fields above */
    /* A span Google's busy times are read without: the appointment being
     * moved, whose own event would otherwise block its new time. */
    int64_t ignore_start_ms, ignore_end_ms;
} google_link;

/* Asks the vault (ctx->nc; NULL means no Google) for the org's calendar.
 * Also sets g->conn's request and org ids (ctx's), connected or not, for
 * the log lines of what is done with the link. */
void google_link_open(const tool_ctx *ctx, google_link *g);
void google_link_close(google_link *g);

/* Google's busy times within [from, to) (g's ignored span cut out), each
 * widened by buffer_ms at its end, into *out (malloc'd, caller frees; NULL
 * when none). Returns the count; 0 when g is NULL or not connected. A
 * Google failure is logged and drops g for the rest of the call. */
size_t google_link_busy(google_link *g, int64_t from_ms, int64_t to_ms, int64_t buffer_ms, vx_slots_span **out);

#endif
