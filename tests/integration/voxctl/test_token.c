/*
 * test_token: voxctl token (services/voxctl/token.c), the real binary: the
 * token it prints (one line, never the secret) is accepted by vx_jwt_verify
 * with the org, user, role and expiry asked for, and refused under another
 * secret or after it expires; without JWT_SECRET, or with an org that is
 * not a UUID, it prints nothing and fails.
 *
 * Environment: VOXCTL; JWT_SECRET (a test secret is used when unset). No
 * database is touched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vt.h"
#include "vx_jwt.h"
#include "vx_validate.h"

#define TEST_JWT_SECRET "test-secret-for-voxctl-integration-0123456789"

static struct {
    const char *voxctl;
    const char *secret;
} g;

static void test_token_is_accepted_by_vx_jwt(void **state)
{
    char org[VX_UUID_STR_LEN + 1];
    vt_uuid(org);
    char secret_env[256];
    snprintf(secret_env, sizeof(secret_env), "JWT_SECRET=%s", g.secret);
    const char *env[] = {secret_env, NULL};
    const char *args[] = {"token", "--org", org, "--user", "user-42", "--role", "owner", "--ttl", "600", NULL};
    int64_t now = (int64_t)time(NULL);
    vt_run_result r = vt_run(g.voxctl, args, env);
    int64_t after = (int64_t)time(NULL);
    if (r.status != 0)
        vt_run_show("token", &r);
    assert_int_equal(r.status, 0);
    size_t len = strlen(r.out);
    assert_true(len > 20 && r.out[len - 1] == '\n');
    assert_ptr_equal(strchr(r.out, '\n'), r.out + len - 1); /* exactly one line */
    assert_null(strstr(r.out, g.secret));
    assert_null(strstr(r.err, g.secret));

    vx_jwt_claims claims;
    assert_int_equal(vx_jwt_verify(r.out, len - 1, g.secret, now, &claims), VX_JWT_OK);
    assert_string_equal(claims.org_id, org);
    assert_string_equal(claims.sub, "user-42");
    assert_string_equal(claims.role, "owner");
    /* The expiry is the clock's when voxctl ran plus the ttl (and the run was between now and after). */
    assert_true(claims.exp >= now + 600 && claims.exp <= after + 600);
    assert_int_equal(vx_jwt_verify(r.out, len - 1, "another-secret-of-enough-length-000000", now, &claims), VX_JWT_BAD_SIGNATURE);
    assert_int_equal(vx_jwt_verify(r.out, len - 1, g.secret, now + 700, &claims), VX_JWT_EXPIRED);
    vt_run_free(&r);
}

static void test_token_refuses_without_secret_or_org(void **state)
{
    char org[VX_UUID_STR_LEN + 1];
    vt_uuid(org);
    const char *args[] = {"token", "--org", org, NULL};
    /* No secret anywhere: not in the environment, and no `make run` env file to fall back to. */
    const char *no_secret_env[] = {"JWT_SECRET", "VOXANNE_STATE_DIR=/nonexistent", NULL};
    vt_run_result r = vt_run(g.voxctl, args, no_secret_env);
    assert_int_not_equal(r.status, 0);
    assert_string_equal(r.out, "");
    vt_run_free(&r);

    char secret_env[256];
    snprintf(secret_env, sizeof(secret_env), "JWT_SECRET=%s", g.secret);
    const char *env[] = {secret_env, NULL};
    const char *bad_org[] = {"token", "--org", "nope", NULL};
    r = vt_run(g.voxctl, bad_org, env);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    vt_run_free(&r);

    /* A guessable secret signs nothing (issue 9): short, or .env.example's placeholder. */
    const char *weak[] = {"JWT_SECRET=short-secret", "JWT_SECRET=change-me-to-32-random-bytes-of-entropy"};
    for (size_t i = 0; i < 2; i++) {
        const char *weak_env[] = {weak[i], NULL};
        r = vt_run(g.voxctl, args, weak_env);
        assert_int_equal(r.status, 2);
        assert_string_equal(r.out, "");
        assert_non_null(strstr(r.err, "JWT_SECRET cannot be used"));
        vt_run_free(&r);
    }
}

static int group_setup(void **state)
{
    g.voxctl = vt_env("VOXCTL");
    const char *s = getenv("JWT_SECRET");
    g.secret = s != NULL && s[0] != '\0' ? s : TEST_JWT_SECRET;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_is_accepted_by_vx_jwt),
        cmocka_unit_test(test_token_refuses_without_secret_or_org),
    };
    return cmocka_run_group_tests_name("voxctl token", tests, group_setup, NULL);
}
