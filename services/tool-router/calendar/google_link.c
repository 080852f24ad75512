/*
 * google_link: the org's Google Calendar during one tool call (see
 * google_link.h).
 *
 * Design: the link owns copies of the token and calendar id, and its
 * google_calendar_conn points into them, so the connection can be handed to
 * the Google client as it is. Busy times that overlap the ignored span (the
 * appointment being moved) keep only what lies outside it, which may split
 * one interval in two.
 */
#include "calendar/google_link.h"

#include <stdlib.h>
#include <string.h>

#include "clients/vault.h"
#include "settings.h"
#include "vx_log.h"

void google_link_open(const tool_ctx *ctx, google_link *g)
{
    memset(g, 0, sizeof(*g));
    g->conn.request_id = ctx->request_id;
    g->conn.org_id = ctx->org_id;
    long miss_ttl = ctx->settings != NULL ? ctx->settings->vault_miss_ttl_ms : 0;
    vault_status st = vault_google_token(ctx->nc, ctx->request_id, ctx->org_id, miss_ttl, &g->access_token, &g->calendar_id);
    g->reconnect_needed = st == VAULT_RECONNECT_NEEDED;
    if (st != VAULT_OK)
        return;
    g->conn.base_url = ctx->settings != NULL ? ctx->settings->google_calendar_base_url : getenv("GOOGLE_CALENDAR_BASE_URL");
    g->conn.timeout_ms = ctx->settings != NULL ? ctx->settings->google_timeout_ms : 0; /* 0: the client's default */
    g->conn.access_token = g->access_token;
    g->conn.calendar_id = g->calendar_id;
    g->connected = true;
}

void google_link_close(google_link *g)
{
    if (g->access_token != NULL)
        memset(g->access_token, 0, strlen(g->access_token));
    free(g->access_token);
    free(g->calendar_id);
    memset(g, 0, sizeof(*g));
}

size_t google_link_busy(google_link *g, int64_t from_ms, int64_t to_ms, int64_t buffer_ms, vx_slots_span **out)
{
    *out = NULL;
    if (g == NULL || !g->connected)
        return 0;
    google_calendar_interval *busy = NULL;
    size_t n = 0, kept = 0;
    google_calendar_status st = google_calendar_freebusy(&g->conn, from_ms, to_ms, &busy, &n);
    if (st != GOOGLE_CALENDAR_OK) {
        vx_log_warn(g->conn.request_id, g->conn.org_id, "proceeding without google calendar", "status",
                    google_calendar_status_name(st));
        g->connected = false;
        return 0;
    }
    vx_slots_span *list = malloc((n > 0 ? 2 * n : 1) * sizeof(*list)); /* a cut can split one interval in two */
    if (list == NULL)
        abort();
    int64_t a = g->ignore_start_ms, b = g->ignore_end_ms;
    for (size_t i = 0; i < n; i++) {
        int64_t s = busy[i].start_ms, e = busy[i].end_ms;
        if (a < b && s < b && a < e) { /* overlaps the ignored span: keep what lies outside it */
            if (s < a)
                list[kept++] = (vx_slots_span){s, a + buffer_ms};
            if (e > b)
                list[kept++] = (vx_slots_span){b, e + buffer_ms};
        } else {
            list[kept++] = (vx_slots_span){s, e + buffer_ms};
        }
    }
    free(busy);
    *out = list;
    return kept;
}
