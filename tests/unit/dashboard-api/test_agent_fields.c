/*
 * Unit test of services/dashboard-api/agent_fields.c: the body of PUT
 * /api/agent, normalized into the values the SQL takes, or refused with the
 * code (naming the field) and message the dashboard shows — every rule,
 * each bad value on its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent_fields.h"
#include "vx_buf.h"

static int parse(const char *body, agent_fields *f, agent_fields_error *err)
{
    return agent_fields_parse(body, body != NULL ? strlen(body) : 0, f, err);
}

/* Fails unless body is accepted with exactly the normalized values expected
 * (JSON) and the present bits. */
static void assert_accepted(const char *body, const char *expected, unsigned present)
{
    agent_fields f;
    agent_fields_error err;
    if (parse(body, &f, &err) != 0)
        fail_msg("refused %s: %s %s", body, err.code, err.message);
    cJSON *want = cJSON_Parse(expected);
    assert_non_null(want);
    if (!cJSON_Compare(f.values, want, true)) {
        char *got = cJSON_PrintUnformatted(f.values);
        fail_msg("%s: expected %s, got %s", body, expected, got);
    }
    assert_int_equal(f.present, present);
    cJSON_Delete(want);
    agent_fields_clear(&f);
    assert_null(f.values);
    assert_int_equal(f.present, 0);
}

/* Fails unless body is refused with code, a message naming what (when not
 * NULL), and nothing kept. */
static void assert_refused_naming(const char *body, const char *code, const char *what)
{
    agent_fields f;
    agent_fields_error err;
    if (parse(body, &f, &err) != -1)
        fail_msg("accepted: %s", body);
    if (strcmp(err.code, code) != 0)
        fail_msg("%s: expected %s, got %s (%s)", body, code, err.code, err.message);
    assert_true(err.message[0] != '\0');
    if (what != NULL && strstr(err.message, what) == NULL)
        fail_msg("%s: the message does not name %s: %s", body, what, err.message);
    assert_null(f.values);
    assert_int_equal(f.present, 0);
}

static void assert_refused(const char *body, const char *code)
{
    assert_refused_naming(body, code, NULL);
}

/* {"<key>": <value>} as a malloc'd string. */
static char *one(const char *key, const char *value)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_printf(&b, "{\"%s\":%s}", key, value);
    return vx_buf_steal(&b);
}

static void assert_value_refused(const char *key, const char *value, const char *code)
{
    char *body = one(key, value);
    assert_refused_naming(body, code, key);
    free(body);
}

static void assert_value_accepted(const char *key, const char *value, const char *normalized, unsigned bit)
{
    char *body = one(key, value);
    char *want = one(key, normalized);
    assert_accepted(body, want, bit);
    free(body);
    free(want);
}

/* A JSON string of n copies of unit (a UTF-8 character). */
static char *repeated(const char *unit, size_t n)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_putc(&b, '"');
    for (size_t i = 0; i < n; i++)
        vx_buf_puts(&b, unit);
    vx_buf_putc(&b, '"');
    return vx_buf_steal(&b);
}

/* ------------------------------------------------------------ the body */

static void test_whole_configuration_normalized(void **state)
{
    assert_accepted(
        "{\"name\":\"  Front Desk \",\"voice\":{\"voice_id\":\" rachel \",\"provider\":\"11labs\"},"
        "\"first_message\":\" Hello, this is the clinic. \",\"system_prompt\":\"  Be kind.\\nAlways.  \","
        "\"timezone\":\"Europe/London\",\"slot_minutes\":45,\"buffer_minutes\":10,"
        "\"business_hours\":{\"monday\":[{\"opens\":\"13:00\",\"closes\":\"17:00\"},{\"closes\":\"12:00\",\"opens\":\"09:00\"}],"
        "\"sunday\":[]},"
        "\"transfer_phone_number\":\"+15551234567\",\"transfer_sip_uri\":\"sip:desk@clinic.example\","
        "\"transfer_departments\":{\" billing \":\"+15551112222\",\"Front Desk\":\"sips:desk@pbx.clinic.example:5061\"},"
        "\"services_offered\":[\"0F8FAD5B-D9CB-469F-A165-70867728950E\",\"0f8fad5b-d9cb-469f-a165-70867728950e\","
        "\"7c9e6679-7425-40de-944b-e07fc1f90ae7\"]}",
        "{\"name\":\"Front Desk\",\"voice\":{\"provider\":\"11labs\",\"voice_id\":\"rachel\"},"
        "\"first_message\":\"Hello, this is the clinic.\",\"system_prompt\":\"  Be kind.\\nAlways.  \","
        "\"timezone\":\"Europe/London\",\"slot_minutes\":45,\"buffer_minutes\":10,"
        "\"business_hours\":{\"monday\":[{\"opens\":\"09:00\",\"closes\":\"12:00\"},{\"opens\":\"13:00\",\"closes\":\"17:00\"}],"
        "\"sunday\":[]},"
        "\"transfer_phone_number\":\"+15551234567\",\"transfer_sip_uri\":\"sip:desk@clinic.example\","
        "\"transfer_departments\":{\"billing\":\"+15551112222\",\"Front Desk\":\"sips:desk@pbx.clinic.example:5061\"},"
        "\"services_offered\":[\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"7c9e6679-7425-40de-944b-e07fc1f90ae7\"]}",
        AGENT_FIELD_NAME | AGENT_FIELD_VOICE | AGENT_FIELD_FIRST_MESSAGE | AGENT_FIELD_SYSTEM_PROMPT | AGENT_FIELD_TIMEZONE |
            AGENT_FIELD_SLOT_MINUTES | AGENT_FIELD_BUFFER_MINUTES | AGENT_FIELD_BUSINESS_HOURS | AGENT_FIELD_TRANSFER_PHONE_NUMBER |
            AGENT_FIELD_TRANSFER_SIP_URI | AGENT_FIELD_TRANSFER_DEPARTMENTS | AGENT_FIELD_SERVICES_OFFERED);
}

static void test_partial_body_names_only_its_fields(void **state)
{
    assert_accepted("{\"slot_minutes\":30}", "{\"slot_minutes\":30}", AGENT_FIELD_SLOT_MINUTES);
    assert_accepted("{\"voice\":null,\"first_message\":null,\"transfer_sip_uri\":null}",
                    "{\"voice\":null,\"first_message\":null,\"transfer_sip_uri\":null}",
                    AGENT_FIELD_VOICE | AGENT_FIELD_FIRST_MESSAGE | AGENT_FIELD_TRANSFER_SIP_URI);
}

static void test_body_shape(void **state)
{
    static const char *const not_an_object[] = {NULL,
                                                "",
                                                "   ",
                                                "not json",
                                                "[]",
                                                "null",
                                                "5",
                                                "\"name\"",
                                                "{\"name\":\"A\"",
                                                "{\"name\":\"A\"} {}",
                                                "{\"name\":\"A\\u0000B\"}"};
    for (size_t i = 0; i < sizeof not_an_object / sizeof not_an_object[0]; i++)
        assert_refused(not_an_object[i], "invalid_json");
    assert_refused("{}", "empty_update");
    assert_refused_naming("{\"nmae\":\"Front Desk\"}", "unknown_field", "nmae");
    assert_refused_naming("{\"name\":\"A\",\"org_id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\"}", "unknown_field", "org_id");
    assert_refused_naming("{\"hot_lead_threshold\":50}", "unknown_field", "hot_lead_threshold");
    assert_refused_naming("{\"name\":\"A\",\"version\":3}", "read_only_field", "version");
    assert_refused_naming("{\"sync\":{\"state\":\"synced\"}}", "read_only_field", "sync");
    assert_refused_naming("{\"name\":\"A\",\"name\":\"B\"}", "duplicate_field", "name");
    /* A valid field does not carry an invalid one through, in either order. */
    assert_refused("{\"name\":\"A\",\"slot_minutes\":1}", "invalid_slot_minutes");
    assert_refused("{\"slot_minutes\":1,\"name\":\"A\"}", "invalid_slot_minutes");
    /* A huge unknown key is quoted within a bounded message. */
    vx_buf huge = VX_BUF_INIT;
    vx_buf_puts(&huge, "{\"");
    for (int i = 0; i < 5000; i++)
        vx_buf_putc(&huge, 'k');
    vx_buf_puts(&huge, "\":1}");
    agent_fields f;
    agent_fields_error err;
    assert_int_equal(parse(huge.data, &f, &err), -1);
    assert_string_equal(err.code, "unknown_field");
    assert_non_null(strstr(err.message, "kkk..."));
    vx_buf_free(&huge);
}

/* ------------------------------------------------------------ each field */

static void test_name(void **state)
{
    char *forty = repeated("é", 40), *forty_one = repeated("a", 41);
    assert_value_accepted("name", forty, forty, AGENT_FIELD_NAME);
    assert_value_accepted("name", "\"\\tDr. Smith's desk \"", "\"Dr. Smith's desk\"", AGENT_FIELD_NAME);
    static const char *const bad[] = {"\"\"", "\"   \"", "\"a\\nb\"", "\"a\\u0007\"", "null", "5", "true", "[\"a\"]", "{}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_value_refused("name", bad[i], "invalid_name");
    assert_value_refused("name", forty_one, "invalid_name");
    free(forty);
    free(forty_one);
}

static void test_voice(void **state)
{
    static const char *const providers[] = {AGENT_FIELDS_VOICE_PROVIDERS};
    for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++) {
        char v[128];
        snprintf(v, sizeof v, "{\"provider\":\"%s\",\"voice_id\":\"v1\"}", providers[i]);
        assert_value_accepted("voice", v, v, AGENT_FIELD_VOICE);
    }
    assert_value_accepted("voice", "null", "null", AGENT_FIELD_VOICE);
    /* An unknown provider: the message lists the known ones. */
    assert_refused_naming("{\"voice\":{\"provider\":\"elevenlabs\",\"voice_id\":\"v1\"}}", "invalid_voice", "11labs, azure");
    char *long_id = repeated("x", AGENT_FIELDS_VOICE_ID_MAX + 1), *max_id = repeated("x", AGENT_FIELDS_VOICE_ID_MAX);
    char body[512];
    snprintf(body, sizeof body, "{\"provider\":\"vapi\",\"voice_id\":%s}", max_id);
    assert_value_accepted("voice", body, body, AGENT_FIELD_VOICE);
    snprintf(body, sizeof body, "{\"provider\":\"vapi\",\"voice_id\":%s}", long_id);
    assert_value_refused("voice", body, "invalid_voice");
    static const char *const bad[] = {
        "\"11labs\"",
        "{}",
        "{\"provider\":\"11labs\"}",
        "{\"voice_id\":\"v1\"}",
        "{\"provider\":\"11labs\",\"voice_id\":\"v1\",\"model\":\"eleven_turbo\"}",
        "{\"provider\":\"11labs\",\"voice_id\":\"v1\",\"voice_id\":\"v2\"}",
        "{\"provider\":\"11Labs\",\"voice_id\":\"v1\"}",
        "{\"provider\":5,\"voice_id\":\"v1\"}",
        "{\"provider\":\"11labs\",\"voice_id\":\"\"}",
        "{\"provider\":\"11labs\",\"voice_id\":\"  \"}",
        "{\"provider\":\"11labs\",\"voice_id\":null}",
        "{\"provider\":\"11labs\",\"voice_id\":\"a\\tb\"}",
        "[\"11labs\",\"v1\"]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_value_refused("voice", bad[i], "invalid_voice");
    free(long_id);
    free(max_id);
}

static void test_first_message(void **state)
{
    char *max = repeated("ü", AGENT_FIELDS_FIRST_MESSAGE_MAX), *over = repeated("a", AGENT_FIELDS_FIRST_MESSAGE_MAX + 1);
    assert_value_accepted("first_message", max, max, AGENT_FIELD_FIRST_MESSAGE);
    assert_value_accepted("first_message", "\" Hi! \"", "\"Hi!\"", AGENT_FIELD_FIRST_MESSAGE);
    assert_value_accepted("first_message", "null", "null", AGENT_FIELD_FIRST_MESSAGE);
    assert_value_refused("first_message", over, "invalid_first_message");
    static const char *const bad[] = {"\"\"", "\" \"", "\"Hi\\nthere\"", "5", "false", "{}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_value_refused("first_message", bad[i], "invalid_first_message");
    free(max);
    free(over);
}

static void test_system_prompt(void **state)
{
    char *max = repeated("é", AGENT_FIELDS_PROMPT_MAX), *over = repeated("a", AGENT_FIELDS_PROMPT_MAX + 1);
    assert_value_accepted("system_prompt", max, max, AGENT_FIELD_SYSTEM_PROMPT);
    assert_value_accepted("system_prompt", "\"\"", "\"\"", AGENT_FIELD_SYSTEM_PROMPT);
    /* Kept as typed: lines, tabs, surrounding spaces. */
    assert_value_accepted("system_prompt", "\" One.\\r\\n\\tTwo. \"", "\" One.\\r\\n\\tTwo. \"", AGENT_FIELD_SYSTEM_PROMPT);
    assert_value_refused("system_prompt", over, "invalid_system_prompt");
    static const char *const bad[] = {"null", "5", "[\"a\"]", "\"bell\\u0007\"", "\"del\\u007f\"", "\"esc\\u001b[0m\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_value_refused("system_prompt", bad[i], "invalid_system_prompt");
    free(max);
    free(over);
}

static void test_timezone(void **state)
{
    static const char *const good[] = {"UTC",       "America/New_York",       "Europe/London",    "America/Argentina/Buenos_Aires",
                                       "Etc/GMT+5", "America/Port-au-Prince", "Mars/Olympus_Mons"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_true(agent_fields_timezone_shape(good[i]));
        char v[80];
        snprintf(v, sizeof v, "\"%s\"", good[i]);
        assert_value_accepted("timezone", v, v, AGENT_FIELD_TIMEZONE);
    }
    /* Mars/Olympus_Mons has the shape: the database's tz data refuses it (integration test). */
    static const char *const bad[] = {"",
                                      "utc",
                                      "EST",
                                      "GMT",
                                      "foo+5",
                                      "America/",
                                      "/Europe/London",
                                      "america/new_york",
                                      "America/New York",
                                      "America//New_York",
                                      "A/B/C/D",
                                      "Europe/London\\n",
                                      "America/New_York_and_then_a_very_long_suffix_beyond_the_limit_of_64"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char v[128];
        snprintf(v, sizeof v, "\"%s\"", bad[i]);
        assert_value_refused("timezone", v, "invalid_timezone");
    }
    assert_value_refused("timezone", "null", "invalid_timezone");
    assert_value_refused("timezone", "-5", "invalid_timezone");
}

static void test_slot_and_buffer_minutes(void **state)
{
    assert_value_accepted("slot_minutes", "5", "5", AGENT_FIELD_SLOT_MINUTES);
    assert_value_accepted("slot_minutes", "480", "480", AGENT_FIELD_SLOT_MINUTES);
    assert_value_accepted("slot_minutes", "30.0", "30", AGENT_FIELD_SLOT_MINUTES);
    static const char *const bad_slot[] = {"4", "481", "0", "-30", "30.5", "\"30\"", "null", "true", "1e300", "[30]"};
    for (size_t i = 0; i < sizeof bad_slot / sizeof bad_slot[0]; i++)
        assert_value_refused("slot_minutes", bad_slot[i], "invalid_slot_minutes");
    assert_value_accepted("buffer_minutes", "0", "0", AGENT_FIELD_BUFFER_MINUTES);
    assert_value_accepted("buffer_minutes", "240", "240", AGENT_FIELD_BUFFER_MINUTES);
    static const char *const bad_buffer[] = {"-1", "241", "2.5", "\"10\"", "null", "false"};
    for (size_t i = 0; i < sizeof bad_buffer / sizeof bad_buffer[0]; i++)
        assert_value_refused("buffer_minutes", bad_buffer[i], "invalid_buffer_minutes");
}

static void test_business_hours_accepted(void **state)
{
    /* Every day, split days sorted by opening, touching intervals, the whole day. */
    assert_value_accepted("business_hours",
                          "{\"sunday\":[],\"monday\":[{\"opens\":\"12:00\",\"closes\":\"17:00\"},{\"opens\":\"08:00\",\"closes\":"
                          "\"12:00\"}],\"tuesday\":[{\"opens\":\"00:00\",\"closes\":\"23:59\"}],\"wednesday\":[],\"thursday\":[],"
                          "\"friday\":[{\"opens\":\"09:30\",\"closes\":\"09:31\"}],\"saturday\":[]}",
                          "{\"sunday\":[],\"monday\":[{\"opens\":\"08:00\",\"closes\":\"12:00\"},{\"opens\":\"12:00\",\"closes\":"
                          "\"17:00\"}],\"tuesday\":[{\"opens\":\"00:00\",\"closes\":\"23:59\"}],\"wednesday\":[],\"thursday\":[],"
                          "\"friday\":[{\"opens\":\"09:30\",\"closes\":\"09:31\"}],\"saturday\":[]}",
                          AGENT_FIELD_BUSINESS_HOURS);
    assert_value_accepted("business_hours", "{}", "{}", AGENT_FIELD_BUSINESS_HOURS);
    /* Eight intervals a day at most. */
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "{\"monday\":[");
    for (int i = 0; i < AGENT_FIELDS_INTERVALS_MAX; i++)
        vx_buf_printf(&b, "%s{\"opens\":\"%02d:00\",\"closes\":\"%02d:30\"}", i ? "," : "", 8 + i, 8 + i);
    vx_buf_puts(&b, "]}");
    agent_fields f;
    agent_fields_error err;
    char *body = one("business_hours", b.data);
    assert_int_equal(parse(body, &f, &err), 0);
    agent_fields_clear(&f);
    free(body);
    vx_buf_free(&b);
}

static void test_business_hours_refused(void **state)
{
    static const struct {
        const char *value, *named; /* what the message must name */
    } bad[] = {
        {"[]", "business_hours"},
        {"null", "business_hours"},
        {"{\"monday\":{\"opens\":\"09:00\",\"closes\":\"17:00\"}}", "monday"},
        {"{\"Monday\":[]}", "Monday"},
        {"{\"mon\":[]}", "mon"},
        {"{\"holiday\":[]}", "holiday"},
        {"{\"monday\":[],\"monday\":[]}", "monday"},
        /* closing before opening, or at it */
        {"{\"monday\":[{\"opens\":\"17:00\",\"closes\":\"09:00\"}]}", "17:00-09:00 closes before it opens"},
        {"{\"monday\":[{\"opens\":\"09:00\",\"closes\":\"09:00\"}]}", "closes before it opens"},
        /* overlapping, in any order */
        {"{\"tuesday\":[{\"opens\":\"09:00\",\"closes\":\"12:00\"},{\"opens\":\"11:00\",\"closes\":\"14:00\"}]}",
         "09:00-12:00 and 11:00-14:00 overlap"},
        {"{\"tuesday\":[{\"opens\":\"11:00\",\"closes\":\"14:00\"},{\"opens\":\"09:00\",\"closes\":\"12:00\"}]}", "overlap"},
        {"{\"tuesday\":[{\"opens\":\"09:00\",\"closes\":\"17:00\"},{\"opens\":\"10:00\",\"closes\":\"11:00\"}]}", "overlap"},
        {"{\"tuesday\":[{\"opens\":\"09:00\",\"closes\":\"17:00\"},{\"opens\":\"09:00\",\"closes\":\"17:00\"}]}", "overlap"},
        /* times that are not HH:MM of a day */
        {"{\"monday\":[{\"opens\":\"9:00\",\"closes\":\"17:00\"}]}", "monday[0]"},
        {"{\"monday\":[{\"opens\":\"09:00\",\"closes\":\"24:00\"}]}", "monday[0]"},
        {"{\"monday\":[{\"opens\":\"09:60\",\"closes\":\"17:00\"}]}", "monday[0]"},
        {"{\"monday\":[{\"opens\":\"09:00:00\",\"closes\":\"17:00\"}]}", "monday[0]"},
        {"{\"monday\":[{\"opens\":\"09h00\",\"closes\":\"17:00\"}]}", "monday[0]"},
        {"{\"monday\":[{\"opens\":\"-9:00\",\"closes\":\"17:00\"}]}", "monday[0]"},
        {"{\"monday\":[{\"opens\":900,\"closes\":1700}]}", "monday[0]"},
        {"{\"monday\":[{\"opens\":\"09:00\"}]}", "monday[0]"},
        {"{\"monday\":[{\"opens\":\"09:00\",\"closes\":\"17:00\",\"note\":\"x\"}]}", "monday[0]"},
        {"{\"monday\":[{\"opens\":\"09:00\",\"opens\":\"10:00\",\"closes\":\"17:00\"}]}", "monday[0]"},
        {"{\"friday\":[{\"opens\":\"09:00\",\"closes\":\"12:00\"},[\"13:00\",\"17:00\"]]}", "friday[1]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *body = one("business_hours", bad[i].value);
        assert_refused_naming(body, "invalid_business_hours", bad[i].named);
        free(body);
    }
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "{\"monday\":[");
    for (int i = 0; i <= AGENT_FIELDS_INTERVALS_MAX; i++)
        vx_buf_printf(&b, "%s{\"opens\":\"%02d:00\",\"closes\":\"%02d:30\"}", i ? "," : "", 8 + i, 8 + i);
    vx_buf_puts(&b, "]}");
    assert_value_refused("business_hours", b.data, "invalid_business_hours");
    vx_buf_free(&b);
}

static void test_transfer_phone_number(void **state)
{
    assert_value_accepted("transfer_phone_number", "\"+15551234567\"", "\"+15551234567\"", AGENT_FIELD_TRANSFER_PHONE_NUMBER);
    assert_value_accepted("transfer_phone_number", "\"+4420791234\"", "\"+4420791234\"", AGENT_FIELD_TRANSFER_PHONE_NUMBER);
    assert_value_accepted("transfer_phone_number", "null", "null", AGENT_FIELD_TRANSFER_PHONE_NUMBER);
    static const char *const bad[] = {"\"5551234567\"",
                                      "\"+05551234567\"",
                                      "\"+1 555 123 4567\"",
                                      "\"+1-555-123-4567\"",
                                      "\"+123456\"",
                                      "\"+1234567890123456\"",
                                      "\"\"",
                                      "15551234567",
                                      "\"+1555123456a\"",
                                      "\"sip:desk@clinic.example\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_value_refused("transfer_phone_number", bad[i], "invalid_transfer_phone_number");
}

static const char *const GOOD_SIP[] = {
    "sip:desk@clinic.example",         "sips:front-desk@pbx.clinic.example:5061",
    "sip:1001@192.168.1.10",           "sip:alice@[2001:db8::1]:5060;transport=tls",
    "sip:%61lice@clinic.example",      "sip:user@host;transport=udp;lr",
    "sip:+15551234567@sip.twilio.com", "sip:desk@clinic",
    "sip:desk@clinic.example.",        "sip:a.b-c_d!~*'()&=+$,;?/@clinic.example",
};

static const char *const BAD_SIP[] = {
    "desk@clinic.example",
    "http://clinic.example",
    "tel:+15551234567",
    "SIP:desk@clinic.example",
    "sip:clinic.example",
    "sip:@clinic.example",
    "sip:desk@",
    "sip:desk@@clinic.example",
    "sip:user:secret@clinic.example",
    "sip:desk@clinic.example?subject=hello",
    "sip:desk@-clinic.example",
    "sip:desk@clinic-.example",
    "sip:desk@clinic..example",
    "sip:desk@.clinic.example",
    "sip:desk@clinic.example:0",
    "sip:desk@clinic.example:70000",
    "sip:desk@clinic.example:123456",
    "sip:desk@clinic.example:",
    "sip:desk@clinic.example:50a",
    "sip:de sk@clinic.example",
    "sip:desk@clinic example",
    "sip:desk@clinic.example;",
    "sip:desk@clinic.example;=x",
    "sip:desk@clinic.example;transport=",
    "sip:desk@[::1",
    "sip:desk@[]",
    "sip:desk@[1.2.3.4]",
    "sip:%zzdesk@clinic.example",
    "sip:desk%4@clinic.example",
    "sip:desk@clinic.example\t",
    "sip:",
    "",
};

static void test_sip_uri_shape(void **state)
{
    for (size_t i = 0; i < sizeof GOOD_SIP / sizeof GOOD_SIP[0]; i++)
        if (!agent_fields_is_sip_uri(GOOD_SIP[i]))
            fail_msg("refused %s", GOOD_SIP[i]);
    for (size_t i = 0; i < sizeof BAD_SIP / sizeof BAD_SIP[0]; i++)
        if (agent_fields_is_sip_uri(BAD_SIP[i]))
            fail_msg("accepted %s", BAD_SIP[i]);
    /* At most 500 characters. */
    char over[AGENT_FIELDS_SIP_URI_MAX + 16];
    snprintf(over, sizeof over, "sip:desk@clinic.example;x=");
    size_t n = strlen(over);
    memset(over + n, 'y', sizeof over - n - 1);
    over[sizeof over - 1] = '\0';
    assert_false(agent_fields_is_sip_uri(over));
    over[AGENT_FIELDS_SIP_URI_MAX] = '\0';
    assert_true(agent_fields_is_sip_uri(over));
}

static void test_transfer_sip_uri(void **state)
{
    for (size_t i = 0; i < sizeof GOOD_SIP / sizeof GOOD_SIP[0]; i++) {
        cJSON *s = cJSON_CreateString(GOOD_SIP[i]);
        char *v = cJSON_PrintUnformatted(s);
        assert_value_accepted("transfer_sip_uri", v, v, AGENT_FIELD_TRANSFER_SIP_URI);
        cJSON_free(v);
        cJSON_Delete(s);
    }
    assert_value_accepted("transfer_sip_uri", "null", "null", AGENT_FIELD_TRANSFER_SIP_URI);
    for (size_t i = 0; i < sizeof BAD_SIP / sizeof BAD_SIP[0]; i++) {
        cJSON *s = cJSON_CreateString(BAD_SIP[i]);
        char *v = cJSON_PrintUnformatted(s);
        assert_value_refused("transfer_sip_uri", v, "invalid_transfer_sip_uri");
        cJSON_free(v);
        cJSON_Delete(s);
    }
    assert_value_refused("transfer_sip_uri", "5", "invalid_transfer_sip_uri");
}

static void test_transfer_departments(void **state)
{
    assert_value_accepted("transfer_departments", "{}", "{}", AGENT_FIELD_TRANSFER_DEPARTMENTS);
    assert_value_accepted(
        "transfer_departments",
        "{\"  billing\":\"+15551112222\",\"médical\":\"sip:desk@clinic.example\",\"Front Desk\":\"+15553334444\"}",
        "{\"billing\":\"+15551112222\",\"médical\":\"sip:desk@clinic.example\",\"Front Desk\":\"+15553334444\"}",
        AGENT_FIELD_TRANSFER_DEPARTMENTS);
    static const struct {
        const char *value, *named;
    } bad[] = {
        {"[]", "transfer_departments"},
        {"null", "transfer_departments"},
        {"\"+15551112222\"", "transfer_departments"},
        {"{\"billing\":\"5551112222\"}", "billing"},
        {"{\"billing\":\"sip:billing\"}", "billing"},
        {"{\"billing\":5551112222}", "billing"},
        {"{\"billing\":null}", "billing"},
        {"{\"billing\":[\"+15551112222\"]}", "billing"},
        {"{\"billing\":\"+15551112222\",\"Billing\":\"+15553334444\"}", "Billing"},
        {"{\"billing\":\"+15551112222\",\" billing \":\"+15553334444\"}", "billing"},
        {"{\"\":\"+15551112222\"}", "transfer_departments"},
        {"{\"   \":\"+15551112222\"}", "transfer_departments"},
        {"{\"bill\\ning\":\"+15551112222\"}", "bill?ing"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *body = one("transfer_departments", bad[i].value);
        assert_refused_naming(body, "invalid_transfer_departments", bad[i].named);
        free(body);
    }
    char long_name[AGENT_FIELDS_DEPARTMENT_MAX + 2];
    memset(long_name, 'd', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    char v[256];
    snprintf(v, sizeof v, "{\"%s\":\"+15551112222\"}", long_name);
    assert_value_refused("transfer_departments", v, "invalid_transfer_departments");
    long_name[AGENT_FIELDS_DEPARTMENT_MAX] = '\0';
    snprintf(v, sizeof v, "{\"%s\":\"+15551112222\"}", long_name);
    assert_value_accepted("transfer_departments", v, v, AGENT_FIELD_TRANSFER_DEPARTMENTS);
    /* Fifty departments at most. */
    for (int count = AGENT_FIELDS_DEPARTMENTS_MAX; count <= AGENT_FIELDS_DEPARTMENTS_MAX + 1; count++) {
        vx_buf b = VX_BUF_INIT;
        vx_buf_putc(&b, '{');
        for (int i = 0; i < count; i++)
            vx_buf_printf(&b, "%s\"dept %d\":\"+1555000%04d\"", i ? "," : "", i, i);
        vx_buf_putc(&b, '}');
        if (count == AGENT_FIELDS_DEPARTMENTS_MAX)
            assert_value_accepted("transfer_departments", b.data, b.data, AGENT_FIELD_TRANSFER_DEPARTMENTS);
        else
            assert_value_refused("transfer_departments", b.data, "invalid_transfer_departments");
        vx_buf_free(&b);
    }
}

static void test_services_offered(void **state)
{
    assert_value_accepted("services_offered", "[]", "[]", AGENT_FIELD_SERVICES_OFFERED);
    assert_value_accepted("services_offered",
                          "[\"7C9E6679-7425-40DE-944B-E07FC1F90AE7\",\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"7c9e6679-7425-40de-"
                          "944b-e07fc1f90ae7\"]",
                          "[\"7c9e6679-7425-40de-944b-e07fc1f90ae7\",\"0f8fad5b-d9cb-469f-a165-70867728950e\"]",
                          AGENT_FIELD_SERVICES_OFFERED);
    static const char *const bad[] = {"null",
                                      "\"7c9e6679-7425-40de-944b-e07fc1f90ae7\"",
                                      "{}",
                                      "[\"not-a-uuid\"]",
                                      "[\"7c9e6679742540de944be07fc1f90ae7\"]",
                                      "[\"7c9e6679-7425-40de-944b-e07fc1f90ae7 \"]",
                                      "[5]",
                                      "[null]",
                                      "[[\"7c9e6679-7425-40de-944b-e07fc1f90ae7\"]]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_value_refused("services_offered", bad[i], "invalid_services_offered");
    for (int count = AGENT_FIELDS_SERVICES_MAX; count <= AGENT_FIELDS_SERVICES_MAX + 1; count++) {
        vx_buf b = VX_BUF_INIT;
        vx_buf_putc(&b, '[');
        for (int i = 0; i < count; i++)
            vx_buf_printf(&b, "%s\"00000000-0000-4000-8000-%012d\"", i ? "," : "", i);
        vx_buf_putc(&b, ']');
        char *body = one("services_offered", b.data);
        agent_fields f;
        agent_fields_error err;
        int rc = parse(body, &f, &err);
        if (count == AGENT_FIELDS_SERVICES_MAX) {
            assert_int_equal(rc, 0);
            assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(f.values, "services_offered")), count);
            agent_fields_clear(&f);
        } else {
            assert_int_equal(rc, -1);
            assert_string_equal(err.code, "invalid_services_offered");
        }
        free(body);
        vx_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_configuration_normalized),
        cmocka_unit_test(test_partial_body_names_only_its_fields),
        cmocka_unit_test(test_body_shape),
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_voice),
        cmocka_unit_test(test_first_message),
        cmocka_unit_test(test_system_prompt),
        cmocka_unit_test(test_timezone),
        cmocka_unit_test(test_slot_and_buffer_minutes),
        cmocka_unit_test(test_business_hours_accepted),
        cmocka_unit_test(test_business_hours_refused),
        cmocka_unit_test(test_transfer_phone_number),
        cmocka_unit_test(test_sip_uri_shape),
        cmocka_unit_test(test_transfer_sip_uri),
        cmocka_unit_test(test_transfer_departments),
        cmocka_unit_test(test_services_offered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
