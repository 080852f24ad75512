/*
 * The lookupCaller tool (tools/lookup_caller.c) on real PostgreSQL, driven
 * in-process through dispatch_request as a real message of Vapi's — so its
 * read really goes through the framework's batched read path.
 *
 * Proves: one match by phone as a caller says it (no +1), by email and by
 * name case-insensitively, by a first name's beginning; "not found"; several
 * matches asked apart by a masked email or the last four digits only, never
 * another person's number or address; the search type guessed from the key.
 * Bad arguments are in test_dispatch.c, the pure parts in the unit test.
 */
#include "../tool_router_test.h"

static int setup(void **state)
{
    tr_open_in_process("test_lookup_caller", false);
    tr_make_clinics();
    return 0;
}

static int teardown(void **state)
{
    tr_close();
    return 0;
}

static void test_lookup_caller(void **state)
{
    char args[256];
    /* One match by phone, as a caller would say it (no +1). */
    snprintf(args, sizeof(args), "{\"searchKey\":\"(%.3s) %.3s-%s\",\"searchType\":\"phone\"}", CLINICS.john_phone + 2,
             CLINICS.john_phone + 5, CLINICS.john_phone + 8);
    tr_answer a = tr_run_tool(CLINICS.asst_a, NULL, "lc-1", "lookupCaller", args);
    assert_int_equal(a.status, 200);
    bool err;
    const char *text = tr_said(&a, 0, &err);
    assert_false(err);
    assert_non_null(strstr(text, "Found you, John!"));
    assert_non_null(strstr(text, "6 days ago"));
    const cJSON *e = tr_result_at(&a, 0);
    assert_string_equal(tr_str(e, "toolCallId"), "lc-1");
    assert_string_equal(tr_str(e, "name"), "lookupCaller");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(e, "found")));
    const cJSON *c = cJSON_GetObjectItem(e, "contact");
    assert_string_equal(tr_str(c, "name"), "John Smith");
    assert_string_equal(tr_str(c, "phone"), CLINICS.john_phone);
    assert_string_equal(tr_str(c, "email"), "John.Smith@Acme.example");
    assert_string_equal(tr_str(c, "lead_status"), "new");
    assert_non_null(tr_str(c, "last_contacted_at"));
    assert_non_null(tr_str(c, "id"));
    tr_answer_free(&a);

    /* Email, case-insensitively; name, case-insensitively; a first name alone, partially. */
    a = tr_run_tool(CLINICS.asst_a, NULL, "lc-2", "lookupCaller",
                    "{\"searchKey\":\"john.smith@acme.EXAMPLE\",\"searchType\":\"email\"}");
    assert_non_null(strstr(tr_said(&a, 0, NULL), "Found you, John!"));
    tr_answer_free(&a);
    a = tr_run_tool(CLINICS.asst_a, NULL, "lc-3", "lookupCaller", "{\"searchKey\":\"  jane   DOE \",\"searchType\":\"name\"}");
    assert_non_null(strstr(tr_said(&a, 0, NULL), "Found you, Jane!"));
    tr_answer_free(&a);
    a = tr_run_tool(CLINICS.asst_a, NULL, "lc-4", "lookupCaller", "{\"searchKey\":\"Joh\",\"searchType\":\"name\"}");
    assert_non_null(strstr(tr_said(&a, 0, NULL), "Found you, John!"));
    tr_answer_free(&a);

    /* Not found. */
    a = tr_run_tool(CLINICS.asst_a, NULL, "lc-5", "lookupCaller", "{\"searchKey\":\"Nobody Here\",\"searchType\":\"name\"}");
    text = tr_said(&a, 0, &err);
    assert_false(err);
    assert_non_null(strstr(text, "couldn't find"));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(tr_result_at(&a, 0), "found")));
    tr_answer_free(&a);

    /* Several: asks which, told apart by a masked email or the last 4 digits only. */
    a = tr_run_tool(CLINICS.asst_a, NULL, "lc-6", "lookupCaller", "{\"searchKey\":\"sam lee\",\"searchType\":\"name\"}");
    text = tr_said(&a, 0, &err);
    assert_false(err);
    assert_non_null(strstr(text, "I found 2 people"));
    assert_non_null(strstr(text, "Which one"));
    assert_non_null(strstr(text, "s\xe2\x80\xa6@one.example"));
    assert_non_null(strstr(text, CLINICS.sam2_phone + strlen(CLINICS.sam2_phone) - 4));
    assert_null(strstr(a.body, CLINICS.sam2_phone));
    assert_null(strstr(a.body, CLINICS.sam1_phone));
    assert_null(strstr(a.body, "sam.lee@one.example"));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(tr_result_at(&a, 0), "multipleMatches")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(tr_result_at(&a, 0), "contacts")), 2);
    tr_answer_free(&a);

    /* Searching type guessed from the key when absent. */
    snprintf(args, sizeof(args), "{\"searchKey\":\"%s\"}", CLINICS.jane_phone);
    a = tr_run_tool(CLINICS.asst_a, NULL, "lc-7", "lookupCaller", args);
    assert_non_null(strstr(tr_said(&a, 0, NULL), "Found you, Jane!"));
    tr_answer_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_caller),
    };
    return cmocka_run_group_tests_name("tools/lookup_caller", tests, setup, teardown);
}
