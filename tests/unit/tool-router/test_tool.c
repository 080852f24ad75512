/*
 * Unit tests for services/tool-router/tool.c without a database: the
 * helpers every tool uses and the framework's run of a tool that needs no
 * database (tool_run), of a one-read tool's answer (tool_answer_read) and
 * of the after-commit work.
 *
 * Proves: tool_say / tool_fail flatten a sentence to one line and mark
 * errors; tool_arg_str reads only non-empty strings; tool_result_clean makes
 * what is said (one line, capped, never empty) and is idempotent; a tool
 * that returns TOOL_RETRY is answered with the apology, its extra fields
 * dropped and its after-commit work released without running; a tool that
 * is done runs its after-commit work once, which may change what is said; a
 * failed read, or rows the tool cannot make sense of, answer the apology.
 * The transaction and ledger path is tested on PostgreSQL
 * (tests/integration/tool-router/test_ledger.c and the tools' tests).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "settings.h"
#include "tool.h"
#include "tool_table.h"

static settings config;
static int after_commit_runs, after_commit_frees;

static tool_ctx ctx_with(const cJSON *args)
{
    tool_ctx ctx = {.settings = &config,
                    .request_id = "req",
                    .org_id = "00000000-0000-4000-8000-000000000001",
                    .tool_name = "test",
                    .tool_call_id = "t1",
                    .args = args};
    return ctx;
}

static void after_commit(const tool_ctx *ctx, void *data, tool_result *r)
{
    after_commit_runs++;
    tool_say(r, "%s", (const char *)data);
}

static void free_after_commit(void *data)
{
    after_commit_frees++;
}

static tool_status done_tool(const tool_ctx *ctx, tool_result *out)
{
    tool_say(out, "Done\nfor now.");
    out->after_commit = after_commit;
    out->after_commit_data = (void *)"Changed after the commit.";
    out->free_after_commit = free_after_commit;
    return TOOL_DONE;
}

static tool_status retry_tool(const tool_ctx *ctx, tool_result *out)
{
    tool_say(out, "Half done.");
    out->extra = cJSON_CreateObject();
    out->after_commit = after_commit;
    out->after_commit_data = (void *)"never said";
    out->free_after_commit = free_after_commit;
    return TOOL_RETRY;
}

static tool_status confused_answer(const tool_ctx *ctx, const PGresult *rows, tool_result *out)
{
    return TOOL_RETRY;
}

static int setup(void **state)
{
    settings_defaults(&config);
    after_commit_runs = after_commit_frees = 0;
    return 0;
}

static void test_say_and_fail(void **state)
{
    tool_result r = {.text = VX_BUF_INIT};
    tool_say(&r, "Line one.\nLine\ttwo.\r");
    assert_string_equal(r.text.data, "Line one. Line two. ");
    assert_false(r.is_error);
    tool_fail(&r, "I couldn't find %s.", "that appointment");
    assert_string_equal(r.text.data, "I couldn't find that appointment.");
    assert_true(r.is_error);
    vx_buf_free(&r.text);
}

static void test_arg_str(void **state)
{
    cJSON *args = cJSON_Parse("{\"s\":\"x\",\"empty\":\"\",\"n\":1,\"null\":null,\"o\":{}}");
    tool_ctx ctx = ctx_with(args);
    assert_string_equal(tool_arg_str(&ctx, "s"), "x");
    assert_null(tool_arg_str(&ctx, "empty"));
    assert_null(tool_arg_str(&ctx, "n"));
    assert_null(tool_arg_str(&ctx, "null"));
    assert_null(tool_arg_str(&ctx, "o"));
    assert_null(tool_arg_str(&ctx, "absent"));
    cJSON_Delete(args);
}

static void test_result_clean(void **state)
{
    tool_result r = {.text = VX_BUF_INIT};
    tool_result_clean(&r, 100);
    assert_string_equal(r.text.data, "Done."); /* never empty */
    tool_say(&r, "  a   b \xff ");
    tool_result_clean(&r, 100);
    assert_string_equal(r.text.data, "a b ?");
    tool_result_clean(&r, 100);
    assert_string_equal(r.text.data, "a b ?");
    tool_say(&r, "abcdef");
    tool_result_clean(&r, 4);
    assert_string_equal(r.text.data, "abcd");
    vx_buf_free(&r.text);
}

static void test_run_without_database(void **state)
{
    static const cJSON no_args = {.type = cJSON_Object};
    tool_ctx ctx = ctx_with(&no_args);
    tool_table_entry done = {.name = "doneTool", .run = done_tool};
    tool_result r = {.text = VX_BUF_INIT};
    tool_run(&done, &ctx, &r);
    assert_int_equal(after_commit_runs, 1);
    assert_int_equal(after_commit_frees, 1);
    assert_string_equal(r.text.data, "Changed after the commit.");
    assert_false(r.is_error);
    assert_null(r.after_commit);
    vx_buf_free(&r.text);

    tool_table_entry retry = {.name = "retryTool", .run = retry_tool};
    tool_result f = {.text = VX_BUF_INIT};
    tool_run(&retry, &ctx, &f);
    assert_int_equal(after_commit_runs, 1); /* not run again: released only */
    assert_int_equal(after_commit_frees, 2);
    assert_string_equal(f.text.data, config.say_apology);
    assert_true(f.is_error);
    assert_null(f.extra);
    vx_buf_free(&f.text);
}

static void test_answer_read(void **state)
{
    static const cJSON no_args = {.type = cJSON_Object};
    tool_ctx ctx = ctx_with(&no_args);
    ctx.pg = vx_pg_create("postgresql://nobody@127.0.0.1:1/none"); /* never connected: only asked for its last error */
    tool_table_entry t = {.name = "readTool", .answer = confused_answer, .needs_db = true};
    tool_result r = {.text = VX_BUF_INIT};
    tool_answer_read(&t, &ctx, NULL, &r); /* the read failed */
    assert_string_equal(r.text.data, config.say_apology);
    assert_true(r.is_error);
    vx_buf_free(&r.text);
    PGresult *rows = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    tool_result u = {.text = VX_BUF_INIT};
    tool_answer_read(&t, &ctx, rows, &u); /* rows the tool cannot make sense of */
    assert_string_equal(u.text.data, config.say_apology);
    assert_true(u.is_error);
    vx_buf_free(&u.text);
    PQclear(rows);
    vx_pg_destroy(ctx.pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_say_and_fail, setup), cmocka_unit_test_setup(test_arg_str, setup),
        cmocka_unit_test_setup(test_result_clean, setup), cmocka_unit_test_setup(test_run_without_database, setup),
        cmocka_unit_test_setup(test_answer_read, setup),
    };
    return cmocka_run_group_tests_name("tool", tests, NULL, NULL);
}
