/*
 * The lookupCaller tool (tools/lookup_caller.c) on real PostgreSQL, driven
 * in-process through dispatch_request as a real message of Vapi's — so its
 * read really goes through the framework's batched read path.
 *
 * Proves: one match by phone as a caller says it (no +1), by email and by
 * name case-insensitively, by a first name's beginning; "not found"; several
 * matches asked apart by the phone's last two digits; the search type
 * guessed from the key. Privacy (issue 9): whatever is searched, an answer
 * never holds another person's email, phone, last name or record id — only
 * a first name and masked hints — and a name of fewer than three letters
 * is not searched at all; only the record of the number the call comes from
 * is the caller's own (their name and last call). Bad arguments are in
 * test_dispatch.c, the pure parts in the unit test.
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

/* Nothing of John Smith's record but his first name and hints is in the answer. */
static void assert_no_detail_of_john(const tr_answer *a)
{
    assert_null(strstr(a->body, CLINICS.john_phone));
    assert_null(strstr(a->body, CLINICS.john_phone + 2)); /* nor the national number */
    assert_null(strstr(a->body, "John.Smith@"));
    assert_null(strstr(a->body, "Acme.example"));
    assert_null(strstr(a->body, "Smith"));
    assert_null(strstr(a->body, "lead_status"));
    assert_null(strstr(a->body, "days ago"));
    const char *p[1] = {CLINICS.org_a};
    char *id = vt_sql_value(TR.admin, "SELECT id::text FROM contacts WHERE org_id = $1 AND first_name = 'John'", 1, p);
    assert_null(strstr(a->body, id));
    free(id);
}

/* The one match's contact object: its first name and hints only (plus, for the caller's own, name and last call). */
static const cJSON *only_contact(const tr_answer *a, bool caller_known)
{
    const cJSON *e = tr_result_at(a, 0);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(e, "found")));
    assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItem(e, "callerKnown")), caller_known);
    const cJSON *c = cJSON_GetObjectItem(e, "contact");
    assert_non_null(c);
    for (const cJSON *f = c->child; f != NULL; f = f->next)
        if (strcmp(f->string, "firstName") != 0 && strcmp(f->string, "phoneHint") != 0 && strcmp(f->string, "emailHint") != 0 &&
            !(caller_known && (strcmp(f->string, "name") == 0 || strcmp(f->string, "lastContactedAt") == 0)))
            fail_msg("the contact has a field \"%s\": %s", f->string, a->body);
    return c;
}

static void test_lookup_caller(void **state)
{
    char args[256], hint[16];
    /* The caller's own number, as they would say it (no +1): they are known, with their last call. */
    snprintf(args, sizeof(args), "{\"searchKey\":\"(%.3s) %.3s-%s\",\"searchType\":\"phone\"}", CLINICS.john_phone + 2,
             CLINICS.john_phone + 5, CLINICS.john_phone + 8);
    tr_answer a = tr_run_tool_from(CLINICS.asst_a, NULL, "lc-1", "lookupCaller", args, CLINICS.john_phone);
    assert_int_equal(a.status, 200);
    bool err;
    const char *text = tr_said(&a, 0, &err);
    assert_false(err);
    assert_string_equal(text, "Found you, John! Your last call with us was 6 days ago.");
    const cJSON *e = tr_result_at(&a, 0);
    assert_string_equal(tr_str(e, "toolCallId"), "lc-1");
    assert_string_equal(tr_str(e, "name"), "lookupCaller");
    const cJSON *c = only_contact(&a, true);
    assert_string_equal(tr_str(c, "firstName"), "John");
    assert_string_equal(tr_str(c, "name"), "John Smith");
    assert_string_equal(tr_str(c, "emailHint"), "J***@A***.example");
    snprintf(hint, sizeof(hint), "\xe2\x80\xa6%s", CLINICS.john_phone + strlen(CLINICS.john_phone) - 2);
    assert_string_equal(tr_str(c, "phoneHint"), hint);
    assert_non_null(tr_str(c, "lastContactedAt"));
    assert_null(strstr(a.body, "John.Smith@")); /* not even the caller's own address: caller ids can be forged */
    tr_answer_free(&a);

    /* Email, case-insensitively; name, case-insensitively; a first name alone, partially. */
    a = tr_run_tool(CLINICS.asst_a, NULL, "lc-2", "lookupCaller",
                    "{\"searchKey\":\"john.smith@acme.EXAMPLE\",\"searchType\":\"email\"}");
    assert_string_equal(tr_said(&a, 0, NULL), "Found you, John!");
    tr_answer_free(&a);
    a = tr_run_tool(CLINICS.asst_a, NULL, "lc-3", "lookupCaller", "{\"searchKey\":\"  jane   DOE \",\"searchType\":\"name\"}");
    assert_non_null(strstr(tr_said(&a, 0, NULL), "Found you, Jane!")); /* Jane calls: her own record */
    assert_string_equal(tr_str(only_contact(&a, true), "name"), "Jane Doe");
    tr_answer_free(&a);
    a = tr_run_tool(CLINICS.asst_a, NULL, "lc-4", "lookupCaller", "{\"searchKey\":\"Joh\",\"searchType\":\"name\"}");
    assert_string_equal(tr_said(&a, 0, NULL), "Found you, John!");
    tr_answer_free(&a);

    /* Not found. */
    a = tr_run_tool(CLINICS.asst_a, NULL, "lc-5", "lookupCaller", "{\"searchKey\":\"Nobody Here\",\"searchType\":\"name\"}");
    text = tr_said(&a, 0, &err);
    assert_false(err);
    assert_non_null(strstr(text, "couldn't find"));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(tr_result_at(&a, 0), "found")));
    tr_answer_free(&a);

    /* Several: asks which, told apart by the phone's last two digits only. */
    a = tr_run_tool(CLINICS.asst_a, NULL, "lc-6", "lookupCaller", "{\"searchKey\":\"sam lee\",\"searchType\":\"name\"}");
    text = tr_said(&a, 0, &err);
    assert_false(err);
    char want[160];
    const char *t1 = CLINICS.sam1_phone + strlen(CLINICS.sam1_phone) - 2, *t2 = CLINICS.sam2_phone + strlen(CLINICS.sam2_phone) - 2;
    snprintf(want, sizeof(want),
             "I found 2 people who match: Sam (phone ending in %s) and Sam (phone ending in %s). Which one are you?", t1, t2);
    char other[160]; /* both were last contacted at the same time: either order */
    snprintf(other, sizeof(other),
             "I found 2 people who match: Sam (phone ending in %s) and Sam (phone ending in %s). Which one are you?", t2, t1);
    if (strcmp(text, want) != 0 && strcmp(text, other) != 0)
        fail_msg("said \"%s\"", text);
    assert_null(strstr(a.body, CLINICS.sam2_phone + 2));
    assert_null(strstr(a.body, CLINICS.sam1_phone + 2));
    assert_null(strstr(a.body, "sam.lee@"));
    assert_null(strstr(a.body, "one.example"));
    assert_null(strstr(a.body, "Lee"));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(tr_result_at(&a, 0), "multipleMatches")));
    const cJSON *list = cJSON_GetObjectItem(tr_result_at(&a, 0), "contacts");
    assert_int_equal(cJSON_GetArraySize(list), 2);
    bool masked_email = false;
    for (const cJSON *s = list->child; s != NULL; s = s->next) {
        assert_string_equal(tr_str(s, "firstName"), "Sam");
        assert_int_equal(strlen(tr_str(s, "phoneHint")), strlen("\xe2\x80\xa6") + 2);
        masked_email |= tr_str(s, "emailHint") != NULL && strcmp(tr_str(s, "emailHint"), "s***@o***.example") == 0;
    }
    assert_true(masked_email);
    tr_answer_free(&a);

    /* Searching type guessed from the key when absent. */
    snprintf(args, sizeof(args), "{\"searchKey\":\"%s\"}", CLINICS.jane_phone);
    a = tr_run_tool(CLINICS.asst_a, NULL, "lc-7", "lookupCaller", args);
    assert_non_null(strstr(tr_said(&a, 0, NULL), "Found you, Jane!"));
    tr_answer_free(&a);
}

/* A two-letter name lookup reveals no contact detail: nothing is searched. */
static void test_two_letter_name_reveals_nothing(void **state)
{
    static const char *const keys[] = {"{\"searchKey\":\"Jo\",\"searchType\":\"name\"}", "{\"searchKey\":\"jo\"}",
                                       "{\"searchKey\":\"J. S.\",\"searchType\":\"name\"}"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char id[16];
        snprintf(id, sizeof(id), "short-%zu", i);
        tr_answer a = tr_run_tool_from(CLINICS.asst_a, NULL, id, "lookupCaller", keys[i], CLINICS.jane_phone);
        bool err;
        assert_string_equal(tr_said(&a, 0, &err),
                            "I need at least three letters of a name to look someone up. Could you tell me your full name?");
        assert_true(err);
        assert_null(cJSON_GetObjectItem(tr_result_at(&a, 0), "contact"));
        assert_null(cJSON_GetObjectItem(tr_result_at(&a, 0), "contacts"));
        assert_null(strstr(a.body, "John"));
        assert_no_detail_of_john(&a);
        tr_answer_free(&a);
    }
}

/* Someone else's record — by name, by their number, by their address, from
 * another number or a web call — gives a first name and hints, never a detail. */
static void test_another_persons_record_gives_hints_only(void **state)
{
    char by_phone[128];
    snprintf(by_phone, sizeof(by_phone), "{\"searchKey\":\"%s\",\"searchType\":\"phone\"}", CLINICS.john_phone);
    const char *const searches[] = {"{\"searchKey\":\"John Smith\",\"searchType\":\"name\"}", "{\"searchKey\":\"Joh\"}", by_phone,
                                    "{\"searchKey\":\"JOHN.SMITH@acme.example\"}"};
    const char *const callers[] = {CLINICS.jane_phone, NULL};
    char hint[16];
    snprintf(hint, sizeof(hint), "\xe2\x80\xa6%s", CLINICS.john_phone + strlen(CLINICS.john_phone) - 2);
    for (size_t i = 0; i < sizeof(searches) / sizeof(searches[0]); i++) {
        for (size_t k = 0; k < 2; k++) {
            char id[16];
            snprintf(id, sizeof(id), "other-%zu-%zu", i, k);
            tr_answer a = tr_run_tool_from(CLINICS.asst_a, NULL, id, "lookupCaller", searches[i], callers[k]);
            bool err;
            assert_string_equal(tr_said(&a, 0, &err), "Found you, John!");
            assert_false(err);
            const cJSON *c = only_contact(&a, false);
            assert_string_equal(tr_str(c, "firstName"), "John");
            assert_string_equal(tr_str(c, "phoneHint"), hint);
            assert_string_equal(tr_str(c, "emailHint"), "J***@A***.example");
            assert_no_detail_of_john(&a);
            tr_answer_free(&a);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_caller),
        cmocka_unit_test(test_two_letter_name_reveals_nothing),
        cmocka_unit_test(test_another_persons_record_gives_hints_only),
    };
    return cmocka_run_group_tests_name("tools/lookup_caller", tests, setup, teardown);
}
