/*
 * tool: the contract between tool-router's framework and each tool.
 *
 * The framework (dispatch.c, vapi_message.c, tool_table.c, ledger.c and
 * tool_run below) turns a Vapi message into one tool_ctx per tool call,
 * resolves the org, opens a transaction under the org's claims, and — for
 * tools with side effects — claims the (org, toolCallId) pair first, so a
 * repeated toolCallId returns the stored answer and repeats nothing, across
 * replicas. A tool only reads ctx and fills out; ctx and everything it
 * points to belong to the framework and live until the answer is sent.
 *
 * Rules for a tool function:
 * - It runs inside the open transaction (RLS claims set). It may use
 *   SAVEPOINT / ROLLBACK TO SAVEPOINT (e.g. around an INSERT that may hit the
 *   booking exclusion constraint) but never COMMIT or ROLLBACK.
 * - It always filters by ctx->org_id in SQL too (defence in depth).
 * - out->text is one spoken sentence (or a few), single line, no newlines:
 *   what the assistant will say. Errors are sentences too ("I couldn't find
 *   that appointment"), with out->is_error = true for failures the caller
 *   should hear as failures.
 * - Returning TOOL_RETRY means "the database failed": the framework rolls
 *   back, stores nothing and answers a generic apology; every other outcome
 *   is committed (and remembered for the toolCallId when the tool has side
 *   effects).
 */
#ifndef TOOL_ROUTER_TOOL_H
#define TOOL_ROUTER_TOOL_H

#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <stdbool.h>
#include <stddef.h>

#include "vx_buf.h"
#include "vx_pg.h"
#include "vx_tool_catalog.h" /* the tools and their arguments' names (VX_TOOL_*, VX_TOOL_ARG_*) */

typedef struct settings settings; /* settings.h */

typedef struct tool_ctx {
    vx_pg *pg;
    natsConnection *nc;
    const settings *settings; /* process-wide configuration (base URLs, limits; settings.h) */
    const char *request_id;
    const char *org_id; /* resolved, a UUID */
    const char *tool_name;
    const char *tool_call_id;  /* "" when Vapi sent none (legacy function-call) */
    const char *vapi_call_id;  /* message.call.id, or NULL */
    const char *caller_number; /* message.call.customer.number when E.164, or NULL */
    const char *control_url;   /* message.call.monitor.controlUrl (Live Call Control), or NULL */
    const cJSON *args;         /* the arguments object; never NULL (empty object when none) */
} tool_ctx;

typedef struct tool_result {
    bool is_error;
    vx_buf text; /* the sentence to say */
    /* Optional extra JSON fields merged into the Vapi answer by the framework,
     * e.g. {"destination": {...}} for transferCall. Owned by the result. */
    cJSON *extra;
    /* Optional work for after the transaction committed: calls to outside
     * services (a Google Calendar event) that must not hold the transaction —
     * and the locks of what it wrote — open, and must not happen at all if it
     * rolls back. The framework runs after_commit(ctx, data, result) after a
     * successful commit — it may change what is said when the outside call
     * failed (the ledger keeps the committed answer) — then always frees data
     * with free_after_commit. */
    void (*after_commit)(const tool_ctx *ctx, void *data, struct tool_result *result);
    void *after_commit_data;
    void (*free_after_commit)(void *data);
} tool_result;

typedef enum { TOOL_DONE = 0, TOOL_RETRY = -1 } tool_status;

typedef tool_status (*tool_fn)(const tool_ctx *ctx, tool_result *out);

/* A tool that answers from one read, such as lookupCaller, is two functions
 * instead of a tool_fn, so that the framework can run the reads of many calls
 * — of many callers — in one database round trip (vx_pg_read_batch):
 * - plan checks the arguments and either answers at once (out filled,
 *   read->q.stmt left NULL) or names the statement and its parameters (the
 *   org's claims are the framework's business, org_id is ctx->org_id);
 * - answer turns the statement's rows into the result; TOOL_RETRY means the
 *   rows made no sense (the framework answers an apology).
 * The read runs under the org's claims like every tool's, outside any
 * transaction: only for tools that write nothing. */
typedef struct tool_read {
    vx_pg_read q;
    vx_buf key; /* storage for a parameter plan built (params may point into it) */
} tool_read;
typedef void (*tool_plan_fn)(const tool_ctx *ctx, tool_read *read, tool_result *out);
typedef tool_status (*tool_answer_fn)(const tool_ctx *ctx, const PGresult *rows, tool_result *out);

/* Runs and releases the after-commit work of r (committed = false only releases it). */
void tool_result_finish(const tool_ctx *ctx, tool_result *r, bool committed);

/* Convenience for tools: sets the sentence (printf-style), clearing any previous text. */
void tool_say(tool_result *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, and marks the result as an error. */
void tool_fail(tool_result *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The argument `name` as sent, or NULL when absent or null. Every read of an
 * argument goes through here — tool_arg_str and the readers of
 * calendar/args.h too; nothing else looks into ctx->args — and name is
 * always one of libcommon/vx_tool_catalog.h's VX_TOOL_ARG_*: the catalog is
 * the one source of the arguments a tool has, for the schema Vapi gets and
 * for what the tool reads here (tests/integration/tool-router/
 * test_tool_schemas.c runs every tool and compares the two).
 */
const cJSON *tool_arg(const tool_ctx *ctx, const char *name);

/* A string argument as sent, or NULL when absent, null, empty or not a string. */
const char *tool_arg_str(const tool_ctx *ctx, const char *name);

/* For tests: fn is told every argument a tool reads (through tool_arg), with
 * the tool's name (ctx->tool_name). NULL, the default, tells nobody. Set it
 * only while no call runs. */
typedef void (*tool_arg_observer)(const char *tool_name, const char *arg_name);
void tool_arg_observe(tool_arg_observer fn);

/* ------------------------------------------------------------ the framework's side
 *
 * How one call is run once dispatch.c has found its tool (t, see
 * tool_table.h), resolved the org and built ctx. r starts zeroed; whatever
 * happens it ends as a sentence to say (an apology when the database
 * failed — never an HTTP error), which the caller then cleans with
 * tool_result_clean and frees (text, extra). */
struct tool_table_entry;

/* Runs t->run for ctx into r: without the database when t needs none;
 * else in the org's scope — a transaction when t has side effects, with
 * the ledger claim (a repeated toolCallId: the stored answer, nothing run)
 * and the answer stored, cleaned, before COMMIT; a read scope otherwise.
 * TOOL_RETRY or any database failure rolls back and leaves the apology.
 * After a commit the tool's after_commit work runs. */
void tool_run(const struct tool_table_entry *t, const tool_ctx *ctx, tool_result *r);

/* Answers a planned one-read call of t from its rows (NULL: the read
 * failed), or with the apology; r is cleaned. */
void tool_answer_read(const struct tool_table_entry *t, const tool_ctx *ctx, const PGresult *rows, tool_result *r);

/* Replaces r with the apology (settings' say_apology, an error; extra dropped). */
void tool_result_apologize(tool_result *r, const settings *s);

/* Makes r's text what is said: valid UTF-8, one line, at most max bytes,
 * never empty ("Done."). Cleaning twice changes nothing. */
void tool_result_clean(tool_result *r, size_t max);

#endif
