/*
 * Unit tests for services/credential-vault/clients/twilio.c's checks that
 * need no Twilio: the shape of a SID (twilio_sid_valid), and that a
 * malformed Account SID is refused before it reaches a URL (the base URL
 * points at a port nothing listens on: a request would be TWILIO_ERROR).
 * The requests themselves are proven against tests/fakes/twilio in
 * tests/integration/credential-vault/clients/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "clients/twilio.h"

#define GOOD_SID "AC0123456789abcdef0123456789ABCDEF"

static void test_sid_valid(void **state)
{
    assert_true(twilio_sid_valid(GOOD_SID, "AC"));
    assert_true(twilio_sid_valid("PN0123456789abcdef0123456789abcdef", "PN"));
    assert_false(twilio_sid_valid(GOOD_SID, "PN"));                              /* another prefix */
    assert_false(twilio_sid_valid("ac0123456789abcdef0123456789abcdef", "AC"));  /* prefixes are upper-case */
    assert_false(twilio_sid_valid("AC0123456789abcdef0123456789abcde", "AC"));   /* 33 characters */
    assert_false(twilio_sid_valid("AC0123456789abcdef0123456789abcdef0", "AC")); /* 35 */
    assert_false(twilio_sid_valid("AC0123456789abcdef0123456789abcdeg", "AC"));  /* not hex */
    assert_false(twilio_sid_valid("AC0123456789abcdef0123456789abc/..", "AC"));
    assert_false(twilio_sid_valid("AC0123456789abcdef0123456789abc%2F", "AC"));
    assert_false(twilio_sid_valid("", "AC"));
    assert_false(twilio_sid_valid(NULL, "AC"));
    assert_false(twilio_sid_valid(GOOD_SID, NULL));
    assert_false(twilio_sid_valid(GOOD_SID, "A"));
}

static void test_malformed_sid_is_rejected_without_a_request(void **state)
{
    const char *base = "http://127.0.0.1:9";
    char sid[35] = "stale";
    assert_int_equal(twilio_fetch_account(base, "AC../../x", "token", 200, "rid", NULL), TWILIO_REJECTED);
    assert_int_equal(twilio_fetch_account(base, NULL, "token", 200, "rid", NULL), TWILIO_REJECTED);
    assert_int_equal(
        twilio_find_incoming_number(base, "SK0123456789abcdef0123456789abcdef", "t", "+15551234567", 200, "rid", NULL, sid),
        TWILIO_REJECTED);
    assert_string_equal(sid, "");
    /* A well-formed SID is sent: nobody listens there. */
    assert_int_equal(twilio_fetch_account(base, GOOD_SID, "token", 200, "rid", NULL), TWILIO_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sid_valid),
        cmocka_unit_test(test_malformed_sid_is_rejected_without_a_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
