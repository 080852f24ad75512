/*
 * Unit tests for services/tool-router/tools/own_appointment.c without a
 * database, through the two tools that use it (cancel_appointment_run,
 * reschedule_appointment_run): the refusals that need no read — a call
 * without a caller number (a web call), and a "phone" argument that is not
 * the number the call comes from, however it is spoken — answer a sentence
 * the assistant can say, as an error, before anything is read or written.
 * Their database never answers here (nothing listens on its port), so a tool
 * that reached for it would answer TOOL_RETRY instead. The appointment's own
 * phone, and the allowed path, are tested on PostgreSQL in
 * tests/integration/tool-router/tools/test_cancel_appointment.c and
 * test_reschedule_appointment.c.
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

#define REFUSAL "For your privacy, I can only change appointments booked with the phone number you're calling from."

static const char *const TOOLS[2] = {"cancelAppointment", "rescheduleAppointment"};

/* Runs tool i with args_json from caller (NULL: none) and returns what it said (tool_status in *st). */
static tool_result run(int i, const char *args_json, const char *caller, tool_status *st)
{
    cJSON *args = cJSON_Parse(args_json);
    assert_non_null(args);
    vx_pg *pg = vx_pg_create("postgresql://nobody@127.0.0.1:1/none"); /* refuses every connection */
    tool_ctx ctx = {.pg = pg,
                    .request_id = "req",
                    .org_id = "00000000-0000-4000-8000-000000000001",
                    .tool_name = TOOLS[i],
                    .tool_call_id = "t1",
                    .vapi_call_id = "call-1",
                    .caller_number = caller,
                    .args = args};
    tool_result out = {.text = VX_BUF_INIT};
    *st = i == 0 ? cancel_appointment_run(&ctx, &out) : reschedule_appointment_run(&ctx, &out);
    tool_result_finish(&ctx, &out, false);
    vx_pg_destroy(pg);
    cJSON_Delete(args);
    return out;
}

static void expect_refused(int i, const char *args_json, const char *caller)
{
    tool_status st;
    tool_result out = run(i, args_json, caller, &st);
    if (st != TOOL_DONE || out.text.data == NULL || strstr(out.text.data, REFUSAL) == NULL)
        fail_msg("%s %s from %s: status %d, said \"%s\"", TOOLS[i], args_json, caller ? caller : "(none)", (int)st,
                 out.text.data ? out.text.data : "");
    assert_true(out.is_error);
    assert_null(strchr(out.text.data, '\n'));
    assert_null(out.extra);
    vx_buf_free(&out.text);
}

/* A cancel or a reschedule for a number other than the caller's is refused with a sentence the assistant can say. */
static void test_another_number_is_refused(void **state)
{
    for (int i = 0; i < 2; i++) {
        expect_refused(i, "{\"phone\":\"+15550109999\"}", "+15550100042");
        expect_refused(i, "{\"phone\":\"+1 (555) 010-9999\",\"newStart\":\"2030-01-07T10:00\"}", "+15550100042");
        expect_refused(i, "{\"phone\":\"+44 20 7946 0958\",\"currentStart\":\"2030-01-07T10:00\"}", "+15550100042");
    }
}

/* A web call has no caller number: no appointment is anyone's to change, by phone or by id. */
static void test_no_caller_number_is_refused(void **state)
{
    for (int i = 0; i < 2; i++) {
        expect_refused(i, "{}", NULL);
        expect_refused(i, "{\"phone\":\"+15550100042\"}", NULL);
        expect_refused(i, "{\"appointmentId\":\"00000000-0000-4000-8000-0000000000aa\",\"newStart\":\"2030-01-07T10:00\"}", NULL);
    }
}

/* The caller's own number, said or not, goes on to the database (which is down here: TOOL_RETRY, nothing refused). */
static void test_own_number_is_not_refused(void **state)
{
    for (int i = 0; i < 2; i++) {
        static const char *const args[] = {"{}", "{\"phone\":\"+1 555 010 0042\"}", "{\"phone\":\"+15550100042\"}"};
        for (size_t k = 0; k < sizeof(args) / sizeof(args[0]); k++) {
            tool_status st;
            tool_result out = run(i, args[k], "+15550100042", &st);
            assert_int_equal(st, TOOL_RETRY);
            assert_true(out.text.data == NULL || strstr(out.text.data, REFUSAL) == NULL);
            vx_buf_free(&out.text);
            cJSON_Delete(out.extra);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_another_number_is_refused),
        cmocka_unit_test(test_no_caller_number_is_refused),
        cmocka_unit_test(test_own_number_is_not_refused),
    };
    return cmocka_run_group_tests_name("tools/own_appointment", tests, NULL, NULL);
}
