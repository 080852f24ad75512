/*
 * test_rpc_worker: libcommon's loop-driven rpc worker (vx_rpc_worker, on
 * vx_natsloop) against the real nats-server.
 *
 * What it must keep from vx_rpc_serve: every GatewayRequest answered with the
 * handler's GatewayResponse, health answered from the worker's own thread, a
 * bad envelope answered 400, and only the gateway's signed, unexpired, unseen
 * envelopes served (vx_envelope): unsigned, forged, tampered, moved to
 * another subject, replayed or expired ones are answered 401 and never
 * reach the handler. What it adds: many requests in flight at once
 * (answered in batches), none lost when the worker is stopped in the middle of
 * them, and service again after the NATS server restarts (cnats reattaches the
 * new socket from its reconnect thread). Batched workers
 * (vx_rpc_worker_start_batched): the handler sees the requests of a burst
 * together, each reply reaches its own request, and a request deferred to
 * another thread (vx_rpc_defer) holds back none of the others.
 *
 * Environment: NATS_URL and VX_STATE_DIR (deploy/local/infra.sh), run from the
 * repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vt.h"
#include "vx_envelope.h"
#include "vx_log.h"
#include "vx_time.h"
#include "vx_rpc.h"
#include "voxanne/v1/gateway.pb-c.h"

#define SERVICE "rpctest"

typedef struct echo_state {
    atomic_int handled;
    atomic_int slow_us; /* per request, to keep requests in flight */
    pthread_t handler_thread;
    atomic_bool one_thread; /* every request so far ran on handler_thread */
} echo_state;

static echo_state E;
static natsConnection *client;

static void echo(void *state, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    echo_state *e = state;
    if (atomic_fetch_add(&e->handled, 1) == 0)
        e->handler_thread = pthread_self();
    else if (!pthread_equal(e->handler_thread, pthread_self()))
        atomic_store(&e->one_thread, false);
    int slow = atomic_load(&e->slow_us);
    if (slow > 0)
        usleep((useconds_t)slow);
    char json[160];
    snprintf(json, sizeof(json), "{\"echo\":\"%.*s\",\"route\":\"%s\"}", (int)req->body.len, (const char *)req->body.data,
             req->route);
    vx_rpc_reply_json(reply, 201, json);
}

static bool healthy(void *state, const char **detail)
{
    echo_state *e = state;
    /* Health is answered by the worker's thread, the one that runs the handler. */
    *detail = atomic_load(&e->handled) == 0 || pthread_equal(e->handler_thread, pthread_self()) ? "same thread" : "other thread";
    return true;
}

static void pack_request(const char *body, uint8_t **out, size_t *len)
{
    vt_pack_gateway_request("echo", NULL, body, false, 0, out, len);
}

/* Sends request and returns the response (caller frees) or NULL on timeout; destroys request. */
static Voxanne__V1__GatewayResponse *ask_msg(natsMsg *request, int timeout_ms)
{
    natsMsg *reply = NULL;
    natsStatus s = natsConnection_RequestMsg(&reply, client, request, timeout_ms);
    natsMsg_Destroy(request);
    if (s != NATS_OK)
        return NULL;
    Voxanne__V1__GatewayResponse *resp =
        voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(reply), (const uint8_t *)natsMsg_GetData(reply));
    natsMsg_Destroy(reply);
    return resp;
}

/* One request as the gateway sends it; returns the response (caller frees) or NULL on timeout. */
static Voxanne__V1__GatewayResponse *ask(const char *body, int timeout_ms)
{
    uint8_t *buf;
    size_t len;
    pack_request(body, &buf, &len);
    natsMsg *request = vt_signed_msg("rpc." SERVICE ".echo", NULL, buf, len);
    free(buf);
    return ask_msg(request, timeout_ms);
}

static void test_request_answered(void **state)
{
    vx_rpc_worker *w = vx_rpc_worker_start(vt_env("NATS_URL"), SERVICE, echo, healthy, &E);
    assert_non_null(w);
    Voxanne__V1__GatewayResponse *resp = ask("hello", 10000);
    assert_non_null(resp);
    assert_int_equal(resp->status, 201);
    assert_string_equal(resp->content_type, "application/json");
    /* The handler sees the subject the request arrived on as its route, not
     * what the envelope claimed ("echo"): the one key a service dispatches on. */
    const char *expected = "{\"echo\":\"hello\",\"route\":\"rpc." SERVICE ".echo\"}";
    assert_int_equal(resp->body.len, strlen(expected));
    assert_memory_equal(resp->body.data, expected, resp->body.len);
    voxanne__v1__gateway_response__free_unpacked(resp, NULL);
    vx_rpc_worker_destroy(w);
}

static void test_health_and_bad_envelope(void **state)
{
    vx_rpc_worker *w = vx_rpc_worker_start(vt_env("NATS_URL"), SERVICE, echo, healthy, &E);
    assert_non_null(w);
    assert_true(vt_wait_service_healthy(client, SERVICE, 10000));
    /* Signed by the gateway, but not a GatewayRequest. */
    Voxanne__V1__GatewayResponse *resp = ask_msg(vt_signed_msg("rpc." SERVICE ".echo", NULL, "\xff\xff\xff", 3), 10000);
    assert_non_null(resp);
    assert_int_equal(resp->status, 400);
    assert_non_null(strstr((const char *)resp->body.data, "\"code\":\"bad_envelope\""));
    voxanne__v1__gateway_response__free_unpacked(resp, NULL);
    vx_rpc_worker_destroy(w);
}

/* Asserts that request (destroyed) is answered 401 with code, and that the handler never saw it. */
static void assert_refused(natsMsg *request, const char *code)
{
    int handled = atomic_load(&E.handled);
    Voxanne__V1__GatewayResponse *resp = ask_msg(request, 10000);
    assert_non_null(resp);
    assert_int_equal(resp->status, 401);
    char want[64];
    snprintf(want, sizeof(want), "\"code\":\"%s\"", code);
    assert_non_null(memmem(resp->body.data, resp->body.len, want, strlen(want)));
    voxanne__v1__gateway_response__free_unpacked(resp, NULL);
    assert_int_equal(atomic_load(&E.handled), handled);
}

/* A signed request whose signature header is replaced by signature. */
static natsMsg *with_signature(const uint8_t *buf, size_t len, const char *signature)
{
    natsMsg *msg = vt_signed_msg("rpc." SERVICE ".echo", NULL, buf, len);
    assert_int_equal(natsMsgHeader_Set(msg, VX_ENVELOPE_HEADER, signature), NATS_OK);
    return msg;
}

static void test_only_the_gateways_fresh_envelopes_are_served(void **state)
{
    vx_rpc_worker *w = vx_rpc_worker_start(vt_env("NATS_URL"), SERVICE, echo, healthy, &E);
    assert_non_null(w);
    uint8_t *buf;
    size_t len;
    pack_request("forged", &buf, &len);

    /* No signature: anyone on the bus. */
    natsMsg *unsigned_msg = NULL;
    assert_int_equal(natsMsg_Create(&unsigned_msg, "rpc." SERVICE ".echo", NULL, (const char *)buf, (int)len), NATS_OK);
    assert_refused(unsigned_msg, "envelope_unsigned");
    /* Signed with another service's key: a compromised service forging. */
    char other_hex[65], signature[VX_ENVELOPE_SIG_SIZE];
    uint8_t other[VX_ENVELOPE_KEY_LEN];
    vt_envelope_key_hex("tools", other_hex);
    assert_int_equal(vx_envelope_key_parse(other_hex, other), 0);
    vx_envelope_sign(other, "rpc." SERVICE ".echo", buf, len, signature);
    assert_refused(with_signature(buf, len, signature), "envelope_unsigned");
    /* The right key, signed for another subject of the same service. */
    char own_hex[65];
    uint8_t own[VX_ENVELOPE_KEY_LEN];
    vt_envelope_key_hex(SERVICE, own_hex);
    assert_int_equal(vx_envelope_key_parse(own_hex, own), 0);
    vx_envelope_sign(own, "rpc." SERVICE ".other", buf, len, signature);
    assert_refused(with_signature(buf, len, signature), "envelope_unsigned");
    /* Malformed signatures. */
    assert_refused(with_signature(buf, len, "v1=00"), "envelope_unsigned");
    assert_refused(with_signature(buf, len, ""), "envelope_unsigned");
    /* A byte of the payload changed after signing (say, the org id). */
    natsMsg *signed_msg = vt_signed_msg("rpc." SERVICE ".echo", NULL, buf, len);
    const char *good = NULL;
    assert_int_equal(natsMsgHeader_Get(signed_msg, VX_ENVELOPE_HEADER, &good), NATS_OK);
    snprintf(signature, sizeof(signature), "%s", good);
    natsMsg_Destroy(signed_msg);
    buf[len - 1] ^= 1;
    assert_refused(with_signature(buf, len, signature), "envelope_unsigned");
    buf[len - 1] ^= 1;

    /* The genuine envelope is served once; the same bytes again are a replay. */
    Voxanne__V1__GatewayResponse *resp = ask_msg(with_signature(buf, len, signature), 10000);
    assert_non_null(resp);
    assert_int_equal(resp->status, 201);
    voxanne__v1__gateway_response__free_unpacked(resp, NULL);
    assert_refused(with_signature(buf, len, signature), "envelope_replayed");
    free(buf);

    /* Signed, but expired (the gateway answered 504 already): no work is done. */
    vt_pack_gateway_request("echo", NULL, "late", false, vx_now_ms() - 1, &buf, &len);
    assert_refused(vt_signed_msg("rpc." SERVICE ".echo", NULL, buf, len), "envelope_expired");
    free(buf);
    /* Signed, with a deadline too far ahead to be remembered against replay. */
    vt_pack_gateway_request("echo", NULL, "forever", false, vx_now_ms() + VX_ENVELOPE_MAX_AHEAD_MS + 60000, &buf, &len);
    assert_refused(vt_signed_msg("rpc." SERVICE ".echo", NULL, buf, len), "envelope_deadline");
    free(buf);
    vx_rpc_worker_destroy(w);
}

#define BURST 300

typedef struct burst {
    natsSubscription *inbox;
    char prefix[64];
} burst;

/* Publishes n requests with replies to <prefix>.<i> without waiting. */
static void send_burst(burst *b, int n)
{
    natsInbox *inbox = NULL;
    assert_int_equal(natsInbox_Create(&inbox), NATS_OK);
    snprintf(b->prefix, sizeof(b->prefix), "%s", (const char *)inbox);
    natsInbox_Destroy(inbox);
    char wildcard[80];
    snprintf(wildcard, sizeof(wildcard), "%s.*", b->prefix);
    assert_int_equal(natsConnection_SubscribeSync(&b->inbox, client, wildcard), NATS_OK);
    natsSubscription_SetPendingLimits(b->inbox, -1, -1);
    for (int i = 0; i < n; i++) {
        char body[16], reply[96];
        snprintf(body, sizeof(body), "%d", i);
        snprintf(reply, sizeof(reply), "%s.%d", b->prefix, i);
        uint8_t *buf;
        size_t len;
        pack_request(body, &buf, &len);
        natsMsg *request = vt_signed_msg("rpc." SERVICE ".echo", reply, buf, len);
        assert_int_equal(natsConnection_PublishMsg(client, request), NATS_OK);
        natsMsg_Destroy(request);
        free(buf);
    }
    assert_int_equal(natsConnection_FlushTimeout(client, 5000), NATS_OK);
}

/* Counts the distinct answers of a burst, waiting up to timeout_ms for each. */
static int collect_burst(burst *b, int n, int timeout_ms)
{
    char *seen = calloc((size_t)n, 1);
    int distinct = 0;
    natsMsg *msg = NULL;
    while (distinct < n && natsSubscription_NextMsg(&msg, b->inbox, timeout_ms) == NATS_OK) {
        const char *subject = natsMsg_GetSubject(msg);
        int i = atoi(subject + strlen(b->prefix) + 1);
        if (i >= 0 && i < n && !seen[i]) {
            seen[i] = 1;
            distinct++;
        }
        natsMsg_Destroy(msg);
    }
    free(seen);
    natsSubscription_Destroy(b->inbox);
    return distinct;
}

static void test_burst_answered_by_one_thread(void **state)
{
    atomic_store(&E.handled, 0);
    atomic_store(&E.one_thread, true);
    vx_rpc_worker *w = vx_rpc_worker_start(vt_env("NATS_URL"), SERVICE, echo, healthy, &E);
    assert_non_null(w);
    burst b;
    send_burst(&b, BURST);
    assert_int_equal(collect_burst(&b, BURST, 5000), BURST);
    assert_true(atomic_load(&E.one_thread));
    vx_rpc_worker_destroy(w);
}

static void test_stop_loses_no_request_in_flight(void **state)
{
    atomic_store(&E.slow_us, 2000); /* 300 requests ≈ 0.6 s of work */
    vx_rpc_worker *w = vx_rpc_worker_start(vt_env("NATS_URL"), SERVICE, echo, healthy, &E);
    assert_non_null(w);
    burst b;
    send_burst(&b, BURST);
    usleep(50 * 1000); /* some answered, most still waiting */
    vx_rpc_worker_drain(w);
    vx_rpc_worker_destroy(w);
    atomic_store(&E.slow_us, 0);
    assert_int_equal(collect_burst(&b, BURST, 1000), BURST);
    /* And after the stop nobody is serving any more ("no responders" comes back at once; the timeout is only a bound). */
    natsMsg *reply = NULL;
    assert_int_equal(natsConnection_RequestString(&reply, client, "rpc." SERVICE ".echo", "x", 10000), NATS_NO_RESPONDERS);
}

static void test_serves_again_after_nats_restart(void **state)
{
    vx_rpc_worker *w = vx_rpc_worker_start(vt_env("NATS_URL"), SERVICE, echo, healthy, &E);
    assert_non_null(w);
    Voxanne__V1__GatewayResponse *resp = ask("before", 10000);
    assert_non_null(resp);
    voxanne__v1__gateway_response__free_unpacked(resp, NULL);
    assert_int_equal(vt_infra("nats-stop"), 0);
    assert_int_equal(vt_infra("nats-start"), 0);
    /* Both connections reconnect on their own (250 ms between attempts). */
    resp = NULL;
    for (int i = 0; i < 100 && resp == NULL; i++) {
        resp = ask("after", 200);
        if (resp == NULL)
            usleep(100 * 1000); /* "no responders" comes back at once until the worker is back */
    }
    assert_non_null(resp);
    assert_int_equal(resp->status, 201);
    voxanne__v1__gateway_response__free_unpacked(resp, NULL);
    vx_rpc_worker_destroy(w);
}

/* The batch handler: echoes every request; with defer_even set it holds
 * even-numbered ones for the test thread to answer (vx_rpc_defer). */
typedef struct batch_state {
    atomic_int max_batch;
    bool defer_even;
    pthread_mutex_t lock;
    vx_rpc_deferred *held[BURST];
    int nheld;
} batch_state;

static batch_state B = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void echo_reply(const vx_gateway_request *req, vx_rpc_reply *reply)
{
    char json[64];
    snprintf(json, sizeof(json), "{\"echo\":\"%.*s\"}", (int)req->body.len, (const char *)req->body.data);
    vx_rpc_reply_json(reply, 200, json);
}

static void batch_echo(void *state, const vx_gateway_request *const *reqs, vx_rpc_reply *replies, size_t n)
{
    batch_state *b = state;
    if ((int)n > atomic_load(&b->max_batch))
        atomic_store(&b->max_batch, (int)n);
    for (size_t i = 0; i < n; i++) {
        char text[16]; /* the body is bytes, not a C string */
        snprintf(text, sizeof(text), "%.*s", (int)reqs[i]->body.len, (const char *)reqs[i]->body.data);
        int number = atoi(text);
        if (b->defer_even && number % 2 == 0) {
            pthread_mutex_lock(&b->lock);
            b->held[b->nheld++] = vx_rpc_defer(&replies[i]);
            pthread_mutex_unlock(&b->lock);
        } else {
            echo_reply(reqs[i], &replies[i]);
        }
    }
}

/* Takes the answers of a burst: each must echo its own number. Returns how many arrived. */
static int collect_echoes(burst *b, int expected, int timeout_ms)
{
    int got = 0;
    natsMsg *msg = NULL;
    while (got < expected && natsSubscription_NextMsg(&msg, b->inbox, timeout_ms) == NATS_OK) {
        int i = atoi(natsMsg_GetSubject(msg) + strlen(b->prefix) + 1);
        Voxanne__V1__GatewayResponse *resp =
            voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
        assert_non_null(resp);
        char want[32];
        snprintf(want, sizeof(want), "{\"echo\":\"%d\"}", i);
        assert_int_equal(resp->body.len, strlen(want));
        assert_memory_equal(resp->body.data, want, resp->body.len);
        voxanne__v1__gateway_response__free_unpacked(resp, NULL);
        natsMsg_Destroy(msg);
        got++;
    }
    return got;
}

static void test_batch_handler_sees_a_burst_together(void **state)
{
    atomic_store(&B.max_batch, 0);
    B.defer_even = false;
    vx_rpc_worker *w = vx_rpc_worker_start_batched(vt_env("NATS_URL"), SERVICE, batch_echo, NULL, &B);
    assert_non_null(w);
    assert_true(vt_wait_service_healthy(client, SERVICE, 10000));
    burst b;
    send_burst(&b, BURST);
    assert_int_equal(collect_echoes(&b, BURST, 5000), BURST);
    natsSubscription_Destroy(b.inbox);
    /* The burst was in the worker's socket before it read: not one by one. */
    assert_true(atomic_load(&B.max_batch) > 1);
    vx_rpc_worker_destroy(w);
}

static void *destroy_worker(void *w)
{
    vx_rpc_worker_destroy(w);
    return NULL;
}

/* Two requests alike in everything the client chose — the same request id,
 * body and deadline (the same millisecond) — are two requests: each
 * envelope has its own nonce, so neither is taken for a replay of the other. */
static void test_alike_requests_are_not_replays(void **state)
{
    vx_rpc_worker *w = vx_rpc_worker_start(vt_env("NATS_URL"), SERVICE, echo, healthy, &E);
    assert_non_null(w);
    int64_t deadline = vx_now_ms() + 10000;
    for (int i = 0; i < 2; i++) {
        uint8_t *buf;
        size_t len;
        vt_pack_gateway_request("echo", NULL, "same", false, deadline, &buf, &len);
        Voxanne__V1__GatewayResponse *resp = ask_msg(vt_signed_msg("rpc." SERVICE ".echo", NULL, buf, len), 10000);
        free(buf);
        assert_non_null(resp);
        assert_int_equal(resp->status, 201);
        voxanne__v1__gateway_response__free_unpacked(resp, NULL);
    }
    vx_rpc_worker_destroy(w);
}

static void test_deferred_requests_hold_back_no_others(void **state)
{
    B.defer_even = true;
    B.nheld = 0;
    vx_rpc_worker *w = vx_rpc_worker_start_batched(vt_env("NATS_URL"), SERVICE, batch_echo, NULL, &B);
    assert_non_null(w);
    burst b;
    send_burst(&b, BURST);
    /* Every odd request is answered while the even ones are still held. */
    assert_int_equal(collect_echoes(&b, BURST / 2, 5000), BURST / 2);
    int held = 0;
    for (int i = 0; i < 500 && held < BURST / 2; i++) {
        pthread_mutex_lock(&B.lock);
        held = B.nheld;
        pthread_mutex_unlock(&B.lock);
        if (held < BURST / 2)
            usleep(10 * 1000);
    }
    assert_int_equal(held, BURST / 2);
    /* The worker is asked to stop while they are held: it keeps its
     * connection until they are answered. This thread answers them; they
     * leave on the worker's connection, the only one NATS lets reply. */
    pthread_t destroyer;
    assert_int_equal(pthread_create(&destroyer, NULL, destroy_worker, w), 0);
    usleep(50 * 1000);
    for (int i = 0; i < held; i++) {
        vx_rpc_reply reply = {.content_type = "application/json"};
        echo_reply(vx_rpc_deferred_request(B.held[i]), &reply);
        vx_rpc_deferred_answer(B.held[i], &reply);
    }
    assert_int_equal(collect_echoes(&b, BURST / 2, 5000), BURST / 2);
    pthread_join(destroyer, NULL);
    natsSubscription_Destroy(b.inbox);
}

static int group_setup(void **state)
{
    vx_log_init("test_rpc_worker");
    /* This process is the service: its key, as the suite gives it. */
    char key[65];
    vt_envelope_key_hex(SERVICE, key);
    setenv("ENVELOPE_KEY", key, 1);
    atomic_init(&E.handled, 0);
    atomic_init(&E.slow_us, 0);
    atomic_init(&E.one_thread, true);
    natsOptions *opts = NULL;
    natsOptions_Create(&opts);
    natsOptions_SetURL(opts, vt_env("NATS_URL"));
    natsOptions_SetMaxReconnect(opts, -1);
    natsOptions_SetReconnectWait(opts, 100);
    natsStatus s = natsConnection_Connect(&client, opts);
    natsOptions_Destroy(opts);
    return s == NATS_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    natsConnection_Destroy(client);
    nats_Close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_answered),
        cmocka_unit_test(test_health_and_bad_envelope),
        cmocka_unit_test(test_only_the_gateways_fresh_envelopes_are_served),
        cmocka_unit_test(test_alike_requests_are_not_replays),
        cmocka_unit_test(test_burst_answered_by_one_thread),
        cmocka_unit_test(test_stop_loses_no_request_in_flight),
        cmocka_unit_test(test_serves_again_after_nats_restart),
        cmocka_unit_test(test_batch_handler_sees_a_burst_together),
        cmocka_unit_test(test_deferred_requests_hold_back_no_others),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
