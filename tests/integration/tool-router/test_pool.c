/*
 * test_pool: tool-router's pool (pool.c) — its queue is bounded and it does
 * no work for a request whose deadline has passed.
 *
 * Requests reach the pool as in the service: a batched vx_rpc worker (this
 * process, as service "pooltest") defers every request it receives and
 * submits it with pool_submit; the test sends signed GatewayRequests over
 * NATS and reads the answers on its own inbox. A pool thread runs
 * dispatch_request, which answers "pooltest" subjects 404 (no such route):
 * a 404 proves a request ran, a 503 that it did not.
 *
 * The pool has one thread and room for two waiting requests, and is not
 * started until the queue has been filled, so what waits is known exactly.
 *
 * Environment: NATS_URL, DATABASE_URL (tests/run-all.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"
#include "settings.h"
#include "vt.h"
#include "vx_log.h"
#include "vx_rpc.h"
#include "vx_time.h"

#define SERVICE   "pooltest"
#define QUEUE_MAX 2
#define GUARD_MS  10000 /* how long an answer is waited for before the test gives up */
#define INBOX     "_INBOX.pooltest"

static natsConnection *client;
static natsSubscription *answers;
static pool *P;
static settings config;
static vx_rpc_worker *W;

/* The worker's batch handler: everything goes to the pool, as dispatch sends
 * slow tools there. A body starting with "late" is held until its deadline
 * has passed first, as behind a worker's long batch. */
static void defer_all(void *state, const vx_gateway_request *const *reqs, vx_rpc_reply *replies, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (reqs[i]->body.len >= 4 && memcmp(reqs[i]->body.data, "late", 4) == 0)
            while (vx_now_ms() <= reqs[i]->deadline_unix_ms)
                usleep(1000);
        pool_submit(P, vx_rpc_defer(&replies[i]));
    }
}

/* Sends a request with body and deadline (ms from now), answered on INBOX.<tag>. */
static void send_request(const char *tag, const char *body, int64_t deadline_in_ms)
{
    uint8_t *buf;
    size_t len;
    vt_pack_gateway_request("rpc." SERVICE ".slow", NULL, body, true, vx_now_ms() + deadline_in_ms, &buf, &len);
    char reply[64];
    snprintf(reply, sizeof(reply), INBOX ".%s", tag);
    natsMsg *msg = vt_signed_msg("rpc." SERVICE ".slow", reply, buf, len);
    assert_int_equal(natsConnection_PublishMsg(client, msg), NATS_OK);
    assert_int_equal(natsConnection_Flush(client), NATS_OK);
    natsMsg_Destroy(msg);
    free(buf);
}

typedef struct answer {
    char tag[16];
    unsigned status;
    char code[32];
} answer;

/* The next answer; fails the test when none comes within the guard. */
static answer next_answer(void)
{
    natsMsg *msg = NULL;
    assert_int_equal(natsSubscription_NextMsg(&msg, answers, GUARD_MS), NATS_OK);
    answer a = {{0}, 0, {0}};
    snprintf(a.tag, sizeof(a.tag), "%s", natsMsg_GetSubject(msg) + strlen(INBOX "."));
    Voxanne__V1__GatewayResponse *resp =
        voxanne__v1__gateway_response__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    assert_non_null(resp);
    a.status = resp->status;
    cJSON *json = cJSON_ParseWithLength((const char *)resp->body.data, resp->body.len);
    cJSON *code = cJSON_GetObjectItem(json, "code");
    if (cJSON_IsString(code))
        snprintf(a.code, sizeof(a.code), "%s", code->valuestring);
    cJSON_Delete(json);
    voxanne__v1__gateway_response__free_unpacked(resp, NULL);
    natsMsg_Destroy(msg);
    return a;
}

/* Nothing else may be waiting on the inbox. */
static void expect_no_answer(int ms)
{
    natsMsg *msg = NULL;
    assert_int_equal(natsSubscription_NextMsg(&msg, answers, ms), NATS_TIMEOUT);
}

/* Arriving after its deadline (the pool not even started): answered at
 * once, never queued, never run. */
static void test_request_past_its_deadline_is_dropped_on_arrival(void **state)
{
    send_request("late", "late: held by the worker until its deadline", 300);
    answer a = next_answer();
    assert_string_equal(a.tag, "late");
    assert_int_equal(a.status, 503);
    assert_string_equal(a.code, "expired");
}

/* Two wait (no thread runs yet); the third finds the queue full and is
 * answered 503 at once. Started, the pool runs the two. */
static void test_full_queue_refuses_at_once(void **state)
{
    send_request("a", "first", 60000);
    send_request("b", "second", 60000);
    send_request("c", "third", 60000);
    answer refused = next_answer();
    assert_string_equal(refused.tag, "c");
    assert_int_equal(refused.status, 503);
    assert_string_equal(refused.code, "overloaded");
    expect_no_answer(200);

    assert_int_equal(pool_start(P), 0);
    answer first = next_answer(), second = next_answer();
    assert_string_equal(first.tag, "a");
    assert_string_equal(second.tag, "b");
    assert_int_equal(first.status, 404); /* dispatch_request ran: no such route */
    assert_int_equal(second.status, 404);

    /* With the queue empty again, a request is taken and run. */
    send_request("d", "fourth", 60000);
    answer d = next_answer();
    assert_string_equal(d.tag, "d");
    assert_int_equal(d.status, 404);
}

static int group_setup(void **state)
{
    vx_log_init("test_pool");
    /* This process is the service: its envelope key, as the suite gives it. */
    char key[65];
    vt_envelope_key_hex(SERVICE, key);
    setenv("ENVELOPE_KEY", key, 1);
    if (natsConnection_ConnectTo(&client, vt_env("NATS_URL")) != NATS_OK)
        return -1;
    if (natsConnection_SubscribeSync(&answers, client, INBOX ".*") != NATS_OK)
        return -1;
    settings_defaults(&config);
    P = pool_create(1, QUEUE_MAX, vt_env("DATABASE_URL"), client, &config, NULL);
    W = vx_rpc_worker_start_batched(vt_env("NATS_URL"), SERVICE, defer_all, NULL, NULL);
    return W != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    vx_rpc_worker_destroy(W); /* before the pool: it submits to it */
    pool_destroy(P);
    natsSubscription_Destroy(answers);
    natsConnection_Destroy(client);
    nats_Close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_past_its_deadline_is_dropped_on_arrival),
        cmocka_unit_test(test_full_queue_refuses_at_once),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
