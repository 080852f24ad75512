/*
 * Unit tests of the pure parts of services/gateway/sse.c and events.c: an
 * event's SSE frame (id, event, data on one line whatever the JSON's
 * whitespace, nothing a publisher sends can add a field or end the frame
 * early), Last-Event-ID and ?lastEventId= parsing, and turning a stored
 * DomainEvent into an item (refused when its org or type is not its
 * subject's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "events.h"
#include "sse.h"
#include "voxanne/v1/events.pb-c.h"

#define ORG   "0b8e9a44-6c1f-4f7e-9d55-2f1b7a3c9e10"
#define OTHER "5f0c2a9e-1111-4a2b-8c3d-9e8f7a6b5c4d"

static void test_frame_shape(void **state)
{
    vx_buf b = VX_BUF_INIT;
    const char *data = "{\"callId\":\"c-1\",\"durationSeconds\":42}";
    sse_format_frame(&b, 17, "call.ended", 10, data, strlen(data));
    assert_string_equal(b.data, "id: 17\nevent: call.ended\ndata: {\"callId\":\"c-1\",\"durationSeconds\":42}\n\n");
    vx_buf_free(&b);
}

static void test_frame_data_is_one_line(void **state)
{
    vx_buf b = VX_BUF_INIT;
    /* Pretty-printed JSON, CRLF, and a publisher trying to add a field. */
    const char data[] = "{\r\n  \"a\": 1,\n  \"b\": \"x\"\n}\n\nid: 999\nevent: forged\n";
    sse_format_frame(&b, 3, "call.started", 12, data, sizeof(data) - 1);
    /* Exactly three lines then the blank one. */
    const char *end = strstr(b.data, "\n\n");
    assert_non_null(end);
    assert_int_equal((size_t)(end - b.data) + 2, b.len);
    assert_null(strstr(b.data, "\nid: 999"));
    assert_null(strstr(b.data, "\nevent: forged"));
    assert_non_null(strstr(b.data, "data: {    \"a\": 1,   \"b\": \"x\" }  id: 999 event: forged \n\n"));
    vx_buf_free(&b);
}

static void test_frame_drops_nul_and_control_in_type(void **state)
{
    vx_buf b = VX_BUF_INIT;
    const char data[] = {'{', '}', '\0', '!'};
    sse_format_frame(&b, 1, "call\n.ended x", 13, data, sizeof(data));
    assert_int_equal(b.len, strlen(b.data)); /* no NUL inside */
    assert_string_equal(b.data, "id: 1\nevent: call.endedx\ndata: {}!\n\n");
    vx_buf_free(&b);
}

static void test_last_event_id(void **state)
{
    uint64_t id = 0;
    assert_int_equal(sse_parse_last_event_id("42", 2, &id), 0);
    assert_int_equal(id, 42);
    assert_int_equal(sse_parse_last_event_id(" 7\t", 3, &id), 0);
    assert_int_equal(id, 7);
    assert_int_equal(sse_parse_last_event_id("0", 1, &id), 0);
    assert_int_equal(id, 0);
    assert_int_equal(sse_parse_last_event_id("9223372036854775807", 19, &id), 0);
    assert_true(id == (uint64_t)INT64_MAX);
    /* Malformed: refused, never guessed at. */
    const char *bad[] = {"", " ", "-1", "+1", "1.5", "12abc", "0x10", "9223372036854775808", "18446744073709551616", "1 2"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(sse_parse_last_event_id(bad[i], strlen(bad[i]), &id), -1);
}

static void test_query_value(void **state)
{
    const char *v;
    size_t n;
    const char *q = "a=1&lastEventId=77&b";
    assert_true(sse_query_value(q, strlen(q), "lastEventId", &v, &n));
    assert_int_equal(n, 2);
    assert_memory_equal(v, "77", 2);
    assert_true(sse_query_value(q, strlen(q), "b", &v, &n));
    assert_int_equal(n, 0);
    assert_false(sse_query_value(q, strlen(q), "last", &v, &n));
    assert_false(sse_query_value(q, strlen(q), "EventId", &v, &n));
    assert_false(sse_query_value("", 0, "lastEventId", &v, &n));
    /* The first one wins. */
    q = "lastEventId=1&lastEventId=2";
    assert_true(sse_query_value(q, strlen(q), "lastEventId", &v, &n));
    assert_memory_equal(v, "1", 1);
}

/* A packed DomainEvent, malloc'd. */
static uint8_t *pack_event(const char *org, const char *type, const char *json, size_t *len)
{
    Voxanne__V1__DomainEvent ev = VOXANNE__V1__DOMAIN_EVENT__INIT;
    ev.org_id = (char *)org;
    ev.type = (char *)type;
    ev.data_json.data = (uint8_t *)json;
    ev.data_json.len = strlen(json);
    *len = voxanne__v1__domain_event__get_packed_size(&ev);
    uint8_t *buf = malloc(*len + 1);
    voxanne__v1__domain_event__pack(&ev, buf);
    return buf;
}

static void test_item_from_a_stored_event(void **state)
{
    size_t len;
    uint8_t *buf = pack_event(ORG, "call.ended", "{\"x\":1}", &len);
    events_item *it = events_item_from_msg("events.org." ORG ".call.ended", buf, len, 123);
    assert_non_null(it);
    assert_int_equal(it->seq, 123);
    assert_string_equal(it->org_id, ORG);
    assert_string_equal(it->frame, "id: 123\nevent: call.ended\ndata: {\"x\":1}\n\n");
    assert_int_equal(it->len, strlen(it->frame));
    events_item_unref(events_item_ref(it));
    events_item_unref(it);
    free(buf);
}

static void test_item_refused_when_not_its_subjects(void **state)
{
    size_t len;
    uint8_t *buf = pack_event(ORG, "call.ended", "{}", &len);
    /* Another org's subject: the payload cannot move an event to an org. */
    assert_null(events_item_from_msg("events.org." OTHER ".call.ended", buf, len, 1));
    assert_null(events_item_from_msg("events.org." ORG ".call.started", buf, len, 1));
    assert_null(events_item_from_msg("events.org." ORG, buf, len, 1));
    assert_null(events_item_from_msg("vapi.msg.call.ended", buf, len, 1));
    assert_null(events_item_from_msg("events.org." ORG ".call.ended", "\xff\xff\xff", 3, 1));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_shape),
        cmocka_unit_test(test_frame_data_is_one_line),
        cmocka_unit_test(test_frame_drops_nul_and_control_in_type),
        cmocka_unit_test(test_last_event_id),
        cmocka_unit_test(test_query_value),
        cmocka_unit_test(test_item_from_a_stored_event),
        cmocka_unit_test(test_item_refused_when_not_its_subjects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
