/*
 * reconcile: the reconciliation thread of webhook-ingest (see reconcile.h).
 *
 * Shape: purge.c's — a vx_periodic thread (a stop wakes it at once), with a
 * database connection of its own (the advisory lock lives on it) and an
 * ingest_processor of its own (a processor is used by one thread), which
 * publishes what a webhook's report publishes (events, jobs) on cfg.nc.
 *
 * Listing. GET /call answers newest first, at most a page. The first page
 * asks createdAtGt = now − window; when a page is full, the next one narrows
 * createdAtLt to the oldest createdAt seen plus one millisecond, and skips
 * the calls of the page before: the calls that share the oldest millisecond
 * (Vapi's createdAt has millisecond precision) are then asked again instead
 * of being lost at a page boundary. A full page holding nothing new (more
 * than a page of calls in one millisecond) ends the listing. Each page is
 * handled before the next is asked for, so memory stays at one page.
 *
 * Due. Only "ended" calls whose endedAt is at least the grace ago: before
 * that their webhook may still be on its way, and a call in progress has no
 * report yet. The window must therefore cover interval + grace + the longest
 * call; a call created before the window is not seen (the defaults: 60 min,
 * 5 min, 2 min).
 *
 * Missing. calls_without_final_record() (migrations/0010) takes the due ids
 * and returns those without a 'completed' row, whatever their org: a
 * SECURITY DEFINER function, since call_logs' row-level security would show
 * this connection nothing. A call that has only its status-update rows is
 * missing too (its report is what is lost).
 *
 * Feeding. Each missing call becomes the report Vapi would have sent
 * (ingest_reconcile_report), packed as the gateway packs a webhook
 * (VapiMessageEvent, request id "reconcile-<call id>") and handed to
 * ingest_process(): ACK is done (stored, parked or ignored), RETRY is left
 * for the next round, DROP is logged by the processor.
 */
#include "reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process.h"
#include "voxanne/v1/vapi.pb-c.h"
#include "vx_buf.h"
#include "vx_json.h"
#include "vx_log.h"
#include "vx_periodic.h"
#include "vx_pg.h"
#include "vx_scrub.h"
#include "vx_secret.h"
#include "vx_time.h"
#include "vx_vapi_api.h"

#define STMT_LOCK    "reconcile_try_lock"
#define STMT_UNLOCK  "reconcile_unlock"
#define STMT_MISSING "reconcile_missing"

/* One key for every replica: 'voxanne-webhook-ingest-reconcile' hashed, as
 * the vault keys its per-org locks. A session lock on the thread's own
 * connection: released by the unlock, or by PostgreSQL if the connection dies. */
#define LOCK_KEY "hashtextextended('voxanne-webhook-ingest-reconcile', 0)"

/* The call ids of a round are sent in batches of at most this many (the
 * function refuses more than 1000). */
#define MISSING_BATCH 500

struct ingest_reconcile {
    ingest_reconcile_config cfg;
    vx_vapi_api_config vapi;
    vx_pg *pg;                   /* the lock and the missing query; used by the thread only */
    ingest_processor *processor; /* used by the thread only */
    vx_periodic *runner;         /* NULL when reconciliation is off */
    long rounds;                 /* used by the thread only */
};

/* What one round did, logged at its end. */
typedef struct {
    long listed, due, missing, fed, failed;
    bool truncated; /* stopped listing or feeding at a bound: the next round takes the rest */
} round_counts;

/* ------------------------------------------------------------ pure parts */

static bool id_ok(const char *id)
{
    return vx_vapi_api_id_valid(id);
}

bool ingest_reconcile_due(const cJSON *call, int64_t now_ms, long grace_s)
{
    if (!cJSON_IsObject(call))
        return false;
    const char *status = vx_json_str(call, "status"), *id = vx_json_str(call, "id");
    int64_t ended_ms;
    if (status == NULL || strcmp(status, "ended") != 0 || !id_ok(id) || !vx_time_parse_iso(vx_json_str(call, "endedAt"), &ended_ms))
        return false;
    return ended_ms <= now_ms - (int64_t)grace_s * 1000;
}

/* Adds a copy of call.<key> to msg under the same key, when present and not null. */
static void copy_field(cJSON *msg, const cJSON *call, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(call, key);
    if (v != NULL && !cJSON_IsNull(v))
        cJSON_AddItemToObject(msg, key, cJSON_Duplicate(v, true));
}

char *ingest_reconcile_report(const cJSON *call)
{
    if (!cJSON_IsObject(call))
        return NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON *msg = cJSON_AddObjectToObject(root, "message");
    if (root == NULL || msg == NULL)
        abort(); /* out of memory */
    cJSON_AddStringToObject(msg, "type", "end-of-call-report");
    /* The report's own timestamp is when Vapi sent it; the end of the call
     * stands in for it, so the same call always gives the same message. */
    int64_t ended_ms;
    if (vx_time_parse_iso(vx_json_str(call, "endedAt"), &ended_ms))
        cJSON_AddNumberToObject(msg, "timestamp", (double)ended_ms);
    /* The call without artifact and analysis: they are the report's own
     * fields just below (where call_report reads them first), and a real
     * report's call is a snapshot taken at the start that has neither, so
     * the transcript and messages are not carried twice. */
    cJSON *c = cJSON_Duplicate(call, true);
    if (c == NULL)
        abort();
    cJSON_DeleteItemFromObjectCaseSensitive(c, "artifact");
    cJSON_DeleteItemFromObjectCaseSensitive(c, "analysis");
    cJSON_AddItemToObject(msg, "call", c);
    static const char *const fields[] = {"endedReason", "startedAt", "endedAt",  "cost",        "costs",
                                         "artifact",    "analysis",  "customer", "phoneNumber", NULL};
    for (size_t i = 0; fields[i] != NULL; i++)
        copy_field(msg, call, fields[i]);
    vx_scrub_json(root); /* as the gateway does before a message is stored */
    char *text = cJSON_PrintUnformatted(root);
    vx_secret_json_delete(root);
    if (text == NULL)
        abort();
    return text;
}

/* ------------------------------------------------------------ the thread */

ingest_reconcile *ingest_reconcile_create(const ingest_reconcile_config *cfg)
{
    ingest_reconcile *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->cfg = *cfg;
    r->vapi = (vx_vapi_api_config){
        .base_url = cfg->vapi_base_url, .private_key = cfg->vapi_private_key, .timeout_ms = RECONCILE_VAPI_TIMEOUT_MS};
    return r;
}

static bool enabled(const ingest_reconcile *r)
{
    return r->cfg.vapi_private_key != NULL && r->cfg.vapi_private_key[0] != '\0';
}

static bool stopping(ingest_reconcile *r)
{
    return vx_periodic_stopping(r->runner);
}

/* Runs a statement expected to answer one boolean; false on error (logged). */
static bool exec_bool(ingest_reconcile *r, const char *stmt, const char *rid, bool *out)
{
    PGresult *res = vx_pg_exec(r->pg, stmt, 0, NULL);
    if (res == NULL) {
        vx_log_warn(rid, NULL, "reconciliation lock query failed", "error", vx_pg_error(r->pg));
        return false;
    }
    const char *v = PQntuples(res) == 1 ? vx_pg_value(res, 0, 0) : NULL;
    *out = v != NULL && strcmp(v, "t") == 0;
    PQclear(res);
    return true;
}

/* Feeds one call; counts it. */
static void feed(ingest_reconcile *r, const cJSON *call, round_counts *n)
{
    const char *id = vx_json_str(call, "id");
    char rid[16 + VX_VAPI_API_ID_MAX];
    snprintf(rid, sizeof rid, "reconcile-%s", id);
    char *raw = ingest_reconcile_report(call);
    Voxanne__V1__VapiMessageEvent ev = VOXANNE__V1__VAPI_MESSAGE_EVENT__INIT;
    ev.request_id = rid;
    ev.type = (char *)"end-of-call-report";
    ev.call_id = (char *)id;
    ev.raw_json.data = (uint8_t *)raw;
    ev.raw_json.len = strlen(raw);
    ev.received_at_ms = vx_now_ms();
    size_t len = voxanne__v1__vapi_message_event__get_packed_size(&ev);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL)
        abort();
    voxanne__v1__vapi_message_event__pack(&ev, buf);
    ingest_verdict v = ingest_process(r->processor, buf, len);
    free(buf);
    free(raw);
    if (v == INGEST_VERDICT_ACK) {
        n->fed++;
        vx_log_info(rid, NULL, "reconciled a call whose report never arrived", "call_id", id);
    } else {
        n->failed++;
        vx_log_warn(rid, NULL, "reconciling a call failed, next round retries", "call_id", id, "verdict",
                    v == INGEST_VERDICT_RETRY ? "retry" : "drop");
    }
}

/* Which of the n due calls have no final record: feeds those. false when the
 * database could not say (logged). */
static bool feed_missing(ingest_reconcile *r, const cJSON *const *due, size_t n, const char *rid, round_counts *counts)
{
    for (size_t start = 0; start < n && !stopping(r); start += MISSING_BATCH) {
        size_t end = start + MISSING_BATCH < n ? start + MISSING_BATCH : n;
        /* A text[] literal: every id is [A-Za-z0-9-] (ingest_reconcile_due), so quoting is enough. */
        vx_buf ids = VX_BUF_INIT;
        vx_buf_putc(&ids, '{');
        for (size_t i = start; i < end; i++)
            vx_buf_printf(&ids, "%s\"%s\"", i > start ? "," : "", vx_json_str(due[i], "id"));
        vx_buf_putc(&ids, '}');
        const char *params[1] = {ids.data};
        PGresult *res = vx_pg_exec(r->pg, STMT_MISSING, 1, params);
        vx_buf_free(&ids);
        if (res == NULL) {
            vx_log_warn(rid, NULL, "asking which calls have no final record failed", "error", vx_pg_error(r->pg));
            return false;
        }
        for (int row = 0; row < PQntuples(res) && !stopping(r); row++) {
            const char *missing = vx_pg_value(res, row, 0);
            counts->missing++;
            if (counts->fed + counts->failed >= RECONCILE_MAX_FED) {
                counts->truncated = true;
                continue;
            }
            for (size_t i = start; i < end; i++) {
                if (missing != NULL && strcmp(vx_json_str(due[i], "id"), missing) == 0) {
                    feed(r, due[i], counts);
                    break;
                }
            }
        }
        PQclear(res);
    }
    return true;
}

/* True when id is one of the calls of page (a JSON array). */
static bool in_page(const cJSON *page, const char *id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, page)
    {
        const char *other = vx_json_str(c, "id");
        if (other != NULL && strcmp(other, id) == 0)
            return true;
    }
    return false;
}

/* Lists the window page by page, feeding each page's missing calls. false when a page or the database failed. */
static bool reconcile_window(ingest_reconcile *r, const char *rid, int64_t now_ms, round_counts *counts)
{
    char after[25], before[25];
    vx_time_format_iso(now_ms - (int64_t)r->cfg.window_min * 60000, after);
    cJSON *prev = NULL; /* the page before: its calls are skipped if asked again */
    bool ok = true, more = true;
    for (int page_no = 0; more && ok && !stopping(r); page_no++) {
        if (page_no == RECONCILE_MAX_PAGES) {
            counts->truncated = true;
            break;
        }
        cJSON *page = NULL;
        if (vx_vapi_api_list_calls(&r->vapi, after, page_no == 0 ? NULL : before, RECONCILE_PAGE, &page, rid) != VX_VAPI_API_OK) {
            ok = false; /* logged by the client */
            break;
        }
        int size = cJSON_GetArraySize(page);
        const cJSON **due = calloc((size_t)size + 1, sizeof *due);
        if (due == NULL)
            abort();
        size_t n_due = 0;
        long fresh = 0;
        int64_t oldest = INT64_MAX;
        const cJSON *c;
        cJSON_ArrayForEach(c, page)
        {
            const char *id = vx_json_str(c, "id");
            int64_t created;
            if (vx_time_parse_iso(vx_json_str(c, "createdAt"), &created) && created < oldest)
                oldest = created;
            if (id == NULL || (prev != NULL && in_page(prev, id)))
                continue;
            fresh++;
            if (ingest_reconcile_due(c, now_ms, r->cfg.grace_s))
                due[n_due++] = c;
        }
        counts->listed += fresh;
        counts->due += (long)n_due;
        ok = feed_missing(r, due, n_due, rid, counts);
        free(due);
        /* A full page may have more behind it; the next one starts at the oldest
         * millisecond seen (included). Nothing new, or no date to page by: stop. */
        more = size >= RECONCILE_PAGE && fresh > 0 && oldest != INT64_MAX;
        if (more)
            vx_time_format_iso(oldest + 1, before);
        else if (size >= RECONCILE_PAGE)
            counts->truncated = true;
        vx_secret_json_delete(prev);
        prev = page;
    }
    vx_secret_json_delete(prev);
    return ok;
}

/* One round under the advisory lock, or none when another replica holds it; logs what it did. */
static void reconcile_round(ingest_reconcile *r, long round_no)
{
    char rid[48];
    snprintf(rid, sizeof rid, "reconcile-round-%ld", round_no);
    if (vx_pg_ensure(r->pg) != 0) {
        vx_log_warn(rid, NULL, "reconciliation skipped: database unavailable", "error", vx_pg_error(r->pg));
        return;
    }
    bool locked = false;
    if (!exec_bool(r, STMT_LOCK, rid, &locked))
        return;
    if (!locked) {
        vx_log_debug(rid, NULL, "reconciliation skipped: another replica is reconciling");
        return;
    }
    round_counts n = {0};
    bool ok = reconcile_window(r, rid, vx_now_ms(), &n);
    bool unlocked;
    exec_bool(r, STMT_UNLOCK, rid, &unlocked); /* a lost connection released it already */
    char listed[24], due[24], missing[24], fed[24], failed[24];
    snprintf(listed, sizeof listed, "%ld", n.listed);
    snprintf(due, sizeof due, "%ld", n.due);
    snprintf(missing, sizeof missing, "%ld", n.missing);
    snprintf(fed, sizeof fed, "%ld", n.fed);
    snprintf(failed, sizeof failed, "%ld", n.failed);
    if (ok)
        vx_log_info(rid, NULL, "reconciliation round", "listed", listed, "due", due, "missing", missing, "fed", fed, "failed",
                    failed, "truncated", n.truncated ? "true" : "false");
    else
        vx_log_warn(rid, NULL, "reconciliation round failed, next interval retries", "listed", listed, "due", due, "missing",
                    missing, "fed", fed, "failed", failed);
}

static long reconcile_pass(vx_periodic *self, void *arg)
{
    ingest_reconcile *r = arg;
    reconcile_round(r, ++r->rounds);
    return r->cfg.interval_s * 1000L; /* after a failure too: Vapi is not asked more often when it is down */
}

int ingest_reconcile_start(ingest_reconcile *r)
{
    if (!enabled(r)) {
        vx_log_info(NULL, NULL, "reconciliation with Vapi is off: VAPI_PRIVATE_KEY is not set");
        return 0;
    }
    if (r->cfg.window_min * 60 <= r->cfg.grace_s)
        vx_log_warn(NULL, NULL, "RECONCILE_WINDOW_MIN is not longer than RECONCILE_GRACE_S: no call will ever be due");
    r->pg = vx_pg_create(r->cfg.database_url);
    if (r->pg == NULL)
        abort();
    vx_pg_prepare(r->pg, STMT_LOCK, "SELECT pg_try_advisory_lock(" LOCK_KEY ")");
    vx_pg_prepare(r->pg, STMT_UNLOCK, "SELECT pg_advisory_unlock(" LOCK_KEY ")");
    vx_pg_prepare(r->pg, STMT_MISSING, "SELECT call_id FROM calls_without_final_record($1::text[]) AS call_id");
    r->processor = ingest_processor_create(r->cfg.database_url, r->cfg.orgs_changed, r->cfg.nc);
    r->runner = vx_periodic_create("reconcile", reconcile_pass, r);
    if (vx_periodic_start(r->runner) != 0)
        return -1;
    char interval[24], window[24], grace[24];
    snprintf(interval, sizeof interval, "%ld", r->cfg.interval_s);
    snprintf(window, sizeof window, "%ld", r->cfg.window_min);
    snprintf(grace, sizeof grace, "%ld", r->cfg.grace_s);
    vx_log_info(NULL, NULL, "reconciliation with Vapi is on", "interval_s", interval, "window_min", window, "grace_s", grace);
    return 0;
}

void ingest_reconcile_stop(ingest_reconcile *r)
{
    if (r)
        vx_periodic_stop(r->runner);
}

void ingest_reconcile_destroy(ingest_reconcile *r)
{
    if (!r)
        return;
    vx_periodic_destroy(r->runner);
    ingest_processor_destroy(r->processor);
    vx_pg_destroy(r->pg);
    free(r);
}
