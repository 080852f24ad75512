/*
 * dispatch: routes, message kinds and the batch (see dispatch.h).
 *
 * Design: a request becomes a message_job — its parse, its org (resolved
 * lazily, once per message, and only when a call that can run needs it: a
 * message of unknown tools costs no database round trip), the results of
 * its calls and the one-read calls still waiting for their read. The batch
 * handler starts every job, runs all the waiting reads in one
 * vx_pg_read_batch, then finishes the jobs; dispatch_request is a batch of
 * one. Running one tool call is tool.c's (tool_run); the tools themselves
 * are found through tool_table.c; the call-time messages that are not tools
 * are in messages/, wrapped here in their org transaction.
 */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "calendar/booking.h"
#include "calendar/local_time.h"
#include "calendar/schedule.h"
#include "ledger.h"
#include "messages/messages.h"
#include "tool.h"
#include "tool_table.h"
#include "transfer/destination.h"
#include "vapi_message.h"
#include "vx_log.h"
#include "vx_routes.h"
#include "vx_time.h"

/* What one message is being answered with: its parse and its org, resolved once. */
typedef struct message_ctx {
    dispatch *d;
    const vx_gateway_request *req;
    const vapi_message *m;
    enum { ORG_UNRESOLVED, ORG_FOUND, ORG_NOT_FOUND, ORG_DB_ERROR } org_state;
    char org_id[VX_UUID_STR_LEN + 1];
} message_ctx;

/* A call of a one-read tool whose read has not run yet. */
typedef struct pending_read {
    const tool_table_entry *tool;
    tool_ctx ctx;
    tool_read read;
} pending_read;

/* One request of a batch: its message, the answers of its calls, and whether
 * some wait for the batch's reads. */
typedef struct message_job {
    message_ctx mc;
    vapi_message m;
    bool parsed;
    bool per_tool;
    bool defer_reads;      /* reads wait for the batch (else they run at once) */
    tool_result *results;  /* per call */
    pending_read *pending; /* per call; tool NULL when not waiting */
    int64_t started_us;
} message_job;

static int resolve_org(message_ctx *mc)
{
    if (mc->org_state == ORG_UNRESOLVED) {
        const vapi_message *m = mc->m;
        vx_orgs_keys k = {m->assistant_id, m->metadata_org_id[0] ? m->metadata_org_id : NULL, m->phone_number_id, m->called_number};
        const char *tier;
        vx_orgs_result r = vx_orgs_resolve(mc->d->orgs, &k, mc->org_id, &tier);
        mc->org_state = r == VX_ORGS_FOUND ? ORG_FOUND : r == VX_ORGS_NOT_FOUND ? ORG_NOT_FOUND : ORG_DB_ERROR;
        if (r == VX_ORGS_NOT_FOUND)
            vx_log_warn(mc->req->request_id, NULL, "no org for this Vapi message", "assistant_id", m->assistant_id,
                        "metadata_org_id", k.metadata_org_id, "phone_number_id", m->phone_number_id, "called_number",
                        m->called_number);
        else if (r == VX_ORGS_DB_ERROR)
            vx_log_error(mc->req->request_id, NULL, "org resolution failed", "error", vx_pg_error(mc->d->pg));
    }
    return mc->org_state;
}

/* The arguments of handlers that get none: an object without members. */
static const cJSON NO_ARGS = {.type = cJSON_Object};

static tool_ctx make_ctx(message_ctx *mc, const char *tool_name, const char *tool_call_id, const cJSON *args)
{
    tool_ctx ctx = {
        .pg = mc->d->pg,
        .nc = mc->d->nc,
        .settings = mc->d->config,
        .request_id = mc->req->request_id,
        .org_id = mc->org_id,
        .tool_name = tool_name,
        .tool_call_id = tool_call_id,
        .vapi_call_id = mc->m->call_id,
        .caller_number = mc->m->caller_number,
        .control_url = mc->m->control_url,
        .args = args != NULL ? args : &NO_ARGS,
    };
    return ctx;
}

/* True when the gateway's deadline for this request is over (0: none given). */
static bool deadline_passed(const vx_gateway_request *req)
{
    return req->deadline_unix_ms > 0 && vx_now_ms() > req->deadline_unix_ms;
}

/* Answers c into r — except for a one-read tool whose read it only plans
 * (pending->tool set): finish_read answers that once the read has run. */
static void run_call(message_ctx *mc, const vapi_call *c, tool_result *r, pending_read *pending)
{
    const settings *s = mc->d->config;
    const tool_table_entry *t = c->problem == VAPI_CALL_OK ? tool_table_find(c->name) : NULL;
    if (c->problem == VAPI_CALL_BAD_ARGS || c->problem == VAPI_CALL_BAD_ID) {
        tool_fail(r, "%s", s->say_bad_args);
    } else if (c->problem == VAPI_CALL_TOO_MANY) {
        tool_fail(r, "I'm sorry, that was too many requests at once. Could we take them one at a time?");
    } else if (t == NULL) {
        vx_log_warn(mc->req->request_id, NULL, "unknown tool", "tool", c->name);
        tool_fail(r, "%s", s->say_unknown_tool);
    } else if (t->side_effects && deadline_passed(mc->req)) {
        /* The gateway has answered already (Vapi heard a failure): a booking or
         * transfer done now would happen behind the caller's back. */
        vx_log_warn(mc->req->request_id, NULL, "tool call not run: its deadline has passed", "tool", t->name);
        tool_fail(r, "%s", s->say_apology);
    } else if (resolve_org(mc) == ORG_NOT_FOUND) {
        tool_fail(r, "%s", s->say_no_org);
    } else if (mc->org_state == ORG_DB_ERROR) {
        tool_fail(r, "%s", s->say_apology);
    } else {
        tool_ctx ctx = make_ctx(mc, t->name, c->id, c->args);
        if (t->plan != NULL) {
            pending->ctx = ctx;
            t->plan(&pending->ctx, &pending->read, r);
            if (pending->read.q.stmt != NULL) {
                pending->tool = t;
                pending->read.q.org_id = mc->org_id;
                return; /* answered by finish_read */
            }
        } else {
            tool_run(t, &ctx, r);
        }
    }
    tool_result_clean(r, s->max_result_chars);
}

/* Answers a planned call from its read's rows (NULL: the read failed). */
static void finish_read(pending_read *p, tool_result *r)
{
    tool_answer_read(p->tool, &p->ctx, p->read.q.result, r);
    PQclear(p->read.q.result);
    p->read.q.result = NULL;
    p->tool = NULL;
}

/* Runs the message's calls in order; a one-read tool's read waits for the
 * batch when the job defers reads, else runs at once. */
static void start_calls(message_job *job)
{
    message_ctx *mc = &job->mc;
    size_t n = job->m.ncalls > 0 ? job->m.ncalls : 1;
    job->results = calloc(n, sizeof(*job->results));
    job->pending = calloc(n, sizeof(*job->pending));
    if (job->results == NULL || job->pending == NULL)
        abort();
    job->started_us = vx_monotonic_us();
    for (size_t i = 0; i < job->m.ncalls; i++) {
        pending_read *p = &job->pending[i];
        run_call(mc, &job->m.calls[i], &job->results[i], p);
        if (p->tool != NULL && !job->defer_reads) {
            vx_pg_read_batch(mc->d->pg, &p->read.q, 1);
            finish_read(p, &job->results[i]);
        }
    }
}

/* Answers the deferred reads (run by now), then builds the reply. */
static void answer_calls(message_job *job, vx_rpc_reply *reply)
{
    message_ctx *mc = &job->mc;
    const vapi_message *m = &job->m;
    char us[24];
    snprintf(us, sizeof(us), "%lld", (long long)(vx_monotonic_us() - job->started_us));
    for (size_t i = 0; i < m->ncalls; i++) {
        if (job->pending[i].tool != NULL)
            finish_read(&job->pending[i], &job->results[i]);
        vx_log_debug(mc->req->request_id, mc->org_state == ORG_FOUND ? mc->org_id : NULL, "tool call", "tool", m->calls[i].name,
                     "tool_call_id", m->calls[i].id, "outcome", job->results[i].is_error ? "error" : "result", "message_us", us);
    }
    unsigned shapes = ANSWER_RESULTS;
    if (m->kind == VX_VAPI_FUNCTION_CALL)
        shapes = job->per_tool ? ANSWER_RESULTS | ANSWER_TOOL_RESULT | ANSWER_RESULT : ANSWER_RESULT;
    else if (job->per_tool)
        shapes |= ANSWER_TOOL_RESULT;
    char *json = answer_tool_calls(shapes, m->calls, job->results, m->ncalls);
    vx_rpc_reply_json(reply, 200, json);
    cJSON_free(json);
}

/* assistant-request and transfer-destination-request: one org transaction, one answer. */
static void answer_in_org(message_ctx *mc, vx_rpc_reply *reply)
{
    const vapi_message *m = mc->m;
    const settings *s = mc->d->config;
    bool assistant = m->kind == VX_VAPI_ASSISTANT_REQUEST;
    cJSON *answer = cJSON_CreateObject();
    int org = resolve_org(mc);
    if (org == ORG_NOT_FOUND) {
        cJSON_AddStringToObject(answer, "error", assistant ? s->say_not_set_up : "Sorry, I can't transfer your call right now.");
    } else if (org == ORG_FOUND && vx_pg_begin_org(mc->d->pg, mc->org_id) == 0) {
        /* A transfer's arguments are its transferCall call's, found in the conversation (vapi_message.h). */
        tool_ctx ctx =
            make_ctx(mc, assistant ? "assistant-request" : "transfer-destination-request", "", assistant ? NULL : m->transfer_args);
        tool_status done = assistant ? assistant_request_answer(&ctx, m->phone_number_id, m->called_number, answer)
                                     : transfer_destination_request_answer(&ctx, answer);
        if (done != TOOL_DONE || vx_pg_commit(mc->d->pg) != 0) {
            vx_pg_rollback(mc->d->pg);
            cJSON_Delete(answer);
            answer = cJSON_CreateObject();
        }
    }
    if (answer->child == NULL) {
        vx_log_error(mc->req->request_id, NULL, "call-time message failed", "type", m->type, "error", vx_pg_error(mc->d->pg));
        cJSON_AddStringToObject(answer, "error", "Sorry, we cannot take your call right now. Please try again shortly.");
    }
    char *json = cJSON_PrintUnformatted(answer);
    vx_rpc_reply_json(reply, 200, json);
    cJSON_free(json);
    cJSON_Delete(answer);
}

static void answer_knowledge(message_ctx *mc, vx_rpc_reply *reply)
{
    cJSON *answer = cJSON_CreateObject();
    if (resolve_org(mc) == ORG_FOUND) {
        tool_ctx ctx = make_ctx(mc, "knowledge-base-request", "", NULL);
        knowledge_base_request_answer(&ctx, mc->m->kb_query, answer);
    } else {
        cJSON_AddArrayToObject(answer, "documents");
    }
    char *json = cJSON_PrintUnformatted(answer);
    vx_rpc_reply_json(reply, 200, json);
    cJSON_free(json);
    cJSON_Delete(answer);
}

/* Vapi waits for this answer like a transfer's; see messages.h. */
static void answer_handoff(message_ctx *mc, vx_rpc_reply *reply)
{
    cJSON *answer = cJSON_CreateObject();
    tool_ctx ctx = make_ctx(mc, "handoff-destination-request", "", NULL);
    handoff_destination_request_answer(&ctx, answer);
    char *json = cJSON_PrintUnformatted(answer);
    vx_rpc_reply_json(reply, 200, json);
    cJSON_free(json);
    cJSON_Delete(answer);
}

/* True when every call of the message that reaches the database is a
 * one-read tool: then its reads may wait for the batch's round trip without
 * changing what any call sees. A message that also writes or asks another
 * service runs its calls in order, each read at once. */
static bool reads_only(const vapi_message *m)
{
    if (m->kind != VX_VAPI_TOOL_CALLS && m->kind != VX_VAPI_FUNCTION_CALL)
        return false;
    for (size_t i = 0; i < m->ncalls; i++) {
        const tool_table_entry *t = m->calls[i].problem == VAPI_CALL_OK ? tool_table_find(m->calls[i].name) : NULL;
        if (t != NULL && t->plan == NULL)
            return false;
    }
    return true;
}

/* True when answering m may take long: a tool that writes (and may call
 * Google afterwards), asks another service or reads more than once (see
 * pool.h); the knowledge-base request asks rag-search. */
static bool may_take_long(const vapi_message *m)
{
    if (m->kind == VX_VAPI_KNOWLEDGE_BASE_REQUEST)
        return true;
    if (m->kind != VX_VAPI_TOOL_CALLS && m->kind != VX_VAPI_FUNCTION_CALL)
        return false;
    return !reads_only(m);
}

/* The subjects tool-router serves — the one key from HTTP route to handler
 * (libcommon/vx_routes.h): vx_rpc sets req->route to the subject a request
 * arrived on, and dispatch_check_routes proves at start-up that this table
 * and the suite's routes agree. */
typedef struct dispatch_route {
    const char *subject;
    bool per_tool; /* the per-tool URL: a call without a name is the path's tool; dual-format answer */
} dispatch_route;

static const dispatch_route ROUTES[] = {
    {VX_SUBJECT_TOOLS_WEBHOOK, false},
    {VX_SUBJECT_TOOLS_TOOL, true},
};
#define NROUTES (sizeof(ROUTES) / sizeof(ROUTES[0]))

static const dispatch_route *find_route(const char *subject)
{
    for (size_t i = 0; i < NROUTES; i++)
        if (strcmp(ROUTES[i].subject, subject) == 0)
            return &ROUTES[i];
    return NULL;
}

int dispatch_check_routes(void)
{
    const char *subjects[NROUTES];
    for (size_t i = 0; i < NROUTES; i++)
        subjects[i] = ROUTES[i].subject;
    return vx_routes_check_service("tools", subjects, NROUTES);
}

/* Answers req into reply, except the calls whose reads wait for the batch
 * (job->defer_reads; answer_calls then completes the reply). */
static void start_message(dispatch *d, const vx_gateway_request *req, message_job *job, vx_rpc_reply *reply)
{
    const dispatch_route *route = find_route(req->route);
    if (route == NULL) {
        vx_log_warn(req->request_id, NULL, "no tool-router handler for subject", "subject", req->route);
        vx_rpc_reply_error(reply, 404, "not_found", "No such route.");
        return;
    }
    job->per_tool = route->per_tool;
    if (req->auth == NULL || !req->auth->vapi) {
        vx_rpc_reply_error(reply, 401, "unauthorized", "Vapi routes need Vapi's authentication.");
        return;
    }
    /* On the per-tool route a missing or invalid path name is "" (→ unknown tool), never NULL. */
    const char *path_tool = NULL;
    if (job->per_tool) {
        path_tool = vx_rpc_path_param(req, "tool");
        if (path_tool == NULL)
            path_tool = "";
    }
    vapi_parse_status ps = vapi_message_parse((const char *)req->body.data, req->body.len, path_tool, &job->m);
    if (ps == VAPI_PARSE_NOT_JSON) {
        vx_rpc_reply_error(reply, 400, "invalid_json", "The body is not valid JSON.");
        return;
    }
    if (ps == VAPI_PARSE_NO_MESSAGE) {
        vx_rpc_reply_error(reply, 400, "invalid_message", "Expected {\"message\": {…}} as Vapi sends it.");
        return;
    }
    job->parsed = true;
    if (d->slow != NULL && may_take_long(&job->m)) {
        pool_submit(d->slow, vx_rpc_defer(reply));
        return;
    }
    job->mc = (message_ctx){.d = d, .req = req, .m = &job->m, .org_state = ORG_UNRESOLVED};
    switch (job->m.kind) {
    case VX_VAPI_TOOL_CALLS:
    case VX_VAPI_FUNCTION_CALL:
        job->defer_reads = reads_only(&job->m);
        start_calls(job);
        if (!job->defer_reads)
            answer_calls(job, reply);
        break;
    case VX_VAPI_ASSISTANT_REQUEST:
    case VX_VAPI_TRANSFER_DESTINATION_REQUEST:
        answer_in_org(&job->mc, reply);
        break;
    case VX_VAPI_KNOWLEDGE_BASE_REQUEST:
        answer_knowledge(&job->mc, reply);
        break;
    case VX_VAPI_HANDOFF_DESTINATION_REQUEST:
        answer_handoff(&job->mc, reply);
        break;
    case VX_VAPI_NOT_CALL_TIME:
        vx_rpc_reply_json(reply, 200, "{}");
        break;
    }
}

static void free_job(message_job *job)
{
    if (!job->parsed)
        return;
    for (size_t i = 0; job->results != NULL && i < job->m.ncalls; i++) {
        vx_buf_free(&job->results[i].text);
        cJSON_Delete(job->results[i].extra);
        vx_buf_free(&job->pending[i].read.key);
    }
    free(job->results);
    free(job->pending);
    vapi_message_free(&job->m);
}

/* The deferred reads of every job, in one vx_pg_read_batch (grouped by org
 * there: each read only ever runs under its own call's org). */
static void run_deferred_reads(dispatch *d, message_job *jobs, size_t n)
{
    size_t count = 0;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; jobs[j].defer_reads && i < jobs[j].m.ncalls; i++)
            count += jobs[j].pending[i].tool != NULL;
    if (count == 0)
        return;
    vx_pg_read *reads = malloc(count * sizeof(*reads));
    if (reads == NULL)
        abort();
    size_t k = 0;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; jobs[j].defer_reads && i < jobs[j].m.ncalls; i++)
            if (jobs[j].pending[i].tool != NULL)
                reads[k++] = jobs[j].pending[i].read.q;
    vx_pg_read_batch(d->pg, reads, count);
    k = 0;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; jobs[j].defer_reads && i < jobs[j].m.ncalls; i++)
            if (jobs[j].pending[i].tool != NULL)
                jobs[j].pending[i].read.q.result = reads[k++].result;
    free(reads);
}

void dispatch_batch(void *state, const vx_gateway_request *const *reqs, vx_rpc_reply *replies, size_t n)
{
    dispatch *d = state;
    message_job *jobs = calloc(n > 0 ? n : 1, sizeof(*jobs));
    if (jobs == NULL)
        abort();
    for (size_t i = 0; i < n; i++)
        start_message(d, reqs[i], &jobs[i], &replies[i]);
    run_deferred_reads(d, jobs, n);
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].defer_reads)
            answer_calls(&jobs[i], &replies[i]);
        free_job(&jobs[i]);
    }
    free(jobs);
}

void dispatch_request(void *state, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    dispatch_batch(state, &req, reply, 1);
}

/* Every module that runs statements registers them here, once per
 * connection: vx_pg prepares them on connect (and again after a reconnect),
 * so a request never prepares anything. */
static void prepare_statements(vx_pg *pg)
{
    ledger_prepare(pg);
    tool_table_prepare(pg);        /* each tool's own */
    assistant_request_prepare(pg); /* the call-time messages' */
    destination_prepare(pg);       /* transferCall's and transfer-destination-request's */
    schedule_prepare(pg);          /* the calendar's (libcommon's vx_calendar too), shared by the calendar tools */
    local_time_prepare(pg);
    booking_prepare(pg);
}

dispatch *dispatch_create(const char *database_url, natsConnection *nc, pool *slow, const settings *config,
                          const vx_listener *listener)
{
    dispatch *d = calloc(1, sizeof(*d));
    if (d == NULL)
        abort();
    d->pg = vx_pg_create(database_url);
    d->nc = nc;
    d->slow = slow;
    d->config = config;
    d->orgs = vx_orgs_resolver_create(d->pg, listener);
    prepare_statements(d->pg);
    return d;
}

void dispatch_destroy(dispatch *d)
{
    if (d == NULL)
        return;
    vx_orgs_resolver_destroy(d->orgs);
    vx_pg_destroy(d->pg);
    free(d);
}
