/* Unit tests of services/gateway/admit.c's reading of a request head
 * (admit_parse_head): what the checks before the body see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "admit.h"

static int parse(const char *text, http_head *head)
{
    return admit_parse_head(text, strlen(text), head);
}

static bool is(h2o_iovec_t v, const char *want)
{
    return v.len == strlen(want) && memcmp(v.base, want, v.len) == 0;
}

static void test_complete_head_with_every_header_admit_reads(void **state)
{
    const char *text = "POST /api/vapi/tools/x?y=1 HTTP/1.1\r\nHost: t\r\nCONTENT-LENGTH: 42\r\n"
                       "Authorization: Bearer abc\r\nx-vapi-secret: s\r\nX-Signature: sig\r\nx-timestamp: 17\r\n"
                       "X-Request-Id: rid-1\r\n\r\nbody bytes";
    http_head h;
    assert_int_equal(parse(text, &h), (int)(strstr(text, "body") - text));
    assert_true(is(h.method, "POST"));
    assert_true(is(h.path, "/api/vapi/tools/x?y=1"));
    assert_int_equal(h.content_length, 42);
    assert_false(h.chunked);
    assert_true(is(h.authorization, "Bearer abc"));
    assert_true(is(h.vapi_secret, "s"));
    assert_true(is(h.signature, "sig"));
    assert_true(is(h.timestamp, "17"));
    assert_true(is(h.request_id, "rid-1"));
}

static void test_absent_headers_and_chunked(void **state)
{
    http_head h;
    assert_true(parse("GET /health HTTP/1.1\r\n\r\n", &h) > 0);
    assert_int_equal(h.content_length, SIZE_MAX);
    assert_null(h.authorization.base);
    /* Transfer-Encoding wins over Content-Length, as in h2o. */
    assert_true(parse("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", &h) > 0);
    assert_true(h.chunked);
    assert_int_equal(h.content_length, SIZE_MAX);
}

static void test_first_value_wins(void **state)
{
    http_head h;
    assert_true(parse("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 900\r\nx-vapi-secret: a\r\n"
                      "x-vapi-secret: b\r\n\r\n",
                      &h) > 0);
    assert_int_equal(h.content_length, 5);
    assert_true(is(h.vapi_secret, "a"));
}

static void test_incomplete_and_malformed(void **state)
{
    http_head h;
    assert_int_equal(parse("POST /api/vapi/webhook HTTP/1.1\r\nContent-Len", &h), -2);
    assert_int_equal(parse("", &h), -2);
    assert_int_equal(parse("HELLO\r\n\r\n", &h), -1);
    assert_int_equal(parse("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", &h), -1);
    /* A Content-Length h2o could not read is refused here already. */
    assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n", &h), -1);
    assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", &h), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_head_with_every_header_admit_reads),
        cmocka_unit_test(test_absent_headers_and_chunked),
        cmocka_unit_test(test_first_value_wins),
        cmocka_unit_test(test_incomplete_and_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
