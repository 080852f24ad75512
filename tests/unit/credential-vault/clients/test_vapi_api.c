/*
 * Unit tests for services/credential-vault/clients/vapi_api.c's checks that
 * need no Vapi: which ids may go into a URL (vapi_api_id_valid), that a
 * delete with any other id is refused before a request, and that without
 * VAPI_PRIVATE_KEY every call fails at once (logged "VAPI_PRIVATE_KEY is not
 * set"; the base URL points at a port nothing listens on, so a request would
 * have failed too — the id left empty shows none was read). The requests
 * themselves are proven against tests/fakes/vapi_api in
 * tests/integration/credential-vault/clients/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "clients/vapi_api.h"

static void test_id_valid(void **state)
{
    assert_true(vapi_api_id_valid("5b2b7a6e-0c1d-4c53-8d9a-2f1e3c4b5a69"));
    assert_true(vapi_api_id_valid("a"));
    assert_true(vapi_api_id_valid("ABCxyz019-"));
    char max[VAPI_API_ID_MAX + 2];
    memset(max, 'a', VAPI_API_ID_MAX);
    max[VAPI_API_ID_MAX] = '\0';
    assert_true(vapi_api_id_valid(max));
    max[VAPI_API_ID_MAX] = 'a';
    max[VAPI_API_ID_MAX + 1] = '\0';
    assert_false(vapi_api_id_valid(max)); /* 101 characters */
    /* Anything that could change the URL's meaning, and the empty id. */
    const char *bad[] = {"", "..", "a/b", "a?b", "a#b", "a%2Fb", "a b", "a\tb", "a_b", "a.b", "é", "a\nb", "/", "a&b=c"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (vapi_api_id_valid(bad[i]))
            fail_msg("\"%s\" must not be a valid id", bad[i]);
    assert_false(vapi_api_id_valid(NULL));
}

static const vapi_api_config NO_SERVER = {"http://127.0.0.1:9", "key", 200};

static void test_delete_refuses_a_bad_id_without_a_request(void **state)
{
    /* NO_SERVER would give VAPI_API_ERROR if anything were sent. */
    assert_int_equal(vapi_api_delete_credential(&NO_SERVER, "../assistant/x", "rid", NULL), VAPI_API_REJECTED);
    assert_int_equal(vapi_api_delete_phone_number(&NO_SERVER, "", "rid", NULL), VAPI_API_REJECTED);
    assert_int_equal(vapi_api_delete_phone_number(&NO_SERVER, NULL, "rid", NULL), VAPI_API_REJECTED);
    assert_int_equal(vapi_api_delete_phone_number(&NO_SERVER, "abc", "rid", NULL), VAPI_API_ERROR); /* sent: nobody there */
}

static void test_without_a_key_every_call_fails(void **state)
{
    const char *keys[] = {NULL, ""};
    for (size_t i = 0; i < 2; i++) {
        vapi_api_config c = {"http://127.0.0.1:9", keys[i], 200};
        char id[VAPI_API_ID_MAX + 1] = "stale";
        assert_int_equal(vapi_api_create_twilio_credential(&c, "AC1", "t", "n", id, "rid", NULL), VAPI_API_ERROR);
        assert_string_equal(id, "");
        strcpy(id, "stale");
        assert_int_equal(
            vapi_api_import_twilio_number(&c, "+15551234567", "AC1", "t", "n", "https://x/vapi", NULL, id, "rid", NULL),
            VAPI_API_ERROR);
        assert_string_equal(id, "");
        assert_int_equal(vapi_api_delete_credential(&c, "abc", "rid", NULL), VAPI_API_ERROR);
        assert_int_equal(vapi_api_delete_phone_number(&c, "abc", "rid", NULL), VAPI_API_ERROR);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test(test_delete_refuses_a_bad_id_without_a_request),
        cmocka_unit_test(test_without_a_key_every_call_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
