/*
 * Unit tests for services/tool-router/tools/lookup_caller.c without a
 * database: phone numbers as callers say them (lookup_caller_e164), the
 * hints an answer gives instead of a contact detail, and
 * lookup_caller_plan — which statement and parameters each search becomes,
 * or the sentence that answers at once when the arguments cannot be
 * searched (no read is planned then, so nothing about anyone is said): a
 * name of fewer than three letters is one. The rows and the answers built
 * from them are tested on PostgreSQL in
 * tests/integration/tool-router/tools/test_lookup_caller.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "tool.h"
#include "tools/tools.h"
#include "vx_buf.h"

static void test_phone_normalization(void **state)
{
    char out[LOOKUP_CALLER_E164_SIZE];
    assert_true(lookup_caller_e164("+1 (555) 123-4567", out));
    assert_string_equal(out, "+15551234567");
    assert_true(lookup_caller_e164("555.123.4567", out));
    assert_string_equal(out, "+15551234567");
    assert_true(lookup_caller_e164("1-555-123-4567", out));
    assert_string_equal(out, "+15551234567");
    assert_true(lookup_caller_e164("+447911123456", out));
    assert_string_equal(out, "+447911123456");
    assert_true(lookup_caller_e164("+123456789012345", out));
    assert_string_equal(out, "+123456789012345");
    assert_false(lookup_caller_e164("+1234567890123456", out));
    assert_false(lookup_caller_e164("555-1234", out));
    assert_false(lookup_caller_e164("055 123 4567", out));
    assert_false(lookup_caller_e164("call me", out));
    assert_false(lookup_caller_e164("+0 555 123 4567", out));
    assert_false(lookup_caller_e164("12+34567890", out));
    assert_false(lookup_caller_e164("", out));
}

/* Plans a lookup with the given arguments object; *out gets the immediate answer, if any. */
static const char *plan(const char *args_json, tool_read *read, tool_result *out)
{
    static cJSON *args;
    cJSON_Delete(args);
    args = cJSON_Parse(args_json);
    assert_non_null(args);
    tool_ctx ctx = {.request_id = "req",
                    .org_id = "00000000-0000-4000-8000-000000000001",
                    .tool_name = "lookupCaller",
                    .tool_call_id = "t1",
                    .args = args};
    memset(read, 0, sizeof(*read));
    memset(out, 0, sizeof(*out));
    lookup_caller_plan(&ctx, read, out);
    return read->q.stmt;
}

static void test_plan(void **state)
{
    tool_read read;
    tool_result out;
    /* Each search type, given or guessed, becomes its statement with the normalized key. */
    assert_string_equal(plan("{\"searchKey\":\"(555) 123-4567\",\"searchType\":\"phone\"}", &read, &out), "lookup_phone");
    assert_int_equal(read.q.nparams, 2);
    assert_string_equal(read.q.params[0], "00000000-0000-4000-8000-000000000001");
    assert_string_equal(read.q.params[1], "+15551234567");
    assert_null(out.text.data);
    vx_buf_free(&read.key);
    assert_string_equal(plan("{\"searchKey\":\"+44 7911 123456\"}", &read, &out), "lookup_phone");
    assert_string_equal(read.q.params[1], "+447911123456");
    vx_buf_free(&read.key);
    assert_string_equal(plan("{\"searchKey\":\"Jane@Doe.example\"}", &read, &out), "lookup_email");
    assert_string_equal(read.q.params[1], "Jane@Doe.example");
    vx_buf_free(&read.key);
    assert_string_equal(plan("{\"searchKey\":\"  Jane \\t  DOE \",\"searchType\":\"NAME\"}", &read, &out), "lookup_name");
    assert_string_equal(read.q.params[1], "jane doe");
    vx_buf_free(&read.key);

    /* Arguments that cannot be searched are answered at once, as errors. */
    static const struct {
        const char *args;
        const char *says;
    } refused[] = {
        {"{}", "I need a phone number, an email address or a name to look you up."},
        {"{\"searchKey\":15551234567}", "I need a phone number, an email address or a name to look you up."},
        {"{\"searchKey\":\"555-12\",\"searchType\":\"phone\"}", "That doesn't sound like a full phone number."},
        {"{\"searchKey\":\"jane at doe\",\"searchType\":\"email\"}", "That doesn't sound like an email address."},
        {"{\"searchKey\":\" J \",\"searchType\":\"name\"}", "Could you tell me your full name?"},
        {"{\"searchKey\":\"Jo\",\"searchType\":\"name\"}", "at least three letters"},
        {"{\"searchKey\":\"x\",\"searchType\":\"fax\"}", "I can look you up by phone number, email address or name."},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_null(plan(refused[i].args, &read, &out));
        assert_true(out.is_error);
        if (strstr(out.text.data, refused[i].says) == NULL)
            fail_msg("%s said \"%s\"", refused[i].args, out.text.data);
        vx_buf_free(&out.text);
        vx_buf_free(&read.key);
    }
    /* A key longer than any name or address (200 bytes) is refused before it is searched. */
    vx_buf big = VX_BUF_INIT;
    vx_buf_puts(&big, "{\"searchKey\":\"");
    for (int i = 0; i < 201; i++)
        vx_buf_putc(&big, 'a');
    vx_buf_puts(&big, "\",\"searchType\":\"name\"}");
    assert_null(plan(big.data, &read, &out));
    assert_true(out.is_error);
    vx_buf_free(&big);
    vx_buf_free(&out.text);
    vx_buf_free(&read.key);
    plan("{}", &read, &out); /* frees the last arguments */
    vx_buf_free(&out.text);
}

/* A two-letter name lookup reveals no contact detail: it is refused with a
 * sentence the assistant can say, and no read is planned at all. Letters
 * are counted, not bytes, spaces or dots. */
static void test_short_name_is_refused(void **state)
{
    tool_read read;
    tool_result out;
    static const char *const refused[] = {
        "{\"searchKey\":\"Jo\",\"searchType\":\"name\"}",           "{\"searchKey\":\"jo\"}", /* guessed: a name */
        "{\"searchKey\":\" J. D. \",\"searchType\":\"name\"}",      "{\"searchKey\":\"A B\",\"searchType\":\"name\"}",
        "{\"searchKey\":\"\u674e\u5c0f\",\"searchType\":\"name\"}", /* two characters, six bytes */
        "{\"searchKey\":\"-- ..\",\"searchType\":\"name\"}",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_null(plan(refused[i], &read, &out));
        assert_true(out.is_error);
        assert_null(out.extra);
        if (out.text.data == NULL ||
            strcmp(out.text.data,
                   "I need at least three letters of a name to look someone up. Could you tell me your full name?") != 0)
            fail_msg("%s said \"%s\"", refused[i], out.text.data ? out.text.data : "");
        vx_buf_free(&out.text);
        vx_buf_free(&read.key);
    }
    /* Three letters are enough, in any script. */
    static const char *const searched[] = {
        "{\"searchKey\":\"Joe\",\"searchType\":\"name\"}",
        "{\"searchKey\":\"Al B\",\"searchType\":\"name\"}",
        "{\"searchKey\":\"Zo\u00eb\",\"searchType\":\"name\"}",
        "{\"searchKey\":\"\u674e\u5c0f\u9f8d\",\"searchType\":\"name\"}",
    };
    for (size_t i = 0; i < sizeof(searched) / sizeof(searched[0]); i++) {
        if (plan(searched[i], &read, &out) == NULL)
            fail_msg("%s was not searched: \"%s\"", searched[i], out.text.data ? out.text.data : "");
        vx_buf_free(&read.key);
    }
    plan("{}", &read, &out); /* frees the last arguments */
    vx_buf_free(&out.text);
}

static void expect_hint(void (*hint)(const char *, vx_buf *), const char *in, const char *want)
{
    vx_buf out = VX_BUF_INIT;
    vx_buf_puts(&out, "left over");
    hint(in, &out);
    if (strcmp(out.data, want) != 0)
        fail_msg("%s: \"%s\", not \"%s\"", in ? in : "NULL", out.data, want);
    vx_buf_free(&out);
}

/* What stands in for an email or a phone: never the address or the number. */
static void test_hints(void **state)
{
    expect_hint(lookup_caller_email_hint, "jane.doe@gmail.com", "j***@g***.com");
    expect_hint(lookup_caller_email_hint, "John.Smith@Acme.example", "J***@A***.example");
    expect_hint(lookup_caller_email_hint, "sam@mail.clinic.co.uk", "s***@m***.uk");
    expect_hint(lookup_caller_email_hint,
                "\xc3\xa9"
                "lise@\xc3\xa9"
                "cole.fr",
                "\xc3\xa9***@\xc3\xa9***.fr");
    expect_hint(lookup_caller_email_hint, "root@localhost", "r***@l***");
    expect_hint(lookup_caller_email_hint, "a@b@c.example", "a***@c***.example");
    expect_hint(lookup_caller_email_hint, "@doe.example", "");
    expect_hint(lookup_caller_email_hint, "jane@", "");
    expect_hint(lookup_caller_email_hint, "jane@.example", "");
    expect_hint(lookup_caller_email_hint, "no address", "");
    expect_hint(lookup_caller_email_hint, NULL, "");
    expect_hint(lookup_caller_phone_hint, "+15550100042",
                "\xe2\x80\xa6"
                "42");
    expect_hint(lookup_caller_phone_hint, "+447911123456",
                "\xe2\x80\xa6"
                "56");
    expect_hint(lookup_caller_phone_hint, "+123456", "");
    expect_hint(lookup_caller_phone_hint, NULL, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phone_normalization),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_short_name_is_refused),
        cmocka_unit_test(test_hints),
    };
    return cmocka_run_group_tests_name("tools/lookup_caller", tests, NULL, NULL);
}
