/*
 * vx_events: the EVENTS stream and publishing a DomainEvent (see vx_events.h).
 *
 * The stream keeps every org's events for VX_EVENTS_MAX_AGE_S, within a byte
 * budget (old events are discarded first), so a dashboard that reconnects
 * can be given what it missed. AllowDirect lets the gateway read an org's
 * events after a sequence ($JS.API.DIRECT.GET.EVENTS with next_by_subj
 * "events.org.<org>.>", nats-server 2.9+) without a consumer per client.
 *
 * Ensuring the stream needs only STREAM.INFO and STREAM.CREATE (the
 * publishers' permissions in deploy/nats/users.conf): an existing stream is
 * checked, never updated, so no publisher may reshape what the others rely on.
 */
#include "vx_events.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxanne/v1/events.pb-c.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_time.h"

#define EVENTS_MAX_BYTES     ((int64_t)256 * 1024 * 1024)
#define EVENTS_MAX_MSG_BYTES (1024 * 1024)
#define EVENTS_DUPLICATES_NS ((int64_t)120 * 1000000000LL)
#define NS_PER_S             1000000000LL

static void events_stream_config(jsStreamConfig *cfg)
{
    static const char *subjects[] = {VX_EVENTS_SUBJECT_PREFIX ">"};
    jsStreamConfig_Init(cfg);
    cfg->Name = VX_EVENTS_STREAM;
    cfg->Description = "Domain events of every org, kept a while for SSE resume (Last-Event-ID)";
    cfg->Subjects = subjects;
    cfg->SubjectsLen = 1;
    cfg->Storage = js_FileStorage;
    cfg->Retention = js_LimitsPolicy;
    cfg->MaxAge = (int64_t)VX_EVENTS_MAX_AGE_S * NS_PER_S;
    cfg->MaxBytes = EVENTS_MAX_BYTES;
    cfg->Discard = js_DiscardOld;
    cfg->MaxMsgSize = EVENTS_MAX_MSG_BYTES;
    cfg->Duplicates = EVENTS_DUPLICATES_NS;
    cfg->AllowDirect = true;
}

/* What publishers and the gateway rely on: subjects and direct reads. Other
 * differences (an operator's larger budget) are only logged. */
static int check_existing(const jsStreamConfig *have, const jsStreamConfig *want)
{
    bool subjects_ok = have->SubjectsLen == 1 && strcmp(have->Subjects[0], want->Subjects[0]) == 0;
    if (!subjects_ok || !have->AllowDirect) {
        vx_log_error(NULL, NULL, "the EVENTS stream exists with another shape (subjects or allow_direct): fix or delete it",
                     "stream", VX_EVENTS_STREAM);
        return -1;
    }
    if (have->MaxAge != want->MaxAge || have->MaxBytes != want->MaxBytes || have->Duplicates != want->Duplicates ||
        have->Storage != want->Storage || have->Retention != want->Retention || have->Discard != want->Discard)
        vx_log_warn(NULL, NULL, "the EVENTS stream's limits differ from the suite's defaults (kept as they are)", "stream",
                    VX_EVENTS_STREAM);
    return 0;
}

int vx_events_ensure_stream(jsCtx *js)
{
    jsStreamConfig cfg;
    events_stream_config(&cfg);
    jsErrCode jerr = 0;
    jsStreamInfo *si = NULL;
    natsStatus s = js_GetStreamInfo(&si, js, cfg.Name, NULL, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
        jsStreamInfo_Destroy(si);
        si = NULL;
        s = js_AddStream(&si, js, &cfg, NULL, &jerr);
        /* Another program (or replica) created it between our two calls. */
        if (s != NATS_OK && jerr == JSStreamNameExistErr) {
            jsStreamInfo_Destroy(si);
            si = NULL;
            s = js_GetStreamInfo(&si, js, cfg.Name, NULL, &jerr);
        }
    }
    if (s != NATS_OK) {
        char code[16];
        snprintf(code, sizeof(code), "%d", (int)jerr);
        vx_log_error(NULL, NULL, "jetstream stream setup failed", "stream", cfg.Name, "error", natsStatus_GetText(s), "js_code",
                     code);
        jsStreamInfo_Destroy(si);
        return -1;
    }
    int rc = si != NULL && si->Config != NULL ? check_existing(si->Config, &cfg) : 0;
    jsStreamInfo_Destroy(si);
    return rc;
}

/* One subject token per dot-separated part of type, none empty or a wildcard. */
static bool type_valid(const char *type)
{
    size_t n = strlen(type);
    if (n == 0 || n > 64 || type[0] == '.' || type[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = type[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || (c == '.' && type[i + 1] != '.')))
            return false;
    }
    return true;
}

static bool org_valid(const char *org_id)
{
    size_t n = strlen(org_id);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (org_id[i] <= ' ' || org_id[i] == '.' || org_id[i] == '*' || org_id[i] == '>' || org_id[i] == 0x7f)
            return false;
    return true;
}

/* The event as published: its subject and packed DomainEvent (caller frees
 * *buf), or -1 (logged) when an argument is unusable. */
static int event_pack(const char *org_id, const char *type, const char *msg_id, const char *request_id, const char *data_json,
                      char subject[160], uint8_t **buf, size_t *len)
{
    if (org_id == NULL || type == NULL || msg_id == NULL || msg_id[0] == '\0' || data_json == NULL || !org_valid(org_id) ||
        !type_valid(type)) {
        vx_log_error(request_id, org_id, "event not published: invalid org, type or msg id", "type", type);
        return -1;
    }
    Voxanne__V1__DomainEvent ev = VOXANNE__V1__DOMAIN_EVENT__INIT;
    ev.type = (char *)type;
    ev.org_id = (char *)org_id;
    ev.occurred_at_ms = vx_now_ms();
    ev.request_id = (char *)(request_id != NULL ? request_id : "");
    ev.data_json.data = (uint8_t *)data_json;
    ev.data_json.len = strlen(data_json);
    *len = voxanne__v1__domain_event__get_packed_size(&ev);
    *buf = malloc(*len > 0 ? *len : 1);
    if (*buf == NULL)
        abort();
    voxanne__v1__domain_event__pack(&ev, *buf);
    snprintf(subject, 160, "%s%s.%s", VX_EVENTS_SUBJECT_PREFIX, org_id, type);
    return 0;
}

static void log_failure(const char *request_id, const char *org_id, const char *type, natsStatus s, jsErrCode jerr)
{
    char code[16];
    snprintf(code, sizeof(code), "%d", (int)jerr);
    vx_log_error(request_id, org_id, "event not published", "type", type, "error", natsStatus_GetText(s), "js_code", code);
}

/* Packs and publishes one event (see vx_events.h), waiting for its PubAck or not. */
static int publish(jsCtx *js, const char *org_id, const char *type, const char *msg_id, const char *request_id,
                   const char *data_json, bool wait)
{
    char subject[160];
    uint8_t *buf;
    size_t len;
    if (event_pack(org_id, type, msg_id, request_id, data_json, subject, &buf, &len) != 0)
        return -1;
    jsErrCode jerr = 0;
    natsStatus s = vx_js_publish_once(js, VX_EVENTS_STREAM, subject, msg_id, buf, len, wait, &jerr);
    free(buf);
    if (s != NATS_OK) {
        log_failure(request_id, org_id, type, s, jerr);
        return -1;
    }
    return 0;
}

int vx_events_publish(jsCtx *js, const char *org_id, const char *type, const char *msg_id, const char *request_id,
                      const char *data_json)
{
    return publish(js, org_id, type, msg_id, request_id, data_json, true);
}

int vx_events_publish_async(jsCtx *js, const char *org_id, const char *type, const char *msg_id, const char *request_id,
                            const char *data_json)
{
    return publish(js, org_id, type, msg_id, request_id, data_json, false);
}
