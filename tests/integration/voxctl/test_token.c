/*
 * test_token: voxctl token (services/voxctl/token.c), the real binary: the
 * token it prints (one line, never the secret) is accepted by vx_jwt_verify
 * under the gateway's policy (audience, issuer when JWT_ISSUER is set,
 * lifetime) with the org, user, role and expiry asked for, and refused under
 * another secret or after it expires; a --ttl above JWT_MAX_LIFETIME_S is
 * refused; without JWT_SECRET, or with an org that is not a UUID, it prints
 * nothing and fails.
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

/* The gateway's policy with its defaults (JWT_AUDIENCE, no JWT_ISSUER, JWT_MAX_LIFETIME_S). */
static vx_jwt_policy policy(const char *secret)
{
    return (vx_jwt_policy){secret, VX_JWT_DEFAULT_AUDIENCE, NULL, VX_JWT_DEFAULT_MAX_LIFETIME_S, VX_JWT_DEFAULT_LEEWAY_S};
}

/* Runs voxctl token with args after "token --org <org>", JWT_SECRET and the env entries given. */
static vt_run_result run_token(const char *org, const char *const *more_args, const char *const *more_env)
{
    static char secret_env[256];
    snprintf(secret_env, sizeof(secret_env), "JWT_SECRET=%s", g.secret);
    const char *args[16] = {"token", "--org", org};
    size_t n = 3;
    for (size_t i = 0; more_args != NULL && more_args[i] != NULL && n < 15; i++)
        args[n++] = more_args[i];
    args[n] = NULL;
    const char *env[16] = {secret_env};
    n = 1;
    for (size_t i = 0; more_env != NULL && more_env[i] != NULL && n < 15; i++)
        env[n++] = more_env[i];
    env[n] = NULL;
    return vt_run(g.voxctl, args, env);
}

/* Only the dashboard's roles: a token with another (admin, authenticated…)
 * would be refused by dashboard-api with 403 on every request. */
static void test_token_roles_are_the_dashboards(void **state)
{
    const char *roles[] = {"admin", "authenticated", "Owner", "service_role", ""};
    char org[37];
    vt_uuid(org);
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        const char *args[] = {"--role", roles[i], NULL};
        vt_run_result r = run_token(org, args, NULL);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, "owner or staff"));
        assert_int_equal(strlen(r.out), 0);
        vt_run_free(&r);
    }
    const char *staff[] = {"--role", "staff", NULL};
    vt_run_result r = run_token(org, staff, NULL);
    assert_int_equal(r.status, 0);
    vt_run_free(&r);
}

/* The token printed (without its newline), verified under p at now. */
static vx_jwt_status verify_printed(const vt_run_result *r, const vx_jwt_policy *p, int64_t now, vx_jwt_claims *claims)
{
    size_t len = strlen(r->out);
    assert_true(len > 1 && r->out[len - 1] == '\n');
    return vx_jwt_verify(r->out, len - 1, p, now, claims);
}

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
    vx_jwt_policy p = policy(g.secret);
    assert_int_equal(vx_jwt_verify(r.out, len - 1, &p, now, &claims), VX_JWT_OK);
    assert_string_equal(claims.org_id, org);
    assert_string_equal(claims.sub, "user-42");
    assert_string_equal(claims.role, "owner");
    /* The expiry is the clock's when voxctl ran plus the ttl (and the run was between now and after). */
    assert_true(claims.exp >= now + 600 && claims.exp <= after + 600);
    vx_jwt_policy other = policy("another-secret-of-enough-length-000000");
    assert_int_equal(vx_jwt_verify(r.out, len - 1, &other, now, &claims), VX_JWT_BAD_SIGNATURE);
    assert_int_equal(vx_jwt_verify(r.out, len - 1, &p, now + 700, &claims), VX_JWT_EXPIRED);
    vt_run_free(&r);
}

/* Regression (issue 9): voxctl minted tokens without aud, iss or iat, valid up
 * to 30 days. They now carry what the gateway checks, under the same variables. */
static void test_token_follows_the_gateway_policy(void **state)
{
    char org[VX_UUID_STR_LEN + 1];
    vt_uuid(org);
    vx_jwt_claims claims;
    int64_t now = (int64_t)time(NULL);
    /* Defaults: aud "authenticated", no iss, an hour. */
    vt_run_result r = run_token(org, NULL, NULL);
    if (r.status != 0)
        vt_run_show("token", &r);
    assert_int_equal(r.status, 0);
    vx_jwt_policy p = policy(g.secret);
    assert_int_equal(verify_printed(&r, &p, now, &claims), VX_JWT_OK);
    assert_true(claims.exp >= now + 3600 && claims.exp <= now + 3600 + 60);
    p.issuer = "https://abcd.supabase.co/auth/v1";
    assert_int_equal(verify_printed(&r, &p, now, &claims), VX_JWT_BAD_ISSUER);
    vt_run_free(&r);

    /* JWT_ISSUER and JWT_AUDIENCE as the gateway would have them. */
    const char *env[] = {"JWT_ISSUER=https://abcd.supabase.co/auth/v1", "JWT_AUDIENCE=voxanne-dashboard", NULL};
    r = run_token(org, NULL, env);
    assert_int_equal(r.status, 0);
    p = policy(g.secret);
    p.issuer = "https://abcd.supabase.co/auth/v1";
    p.audience = "voxanne-dashboard";
    assert_int_equal(verify_printed(&r, &p, now, &claims), VX_JWT_OK);
    p.audience = VX_JWT_DEFAULT_AUDIENCE;
    assert_int_equal(verify_printed(&r, &p, now, &claims), VX_JWT_BAD_AUDIENCE);
    vt_run_free(&r);

    /* The longest ttl is JWT_MAX_LIFETIME_S (24 h by default): up to it, fine; above, refused. */
    const char *day[] = {"--ttl", "86400", NULL};
    r = run_token(org, day, NULL);
    assert_int_equal(r.status, 0);
    p = policy(g.secret);
    assert_int_equal(verify_printed(&r, &p, now, &claims), VX_JWT_OK);
    vt_run_free(&r);
    const char *too_long[][3] = {{"--ttl", "86401", NULL}, {"--ttl", "2592000", NULL}};
    for (size_t i = 0; i < 2; i++) {
        r = run_token(org, too_long[i], NULL);
        assert_int_equal(r.status, 2);
        assert_string_equal(r.out, "");
        assert_non_null(strstr(r.err, "JWT_MAX_LIFETIME_S"));
        vt_run_free(&r);
    }
    const char *short_max[] = {"JWT_MAX_LIFETIME_S=600", NULL};
    const char *over[] = {"--ttl", "601", NULL};
    r = run_token(org, over, short_max);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    vt_run_free(&r);
    /* Without --ttl under a shorter maximum: the maximum. */
    r = run_token(org, NULL, short_max);
    assert_int_equal(r.status, 0);
    p.max_lifetime_s = 600;
    assert_int_equal(verify_printed(&r, &p, now, &claims), VX_JWT_OK);
    assert_true(claims.exp <= (int64_t)time(NULL) + 600);
    vt_run_free(&r);
    /* A maximum out of range is a configuration mistake. */
    const char *bad_max[] = {"JWT_MAX_LIFETIME_S=31536000", NULL};
    r = run_token(org, NULL, bad_max);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "JWT_MAX_LIFETIME_S"));
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
        cmocka_unit_test(test_token_follows_the_gateway_policy),
        cmocka_unit_test(test_token_refuses_without_secret_or_org),
        cmocka_unit_test(test_token_roles_are_the_dashboards),
    };
    return cmocka_run_group_tests_name("voxctl token", tests, group_setup, NULL);
}
