/*
 * test_vault_rotate: voxctl vault rotate (services/voxctl/vault.c), the real
 * binary connected to the real NATS as the admin NATS user, against a
 * stand-in credential-vault this test subscribes on rpc.vault.admin.rotate
 * and scripts reply by reply.
 *
 * Proves: voxctl asks again while the vault says some remain and the last
 * batch rotated something (remaining 3, 1, 0: three requests, each with its
 * own request id), prints a line per batch and the summary, and exits 0;
 * with nothing answering it says credential-vault is not running and exits
 * 1; credentials that did not decrypt stop it with exit 1 once a batch
 * rotates nothing; a refusal, a vault that does not answer within
 * --timeout-s and a missing NATS_URL (2) fail with their own sentences.
 *
 * Environment: NATS_URL (the tests' admin), VX_NATS_SERVICE_URL and the
 * run's NATS users (tests/run-all.sh), VOXCTL. No database is touched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <nats/nats.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxanne/v1/vault.pb-c.h"
#include "vt.h"

#define SUBJECT "rpc.vault.admin.rotate"

/* One scripted reply; status -1: take the request and say nothing. */
typedef struct scripted {
    int status;
    uint64_t rotated, remaining, failed;
} scripted;

static struct {
    const char *voxctl;
    natsConnection *nc; /* the test's own (admin): the stand-in vault lives on it */
    char nats_url_env[512], user_env[64], password_env[256];
    pthread_mutex_t lock; /* the stand-in answers on a NATS thread */
    scripted script[8];
    int nscript, asked;
    char request_ids[8][64];
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void stand_in(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    Voxanne__V1__RotateRequest *req =
        voxanne__v1__rotate_request__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    pthread_mutex_lock(&g.lock);
    int i = g.asked++;
    if (i < 8)
        snprintf(g.request_ids[i], sizeof(g.request_ids[i]), "%s", req != NULL ? req->request_id : "(unreadable)");
    scripted s = i < g.nscript ? g.script[i] : (scripted){(int)VOXANNE__V1__VAULT_STATUS__VAULT_INVALID, 0, 0, 0};
    pthread_mutex_unlock(&g.lock);
    if (s.status >= 0) {
        Voxanne__V1__RotateReply rep = VOXANNE__V1__ROTATE_REPLY__INIT;
        rep.status = (Voxanne__V1__VaultStatus)s.status;
        rep.rotated = s.rotated;
        rep.remaining = s.remaining;
        rep.failed = s.failed;
        rep.key_id = (char *)"k2";
        uint8_t buf[128];
        size_t len = voxanne__v1__rotate_reply__pack(&rep, buf);
        natsConnection_Publish(nc, natsMsg_GetReply(msg), buf, (int)len);
    }
    voxanne__v1__rotate_request__free_unpacked(req, NULL);
    natsMsg_Destroy(msg);
}

/* Subscribes the stand-in with the replies given (n of them). */
static natsSubscription *stand_in_start(const scripted *script, int n)
{
    pthread_mutex_lock(&g.lock);
    memcpy(g.script, script, (size_t)n * sizeof(*script));
    g.nscript = n;
    g.asked = 0;
    pthread_mutex_unlock(&g.lock);
    natsSubscription *sub = NULL;
    VT_REQUIRE(natsConnection_Subscribe(&sub, g.nc, SUBJECT, stand_in, NULL) == NATS_OK, "subscribe");
    VT_REQUIRE(natsConnection_Flush(g.nc) == NATS_OK, "flush");
    return sub;
}

/* Unsubscribes it; returns how many requests it was sent. */
static int stand_in_stop(natsSubscription *sub)
{
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    natsConnection_Flush(g.nc);
    pthread_mutex_lock(&g.lock);
    int n = g.asked;
    pthread_mutex_unlock(&g.lock);
    return n;
}

/* voxctl vault rotate with the extra args (NULL-terminated, may be NULL), as operators run it: NATS_USER=admin. */
static vt_run_result rotate(const char *const *more_args)
{
    const char *args[8] = {"vault", "rotate"};
    size_t n = 2;
    for (size_t i = 0; more_args != NULL && more_args[i] != NULL && n < 7; i++)
        args[n++] = more_args[i];
    args[n] = NULL;
    const char *env[] = {g.nats_url_env, g.user_env, g.password_env, NULL};
    return vt_run(g.voxctl, args, env);
}

static void test_rotates_batch_after_batch(void **state)
{
    const scripted script[] = {{0, 2, 3, 0}, {0, 2, 1, 0}, {0, 1, 0, 0}};
    natsSubscription *sub = stand_in_start(script, 3);
    vt_run_result r = rotate(NULL);
    int asked = stand_in_stop(sub);
    if (r.status != 0)
        vt_run_show("vault rotate", &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(asked, 3);
    assert_string_equal(r.out, "batch 1: rotated 2, 3 remaining\n"
                               "batch 2: rotated 2, 1 remaining\n"
                               "batch 3: rotated 1, 0 remaining\n"
                               "rotated 5 credentials to key k2; 0 remaining\n");
    assert_string_equal(r.err, "");
    /* Each request its own id, for the vault's log. */
    assert_int_equal(strlen(g.request_ids[0]), 36);
    assert_string_not_equal(g.request_ids[0], g.request_ids[1]);
    assert_string_not_equal(g.request_ids[1], g.request_ids[2]);
    vt_run_free(&r);

    /* Nothing to rotate: one request, done. */
    const scripted done[] = {{0, 0, 0, 0}};
    sub = stand_in_start(done, 1);
    r = rotate(NULL);
    assert_int_equal(stand_in_stop(sub), 1);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "batch 1: rotated 0, 0 remaining\nrotated 0 credentials to key k2; 0 remaining\n");
    vt_run_free(&r);
}

static void test_without_a_vault(void **state)
{
    vt_run_result r = rotate(NULL);
    if (r.status != 1)
        vt_run_show("vault rotate", &r);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "credential-vault is not running"));
    assert_string_equal(r.out, "");
    vt_run_free(&r);
}

static void test_credentials_that_do_not_decrypt(void **state)
{
    /* The two that fail stay under the old key: the second batch rotates
     * the rest, the third nothing — and voxctl stops there. */
    const scripted script[] = {{0, 3, 4, 2}, {0, 2, 2, 2}, {0, 0, 2, 2}};
    natsSubscription *sub = stand_in_start(script, 3);
    vt_run_result r = rotate(NULL);
    int asked = stand_in_stop(sub);
    if (r.status != 1)
        vt_run_show("vault rotate", &r);
    assert_int_equal(r.status, 1);
    assert_int_equal(asked, 3);
    assert_non_null(strstr(r.out, "batch 1: rotated 3, 4 remaining, 2 did not decrypt\n"));
    assert_non_null(strstr(r.out, "rotated 5 credentials to key k2; 2 remaining\n"));
    assert_non_null(strstr(r.err, "2 credentials did not decrypt with any key the vault holds — see the vault's log"));
    vt_run_free(&r);
}

static void test_refusal_timeout_and_settings(void **state)
{
    /* Refused (another caller than admin, as the vault would see it). */
    const scripted denied[] = {{(int)VOXANNE__V1__VAULT_STATUS__VAULT_DENIED, 0, 0, 0}};
    natsSubscription *sub = stand_in_start(denied, 1);
    vt_run_result r = rotate(NULL);
    assert_int_equal(stand_in_stop(sub), 1);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "only the admin NATS user may rotate"));
    vt_run_free(&r);

    /* A vault that takes the request and never answers: --timeout-s. */
    const scripted silent[] = {{-1, 0, 0, 0}};
    sub = stand_in_start(silent, 1);
    const char *one_second[] = {"--timeout-s", "1", NULL};
    r = rotate(one_second);
    assert_int_equal(stand_in_stop(sub), 1);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "did not answer within 1 s"));
    vt_run_free(&r);

    /* No NATS_URL: a usage error, nothing asked. */
    const char *args[] = {"vault", "rotate", NULL};
    const char *env[] = {"NATS_URL", NULL};
    r = vt_run(g.voxctl, args, env);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "NATS_URL is not set"));
    vt_run_free(&r);
}

static int group_setup(void **state)
{
    g.voxctl = vt_env("VOXCTL");
    snprintf(g.nats_url_env, sizeof(g.nats_url_env), "NATS_URL=%s", vt_env("VX_NATS_SERVICE_URL"));
    snprintf(g.user_env, sizeof(g.user_env), "NATS_USER=admin");
    char *password = vt_nats_password("admin");
    snprintf(g.password_env, sizeof(g.password_env), "NATS_PASSWORD=%s", password);
    free(password);
    VT_REQUIRE(natsConnection_ConnectTo(&g.nc, vt_env("NATS_URL")) == NATS_OK, "NATS connection");
    return 0;
}

static int group_teardown(void **state)
{
    natsConnection_Destroy(g.nc);
    nats_Close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotates_batch_after_batch),
        cmocka_unit_test(test_without_a_vault),
        cmocka_unit_test(test_credentials_that_do_not_decrypt),
        cmocka_unit_test(test_refusal_timeout_and_settings),
    };
    return cmocka_run_group_tests_name("voxctl vault rotate", tests, group_setup, group_teardown);
}
