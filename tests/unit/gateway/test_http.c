/* Unit tests of services/gateway/http.c: what of a service's answer may reach the client's response head. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http.h"

static void test_ordinary_headers_pass(void **state)
{
    assert_true(http_header_forwardable("cache-control", "no-store"));
    assert_true(http_header_forwardable("X-Total-Count", "42"));
    assert_true(http_header_forwardable("content-disposition", "attachment; filename=\"calls.csv\""));
    assert_true(http_header_forwardable("retry-after", "\t5 "));
    assert_true(http_header_value_safe("text/csv; charset=utf-8"));
}

/* A forged or broken answer must not split the response or add a header of its own. */
static void test_crlf_and_controls_are_refused(void **state)
{
    assert_false(http_header_forwardable("x-a", "1\r\nset-cookie: session=stolen"));
    assert_false(http_header_forwardable("x-a", "1\nx-b: 2"));
    assert_false(http_header_forwardable("x-a", "1\r"));
    assert_false(http_header_forwardable("x-a", "bell\a"));
    assert_false(http_header_forwardable("x-a", "del\x7f"));
    assert_false(http_header_forwardable("x-a\r\nx-b", "1"));
    assert_false(http_header_forwardable("x a", "1"));
    assert_false(http_header_forwardable("x:a", "1"));
    assert_false(http_header_forwardable("", "1"));
    assert_false(http_header_forwardable(NULL, "1"));
    assert_false(http_header_forwardable("x-a", NULL));
    assert_false(http_header_value_safe("application/json\r\n\r\n<html>"));
    assert_false(http_header_value_safe(NULL));
    char long_value[1100];
    memset(long_value, 'a', sizeof(long_value) - 1);
    long_value[sizeof(long_value) - 1] = '\0';
    assert_false(http_header_forwardable("x-a", long_value));
}

static void test_gateway_owned_headers_are_refused(void **state)
{
    const char *owned[] = {"Content-Length",
                           "transfer-encoding",
                           "connection",
                           "set-cookie",
                           "x-request-id",
                           "access-control-allow-origin",
                           "Access-Control-Allow-Credentials",
                           "content-type",
                           "location"};
    for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
        assert_false(http_header_forwardable(owned[i], "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordinary_headers_pass),
        cmocka_unit_test(test_crlf_and_controls_are_refused),
        cmocka_unit_test(test_gateway_owned_headers_are_refused),
    };
    return cmocka_run_group_tests_name("gateway/http", tests, NULL, NULL);
}
