/*
 * scheduling: the calendar tools — checkAvailability, bookClinicAppointment,
 * rescheduleAppointment, cancelAppointment — over the org's business hours,
 * timezone (DST-correct), slot length, buffer between appointments, existing
 * appointments and, when the org has Google Calendar connected, Google
 * free/busy. Double booking is impossible by construction: an exclusion
 * constraint on appointments (see migrations/0003_scheduling.sql).
 */
#ifndef TOOL_ROUTER_SCHEDULING_H
#define TOOL_ROUTER_SCHEDULING_H

#include "tool.h"

/* Registers the statements of the scheduling tools on a worker's connection. */
void scheduling_prepare(vx_pg *pg);

tool_status tool_check_availability(const tool_ctx *ctx, tool_result *out);
tool_status tool_book_appointment(const tool_ctx *ctx, tool_result *out);
tool_status tool_reschedule_appointment(const tool_ctx *ctx, tool_result *out);
tool_status tool_cancel_appointment(const tool_ctx *ctx, tool_result *out);

#endif
