/*
 * Unit tests for vxctl_text_chars (services/voxctl/cli.c), which checks
 * voxctl's text options (org, agent and user names): it counts characters and
 * refuses what vx_utf8 refuses — overlong forms, surrogates, code points
 * above U+10FFFF, truncated sequences — and ASCII control characters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli.h"

static void test_counts_characters(void **state)
{
    assert_int_equal(vxctl_text_chars(""), 0);
    assert_int_equal(vxctl_text_chars("Demo Clinic"), 11);
    assert_int_equal(vxctl_text_chars("Caf\xc3\xa9"), 4);              /* é: 2 bytes */
    assert_int_equal(vxctl_text_chars("\xe2\x82\xac 5"), 3);           /* €: 3 bytes */
    assert_int_equal(vxctl_text_chars("\xf0\x9f\xa6\xb7"), 1);         /* U+1F9B7: 4 bytes */
    assert_int_equal(vxctl_text_chars("\xed\x9f\xbf\xee\x80\x80"), 2); /* U+D7FF and U+E000 around the surrogates */
    assert_int_equal(vxctl_text_chars("\xf4\x8f\xbf\xbf"), 1);         /* U+10FFFF, the last code point */
}

static void test_refuses_what_vx_utf8_refuses(void **state)
{
    const char *bad[] = {
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong, 3 bytes (the old checker let this through) */
        "\xf0\x80\x80\xaf", /* overlong, 4 bytes (idem) */
        "\xed\xa0\x80",     /* surrogate U+D800 (idem) */
        "\xed\xbf\xbf",     /* surrogate U+DFFF (idem) */
        "\xf4\x90\x80\x80", /* U+110000 (idem) */
        "\xf5\x80\x80\x80", /* no such lead byte */
        "\x80",             /* a lone continuation byte */
        "abc\xc3",          /* truncated at the end */
        "\xe2\x82",         /* truncated */
        "\xe2\x28\xa1",     /* bad continuation */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (vxctl_text_chars(bad[i]) != -1)
            fail_msg("case %zu accepted", i);
    }
}

static void test_refuses_control_characters(void **state)
{
    assert_int_equal(vxctl_text_chars("tab\there"), -1);
    assert_int_equal(vxctl_text_chars("new\nline"), -1);
    assert_int_equal(vxctl_text_chars("del\x7f"), -1);
    assert_int_equal(vxctl_text_chars("\x1b[31mred"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_characters),
        cmocka_unit_test(test_refuses_what_vx_utf8_refuses),
        cmocka_unit_test(test_refuses_control_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
