/*
 * openings: the calendar of a range of days and the openings in it (see
 * openings.h) — libcommon's vx_calendar, with the org's Google busy times
 * as its outside source.
 */
#include "calendar/openings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/local_time.h"
#include "vx_time.h"

/* Google's busy times, as vx_calendar asks an outside source for them. */
static size_t google_busy(void *arg, int64_t from_ms, int64_t to_ms, int64_t buffer_ms, vx_slots_span **out)
{
    return google_link_busy(arg, from_ms, to_ms, buffer_ms, out);
}

/* The calendar of ctx's org, with g's busy times when g is given. */
static vx_calendar_source source(const tool_ctx *ctx, google_link *g)
{
    vx_calendar_source src = {.pg = ctx->pg, .request_id = ctx->request_id, .org_id = ctx->org_id};
    if (g != NULL) {
        src.extra_busy = google_busy;
        src.extra_arg = g;
    }
    return src;
}

int openings_calendar_load(const tool_ctx *ctx, const schedule *s, google_link *g, date_ymd from, date_ymd to,
                           const char *exclude_id, openings_calendar *cal)
{
    vx_calendar_source src = source(ctx, g);
    vx_calendar_rules r;
    schedule_rules(s, &r);
    return vx_calendar_load(&src, &r, date_days(from), date_days(to), exclude_id, cal);
}

void openings_calendar_free(openings_calendar *cal)
{
    vx_calendar_free(cal);
}

const vx_slots_span *openings_calendar_day(const openings_calendar *cal, date_ymd day, size_t *n)
{
    return vx_calendar_day(cal, date_days(day), n);
}

size_t openings_calendar_slots(const openings_calendar *cal, const schedule *s, date_ymd day, int64_t length_ms, int64_t *out,
                               size_t max)
{
    vx_calendar_rules r;
    schedule_rules(s, &r);
    return vx_calendar_slots(cal, &r, date_days(day), length_ms, out, max);
}

int openings_find(const tool_ctx *ctx, const schedule *s, google_link *g, date_ymd day, int64_t length_ms, int64_t target_ms,
                  const char *exclude_id, openings *o)
{
    vx_calendar_source src = source(ctx, g);
    vx_calendar_rules r;
    schedule_rules(s, &r);
    return vx_calendar_openings_find(&src, &r, date_days(day), length_ms, target_ms, exclude_id, o);
}

int openings_say(const tool_ctx *ctx, const schedule *s, const openings *o, vx_buf *b)
{
    if (!o->found) {
        vx_buf_printf(b, "I'm sorry, I don't have any openings in the next %d days.", s->horizon_days);
        return 0;
    }
    local_time w[OPENINGS_OFFER_MAX];
    if (local_time_format(ctx, s->timezone, o->slots, o->nslots, w) != 0)
        return -1;
    char label[40];
    date_label(date_from_days(o->on_day), label, sizeof(label));
    if (o->nslots == 1 && o->total_on == 1) {
        vx_buf_printf(b, "On %s I have one opening, at %s.", label, w[0].time);
    } else if (o->total_on > o->nslots) {
        vx_buf_printf(b, "On %s I have ", label);
        for (size_t i = 0; i < o->nslots; i++)
            vx_buf_printf(b, "%s, ", w[i].time);
        size_t more = o->total_on - o->nslots;
        b->len -= 2; /* the last ", " */
        b->data[b->len] = '\0';
        vx_buf_printf(b, " and %zu more opening%s.", more, more == 1 ? "" : "s");
    } else {
        vx_buf_printf(b, "On %s I have ", label);
        local_time_say_list(b, w, o->nslots);
        vx_buf_puts(b, ".");
    }
    return 0;
}
