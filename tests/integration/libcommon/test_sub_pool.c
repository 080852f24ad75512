/*
 * test_sub_pool: libcommon's vx_sub_pool (one queue subscription, one line,
 * several threads) against the real nats-server.
 *
 * Proves: every request is answered, by the threads' own states; a request
 * never waits behind a busy thread while another is free — one thread is
 * held inside its handler (on a latch the test holds, no clock involved)
 * and every request sent after it is still answered meanwhile, which a
 * queue subscription per thread cannot promise (NATS picks the member at
 * random, busy or not); the stop answers what was already received before it
 * returns, and a second stop and a NULL pool do nothing.
 *
 * Environment: NATS_URL (deploy/local/infra.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt.h"
#include "vx_log.h"
#include "vx_sub_pool.h"

#define SUBJECT "test.sub-pool"
#define THREADS 3

typedef struct thread_state {
    int index;
    atomic_int handled;
} thread_state;

static thread_state states[THREADS];
static natsConnection *server_nc, *client;

/* The latch a "hold" request waits on inside its handler. */
static pthread_mutex_t latch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t latch_cv = PTHREAD_COND_INITIALIZER;
static bool latch_open;
static atomic_int holding; /* handlers inside the latch */

static void latch_set(bool open)
{
    pthread_mutex_lock(&latch_mu);
    latch_open = open;
    pthread_cond_broadcast(&latch_cv);
    pthread_mutex_unlock(&latch_mu);
}

/* Answers "<thread index>:<request>"; a request "hold" first waits for the latch. */
static void handler(void *state, natsConnection *nc, natsMsg *msg)
{
    thread_state *t = state;
    const char *data = natsMsg_GetData(msg);
    int len = natsMsg_GetDataLength(msg);
    if (len == 4 && memcmp(data, "hold", 4) == 0) {
        atomic_fetch_add(&holding, 1);
        pthread_mutex_lock(&latch_mu);
        while (!latch_open)
            pthread_cond_wait(&latch_cv, &latch_mu);
        pthread_mutex_unlock(&latch_mu);
        atomic_fetch_sub(&holding, 1);
    }
    atomic_fetch_add(&t->handled, 1);
    char out[64];
    int n = snprintf(out, sizeof(out), "%d:%.*s", t->index, len, data);
    natsConnection_Publish(nc, natsMsg_GetReply(msg), out, n);
    natsMsg_Destroy(msg);
}

static void *const *state_ptrs(void)
{
    static void *ptrs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        states[i].index = i;
        atomic_store(&states[i].handled, 0);
        ptrs[i] = &states[i];
    }
    return ptrs;
}

/* A request's answer ("" on timeout) into out. */
static void ask(const char *body, char *out, size_t out_len, int timeout_ms)
{
    natsMsg *reply = NULL;
    out[0] = '\0';
    if (natsConnection_RequestString(&reply, client, SUBJECT, body, timeout_ms) == NATS_OK) {
        snprintf(out, out_len, "%.*s", natsMsg_GetDataLength(reply), natsMsg_GetData(reply));
        natsMsg_Destroy(reply);
    }
}

static void wait_holding(int n)
{
    for (int i = 0; i < 10000 && atomic_load(&holding) < n; i++)
        vt_sleep_ms(1);
    assert_int_equal(atomic_load(&holding), n);
}

static void test_every_request_answered_by_the_threads(void **state)
{
    vx_sub_pool *p = vx_sub_pool_start(server_nc, SUBJECT, "pool", handler, state_ptrs(), THREADS);
    assert_non_null(p);
    for (int i = 0; i < 60; i++) {
        char body[16], want[16], got[64];
        snprintf(body, sizeof(body), "q%d", i);
        ask(body, got, sizeof(got), 5000);
        snprintf(want, sizeof(want), ":q%d", i);
        assert_non_null(strstr(got, want));
        assert_true(got[0] >= '0' && got[0] < '0' + THREADS);
    }
    int total = 0;
    for (int i = 0; i < THREADS; i++)
        total += atomic_load(&states[i].handled);
    assert_int_equal(total, 60);
    vx_sub_pool_destroy(p);
}

typedef struct async_ask {
    char body[16], got[64];
    pthread_t tid;
} async_ask;

static void *ask_thread(void *arg)
{
    async_ask *a = arg;
    ask(a->body, a->got, sizeof(a->got), 10000);
    return NULL;
}

static void test_no_request_waits_behind_a_busy_thread(void **state)
{
    latch_set(false);
    vx_sub_pool *p = vx_sub_pool_start(server_nc, SUBJECT, "pool", handler, state_ptrs(), THREADS);
    assert_non_null(p);
    async_ask hold = {.body = "hold"};
    assert_int_equal(pthread_create(&hold.tid, NULL, ask_thread, &hold), 0);
    wait_holding(1);
    /* One thread is held: every later request is answered by the others,
     * one after another, while it stays held. */
    for (int i = 0; i < 40; i++) {
        char body[16], got[64];
        snprintf(body, sizeof(body), "r%d", i);
        ask(body, got, sizeof(got), 5000);
        if (got[0] == '\0')
            fail_msg("request %d was not answered while one thread was busy", i);
    }
    assert_int_equal(atomic_load(&holding), 1);
    latch_set(true);
    pthread_join(hold.tid, NULL);
    assert_non_null(strstr(hold.got, ":hold"));
    vx_sub_pool_destroy(p);
}

static void *stop_thread(void *arg)
{
    vx_sub_pool_stop(arg);
    return NULL;
}

static void test_stop_answers_what_was_received(void **state)
{
    latch_set(false);
    vx_sub_pool *p = vx_sub_pool_start(server_nc, SUBJECT, "pool", handler, state_ptrs(), THREADS);
    assert_non_null(p);
    /* Every thread held, and more requests in line behind them. */
    async_ask asks[THREADS + 5];
    for (int i = 0; i < THREADS + 5; i++) {
        snprintf(asks[i].body, sizeof(asks[i].body), "%s", i < THREADS ? "hold" : "late");
        assert_int_equal(pthread_create(&asks[i].tid, NULL, ask_thread, &asks[i]), 0);
        if (i < THREADS)
            wait_holding(i + 1);
    }
    natsConnection_Flush(client);
    /* The late ones are in the pool's line once its connection has seen them. */
    natsConnection_Flush(server_nc);
    pthread_t stopper;
    assert_int_equal(pthread_create(&stopper, NULL, stop_thread, p), 0);
    vt_sleep_ms(50);
    latch_set(true);
    pthread_join(stopper, NULL);
    for (int i = 0; i < THREADS + 5; i++) {
        pthread_join(asks[i].tid, NULL);
        if (strstr(asks[i].got, i < THREADS ? ":hold" : ":late") == NULL)
            fail_msg("request %d (%s) was not answered across the stop", i, asks[i].body);
    }
    vx_sub_pool_stop(p); /* a second stop does nothing */
    vx_sub_pool_destroy(p);
    vx_sub_pool_stop(NULL);
    vx_sub_pool_destroy(NULL);
}

static void test_bad_thread_counts_are_refused(void **state)
{
    assert_null(vx_sub_pool_start(server_nc, SUBJECT, "pool", handler, state_ptrs(), 0));
    static void *many[65];
    assert_null(vx_sub_pool_start(server_nc, SUBJECT, "pool", handler, many, 65));
}

static int group_setup(void **state)
{
    vx_log_init("test_sub_pool");
    if (natsConnection_ConnectTo(&server_nc, vt_env("NATS_URL")) != NATS_OK)
        return -1;
    return natsConnection_ConnectTo(&client, vt_env("NATS_URL")) == NATS_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    natsConnection_Destroy(client);
    natsConnection_Destroy(server_nc);
    nats_Close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_request_answered_by_the_threads),
        cmocka_unit_test(test_no_request_waits_behind_a_busy_thread),
        cmocka_unit_test(test_stop_answers_what_was_received),
        cmocka_unit_test(test_bad_thread_counts_are_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
