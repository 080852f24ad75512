/*
 * The transferCall tool (tools/transfer_call.c, transfer/destination.c) on
 * real PostgreSQL, driven in-process through dispatch_request. Messages carry
 * no monitor.controlUrl here: the live transfer is test_transfer_call_live.c.
 *
 * Proves: a department (case-insensitively) goes to its number, and a call
 * row that did not exist yet is made the way ingest makes one; a department
 * with a SIP URI, and an existing call row is updated; an unknown department
 * goes to the default number; an org with only a SIP default; an org with
 * nothing configured hears the callback sentence and the request is noted on
 * the call.
 */
#include "../tool_router_test.h"

static int setup(void **state)
{
    tr_open_in_process("test_transfer_call", false);
    tr_make_clinics();
    return 0;
}

static int teardown(void **state)
{
    tr_close();
    return 0;
}

static void test_transfer_call(void **state)
{
    char call_id[64], expect[256];
    bool err;

    /* Department, case-insensitively → its number; the call row did not exist: a minimal one is made. */
    tr_fresh_id(call_id, sizeof(call_id), "call-t1");
    tr_answer a = tr_run_tool(CLINICS.asst_a, call_id, tr_tid("tr-1"), "transferCall",
                              "{\"summary\":\"Billing question\",\"department\":\"BILLING\"}");
    assert_int_equal(a.status, 200);
    assert_string_equal(tr_said(&a, 0, &err), "Transferring you to our billing team now.");
    assert_false(err);
    const cJSON *d = cJSON_GetObjectItem(tr_result_at(&a, 0), "destination");
    assert_string_equal(tr_str(d, "type"), "number");
    assert_string_equal(tr_str(d, "number"), CLINICS.bill_num);
    assert_string_equal(tr_str(d, "message"), "Transferring you to our billing team now.");
    char *row = tr_transfer_row(call_id);
    snprintf(expect, sizeof(expect), "%s|Billing question|true", CLINICS.bill_num);
    assert_string_equal(row, expect);
    free(row);
    row = tr_sql_str1("SELECT org_id::text || ' ' || call_sid || ' ' || status || ' ' || phone_number FROM call_logs"
                      " WHERE vapi_call_id = $1",
                      call_id);
    snprintf(expect, sizeof(expect), "%s vapi-%s in-progress %s", CLINICS.org_a, call_id, CLINICS.jane_phone);
    assert_string_equal(row, expect);
    free(row);
    tr_answer_free(&a);

    /* A department whose destination is a SIP URI; the call row exists already: updated. */
    tr_fresh_id(call_id, sizeof(call_id), "call-t2");
    const char *pc[2] = {CLINICS.org_a, call_id};
    vt_sql_exec(TR.admin,
                "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status) VALUES ($1, $2, 'vapi-' || $2, 'ringing')", 2, pc);
    a = tr_run_tool(CLINICS.asst_a, call_id, tr_tid("tr-2"), "transferCall",
                    "{\"summary\":\"Tooth pain\",\"department\":\"medical\"}");
    assert_string_equal(tr_said(&a, 0, NULL), "Transferring you to our Medical team now.");
    d = cJSON_GetObjectItem(tr_result_at(&a, 0), "destination");
    assert_string_equal(tr_str(d, "type"), "sip");
    assert_string_equal(tr_str(d, "sipUri"), "sip:medical@acme.example");
    row = tr_transfer_row(call_id);
    assert_string_equal(row, "sip:medical@acme.example|Tooth pain|true");
    free(row);
    assert_int_equal(tr_sql_long1("SELECT count(*) FROM call_logs WHERE vapi_call_id = $1 AND status = 'ringing'", call_id), 1);
    tr_answer_free(&a);

    /* Unknown department → the default number. */
    tr_fresh_id(call_id, sizeof(call_id), "call-t3");
    a = tr_run_tool(CLINICS.asst_a, call_id, tr_tid("tr-3"), "transferCall", "{\"summary\":\"?\",\"department\":\"astrology\"}");
    assert_string_equal(tr_said(&a, 0, NULL), "Transferring you to a member of our team now.");
    assert_string_equal(tr_str(cJSON_GetObjectItem(tr_result_at(&a, 0), "destination"), "number"), CLINICS.default_num);
    tr_answer_free(&a);

    /* Org B: only a SIP default. */
    tr_fresh_id(call_id, sizeof(call_id), "call-t4");
    a = tr_run_tool(CLINICS.asst_b, call_id, tr_tid("tr-4"), "transferCall", "{\"summary\":\"x\",\"department\":\"billing\"}");
    d = cJSON_GetObjectItem(tr_result_at(&a, 0), "destination");
    assert_string_equal(tr_str(d, "sipUri"), "sips:desk@beta.example");
    tr_answer_free(&a);

    /* Org C: nothing configured → a spoken fallback as a result, the request noted on the call. */
    tr_fresh_id(call_id, sizeof(call_id), "call-t5");
    a = tr_run_tool(CLINICS.asst_c, call_id, tr_tid("tr-5"), "transferCall",
                    "{\"summary\":\"Wants a manager\",\"department\":\"billing\"}");
    assert_string_equal(tr_said(&a, 0, &err),
                        "I can't transfer you right now, but I've noted your request and someone will call you back.");
    assert_false(err);
    assert_null(cJSON_GetObjectItem(tr_result_at(&a, 0), "destination"));
    row = tr_sql_str1(
        "SELECT metadata #>> '{callback_requested,reason}' FROM call_logs WHERE vapi_call_id = $1 AND transfer_to IS NULL",
        call_id);
    assert_string_equal(row, "Wants a manager");
    free(row);
    tr_answer_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer_call),
    };
    return cmocka_run_group_tests_name("tools/transfer_call", tests, setup, teardown);
}
