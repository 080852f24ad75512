/*
 * booking_change: rescheduleAppointment and cancelAppointment (declared in
 * scheduling.h) — finding the caller's booked appointment and moving or
 * cancelling it.
 */
#ifndef TOOL_ROUTER_BOOKING_CHANGE_H
#define TOOL_ROUTER_BOOKING_CHANGE_H

#include "vx_pg.h"

/* Registers the statements of booking_change.c (called by booking_prepare). */
void booking_change_prepare(vx_pg *pg);

#endif
