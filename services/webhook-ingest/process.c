/*
 * process: one VapiMessageEvent → parse, resolve the org, store or park
 * (see process.h for the verdict table).
 *
 * Everything taken from the event for logs or parked rows (request id, type,
 * call id) is bounded and UTF-8-repaired first: the gateway wrote it, but it
 * came from Vapi. Raw payloads are never logged; parked payloads go through
 * payload.c, which masks credentials such as phoneNumber.twilioAuthToken.
 */
#include "process.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_report.h"
#include "ingest_store.h"
#include "payload.h"
#include "text.h"
#include "voxanne/v1/vapi.pb-c.h"
#include "vx_log.h"
#include "vx_orgs.h"
#include "vx_pg.h"

struct ingest_processor {
    vx_pg *pg;
    vx_orgs_resolver *resolver;
};

/* What one message is known as in logs and parked rows. */
typedef struct {
    char *rid;     /* request id, or NULL */
    char *type;    /* message type, or NULL */
    char *call_id; /* Vapi call id, or NULL */
} msg_ctx;

ingest_processor *ingest_processor_create(const char *database_url, const vx_listener *orgs_changed)
{
    ingest_processor *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->pg = vx_pg_create(database_url);
    if (!p->pg)
        abort();
    ingest_store_prepare(p->pg);
    p->resolver = vx_orgs_resolver_create(p->pg, orgs_changed);
    return p;
}

void ingest_processor_destroy(ingest_processor *p)
{
    if (!p)
        return;
    vx_orgs_resolver_destroy(p->resolver);
    vx_pg_destroy(p->pg);
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

/* Parks a message; the verdict says whether the park itself succeeded. Takes payload. */
static ingest_verdict park(ingest_processor *p, const msg_ctx *m, const char *org, const char *reason, char *payload)
{
    ingest_store_result r = ingest_store_park(p->pg, reason, m->type, m->call_id, m->rid, payload);
    free(payload);
    if (r == INGEST_STORE_OK) {
        vx_log_warn(m->rid, org, "message parked", "reason", reason, "type", m->type, "call_id", m->call_id);
        return INGEST_VERDICT_ACK;
    }
    if (r == INGEST_STORE_TRANSIENT) {
        vx_log_warn(m->rid, org, "could not park message, will retry", "reason", reason, "error", vx_pg_error(p->pg));
        return INGEST_VERDICT_RETRY;
    }
    vx_log_error(m->rid, org, "could not park message, dropping it", "reason", reason, "sqlstate", vx_pg_sqlstate(p->pg), "error",
                 vx_pg_error(p->pg), "call_id", m->call_id);
    return INGEST_VERDICT_DROP;
}

/* "<prefix> <sqlstate>: <message>", bounded, for parked_messages.reason. */
static void sql_reason(char *out, size_t n, const char *prefix, vx_pg *pg)
{
    snprintf(out, n, "%s %s: %s", prefix, vx_pg_sqlstate(pg), vx_pg_error(pg));
}

static ingest_verdict store(ingest_processor *p, const msg_ctx *m, cJSON *root, const ingest_call *c)
{
    if (!ingest_processor_db_ready(p)) {
        vx_log_warn(m->rid, NULL, "database unavailable, will retry", "call_id", m->call_id);
        return INGEST_VERDICT_RETRY;
    }
    char org[VX_UUID_STR_LEN + 1];
    const char *tier;
    char reason[320];
    vx_orgs_keys keys = {c->assistant_id, c->metadata_org_id, c->phone_number_id, c->to_number};
    vx_orgs_result o = vx_orgs_resolve(p->resolver, &keys, org, &tier);
    if (o == VX_ORGS_DB_ERROR) {
        if (ingest_store_classify(p->pg) == INGEST_STORE_TRANSIENT) {
            vx_log_warn(m->rid, NULL, "org look-up failed, will retry", "error", vx_pg_error(p->pg));
            return INGEST_VERDICT_RETRY;
        }
        sql_reason(reason, sizeof reason, "resolve-error", p->pg);
        return park(p, m, NULL, reason, ingest_payload_for_parking(root));
    }
    if (o == VX_ORGS_NOT_FOUND)
        return park(p, m, NULL, "org-not-resolved", ingest_payload_for_parking(root));

    ingest_store_result r =
        c->kind == INGEST_MSG_END_OF_CALL_REPORT ? ingest_store_report(p->pg, org, c) : ingest_store_status(p->pg, org, c);
    if (r == INGEST_STORE_OK) {
        if (c->kind == INGEST_MSG_END_OF_CALL_REPORT)
            vx_log_info(m->rid, org, "call report stored", "call_id", m->call_id, "org_tier", tier);
        else
            vx_log_debug(m->rid, org, "call status recorded", "call_id", m->call_id, "status", c->status, "org_tier", tier);
        return INGEST_VERDICT_ACK;
    }
    if (r == INGEST_STORE_TRANSIENT) {
        vx_log_warn(m->rid, org, "database error, will retry", "call_id", m->call_id, "error", vx_pg_error(p->pg));
        return INGEST_VERDICT_RETRY;
    }
    sql_reason(reason, sizeof reason, "sql-error", p->pg);
    return park(p, m, org, reason, ingest_payload_for_parking(root));
}

/* A body that parsed as JSON: decide by type. */
static ingest_verdict handle(ingest_processor *p, msg_ctx *m, cJSON *root, const ingest_call *c)
{
    if (c->type) { /* the body's own type wins over the event's routing copy */
        free(m->type);
        m->type = ingest_text_dup(c->type, 100, NULL);
    }
    if (c->vapi_call_id) {
        free(m->call_id);
        m->call_id = ingest_text_dup(c->vapi_call_id, INGEST_MAX_ID, NULL);
    }
    if (c->kind == INGEST_MSG_OTHER) {
        vx_log_debug(m->rid, NULL, "message type not stored, acknowledged", "type", m->type);
        return INGEST_VERDICT_ACK;
    }
    if (!c->vapi_call_id)
        return park(p, m, NULL, "missing-call-id", ingest_payload_for_parking(root));
    if (c->kind == INGEST_MSG_STATUS_UPDATE && !c->status) {
        vx_log_debug(m->rid, NULL, "call status not recorded, acknowledged", "call_id", m->call_id);
        return INGEST_VERDICT_ACK;
    }
    return store(p, m, root, c);
}

ingest_verdict ingest_process(ingest_processor *p, const void *data, size_t len)
{
    Voxanne__V1__VapiMessageEvent *ev = voxanne__v1__vapi_message_event__unpack(NULL, len, data);
    if (!ev) {
        char n[24];
        snprintf(n, sizeof n, "%zu", len);
        vx_log_warn(NULL, NULL, "undecodable VapiMessageEvent, terminated", "bytes", n);
        return INGEST_VERDICT_DROP;
    }
    msg_ctx m = {field(ev->request_id, 128), field(ev->type, 100), field(ev->call_id, INGEST_MAX_ID)};
    const char *raw = (const char *)ev->raw_json.data;
    size_t raw_len = ev->raw_json.len;

    ingest_verdict v;
    ingest_call c;
    cJSON *root = raw_len ? cJSON_ParseWithLength(raw, raw_len) : NULL;
    if (!root || ingest_call_from_json(root, &c) != 0) {
        if (!ingest_processor_db_ready(p))
            v = INGEST_VERDICT_RETRY;
        else
            v = park(p, &m, NULL, "malformed", ingest_payload_malformed(raw ? raw : "", raw_len));
    } else {
        v = handle(p, &m, root, &c);
        ingest_call_free(&c);
    }
    cJSON_Delete(root);
    free(m.rid);
    free(m.type);
    free(m.call_id);
    voxanne__v1__vapi_message_event__free_unpacked(ev, NULL);
    return v;
}
