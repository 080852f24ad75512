/*
 * tool_table: name → tool (see tool_table.h).
 *
 * Design: a static array of designated initializers, so a row names only
 * what its tool has; seven rows are found faster by a loop of strcmp than by
 * any index.
 */
#include "tool_table.h"

#include <string.h>

#include "tools/tools.h"

static const tool_table_entry TOOLS[] = {
    {.name = "lookupCaller",
     .plan = lookup_caller_plan,
     .answer = lookup_caller_answer,
     .needs_db = true,
     .prepare = lookup_caller_prepare},
    {.name = "transferCall", .run = transfer_call_run, .side_effects = true, .needs_db = true},
    {.name = "getKnowledgeBase", .run = get_knowledge_base_run},
    {.name = "checkAvailability", .run = check_availability_run, .needs_db = true},
    {.name = "bookClinicAppointment",
     .run = book_clinic_appointment_run,
     .side_effects = true,
     .needs_db = true,
     .prepare = book_clinic_appointment_prepare},
    {.name = "rescheduleAppointment",
     .run = reschedule_appointment_run,
     .side_effects = true,
     .needs_db = true,
     .prepare = reschedule_appointment_prepare},
    {.name = "cancelAppointment",
     .run = cancel_appointment_run,
     .side_effects = true,
     .needs_db = true,
     .prepare = cancel_appointment_prepare},
};

const tool_table_entry *tool_table_find(const char *name)
{
    for (size_t i = 0; i < sizeof(TOOLS) / sizeof(TOOLS[0]); i++)
        if (strcmp(TOOLS[i].name, name) == 0)
            return &TOOLS[i];
    return NULL;
}

void tool_table_prepare(vx_pg *pg)
{
    for (size_t i = 0; i < sizeof(TOOLS) / sizeof(TOOLS[0]); i++)
        if (TOOLS[i].prepare != NULL)
            TOOLS[i].prepare(pg);
}
