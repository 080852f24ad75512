/*
 * vx_nats: connection defaults and stream definitions shared by every program.
 *
 * Stream definitions live here, not in the programs, so the gateway that
 * publishes to a stream and the service that consumes it can never disagree
 * about its subjects, storage or de-duplication window.
 */
#include "vx_nats.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "vx_config.h"
#include "vx_log.h"
#include "vx_signal.h"

/* Who this process is on the bus: read once from the environment, the same
 * for every connection it makes. */
static struct {
    pthread_once_t once;
    const char *user;     /* NULL: connect without a user (a server without authorization) */
    const char *password; /* with user */
    const char *tls_ca, *tls_cert, *tls_key;
    char inbox_prefix[80]; /* "_INBOX.<user>", or "_INBOX" */
} identity = {.once = PTHREAD_ONCE_INIT};

bool vx_nats_user_valid(const char *user)
{
    size_t n = user != NULL ? strlen(user) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = user[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

static void identity_load(void)
{
    identity.user = vx_config_str("NATS_USER", NULL);
    identity.password = vx_config_str("NATS_PASSWORD", NULL);
    identity.tls_ca = vx_config_str("NATS_TLS_CA", NULL);
    identity.tls_cert = vx_config_str("NATS_TLS_CERT", NULL);
    identity.tls_key = vx_config_str("NATS_TLS_KEY", NULL);
    /* The user names the inbox subjects: it must be one subject token. */
    if (identity.user != NULL && !vx_nats_user_valid(identity.user)) {
        fprintf(stderr, "NATS_USER must be 1 to 64 of a-z, 0-9, '-' and '_'\n");
        exit(VX_EXIT_CONFIG);
    }
    if ((identity.user == NULL) != (identity.password == NULL)) {
        fprintf(stderr, "NATS_USER and NATS_PASSWORD go together: set both or neither\n");
        exit(VX_EXIT_CONFIG);
    }
    if ((identity.tls_cert == NULL) != (identity.tls_key == NULL)) {
        fprintf(stderr, "NATS_TLS_CERT and NATS_TLS_KEY go together: set both or neither\n");
        exit(VX_EXIT_CONFIG);
    }
    snprintf(identity.inbox_prefix, sizeof(identity.inbox_prefix), "_INBOX%s%s", identity.user != NULL ? "." : "",
             identity.user != NULL ? identity.user : "");
}

const char *vx_nats_inbox_prefix(void)
{
    pthread_once(&identity.once, identity_load);
    return identity.inbox_prefix;
}

int vx_nats_new_inbox(char *out, size_t out_len)
{
    natsInbox *inbox = NULL;
    if (natsInbox_Create(&inbox) != NATS_OK)
        return -1;
    /* natsInbox is "_INBOX.<nuid>": keep the unique part, under our prefix. */
    const char *nuid = strrchr(inbox, '.');
    int n = snprintf(out, out_len, "%s.%s", vx_nats_inbox_prefix(), nuid != NULL ? nuid + 1 : inbox);
    natsInbox_Destroy(inbox);
    return n > 0 && (size_t)n < out_len ? 0 : -1;
}

/* The identity and TLS settings of the environment, on opts. */
static natsStatus identity_apply(natsOptions *opts)
{
    pthread_once(&identity.once, identity_load);
    natsStatus s = NATS_OK;
    if (identity.user != NULL)
        s = natsOptions_SetUserInfo(opts, identity.user, identity.password);
    /* Requests' replies come back under the user's own prefix: the only
     * inbox subjects its permissions let it read (deploy/nats/users.conf). */
    if (s == NATS_OK && identity.user != NULL)
        s = natsOptions_SetCustomInboxPrefix(opts, identity.inbox_prefix);
    if (s == NATS_OK && (identity.tls_ca != NULL || identity.tls_cert != NULL))
        s = natsOptions_SetSecure(opts, true);
    if (s == NATS_OK && identity.tls_ca != NULL)
        s = natsOptions_LoadCATrustedCertificates(opts, identity.tls_ca);
    if (s == NATS_OK && identity.tls_cert != NULL)
        s = natsOptions_LoadCertificatesChain(opts, identity.tls_cert, identity.tls_key);
    return s;
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    vx_log_warn(NULL, NULL, "nats disconnected");
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    vx_log_info(NULL, NULL, "nats reconnected");
}

static void on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    vx_log_error(NULL, NULL, "nats asynchronous error", "error", natsStatus_GetText(err));
}

/* NATS_URL may list a cluster's servers, comma-separated: natsOptions_SetURL
 * takes one URL, natsOptions_SetServers the list. */
static natsStatus set_servers(natsOptions *opts, const char *url)
{
    if (strchr(url, ',') == NULL)
        return natsOptions_SetURL(opts, url);
    char *copy = strdup(url);
    if (copy == NULL)
        abort();
    const char *servers[16];
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL && n < 16; tok = strtok_r(NULL, ",", &save))
        if (*tok != '\0')
            servers[n++] = tok;
    natsStatus s = n > 0 ? natsOptions_SetServers(opts, servers, n) : NATS_INVALID_ARG;
    free(copy);
    return s;
}

natsOptions *vx_nats_options(const char *url, const char *name)
{
    /* Before the first connection: never spin on cnats' locks. Its default
     * (2,000 tries before sleeping) burned ~6% of tool-router's CPU on this
     * 2-core machine, where the holder is usually not running. Later calls
     * are refused harmlessly. */
    nats_Open(0);
    natsOptions *opts = NULL;
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK)
        s = set_servers(opts, url);
    if (s == NATS_OK)
        s = natsOptions_SetName(opts, name);
    /* Flush every publish at once: request/reply latency matters more than
     * batching. (On a vx_natsloop connection "at once" means at the end of the
     * loop's turn, which batches by itself.) */
    if (s == NATS_OK)
        s = natsOptions_SetSendAsap(opts, true);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(opts, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(opts, 250);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectBufSize(opts, 16 * 1024 * 1024);
    if (s == NATS_OK)
        s = natsOptions_SetRetryOnFailedConnect(opts, true, NULL, NULL);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(opts, on_disconnected, NULL);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(opts, on_reconnected, NULL);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(opts, on_async_error, NULL);
    if (s == NATS_OK)
        s = identity_apply(opts);
    if (s != NATS_OK) {
        vx_log_error(NULL, NULL, "nats options failed", "error", natsStatus_GetText(s));
        natsOptions_Destroy(opts);
        return NULL;
    }
    return opts;
}

void vx_nats_url_for_log(const char *url, char *out, size_t out_len)
{
    if (out_len == 0)
        return;
    size_t o = 0;
    for (const char *p = url != NULL ? url : ""; *p != '\0' && o + 1 < out_len;) {
        /* One URL of the list: scheme, then drop "user:password@" or "token@". */
        size_t n = strcspn(p, ",");
        const char *host = p;
        const char *scheme_end = strstr(p, "://");
        if (scheme_end != NULL && (size_t)(scheme_end - p) < n)
            host = scheme_end + 3;
        /* The last '@' before the path: a password may hold a raw '@'. */
        const char *at = NULL;
        for (const char *q = host; q < p + n && *q != '/'; q++)
            if (*q == '@')
                at = q;
        for (const char *q = p; q < p + n && o + 1 < out_len; q++) {
            if (at != NULL && q == host)
                q = at + 1;
            if (q >= p + n)
                break;
            out[o++] = *q;
        }
        p += n;
        if (*p == ',' && o + 1 < out_len) {
            out[o++] = ',';
            p++;
        }
    }
    out[o] = '\0';
}

natsConnection *vx_nats_connect_with(natsOptions *opts, const char *url)
{
    natsConnection *nc = NULL;
    natsStatus s = natsConnection_Connect(&nc, opts);
    natsOptions_Destroy(opts);
    if (s == NATS_NOT_YET_CONNECTED) {
        /* Retry-on-failed-connect: the library keeps trying in the background. */
        char shown[512];
        vx_nats_url_for_log(url, shown, sizeof(shown));
        vx_log_warn(NULL, NULL, "nats not reachable yet, connecting in the background", "url", shown);
        return nc;
    }
    if (s != NATS_OK) {
        char shown[512];
        vx_nats_url_for_log(url, shown, sizeof(shown));
        vx_log_error(NULL, NULL, "nats connect failed", "url", shown, "error", natsStatus_GetText(s));
        natsConnection_Destroy(nc);
        return NULL;
    }
    return nc;
}

void vx_nats_close(natsConnection *nc)
{
    if (nc == NULL)
        return;
    if (natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED)
        natsConnection_FlushTimeout(nc, 2000);
    natsConnection_Destroy(nc);
}

static void on_connected(natsConnection *nc, void *closure)
{
    vx_log_info(NULL, NULL, "nats connected");
}

natsConnection *vx_nats_connect(const char *url, const char *name)
{
    natsOptions *opts = vx_nats_options(url, name);
    /* With a connected callback, a server that is not there yet makes
     * Connect return at once and retry in the background; without one cnats
     * retries inside Connect, forever, and a service waiting for NATS could
     * not be stopped (SIGTERM is blocked until vx_signal_wait_termination). */
    if (opts != NULL && natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, NULL) != NATS_OK) {
        natsOptions_Destroy(opts);
        opts = NULL;
    }
    natsConnection *nc = opts != NULL ? vx_nats_connect_with(opts, url) : NULL;
    int64_t waited_ms = 0;
    while (nc != NULL && natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED) {
        if (vx_signal_wait_termination_ms(250) != 0) {
            vx_log_warn(NULL, NULL, "stopped while waiting for nats");
            natsConnection_Destroy(nc);
            return NULL;
        }
        waited_ms += 250;
        if (waited_ms % 10000 == 0)
            vx_log_warn(NULL, NULL, "still waiting for nats");
    }
    return nc;
}

natsStatus vx_js_publish_once(jsCtx *js, const char *stream, const char *subject, const char *msg_id, const void *data, size_t len,
                              bool wait, jsErrCode *jerr)
{
    jsPubOptions opts;
    jsPubOptions_Init(&opts);
    opts.MsgId = msg_id;
    opts.ExpectStream = stream;
    if (!wait)
        return js_PublishAsync(js, subject, data, (int)len, &opts);
    jsPubAck *ack = NULL;
    natsStatus s = js_Publish(&ack, js, subject, data, (int)len, &opts, jerr);
    jsPubAck_Destroy(ack);
    return s;
}

int vx_js_ensure_stream(jsCtx *js, jsStreamConfig *cfg)
{
    jsErrCode jerr = 0;
    jsStreamInfo *si = NULL;
    natsStatus s = js_GetStreamInfo(&si, js, cfg->Name, NULL, &jerr);
    if (s == NATS_OK) {
        jsStreamInfo_Destroy(si);
        s = js_UpdateStream(&si, js, cfg, NULL, &jerr);
    } else if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
        s = js_AddStream(&si, js, cfg, NULL, &jerr);
        /* Another replica may have created it between our two calls. */
        if (s != NATS_OK && jerr == JSStreamNameExistErr)
            s = NATS_OK;
    }
    jsStreamInfo_Destroy(si);
    if (s != NATS_OK) {
        char code[16];
        snprintf(code, sizeof(code), "%d", (int)jerr);
        vx_log_error(NULL, NULL, "jetstream stream setup failed", "stream", cfg->Name, "error", natsStatus_GetText(s), "js_code",
                     code);
        return -1;
    }
    return 0;
}

void vx_vapi_stream_limits_from_env(vx_vapi_stream_limits *limits)
{
    limits->max_bytes =
        (int64_t)vx_config_long("VAPI_STREAM_MAX_BYTES", 8L * 1024 * 1024 * 1024, 1024L * 1024, 1024L * 1024 * 1024 * 1024);
    limits->max_age_s = (int64_t)vx_config_long("VAPI_STREAM_MAX_AGE_DAYS", 7, 1, 365) * 24 * 3600;
    limits->replicas = (int)vx_config_long("VAPI_STREAM_REPLICAS", 1, 1, 5);
}

/* An existing VAPI stream of the earlier, limits-retention layout cannot be
 * updated in place (JetStream refuses to change retention): say what to do. */
static int check_vapi_retention(jsCtx *js)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    if (js_GetStreamInfo(&si, js, VX_STREAM_VAPI, NULL, &jerr) != NATS_OK)
        return 0; /* missing (created next) or unreadable (the ensure reports it) */
    bool old_layout = si->Config->Retention != js_WorkQueuePolicy;
    jsStreamInfo_Destroy(si);
    if (old_layout) {
        vx_log_error(NULL, NULL,
                     "the VAPI stream has limits retention (an earlier version): once webhook-ingest has processed "
                     "everything in it, delete it (nats stream rm VAPI) and start again",
                     "stream", VX_STREAM_VAPI);
        return -1;
    }
    return 0;
}

int vx_js_ensure_vapi_stream(jsCtx *js, const vx_vapi_stream_limits *limits)
{
    static const char *subjects[] = {VX_SUBJECT_VAPI_PREFIX ">"};
    if (check_vapi_retention(js) != 0)
        return -1;
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = VX_STREAM_VAPI;
    cfg.Description = "Vapi server messages, durable before they are acknowledged to Vapi";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Retention = js_WorkQueuePolicy;
    cfg.MaxAge = limits->max_age_s * 1000000000LL;
    cfg.MaxBytes = limits->max_bytes;
    cfg.Replicas = limits->replicas;
    cfg.Discard = js_DiscardNew;
    cfg.Duplicates = (int64_t)120 * 1000000000LL;
    cfg.MaxMsgSize = 8 * 1024 * 1024;
    return vx_js_ensure_stream(js, &cfg);
}

void vx_served_sub_stop(vx_served_sub *s)
{
    if (s->sub == NULL || s->draining)
        return;
    s->draining = true;
    /* A drain completes when the server has answered the UNSUB; while NATS is
     * away that never happens, and the stop would wait its whole budget for
     * nothing: no request can arrive, and no answer leave, meanwhile. */
    if (natsConnection_Status(s->nc) != NATS_CONN_STATUS_CONNECTED || natsSubscription_Drain(s->sub) != NATS_OK)
        natsSubscription_Unsubscribe(s->sub);
}

static void served_complete(void *closure)
{
    vx_served_sub *s = closure;
    if (s->also != NULL)
        s->also(s->also_arg);
    atomic_store(&s->complete, true);
}

int vx_served_sub_track(vx_served_sub *s, void (*also)(void *), void *also_arg)
{
    s->also = also;
    s->also_arg = also_arg;
    atomic_init(&s->complete, false);
    natsStatus st = natsSubscription_SetOnCompleteCB(s->sub, served_complete, s);
    if (st != NATS_OK) {
        vx_log_error(NULL, NULL, "cannot track the subscription's end", "error", natsStatus_GetText(st));
        return -1;
    }
    s->tracked = true;
    return 0;
}

void vx_served_sub_end(vx_served_sub *s)
{
    if (s->sub == NULL)
        return;
    /* Not draining (unsubscribed instead, or never stopped): returns at once,
     * and the destroy removes the interest. */
    natsSubscription_WaitForDrainCompletion(s->sub, VX_SERVED_SUB_DRAIN_MS);
    natsSubscription_Destroy(s->sub);
    s->sub = NULL;
    s->draining = false;
    /* A handler still running (a drain that timed out behind a slow provider
     * call) must return before the caller frees what it uses. Handlers are
     * bounded by their own timeouts, so this ends; say why a stop is slow. */
    int64_t waited_ms = 0;
    while (s->tracked && !atomic_load(&s->complete)) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
        if (++waited_ms % 5000 == 0)
            vx_log_warn(NULL, NULL, "stopping: waiting for a request in hand to finish");
    }
    s->tracked = false;
}
