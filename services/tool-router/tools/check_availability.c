/*
 * check_availability: the checkAvailability tool (contract in tools.h).
 *
 * Design: the tool reads the org's rules once (calendar/schedule.h), sizes
 * the slots by the named service or the org's slot length, and asks
 * calendar/openings for the day's openings, which already fall back to the
 * next day that has any. What is left here is choosing the sentence: a
 * closed day, a fully booked day and "nothing more today" each say so
 * before the openings are read out. Read-only: it runs in a read scope, not
 * a transaction, and never touches the ledger.
 */
#include "tools/tools.h"

#include <stdlib.h>

#include "calendar/args.h"
#include "calendar/openings.h"
#include "calendar/schedule.h"

#define MS_PER_MINUTE 60000LL

/*
 * The slot length for the service the caller named: its duration when the
 * org has such a service, else the org's slot length. When the name matches
 * nothing, *note gets a sentence naming the services that exist. Returns -1
 * when the database failed.
 */
static int slot_length(const tool_ctx *ctx, const schedule *s, vx_buf *note, int64_t *length_ms)
{
    *length_ms = s->slot_minutes * MS_PER_MINUTE;
    char *wanted = NULL;
    if (args_text(ctx, VX_TOOL_ARG_SERVICE, ARGS_TEXT_MAX, &wanted) != ARGS_OK)
        return 0; /* none named (or garbage): the org's default slot */
    schedule_service svc;
    int rc = schedule_service_find(ctx, wanted, &svc);
    if (rc == 0 && svc.found) {
        *length_ms = svc.duration_minutes * MS_PER_MINUTE;
    } else if (rc == 0) {
        vx_buf names = VX_BUF_INIT;
        int count = 0;
        rc = schedule_service_names(ctx, &names, &count);
        if (rc == 0 && count > 0)
            vx_buf_printf(note, "I couldn't find a service called \"%s\"; we offer %s. ", wanted, names.data);
        vx_buf_free(&names);
    }
    free(wanted);
    return rc;
}

tool_status check_availability_run(const tool_ctx *ctx, tool_result *out)
{
    schedule s;
    if (schedule_load(ctx, &s) != 0)
        return TOOL_RETRY;
    date_ymd day;
    args_status st = args_date(ctx, VX_TOOL_ARG_DATE, s.today, &day);
    if (st == ARGS_MISSING) {
        day = s.today;
    } else if (st == ARGS_INVALID) {
        tool_fail(out, "I didn't catch the date. Which day would you like to come in?");
        return TOOL_DONE;
    }
    char label[40], end_label[40];
    date_label(day, label, sizeof(label));
    date_ymd end = schedule_horizon_end(&s);
    date_label(end, end_label, sizeof(end_label));
    if (date_days(day) < date_days(s.today)) {
        tool_fail(out, "%s has already passed. Which upcoming day would suit you?", label);
        return TOOL_DONE;
    }
    if (date_days(day) > date_days(end)) {
        tool_fail(out, "I can only book up to %d days ahead, so until %s. Which day before then would suit you?", s.horizon_days,
                  end_label);
        return TOOL_DONE;
    }

    vx_buf text = VX_BUF_INIT;
    int64_t length_ms;
    if (slot_length(ctx, &s, &text, &length_ms) != 0) {
        vx_buf_free(&text);
        return TOOL_RETRY;
    }
    google_link g;
    google_link_open(ctx, &g);
    openings o;
    int rc = openings_find(ctx, &s, &g, day, length_ms, 0, NULL, &o);
    google_link_close(&g);
    if (rc != 0) {
        vx_buf_free(&text);
        return TOOL_RETRY;
    }
    if (!o.day_open)
        vx_buf_printf(&text, "We're closed on %s. ", label);
    else if (o.day_total == 0 && date_days(day) == date_days(s.today))
        vx_buf_puts(&text, "I don't have any more openings today. ");
    else if (o.day_total == 0)
        vx_buf_printf(&text, "I'm sorry, %s is fully booked. ", label);
    if (openings_say(ctx, &s, &o, &text) != 0) {
        vx_buf_free(&text);
        return TOOL_RETRY;
    }
    tool_say(out, "%s", text.data);
    vx_buf_free(&text);
    return TOOL_DONE;
}
