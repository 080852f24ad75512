/*
 * ledger: exactly-once tool side effects, keyed on (org, toolCallId).
 *
 * A voice model sometimes fires the same tool call twice within seconds, and
 * two replicas may receive the two copies. For tools with side effects
 * (booking, rescheduling, cancelling, transferring) the router claims the
 * toolCallId in table tool_calls inside the org transaction that runs the
 * tool, and records the answer in the same transaction:
 *
 *   ledger_claim → LEDGER_OWNED:  run the tool, ledger_store its answer, COMMIT
 *               → LEDGER_REPLAY: the stored answer is returned; the tool does not run
 *
 * The claim is an INSERT … ON CONFLICT DO NOTHING: when another transaction
 * holds an uncommitted claim for the same id, PostgreSQL makes this one wait
 * until it commits (→ replay of its answer) or rolls back (→ owned). A
 * rolled-back attempt (TOOL_RETRY, a database failure) leaves no trace, so
 * the next copy runs the tool. Read-only tools and calls without a
 * toolCallId do not use the ledger.
 */
#ifndef TOOL_ROUTER_LEDGER_H
#define TOOL_ROUTER_LEDGER_H

#include "tool.h"

typedef enum {
    LEDGER_OWNED = 0,  /* this transaction runs the tool */
    LEDGER_REPLAY = 1, /* *stored holds the first answer */
    LEDGER_ERROR = -1, /* database failure: roll back (see vx_pg_error) */
} ledger_claim_result;

/* Registers the ledger's statements on a worker's connection. */
void ledger_prepare(vx_pg *pg);

/* Claims (org_id, tool_call_id) inside the open org transaction of pg.
 * vapi_call_id may be NULL. On LEDGER_REPLAY, *stored is filled (its text and
 * extra replaced; the caller owns them as usual). */
ledger_claim_result ledger_claim(vx_pg *pg, const char *org_id, const char *tool_call_id, const char *tool_name,
                                 const char *vapi_call_id, tool_result *stored);

/* Records the answer of an owned claim, in the same transaction. Returns 0 or -1. */
int ledger_store(vx_pg *pg, const char *org_id, const char *tool_call_id, const tool_result *r);

#endif
