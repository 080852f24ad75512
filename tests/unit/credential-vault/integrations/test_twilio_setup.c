/*
 * Unit tests for services/credential-vault/integrations/twilio_setup.c: a
 * connect's progress survives the round trip through sync_state, and the
 * steps say exactly which one failed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "integrations/twilio_setup.h"

static const char *step(const cJSON *steps, const char *name)
{
    return cJSON_GetObjectItem(steps, name)->valuestring;
}

static void test_round_trip(void **state)
{
    twilio_setup s = {0}, back;
    snprintf(s.account_sid, sizeof(s.account_sid), "AC0123456789abcdef0123456789abcdef");
    snprintf(s.number, sizeof(s.number), "+15551234567");
    snprintf(s.vapi_credential_id, sizeof(s.vapi_credential_id), "cred-1");
    char *json = twilio_setup_json(&s);
    twilio_setup_parse(json, &back);
    assert_string_equal(back.account_sid, s.account_sid);
    assert_string_equal(back.number, s.number);
    assert_string_equal(back.vapi_credential_id, "cred-1");
    assert_string_equal(back.vapi_phone_number_id, "");
    assert_false(back.linked);
    free(json);
    /* Nothing usable: an empty setup, never a crash. */
    const char *junk[] = {NULL, "", "[]", "{\"accountSid\":7}", "not json"};
    for (size_t i = 0; i < 5; i++) {
        twilio_setup_parse(junk[i], &back);
        assert_string_equal(back.account_sid, "");
        assert_false(back.linked);
    }
}

static void test_steps_name_the_failure(void **state)
{
    twilio_setup s = {0};
    snprintf(s.vapi_credential_id, sizeof(s.vapi_credential_id), "cred-1");
    cJSON *steps = twilio_setup_steps(&s, true, TWILIO_STEP_NUMBER_IMPORTED);
    assert_string_equal(step(steps, "validated"), "done");
    assert_string_equal(step(steps, "stored"), "done");
    assert_string_equal(step(steps, "vapiCredential"), "done");
    assert_string_equal(step(steps, "numberImported"), "failed");
    assert_string_equal(step(steps, "linked"), "pending");
    cJSON_Delete(steps);
    snprintf(s.vapi_phone_number_id, sizeof(s.vapi_phone_number_id), "num-1");
    s.linked = true;
    steps = twilio_setup_steps(&s, true, TWILIO_STEP_COUNT);
    assert_string_equal(step(steps, "linked"), "done");
    cJSON_Delete(steps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_steps_name_the_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
