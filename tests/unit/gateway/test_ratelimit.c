/*
 * Unit tests of the gateway's request budgets (services/gateway/ratelimit.c):
 * the clock is the test's, so each figure is exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ratelimit.h"

#define S INT64_C(1000000)

static long take(ratelimit *rl, const char *key, int64_t now_us)
{
    return ratelimit_take(rl, key, strlen(key), now_us);
}

static void test_a_burst_then_one_per_interval(void **state)
{
    ratelimit *rl = ratelimit_create(64, 60, 5); /* one a second, five at once */
    int64_t t = 1000 * S;
    for (int i = 0; i < 5; i++)
        assert_int_equal(take(rl, "org-a", t), 0);
    assert_int_equal(take(rl, "org-a", t), 1); /* the sixth waits a second */
    assert_int_equal(take(rl, "org-a", t + S / 2), 1);
    assert_int_equal(take(rl, "org-a", t + S), 0);      /* one came back */
    assert_int_equal(take(rl, "org-a", t + S), 1);      /* and only one */
    assert_int_equal(take(rl, "org-a", t + 10 * S), 0); /* long idle: the burst is whole again */
    for (int i = 0; i < 4; i++)
        assert_int_equal(take(rl, "org-a", t + 10 * S), 0);
    assert_int_equal(take(rl, "org-a", t + 10 * S), 1);
    ratelimit_destroy(rl);
}

static void test_retry_after_counts_whole_seconds(void **state)
{
    ratelimit *rl = ratelimit_create(64, 6, 1); /* one every ten seconds */
    int64_t t = 50 * S;
    assert_int_equal(take(rl, "ip", t), 0);
    assert_int_equal(take(rl, "ip", t), 10);
    assert_int_equal(take(rl, "ip", t + S / 10), 10); /* 9.9 s left: rounded up */
    assert_int_equal(take(rl, "ip", t + 9 * S), 1);
    assert_int_equal(take(rl, "ip", t + 10 * S), 0);
    ratelimit_destroy(rl);
}

static void test_a_refused_request_spends_nothing(void **state)
{
    ratelimit *rl = ratelimit_create(64, 60, 1);
    int64_t t = 7 * S;
    assert_int_equal(take(rl, "k", t), 0);
    for (int i = 0; i < 100; i++) /* hammering while refused does not push the wait out */
        assert_int_equal(take(rl, "k", t + S / 2), 1);
    assert_int_equal(take(rl, "k", t + S), 0);
    ratelimit_destroy(rl);
}

static void test_keys_have_their_own_budgets(void **state)
{
    ratelimit *rl = ratelimit_create(1024, 60, 2);
    int64_t t = 3 * S;
    assert_int_equal(take(rl, "org-a", t), 0);
    assert_int_equal(take(rl, "org-a", t), 0);
    assert_int_equal(take(rl, "org-a", t), 1);
    assert_int_equal(take(rl, "org-b", t), 0); /* A's spending is not B's */
    assert_int_equal(take(rl, "org-b", t), 0);
    assert_int_equal(take(rl, "org-b", t), 1);
    /* Binary keys (an IPv4 address) work as well. */
    const unsigned char ip1[4] = {10, 0, 0, 1}, ip2[4] = {10, 0, 0, 2};
    assert_int_equal(ratelimit_take(rl, ip1, 4, t), 0);
    assert_int_equal(ratelimit_take(rl, ip1, 4, t), 0);
    assert_int_equal(ratelimit_take(rl, ip1, 4, t), 1);
    assert_int_equal(ratelimit_take(rl, ip2, 4, t), 0);
    ratelimit_destroy(rl);
}

/* Far more keys than slots: the table forgets some budgets (they start
 * whole) but never refuses a key that stayed within its budget, and a key
 * spending steadily is still limited. */
static void test_a_flood_of_keys_never_refuses_the_innocent(void **state)
{
    ratelimit *rl = ratelimit_create(64, 60, 3);
    int64_t t = 100 * S;
    char key[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "addr-%d", i);
        assert_int_equal(take(rl, key, t), 0); /* each key's first request */
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(take(rl, "steady", t), 0);
    assert_true(take(rl, "steady", t) >= 1);
    ratelimit_destroy(rl);
}

static void test_no_rate_means_no_limit(void **state)
{
    ratelimit *rl = ratelimit_create(64, 0, 5);
    assert_null(rl);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(take(rl, "anyone", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_burst_then_one_per_interval),
        cmocka_unit_test(test_retry_after_counts_whole_seconds),
        cmocka_unit_test(test_a_refused_request_spends_nothing),
        cmocka_unit_test(test_keys_have_their_own_budgets),
        cmocka_unit_test(test_a_flood_of_keys_never_refuses_the_innocent),
        cmocka_unit_test(test_no_rate_means_no_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
