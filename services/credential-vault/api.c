/*
 * api: rpc.vault.<caller>.<operation> (see api.h).
 *
 * Every operation decodes its request, checks the policy and its input,
 * then does its work through credentials.h; an answer is always sent, in
 * the operation's own reply type, so a caller never waits for a timeout to
 * learn it was refused.
 */
#include "api.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "voxanne/v1/vault.pb-c.h"
#include "vx_log.h"
#include "vx_nats.h"
#include "vx_secret.h"
#include "vx_validate.h"

#define ROTATE_BATCH 200

struct api_worker {
    const vault_ctx *v;
    vx_pg *pg; /* used only on the subscription's thread */
    vx_served_sub served;
};

/* One request being answered. */
typedef struct api_call {
    api_worker *w;
    natsConnection *nc;
    natsMsg *msg;
    char caller[64];
    vault_op op;
} api_call;

static void send_reply(const api_call *c, const ProtobufCMessage *reply)
{
    const char *to = natsMsg_GetReply(c->msg);
    if (to == NULL || to[0] == '\0')
        return;
    size_t len = protobuf_c_message_get_packed_size(reply);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    if (buf == NULL)
        abort();
    protobuf_c_message_pack(reply, buf);
    natsStatus s = natsConnection_Publish(c->nc, to, buf, (int)len);
    /* The reply may hold a secret. */
    explicit_bzero(buf, len);
    free(buf);
    if (s != NATS_OK)
        vx_log_error(NULL, NULL, "vault reply failed", "error", natsStatus_GetText(s));
}

static void reply_status(const api_call *c, Voxanne__V1__VaultStatus status)
{
    Voxanne__V1__VaultReply r = VOXANNE__V1__VAULT_REPLY__INIT;
    r.status = status;
    send_reply(c, &r.base);
}

static Voxanne__V1__VaultStatus status_of(store_status st)
{
    switch (st) {
    case STORE_OK:
        return VOXANNE__V1__VAULT_STATUS__VAULT_OK;
    case STORE_NOT_FOUND:
        return VOXANNE__V1__VAULT_STATUS__VAULT_NOT_FOUND;
    case STORE_UNREADABLE:
        return VOXANNE__V1__VAULT_STATUS__VAULT_UNREADABLE;
    case STORE_ERROR:
        break;
    }
    return VOXANNE__V1__VAULT_STATUS__VAULT_UNAVAILABLE;
}

/* Decodes the request as descriptor's message, or NULL. */
static ProtobufCMessage *decode(const api_call *c, const ProtobufCMessageDescriptor *descriptor)
{
    return protobuf_c_message_unpack(descriptor, NULL, (size_t)natsMsg_GetDataLength(c->msg),
                                     (const uint8_t *)natsMsg_GetData(c->msg));
}

static bool org_valid(const char *org_id)
{
    return org_id != NULL && vx_is_uuid(org_id, strlen(org_id));
}

/* Logs and says whether the caller may ask this (provider: NULL when the operation names none). */
static bool allowed(const api_call *c, const char *request_id, const char *org_id, const char *provider)
{
    if (policy_allows(c->caller, c->op, provider))
        return true;
    vx_log_warn(request_id, org_id, "vault request denied", "caller", c->caller, "subject", natsMsg_GetSubject(c->msg), "provider",
                provider);
    return false;
}

static void fill_info(Voxanne__V1__CredentialInfo *info, const credential *cred)
{
    info->provider = (char *)cred->provider;
    info->status = (char *)cred->status;
    info->label = (char *)cred->label;
    info->last_verified_at = (char *)cred->last_verified_at;
    info->last_error = (char *)cred->last_error;
    info->updated_at = (char *)cred->updated_at;
}

/* get and exists. */
static void on_ref(const api_call *c)
{
    Voxanne__V1__CredentialRef *req = (Voxanne__V1__CredentialRef *)decode(c, &voxanne__v1__credential_ref__descriptor);
    Voxanne__V1__CredentialReply r = VOXANNE__V1__CREDENTIAL_REPLY__INIT;
    Voxanne__V1__CredentialInfo info = VOXANNE__V1__CREDENTIAL_INFO__INIT;
    credential cred = {0};
    if (req == NULL || !org_valid(req->org_id) || !store_provider_valid(req->provider)) {
        r.status = VOXANNE__V1__VAULT_STATUS__VAULT_INVALID;
    } else if (!allowed(c, req->request_id, req->org_id, req->provider)) {
        r.status = VOXANNE__V1__VAULT_STATUS__VAULT_DENIED;
    } else {
        store_status st = c->op == VAULT_OP_GET
                              ? credentials_get(c->w->v, c->w->pg, req->request_id, req->org_id, req->provider, c->caller, &cred)
                              : store_info(c->w->pg, req->request_id, req->org_id, req->provider, &cred);
        r.status = status_of(st);
        if (st == STORE_OK) {
            fill_info(&info, &cred);
            r.info = &info;
            if (c->op == VAULT_OP_GET) {
                r.secret.data = cred.secret;
                r.secret.len = cred.secret_len;
            }
        }
    }
    send_reply(c, &r.base);
    credential_clear(&cred);
    if (req != NULL)
        protobuf_c_message_free_unpacked(&req->base, NULL);
}

static void on_list(const api_call *c)
{
    Voxanne__V1__CredentialListRequest *req =
        (Voxanne__V1__CredentialListRequest *)decode(c, &voxanne__v1__credential_list_request__descriptor);
    Voxanne__V1__CredentialListReply r = VOXANNE__V1__CREDENTIAL_LIST_REPLY__INIT;
    credential *list = NULL;
    size_t n = 0;
    Voxanne__V1__CredentialInfo *infos = NULL, **ptrs = NULL;
    if (req == NULL || !org_valid(req->org_id)) {
        r.status = VOXANNE__V1__VAULT_STATUS__VAULT_INVALID;
    } else if (!allowed(c, req->request_id, req->org_id, NULL)) {
        r.status = VOXANNE__V1__VAULT_STATUS__VAULT_DENIED;
    } else {
        store_status st = store_list(c->w->pg, req->request_id, req->org_id, &list, &n);
        r.status = status_of(st);
        infos = calloc(n > 0 ? n : 1, sizeof(*infos));
        ptrs = calloc(n > 0 ? n : 1, sizeof(*ptrs));
        if (infos == NULL || ptrs == NULL)
            abort();
        for (size_t i = 0; i < n; i++) {
            voxanne__v1__credential_info__init(&infos[i]);
            fill_info(&infos[i], &list[i]);
            ptrs[i] = &infos[i];
        }
        r.n_credentials = n;
        r.credentials = ptrs;
    }
    send_reply(c, &r.base);
    for (size_t i = 0; i < n; i++)
        credential_clear(&list[i]);
    free(list);
    free(infos);
    free(ptrs);
    if (req != NULL)
        protobuf_c_message_free_unpacked(&req->base, NULL);
}

/* A secret must be one JSON object of bounded size (the provider's document). */
static bool secret_valid(const ProtobufCBinaryData *secret)
{
    if (secret->len == 0 || secret->len > STORE_SECRET_MAX)
        return false;
    cJSON *doc = cJSON_ParseWithLength((const char *)secret->data, secret->len);
    bool ok = cJSON_IsObject(doc);
    vx_secret_json_delete(doc);
    return ok;
}

static void on_store(const api_call *c)
{
    Voxanne__V1__CredentialStoreRequest *req =
        (Voxanne__V1__CredentialStoreRequest *)decode(c, &voxanne__v1__credential_store_request__descriptor);
    Voxanne__V1__VaultStatus status;
    if (req == NULL || !org_valid(req->org_id) || !store_provider_valid(req->provider) || !secret_valid(&req->secret) ||
        strlen(req->label) > STORE_LABEL_MAX)
        status = VOXANNE__V1__VAULT_STATUS__VAULT_INVALID;
    else if (!allowed(c, req->request_id, req->org_id, req->provider))
        status = VOXANNE__V1__VAULT_STATUS__VAULT_DENIED;
    else
        status = status_of(credentials_store(c->w->v, c->w->pg, req->request_id, req->org_id, req->provider, req->secret.data,
                                             req->secret.len, req->label, NULL));
    reply_status(c, status);
    if (req != NULL && req->secret.data != NULL)
        explicit_bzero(req->secret.data, req->secret.len);
    if (req != NULL)
        protobuf_c_message_free_unpacked(&req->base, NULL);
}

static void on_delete(const api_call *c)
{
    Voxanne__V1__CredentialRef *req = (Voxanne__V1__CredentialRef *)decode(c, &voxanne__v1__credential_ref__descriptor);
    Voxanne__V1__VaultStatus status;
    if (req == NULL || !org_valid(req->org_id) || !store_provider_valid(req->provider))
        status = VOXANNE__V1__VAULT_STATUS__VAULT_INVALID;
    else if (!allowed(c, req->request_id, req->org_id, req->provider))
        status = VOXANNE__V1__VAULT_STATUS__VAULT_DENIED;
    else
        status = status_of(credentials_delete(c->w->v, c->w->pg, req->request_id, req->org_id, req->provider));
    reply_status(c, status);
    if (req != NULL)
        protobuf_c_message_free_unpacked(&req->base, NULL);
}

static void on_mark(const api_call *c)
{
    Voxanne__V1__CredentialMarkRequest *req =
        (Voxanne__V1__CredentialMarkRequest *)decode(c, &voxanne__v1__credential_mark_request__descriptor);
    Voxanne__V1__VaultStatus status;
    if (req == NULL || !org_valid(req->org_id) || !store_provider_valid(req->provider) || strlen(req->error) > STORE_ERROR_MAX ||
        (!req->verified && req->error[0] == '\0'))
        status = VOXANNE__V1__VAULT_STATUS__VAULT_INVALID;
    else if (!allowed(c, req->request_id, req->org_id, req->provider))
        status = VOXANNE__V1__VAULT_STATUS__VAULT_DENIED;
    else
        status = status_of(
            credentials_mark(c->w->v, c->w->pg, req->request_id, req->org_id, req->provider, req->verified, "failed", req->error));
    reply_status(c, status);
    if (req != NULL)
        protobuf_c_message_free_unpacked(&req->base, NULL);
}

static void on_google_token(const api_call *c)
{
    Voxanne__V1__GoogleTokenRequest *req =
        (Voxanne__V1__GoogleTokenRequest *)decode(c, &voxanne__v1__google_token_request__descriptor);
    Voxanne__V1__GoogleTokenReply r = VOXANNE__V1__GOOGLE_TOKEN_REPLY__INIT;
    char *token = NULL;
    if (req == NULL || !org_valid(req->org_id)) {
        r.status = VOXANNE__V1__VAULT_STATUS__VAULT_INVALID;
        r.error = "invalid request";
    } else if (!allowed(c, req->request_id, req->org_id, NULL)) {
        r.status = VOXANNE__V1__VAULT_STATUS__VAULT_DENIED;
        r.error = "denied";
    } else {
        switch (credentials_google_token(c->w->v, c->w->pg, req->request_id, req->org_id, c->caller, &token)) {
        case GOOGLE_TOKEN_OK:
            r.connected = true;
            r.access_token = token;
            r.calendar_id = "primary";
            break;
        case GOOGLE_TOKEN_NOT_CONNECTED:
            r.status = VOXANNE__V1__VAULT_STATUS__VAULT_NOT_FOUND;
            r.error = "not connected";
            break;
        case GOOGLE_TOKEN_RECONNECT:
            r.status = VOXANNE__V1__VAULT_STATUS__VAULT_RECONNECT_NEEDED;
            r.error = "reconnect needed";
            break;
        case GOOGLE_TOKEN_UNREADABLE:
            r.status = VOXANNE__V1__VAULT_STATUS__VAULT_UNREADABLE;
            r.error = "credential unreadable";
            break;
        case GOOGLE_TOKEN_ERROR:
            r.status = VOXANNE__V1__VAULT_STATUS__VAULT_UNAVAILABLE;
            r.error = "google or the database unavailable";
            break;
        }
    }
    send_reply(c, &r.base);
    vx_secret_free(token);
    if (req != NULL)
        protobuf_c_message_free_unpacked(&req->base, NULL);
}

static void on_rotate(const api_call *c)
{
    Voxanne__V1__RotateRequest *req = (Voxanne__V1__RotateRequest *)decode(c, &voxanne__v1__rotate_request__descriptor);
    Voxanne__V1__RotateReply r = VOXANNE__V1__ROTATE_REPLY__INIT;
    r.key_id = (char *)c->w->v->keys->current.id;
    if (req == NULL) {
        r.status = VOXANNE__V1__VAULT_STATUS__VAULT_INVALID;
    } else if (!allowed(c, req->request_id, NULL, NULL)) {
        r.status = VOXANNE__V1__VAULT_STATUS__VAULT_DENIED;
    } else {
        store_rotation rot;
        store_status st = store_rotate(c->w->pg, c->w->v->keys, req->request_id, ROTATE_BATCH, &rot);
        r.status = status_of(st);
        r.rotated = rot.rotated;
        r.remaining = rot.remaining;
        r.failed = rot.failed;
        vx_log_info(req->request_id, NULL, "rotation batch", "key_id", c->w->v->keys->current.id, "status",
                    st == STORE_OK ? "ok" : "failed");
    }
    send_reply(c, &r.base);
    if (req != NULL)
        protobuf_c_message_free_unpacked(&req->base, NULL);
}

/* rpc.vault.<caller>.<operation> → caller and operation; false when the subject has another shape. */
static bool parse_subject(const char *subject, api_call *c)
{
    const char *prefix = "rpc.vault.";
    if (strncmp(subject, prefix, strlen(prefix)) != 0)
        return false;
    const char *caller = subject + strlen(prefix);
    const char *dot = strchr(caller, '.');
    if (dot == NULL || dot == caller || (size_t)(dot - caller) >= sizeof(c->caller) || strchr(dot + 1, '.') != NULL)
        return false;
    memcpy(c->caller, caller, (size_t)(dot - caller));
    c->caller[dot - caller] = '\0';
    c->op = policy_op(dot + 1);
    return true;
}

static void on_message(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    api_call c = {.w = closure, .nc = nc, .msg = msg, .op = VAULT_OP_UNKNOWN};
    if (!parse_subject(natsMsg_GetSubject(msg), &c) || c.op == VAULT_OP_UNKNOWN) {
        vx_log_warn(NULL, NULL, "vault request on an unknown subject", "subject", natsMsg_GetSubject(msg));
        reply_status(&c, VOXANNE__V1__VAULT_STATUS__VAULT_DENIED);
        natsMsg_Destroy(msg);
        return;
    }
    switch (c.op) {
    case VAULT_OP_GET:
    case VAULT_OP_EXISTS:
        on_ref(&c);
        break;
    case VAULT_OP_LIST:
        on_list(&c);
        break;
    case VAULT_OP_STORE:
        on_store(&c);
        break;
    case VAULT_OP_DELETE:
        on_delete(&c);
        break;
    case VAULT_OP_MARK:
        on_mark(&c);
        break;
    case VAULT_OP_GOOGLE_TOKEN:
        on_google_token(&c);
        break;
    case VAULT_OP_ROTATE:
        on_rotate(&c);
        break;
    case VAULT_OP_UNKNOWN:
        break;
    }
    natsMsg_Destroy(msg);
}

api_worker *api_worker_create(const vault_ctx *v)
{
    api_worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        abort();
    w->v = v;
    w->pg = vx_pg_create(v->settings->database_url);
    store_prepare(w->pg);
    return w;
}

int api_worker_start(api_worker *w, natsConnection *nc)
{
    w->served.nc = nc;
    natsStatus s = natsConnection_QueueSubscribe(&w->served.sub, nc, "rpc.vault.>", "vault", on_message, w);
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "vault subscribe failed", "subject", "rpc.vault.>", "error", natsStatus_GetText(s));
        return -1;
    }
    return vx_served_sub_track(&w->served, NULL, NULL); /* the stop waits for the handler */
}

void api_worker_stop(api_worker *w)
{
    vx_served_sub_stop(&w->served);
    vx_served_sub_end(&w->served);
}

void api_worker_destroy(api_worker *w)
{
    if (w == NULL)
        return;
    api_worker_stop(w);
    vx_pg_destroy(w->pg);
    free(w);
}

static void on_evict(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    const vault_ctx *v = closure;
    Voxanne__V1__VaultEvict *ev =
        voxanne__v1__vault_evict__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    if (ev != NULL && org_valid(ev->org_id) && store_provider_valid(ev->provider))
        cache_evict(v->cache, ev->org_id, ev->provider);
    voxanne__v1__vault_evict__free_unpacked(ev, NULL);
    natsMsg_Destroy(msg);
}

int api_listen_evictions(const vault_ctx *v, natsConnection *nc, natsSubscription **out)
{
    natsStatus s = natsConnection_Subscribe(out, nc, VAULT_EVICT_SUBJECT, on_evict, (void *)v);
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "vault subscribe failed", "subject", VAULT_EVICT_SUBJECT, "error", natsStatus_GetText(s));
        return -1;
    }
    return 0;
}
