/*
 * Unit tests for services/credential-vault/policy.c: who may ask the vault what.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "policy.h"

static void test_operations_by_name(void **state)
{
    assert_int_equal(policy_op("get"), VAULT_OP_GET);
    assert_int_equal(policy_op("google_token"), VAULT_OP_GOOGLE_TOKEN);
    assert_int_equal(policy_op("rotate"), VAULT_OP_ROTATE);
    assert_int_equal(policy_op("Get"), VAULT_OP_UNKNOWN);
    assert_int_equal(policy_op(""), VAULT_OP_UNKNOWN);
    assert_int_equal(policy_op(NULL), VAULT_OP_UNKNOWN);
}

static void test_secrets_go_only_to_those_who_act_with_them(void **state)
{
    assert_true(policy_allows("tool-router", VAULT_OP_GOOGLE_TOKEN, NULL));
    assert_false(policy_allows("tool-router", VAULT_OP_GET, "google_calendar"));
    assert_false(policy_allows("tool-router", VAULT_OP_GET, "twilio"));
    assert_true(policy_allows("notifier", VAULT_OP_GET, "twilio"));
    assert_false(policy_allows("notifier", VAULT_OP_GET, "google_calendar"));
    assert_false(policy_allows("notifier", VAULT_OP_GET, NULL));
    assert_false(policy_allows("notifier", VAULT_OP_GET, "twilio_x"));
    assert_true(policy_allows("telephony-verify", VAULT_OP_MARK, "twilio"));
    /* The gateway and dashboard-api: nothing at all; operators never read a secret. */
    for (vault_op op = VAULT_OP_GET; op < VAULT_OP_UNKNOWN; op++) {
        assert_false(policy_allows("gateway", op, "twilio"));
        assert_false(policy_allows("dashboard-api", op, "twilio"));
        assert_false(policy_allows("", op, "twilio"));
        assert_false(policy_allows(NULL, op, "twilio"));
    }
    assert_false(policy_allows("admin", VAULT_OP_GET, "twilio"));
    assert_false(policy_allows("admin", VAULT_OP_GOOGLE_TOKEN, NULL));
    assert_true(policy_allows("admin", VAULT_OP_ROTATE, NULL));
    assert_false(policy_allows("tool-router", VAULT_OP_UNKNOWN, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_operations_by_name),
        cmocka_unit_test(test_secrets_go_only_to_those_who_act_with_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
