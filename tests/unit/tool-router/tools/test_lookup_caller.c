/*
 * Unit tests for services/tool-router/tools/lookup_caller.c without a
 * database: phone numbers as callers say them (lookup_caller_e164), and
 * lookup_caller_plan — which statement and parameters each search becomes,
 * or the sentence that answers at once when the arguments cannot be
 * searched (no read is planned then). The rows and the answers built from
 * them are tested on PostgreSQL in
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phone_normalization),
        cmocka_unit_test(test_plan),
    };
    return cmocka_run_group_tests_name("tools/lookup_caller", tests, NULL, NULL);
}
