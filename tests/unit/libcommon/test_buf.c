/*
 * Unit tests for libcommon/vx_buf.c: growth, NUL termination, printf, steal,
 * and the JSON string escaper (RFC 8259 escapes plus UTF-8 repair), whose
 * output is checked both literally and by parsing it back with cJSON.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"

static void test_starts_empty_and_appends(void **state)
{
    vx_buf b = VX_BUF_INIT;
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    vx_buf_append(&b, "", 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    vx_buf_puts(&b, "hello");
    vx_buf_putc(&b, ' ');
    vx_buf_append(&b, "world!!", 5);
    assert_string_equal(b.data, "hello world");
    assert_int_equal(b.len, 11);
    assert_true(b.cap > b.len);
    vx_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
}

static void test_binary_append_keeps_length(void **state)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_append(&b, "a\0b", 3);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 4);
    vx_buf_free(&b);
}

static void test_grows_over_many_appends(void **state)
{
    vx_buf b = VX_BUF_INIT;
    for (size_t i = 0; i < 100000; i++)
        vx_buf_putc(&b, (char)('a' + i % 26));
    assert_int_equal(b.len, 100000);
    assert_int_equal(b.data[b.len], '\0');
    for (size_t i = 0; i < 100000; i++)
        assert_int_equal(b.data[i], 'a' + i % 26);
    vx_buf_free(&b);
}

static void test_printf_short_and_long(void **state)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b, "%d-%s", 42, "x");
    assert_string_equal(b.data, "42-x");
    /* Longer than any initial capacity: forces the second vsnprintf. */
    char *big = malloc(5001);
    memset(big, 'z', 5000);
    big[5000] = '\0';
    vx_buf_printf(&b, "[%s]%zu", big, (size_t)7);
    assert_int_equal(b.len, 4 + 1 + 5000 + 1 + 1);
    assert_memory_equal(b.data, "42-x[", 5);
    assert_int_equal(b.data[5 + 5000], ']');
    assert_string_equal(b.data + 5 + 5000 + 1, "7");
    free(big);
    vx_buf_free(&b);
}

static void test_reset_keeps_memory(void **state)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "something");
    size_t cap = b.cap;
    vx_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(b.cap, cap);
    vx_buf_puts(&b, "again");
    assert_string_equal(b.data, "again");
    vx_buf_free(&b);
}

static void test_steal(void **state)
{
    vx_buf b = VX_BUF_INIT;
    char *s = vx_buf_steal(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    vx_buf_puts(&b, "mine");
    s = vx_buf_steal(&b);
    assert_string_equal(s, "mine");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    free(s);
}

/* Escapes in[0..len) and compares with the expected literal. */
static void check_json(const char *in, size_t len, const char *expected)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_json_string(&b, in, len);
    assert_string_equal(b.data, expected);
    vx_buf_free(&b);
}

static void test_json_escapes(void **state)
{
    check_json("plain", 5, "\"plain\"");
    check_json("", 0, "\"\"");
    check_json(NULL, 3, "\"\"");
    check_json("a\"b\\c/", 6, "\"a\\\"b\\\\c/\"");
    check_json("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
    check_json("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"");
    check_json("a\0b", 3, "\"a\\u0000b\"");
    check_json("abc", 2, "\"ab\""); /* len is honoured */
}

static void test_json_utf8(void **state)
{
    check_json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    check_json("\xff", 1, "\"\\ufffd\"");
    check_json("\xc0\x80", 2, "\"\\ufffd\\ufffd\"");                       /* overlong NUL */
    check_json("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");            /* surrogate */
    check_json("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
    check_json("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");                       /* truncated */
    check_json("\xc3\xa9", 1, "\"\\ufffd\"");                              /* cut by len */
}

static void test_json_round_trips_through_cjson(void **state)
{
    unsigned char all[127]; /* every ASCII byte but NUL */
    for (int i = 0; i < 127; i++)
        all[i] = (unsigned char)(i + 1);
    vx_buf b = VX_BUF_INIT;
    vx_buf_json_string(&b, (const char *)all, 127);
    cJSON *v = cJSON_Parse(b.data);
    assert_non_null(v);
    assert_true(cJSON_IsString(v));
    assert_memory_equal(v->valuestring, all, 127);
    assert_int_equal(strlen(v->valuestring), 127);
    cJSON_Delete(v);
    vx_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starts_empty_and_appends),
        cmocka_unit_test(test_binary_append_keeps_length),
        cmocka_unit_test(test_grows_over_many_appends),
        cmocka_unit_test(test_printf_short_and_long),
        cmocka_unit_test(test_reset_keeps_memory),
        cmocka_unit_test(test_steal),
        cmocka_unit_test(test_json_escapes),
        cmocka_unit_test(test_json_utf8),
        cmocka_unit_test(test_json_round_trips_through_cjson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
