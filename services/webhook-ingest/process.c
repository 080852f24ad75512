/*
 * process: a batch of VapiMessageEvents → parse, resolve the orgs, store in
 * one transaction or park (see process.h for the verdict table).
 *
 * A batch goes through three steps:
 *   1. each message on its own: decode, parse, decide by type, resolve the
 *      org; what cannot be stored is parked (each park its own statement)
 *      or acknowledged as ignored;
 *   2. what is left is written in ONE transaction: per org (the claims
 *      switched between orgs, so row-level security checks every row), one
 *      statement per kind of write for all that org's messages
 *      (call_store.h, report.h), then one commit;
 *   3. after the commit: the hot-lead jobs (published, then marked) and the
 *      call.started / call.ended events (published asynchronously, awaited
 *      once for the batch).
 * A transient failure in step 2 (connection lost, deadlock) retries the
 * whole transaction's messages later; a permanent one (a row the database
 * refuses) is isolated by writing each message alone, so one poison message
 * is parked with its error and never holds the others back.
 *
 * Everything taken from an event for logs or parked rows (request id, type,
 * call id) is bounded and UTF-8-repaired first: the gateway wrote it, but it
 * came from Vapi. Raw payloads are never logged; parked payloads go through
 * payload.c, which masks credentials such as phoneNumber.twilioAuthToken.
 */
#include "process.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_report.h"
#include "call_store.h"
#include "ingest_store.h"
#include "payload.h"
#include "report.h"
#include "text.h"
#include "voxanne/v1/vapi.pb-c.h"
#include "vx_events.h"
#include "vx_log.h"
#include "vx_orgs.h"
#include "vx_pg.h"
#include "vx_work.h"

#define PUBLISH_WAIT_MS 2000
#define MAX_FAILED_JOBS 256

struct ingest_processor {
    vx_pg *pg;
    vx_orgs_resolver *resolver;
    jsCtx *js; /* this processor's own (async publishes are awaited per context); NULL: publishes nothing */
    /* Jobs JetStream refused in the current batch, by job id (filled by
     * on_publish_error on a cnats thread, read after the batch's wait). */
    pthread_mutex_t failed_mu;
    char *failed_jobs[MAX_FAILED_JOBS];
    size_t nfailed;
    bool failed_overflow;
    /* Jobs published since the last wait for acknowledgements (unsettled),
     * then — once JetStream took them — waiting to be marked published in
     * the next transaction (marks). Not waited for batch by batch: the next
     * batch's database work overlaps the acknowledgements. */
    bool unsettled;
    struct job_mark {
        char org[VX_UUID_STR_LEN + 1];
        long long id;
        char key[128];
        bool acked;
    } * marks;
    size_t nmarks, cap_marks;
};

/* One message of a batch. */
typedef struct item {
    char *rid;     /* request id, or NULL */
    char *type;    /* message type, or NULL */
    char *call_id; /* Vapi call id, or NULL */
    Voxanne__V1__VapiMessageEvent *ev;
    cJSON *root;
    ingest_call c;
    bool parsed;
    bool to_write; /* step 2 writes it */
    char org[VX_UUID_STR_LEN + 1];
    const char *tier;
    ingest_verdict verdict;
    bool stored;   /* step 2 committed it (step 3 follows) */
    bool advanced; /* status-update: the call moved forward */
    ingest_report_outcome outcome;
} item;

static void on_publish_error(jsCtx *js, jsPubAckErr *pae, void *closure)
{
    ingest_processor *p = closure;
    const char *id = NULL;
    natsMsgHeader_Get(pae->Msg, "Nats-Msg-Id", &id);
    char code[16];
    snprintf(code, sizeof code, "%d", (int)pae->ErrCode);
    vx_log_warn(NULL, NULL, "JetStream refused a publish", "subject", natsMsg_GetSubject(pae->Msg), "msg_id", id, "error",
                pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err), "js_code", code);
    if (!id || strncmp(id, INGEST_HOT_LEAD_JOB_PREFIX, strlen(INGEST_HOT_LEAD_JOB_PREFIX)) != 0)
        return; /* an event: nothing keeps it */
    pthread_mutex_lock(&p->failed_mu);
    if (p->nfailed < MAX_FAILED_JOBS)
        p->failed_jobs[p->nfailed++] = strdup(id);
    else
        p->failed_overflow = true;
    pthread_mutex_unlock(&p->failed_mu);
}

/* Forgets the refused jobs of the last batch. */
static void clear_failed_jobs(ingest_processor *p)
{
    pthread_mutex_lock(&p->failed_mu);
    for (size_t i = 0; i < p->nfailed; i++)
        free(p->failed_jobs[i]);
    p->nfailed = 0;
    p->failed_overflow = false;
    pthread_mutex_unlock(&p->failed_mu);
}

/* Whether JetStream refused job_key in this batch (when unsure: yes, the relay publishes it again). */
static bool job_failed(ingest_processor *p, const char *job_key)
{
    pthread_mutex_lock(&p->failed_mu);
    bool failed = p->failed_overflow;
    for (size_t i = 0; !failed && i < p->nfailed; i++)
        failed = p->failed_jobs[i] && strcmp(p->failed_jobs[i], job_key) == 0;
    pthread_mutex_unlock(&p->failed_mu);
    return failed;
}

ingest_processor *ingest_processor_create(const char *database_url, const vx_listener *orgs_changed, natsConnection *nc)
{
    ingest_processor *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->pg = vx_pg_create(database_url);
    if (!p->pg)
        abort();
    ingest_store_prepare(p->pg);
    p->resolver = vx_orgs_resolver_create(p->pg, orgs_changed);
    if (pthread_mutex_init(&p->failed_mu, NULL) != 0)
        abort();
    if (nc) {
        jsOptions o;
        jsOptions_Init(&o);
        o.PublishAsync.ErrHandler = on_publish_error;
        o.PublishAsync.ErrHandlerClosure = p;
        if (natsConnection_JetStream(&p->js, nc, &o) != NATS_OK)
            abort();
    }
    return p;
}

void ingest_processor_destroy(ingest_processor *p)
{
    if (!p)
        return;
    ingest_processor_idle(p); /* what JetStream took is marked, not published again by the relay */
    free(p->marks);
    vx_orgs_resolver_destroy(p->resolver);
    vx_pg_destroy(p->pg);
    if (p->js)
        jsCtx_Destroy(p->js);
    clear_failed_jobs(p);
    pthread_mutex_destroy(&p->failed_mu);
    free(p);
}

bool ingest_processor_db_ready(ingest_processor *p)
{
    return vx_pg_ensure(p->pg) == 0;
}

/* A copy of a protobuf string for logs, or NULL when empty. */
static char *field(const char *s, size_t max)
{
    return s && *s ? ingest_text_dup(s, max, NULL) : NULL;
}

/* Parks a message and sets its verdict by whether the park succeeded. Takes payload. */
static void park(ingest_processor *p, item *it, const char *org, const char *reason, char *payload)
{
    ingest_store_result r = ingest_store_park(p->pg, reason, it->type, it->call_id, it->rid, payload);
    free(payload);
    if (r == INGEST_STORE_OK) {
        vx_log_warn(it->rid, org, "message parked", "reason", reason, "type", it->type, "call_id", it->call_id);
        it->verdict = INGEST_VERDICT_ACK;
    } else if (r == INGEST_STORE_TRANSIENT) {
        vx_log_warn(it->rid, org, "could not park message, will retry", "reason", reason, "error", vx_pg_error(p->pg));
        it->verdict = INGEST_VERDICT_RETRY;
    } else {
        vx_log_error(it->rid, org, "could not park message, dropping it", "reason", reason, "sqlstate", vx_pg_sqlstate(p->pg),
                     "error", vx_pg_error(p->pg), "call_id", it->call_id);
        it->verdict = INGEST_VERDICT_DROP;
    }
}

/* "<prefix> <sqlstate>: <message>", bounded, for parked_messages.reason. */
static void sql_reason(char *out, size_t n, const char *prefix, vx_pg *pg)
{
    snprintf(out, n, "%s %s: %s", prefix, vx_pg_sqlstate(pg), vx_pg_error(pg));
}

/* Step 1 for one message: its verdict, or to_write with its org. */
static void prepare_item(ingest_processor *p, item *it, const void *data, size_t len)
{
    it->verdict = INGEST_VERDICT_ACK;
    it->ev = voxanne__v1__vapi_message_event__unpack(NULL, len, data);
    if (!it->ev) {
        char n[24];
        snprintf(n, sizeof n, "%zu", len);
        vx_log_warn(NULL, NULL, "undecodable VapiMessageEvent, terminated", "bytes", n);
        it->verdict = INGEST_VERDICT_DROP;
        return;
    }
    it->rid = field(it->ev->request_id, 128);
    it->type = field(it->ev->type, 100);
    it->call_id = field(it->ev->call_id, INGEST_MAX_ID);
    const char *raw = (const char *)it->ev->raw_json.data;
    size_t raw_len = it->ev->raw_json.len;
    it->root = raw_len ? cJSON_ParseWithLength(raw, raw_len) : NULL;
    if (!it->root || ingest_call_from_json(it->root, &it->c) != 0) {
        park(p, it, NULL, "malformed", ingest_payload_malformed(raw ? raw : "", raw_len));
        return;
    }
    it->parsed = true;
    const ingest_call *c = &it->c;
    if (c->type) { /* the body's own type wins over the event's routing copy */
        free(it->type);
        it->type = ingest_text_dup(c->type, 100, NULL);
    }
    if (c->vapi_call_id) {
        free(it->call_id);
        it->call_id = ingest_text_dup(c->vapi_call_id, INGEST_MAX_ID, NULL);
    }
    if (c->kind == INGEST_MSG_OTHER) {
        vx_log_debug(it->rid, NULL, "message type not stored, acknowledged", "type", it->type);
        return;
    }
    if (!c->vapi_call_id) {
        park(p, it, NULL, "missing-call-id", ingest_payload_for_parking(it->root));
        return;
    }
    if (c->kind == INGEST_MSG_STATUS_UPDATE && !c->status) {
        vx_log_debug(it->rid, NULL, "call status not recorded, acknowledged", "call_id", it->call_id);
        return;
    }
    char reason[320];
    vx_orgs_keys keys = {c->assistant_id, c->metadata_org_id, c->phone_number_id, c->to_number};
    vx_orgs_result o = vx_orgs_resolve(p->resolver, &keys, it->org, &it->tier);
    if (o == VX_ORGS_DB_ERROR) {
        if (ingest_store_classify(p->pg) == INGEST_STORE_TRANSIENT) {
            vx_log_warn(it->rid, NULL, "org look-up failed, will retry", "error", vx_pg_error(p->pg));
            it->verdict = INGEST_VERDICT_RETRY;
            return;
        }
        sql_reason(reason, sizeof reason, "resolve-error", p->pg);
        park(p, it, NULL, reason, ingest_payload_for_parking(it->root));
        return;
    }
    if (o == VX_ORGS_NOT_FOUND) {
        park(p, it, NULL, "org-not-resolved", ingest_payload_for_parking(it->root));
        return;
    }
    it->to_write = true;
}

/* Step 2 for the items of one org (all to_write, same org), in the open transaction. */
static ingest_store_result write_org(ingest_processor *p, item **its, size_t n)
{
    const ingest_call **calls = calloc(n, sizeof *calls);
    const char **rids = calloc(n, sizeof *rids);
    item **owners = calloc(n, sizeof *owners);
    bool *advanced = calloc(n, sizeof *advanced);
    ingest_report_outcome *outcomes = calloc(n, sizeof *outcomes);
    if (!calls || !rids || !owners || !advanced || !outcomes)
        abort();
    const char *org = its[0]->org;
    ingest_store_result r = INGEST_STORE_OK;
    static const ingest_msg_kind order[] = {INGEST_MSG_STATUS_UPDATE, INGEST_MSG_HANG, INGEST_MSG_END_OF_CALL_REPORT};
    for (size_t k = 0; r == INGEST_STORE_OK && k < sizeof order / sizeof order[0]; k++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (its[i]->c.kind == order[k]) {
                calls[m] = &its[i]->c;
                rids[m] = its[i]->rid ? its[i]->rid : "";
                owners[m++] = its[i];
            }
        if (m == 0)
            continue;
        if (order[k] == INGEST_MSG_STATUS_UPDATE) {
            r = call_store_statuses(p->pg, org, calls, m, advanced);
            for (size_t i = 0; r == INGEST_STORE_OK && i < m; i++)
                owners[i]->advanced = advanced[i];
        } else if (order[k] == INGEST_MSG_HANG) {
            r = call_store_hangs(p->pg, org, calls, rids, m);
        } else {
            r = ingest_reports_store(p->pg, org, calls, rids, m, outcomes);
            for (size_t i = 0; i < m; i++) { /* the items own their outcomes from here on */
                owners[i]->outcome = outcomes[i];
                memset(&outcomes[i], 0, sizeof outcomes[i]);
            }
        }
    }
    free(calls);
    free(rids);
    free(owners);
    free(advanced);
    free(outcomes);
    return r;
}

/* Opens the transaction under org's claims, or switches to them. */
static int enter_org(ingest_processor *p, bool *open, const char *org)
{
    int rc = *open ? vx_pg_switch_org(p->pg, org) : vx_pg_begin_org(p->pg, org);
    *open = true;
    return rc;
}

/* The marks of earlier batches' jobs JetStream took, org after org, in the open (or opened) transaction. */
static ingest_store_result write_marks(ingest_processor *p, bool *open)
{
    long long *ids = calloc(p->nmarks ? p->nmarks : 1, sizeof *ids);
    bool *done = calloc(p->nmarks ? p->nmarks : 1, sizeof *done);
    if (!ids || !done)
        abort();
    ingest_store_result r = INGEST_STORE_OK;
    for (size_t i = 0; r == INGEST_STORE_OK && i < p->nmarks; i++) {
        if (done[i] || !p->marks[i].acked)
            continue;
        size_t m = 0;
        for (size_t j = i; j < p->nmarks; j++)
            if (!done[j] && p->marks[j].acked && strcmp(p->marks[j].org, p->marks[i].org) == 0) {
                ids[m++] = p->marks[j].id;
                done[j] = true;
            }
        r = enter_org(p, open, p->marks[i].org) != 0 ? ingest_store_classify(p->pg)
                                                     : call_store_jobs_published(p->pg, p->marks[i].org, ids, m);
    }
    free(ids);
    free(done);
    return r;
}

/* Forgets the marks written (acked ones), keeping those still unsettled. */
static void drop_written_marks(ingest_processor *p)
{
    size_t kept = 0;
    for (size_t i = 0; i < p->nmarks; i++)
        if (!p->marks[i].acked)
            p->marks[kept++] = p->marks[i];
    p->nmarks = kept;
}

/* Step 2: writes the n items (all to_write) in one transaction, org after
 * org, with the marks of earlier batches' jobs. */
static ingest_store_result write_all(ingest_processor *p, item **its, size_t n)
{
    item **group = calloc(n ? n : 1, sizeof *group);
    bool *done = calloc(n ? n : 1, sizeof *done);
    if (!group || !done)
        abort();
    bool open = false;
    ingest_store_result r = write_marks(p, &open);
    for (size_t i = 0; r == INGEST_STORE_OK && i < n; i++) {
        if (done[i])
            continue;
        size_t m = 0;
        for (size_t j = i; j < n; j++)
            if (!done[j] && strcmp(its[j]->org, its[i]->org) == 0) {
                group[m++] = its[j];
                done[j] = true;
            }
        r = enter_org(p, &open, its[i]->org) != 0 ? ingest_store_classify(p->pg) : write_org(p, group, m);
    }
    if (open && r == INGEST_STORE_OK && vx_pg_commit(p->pg) != 0)
        r = ingest_store_classify(p->pg);
    if (open && r != INGEST_STORE_OK)
        vx_pg_rollback(p->pg);
    if (r == INGEST_STORE_OK)
        drop_written_marks(p);
    free(group);
    free(done);
    return r;
}

/* Step 2 with its failures sorted out: sets each item's verdict. */
static void write_items(ingest_processor *p, item **its, size_t n)
{
    ingest_store_result r = write_all(p, its, n);
    if (r == INGEST_STORE_OK) {
        for (size_t i = 0; i < n; i++) {
            its[i]->verdict = INGEST_VERDICT_ACK;
            its[i]->stored = true;
        }
        return;
    }
    if (r == INGEST_STORE_TRANSIENT) {
        for (size_t i = 0; i < n; i++) {
            vx_log_warn(its[i]->rid, its[i]->org, "database error, will retry", "call_id", its[i]->call_id, "error",
                        vx_pg_error(p->pg));
            ingest_report_outcome_free(&its[i]->outcome);
            its[i]->verdict = INGEST_VERDICT_RETRY;
        }
        return;
    }
    if (n > 1) { /* one of them is refused for good: find it by writing each alone */
        for (size_t i = 0; i < n; i++) {
            ingest_report_outcome_free(&its[i]->outcome);
            write_items(p, &its[i], 1);
        }
        return;
    }
    ingest_report_outcome_free(&its[0]->outcome);
    char reason[320];
    sql_reason(reason, sizeof reason, "sql-error", p->pg);
    park(p, its[0], its[0]->org, reason, ingest_payload_for_parking(its[0]->root));
}

/* Waits for the acknowledgements of what was published since the last wait
 * (usually long arrived: a batch's database work came in between) and marks
 * the jobs JetStream took as ready to be marked published. A job refused, or
 * not acknowledged in time, is forgotten here: it stays unpublished in the
 * outbox and the relay publishes it again. */
static void collect_acks(ingest_processor *p)
{
    if (!p->js || !p->unsettled)
        return;
    jsPubOptions o;
    jsPubOptions_Init(&o);
    o.MaxWait = PUBLISH_WAIT_MS;
    bool answered = js_PublishAsyncComplete(p->js, &o) == NATS_OK;
    if (!answered)
        vx_log_warn(NULL, NULL, "publishes not all acknowledged in time (their jobs are left to the relay)");
    size_t kept = 0;
    for (size_t i = 0; i < p->nmarks; i++) {
        struct job_mark *m = &p->marks[i];
        if (!m->acked && (!answered || job_failed(p, m->key)))
            continue;
        m->acked = true;
        p->marks[kept++] = *m;
    }
    p->nmarks = kept;
    clear_failed_jobs(p);
    p->unsettled = false;
}

/* A job published after the commit, to be marked once JetStream took it. */
static void remember_job(ingest_processor *p, const item *it)
{
    if (p->nmarks == p->cap_marks) {
        p->cap_marks = p->cap_marks ? 2 * p->cap_marks : 64;
        p->marks = realloc(p->marks, p->cap_marks * sizeof *p->marks);
        if (!p->marks)
            abort();
    }
    struct job_mark *m = &p->marks[p->nmarks++];
    memset(m, 0, sizeof *m);
    snprintf(m->org, sizeof m->org, "%s", it->org);
    snprintf(m->key, sizeof m->key, "%s", it->outcome.job_key);
    m->id = it->outcome.job_id;
}

void ingest_processor_idle(ingest_processor *p)
{
    collect_acks(p);
    bool any = false;
    for (size_t i = 0; i < p->nmarks; i++)
        any |= p->marks[i].acked;
    if (any && vx_pg_ensure(p->pg) == 0 && write_all(p, NULL, 0) != INGEST_STORE_OK)
        vx_log_warn(NULL, NULL, "jobs published but not marked yet", "error", vx_pg_error(p->pg));
}

static void publish_event(ingest_processor *p, const item *it, const char *type, const char *data)
{
    char msg_id[160];
    snprintf(msg_id, sizeof msg_id, "%s:%s", type, it->c.vapi_call_id);
    vx_events_publish_async(p->js, it->org, type, msg_id, it->rid, data);
}

static void publish_call_started(ingest_processor *p, const item *it)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "call_id", it->c.vapi_call_id);
    cJSON_AddStringToObject(e, "call_type", it->c.call_type);
    if (it->c.has_started_at)
        cJSON_AddStringToObject(e, "started_at", it->c.started_at);
    char *data = cJSON_PrintUnformatted(e);
    cJSON_Delete(e);
    if (!data)
        abort();
    publish_event(p, it, VX_EVENT_CALL_STARTED, data);
    free(data);
}

/* Step 3 for a stored item: its log line, job and event. */
static void after_commit(ingest_processor *p, item *it)
{
    const ingest_call *c = &it->c;
    if (c->kind == INGEST_MSG_END_OF_CALL_REPORT) {
        vx_log_info(it->rid, it->org, "call report stored", "call_id", it->call_id, "org_tier", it->tier, "lead_tier",
                    it->outcome.analytics.lead_tier);
        if (!p->js)
            return;
        const ingest_report_outcome *out = &it->outcome;
        if (out->job_id != 0) {
            vx_log_info(it->rid, it->org, "hot lead: alert queued", "call_id", it->call_id, "job_id", out->job_key);
            if (vx_work_publish_async(p->js, VX_WORK_NOTIFIER_HOT_LEAD, out->job_key, it->rid, out->job, out->job_len) == 0)
                remember_job(p, it);
        }
        char *data = ingest_report_event_json(c, &it->outcome);
        publish_event(p, it, VX_EVENT_CALL_ENDED, data);
        free(data);
    } else if (c->kind == INGEST_MSG_HANG) {
        /* operators alert on this line (and dashboards read call_logs.hang_count) */
        vx_log_warn(it->rid, it->org, "assistant stalled (hang)", "call_id", it->call_id, "org_tier", it->tier);
    } else {
        vx_log_debug(it->rid, it->org, "call status recorded", "call_id", it->call_id, "status", c->status, "org_tier", it->tier);
        if (p->js && it->advanced && strcmp(c->status, "in-progress") == 0)
            publish_call_started(p, it);
    }
}

static void free_item(item *it)
{
    if (it->parsed)
        ingest_call_free(&it->c);
    ingest_report_outcome_free(&it->outcome);
    cJSON_Delete(it->root);
    free(it->rid);
    free(it->type);
    free(it->call_id);
    if (it->ev)
        voxanne__v1__vapi_message_event__free_unpacked(it->ev, NULL);
}

void ingest_process_batch(ingest_processor *p, const ingest_message *msgs, size_t n, ingest_verdict *verdicts)
{
    item *items = calloc(n, sizeof *items);
    item **writes = calloc(n, sizeof *writes);
    if (!items || !writes)
        abort();
    bool db = ingest_processor_db_ready(p);
    size_t nwrites = 0;
    for (size_t i = 0; i < n; i++) {
        if (!db) { /* nothing can be parked or stored: all come back (but what can never decode) */
            items[i].ev = voxanne__v1__vapi_message_event__unpack(NULL, msgs[i].len, msgs[i].data);
            items[i].verdict = items[i].ev ? INGEST_VERDICT_RETRY : INGEST_VERDICT_DROP;
            continue;
        }
        prepare_item(p, &items[i], msgs[i].data, msgs[i].len);
        if (items[i].to_write)
            writes[nwrites++] = &items[i];
    }
    if (!db)
        vx_log_warn(NULL, NULL, "database unavailable, will retry");
    collect_acks(p); /* the previous batch's: their jobs are marked in this transaction */
    if (nwrites > 0)
        write_items(p, writes, nwrites);
    for (size_t i = 0; i < nwrites; i++)
        if (writes[i]->stored) {
            after_commit(p, writes[i]);
            p->unsettled = p->js != NULL;
        }
    for (size_t i = 0; i < n; i++) {
        verdicts[i] = items[i].verdict;
        free_item(&items[i]);
    }
    free(items);
    free(writes);
}

ingest_verdict ingest_process(ingest_processor *p, const void *data, size_t len)
{
    ingest_message m = {data, len};
    ingest_verdict v;
    ingest_process_batch(p, &m, 1, &v);
    ingest_processor_idle(p); /* no next batch to mark its job in */
    return v;
}
