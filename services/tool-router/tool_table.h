/*
 * tool_table: the one place that knows every tool — its Vapi name, its
 * function(s), whether it has side effects (→ a transaction and the ledger)
 * and whether it needs the database at all — as Redis's command table keeps
 * a command's name and function in one row. Adding a tool is its
 * definition in libcommon/vx_tool_catalog.c (what Vapi gets: description,
 * arguments), a file in tools/ and a row here.
 *
 * The table is static and read-only: any thread may use it at any time.
 */
#ifndef TOOL_ROUTER_TOOL_TABLE_H
#define TOOL_ROUTER_TOOL_TABLE_H

#include <stdbool.h>

#include "tool.h"

typedef struct tool_table_entry {
    const char *name;           /* as the assistant calls it: [A-Za-z0-9_-]{1,64} */
    tool_fn run;                /* the tool; or, for a tool that answers from one read: */
    tool_plan_fn plan;          /*   plan + answer (see tool_read in tool.h), run NULL */
    tool_answer_fn answer;      /*   */
    bool side_effects;          /* runs in a transaction, claimed in the ledger by toolCallId */
    bool needs_db;              /* false: runs without the org's scope (ctx->pg unused) */
    void (*prepare)(vx_pg *pg); /* registers the tool's own statements, or NULL */
} tool_table_entry;

/* The entry named name, or NULL when tool-router has no such tool. */
const tool_table_entry *tool_table_find(const char *name);

/* Checks the table against the catalog of tools we register at Vapi
 * (libcommon/vx_tool_catalog.h): every tool here must be defined there, and
 * every tool there served here. Logs each mismatch and returns -1, else 0;
 * main refuses to start on -1. */
int tool_table_check_catalog(void);

/* Registers every tool's own statements on a worker's connection. */
void tool_table_prepare(vx_pg *pg);

#endif
