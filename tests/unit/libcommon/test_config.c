/*
 * Unit tests for libcommon/vx_config.c. The exit(2) paths run in a forked
 * child whose stderr is captured, so the test checks both the exit status
 * and the message (and that the rejected value is not echoed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vx_config.h"

typedef enum { CALL_REQUIRE, CALL_LONG, CALL_DOUBLE } config_call;

/* Runs the call in a child; returns its exit status and copies stderr into err. */
static int run_child(config_call call, const char *name, long min, long max, char *err, size_t err_cap)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        if (call == CALL_REQUIRE)
            (void)vx_config_require(name);
        else if (call == CALL_LONG)
            (void)vx_config_long(name, 0, min, max);
        else
            (void)vx_config_double(name, 0, (double)min, (double)max);
        _exit(0);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t n;
    while (got + 1 < err_cap && (n = read(fds[0], err + got, err_cap - 1 - got)) > 0)
        got += (size_t)n;
    err[got] = '\0';
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_require_present(void **state)
{
    setenv("VX_TEST_REQ", "value", 1);
    assert_string_equal(vx_config_require("VX_TEST_REQ"), "value");
}

static void test_require_missing_or_empty_exits(void **state)
{
    char err[512];
    unsetenv("VX_TEST_MISSING");
    assert_int_equal(run_child(CALL_REQUIRE, "VX_TEST_MISSING", 0, 0, err, sizeof err), 2);
    assert_string_equal(err, "missing required environment variable VX_TEST_MISSING\n");
    setenv("VX_TEST_MISSING", "", 1);
    assert_int_equal(run_child(CALL_REQUIRE, "VX_TEST_MISSING", 0, 0, err, sizeof err), 2);
    assert_non_null(strstr(err, "VX_TEST_MISSING"));
}

static void test_str(void **state)
{
    unsetenv("VX_TEST_STR");
    assert_string_equal(vx_config_str("VX_TEST_STR", "def"), "def");
    assert_null(vx_config_str("VX_TEST_STR", NULL));
    setenv("VX_TEST_STR", "", 1);
    assert_string_equal(vx_config_str("VX_TEST_STR", "def"), "def");
    setenv("VX_TEST_STR", "set", 1);
    assert_string_equal(vx_config_str("VX_TEST_STR", "def"), "set");
}

static void test_long_valid(void **state)
{
    unsetenv("VX_TEST_N");
    assert_int_equal(vx_config_long("VX_TEST_N", 17, 0, 100), 17);
    setenv("VX_TEST_N", "42", 1);
    assert_int_equal(vx_config_long("VX_TEST_N", 17, 0, 100), 42);
    setenv("VX_TEST_N", "+5", 1);
    assert_int_equal(vx_config_long("VX_TEST_N", 17, 0, 100), 5);
    setenv("VX_TEST_N", "-3", 1);
    assert_int_equal(vx_config_long("VX_TEST_N", 17, -10, 10), -3);
    setenv("VX_TEST_N", "0", 1);
    assert_int_equal(vx_config_long("VX_TEST_N", 17, 0, 0), 0);
    setenv("VX_TEST_N", "9223372036854775807", 1);
    assert_true(vx_config_long("VX_TEST_N", 17, 0, LONG_MAX) == LONG_MAX);
}

static void test_long_invalid_exits(void **state)
{
    static const char *const bad[] = {"12abc", "abc", " 5", "5 ", "-", "+", "0x10", "1.5", "101", "-1", "99999999999999999999"};
    char err[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("VX_TEST_N", bad[i], 1);
        assert_int_equal(run_child(CALL_LONG, "VX_TEST_N", 0, 100, err, sizeof err), 2);
        assert_string_equal(err, "environment variable VX_TEST_N must be an integer in [0, 100]\n");
    }
}

static void test_double(void **state)
{
    unsetenv("VX_TEST_D");
    assert_float_equal(vx_config_double("VX_TEST_D", 0.25, 0, 1), 0.25, 0);
    setenv("VX_TEST_D", "0.3", 1);
    assert_float_equal(vx_config_double("VX_TEST_D", 0.25, 0, 1), 0.3, 1e-12);
    setenv("VX_TEST_D", "1", 1);
    assert_float_equal(vx_config_double("VX_TEST_D", 0.25, 0, 1), 1.0, 0);
    setenv("VX_TEST_D", ".5", 1);
    assert_float_equal(vx_config_double("VX_TEST_D", 0.25, 0, 1), 0.5, 0);
    setenv("VX_TEST_D", "-0.5", 1);
    assert_float_equal(vx_config_double("VX_TEST_D", 0, -1, 1), -0.5, 0);
    /* No exponent, infinity, NaN, hex, blanks, second point or out of range. */
    static const char *const bad[] = {"1e-1", "inf", "nan", "0x1p-2", " 0.5", "0.5 ", ".", "0.5.1", "2", "-0.1", "abc"};
    char err[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("VX_TEST_D", bad[i], 1);
        assert_int_equal(run_child(CALL_DOUBLE, "VX_TEST_D", 0, 1, err, sizeof err), 2);
        assert_string_equal(err, "environment variable VX_TEST_D must be a number in [0, 1]\n");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_require_present),
        cmocka_unit_test(test_require_missing_or_empty_exits),
        cmocka_unit_test(test_str),
        cmocka_unit_test(test_long_valid),
        cmocka_unit_test(test_long_invalid_exits),
        cmocka_unit_test(test_double),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
