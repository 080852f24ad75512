/*
 * Unit tests for services/tool-router/clients/vapi_control.c's URL check — which
 * control URLs tool-router may POST a transfer to — and for the control URL
 * vapi_message.c takes from a message (call.monitor.controlUrl).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "clients/vapi_control.h"
#include "vapi_message.h"

static void test_vapi_hosts_over_https_are_allowed(void **state)
{
    assert_true(
        vapi_control_url_allowed("https://phone-call-websocket.aws-us-west-2-backend-production2.vapi.ai/7420f27a/control", NULL));
    assert_true(vapi_control_url_allowed("https://aws-us-west-2-production1-phone-call-websocket.vapi.ai/x/control", ""));
    assert_true(vapi_control_url_allowed("https://vapi.ai/x/control", NULL));
    assert_true(vapi_control_url_allowed("https://X.VAPI.AI:443/x/control", NULL));
}

static void test_everything_else_is_refused(void **state)
{
    assert_false(vapi_control_url_allowed(NULL, NULL));
    assert_false(vapi_control_url_allowed("http://x.vapi.ai/x/control", NULL)); /* not TLS */
    assert_false(vapi_control_url_allowed("https://evil.example/x.vapi.ai/control", NULL));
    assert_false(vapi_control_url_allowed("https://x.vapi.ai.evil.example/control", NULL));
    assert_false(vapi_control_url_allowed("https://notvapi.ai/control", NULL));
    assert_false(vapi_control_url_allowed("https://x.vapi.ai@evil.example/control", NULL)); /* userinfo */
    assert_false(vapi_control_url_allowed("https:///control", NULL));
    assert_false(vapi_control_url_allowed("ftp://x.vapi.ai/control", NULL));
}

static void test_trusted_prefixes(void **state)
{
    const char *allow = "http://127.0.0.1:4010/,https://control.internal.example/";
    assert_true(vapi_control_url_allowed("http://127.0.0.1:4010/call-1/control", allow));
    assert_true(vapi_control_url_allowed("https://control.internal.example/call-1/control", allow));
    assert_false(vapi_control_url_allowed("http://127.0.0.1:4011/call-1/control", allow));
    assert_false(vapi_control_url_allowed("http://localhost:4010/call-1/control", allow));
    assert_false(vapi_control_url_allowed("http://127.0.0.1:4010/call-1/control", ",,"));
}

/* Regression (issue 9): the operator's list was a strncmp prefix, so a
 * longer port, userinfo or a dot segment walked past it. An entry now names
 * a scheme, host and port exactly and a path prefix that ends at a segment. */
static void test_trusted_prefixes_are_not_string_prefixes(void **state)
{
    const char *allow = "http://127.0.0.1:4010/,https://control.internal.example/calls";
    assert_false(vapi_control_url_allowed("http://127.0.0.1:40100/call-1/control", allow)); /* a longer port */
    assert_false(vapi_control_url_allowed("http://127.0.0.1:4010@evil.example/call-1/control", allow));
    assert_false(vapi_control_url_allowed("https://control.internal.example/calls@evil.example/x", allow));
    assert_false(vapi_control_url_allowed("https://control.internal.example/callsx/1/control", allow));
    assert_false(vapi_control_url_allowed("https://control.internal.example/calls/../admin", allow));
    assert_false(vapi_control_url_allowed("https://control.internal.example/calls/%2e%2e/admin", allow));
    assert_false(vapi_control_url_allowed("https://control.internal.example/calls/./x", allow));
    assert_false(vapi_control_url_allowed("https://control.internal.example.evil.example/calls/1", allow));
    assert_false(vapi_control_url_allowed("http://control.internal.example/calls/1", allow)); /* scheme */
    assert_false(vapi_control_url_allowed("http://127.0.0.1:4010\\@evil.example/", allow));
    assert_false(vapi_control_url_allowed("https://x.vapi.ai/c1/../../admin", NULL));
    /* What the entries do allow. */
    assert_true(vapi_control_url_allowed("https://control.internal.example/calls/1/control", allow));
    assert_true(vapi_control_url_allowed("https://CONTROL.internal.example:443/calls/1/control", allow));
    assert_true(vapi_control_url_allowed("http://127.0.0.1:4010/call-1/control?x=1", allow));
}

static const char *control_url_of(const char *body, vapi_message *m)
{
    assert_int_equal(vapi_message_parse(body, strlen(body), NULL, m), VAPI_PARSE_OK);
    return m->control_url;
}

static void test_control_url_from_the_message(void **state)
{
    vapi_message m;
    assert_string_equal(control_url_of("{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"c1\",\"monitor\":{\"listenUrl\":"
                                       "\"wss://x.vapi.ai/c1/listen\",\"controlUrl\":\"https://x.vapi.ai/c1/control\"}}}}",
                                       &m),
                        "https://x.vapi.ai/c1/control");
    vapi_message_free(&m);
    /* Absent, not a string, not http(s), with a space: none. */
    assert_null(control_url_of("{\"message\":{\"type\":\"tool-calls\",\"call\":{\"id\":\"c1\"}}}", &m));
    vapi_message_free(&m);
    assert_null(control_url_of("{\"message\":{\"call\":{\"monitor\":{\"controlUrl\":42}}}}", &m));
    vapi_message_free(&m);
    assert_null(control_url_of("{\"message\":{\"call\":{\"monitor\":{\"controlUrl\":\"javascript:alert(1)\"}}}}", &m));
    vapi_message_free(&m);
    assert_null(control_url_of("{\"message\":{\"call\":{\"monitor\":{\"controlUrl\":\"https://x.vapi.ai/a b\"}}}}", &m));
    vapi_message_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vapi_hosts_over_https_are_allowed),
        cmocka_unit_test(test_everything_else_is_refused),
        cmocka_unit_test(test_trusted_prefixes),
        cmocka_unit_test(test_trusted_prefixes_are_not_string_prefixes),
        cmocka_unit_test(test_control_url_from_the_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
