/*
 * Unit test of services/dashboard-api/auth_fields.c: the bodies of the
 * sign-in and team routes, read and normalised or refused with the code the
 * dashboard shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth_fields.h"

static int parse(const char *body, auth_body_kind kind, auth_body *b, auth_fields_error *err)
{
    return auth_fields_parse(body, strlen(body), kind, b, err);
}

static void assert_refused(const char *body, auth_body_kind kind, const char *code)
{
    auth_body b;
    auth_fields_error err;
    if (parse(body, kind, &b, &err) != -1)
        fail_msg("accepted: %s", body);
    if (strcmp(err.code, code) != 0)
        fail_msg("%s: expected %s, got %s (%s)", body, code, err.code, err.message);
    assert_true(err.message[0] != '\0');
    auth_body_free(&b);
}

static void test_signup_is_normalised(void **state)
{
    (void)state;
    auth_body b;
    auth_fields_error err;
    assert_int_equal(parse("{\"email\":\"Ann.Lee@Example.COM\",\"password\":\"correct horse\","
                           "\"organization_name\":\"  Bright Smiles \\u00e9 \",\"timezone\":\"America/Argentina/Buenos_Aires\"}",
                           AUTH_BODY_SIGNUP, &b, &err),
                     0);
    assert_string_equal(b.email, "ann.lee@example.com");
    assert_string_equal(b.password, "correct horse");
    assert_int_equal(b.password_len, 13);
    assert_string_equal(b.organization_name, "Bright Smiles \xc3\xa9");
    assert_string_equal(b.timezone, "America/Argentina/Buenos_Aires");
    auth_body_free(&b);
    assert_null(b.email);
}

static void test_login_takes_any_old_password(void **state)
{
    (void)state;
    auth_body b;
    auth_fields_error err;
    /* A password from an older, weaker policy still signs in. */
    assert_int_equal(parse("{\"password\":\"abc\",\"email\":\"a@b.co\"}", AUTH_BODY_LOGIN, &b, &err), 0);
    assert_string_equal(b.password, "abc");
    auth_body_free(&b);
    assert_refused("{\"email\":\"a@b.co\",\"password\":\"\"}", AUTH_BODY_LOGIN, "invalid_field");
}

static void test_refused_bodies(void **state)
{
    (void)state;
    assert_refused("", AUTH_BODY_LOGIN, "invalid_json");
    assert_refused("null", AUTH_BODY_LOGIN, "invalid_json");
    assert_refused("{\"email\":\"a@b.co\",\"password\":\"x\"}{}", AUTH_BODY_LOGIN, "invalid_json");
    assert_refused("{\"email\":\"a@b.co\",\"email\":\"c@d.co\",\"password\":\"x\"}", AUTH_BODY_LOGIN, "invalid_json");
    assert_refused("{\"email\":\"a@b.co\",\"password\":\"x\",\"mfa\":\"1\"}", AUTH_BODY_LOGIN, "unknown_field");
    assert_refused("{\"password\":\"x\"}", AUTH_BODY_LOGIN, "missing_field");
    assert_refused("{\"email\":true,\"password\":\"x\"}", AUTH_BODY_LOGIN, "invalid_field");
    assert_refused("{\"email\":\"a@@b.co\",\"password\":\"x\"}", AUTH_BODY_LOGIN, "invalid_field");
    assert_refused("{\"email\":\"a@b\",\"password\":\"x\"}", AUTH_BODY_LOGIN, "invalid_field");
    assert_refused("{\"email\":\"\\u00e9@b.co\",\"password\":\"x\"}", AUTH_BODY_LOGIN, "invalid_field");
    assert_refused("{\"email\":\"a\\t@b.co\",\"password\":\"x\"}", AUTH_BODY_LOGIN, "invalid_field");
    assert_refused("{\"email\":\"a@b.co\",\"password\":\"short\",\"organization_name\":\"X\"}", AUTH_BODY_SIGNUP, "weak_password");
    assert_refused("{\"email\":\"a@b.co\",\"password\":\"A@B.CO\",\"organization_name\":\"X\"}", AUTH_BODY_SIGNUP, "weak_password");
    assert_refused("{\"email\":\"a@b.co\",\"password\":\"tab\\there pw\",\"organization_name\":\"X\"}", AUTH_BODY_SIGNUP,
                   "invalid_field");
    assert_refused("{\"email\":\"a@b.co\",\"password\":\"long enough\",\"organization_name\":\"a\\nb\"}", AUTH_BODY_SIGNUP,
                   "invalid_field");
    assert_refused("{\"email\":\"a@b.co\",\"password\":\"long enough\",\"organization_name\":\"X\",\"timezone\":\"Europe/../etc\"}",
                   AUTH_BODY_SIGNUP, "invalid_field");
    assert_refused("{\"refresh_token\":\"has space\"}", AUTH_BODY_REFRESH, "invalid_field");
    assert_refused("{\"refresh_token\":\"\"}", AUTH_BODY_REFRESH, "invalid_field");
    assert_refused("{\"email\":\"a@b.co\",\"role\":\"admin\"}", AUTH_BODY_INVITE, "invalid_field");
    assert_refused("{\"role\":\"Owner\"}", AUTH_BODY_ROLE, "invalid_field");
    assert_refused("{\"role\":\"owner\",\"email\":\"a@b.co\"}", AUTH_BODY_ROLE, "unknown_field");
}

static void test_limits(void **state)
{
    (void)state;
    char body[2048], big[1100];
    memset(big, 'x', sizeof big);
    big[256] = '\0';
    auth_body b;
    auth_fields_error err;
    snprintf(body, sizeof body, "{\"email\":\"a@b.co\",\"password\":\"%s\",\"organization_name\":\"X\"}", big);
    assert_int_equal(parse(body, AUTH_BODY_SIGNUP, &b, &err), 0); /* exactly the most */
    auth_body_free(&b);
    big[257] = '\0';
    big[256] = 'x';
    snprintf(body, sizeof body, "{\"email\":\"a@b.co\",\"password\":\"%s\",\"organization_name\":\"X\"}", big);
    assert_refused(body, AUTH_BODY_SIGNUP, "weak_password");
    memset(big, 'x', sizeof big);
    big[1025] = '\0';
    snprintf(body, sizeof body, "{\"email\":\"a@b.co\",\"password\":\"%s\"}", big);
    assert_refused(body, AUTH_BODY_LOGIN, "invalid_field");
    big[257] = '\0';
    snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", big);
    assert_refused(body, AUTH_BODY_REFRESH, "invalid_field");
}

static void test_invite_role_defaults_to_staff(void **state)
{
    (void)state;
    auth_body b;
    auth_fields_error err;
    assert_int_equal(parse("{\"email\":\"Desk@Example.com\"}", AUTH_BODY_INVITE, &b, &err), 0);
    assert_string_equal(b.role, "staff");
    assert_string_equal(b.email, "desk@example.com");
    auth_body_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signup_is_normalised),
        cmocka_unit_test(test_login_takes_any_old_password),
        cmocka_unit_test(test_refused_bodies),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_invite_role_defaults_to_staff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
