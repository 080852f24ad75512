/*
 * router: tool-router's worker — one Vapi message in, one Vapi answer out.
 *
 * Each worker owns one PostgreSQL connection and one org cache and serves
 * rpc.tools.> in queue group "tools" on a thread and NATS connection of its
 * own (vx_rpc_worker), so workers and replicas share the load;
 * rpc.tools.health is answered by a worker from its own connection. Tools
 * that ask other services (vault, rag) do so on the shared connection nc.
 *
 * Routes (GatewayRequest.route):
 *   vapi.webhook  POST /api/vapi/webhook, dispatched on message.type:
 *                 tool-calls → {"results":[…]}, function-call → {"result":…},
 *                 assistant-request, transfer-destination-request,
 *                 knowledge-base-request (see their modules); any other
 *                 type → {} (Vapi ignores the body of those).
 *   vapi.tool     POST /api/vapi/tools/{tool}: the calls of the body (a
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
 * (unknown → "I'm sorry, I can't do that yet."); refuse a tool with side
 * effects once the request's deadline has passed (the gateway has answered
 * Vapi with a failure already, so the caller must not be booked or
 * transferred behind their back); resolve the org once per
 * message (not found → "I'm sorry, I can't access this practice's records
 * right now."); open the org transaction; for tools with side effects and a
 * toolCallId, claim it in the ledger (a repeat returns the stored answer);
 * run the tool; store the answer; commit. TOOL_RETRY or any database failure
 * rolls back and answers an apology — never a 5xx.
 */
#ifndef TOOL_ROUTER_ROUTER_H
#define TOOL_ROUTER_ROUTER_H

#include <nats/nats.h>

#include "pool.h"
#include "settings.h"
#include "vx_orgs.h"
#include "vx_pg.h"
#include "vx_rpc.h"

typedef struct router_worker {
    vx_pg *pg;
    vx_orgs_resolver *orgs;
    natsConnection *nc; /* shared, for the tools' own requests to other services */
    const struct tool_settings *settings;
    router_pool *pool; /* where messages that may take long go; NULL: answered here */
    vx_rpc_worker *rpc;
} router_worker;

/* Creates the worker's database handle and cache and registers every
 * statement (the scheduling tools' too). Connects nothing yet. */
void router_worker_init(router_worker *w, const char *database_url, natsConnection *nc, router_pool *pool,
                        const struct tool_settings *settings, const vx_listener *listener);
/* Starts serving (a thread and NATS connection to nats_url). Returns 0 or -1. */
int router_worker_start(router_worker *w, const char *nats_url);
/* Stops taking new requests (in-flight ones finish). Call for every worker, then router_worker_destroy. */
void router_worker_drain(router_worker *w);
/* Waits for the drain (up to 5 s) and frees everything. */
void router_worker_destroy(router_worker *w);

/* The handler (vx_rpc_batch_handler): every request of reqs is parsed and
 * answered, except the reads of messages that only read (lookupCaller):
 * those of all the batch's callers run together in one database round trip
 * (vx_pg_read_batch), then their answers are built. */
void router_handle_batch(void *state, const vx_gateway_request *const *reqs, vx_rpc_reply *replies, size_t n);
/* The same for one request (vx_rpc_handler), for tests and benchmarks. */
void router_handle(void *state, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
