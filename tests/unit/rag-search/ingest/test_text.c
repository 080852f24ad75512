/*
 * Unit tests for services/rag-search/ingest/text.c: text_clean makes any
 * bytes valid UTF-8 (a run of invalid bytes is one U+FFFD; line ends become
 * LF; tabs spaces; other controls, C1 and the BOM go; form feed stays), and
 * text_chars counts code points. Inputs sit in exact-size heap blocks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ingest/text.h"

static void expect(const char *in, size_t len, const char *want)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, in, len);
    size_t n = 999;
    char *out = text_clean(copy, len, &n);
    free(copy);
    assert_non_null(out);
    assert_int_equal(n, strlen(want));
    assert_string_equal(out, want);
    free(out);
}

#define EXPECT(in, want) expect(in, sizeof in - 1, want)

static void test_clean(void **state)
{
    (void)state;
    EXPECT("", "");
    EXPECT("plain ASCII", "plain ASCII");
    EXPECT("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    EXPECT("a\r\nb\rc\nd\fe\tf", "a\nb\nc\nd\fe f");
    EXPECT("nul\0here\x01\x1f\x7f!", "nulhere!");
    EXPECT("\xef\xbb\xbf"
           "bom",
           "bom");
    EXPECT("c1\xc2\x85\xc2\x9f ok\xc2\xa0", "c1 ok\xc2\xa0");
    /* One U+FFFD per run of bad bytes: stray continuations, overlong forms,
     * surrogates, above U+10FFFF, a cut sequence at the end. */
    EXPECT("a\x80\x80\x80"
           "b",
           "a\xef\xbf\xbd"
           "b");
    EXPECT("\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82", "\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd");
}

static void test_every_byte(void **state)
{
    (void)state;
    unsigned char all[256 * 3];
    for (size_t i = 0; i < sizeof all; i++)
        all[i] = (unsigned char)(i * 37 + i / 256);
    size_t n;
    char *out = text_clean((const char *)all, sizeof all, &n);
    assert_int_equal(strlen(out), n);
    assert_true(n <= 3 * sizeof all);
    free(out);
}

static void test_chars(void **state)
{
    (void)state;
    assert_int_equal(text_chars("", 0), 0);
    assert_int_equal(text_chars("abc", 3), 3);
    assert_int_equal(text_chars("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_chars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
