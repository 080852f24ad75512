/*
 * schedule: an org's scheduling rules as the calendar tools read them once
 * per call — time zone, slot length, buffer between appointments, booking
 * horizon, minimum notice, the org's local date and the transaction's now —
 * and the services it offers (which set an appointment's length).
 *
 * Every function taking a tool_ctx runs inside the tool's transaction (or
 * read scope) and filters by ctx->org_id in SQL too. Functions returning int
 * return 0 on success and -1 when the database failed (the tool then
 * returns TOOL_RETRY); their SQL never fails on caller input, which is
 * validated in C first (calendar/args.h), so a -1 always means the database
 * itself. The statements are registered by schedule_prepare.
 */
#ifndef TOOL_ROUTER_CALENDAR_SCHEDULE_H
#define TOOL_ROUTER_CALENDAR_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "calendar/args.h"
#include "calendar/date.h"
#include "tool.h"
#include "vx_buf.h"
#include "vx_calendar.h"

typedef struct schedule {
    char timezone[65]; /* IANA name */
    int slot_minutes;
    int buffer_minutes;
    int horizon_days;
    int min_notice_minutes;
    date_ymd today; /* the org's local date at the transaction's start */
    int64_t now_ms; /* the transaction's now() */
} schedule;

typedef struct schedule_service {
    bool found;
    char id[37];
    char name[4 * ARGS_TEXT_MAX + 1];
    int duration_minutes;
} schedule_service;

/* Registers the statements of schedule.c and of libcommon's vx_calendar on a
 * worker's connection. */
void schedule_prepare(vx_pg *pg);

/* Runs a registered statement on ctx->pg; on failure logs it (statement,
 * error, SQLSTATE) and returns NULL. The caller PQclear()s the result. Every
 * calendar module runs its statements through this. */
PGresult *schedule_exec(const tool_ctx *ctx, const char *stmt, int nparams, const char *const *params);
/* The integer at (row, col) of a result; 0 for SQL NULL. */
int64_t schedule_int_at(const PGresult *r, int row, int col);

/* The org's rules (vx_calendar_rules_load); an org without an org_settings
 * row gets the column defaults of migrations/0003 (America/New_York,
 * 30-minute slots, …). */
int schedule_load(const tool_ctx *ctx, schedule *s);
/* s as libcommon's calendar takes it (today_start_ms is left 0: unused there). */
void schedule_rules(const schedule *s, vx_calendar_rules *r);
/* The last bookable local date. */
date_ymd schedule_horizon_end(const schedule *s);

/* The active service that best matches what the caller said (exact name,
 * keyword, then name contained either way); out->found is false when none
 * (or wanted is NULL or empty: no query is sent). */
int schedule_service_find(const tool_ctx *ctx, const char *wanted, schedule_service *out);
/* Appends "Botox, Cleaning and Consultation" (up to 8 active services, by
 * name) to out; *count = how many. */
int schedule_service_names(const tool_ctx *ctx, vx_buf *out, int *count);

#endif
