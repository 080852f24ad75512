/*
 * Unit tests for libcommon/vx_vapi_api.c's checks that
 * need no Vapi: which ids may go into a URL (vx_vapi_api_id_valid), that a
 * delete with any other id is refused before a request, and that without
 * VAPI_PRIVATE_KEY every call fails at once (logged "VAPI_PRIVATE_KEY is not
 * set"; the base URL points at a port nothing listens on, so a request would
 * have failed too — the id left empty shows none was read); and that a list
 * of calls is asked only with well-formed bounds, and a call only with its
 * assistant, number id and customer. The requests
 * themselves are proven against tests/fakes/vapi_api in
 * tests/integration/credential-vault/clients/, for GET /call
 * tests/integration/webhook-ingest/test_reconcile.c, and for POST /call
 * tests/integration/dashboard-api/test_contact_call.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vx_vapi_api.h"

static void test_id_valid(void **state)
{
    assert_true(vx_vapi_api_id_valid("5b2b7a6e-0c1d-4c53-8d9a-2f1e3c4b5a69"));
    assert_true(vx_vapi_api_id_valid("a"));
    assert_true(vx_vapi_api_id_valid("ABCxyz019-"));
    char max[VX_VAPI_API_ID_MAX + 2];
    memset(max, 'a', VX_VAPI_API_ID_MAX);
    max[VX_VAPI_API_ID_MAX] = '\0';
    assert_true(vx_vapi_api_id_valid(max));
    max[VX_VAPI_API_ID_MAX] = 'a';
    max[VX_VAPI_API_ID_MAX + 1] = '\0';
    assert_false(vx_vapi_api_id_valid(max)); /* 101 characters */
    /* Anything that could change the URL's meaning, and the empty id. */
    const char *bad[] = {"", "..", "a/b", "a?b", "a#b", "a%2Fb", "a b", "a\tb", "a_b", "a.b", "é", "a\nb", "/", "a&b=c"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (vx_vapi_api_id_valid(bad[i]))
            fail_msg("\"%s\" must not be a valid id", bad[i]);
    assert_false(vx_vapi_api_id_valid(NULL));
}

static const vx_vapi_api_config NO_SERVER = {"http://127.0.0.1:9", "key", 200};

static void test_delete_refuses_a_bad_id_without_a_request(void **state)
{
    /* NO_SERVER would give VX_VAPI_API_ERROR if anything were sent. */
    assert_int_equal(vx_vapi_api_delete_credential(&NO_SERVER, "../assistant/x", "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_delete_phone_number(&NO_SERVER, "", "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_delete_phone_number(&NO_SERVER, NULL, "rid", NULL), VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_delete_phone_number(&NO_SERVER, "abc", "rid", NULL), VX_VAPI_API_ERROR); /* sent: nobody there */
}

static void test_without_a_key_every_call_fails(void **state)
{
    const char *keys[] = {NULL, ""};
    for (size_t i = 0; i < 2; i++) {
        vx_vapi_api_config c = {"http://127.0.0.1:9", keys[i], 200};
        char id[VX_VAPI_API_ID_MAX + 1] = "stale";
        assert_int_equal(vx_vapi_api_create_twilio_credential(&c, "AC1", "t", "n", id, "rid", NULL), VX_VAPI_API_ERROR);
        assert_string_equal(id, "");
        strcpy(id, "stale");
        assert_int_equal(
            vx_vapi_api_import_twilio_number(&c, "+15551234567", "AC1", "t", "n", "https://x/vapi", NULL, id, "rid", NULL),
            VX_VAPI_API_ERROR);
        assert_string_equal(id, "");
        assert_int_equal(vx_vapi_api_delete_credential(&c, "abc", "rid", NULL), VX_VAPI_API_ERROR);
        assert_int_equal(vx_vapi_api_delete_phone_number(&c, "abc", "rid", NULL), VX_VAPI_API_ERROR);
    }
}

/* GET /call: no key, or a bound that is not an instant, fails before any request. */
static void test_list_calls_checks_before_a_request(void **state)
{
    cJSON *calls = (cJSON *)&calls; /* must be reset to NULL */
    vx_vapi_api_config nokey = {"http://127.0.0.1:9", "", 200};
    assert_int_equal(vx_vapi_api_list_calls(&nokey, "2024-07-26T22:20:57.931Z", NULL, 100, &calls, "rid"), VX_VAPI_API_ERROR);
    assert_null(calls);
    const char *bad[] = {"", "2024-07-26T22:20:57Z&limit=1000", "2024-07-26 22:20:57", "2024/07/26", NULL};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        calls = (cJSON *)&calls;
        assert_int_equal(vx_vapi_api_list_calls(&NO_SERVER, bad[i], NULL, 100, &calls, "rid"), VX_VAPI_API_REJECTED);
        assert_null(calls);
        if (bad[i] != NULL)
            assert_int_equal(vx_vapi_api_list_calls(&NO_SERVER, "2024-07-26T22:20:57.931Z", bad[i], 100, &calls, "rid"),
                             VX_VAPI_API_REJECTED);
    }
    /* Well-formed (an offset's '+' included): sent, and nobody is there. */
    assert_int_equal(
        vx_vapi_api_list_calls(&NO_SERVER, "2024-07-26T22:20:57+02:00", "2024-07-27T00:00:00.000Z", 5000, &calls, "rid"),
        VX_VAPI_API_ERROR);
    assert_null(calls);
}

/* POST /call: no key, or a missing id or number, fails before any request (http_status 0, no id). */
static void test_create_call_checks_before_a_request(void **state)
{
    vx_vapi_api_call call;
    memset(&call, 'x', sizeof(call));
    vx_vapi_api_config nokey = {"http://127.0.0.1:9", NULL, 200};
    assert_int_equal(vx_vapi_api_create_call(&nokey, "asst", "pn", "+15551234567", "Ann", &call, "rid", NULL), VX_VAPI_API_ERROR);
    assert_string_equal(call.id, "");
    assert_int_equal(call.http_status, 0);
    assert_int_equal(call.retry_after_s, 0);
    assert_int_equal(vx_vapi_api_create_call(&NO_SERVER, NULL, "pn", "+15551234567", NULL, &call, "rid", NULL),
                     VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_create_call(&NO_SERVER, "asst", "", "+15551234567", NULL, &call, "rid", NULL),
                     VX_VAPI_API_REJECTED);
    assert_int_equal(vx_vapi_api_create_call(&NO_SERVER, "asst", "pn", NULL, NULL, &call, "rid", NULL), VX_VAPI_API_REJECTED);
    /* Complete: sent, and nobody is there — no answer, so http_status 0. */
    assert_int_equal(vx_vapi_api_create_call(&NO_SERVER, "asst", "pn", "+15551234567", "Ann", &call, "rid", NULL),
                     VX_VAPI_API_ERROR);
    assert_int_equal(call.http_status, 0);
    assert_string_equal(call.id, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test(test_delete_refuses_a_bad_id_without_a_request),
        cmocka_unit_test(test_without_a_key_every_call_fails),
        cmocka_unit_test(test_list_calls_checks_before_a_request),
        cmocka_unit_test(test_create_call_checks_before_a_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
