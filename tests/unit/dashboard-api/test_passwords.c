/*
 * Unit test of services/dashboard-api/passwords.c: yescrypt hashes that
 * verify their own password only, salted anew each time, and a dummy check
 * that never succeeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "passwords.h"

static int setup(void **state)
{
    (void)state;
    return passwords_init(1);
}

static void test_hash_and_check(void **state)
{
    (void)state;
    char a[PASSWORDS_HASH_MAX], b[PASSWORDS_HASH_MAX];
    const char *pw = "correct horse battery staple";
    assert_int_equal(passwords_hash(pw, strlen(pw), a), 0);
    assert_int_equal(passwords_hash(pw, strlen(pw), b), 0);
    assert_true(strncmp(a, "$y$", 3) == 0);
    assert_null(strstr(a, pw));
    assert_string_not_equal(a, b); /* a fresh salt each time */
    assert_true(passwords_check(pw, strlen(pw), a));
    assert_true(passwords_check(pw, strlen(pw), b));
    assert_false(passwords_check("correct horse battery stapl", strlen(pw) - 1, a));
    assert_false(passwords_check("Correct horse battery staple", strlen(pw), a));
    /* Bytes after the given length do not count. */
    assert_false(passwords_check(pw, 7, a));
}

static void test_malformed_hashes_never_match(void **state)
{
    (void)state;
    const char *pw = "whatever password";
    assert_false(passwords_check(pw, strlen(pw), NULL));
    assert_false(passwords_check(pw, strlen(pw), ""));
    assert_false(passwords_check(pw, strlen(pw), "*0"));
    assert_false(passwords_check(pw, strlen(pw), "$y$"));
    assert_false(passwords_check(pw, strlen(pw), "plaintext"));
    /* A password holding NUL is never hashed nor matched. */
    char h[PASSWORDS_HASH_MAX];
    assert_int_equal(passwords_hash("ab\0cd", 5, h), -1);
    assert_false(passwords_check_dummy(pw, strlen(pw)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_and_check),
        cmocka_unit_test(test_malformed_hashes_never_match),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
