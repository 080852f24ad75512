/*
 * Unit tests of libcommon/vx_pull.c's pure parts: the retry backoff (one
 * rule for webhook-ingest's batches and tool-sync's single jobs) and how a
 * worker reads what arrives on its inbox (the pull protocol's status
 * messages). The pulling itself runs against a real NATS in the services'
 * integration tests (webhook-ingest, tool-sync).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vx_pull.h"

/* One handle() of a worker: a verdict per message, 'a'ck or 'r'etry; the
 * retry delays it asked for go to delays. */
static void handled(vx_pull_backoff *b, const char *verdicts, int64_t *delays)
{
    for (const char *v = verdicts; *v; v++) {
        if (*v == 'a')
            vx_pull_backoff_ack(b);
        else
            *delays++ = vx_pull_backoff_retry(b);
    }
    vx_pull_backoff_handled(b);
}

static void test_retries_double_up_to_ten_seconds(void **state)
{
    vx_pull_backoff b = {0};
    const int64_t want[] = {1000, 2000, 4000, 8000, 10000, 10000, 10000};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int64_t got = 0;
        handled(&b, "r", &got);
        assert_int_equal(got, want[i]);
    }
}

static void test_an_ack_starts_again_from_one_second(void **state)
{
    vx_pull_backoff b = {0};
    int64_t got = 0;
    handled(&b, "r", &got);
    handled(&b, "r", &got);
    handled(&b, "r", &got);
    assert_int_equal(got, 4000);
    handled(&b, "a", NULL);
    handled(&b, "r", &got);
    assert_int_equal(got, 1000);
}

static void test_a_batch_counts_once(void **state)
{
    /* webhook-ingest: a batch whose transaction failed retries every message
     * at the same delay, and the next batch waits twice as long, not 2^n. */
    vx_pull_backoff b = {0};
    int64_t got[4] = {0};
    handled(&b, "rrrr", got);
    for (int i = 0; i < 4; i++)
        assert_int_equal(got[i], 1000);
    handled(&b, "rrrr", got);
    assert_int_equal(got[0], 2000);
    assert_int_equal(got[3], 2000);
    handled(&b, "r", got);
    assert_int_equal(got[0], 4000);
}

static void test_an_ack_within_a_batch(void **state)
{
    /* The ack resets at once (the retries after it wait the minimum); the
     * batch still counts as failed, so the next one waits longer. */
    vx_pull_backoff b = {0};
    int64_t got[2] = {0};
    handled(&b, "r", got);
    handled(&b, "r", got);
    handled(&b, "rar", got);
    assert_int_equal(got[0], 4000);
    assert_int_equal(got[1], 1000);
    handled(&b, "r", got);
    assert_int_equal(got[0], 2000);
    /* Only acks: nothing grows. */
    handled(&b, "aa", NULL);
    handled(&b, "r", got);
    assert_int_equal(got[0], 1000);
}

static natsMsg *arrival(const char *subject, const char *data, const char *status)
{
    natsMsg *m = NULL;
    assert_int_equal(natsMsg_Create(&m, subject, "$JS.ACK.x", data, data ? (int)strlen(data) : 0), NATS_OK);
    if (status)
        assert_int_equal(natsMsgHeader_Set(m, "Status", status), NATS_OK);
    return m;
}

static void check(const char *subject, const char *data, const char *status, vx_pull_arrival want)
{
    natsMsg *m = arrival(subject, data, status);
    assert_int_equal(vx_pull_classify(m, "_INBOX.w.7"), want);
    natsMsg_Destroy(m);
}

static void test_status_messages(void **state)
{
    check("_INBOX.w.7", "report", NULL, VX_PULL_MESSAGE);
    check("_INBOX.w.3", "late report", NULL, VX_PULL_MESSAGE); /* an earlier pull's: ours all the same */
    check("_INBOX.w.7", "with data", "408", VX_PULL_MESSAGE);  /* a status message carries no data */
    check("_INBOX.w.7", NULL, NULL, VX_PULL_MESSAGE);          /* an empty message of the stream */
    check("_INBOX.w.7", NULL, "404", VX_PULL_END);
    check("_INBOX.w.7", NULL, "408", VX_PULL_END);
    check("_INBOX.w.7", NULL, "409", VX_PULL_END);
    check("_INBOX.w.7", NULL, "100", VX_PULL_NOISE); /* heartbeat */
    check("_INBOX.w.3", NULL, "408", VX_PULL_NOISE); /* an earlier pull's end */
    check("_INBOX.w.70", NULL, "408", VX_PULL_NOISE);
}

/* natsMsg_Destroy hands messages to the library's collector: it must be open. */
static int open_nats(void **state)
{
    return nats_Open(-1) == NATS_OK ? 0 : -1;
}

static int close_nats(void **state)
{
    nats_CloseAndWait(2000);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retries_double_up_to_ten_seconds),
        cmocka_unit_test(test_an_ack_starts_again_from_one_second),
        cmocka_unit_test(test_a_batch_counts_once),
        cmocka_unit_test(test_an_ack_within_a_batch),
        cmocka_unit_test(test_status_messages),
    };
    return cmocka_run_group_tests(tests, open_nats, close_nats);
}
