/*
 * Unit test of libcommon/vx_cursor.c: the dashboard lists' keyset cursors
 * read back what they were made from, and nothing else reads — an edited,
 * truncated or padded token, another version, an instant no timestamp can
 * hold, another organization's or another list's cursor; the query
 * parameter's three outcomes; and the calls list's tokens are the bytes it
 * gave before the cursor moved to libcommon.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_crypto.h"
#include "vx_cursor.h"

#define LIST  "calls"
#define ORG_A "7d9f3c1e-2b4a-4c6d-8e0f-1a2b3c4d5e6f"
#define ORG_B "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define CALL  "5A7C1E2B-3D4F-4A6B-9C8D-0E1F2A3B4C5D"

static void test_a_cursor_reads_back(void **state)
{
    char *token = vx_cursor_encode(LIST, ORG_A, 1769854200123456LL, CALL);
    assert_int_equal(strlen(token), 44);
    for (const char *p = token; *p != '\0'; p++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
    int64_t us = 0;
    char id[37];
    assert_true(vx_cursor_decode(LIST, ORG_A, token, &us, id));
    assert_int_equal(us, 1769854200123456LL);
    assert_string_equal(id, "5a7c1e2b-3d4f-4a6b-9c8d-0e1f2a3b4c5d");
    free(token);

    token = vx_cursor_encode(LIST, ORG_A, 0, "00000000-0000-0000-0000-000000000000");
    assert_true(vx_cursor_decode(LIST, ORG_A, token, &us, id));
    assert_int_equal(us, 0);
    assert_string_equal(id, "00000000-0000-0000-0000-000000000000");
    free(token);
}

static void test_an_edited_cursor_is_refused(void **state)
{
    char *token = vx_cursor_encode(LIST, ORG_A, 1769854200123456LL, CALL);
    int64_t us = 7;
    char id[37] = "untouched";
    /* Every character changed, one at a time, to each other of the alphabet's. */
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t len = strlen(token);
    for (size_t i = 0; i < len; i++) {
        char was = token[i];
        for (const char *c = alphabet; *c != '\0'; c++) {
            if (*c == was)
                continue;
            token[i] = *c;
            if (vx_cursor_decode(LIST, ORG_A, token, &us, id))
                fail_msg("accepted %s", token);
        }
        token[i] = was;
    }
    /* Another org's, cut short, made longer, padded, not base64url at all. */
    assert_false(vx_cursor_decode(LIST, ORG_B, token, &us, id));
    char shorter[64], longer[64], padded[64];
    snprintf(shorter, sizeof(shorter), "%.*s", (int)len - 1, token);
    snprintf(longer, sizeof(longer), "%sAA", token);
    snprintf(padded, sizeof(padded), "%s=", token);
    static const char *const garbage[] = {"", "x", "null", "AAAA", "not a cursor", "%%%%", "eyJpZCI6MX0"};
    assert_false(vx_cursor_decode(LIST, ORG_A, shorter, &us, id));
    assert_false(vx_cursor_decode(LIST, ORG_A, longer, &us, id));
    assert_false(vx_cursor_decode(LIST, ORG_A, padded, &us, id));
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
        assert_false(vx_cursor_decode(LIST, ORG_A, garbage[i], &us, id));
    assert_int_equal(us, 7);
    assert_string_equal(id, "untouched");
    free(token);
}

/* A cursor of another version, or one whose check matches but whose time is
 * past what a timestamp can say, is still refused. */
static void test_only_this_version_and_range(void **state)
{
    char *token = vx_cursor_encode(LIST, ORG_A, 1, CALL);
    uint8_t *raw = NULL;
    size_t len = 0;
    assert_int_equal(vx_base64url_decode(token, strlen(token), &raw, &len), 0);
    raw[0] = 2;
    char *other = vx_base64url_encode(raw, len);
    int64_t us;
    char id[37];
    assert_false(vx_cursor_decode(LIST, ORG_A, other, &us, id));
    free(other);
    free(raw);
    free(token);
    token = vx_cursor_encode(LIST, ORG_A, INT64_MAX, CALL);
    assert_false(vx_cursor_decode(LIST, ORG_A, token, &us, id));
    free(token);
    token = vx_cursor_encode(LIST, ORG_A, -1, CALL);
    assert_false(vx_cursor_decode(LIST, ORG_A, token, &us, id));
    free(token);
}

/* One list's cursor is no other list's, even for the same org and row. */
static void test_another_lists_cursor_is_refused(void **state)
{
    char *token = vx_cursor_encode("knowledge documents", ORG_A, 1769854200123456LL, CALL);
    int64_t us = 7;
    char id[37] = "untouched";
    assert_false(vx_cursor_decode(LIST, ORG_A, token, &us, id));
    assert_true(vx_cursor_decode("knowledge documents", ORG_A, token, &us, id));
    assert_int_equal(us, 1769854200123456LL);
    free(token);
}

/* A token the calls list gave before this module (same bytes): still read. */
static void test_the_calls_lists_earlier_tokens_still_read(void **state)
{
    char *token = vx_cursor_encode(LIST, ORG_A, 1769854200123456LL, CALL);
    assert_string_equal(token, "AQAGSaxK5xBAWnweKz1PSmucjQ4fKjtMXdiOPJsODaVP");
    free(token);
}

static void test_the_query_parameter(void **state)
{
    char *token = vx_cursor_encode(LIST, ORG_A, 42, CALL);
    char query[128];
    int64_t us = 0;
    char id[37];
    snprintf(query, sizeof(query), "limit=5&cursor=%s", token);
    assert_int_equal(vx_cursor_from_query(query, LIST, ORG_A, &us, id), VX_QUERY_OK);
    assert_int_equal(us, 42);
    assert_string_equal(id, "5a7c1e2b-3d4f-4a6b-9c8d-0e1f2a3b4c5d");
    assert_int_equal(vx_cursor_from_query(query, LIST, ORG_B, &us, id), VX_QUERY_INVALID);
    assert_int_equal(vx_cursor_from_query("limit=5", LIST, ORG_A, &us, id), VX_QUERY_ABSENT);
    assert_int_equal(vx_cursor_from_query("cursor=", LIST, ORG_A, &us, id), VX_QUERY_INVALID);
    assert_int_equal(vx_cursor_from_query("cursor=%ZZ", LIST, ORG_A, &us, id), VX_QUERY_INVALID);
    /* Longer than any cursor: refused, not cut to a valid one. */
    snprintf(query, sizeof(query), "cursor=%s%s", token, token);
    assert_int_equal(vx_cursor_from_query(query, LIST, ORG_A, &us, id), VX_QUERY_INVALID);
    free(token);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_cursor_reads_back),
        cmocka_unit_test(test_an_edited_cursor_is_refused),
        cmocka_unit_test(test_only_this_version_and_range),
        cmocka_unit_test(test_another_lists_cursor_is_refused),
        cmocka_unit_test(test_the_calls_lists_earlier_tokens_still_read),
        cmocka_unit_test(test_the_query_parameter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
