/*
 * prompt: the system prompt builder (see prompt.h).
 */
#include "prompt.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_tool_catalog.h"

static const char *const WEEKDAYS[7] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
static const char *const WEEKDAY_NAMES[7] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

/* When to call each tool, by its catalog name. */
static const struct {
    const char *tool;
    const char *when;
} INSTRUCTIONS[] = {
    {VX_TOOL_LOOKUP_CALLER, "at the start of every call, with the caller's phone number, to greet a returning caller by "
                            "name and to know their upcoming appointments."},
    {VX_TOOL_CHECK_AVAILABILITY, "before you offer or confirm any time: never guess whether a time is free. Offer at most "
                                 "three of the times it returns."},
    {VX_TOOL_BOOK_CLINIC_APPOINTMENT, "once the caller has chosen a time it returned and you have their name and phone "
                                      "number; read the booking back to them after it succeeds."},
    {VX_TOOL_RESCHEDULE_APPOINTMENT,
     "when the caller wants to move an existing appointment: find the new time with " VX_TOOL_CHECK_AVAILABILITY " first."},
    {VX_TOOL_CANCEL_APPOINTMENT, "when the caller asks to cancel an appointment; confirm which one before you call it."},
    {VX_TOOL_TRANSFER_CALL, "when the caller asks for a person, is upset, or needs something you cannot do; say you are "
                            "transferring them, then call it with a one-sentence summary."},
    {VX_TOOL_GET_KNOWLEDGE_BASE, "for any question about the business the facts above do not answer (policies, "
                                 "preparation, insurance, directions)."},
};

static const char *str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) && v->valuestring[0] != '\0' ? v->valuestring : NULL;
}

/* Appends s with every line break turned into a space (a fact stays one line). */
static void put_line_text(vx_buf *b, const char *s)
{
    for (const char *p = s; *p; p++)
        vx_buf_putc(b, (*p == '\n' || *p == '\r') ? ' ' : *p);
}

static void put_hours(vx_buf *b, const cJSON *hours, const char *timezone)
{
    if (!cJSON_IsObject(hours))
        return;
    vx_buf_puts(b, "\nOpening hours");
    if (timezone) {
        vx_buf_puts(b, " (");
        put_line_text(b, timezone);
        vx_buf_puts(b, " time)");
    }
    vx_buf_puts(b, ":\n");
    for (int d = 0; d < 7; d++) {
        const cJSON *day = cJSON_GetObjectItemCaseSensitive(hours, WEEKDAYS[d]);
        vx_buf_printf(b, "- %s: ", WEEKDAY_NAMES[d]);
        int shown = 0;
        const cJSON *iv;
        cJSON_ArrayForEach(iv, day)
        {
            const char *opens = str(iv, "opens"), *closes = str(iv, "closes");
            if (!opens || !closes)
                continue;
            if (shown++)
                vx_buf_puts(b, ", ");
            put_line_text(b, opens);
            vx_buf_puts(b, " to ");
            put_line_text(b, closes);
        }
        vx_buf_puts(b, shown ? "\n" : "closed\n");
    }
}

static void put_services(vx_buf *b, const cJSON *services)
{
    if (cJSON_GetArraySize(services) == 0)
        return;
    vx_buf_puts(b, "\nServices offered:\n");
    int n = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, services)
    {
        const char *name = str(s, "name");
        if (!name)
            continue;
        if (n++ == TSYNC_PROMPT_MAX_SERVICES)
            break;
        vx_buf_puts(b, "- ");
        put_line_text(b, name);
        const cJSON *minutes = cJSON_GetObjectItemCaseSensitive(s, "duration_minutes");
        if (cJSON_IsNumber(minutes))
            vx_buf_printf(b, " (%d minutes)", minutes->valueint);
        const char *price = str(s, "price");
        if (price) {
            vx_buf_puts(b, ", price ");
            put_line_text(b, price);
        }
        vx_buf_putc(b, '\n');
    }
}

static void put_departments(vx_buf *b, const cJSON *departments, bool transfer)
{
    int n = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, departments)
    {
        if (!cJSON_IsString(d) || d->valuestring[0] == '\0')
            continue;
        if (n == TSYNC_PROMPT_MAX_DEPARTMENTS)
            break;
        vx_buf_puts(b, n++ ? ", " : "\nDepartments a call can be transferred to: ");
        put_line_text(b, d->valuestring);
    }
    if (n)
        vx_buf_puts(b, ".\n");
    else if (transfer)
        vx_buf_puts(b, "\nA call can be transferred to a member of staff.\n");
    else
        vx_buf_puts(b, "\nNo one can take a transferred call: offer to take a message instead.\n");
}

static void put_tools(vx_buf *b, bool has_departments)
{
    vx_buf_puts(b, "\n## Tools\nUse these tools; never make up availability, bookings or facts about the business.\n");
    for (size_t i = 0; i < vx_tool_catalog_count(); i++) {
        const vx_tool_def *t = vx_tool_catalog_at(i);
        for (size_t k = 0; k < sizeof INSTRUCTIONS / sizeof INSTRUCTIONS[0]; k++) {
            if (strcmp(INSTRUCTIONS[k].tool, t->name) != 0)
                continue;
            vx_buf_printf(b, "- %s: call it %s", t->name, INSTRUCTIONS[k].when);
            if (strcmp(t->name, VX_TOOL_TRANSFER_CALL) == 0 && has_departments)
                vx_buf_puts(b, " Name the department the caller needs, one of those listed above.");
            vx_buf_putc(b, '\n');
        }
    }
    vx_buf_puts(b, "If a tool fails, apologise, say what you can do instead, and never read out an error.\n");
}

char *tsync_prompt_build(const cJSON *facts)
{
    vx_buf b = VX_BUF_INIT;
    const char *owner = str(facts, "owner_text");
    if (owner) {
        vx_buf_puts(&b, owner);
        vx_buf_puts(&b, "\n\n");
    }
    vx_buf_puts(&b, "## The business\n");
    const char *name = str(facts, "business_name");
    if (name) {
        vx_buf_puts(&b, "You are the phone receptionist of ");
        put_line_text(&b, name);
        vx_buf_puts(&b, ".\n");
    } else {
        vx_buf_puts(&b, "You are the phone receptionist of this business.\n");
    }
    const char *timezone = str(facts, "timezone");
    put_hours(&b, cJSON_GetObjectItemCaseSensitive(facts, "hours"), timezone);
    put_services(&b, cJSON_GetObjectItemCaseSensitive(facts, "services"));
    const cJSON *departments = cJSON_GetObjectItemCaseSensitive(facts, "departments");
    bool transfer = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(facts, "transfer"));
    put_departments(&b, departments, transfer);
    put_tools(&b, cJSON_GetArraySize(departments) > 0);
    return vx_buf_steal(&b);
}

char *tsync_prompt_default_first_message(const char *business_name)
{
    vx_buf b = VX_BUF_INIT;
    if (business_name && business_name[0]) {
        vx_buf_puts(&b, "Hello, thank you for calling ");
        put_line_text(&b, business_name);
        vx_buf_puts(&b, ". How can I help you today?");
    } else {
        vx_buf_puts(&b, "Hello, thank you for calling. How can I help you today?");
    }
    return vx_buf_steal(&b);
}
