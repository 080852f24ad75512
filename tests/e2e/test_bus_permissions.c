/*
 * The bus against a hostile neighbour (issue 9), with the whole suite
 * running: a client holding another service's NATS credentials — or none —
 * cannot read another org's data, call tool-router as Vapi, subscribe to
 * ">", touch the VAPI stream, publish or read domain events that are not
 * its own to publish or read, queue jobs that are not its own to queue, or
 * answer the gateway's inboxes; and what the
 * permissions let through unsigned (admin's reach, a stolen connection) is
 * refused by every service's envelope check.
 *
 * The permissions are deploy/nats/users.conf, as every deployment runs them
 * (tests/run-all.sh starts NATS with them; each service runs as its own user).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vt.h"
#include "vx_crypto.h"
#include "vx_routes.h"
#include "vx_time.h"
#include "vx_work.h"

static vt_suite suite;
static PGconn *admin;
static char org_a[37], org_b[37], call_b[37], assistant_a[37];
static natsConnection *root; /* the tests' admin */

/* A connection as one user, counting the permission errors the server sends it. */
typedef struct peer {
    natsConnection *nc;
    atomic_int refused;
} peer;

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    peer *p = closure;
    if (err == NATS_NOT_PERMITTED)
        atomic_fetch_add(&p->refused, 1);
}

/* Connects as user with password (NULLs: no credentials). Returns the status of the connect. */
static natsStatus connect_as(peer *p, const char *user, const char *password)
{
    atomic_init(&p->refused, 0);
    p->nc = NULL;
    natsOptions *opts = NULL;
    assert_int_equal(natsOptions_Create(&opts), NATS_OK);
    natsOptions_SetURL(opts, vt_env("VX_NATS_SERVICE_URL"));
    if (user != NULL)
        natsOptions_SetUserInfo(opts, user, password);
    natsOptions_SetErrorHandler(opts, on_error, p);
    natsOptions_SetMaxReconnect(opts, 0);
    natsStatus s = natsConnection_Connect(&p->nc, opts);
    natsOptions_Destroy(opts);
    return s;
}

static void connect_as_service(peer *p, const char *user)
{
    char *password = vt_nats_password(user);
    assert_int_equal(connect_as(p, user, password), NATS_OK);
    free(password);
}

static void peer_close(peer *p)
{
    natsConnection_Destroy(p->nc);
    p->nc = NULL;
}

/* Waits (round trips to the server, then up to 2 s) until the server has
 * refused something more than before: true when it did. */
static bool refused_since(peer *p, int before)
{
    natsConnection_FlushTimeout(p->nc, 2000);
    for (int i = 0; i < 100 && atomic_load(&p->refused) <= before; i++)
        vt_sleep_ms(20);
    return atomic_load(&p->refused) > before;
}

/* Publishes on subject as p: true when the server refused it. */
static bool publish_refused(peer *p, const char *subject, const char *reply, const void *data, size_t len)
{
    int before = atomic_load(&p->refused);
    natsStatus s = reply != NULL ? natsConnection_PublishRequest(p->nc, subject, reply, data, (int)len)
                                 : natsConnection_Publish(p->nc, subject, data, (int)len);
    assert_true(s == NATS_OK || s == NATS_NOT_PERMITTED);
    return s == NATS_NOT_PERMITTED || refused_since(p, before);
}

/* Subscribes to subject as p: true when the server refused it. */
static bool subscribe_refused(peer *p, const char *subject)
{
    int before = atomic_load(&p->refused);
    natsSubscription *sub = NULL;
    natsStatus s = natsConnection_SubscribeSync(&sub, p->nc, subject);
    bool refused = s == NATS_NOT_PERMITTED || refused_since(p, before);
    natsSubscription_Destroy(sub);
    return refused;
}

/* A GatewayRequest for org (a dashboard user) or as Vapi, packed into buf. */
static size_t pack(uint8_t *buf, size_t cap, const char *org, bool vapi, const char *body)
{
    Voxanne__V1__GatewayRequest req = VOXANNE__V1__GATEWAY_REQUEST__INIT;
    Voxanne__V1__AuthContext auth = VOXANNE__V1__AUTH_CONTEXT__INIT;
    auth.org_id = (char *)(org != NULL ? org : "");
    auth.role = org != NULL ? "owner" : "";
    auth.vapi = vapi;
    req.auth = &auth;
    req.request_id = "bus-test";
    req.body.data = (uint8_t *)body;
    req.body.len = body != NULL ? strlen(body) : 0;
    req.deadline_unix_ms = vx_now_ms() + 5000;
    uint8_t nonce[16];
    vx_random_bytes(nonce, sizeof(nonce)); /* as the gateway: no two envelopes alike */
    req.nonce.data = nonce;
    req.nonce.len = sizeof(nonce);
    size_t len = voxanne__v1__gateway_request__get_packed_size(&req);
    assert_true(len <= cap);
    return voxanne__v1__gateway_request__pack(&req, buf);
}

static const char *const SERVICE_USERS[] = {"gateway",          "webhook-ingest", "dashboard-api", "tool-router",
                                            "credential-vault", "tool-sync",      "rag-search"};
#define N_USERS (sizeof(SERVICE_USERS) / sizeof(SERVICE_USERS[0]))

static void test_no_credentials_no_bus(void **state)
{
    peer p;
    assert_int_not_equal(connect_as(&p, NULL, NULL), NATS_OK);
    natsConnection_Destroy(p.nc);
    assert_int_not_equal(connect_as(&p, "tool-router", "not-its-password"), NATS_OK);
    natsConnection_Destroy(p.nc);
    /* A service's user with the admin's password is no admin. */
    char *admin_password = vt_nats_password("admin");
    assert_int_not_equal(connect_as(&p, "gateway", admin_password), NATS_OK);
    natsConnection_Destroy(p.nc);
    free(admin_password);
}

static void test_no_service_listens_to_everything(void **state)
{
    for (size_t i = 0; i < N_USERS; i++) {
        peer p;
        connect_as_service(&p, SERVICE_USERS[i]);
        assert_true(subscribe_refused(&p, ">"));
        assert_true(subscribe_refused(&p, "rpc.>"));
        assert_true(subscribe_refused(&p, "_INBOX.>"));
        /* Nor another's requests or replies. */
        assert_true(subscribe_refused(&p, "_INBOX.gateway.>") == (strcmp(SERVICE_USERS[i], "gateway") != 0));
        assert_true(subscribe_refused(&p, "rpc.dashboard.>") == (strcmp(SERVICE_USERS[i], "dashboard-api") != 0));
        peer_close(&p);
    }
}

static void test_another_service_cannot_read_an_orgs_calls(void **state)
{
    /* tool-router (or any service but the gateway) asking dashboard-api for
     * org B's calls — even with a validly signed envelope it could not make. */
    uint8_t buf[512];
    size_t len = pack(buf, sizeof(buf), org_b, false, NULL);
    for (size_t i = 1; i < N_USERS; i++) {
        peer p;
        connect_as_service(&p, SERVICE_USERS[i]);
        int before = atomic_load(&p.refused);
        natsMsg *request = vt_signed_msg("rpc.dashboard.calls.list", NULL, buf, len);
        natsMsg *reply = NULL;
        natsStatus s = natsConnection_RequestMsg(&reply, p.nc, request, 1000);
        natsMsg_Destroy(request);
        assert_int_not_equal(s, NATS_OK);
        assert_null(reply);
        if (strcmp(SERVICE_USERS[i], "dashboard-api") != 0)
            assert_true(refused_since(&p, before));
        peer_close(&p);
    }
}

static void test_only_the_gateway_speaks_as_vapi(void **state)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"bus-call\",\"assistantId\":\"%s\"},"
             "\"toolCallList\":[{\"id\":\"t1\",\"type\":\"function\",\"function\":{\"name\":\"lookupCaller\","
             "\"arguments\":{\"searchKey\":\"+15550001234\",\"searchType\":\"phone\"}}}]}}",
             assistant_a);
    uint8_t buf[1024];
    size_t len = pack(buf, sizeof(buf), NULL, true, body);
    for (size_t i = 1; i < N_USERS; i++) {
        peer p;
        connect_as_service(&p, SERVICE_USERS[i]);
        assert_true(publish_refused(&p, VX_SUBJECT_TOOLS_WEBHOOK, NULL, buf, len));
        assert_true(publish_refused(&p, VX_SUBJECT_TOOLS_TOOL, NULL, buf, len));
        /* Nor past the gateway's authentication into the durable stream. */
        assert_true(publish_refused(&p, "vapi.msg.end-of-call-report", NULL, body, strlen(body)));
        peer_close(&p);
    }
}

static void test_the_stream_is_out_of_reach(void **state)
{
    static const char *const admin_only[] = {
        "$JS.API.STREAM.PURGE.VAPI",
        "$JS.API.STREAM.DELETE.VAPI",
        "$JS.API.STREAM.MSG.GET.VAPI",
        "$JS.API.STREAM.MSG.DELETE.VAPI",
        "$JS.API.CONSUMER.CREATE.VAPI.spy",
        "$JS.API.CONSUMER.DURABLE.CREATE.VAPI.spy",
        "$JS.API.STREAM.LIST",
    };
    for (size_t i = 0; i < N_USERS; i++) {
        peer p;
        connect_as_service(&p, SERVICE_USERS[i]);
        for (size_t j = 0; j < sizeof(admin_only) / sizeof(admin_only[0]); j++)
            assert_true(publish_refused(&p, admin_only[j], NULL, "{}", 2));
        /* Reading the stored messages directly. */
        assert_true(subscribe_refused(&p, "vapi.msg.>"));
        peer_close(&p);
    }
    /* Only those who publish or consume it may even look at it. */
    peer p;
    connect_as_service(&p, "dashboard-api");
    assert_true(publish_refused(&p, "$JS.API.STREAM.INFO.VAPI", NULL, "", 0));
    peer_close(&p);
    connect_as_service(&p, "tool-router");
    assert_true(publish_refused(&p, "$JS.API.STREAM.INFO.VAPI", NULL, "", 0));
    assert_true(publish_refused(&p, "$JS.API.CONSUMER.MSG.NEXT.VAPI.webhook-ingest", NULL, "", 0));
    assert_true(publish_refused(&p, "$JS.ACK.VAPI.webhook-ingest.1.7.7.1700000000000000000.0", NULL, "+ACK", 4));
    peer_close(&p);
    /* webhook-ingest acknowledges only what was delivered to it (each
     * delivery's reply subject, through allow_responses): not a guessed
     * sequence, which would delete a report from the work queue unread.
     * An explicit "$JS.ACK...>" grant also left every delivery's reply
     * tracked for two minutes, and nats-server 2.9 walks that whole map on
     * every delivery once it passes 4,096: the drain fell to ~900 rows/s. */
    connect_as_service(&p, "webhook-ingest");
    assert_true(publish_refused(&p, "$JS.ACK.VAPI.webhook-ingest.1.7.7.1700000000000000000.0", NULL, "+ACK", 4));
    assert_true(publish_refused(&p, "$JS.ACK.VAPI.webhook-ingest.1.7.7.1700000000000000000.0", NULL, "+TERM", 5));
    peer_close(&p);
}

static void test_nobody_answers_for_another(void **state)
{
    /* A forged reply to one of the gateway's inboxes: refused at the bus. */
    for (size_t i = 1; i < N_USERS; i++) {
        peer p;
        connect_as_service(&p, SERVICE_USERS[i]);
        assert_true(publish_refused(&p, "_INBOX.gateway.guess.0.1.1", NULL, "forged", 6));
        peer_close(&p);
    }
    /* The gateway reaches only what its routes need: never the vault, not
     * even on a subject that names another caller. */
    peer p;
    connect_as_service(&p, "gateway");
    assert_true(publish_refused(&p, "rpc.vault.tool-router.google_token", NULL, "", 0));
    assert_true(publish_refused(&p, "rpc.rag.search", NULL, "", 0));
    peer_close(&p);
}

/* The vault: each service may ask only on its own rpc.vault.<user>. prefix
 * (the subject names the caller), tool-router only for Google tokens; the
 * vault itself publishes only its cache evictions and replies. */
static void test_only_the_named_caller_reaches_the_vault(void **state)
{
    peer p;
    connect_as_service(&p, "tool-router");
    assert_false(publish_refused(&p, "rpc.vault.tool-router.google_token", NULL, "", 0));
    assert_true(publish_refused(&p, "rpc.vault.tool-router.get", NULL, "", 0));
    assert_true(publish_refused(&p, "rpc.vault.notifier.get", NULL, "", 0));
    assert_true(publish_refused(&p, "rpc.integrations.list", NULL, "", 0));
    assert_true(subscribe_refused(&p, "rpc.vault.>"));
    peer_close(&p);
    const char *never[] = {"dashboard-api", "webhook-ingest"};
    for (size_t i = 0; i < 2; i++) {
        connect_as_service(&p, never[i]);
        assert_true(publish_refused(&p, "rpc.vault.tool-router.google_token", NULL, "", 0));
        assert_true(publish_refused(&p, "rpc.vault.admin.rotate", NULL, "", 0));
        assert_true(publish_refused(&p, "vault.evict", NULL, "", 0));
        peer_close(&p);
    }
    connect_as_service(&p, "gateway");
    assert_true(publish_refused(&p, "vault.evict", NULL, "", 0));
    peer_close(&p);
    connect_as_service(&p, "credential-vault");
    assert_false(subscribe_refused(&p, "rpc.vault.>"));
    assert_false(publish_refused(&p, "vault.evict", NULL, "", 0));
    assert_true(publish_refused(&p, "rpc.tools.webhook", NULL, "", 0));
    assert_true(publish_refused(&p, "rpc.vault.tool-router.google_token", NULL, "", 0));
    assert_true(subscribe_refused(&p, "rpc.tools.>"));
    assert_true(publish_refused(&p, "_INBOX.gateway.guess.0.1.1", NULL, "forged", 6));
    peer_close(&p);
}

/* Domain events (stream EVENTS): only the services that own the data publish
 * them; the gateway only reads them (its ordered consumer, direct reads for
 * Last-Event-ID) and may set the stream up; nobody else touches them. */
static void test_only_owners_publish_events_and_only_the_gateway_reads_them(void **state)
{
    char subject[128];
    snprintf(subject, sizeof(subject), "events.org.%s.call.ended", org_a);
    peer p;
    connect_as_service(&p, "webhook-ingest");
    assert_false(publish_refused(&p, subject, NULL, "", 0));
    assert_false(publish_refused(&p, "$JS.API.STREAM.INFO.EVENTS", NULL, "", 0));
    assert_true(publish_refused(&p, "$JS.API.STREAM.UPDATE.EVENTS", NULL, "{}", 2));
    assert_true(publish_refused(&p, "$JS.API.DIRECT.GET.EVENTS", NULL, "{}", 2));
    assert_true(publish_refused(&p, "$JS.API.CONSUMER.CREATE.EVENTS", NULL, "{}", 2));
    assert_true(subscribe_refused(&p, "events.org.>"));
    peer_close(&p);
    /* The gateway hears events but never says one. */
    connect_as_service(&p, "gateway");
    assert_true(publish_refused(&p, subject, NULL, "{}", 2));
    assert_true(publish_refused(&p, "events.org.x.call.ended", NULL, "{}", 2));
    assert_false(publish_refused(&p, "$JS.API.DIRECT.GET.EVENTS", NULL, "", 0));
    assert_true(publish_refused(&p, "$JS.API.STREAM.UPDATE.EVENTS", NULL, "{}", 2));
    assert_true(publish_refused(&p, "$JS.API.CONSUMER.DELETE.EVENTS.spy", NULL, "", 0));
    assert_true(publish_refused(&p, "$JS.API.CONSUMER.DURABLE.CREATE.EVENTS.spy", NULL, "{}", 2));
    /* Reading the stream is through JetStream (deliveries to its own inbox), never the raw subjects. */
    assert_true(subscribe_refused(&p, "events.org.>"));
    peer_close(&p);
    /* Everyone else: neither publish, nor read, nor look at the stream. */
    const char *others[] = {"tool-router", "dashboard-api", "credential-vault"};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        connect_as_service(&p, others[i]);
        assert_true(publish_refused(&p, subject, NULL, "{}", 2));
        assert_true(subscribe_refused(&p, "events.org.>"));
        assert_true(publish_refused(&p, "$JS.API.STREAM.INFO.EVENTS", NULL, "", 0));
        assert_true(publish_refused(&p, "$JS.API.DIRECT.GET.EVENTS", NULL, "{}", 2));
        assert_true(publish_refused(&p, "$JS.API.CONSUMER.CREATE.EVENTS", NULL, "{}", 2));
        peer_close(&p);
    }
    /* And no one but admin purges or deletes it. */
    for (size_t i = 0; i < N_USERS; i++) {
        connect_as_service(&p, SERVICE_USERS[i]);
        assert_true(publish_refused(&p, "$JS.API.STREAM.PURGE.EVENTS", NULL, "{}", 2));
        assert_true(publish_refused(&p, "$JS.API.STREAM.DELETE.EVENTS", NULL, "", 0));
        assert_true(publish_refused(&p, "$JS.API.STREAM.MSG.DELETE.EVENTS", NULL, "{}", 2));
        peer_close(&p);
    }
}

/* Jobs (stream WORK): dashboard-api queues tool-sync's jobs (after an agent
 * save) and may set the stream up, and nothing else of it; no other service
 * queues them. Only refusals are tried here: a publish let through would
 * leave a job in the queue (the real path is proved through the gateway
 * below). */
static void test_only_dashboard_api_queues_tool_sync_jobs(void **state)
{
    peer p;
    connect_as_service(&p, "dashboard-api");
    assert_false(publish_refused(&p, "$JS.API.STREAM.INFO.WORK", NULL, "", 0));
    assert_true(publish_refused(&p, VX_WORK_NOTIFIER_HOT_LEAD, NULL, "", 0));
    assert_true(publish_refused(&p, "work.tool-sync.cleanup", NULL, "", 0));
    assert_true(publish_refused(&p, "$JS.API.STREAM.PURGE.WORK", NULL, "{}", 2));
    assert_true(publish_refused(&p, "$JS.API.STREAM.DELETE.WORK", NULL, "", 0));
    assert_true(publish_refused(&p, "$JS.API.STREAM.MSG.GET.WORK", NULL, "{}", 2));
    assert_true(publish_refused(&p, "$JS.API.CONSUMER.CREATE.WORK", NULL, "{}", 2));
    assert_true(publish_refused(&p, "$JS.API.CONSUMER.MSG.NEXT.WORK.tool-sync", NULL, "", 0));
    assert_true(subscribe_refused(&p, "work.>"));
    peer_close(&p);
    const char *others[] = {"gateway", "webhook-ingest", "tool-router", "credential-vault", "tool-sync"};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        connect_as_service(&p, others[i]);
        assert_true(publish_refused(&p, VX_WORK_TOOL_SYNC, NULL, "", 0));
        peer_close(&p);
    }
}

/* tool-sync takes its jobs through its own durable on WORK and nothing
 * else: it queues no job, pulls no other durable, purges nothing, and no
 * other service pulls its durable. (tests/integration/tool-sync run it as
 * its own user: the proof that what it needs is allowed.) */
static void test_only_tool_sync_takes_its_jobs(void **state)
{
    peer p;
    connect_as_service(&p, "tool-sync");
    assert_false(publish_refused(&p, "$JS.API.STREAM.INFO.WORK", NULL, "", 0));
    assert_false(publish_refused(&p, "$JS.API.CONSUMER.INFO.WORK.tool-sync", NULL, "", 0));
    assert_true(publish_refused(&p, VX_WORK_NOTIFIER_HOT_LEAD, NULL, "", 0));
    assert_true(publish_refused(&p, "$JS.API.CONSUMER.MSG.NEXT.VAPI.webhook-ingest", NULL, "", 0));
    assert_true(publish_refused(&p, "$JS.API.CONSUMER.MSG.NEXT.WORK.notifier", NULL, "", 0));
    assert_true(publish_refused(&p, "$JS.API.CONSUMER.DELETE.WORK.tool-sync", NULL, "", 0));
    assert_true(publish_refused(&p, "$JS.API.STREAM.PURGE.WORK", NULL, "{}", 2));
    assert_true(publish_refused(&p, "$JS.API.STREAM.MSG.GET.WORK", NULL, "{}", 2));
    assert_true(publish_refused(&p, "$JS.ACK.WORK.tool-sync.1.1.1.1.1", NULL, "+ACK", 4));
    assert_true(publish_refused(&p, "rpc.vault.tool-sync.google_token", NULL, "", 0));
    assert_true(subscribe_refused(&p, "work.>"));
    assert_true(subscribe_refused(&p, "rpc.dashboard.>"));
    peer_close(&p);
    const char *others[] = {"gateway", "webhook-ingest", "dashboard-api", "tool-router", "credential-vault"};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        connect_as_service(&p, others[i]);
        assert_true(publish_refused(&p, "$JS.API.CONSUMER.MSG.NEXT.WORK.tool-sync", NULL, "", 0));
        peer_close(&p);
    }
}

/* rag-search believes the org id in rpc.rag.search because only tool-router
 * may publish that subject; the owner's knowledge-base routes reach it only
 * from the gateway (rpc.kb.>); it publishes nothing but answers. */
static void test_only_tool_router_asks_rag_search(void **state)
{
    for (size_t i = 0; i < N_USERS; i++) {
        peer p;
        connect_as_service(&p, SERVICE_USERS[i]);
        bool tool_router = strcmp(SERVICE_USERS[i], "tool-router") == 0;
        assert_true(publish_refused(&p, "rpc.rag.search", NULL, "", 0) == !tool_router);
        assert_true(publish_refused(&p, "rpc.kb.documents.list", NULL, "", 0) == (strcmp(SERVICE_USERS[i], "gateway") != 0));
        bool rag = strcmp(SERVICE_USERS[i], "rag-search") == 0;
        assert_true(subscribe_refused(&p, "rpc.rag.search") == !rag);
        assert_true(subscribe_refused(&p, "rpc.kb.>") == !rag);
        peer_close(&p);
    }
    peer p;
    connect_as_service(&p, "rag-search");
    assert_true(publish_refused(&p, "rpc.vault.rag-search.get", NULL, "", 0));
    assert_true(publish_refused(&p, "rpc.tools.webhook", NULL, "", 0));
    assert_true(publish_refused(&p, "events.org.x.call.ended", NULL, "", 0));
    assert_true(publish_refused(&p, "work.tool-sync.sync", NULL, "", 0));
    peer_close(&p);
}

static void test_unsigned_envelopes_are_refused_by_every_service(void **state)
{
    /* Past the permissions (the admin's reach), a request without the
     * gateway's signature is still refused by the service itself. */
    uint8_t buf[512];
    static const struct {
        const char *subject;
        bool vapi;
    } targets[] = {
        {"rpc.dashboard.calls.list", false},
        {VX_SUBJECT_TOOLS_WEBHOOK, true},
        {VX_SUBJECT_TOOLS_TOOL, true},
    };
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        size_t len = pack(buf, sizeof(buf), targets[i].vapi ? NULL : org_b, targets[i].vapi, "{\"message\":{}}");
        natsMsg *reply = NULL;
        assert_int_equal(natsConnection_Request(&reply, root, targets[i].subject, buf, (int)len, 5000), NATS_OK);
        Voxanne__V1__GatewayResponse *resp = voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(reply),
                                                                                   (const uint8_t *)natsMsg_GetData(reply));
        assert_non_null(resp);
        assert_int_equal(resp->status, 401);
        assert_non_null(memmem(resp->body.data, resp->body.len, "envelope_unsigned", strlen("envelope_unsigned")));
        assert_null(memmem(resp->body.data, resp->body.len, call_b, strlen(call_b)));
        voxanne__v1__gateway_response__free_unpacked(resp, NULL);
        natsMsg_Destroy(reply);
    }
    /* A signed envelope replayed: served once, refused after. */
    size_t len = pack(buf, sizeof(buf), org_b, false, NULL);
    natsMsg *first = vt_signed_msg("rpc.dashboard.calls.list", NULL, buf, len);
    const char *signature = NULL;
    assert_int_equal(natsMsgHeader_Get(first, "Vx-Signature", &signature), NATS_OK);
    natsMsg *again = NULL;
    assert_int_equal(natsMsg_Create(&again, "rpc.dashboard.calls.list", NULL, (const char *)buf, (int)len), NATS_OK);
    assert_int_equal(natsMsgHeader_Set(again, "Vx-Signature", signature), NATS_OK);
    long statuses[2];
    natsMsg *requests[2] = {first, again};
    for (int i = 0; i < 2; i++) {
        natsMsg *reply = NULL;
        assert_int_equal(natsConnection_RequestMsg(&reply, root, requests[i], 5000), NATS_OK);
        Voxanne__V1__GatewayResponse *resp = voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(reply),
                                                                                   (const uint8_t *)natsMsg_GetData(reply));
        assert_non_null(resp);
        statuses[i] = resp->status;
        voxanne__v1__gateway_response__free_unpacked(resp, NULL);
        natsMsg_Destroy(reply);
    }
    natsMsg_Destroy(first);
    natsMsg_Destroy(again);
    assert_int_equal(statuses[0], 200);
    assert_int_equal(statuses[1], 401);
}

static void test_the_suite_still_works_through_the_gateway(void **state)
{
    /* The permissions are not so tight that the real path breaks. */
    char *token = vt_token(&suite, org_b, 600);
    char auth[2048];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *headers[] = {auth, NULL};
    char url[128];
    snprintf(url, sizeof(url), "%s/api/calls", suite.base_url);
    vt_response r = vt_http("GET", url, headers, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, call_b));
    vt_response_free(&r);
    /* An agent save queues its tool-sync job as dashboard-api's own user
     * (publish, and JetStream's acknowledgement back to its inbox). */
    const char *json_headers[] = {auth, "Content-Type: application/json", NULL};
    snprintf(url, sizeof(url), "%s/api/agent", suite.base_url);
    static const char body[] = "{\"name\":\"Bus B\"}";
    r = vt_http("PUT", url, json_headers, body, strlen(body));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"queued\":true"));
    vt_response_free(&r);
    free(token);
}

static int setup(void **state)
{
    admin = vt_admin();
    vt_uuid(assistant_a);
    vt_create_org(admin, "Bus A", assistant_a, NULL, NULL, org_a);
    vt_create_org(admin, "Bus B", NULL, NULL, NULL, org_b);
    vt_uuid(call_b);
    const char *p[2] = {org_b, call_b};
    vt_sql_exec(admin, "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status) VALUES ($1, $2, 'vapi-' || $2, 'completed')",
                2, p);
    VT_REQUIRE(natsConnection_ConnectTo(&root, vt_env("NATS_URL")) == NATS_OK, "cannot connect to NATS as admin");
    vt_suite_start(&suite);
    return 0;
}

static int teardown(void **state)
{
    vt_suite_stop(&suite);
    natsConnection_Destroy(root);
    PQfinish(admin);
    nats_Close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_credentials_no_bus),
        cmocka_unit_test(test_no_service_listens_to_everything),
        cmocka_unit_test(test_another_service_cannot_read_an_orgs_calls),
        cmocka_unit_test(test_only_the_gateway_speaks_as_vapi),
        cmocka_unit_test(test_the_stream_is_out_of_reach),
        cmocka_unit_test(test_nobody_answers_for_another),
        cmocka_unit_test(test_only_the_named_caller_reaches_the_vault),
        cmocka_unit_test(test_only_owners_publish_events_and_only_the_gateway_reads_them),
        cmocka_unit_test(test_only_dashboard_api_queues_tool_sync_jobs),
        cmocka_unit_test(test_only_tool_sync_takes_its_jobs),
        cmocka_unit_test(test_only_tool_router_asks_rag_search),
        cmocka_unit_test(test_unsigned_envelopes_are_refused_by_every_service),
        cmocka_unit_test(test_the_suite_still_works_through_the_gateway),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
