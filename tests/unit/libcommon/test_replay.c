/*
 * Unit tests of libcommon/vx_replay.c: a signature is fresh once, then a
 * replay until its timestamp leaves the window; memory stays within the
 * capacity, and a full cache forgets the oldest timestamp and refuses
 * everything up to it (never a forgotten signature let through); expiry
 * frees room; concurrent checks of one signature let exactly one through.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vx_replay.h"

#define NOW    1800000000LL
#define WINDOW 300

/* A distinct signature per n (as an HMAC, uniformly spread). */
static void mac_of(uint32_t n, uint8_t mac[VX_SHA256_LEN])
{
    vx_sha256(&n, sizeof(n), mac);
}

static vx_replay_status check(vx_replay *r, uint32_t n, int64_t ts, int64_t now)
{
    uint8_t mac[VX_SHA256_LEN];
    mac_of(n, mac);
    return vx_replay_check(r, mac, ts, now, WINDOW);
}

static void test_fresh_then_seen_until_it_leaves_the_window(void **state)
{
    vx_replay *r = vx_replay_create(64, "test signatures");
    assert_non_null(r);
    assert_int_equal(check(r, 1, NOW, NOW), VX_REPLAY_FRESH);
    assert_int_equal(check(r, 1, NOW, NOW), VX_REPLAY_SEEN);
    assert_int_equal(check(r, 2, NOW, NOW), VX_REPLAY_FRESH);
    assert_int_equal(check(r, 1, NOW, NOW + WINDOW), VX_REPLAY_SEEN); /* the last second of its window */
    assert_int_equal(vx_replay_count(r), 2);
    /* Out of the window it is forgotten (the caller's window check refuses it now). */
    assert_int_equal(check(r, 3, NOW + WINDOW + 1, NOW + WINDOW + 1), VX_REPLAY_FRESH);
    assert_int_equal(vx_replay_count(r), 1);
    /* Even if the clock steps back, a forgotten signature is not accepted again. */
    assert_int_equal(check(r, 1, NOW, NOW), VX_REPLAY_FORGOTTEN);
    /* A timestamp ahead of the clock is remembered until it too leaves the window. */
    assert_int_equal(check(r, 4, NOW + 2 * WINDOW, NOW + WINDOW + 1), VX_REPLAY_FRESH);
    assert_int_equal(check(r, 4, NOW + 2 * WINDOW, NOW + 3 * WINDOW), VX_REPLAY_SEEN);
    vx_replay_destroy(r);
    vx_replay_destroy(NULL);
}

/* Full: the smallest timestamp is forgotten and everything up to it refused
 * from then on; newer signatures keep being accepted. */
static void test_full_cache_shrinks_the_window(void **state)
{
    vx_replay *r = vx_replay_create(4, "test signatures");
    /* Timestamps out of order, all in the window. */
    assert_int_equal(check(r, 1, NOW - 10, NOW), VX_REPLAY_FRESH);
    assert_int_equal(check(r, 2, NOW - 30, NOW), VX_REPLAY_FRESH);
    assert_int_equal(check(r, 3, NOW - 20, NOW), VX_REPLAY_FRESH);
    assert_int_equal(check(r, 4, NOW - 5, NOW), VX_REPLAY_FRESH);
    assert_int_equal(vx_replay_count(r), 4);
    /* A fifth, newer: the oldest (2, at NOW - 30) goes. */
    assert_int_equal(check(r, 5, NOW, NOW), VX_REPLAY_FRESH);
    assert_int_equal(vx_replay_count(r), 4);
    /* 2 cannot be told from new any more: refused, as is anything at or before its second. */
    assert_int_equal(check(r, 2, NOW - 30, NOW), VX_REPLAY_FORGOTTEN);
    assert_int_equal(check(r, 6, NOW - 30, NOW), VX_REPLAY_FORGOTTEN);
    assert_int_equal(check(r, 7, NOW - 100, NOW), VX_REPLAY_FORGOTTEN);
    /* The rest are still known. */
    assert_int_equal(check(r, 1, NOW - 10, NOW), VX_REPLAY_SEEN);
    assert_int_equal(check(r, 3, NOW - 20, NOW), VX_REPLAY_SEEN);
    assert_int_equal(check(r, 4, NOW - 5, NOW), VX_REPLAY_SEEN);
    assert_int_equal(check(r, 5, NOW, NOW), VX_REPLAY_SEEN);
    /* Full, and older than all it holds: it would be the first to go, so refused without evicting. */
    assert_int_equal(check(r, 8, NOW - 25, NOW), VX_REPLAY_FORGOTTEN);
    assert_int_equal(check(r, 3, NOW - 20, NOW), VX_REPLAY_SEEN);
    /* Equal to the oldest held: likewise. */
    assert_int_equal(check(r, 9, NOW - 20, NOW), VX_REPLAY_FORGOTTEN);
    assert_int_equal(vx_replay_count(r), 4);
    /* Newer ones push the oldest out, one by one. */
    assert_int_equal(check(r, 10, NOW + 1, NOW), VX_REPLAY_FRESH); /* forgets 3 (NOW - 20) */
    assert_int_equal(check(r, 3, NOW - 20, NOW), VX_REPLAY_FORGOTTEN);
    assert_int_equal(check(r, 11, NOW - 15, NOW), VX_REPLAY_FORGOTTEN); /* older than all it holds (NOW - 10 at least) */
    assert_int_equal(check(r, 11, NOW - 8, NOW), VX_REPLAY_FRESH);      /* forgets 1 (NOW - 10) */
    assert_int_equal(check(r, 1, NOW - 10, NOW), VX_REPLAY_FORGOTTEN);
    assert_int_equal(check(r, 11, NOW - 8, NOW), VX_REPLAY_SEEN);
    vx_replay_destroy(r);
}

/* Under a long stream of requests the cache stays at its capacity, never lets a
 * replay through, and keeps accepting fresh requests whose timestamps move on. */
static void test_bounded_under_load(void **state)
{
    enum { CAPACITY = 100, TOTAL = 5000 };
    vx_replay *r = vx_replay_create(CAPACITY, "test signatures");
    int64_t now = NOW;
    for (uint32_t i = 0; i < TOTAL; i++) {
        if (i % 10 == 0)
            now++;
        assert_int_equal(check(r, i, now, now), VX_REPLAY_FRESH);
        assert_true(vx_replay_count(r) <= CAPACITY);
        /* Every earlier one is refused, remembered or forgotten. */
        if (i > 0)
            assert_int_not_equal(check(r, i - 1, now - (i % 10 == 0), now), VX_REPLAY_FRESH);
        if (i >= 50)
            assert_int_not_equal(check(r, i - 50, now - 5, now), VX_REPLAY_FRESH);
    }
    assert_int_equal(vx_replay_count(r), CAPACITY);
    /* Once the clock has moved past the window, everything expires and room is back. */
    now += 2 * WINDOW;
    assert_int_equal(check(r, TOTAL, now, now), VX_REPLAY_FRESH);
    assert_int_equal(vx_replay_count(r), 1);
    vx_replay_destroy(r);
}

typedef struct racer {
    vx_replay *r;
    int fresh;
} racer;

static void *race(void *arg)
{
    racer *c = arg;
    for (uint32_t n = 0; n < 2000; n++)
        c->fresh += check(c->r, n, NOW, NOW) == VX_REPLAY_FRESH;
    return NULL;
}

/* The gateway's loop threads share one cache: a signature is fresh exactly once overall. */
static void test_threads_share_one_cache(void **state)
{
    enum { THREADS = 4 };
    vx_replay *r = vx_replay_create(4096, "test signatures");
    pthread_t t[THREADS];
    racer c[THREADS];
    for (int i = 0; i < THREADS; i++) {
        c[i] = (racer){r, 0};
        pthread_create(&t[i], NULL, race, &c[i]);
    }
    int fresh = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        fresh += c[i].fresh;
    }
    assert_int_equal(fresh, 2000);
    assert_int_equal(vx_replay_count(r), 2000);
    vx_replay_destroy(r);
}

static void test_capacity_bounds(void **state)
{
    assert_null(vx_replay_create(0, "test signatures"));
    vx_replay *one = vx_replay_create(1, "test signatures");
    assert_int_equal(check(one, 1, NOW, NOW), VX_REPLAY_FRESH);
    assert_int_equal(check(one, 2, NOW + 1, NOW), VX_REPLAY_FRESH);
    assert_int_equal(check(one, 1, NOW, NOW), VX_REPLAY_FORGOTTEN);
    assert_int_equal(check(one, 2, NOW + 1, NOW), VX_REPLAY_SEEN);
    vx_replay_destroy(one);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_then_seen_until_it_leaves_the_window),
        cmocka_unit_test(test_full_cache_shrinks_the_window),
        cmocka_unit_test(test_bounded_under_load),
        cmocka_unit_test(test_threads_share_one_cache),
        cmocka_unit_test(test_capacity_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
