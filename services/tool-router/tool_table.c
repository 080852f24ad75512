/*
 * tool_table: name → tool (see tool_table.h).
 *
 * Design: a static array of designated initializers, so a row names only
 * what its tool has; seven rows are found faster by a loop of strcmp than by
 * any index. Names are the catalog's (libcommon/vx_tool_catalog.h), and
 * tool_table_check_catalog holds the two tables to one another.
 */
#include "tool_table.h"

#include <string.h>

#include "vx_log.h"

#include "tools/tools.h"

static const tool_table_entry TOOLS[] = {
    {.name = VX_TOOL_LOOKUP_CALLER,
     .plan = lookup_caller_plan,
     .answer = lookup_caller_answer,
     .needs_db = true,
     .prepare = lookup_caller_prepare},
    {.name = VX_TOOL_TRANSFER_CALL, .run = transfer_call_run, .side_effects = true, .needs_db = true},
    {.name = VX_TOOL_GET_KNOWLEDGE_BASE, .run = get_knowledge_base_run},
    {.name = VX_TOOL_CHECK_AVAILABILITY, .run = check_availability_run, .needs_db = true},
    {.name = VX_TOOL_BOOK_CLINIC_APPOINTMENT,
     .run = book_clinic_appointment_run,
     .side_effects = true,
     .needs_db = true,
     .prepare = book_clinic_appointment_prepare},
    {.name = VX_TOOL_RESCHEDULE_APPOINTMENT,
     .run = reschedule_appointment_run,
     .side_effects = true,
     .needs_db = true,
     .prepare = reschedule_appointment_prepare},
    {.name = VX_TOOL_CANCEL_APPOINTMENT,
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

int tool_table_check_catalog(void)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof(TOOLS) / sizeof(TOOLS[0]); i++) {
        if (vx_tool_catalog_find(TOOLS[i].name) == NULL) {
            vx_log_error(NULL, NULL, "tool-router serves a tool the catalog does not define", "tool", TOOLS[i].name);
            rc = -1;
        }
    }
    for (size_t i = 0; i < vx_tool_catalog_count(); i++) {
        const char *name = vx_tool_catalog_at(i)->name;
        if (tool_table_find(name) == NULL) {
            vx_log_error(NULL, NULL, "the catalog defines a tool tool-router does not serve", "tool", name);
            rc = -1;
        }
    }
    return rc;
}
