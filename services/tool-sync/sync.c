/*
 * sync: one org's sync to Vapi (see sync.h).
 */
#include "sync.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prompt.h"
#include "store.h"
#include "vx_json.h"
#include "vx_log.h"
#include "vx_secret.h"
#include "vx_tool_catalog.h"
#include "vx_vapi_api.h"

#define STATE_FAILED          "failed"
#define STATE_LINKING_PENDING "linking_pending"
#define SLEEP_SLICE_MS        100
#define MAX_FOREIGN_TOOLS     64
/* The key of the org id in the metadata of the assistants we create: how an
 * assistant made at Vapi but never recorded here is recognised and adopted
 * (find_unrecorded_assistant). Not the signed org hint tool-router trusts
 * (vx_vapi_org_hint): only tool-sync reads it, and only to adopt. */
#define METADATA_ORG_KEY "voxanneOrgId"

/* The server messages the assistant sends us: the ones someone answers or
 * stores (tool-router: tool-calls, transfer-, handoff-destination- and
 * knowledge-base-request; webhook-ingest: status-update,
 * end-of-call-report, hang), nothing else (Vapi's default set would add
 * speech-update, conversation-update, transcript …, each a durable write). */
static const char *const SERVER_MESSAGES[] = {
    "tool-calls",
    "transfer-destination-request",
    "handoff-destination-request",
    "knowledge-base-request",
    "status-update",
    "end-of-call-report",
    "hang",
};

struct tsync_sync {
    const tsync_settings *cfg;
    const atomic_bool *stop;
    tsync_reregistered_fn on_reregistered;
    void *arg;
    vx_pg *pg;
    vx_vapi_api_config vapi;
    char webhook_url[1024];
    size_t tries_used; /* of cfg->retry_delays_ms, this sync */
    const char *request_id;
    const char *org_id;
};

/* Why a Vapi step failed, for the owner (and the state it leaves). */
typedef struct failure {
    vx_vapi_api_status status;
    const char *step; /* "registering the tools", "reading the assistant", … */
} failure;

tsync_sync *tsync_sync_create(const tsync_settings *settings, const atomic_bool *stop, tsync_reregistered_fn on_reregistered,
                              void *arg)
{
    tsync_sync *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->cfg = settings;
    s->stop = stop;
    s->on_reregistered = on_reregistered;
    s->arg = arg;
    s->pg = vx_pg_create(settings->database_url);
    if (!s->pg)
        abort();
    tsync_store_prepare(s->pg);
    s->vapi = (vx_vapi_api_config){settings->vapi_base_url, settings->vapi_private_key, settings->vapi_timeout_ms};
    snprintf(s->webhook_url, sizeof s->webhook_url, "%s/api/vapi/webhook",
             settings->public_base_url ? settings->public_base_url : "");
    return s;
}

void tsync_sync_destroy(tsync_sync *s)
{
    if (!s)
        return;
    vx_pg_destroy(s->pg);
    free(s);
}

int tsync_sync_db_ready(tsync_sync *s)
{
    return vx_pg_ensure(s->pg) == 0;
}

static bool stopping(const tsync_sync *s)
{
    return atomic_load(s->stop);
}

/* Sleeps ms, in slices, unless stopping. */
static void pause_ms(const tsync_sync *s, long ms)
{
    while (ms > 0 && !stopping(s)) {
        long slice = ms < SLEEP_SLICE_MS ? ms : SLEEP_SLICE_MS;
        struct timespec ts = {slice / 1000, (slice % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= slice;
    }
}

/* After a Vapi call answered st: true when it should be made again (after
 * the wait the schedule says, or Retry-After when larger), false when it
 * succeeded, was refused, or the retries are spent. */
static bool again(tsync_sync *s, vx_vapi_api_status st, const vx_vapi_api_answer *a)
{
    if (st != VX_VAPI_API_UNAVAILABLE && st != VX_VAPI_API_RATE_LIMITED)
        return false;
    if (s->tries_used >= s->cfg->nretries || stopping(s))
        return false;
    long wait = s->cfg->retry_delays_ms[s->tries_used++];
    if (st == VX_VAPI_API_RATE_LIMITED && a->retry_after_s * 1000 > wait)
        wait = a->retry_after_s * 1000;
    char ms[24], http[16];
    snprintf(ms, sizeof ms, "%ld", wait);
    snprintf(http, sizeof http, "%ld", a->http_status);
    vx_log_info(s->request_id, s->org_id, "Vapi unavailable, retrying", "http_status", http, "wait_ms", ms);
    pause_ms(s, wait);
    return !stopping(s);
}

/* ---- the platform's tools ---- */

typedef struct wanted_tool {
    const vx_tool_def *def;
    char *json;
    char hash[VX_TOOL_CATALOG_HASH_SIZE];
} wanted_tool;

static const tsync_tool_row *find_row(const tsync_tool_row *rows, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

/* True when every wanted tool has a row with its hash; fills ours from the rows. */
static bool rows_current(const wanted_tool *w, size_t nw, const tsync_tool_row *rows, size_t n, tsync_tool_row *ours)
{
    for (size_t i = 0; i < nw; i++) {
        const tsync_tool_row *r = find_row(rows, n, w[i].def->name);
        if (!r || strcmp(r->hash, w[i].hash) != 0)
            return false;
        ours[i] = *r;
    }
    return true;
}

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The newest tool at Vapi that is this definition's (same type, function
 * name and server URL) but not in platform_tools (rows): one registered by
 * an earlier sync whose row was never written. Into id ("" when none). */
static vx_vapi_api_status find_unrecorded_tool(tsync_sync *s, const cJSON *def, const tsync_tool_row *rows, size_t n,
                                               char id[VX_VAPI_API_ID_MAX + 1])
{
    id[0] = '\0';
    cJSON *list = NULL;
    vx_vapi_api_answer a = {0};
    vx_vapi_api_status st;
    do
        st = vx_vapi_api_list_tools(&s->vapi, VX_VAPI_API_LIST_MAX, &list, &a, s->request_id);
    while (again(s, st, &a));
    if (st != VX_VAPI_API_OK)
        return st;
    const cJSON *t;
    cJSON_ArrayForEach(t, list) /* newest first */
    {
        const char *tid = vx_json_str(t, "id");
        if (!tid || !vx_vapi_api_id_valid(tid) || !same(vx_json_str(t, "type"), vx_json_str(def, "type")) ||
            !same(vx_json_str(t, "function.name"), vx_json_str(def, "function.name")) ||
            !same(vx_json_str(t, "server.url"), vx_json_str(def, "server.url")))
            continue;
        bool known = false;
        for (size_t i = 0; i < n && !known; i++)
            known = strcmp(rows[i].vapi_tool_id, tid) == 0;
        if (!known) {
            snprintf(id, VX_VAPI_API_ID_MAX + 1, "%s", tid);
            break;
        }
    }
    vx_secret_json_delete(list);
    return VX_VAPI_API_OK;
}

/* Registers one tool, its row recorded: patches the registered one (old),
 * or else adopts one of ours Vapi has but platform_tools lacks (rows), or
 * else creates it. */
static vx_vapi_api_status register_tool(tsync_sync *s, const wanted_tool *w, const tsync_tool_row *old, const tsync_tool_row *rows,
                                        size_t n, tsync_tool_row *out, bool *changed)
{
    cJSON *def = cJSON_Parse(w->json);
    if (!def)
        abort(); /* the catalog's own JSON */
    vx_vapi_api_status st = VX_VAPI_API_NOT_FOUND;
    vx_vapi_api_answer a = {0};
    char id[VX_VAPI_API_ID_MAX + 1] = "";
    if (old)
        snprintf(id, sizeof id, "%s", old->vapi_tool_id);
    else if ((st = find_unrecorded_tool(s, def, rows, n, id)) != VX_VAPI_API_OK)
        goto out;
    if (id[0] != '\0') {
        if (!old)
            vx_log_info(s->request_id, s->org_id, "adopting a tool registered earlier but never recorded", "tool", w->def->name,
                        "vapi_tool_id", id);
        do
            st = vx_vapi_api_patch_tool(&s->vapi, id, def, NULL, &a, s->request_id, s->org_id);
        while (again(s, st, &a));
    } else {
        st = VX_VAPI_API_NOT_FOUND;
    }
    if (st == VX_VAPI_API_NOT_FOUND) {
        do
            st = vx_vapi_api_create_tool(&s->vapi, def, id, NULL, &a, s->request_id, s->org_id);
        while (again(s, st, &a));
    }
out:
    cJSON_Delete(def);
    if (st != VX_VAPI_API_OK)
        return st;
    snprintf(out->name, sizeof out->name, "%s", w->def->name);
    snprintf(out->vapi_tool_id, sizeof out->vapi_tool_id, "%s", id);
    snprintf(out->hash, sizeof out->hash, "%s", w->hash);
    if (tsync_store_platform_put(s->pg, out) != TSYNC_STORE_OK)
        return VX_VAPI_API_ERROR; /* registered but not recorded: the next sync adopts it */
    vx_log_info(s->request_id, s->org_id, old ? "tool registered again" : "tool registered", "tool", w->def->name, "vapi_tool_id",
                id);
    *changed = true;
    return VX_VAPI_API_OK;
}

/* Our tools as registered now, into ours (one per catalog tool, in its
 * order): OK, or the failing Vapi status (ERROR also for the database). */
static vx_vapi_api_status ensure_tools(tsync_sync *s, tsync_tool_row *ours, size_t *nours)
{
    size_t nw = vx_tool_catalog_count();
    if (nw > TSYNC_STORE_MAX_TOOLS)
        nw = TSYNC_STORE_MAX_TOOLS;
    wanted_tool w[TSYNC_STORE_MAX_TOOLS];
    vx_vapi_api_status st = VX_VAPI_API_ERROR;
    size_t made = 0;
    for (; made < nw; made++) {
        w[made].def = vx_tool_catalog_at(made);
        w[made].json = vx_tool_catalog_json(w[made].def, s->cfg->public_base_url, s->cfg->server_credential_id);
        if (!w[made].json ||
            vx_tool_catalog_hash(w[made].def, s->cfg->public_base_url, s->cfg->server_credential_id, w[made].hash) != 0) {
            free(w[made].json);
            goto out;
        }
    }
    tsync_tool_row rows[TSYNC_STORE_MAX_TOOLS];
    size_t n = 0;
    if (tsync_store_platform_read(s->pg, rows, &n) != TSYNC_STORE_OK)
        goto out;
    if (rows_current(w, nw, rows, n, ours)) {
        st = VX_VAPI_API_OK;
        goto out;
    }
    /* Someone must register: one at a time across every replica, and the
     * rows read again under the lock (another may have just done it). */
    if (tsync_store_platform_lock(s->pg) != TSYNC_STORE_OK)
        goto out;
    bool changed = false;
    st = VX_VAPI_API_OK;
    if (tsync_store_platform_read(s->pg, rows, &n) != TSYNC_STORE_OK)
        st = VX_VAPI_API_ERROR;
    for (size_t i = 0; i < nw && st == VX_VAPI_API_OK; i++) {
        const tsync_tool_row *r = find_row(rows, n, w[i].def->name);
        if (r && strcmp(r->hash, w[i].hash) == 0)
            ours[i] = *r;
        else
            st = register_tool(s, &w[i], r, rows, n, &ours[i], &changed);
    }
    tsync_store_platform_unlock(s->pg);
    if (changed && s->on_reregistered)
        s->on_reregistered(s->arg);
out:
    for (size_t i = 0; i < made; i++)
        free(w[i].json);
    *nours = st == VX_VAPI_API_OK ? nw : 0;
    return st;
}

/* ---- the assistant ---- */

static void add_owned_fields(const tsync_sync *s, cJSON *body, const tsync_org_config *c, const char *first_message)
{
    cJSON_AddStringToObject(body, "name", c->name ? c->name : "Receptionist");
    cJSON_AddStringToObject(body, "firstMessage", first_message);
    /* The voice is ours whole: an org that chose none (or cleared its
     * choice) gets the platform's default, said explicitly, since leaving
     * "voice" out of a PATCH would keep the voice the owner just cleared. */
    bool chosen = c->voice_provider && c->voice_id;
    cJSON *voice = cJSON_AddObjectToObject(body, "voice");
    cJSON_AddStringToObject(voice, "provider", chosen ? c->voice_provider : s->cfg->default_voice_provider);
    cJSON_AddStringToObject(voice, "voiceId", chosen ? c->voice_id : s->cfg->default_voice_id);
    cJSON *server = cJSON_AddObjectToObject(body, "server");
    cJSON_AddStringToObject(server, "url", s->webhook_url);
    if (s->cfg->server_credential_id && s->cfg->server_credential_id[0])
        cJSON_AddStringToObject(server, "credentialId", s->cfg->server_credential_id);
    cJSON *messages = cJSON_AddArrayToObject(body, "serverMessages");
    for (size_t i = 0; i < sizeof SERVER_MESSAGES / sizeof SERVER_MESSAGES[0]; i++)
        cJSON_AddItemToArray(messages, cJSON_CreateString(SERVER_MESSAGES[i]));
}

static bool in_list(const char *const *list, const char *id)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i], id) == 0)
            return true;
    return false;
}

/* The linked tool ids to take off: earlier ids of our tools, native
 * integrations, tools gone from Vapi. drop gets pointers into model (and
 * c), NULL-terminated. OK, or the failing status of a GET /tool. */
static vx_vapi_api_status find_drops(tsync_sync *s, const cJSON *model, const tsync_org_config *c, const char *const *ours,
                                     const char **drop, size_t max)
{
    size_t n = 0;
    const cJSON *id;
    cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(model, "toolIds"))
    {
        if (!cJSON_IsString(id) || in_list(ours, id->valuestring) || n + 1 >= max)
            continue;
        bool was_ours = false;
        for (size_t i = 0; i < c->nlinked && !was_ours; i++)
            was_ours = strcmp(c->linked[i].vapi_tool_id, id->valuestring) == 0;
        if (was_ours) {
            drop[n++] = id->valuestring;
            continue;
        }
        if (!vx_vapi_api_id_valid(id->valuestring)) {
            drop[n++] = id->valuestring; /* Vapi would never have made it */
            continue;
        }
        cJSON *tool = NULL;
        vx_vapi_api_answer a = {0};
        vx_vapi_api_status st;
        do
            st = vx_vapi_api_get_tool(&s->vapi, id->valuestring, &tool, &a, s->request_id, s->org_id);
        while (again(s, st, &a));
        if (st == VX_VAPI_API_NOT_FOUND) {
            drop[n++] = id->valuestring;
        } else if (st == VX_VAPI_API_OK) {
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(tool, "type");
            if (vx_vapi_api_tool_type_native(cJSON_IsString(type) ? type->valuestring : NULL)) {
                vx_log_info(s->request_id, s->org_id, "native tool taken off the assistant", "vapi_tool_id", id->valuestring,
                            "type", type->valuestring);
                drop[n++] = id->valuestring;
            }
            vx_secret_json_delete(tool);
        } else {
            drop[n] = NULL;
            return st;
        }
    }
    drop[n] = NULL;
    return VX_VAPI_API_OK;
}

/* GET, merge, PATCH. NOT_FOUND when the assistant is gone from Vapi. */
static vx_vapi_api_status update_assistant(tsync_sync *s, const tsync_org_config *c, const char *assistant_id, const char *prompt,
                                           const char *first_message, const char *const *ours, failure *f)
{
    cJSON *existing = NULL;
    vx_vapi_api_answer a = {0};
    vx_vapi_api_status st;
    f->step = "reading the assistant";
    do
        st = vx_vapi_api_get_assistant(&s->vapi, assistant_id, &existing, &a, s->request_id, s->org_id);
    while (again(s, st, &a));
    if (st != VX_VAPI_API_OK)
        return st;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(existing, "model");
    const char *drop[MAX_FOREIGN_TOOLS + 1];
    f->step = "checking the assistant's tools";
    st = find_drops(s, model, c, ours, drop, MAX_FOREIGN_TOOLS + 1);
    if (st != VX_VAPI_API_OK) {
        vx_secret_json_delete(existing);
        return st;
    }
    cJSON *body = cJSON_CreateObject();
    add_owned_fields(s, body, c, first_message);
    cJSON_AddItemToObject(body, "model", vx_vapi_api_model_merge(model, s->cfg->model_provider, s->cfg->model, prompt, ours, drop));
    vx_secret_json_delete(existing);
    f->step = "updating the assistant";
    do
        st = vx_vapi_api_patch_assistant(&s->vapi, assistant_id, body, NULL, &a, s->request_id, s->org_id);
    while (again(s, st, &a));
    vx_secret_json_delete(body);
    return st;
}

static bool recorded(const tsync_org_config *c, const char *id)
{
    for (size_t i = 0; i < c->nassistants; i++)
        if (strcmp(c->assistant_ids[i], id) == 0)
            return true;
    return false;
}

/* The newest assistant at Vapi made for this org by an earlier sync whose
 * id was never recorded (the commit failed, or the process died between
 * Vapi's answer and it), into id ("" when there is none). Older ones of the
 * same kind are logged for an operator: one is enough to adopt. */
static vx_vapi_api_status find_unrecorded_assistant(tsync_sync *s, const tsync_org_config *c, char id[VX_VAPI_API_ID_MAX + 1])
{
    id[0] = '\0';
    cJSON *list = NULL;
    vx_vapi_api_answer a = {0};
    vx_vapi_api_status st;
    do
        st = vx_vapi_api_list_assistants(&s->vapi, VX_VAPI_API_LIST_MAX, &list, &a, s->request_id);
    while (again(s, st, &a));
    if (st != VX_VAPI_API_OK)
        return st;
    const cJSON *as;
    cJSON_ArrayForEach(as, list) /* newest first */
    {
        const char *aid = vx_json_str(as, "id");
        if (!same(vx_json_str(as, "metadata." METADATA_ORG_KEY), s->org_id) || !aid || !vx_vapi_api_id_valid(aid) ||
            recorded(c, aid))
            continue;
        if (id[0] == '\0')
            snprintf(id, VX_VAPI_API_ID_MAX + 1, "%s", aid);
        else
            vx_log_warn(s->request_id, s->org_id, "another unrecorded assistant of this org is left at Vapi", "vapi_assistant_id",
                        aid);
    }
    vx_secret_json_delete(list);
    return VX_VAPI_API_OK;
}

/* The org's assistant made (or adopted) and recorded in agents, replacing
 * old_id's when given: an unrecorded one of ours at Vapi is adopted and
 * updated rather than a second made; else POST /assistant. */
static vx_vapi_api_status create_assistant(tsync_sync *s, const tsync_org_config *c, const char *prompt, const char *first_message,
                                           const char *const *ours, const char *old_id, failure *f)
{
    const char *name = c->name ? c->name : "Receptionist";
    char id[VX_VAPI_API_ID_MAX + 1];
    f->step = "looking for an assistant made earlier";
    vx_vapi_api_status st = find_unrecorded_assistant(s, c, id);
    if (st != VX_VAPI_API_OK)
        return st;
    if (id[0] != '\0') {
        vx_log_info(s->request_id, s->org_id, "adopting an assistant made earlier but never recorded", "vapi_assistant_id", id);
        if (tsync_store_set_assistant(s->pg, s->org_id, id, old_id, name) != TSYNC_STORE_OK)
            return VX_VAPI_API_ERROR;
        return update_assistant(s, c, id, prompt, first_message, ours, f);
    }
    cJSON *body = cJSON_CreateObject();
    add_owned_fields(s, body, c, first_message);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(body, "metadata"), METADATA_ORG_KEY, s->org_id);
    cJSON_AddItemToObject(body, "model", vx_vapi_api_model_merge(NULL, s->cfg->model_provider, s->cfg->model, prompt, ours, NULL));
    vx_vapi_api_answer a = {0};
    f->step = "creating the assistant";
    do
        st = vx_vapi_api_create_assistant(&s->vapi, body, id, NULL, &a, s->request_id, s->org_id);
    while (again(s, st, &a));
    vx_secret_json_delete(body);
    if (st != VX_VAPI_API_OK)
        return st;
    vx_log_info(s->request_id, s->org_id, "assistant created", "vapi_assistant_id", id, "replaces", old_id);
    if (tsync_store_set_assistant(s->pg, s->org_id, id, old_id, name) != TSYNC_STORE_OK) {
        /* Made at Vapi but not recorded: the next sync finds it by its metadata and adopts it. */
        vx_log_error(s->request_id, s->org_id, "assistant created but not recorded", "vapi_assistant_id", id);
        return VX_VAPI_API_ERROR;
    }
    return VX_VAPI_API_OK;
}

/* The owner's sentence for a failure (no secret, no raw answer of Vapi's). */
static void describe(const failure *f, char *out, size_t size)
{
    const char *why;
    if (f->status == VX_VAPI_API_OK) { /* nothing was tried */
        snprintf(out, size, "%s", f->step);
        return;
    }
    switch (f->status) {
    case VX_VAPI_API_REJECTED:
        why = "Vapi refused the request; the platform team has been told (see the service logs)";
        break;
    case VX_VAPI_API_RATE_LIMITED:
        why = "Vapi asked us to slow down; it will be tried again";
        break;
    case VX_VAPI_API_UNAVAILABLE:
        why = "Vapi did not answer; it will be tried again";
        break;
    default:
        why = "an internal error; it will be tried again";
        break;
    }
    snprintf(out, size, "%s: %s", f->step, why);
}

static tsync_outcome record_failure(tsync_sync *s, const failure *f, bool tools_registered)
{
    if (stopping(s))
        return TSYNC_STOPPED;
    char detail[300];
    describe(f, detail, sizeof detail);
    const char *state = tools_registered ? STATE_LINKING_PENDING : STATE_FAILED;
    vx_log_warn(s->request_id, s->org_id, "sync failed, left for the sweep", "state", state, "step", f->step);
    if (tsync_store_failed(s->pg, s->org_id, state, detail, s->cfg->retry_later_s) != TSYNC_STORE_OK)
        return TSYNC_RETRY;
    return TSYNC_FAILED;
}

/* The sync proper, the org's lock held. */
static tsync_outcome sync_locked(tsync_sync *s, long long version)
{
    long long desired = 0, synced = 0;
    tsync_store_result r = tsync_store_sync_versions(s->pg, s->org_id, &desired, &synced);
    if (r == TSYNC_STORE_ERROR)
        return TSYNC_RETRY;
    if (r == TSYNC_STORE_NONE || (version > 0 && (version < desired || version <= synced)))
        return TSYNC_SKIPPED;
    tsync_org_config c;
    if (tsync_store_load(s->pg, s->org_id, &c) != TSYNC_STORE_OK)
        return TSYNC_RETRY;
    tsync_outcome out = TSYNC_DONE;
    char *prompt = NULL, *first_message = NULL;
    failure f = {VX_VAPI_API_OK, "registering the tools"};
    tsync_tool_row ours_rows[TSYNC_STORE_MAX_TOOLS];
    size_t nours = 0;
    if (!s->cfg->vapi_private_key || !s->cfg->public_base_url) {
        f.step = "Vapi is not configured on this platform yet (an operator sets VAPI_PRIVATE_KEY and PUBLIC_BASE_URL)";
        out = record_failure(s, &f, false);
        goto done;
    }
    f.status = ensure_tools(s, ours_rows, &nours);
    if (f.status != VX_VAPI_API_OK) {
        out = record_failure(s, &f, false);
        goto done;
    }
    const char *ours[TSYNC_STORE_MAX_TOOLS + 1];
    for (size_t i = 0; i < nours; i++)
        ours[i] = ours_rows[i].vapi_tool_id;
    ours[nours] = NULL;

    cJSON *facts = cJSON_Parse(c.facts_json ? c.facts_json : "{}");
    prompt = tsync_prompt_build(facts);
    cJSON_Delete(facts);
    first_message = c.first_message ? strdup(c.first_message) : tsync_prompt_default_first_message(c.business_name);
    if (!first_message)
        abort();
    if (c.nassistants == 0)
        f.status = create_assistant(s, &c, prompt, first_message, ours, NULL, &f);
    /* Every assistant of the org (one per phone link) gets the same configuration. */
    for (size_t i = 0; i < c.nassistants && f.status == VX_VAPI_API_OK; i++) {
        const char *id = c.assistant_ids[i];
        f.status = update_assistant(s, &c, id, prompt, first_message, ours, &f);
        if (f.status == VX_VAPI_API_NOT_FOUND) {
            vx_log_warn(s->request_id, s->org_id, "assistant gone from Vapi, creating it again", "vapi_assistant_id", id);
            f.status = create_assistant(s, &c, prompt, first_message, ours, id, &f);
        }
    }
    if (f.status != VX_VAPI_API_OK) {
        out = record_failure(s, &f, true);
        goto done;
    }
    if (tsync_store_synced(s->pg, s->org_id, c.version, ours_rows, nours) != TSYNC_STORE_OK) {
        out = TSYNC_RETRY; /* Vapi is right; recording it again is harmless */
        goto done;
    }
    char v[24];
    snprintf(v, sizeof v, "%lld", c.version);
    vx_log_info(s->request_id, s->org_id, "assistant synced", "version", v);
done:
    free(prompt);
    free(first_message);
    tsync_org_config_free(&c);
    return out;
}

tsync_outcome tsync_sync_org(tsync_sync *s, const char *org_id, long long version, const char *request_id)
{
    s->org_id = org_id;
    s->request_id = request_id;
    s->tries_used = 0;
    tsync_outcome out;
    switch (tsync_store_org_try_lock(s->pg, org_id)) {
    case TSYNC_STORE_OK:
        out = sync_locked(s, version);
        tsync_store_org_unlock(s->pg, org_id);
        break;
    case TSYNC_STORE_NONE:
        out = TSYNC_BUSY;
        break;
    default:
        out = TSYNC_RETRY;
        break;
    }
    s->org_id = NULL;
    s->request_id = NULL;
    return out;
}
