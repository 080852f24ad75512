/*
 * scheduling: statement registration for the calendar tools and the
 * checkAvailability tool (the booking tools live in booking.c).
 *
 * checkAvailability(date?, service?) answers with the openings of the asked
 * day in the org's local time — the first three and how many more — sized
 * by the named service's duration or the org's slot length. A closed day, a
 * fully booked day or a day without openings left today says so and offers
 * the next day that has openings, up to the booking horizon. The date may be
 * "YYYY-MM-DD", an ISO date-time, "today", "tomorrow" or a weekday; a missing
 * date means today.
 */
#include "scheduling.h"

#include <stdlib.h>

#include "booking.h"
#include "scheduling_core.h"
#include "scheduling_input.h"

#define MS_PER_MINUTE 60000LL

void scheduling_prepare(vx_pg *pg)
{
    scheduling_core_prepare(pg);
    booking_prepare(pg);
}

/*
 * The slot length for the service the caller named: its duration when the
 * org has such a service, else the org's slot length. When the name matches
 * nothing, *note gets a sentence naming the services that exist. Returns -1
 * when the database failed.
 */
static int _slot_length(const tool_ctx *ctx, const scheduling_settings *s, vx_buf *note, int64_t *length_ms)
{
    *length_ms = s->slot_minutes * MS_PER_MINUTE;
    char *wanted = NULL;
    if (scheduling_arg_text(ctx, "service", SCHEDULING_TEXT_MAX, &wanted) != SCHEDULING_ARG_OK)
        return 0; /* none named (or garbage): the org's default slot */
    scheduling_service svc;
    int rc = scheduling_service_find(ctx, wanted, &svc);
    if (rc == 0 && svc.found) {
        *length_ms = svc.duration_minutes * MS_PER_MINUTE;
    } else if (rc == 0) {
        vx_buf names = VX_BUF_INIT;
        int count = 0;
        rc = scheduling_service_names(ctx, &names, &count);
        if (rc == 0 && count > 0)
            vx_buf_printf(note, "I couldn't find a service called \"%s\"; we offer %s. ", wanted, names.data);
        vx_buf_free(&names);
    }
    free(wanted);
    return rc;
}

tool_status tool_check_availability(const tool_ctx *ctx, tool_result *out)
{
    scheduling_settings s;
    if (scheduling_settings_load(ctx, &s) != 0)
        return TOOL_RETRY;
    availability_date day;
    scheduling_arg st = scheduling_arg_date(ctx, "date", s.today, &day);
    if (st == SCHEDULING_ARG_MISSING) {
        day = s.today;
    } else if (st == SCHEDULING_ARG_INVALID) {
        tool_fail(out, "I didn't catch the date. Which day would you like to come in?");
        return TOOL_DONE;
    }
    char label[40], end_label[40];
    availability_date_label(day, label, sizeof(label));
    availability_date end = scheduling_horizon_end(&s);
    availability_date_label(end, end_label, sizeof(end_label));
    if (availability_date_days(day) < availability_date_days(s.today)) {
        tool_fail(out, "%s has already passed. Which upcoming day would suit you?", label);
        return TOOL_DONE;
    }
    if (availability_date_days(day) > availability_date_days(end)) {
        tool_fail(out, "I can only book up to %d days ahead, so until %s. Which day before then would suit you?", s.horizon_days,
                  end_label);
        return TOOL_DONE;
    }

    vx_buf text = VX_BUF_INIT;
    int64_t length_ms;
    if (_slot_length(ctx, &s, &text, &length_ms) != 0) {
        vx_buf_free(&text);
        return TOOL_RETRY;
    }
    scheduling_google g;
    scheduling_google_open(ctx, &g);
    scheduling_openings o;
    int rc = scheduling_find_openings(ctx, &s, &g, day, length_ms, 0, NULL, &o);
    scheduling_google_close(&g);
    if (rc != 0) {
        vx_buf_free(&text);
        return TOOL_RETRY;
    }
    if (!o.day_open)
        vx_buf_printf(&text, "We're closed on %s. ", label);
    else if (o.day_total == 0 && availability_date_days(day) == availability_date_days(s.today))
        vx_buf_puts(&text, "I don't have any more openings today. ");
    else if (o.day_total == 0)
        vx_buf_printf(&text, "I'm sorry, %s is fully booked. ", label);
    if (scheduling_say_openings(ctx, &s, &o, &text) != 0) {
        vx_buf_free(&text);
        return TOOL_RETRY;
    }
    tool_say(out, "%s", text.data);
    vx_buf_free(&text);
    return TOOL_DONE;
}
