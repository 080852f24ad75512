/*
 * dispatch: one Vapi message in, one Vapi answer out — the handler every
 * worker and pool thread runs (see README.md for which file answers what).
 *
 * Routes — the subject a request arrived on (GatewayRequest.route, set by
 * vx_rpc; the one key of libcommon/vx_routes.h):
 *   VX_SUBJECT_TOOLS_WEBHOOK  POST /api/vapi/webhook, dispatched on message.type
 *                 (vx_vapi_message_kind, the one list of call-time types):
 *                 tool-calls → {"results":[…]}, function-call → {"result":…},
 *                 assistant-request, transfer-destination-request,
 *                 knowledge-base-request (messages/messages.h); any other
 *                 type → {} (Vapi ignores the body of those).
 *   VX_SUBJECT_TOOLS_TOOL  POST /api/vapi/tools/{tool}: the calls of the body (a
 *                 call without a name is the path's tool) → {"results":[…]}
 *                 plus, with exactly one call, the legacy
 *                 {"toolResult":{"type":"text","content":…}} and the tool's
 *                 extra fields at the top level ("dual format"); a legacy
 *                 functionCall body also gets {"result":…}.
 * Every answer about a tool is HTTP 200 with a sentence the assistant can say
 * — unknown tool, bad arguments, unknown org, database down included.
 * HTTP 400 {"error","code"} only when nothing at all can be identified: the
 * body is not JSON (invalid_json) or holds no message object
 * (invalid_message); Vapi's requests are authenticated, so such a body is a
 * client bug, and there is no toolCallId to answer to. A request not marked
 * as coming from Vapi (auth.vapi) is refused with 401; an unknown route 404.
 *
 * Per tool call, in order: refuse a call the parser flagged; find the tool
 * (tool_table; unknown → "I'm sorry, I can't do that yet."); refuse a tool
 * with side effects once the request's deadline has passed (the gateway has
 * answered Vapi with a failure already, so the caller must not be booked or
 * transferred behind their back); resolve the org once per message (not
 * found → "I'm sorry, I can't access this practice's records right now.");
 * then tool_run (tool.h): the org's scope, the ledger, the tool, the
 * commit. TOOL_RETRY or any database failure answers an apology — never a
 * 5xx.
 *
 * Batching: every request of a batch is parsed and answered, except the
 * reads of messages that only read (one-read tools such as lookupCaller):
 * those of all the batch's callers run together in one database round trip
 * (vx_pg_read_batch), then their answers are built. A message that may take
 * long (it writes, asks another service or calls outside) is handed to the
 * pool when there is one, so it never holds a batch's lookups back.
 *
 * Threads: a dispatch belongs to one thread at a time (its database
 * connection and org cache are not shared); settings, the listener, the pool
 * and nc are shared.
 */
#ifndef TOOL_ROUTER_DISPATCH_H
#define TOOL_ROUTER_DISPATCH_H

#include <nats/nats.h>

#include "pool.h"
#include "settings.h"
#include "vx_listen.h"
#include "vx_orgs.h"
#include "vx_pg.h"
#include "vx_rpc.h"

typedef struct dispatch {
    vx_pg *pg;              /* owned */
    vx_orgs_resolver *orgs; /* owned */
    natsConnection *nc;     /* shared, for the tools' own requests to other services (vault, rag-search) */
    const settings *config; /* shared, read-only */
    pool *slow;             /* where messages that may take long go; NULL: answered here */
} dispatch;

/* Checks the subjects dispatch serves against the suite's routes
 * (vx_routes_check_service): 0 when every tools route has a handler and
 * every handler a route, else -1 with each mismatch logged. main refuses to
 * start on -1. */
int dispatch_check_routes(void);

/* Creates a dispatcher: its database handle and org cache, with every
 * module's statements registered, so a request never prepares anything.
 * Connects nothing yet. slow is the pool for messages that may take long
 * (NULL: all answered here); listener may be NULL (see
 * vx_orgs_resolver_create). The caller owns the result and frees it with
 * dispatch_destroy (NULL: nothing), after the last request it handled. */
dispatch *dispatch_create(const char *database_url, natsConnection *nc, pool *slow, const settings *config,
                          const vx_listener *listener);
void dispatch_destroy(dispatch *d);

/* The batch handler (vx_rpc_batch_handler; state is a dispatch): fills
 * replies[i] for reqs[i], or defers it to the pool (vx_rpc_defer). */
void dispatch_batch(void *state, const vx_gateway_request *const *reqs, vx_rpc_reply *replies, size_t n);
/* The same for one request (vx_rpc_handler): what a pool thread runs, and
 * the entry point tests drive in-process. */
void dispatch_request(void *state, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
