/*
 * router: message dispatch, the per-call framework of tool.h, and the tool
 * table (see router.h).
 *
 * The tool table is the one place that knows every tool: its Vapi name, its
 * function, whether it has side effects (→ ledger) and whether it needs the
 * database at all (getKnowledgeBase does not: no transaction is opened for
 * it). Statements of every module are registered on each worker's
 * connection at start-up, so a request never prepares anything.
 *
 * The org is resolved lazily, once per message, and only when a call that can
 * run needs it: a message of unknown tools costs no database round trip.
 */
#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "assistant_request.h"
#include "knowledge.h"
#include "ledger.h"
#include "lookup.h"
#include "scheduling.h"
#include "tool.h"
#include "transfer.h"
#include "vapi_message.h"
#include "vx_log.h"
#include "vx_time.h"

typedef struct tool_entry {
    const char *name;
    tool_fn fn;        /* or, for a tool that answers from one read: */
    tool_plan_fn plan; /*   plan + answer (see tool_read in tool.h) */
    tool_answer_fn answer;
    bool side_effects; /* claimed in the ledger */
    bool needs_db;     /* runs inside the org transaction */
} tool_entry;

static const tool_entry TOOLS[] = {
    {"lookupCaller", NULL, lookup_plan, lookup_answer, false, true},
    {"transferCall", tool_transfer_call, NULL, NULL, true, true},
    {"getKnowledgeBase", tool_get_knowledge_base, NULL, NULL, false, false},
    {"checkAvailability", tool_check_availability, NULL, NULL, false, true},
    {"bookClinicAppointment", tool_book_appointment, NULL, NULL, true, true},
    {"rescheduleAppointment", tool_reschedule_appointment, NULL, NULL, true, true},
    {"cancelAppointment", tool_cancel_appointment, NULL, NULL, true, true},
};

static const tool_entry *find_tool(const char *name)
{
    for (size_t i = 0; i < sizeof(TOOLS) / sizeof(TOOLS[0]); i++)
        if (strcmp(TOOLS[i].name, name) == 0)
            return &TOOLS[i];
    return NULL;
}

/* What one message is being answered with: its parse and its org, resolved once. */
typedef struct message_ctx {
    router_worker *w;
    const vx_gateway_request *req;
    const vapi_message *m;
    enum { ORG_UNRESOLVED, ORG_FOUND, ORG_NOT_FOUND, ORG_DB_ERROR } org_state;
    char org_id[VX_UUID_STR_LEN + 1];
} message_ctx;

/* A call of a one-read tool whose read has not run yet. */
typedef struct pending_read {
    const tool_entry *tool;
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

/* Log values: vx_log ends its field list at the first NULL value. */
static const char *or_none(const char *s)
{
    return s != NULL ? s : "";
}

static int resolve_org(message_ctx *mc)
{
    if (mc->org_state == ORG_UNRESOLVED) {
        const vapi_message *m = mc->m;
        vx_orgs_keys k = {m->assistant_id, m->metadata_org_id[0] ? m->metadata_org_id : NULL, m->phone_number_id, m->called_number};
        const char *tier;
        vx_orgs_result r = vx_orgs_resolve(mc->w->orgs, &k, mc->org_id, &tier);
        mc->org_state = r == VX_ORGS_FOUND ? ORG_FOUND : r == VX_ORGS_NOT_FOUND ? ORG_NOT_FOUND : ORG_DB_ERROR;
        if (r == VX_ORGS_NOT_FOUND)
            vx_log_warn(mc->req->request_id, NULL, "no org for this Vapi message", "assistant_id", or_none(m->assistant_id),
                        "metadata_org_id", or_none(k.metadata_org_id), "phone_number_id", or_none(m->phone_number_id),
                        "called_number", or_none(m->called_number));
        else if (r == VX_ORGS_DB_ERROR)
            vx_log_error(mc->req->request_id, NULL, "org resolution failed", "error", vx_pg_error(mc->w->pg));
    }
    return mc->org_state;
}

/* The arguments of handlers that get none: an object without members. */
static const cJSON NO_ARGS = {.type = cJSON_Object};

static tool_ctx make_ctx(message_ctx *mc, const char *tool_name, const char *tool_call_id, const cJSON *args)
{
    tool_ctx ctx = {
        .pg = mc->w->pg,
        .nc = mc->w->nc,
        .settings = mc->w->settings,
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

static void apology(const router_worker *w, tool_result *r)
{
    cJSON_Delete(r->extra);
    r->extra = NULL;
    tool_fail(r, "%s", w->settings->say_apology);
}

/* Every answer leaves clean: valid UTF-8, one line, capped, never empty
 * (a second time is a no-op). */
static void clean_answer(const struct tool_settings *s, tool_result *r)
{
    vx_buf clean = VX_BUF_INIT;
    answer_clean(&clean, r->text.data, s->max_result_chars);
    if (clean.len == 0)
        vx_buf_puts(&clean, "Done.");
    vx_buf_free(&r->text);
    r->text = clean;
}

/* Runs t inside the org's scope (a transaction when it writes), with the ledger when it applies. */
static void run_in_transaction(message_ctx *mc, const tool_entry *t, const tool_ctx *ctx, tool_result *r)
{
    vx_pg *pg = mc->w->pg;
    bool ledger = t->side_effects && ctx->tool_call_id[0] != '\0';
    /* A tool that writes nothing needs no BEGIN … COMMIT: each of its reads
     * travels with its claims in one round trip (see vx_pg_begin_org_reads). */
    int begun = t->side_effects ? vx_pg_begin_org(pg, ctx->org_id) : vx_pg_begin_org_reads(pg, ctx->org_id);
    if (begun != 0)
        goto failed;
    if (ledger) {
        ledger_claim_result c = ledger_claim(pg, ctx->org_id, ctx->tool_call_id, t->name, ctx->vapi_call_id, r);
        if (c == LEDGER_ERROR)
            goto failed;
        if (c == LEDGER_REPLAY) {
            vx_pg_rollback(pg); /* nothing was written */
            vx_log_info(ctx->request_id, ctx->org_id, "repeated tool call answered from the ledger", "tool", t->name,
                        "tool_call_id", ctx->tool_call_id);
            return;
        }
    }
    if (t->fn(ctx, r) != TOOL_DONE)
        goto failed;
    /* What is stored is exactly what is said, now and on every replay. */
    clean_answer(mc->w->settings, r);
    if (ledger && ledger_store(pg, ctx->org_id, ctx->tool_call_id, r) != 0)
        goto failed;
    if (vx_pg_commit(pg) != 0)
        goto failed;
    tool_result_finish(ctx, r, true);
    return;
failed:
    vx_log_error(ctx->request_id, ctx->org_id, "tool call rolled back", "tool", t->name, "tool_call_id", ctx->tool_call_id, "error",
                 vx_pg_error(pg));
    vx_pg_rollback(pg);
    tool_result_finish(ctx, r, false);
    apology(mc->w, r);
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
    const struct tool_settings *s = mc->w->settings;
    const tool_entry *t = c->problem == VAPI_CALL_OK ? find_tool(c->name) : NULL;
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
        } else if (!t->needs_db) {
            bool done = t->fn(&ctx, r) == TOOL_DONE;
            tool_result_finish(&ctx, r, done);
            if (!done)
                apology(mc->w, r);
        } else {
            run_in_transaction(mc, t, &ctx, r);
        }
    }
    clean_answer(s, r);
}

/* Answers a planned call from its read's rows (NULL: the read failed). */
static void finish_read(message_ctx *mc, pending_read *p, tool_result *r)
{
    const PGresult *rows = p->read.q.result;
    if (rows == NULL || p->tool->answer(&p->ctx, rows, r) != TOOL_DONE) {
        vx_log_error(p->ctx.request_id, p->ctx.org_id, "tool read failed", "tool", p->tool->name, "tool_call_id",
                     p->ctx.tool_call_id, "error", rows == NULL ? vx_pg_error(mc->w->pg) : "unexpected rows");
        apology(mc->w, r);
    }
    PQclear(p->read.q.result);
    p->read.q.result = NULL;
    p->tool = NULL;
    clean_answer(mc->w->settings, r);
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
            vx_pg_read_batch(mc->w->pg, &p->read.q, 1);
            finish_read(mc, p, &job->results[i]);
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
            finish_read(mc, &job->pending[i], &job->results[i]);
        vx_log_debug(mc->req->request_id, mc->org_state == ORG_FOUND ? mc->org_id : NULL, "tool call", "tool", m->calls[i].name,
                     "tool_call_id", m->calls[i].id, "outcome", job->results[i].is_error ? "error" : "result", "message_us", us);
    }
    unsigned shapes = ANSWER_RESULTS;
    if (m->kind == VAPI_KIND_FUNCTION_CALL)
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
    const struct tool_settings *s = mc->w->settings;
    bool assistant = m->kind == VAPI_KIND_ASSISTANT_REQUEST;
    cJSON *answer = cJSON_CreateObject();
    int org = resolve_org(mc);
    if (org == ORG_NOT_FOUND) {
        cJSON_AddStringToObject(answer, "error", assistant ? s->say_not_set_up : "Sorry, I can't transfer your call right now.");
    } else if (org == ORG_FOUND && vx_pg_begin_org(mc->w->pg, mc->org_id) == 0) {
        tool_ctx ctx = make_ctx(mc, assistant ? "assistant-request" : "transfer-destination-request", "", NULL);
        tool_status st = assistant ? assistant_request_answer(&ctx, m->phone_number_id, m->called_number, answer)
                                   : transfer_destination_answer(&ctx, answer);
        if (st != TOOL_DONE || vx_pg_commit(mc->w->pg) != 0) {
            vx_pg_rollback(mc->w->pg);
            cJSON_Delete(answer);
            answer = cJSON_CreateObject();
        }
    }
    if (answer->child == NULL) {
        vx_log_error(mc->req->request_id, NULL, "call-time message failed", "type", m->type, "error", vx_pg_error(mc->w->pg));
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
        knowledge_base_answer(&ctx, mc->m->kb_query, answer);
    } else {
        cJSON_AddArrayToObject(answer, "documents");
    }
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
    if (m->kind != VAPI_KIND_TOOL_CALLS && m->kind != VAPI_KIND_FUNCTION_CALL)
        return false;
    for (size_t i = 0; i < m->ncalls; i++) {
        const tool_entry *t = m->calls[i].problem == VAPI_CALL_OK ? find_tool(m->calls[i].name) : NULL;
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
    if (m->kind == VAPI_KIND_KNOWLEDGE_BASE_REQUEST)
        return true;
    if (m->kind != VAPI_KIND_TOOL_CALLS && m->kind != VAPI_KIND_FUNCTION_CALL)
        return false;
    return !reads_only(m);
}

/* Answers req into reply, except the calls whose reads wait for the batch
 * (job->defer_reads; answer_calls then completes the reply). */
static void start_message(router_worker *w, const vx_gateway_request *req, message_job *job, vx_rpc_reply *reply)
{
    job->per_tool = strcmp(req->route, "vapi.tool") == 0;
    if (!job->per_tool && strcmp(req->route, "vapi.webhook") != 0) {
        vx_rpc_reply_error(reply, 404, "not_found", "No such route.");
        return;
    }
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
    if (w->pool != NULL && may_take_long(&job->m)) {
        router_pool_submit(w->pool, vx_rpc_defer(reply));
        return;
    }
    job->mc = (message_ctx){.w = w, .req = req, .m = &job->m, .org_state = ORG_UNRESOLVED};
    switch (job->m.kind) {
    case VAPI_KIND_TOOL_CALLS:
    case VAPI_KIND_FUNCTION_CALL:
        job->defer_reads = reads_only(&job->m);
        start_calls(job);
        if (!job->defer_reads)
            answer_calls(job, reply);
        break;
    case VAPI_KIND_ASSISTANT_REQUEST:
    case VAPI_KIND_TRANSFER_DESTINATION_REQUEST:
        answer_in_org(&job->mc, reply);
        break;
    case VAPI_KIND_KNOWLEDGE_BASE_REQUEST:
        answer_knowledge(&job->mc, reply);
        break;
    case VAPI_KIND_OTHER:
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
static void run_deferred_reads(router_worker *w, message_job *jobs, size_t n)
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
    vx_pg_read_batch(w->pg, reads, count);
    k = 0;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; jobs[j].defer_reads && i < jobs[j].m.ncalls; i++)
            if (jobs[j].pending[i].tool != NULL)
                jobs[j].pending[i].read.q.result = reads[k++].result;
    free(reads);
}

void router_handle_batch(void *state, const vx_gateway_request *const *reqs, vx_rpc_reply *replies, size_t n)
{
    router_worker *w = state;
    message_job *jobs = calloc(n > 0 ? n : 1, sizeof(*jobs));
    if (jobs == NULL)
        abort();
    for (size_t i = 0; i < n; i++)
        start_message(w, reqs[i], &jobs[i], &replies[i]);
    run_deferred_reads(w, jobs, n);
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].defer_reads)
            answer_calls(&jobs[i], &replies[i]);
        free_job(&jobs[i]);
    }
    free(jobs);
}

void router_handle(void *state, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    router_handle_batch(state, &req, reply, 1);
}

/* Runs on the worker's own thread, so it may use the worker's connection. */
static bool worker_healthy(void *state, const char **detail)
{
    router_worker *w = state;
    bool ok = vx_pg_ensure(w->pg) == 0;
    *detail = ok ? "ok" : "database unreachable";
    return ok;
}

void router_worker_init(router_worker *w, const char *database_url, natsConnection *nc, router_pool *pool,
                        const struct tool_settings *settings, const vx_listener *listener)
{
    memset(w, 0, sizeof(*w));
    w->pg = vx_pg_create(database_url);
    w->nc = nc;
    w->pool = pool;
    w->settings = settings;
    w->orgs = vx_orgs_resolver_create(w->pg, listener);
    ledger_prepare(w->pg);
    lookup_prepare(w->pg);
    transfer_prepare(w->pg);
    assistant_request_prepare(w->pg);
    scheduling_prepare(w->pg);
}

int router_worker_start(router_worker *w, const char *nats_url)
{
    w->rpc = vx_rpc_worker_start_batched(nats_url, "tools", router_handle_batch, worker_healthy, w);
    return w->rpc != NULL ? 0 : -1;
}

void router_worker_drain(router_worker *w)
{
    vx_rpc_worker_stop(w->rpc);
}

void router_worker_destroy(router_worker *w)
{
    vx_rpc_worker_join(w->rpc);
    w->rpc = NULL;
    vx_orgs_resolver_destroy(w->orgs);
    vx_pg_destroy(w->pg);
    memset(w, 0, sizeof(*w));
}
