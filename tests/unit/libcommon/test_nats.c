/*
 * Unit tests of libcommon/vx_nats.c's pure part: the NATS URL as it may be
 * logged. Regression (issue 9): the URL was logged as configured, so the
 * credentials in it ("nats://svc:secret@host") reached the logs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vx_nats.h"

static const char *shown(const char *url)
{
    static char out[256];
    vx_nats_url_for_log(url, out, sizeof(out));
    return out;
}

static void test_credentials_are_removed(void **state)
{
    assert_string_equal(shown("nats://svc:s3cret@nats.internal:4222"), "nats://nats.internal:4222");
    assert_string_equal(shown("nats://t0ken@127.0.0.1:4222"), "nats://127.0.0.1:4222");
    assert_string_equal(shown("tls://a:b@n1:4222,nats://c@n2:4222,nats://n3:4222"), "tls://n1:4222,nats://n2:4222,nats://n3:4222");
    assert_string_equal(shown("svc:pw@n1:4222"), "n1:4222");                   /* no scheme */
    assert_string_equal(shown("nats://user@,nats://n2"), "nats://,nats://n2"); /* nothing after the '@' */
    assert_null(strstr(shown("nats://svc:s3cret@nats.internal:4222"), "s3cret"));
}

static void test_plain_urls_are_unchanged(void **state)
{
    assert_string_equal(shown("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
    assert_string_equal(shown("nats://n1:4222,nats://n2:4222"), "nats://n1:4222,nats://n2:4222");
    assert_string_equal(shown(""), "");
    assert_string_equal(shown(NULL), "");
}

static void test_truncation_is_terminated(void **state)
{
    char out[8];
    vx_nats_url_for_log("nats://user:pw@a-long-host-name:4222", out, sizeof(out));
    assert_int_equal(strlen(out), 7);
    assert_memory_equal(out, "nats://", 7);
    vx_nats_url_for_log("nats://x", out, 1);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credentials_are_removed),
        cmocka_unit_test(test_plain_urls_are_unchanged),
        cmocka_unit_test(test_truncation_is_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
