/*
 * Unit tests for libcommon/vx_query.c: finding a key (exact, first one wins,
 * empty and missing values, '&' and '=' inside values), percent-decoding
 * ('+' is a space, both hex cases, every malformed escape, an encoded NUL),
 * the size of the output buffer (exactly fitting, one byte short — checked
 * with exact-size heap buffers so a one-byte overflow is an ASan report), and
 * vx_query_long (bounds, garbage, overflow, absent keeps the default), and
 * vx_query_append (what is kept and what is encoded, the '&' between pairs,
 * and that every byte reads back unchanged through vx_query_get).
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

#include "vx_query.h"

/* vx_query_get into a heap block of exactly out_len bytes; *value gets a copy
 * of what was written when the result is VX_QUERY_OK (static buffer). */
static vx_query_status get_n(const char *query, const char *key, size_t out_len, const char **value)
{
    static char copy[512];
    char *out = malloc(out_len);
    assert_non_null(out);
    memset(out, 'X', out_len);
    vx_query_status st = vx_query_get(query, key, out, out_len);
    copy[0] = '\0';
    if (st == VX_QUERY_OK) {
        assert_non_null(memchr(out, '\0', out_len)); /* terminated inside the buffer */
        snprintf(copy, sizeof(copy), "%s", out);
    }
    free(out);
    if (value != NULL)
        *value = copy;
    return st;
}

/* The decoded value of key (asserting VX_QUERY_OK), with a roomy buffer. */
static const char *get(const char *query, const char *key)
{
    const char *v;
    assert_int_equal(get_n(query, key, 256, &v), VX_QUERY_OK);
    return v;
}

static vx_query_status status_of(const char *query, const char *key)
{
    return get_n(query, key, 256, NULL);
}

static void test_finds_the_key(void **state)
{
    assert_string_equal(get("a=1&b=2&c=3", "a"), "1");
    assert_string_equal(get("a=1&b=2&c=3", "b"), "2");
    assert_string_equal(get("a=1&b=2&c=3", "c"), "3");
    assert_string_equal(get("status=in-progress", "status"), "in-progress");
    /* The first occurrence wins. */
    assert_string_equal(get("a=1&a=2", "a"), "1");
    /* Names match exactly: not a prefix, not a suffix, not case-insensitively. */
    assert_string_equal(get("ab=1&a=2", "a"), "2");
    assert_string_equal(get("a=1&ab=2", "ab"), "2");
    assert_string_equal(get("ba=1&a=2", "a"), "2");
    assert_int_equal(status_of("A=1", "a"), VX_QUERY_ABSENT);
    assert_int_equal(status_of("ab=1", "a"), VX_QUERY_ABSENT);
    assert_int_equal(status_of("a=1", "ab"), VX_QUERY_ABSENT);
    /* Names are not decoded: "%61" is not "a". */
    assert_int_equal(status_of("%61=1", "a"), VX_QUERY_ABSENT);
    assert_string_equal(get("%61=1", "%61"), "1");
}

static void test_absent(void **state)
{
    assert_int_equal(status_of(NULL, "a"), VX_QUERY_ABSENT);
    assert_int_equal(status_of("", "a"), VX_QUERY_ABSENT);
    assert_int_equal(status_of("b=1", "a"), VX_QUERY_ABSENT);
    assert_int_equal(status_of("&&&", "a"), VX_QUERY_ABSENT);
    assert_int_equal(status_of("=a", "a"), VX_QUERY_ABSENT); /* the empty name, with value "a" */
    /* A value that would be invalid does not matter when its key is not asked for. */
    assert_int_equal(status_of("b=%zz&c=%", "a"), VX_QUERY_ABSENT);
    assert_string_equal(get("b=%zz&a=ok", "a"), "ok");
}

static void test_empty_and_odd_values(void **state)
{
    assert_string_equal(get("a=", "a"), "");
    assert_string_equal(get("a", "a"), ""); /* a bare name is an empty value */
    assert_string_equal(get("a&b=2", "a"), "");
    assert_string_equal(get("a=&b=2", "a"), "");
    assert_string_equal(get("x=1&a", "a"), "");
    /* Only the first '=' separates: the rest belongs to the value. */
    assert_string_equal(get("a=1=2", "a"), "1=2");
    assert_string_equal(get("a==", "a"), "=");
    /* Empty parts are skipped over. */
    assert_string_equal(get("&&a=1&&", "a"), "1");
    /* '&' and '=' can only be part of a value encoded. */
    assert_string_equal(get("a=x%26y%3Dz&y=2", "a"), "x&y=z");
    /* The empty key names the first empty name there is. */
    assert_string_equal(get("=v&a=1", ""), "v");
    assert_string_equal(get("&a=1", ""), "");
}

static void test_percent_decoding(void **state)
{
    assert_string_equal(get("a=x%20y", "a"), "x y");
    assert_string_equal(get("a=x+y", "a"), "x y");
    assert_string_equal(get("a=%2B", "a"), "+"); /* an encoded '+' stays a '+' */
    assert_string_equal(get("a=%2b", "a"), "+"); /* either case of hex digit */
    assert_string_equal(get("a=%41%42%43", "a"), "ABC");
    assert_string_equal(get("a=%7e%7E", "a"), "~~");
    assert_string_equal(get("a=%25", "a"), "%");     /* decoded once, not twice */
    assert_string_equal(get("a=%2541", "a"), "%41"); /* "%25" then "41" */
    assert_string_equal(get("a=100%25", "a"), "100%");
    /* Bytes pass through as they are: UTF-8 is the caller's business. */
    assert_string_equal(get("a=%C3%A9", "a"), "\xC3\xA9");
    assert_string_equal(get("a=%ff", "a"), "\xFF");
    assert_string_equal(get("a=%01", "a"), "\x01");
}

static void test_malformed_escapes_are_invalid(void **state)
{
    /* "%\xff0": a '%', a byte that is not a hex digit, then '0'. */
    const char *bad[] = {"a=%",    "a=%4",   "a=x%",   "a=x%4",   "a=%zz",   "a=%4z",       "a=%z4",  "a=%g0",
                         "a=%%41", "a=% 41", "a=%+41", "a=%-1",   "a=%4&b=", "a=%&b=1",     "a=%0",   "a=%%",
                         "a=%x41", "a=%G1",  "a=1%2",  "a=%1%41", "a=%41%",  "a=%\xff\x30", "a=ok%4g"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (status_of(bad[i], "a") != VX_QUERY_INVALID)
            fail_msg("%s: expected VX_QUERY_INVALID", bad[i]);
    }
    /* An escape cut by '&' is malformed even though hex digits follow the '&'. */
    assert_int_equal(status_of("a=%4&41", "a"), VX_QUERY_INVALID);
}

static void test_encoded_nul_is_invalid(void **state)
{
    assert_int_equal(status_of("a=%00", "a"), VX_QUERY_INVALID);
    assert_int_equal(status_of("a=x%00y", "a"), VX_QUERY_INVALID);
    assert_int_equal(status_of("a=xy%00", "a"), VX_QUERY_INVALID);
}

static void test_output_size(void **state)
{
    const char *v;
    /* "abc" needs 4 bytes: it fits exactly, and not in 3. */
    assert_int_equal(get_n("a=abc", "a", 4, &v), VX_QUERY_OK);
    assert_string_equal(v, "abc");
    assert_int_equal(get_n("a=abc", "a", 3, &v), VX_QUERY_INVALID);
    assert_int_equal(get_n("a=abc", "a", 1, &v), VX_QUERY_INVALID);
    /* The limit is on the decoded length, not the encoded one. */
    assert_int_equal(get_n("a=%41%42%43", "a", 4, &v), VX_QUERY_OK);
    assert_string_equal(v, "ABC");
    assert_int_equal(get_n("a=%41%42%43%44", "a", 4, &v), VX_QUERY_INVALID);
    /* An empty value fits in one byte. */
    assert_int_equal(get_n("a=", "a", 1, &v), VX_QUERY_OK);
    assert_string_equal(v, "");
    assert_int_equal(get_n("a", "a", 1, &v), VX_QUERY_OK);
    /* A long value ("+%41+%41…", 500 decoded bytes) into a buffer of exactly its size + 1. */
    char query[1100], want[501];
    size_t q = 0;
    query[q++] = 'a';
    query[q++] = '=';
    for (int i = 0; i < 500; i++) {
        const char *piece = i % 2 ? "%41" : "+";
        memcpy(query + q, piece, strlen(piece));
        q += strlen(piece);
        want[i] = i % 2 ? 'A' : ' ';
    }
    query[q] = '\0';
    want[500] = '\0';
    char *out = malloc(501);
    assert_non_null(out);
    assert_int_equal(vx_query_get(query, "a", out, 501), VX_QUERY_OK);
    assert_string_equal(out, want);
    assert_int_equal(vx_query_get(query, "a", out, 500), VX_QUERY_INVALID);
    free(out);
}

static void test_long(void **state)
{
    long v = 7;
    assert_int_equal(vx_query_long("limit=10", "limit", 1, 100, &v), VX_QUERY_OK);
    assert_int_equal(v, 10);
    assert_int_equal(vx_query_long("page=3&limit=25", "limit", 1, 100, &v), VX_QUERY_OK);
    assert_int_equal(v, 25);
    /* Bounds are inclusive. */
    assert_int_equal(vx_query_long("n=1", "n", 1, 100, &v), VX_QUERY_OK);
    assert_int_equal(v, 1);
    assert_int_equal(vx_query_long("n=100", "n", 1, 100, &v), VX_QUERY_OK);
    assert_int_equal(v, 100);
    assert_int_equal(vx_query_long("n=-5", "n", -5, 5, &v), VX_QUERY_OK);
    assert_int_equal(v, -5);
    assert_int_equal(vx_query_long("n=0", "n", 0, 0, &v), VX_QUERY_OK);
    assert_int_equal(v, 0);
    assert_int_equal(vx_query_long("n=007", "n", 0, 10, &v), VX_QUERY_OK); /* decimal, not octal */
    assert_int_equal(v, 7);
    assert_int_equal(vx_query_long("n=%31%32", "n", 0, 100, &v), VX_QUERY_OK); /* decoded first */
    assert_int_equal(v, 12);
    char q[64];
    snprintf(q, sizeof(q), "n=%ld", LONG_MAX);
    assert_int_equal(vx_query_long(q, "n", 0, LONG_MAX, &v), VX_QUERY_OK);
    assert_true(v == LONG_MAX);
    snprintf(q, sizeof(q), "n=%ld", LONG_MIN);
    assert_int_equal(vx_query_long(q, "n", LONG_MIN, 0, &v), VX_QUERY_OK);
    assert_true(v == LONG_MIN);
}

static void test_long_refuses_and_keeps_the_default(void **state)
{
    /* Empty, not a number, trailing garbage, bad encodings, out of [1, 100], and out of long (ERANGE). */
    const char *bad[] = {"n=",
                         "n",
                         "n=abc",
                         "n=10abc",
                         "n=1.5",
                         "n=1e3",
                         "n=0x10",
                         "n=10%20",
                         "n=10+",
                         "n=%",
                         "n=%zz",
                         "n=-",
                         "n=--1",
                         "n=%00",
                         "n=1%00",
                         "n=0",
                         "n=101",
                         "n=-1",
                         "n=1,0",
                         "n=1_0",
                         "n=99999999999999999999",
                         "n=-99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long v = 42;
        if (vx_query_long(bad[i], "n", 1, 100, &v) != VX_QUERY_INVALID)
            fail_msg("%s: expected VX_QUERY_INVALID", bad[i]);
        assert_int_equal(v, 42);
    }
    /* The reader's buffer holds 31 characters: "0…01" of 31 fits, of 32 does not. */
    char q[64] = "n=";
    memset(q + 2, '0', 30);
    q[32] = '1';
    q[33] = '\0';
    long v = 42;
    assert_int_equal(vx_query_long(q, "n", 1, 100, &v), VX_QUERY_OK);
    assert_int_equal(v, 1);
    memset(q + 2, '0', 31);
    q[33] = '1';
    q[34] = '\0';
    v = 42;
    assert_int_equal(vx_query_long(q, "n", 1, 100, &v), VX_QUERY_INVALID);
    assert_int_equal(v, 42);
    /* Absent leaves the default too, and says so. */
    v = 42;
    assert_int_equal(vx_query_long("m=5", "n", 1, 100, &v), VX_QUERY_ABSENT);
    assert_int_equal(v, 42);
    assert_int_equal(vx_query_long(NULL, "n", 1, 100, &v), VX_QUERY_ABSENT);
    assert_int_equal(v, 42);
    /* The first occurrence decides, even when a later one would be fine. */
    assert_int_equal(vx_query_long("n=x&n=5", "n", 1, 100, &v), VX_QUERY_INVALID);
    assert_int_equal(v, 42);
}

/* Regression: vx_query_long took what strtol takes (leading white space and a
 * '+' sign, so " 5", "+5" and "\n5" read as 5 while "5 " was refused); it now
 * accepts only an optional '-' and digits. */
static void test_long_refuses_leading_space_and_plus(void **state)
{
    /* '+' decodes to a space; %2B is a literal '+'; %09, %0A are white space. */
    const char *bad[] = {"n=+5", "n=%205", "n=%2B5", "n=%095", "n=%0A5", "n=++5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long v = 42;
        if (vx_query_long(bad[i], "n", 1, 100, &v) != VX_QUERY_INVALID)
            fail_msg("%s: expected VX_QUERY_INVALID, got %ld", bad[i], v);
    }
}

/* What vx_query_append writes for one pair on an empty buffer (static copy). */
static const char *appended(const char *key, const char *value)
{
    static char copy[1024];
    vx_buf b = VX_BUF_INIT;
    vx_query_append(&b, key, value);
    snprintf(copy, sizeof(copy), "%s", b.data);
    vx_buf_free(&b);
    return copy;
}

static void test_append_encoding(void **state)
{
    /* RFC 3986's unreserved characters stay as they are. */
    assert_string_equal(appended("a", "AZaz09-._~"), "a=AZaz09-._~");
    /* A space is %20, never '+'; '+' itself must be encoded (a reader takes '+' for a space). */
    assert_string_equal(appended("q", "x y"), "q=x%20y");
    assert_string_equal(appended("PhoneNumber", "+15551234567"), "PhoneNumber=%2B15551234567");
    /* Everything else, reserved characters included, in upper-case hex. */
    assert_string_equal(appended("u", "https://x.example/cb?a=1&b=2#f"), "u=https%3A%2F%2Fx.example%2Fcb%3Fa%3D1%26b%3D2%23f");
    assert_string_equal(appended("s", "!*'();:@&=+$,/?#[]%\""), "s=%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D%25%22");
    assert_string_equal(appended("c", "\x01\x1f\x7f"), "c=%01%1F%7F");
    /* UTF-8 byte by byte. */
    assert_string_equal(appended("n", "caf\xC3\xA9"), "n=caf%C3%A9");
    assert_string_equal(appended("n", "\xFF"), "n=%FF");
    /* The key is encoded the same way. */
    assert_string_equal(appended("a b&c", "1"), "a%20b%26c=1");
    /* Empty and NULL values are the empty value. */
    assert_string_equal(appended("a", ""), "a=");
    assert_string_equal(appended("a", NULL), "a=");
}

static void test_append_joins_pairs(void **state)
{
    vx_buf b = VX_BUF_INIT;
    vx_query_append(&b, "grant_type", "authorization_code");
    vx_query_append(&b, "code", "4/0Ab cd");
    vx_query_append(&b, "redirect_uri", "https://app.example/oauth/callback");
    assert_string_equal(
        b.data, "grant_type=authorization_code&code=4%2F0Ab%20cd&redirect_uri=https%3A%2F%2Fapp.example%2Foauth%2Fcallback");
    vx_buf_free(&b);
    /* A buffer that already holds something (a URL's query) gets the '&' too. */
    vx_buf_puts(&b, "a=1");
    vx_query_append(&b, "b", "2");
    assert_string_equal(b.data, "a=1&b=2");
    vx_buf_free(&b);
}

static void test_append_round_trips(void **state)
{
    /* Every byte but NUL, in one value, reads back as it was written. */
    char value[256];
    for (int i = 1; i < 256; i++)
        value[i - 1] = (char)i;
    value[255] = '\0';
    vx_buf b = VX_BUF_INIT;
    vx_query_append(&b, "first", "x");
    vx_query_append(&b, "all", value);
    vx_query_append(&b, "last", "+ &=");
    char out[256];
    assert_int_equal(vx_query_get(b.data, "all", out, sizeof(out)), VX_QUERY_OK);
    assert_string_equal(out, value);
    assert_int_equal(vx_query_get(b.data, "last", out, sizeof(out)), VX_QUERY_OK);
    assert_string_equal(out, "+ &=");
    assert_int_equal(vx_query_get(b.data, "first", out, sizeof(out)), VX_QUERY_OK);
    assert_string_equal(out, "x");
    vx_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finds_the_key),
        cmocka_unit_test(test_absent),
        cmocka_unit_test(test_empty_and_odd_values),
        cmocka_unit_test(test_percent_decoding),
        cmocka_unit_test(test_malformed_escapes_are_invalid),
        cmocka_unit_test(test_encoded_nul_is_invalid),
        cmocka_unit_test(test_output_size),
        cmocka_unit_test(test_long),
        cmocka_unit_test(test_long_refuses_and_keeps_the_default),
        cmocka_unit_test(test_long_refuses_leading_space_and_plus),
        cmocka_unit_test(test_append_encoding),
        cmocka_unit_test(test_append_joins_pairs),
        cmocka_unit_test(test_append_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
