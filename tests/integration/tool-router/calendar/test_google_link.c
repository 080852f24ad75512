/*
 * The calendar tools with Google Calendar (calendar/google_link.c,
 * clients/vault.c, clients/google_calendar.c, calendar/booking.c's
 * after-commit work) against tests/fakes/google_calendar and a stand-in
 * credential-vault on real NATS, on real PostgreSQL, driven in-process
 * through dispatch_request.
 *
 * Proves: Google's busy times block availability and bookings; a booking
 * creates the event (its id recorded on the appointment, the appointment id
 * in the event) after the commit; a reschedule moves it — onto a time that
 * overlaps the appointment's own event, which must not block it — and a
 * cancel deletes it; Google failing (503), a revoked token (401) or
 * answering after the client's timeout never fails a tool: the internal
 * calendar carries on (and a booking made meanwhile has no event); without
 * a credential vault the calendar works alone.
 *
 * Google needing reconnecting (the vault's VAULT_RECONNECT_NEEDED: the org
 * connected it once, Google refused the refresh token): booking,
 * rescheduling and cancelling work on the internal calendar alone and make
 * no Google call; the booking and the move tell the caller the clinic will
 * confirm the time instead of sounding final, the cancellation is said as
 * before; the answer is not remembered as "no vault" (the next call, once
 * reconnected, uses Google). An org that never connected Google keeps its
 * answers word for word.
 */
#include "../calendar_test.h"

#include "clients/vault.h"
#include "voxanne/v1/vault.pb-c.h"

#define TOKEN "ya29.fake-token-for-tests"

static struct {
    char google_org[37], bad_token_org[37];
    char reconnect_org[37]; /* the vault says Google needs reconnecting, until reconnected */
    bool reconnected;
    char fake_url[64];
} G;

static int setup(void **state)
{
    tr_open_in_process("test_google_link", true);
    return 0;
}

static int teardown(void **state)
{
    tr_close();
    return 0;
}

static void vault_responder(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    Voxanne__V1__GoogleTokenRequest *req =
        voxanne__v1__google_token_request__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
    Voxanne__V1__GoogleTokenReply rep = VOXANNE__V1__GOOGLE_TOKEN_REPLY__INIT;
    if (req != NULL && strcmp(req->org_id, G.reconnect_org) == 0 && !G.reconnected) {
        rep.status = VOXANNE__V1__VAULT_STATUS__VAULT_RECONNECT_NEEDED;
        rep.error = (char *)"google refused the refresh token";
    } else if (req != NULL && (strcmp(req->org_id, G.google_org) == 0 || strcmp(req->org_id, G.reconnect_org) == 0)) {
        rep.connected = true;
        rep.access_token = (char *)TOKEN;
        rep.calendar_id = (char *)"primary";
    } else if (req != NULL && strcmp(req->org_id, G.bad_token_org) == 0) {
        rep.connected = true;
        rep.access_token = (char *)"ya29.revoked";
    } else {
        rep.error = (char *)"google not connected";
    }
    uint8_t buf[512];
    size_t len = voxanne__v1__google_token_reply__pack(&rep, buf);
    natsConnection_Publish(nc, natsMsg_GetReply(msg), buf, (int)len);
    voxanne__v1__google_token_request__free_unpacked(req, NULL);
    natsMsg_Destroy(msg);
}

static void fake_post(const char *path, const char *body)
{
    char url[128];
    snprintf(url, sizeof(url), "%s%s", G.fake_url, path);
    vt_http_post_expect(url, body, 204);
}

/* The fake's only event (asserted), parsed; caller deletes. */
static cJSON *fake_event(void)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/_fake/events", G.fake_url);
    vt_response r = vt_http("GET", url, NULL, NULL, 0);
    cJSON *root = cJSON_Parse(r.body);
    vt_response_free(&r);
    cJSON *items = cJSON_GetObjectItem(root, "items");
    assert_int_equal(cJSON_GetArraySize(items), 1);
    cJSON *ev = cJSON_DetachItemFromArray(items, 0);
    cJSON_Delete(root);
    return ev;
}

static int64_t event_start(const cJSON *ev)
{
    int64_t ms = 0;
    assert_true(vx_time_parse_iso(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "start"), "dateTime")->valuestring, &ms));
    return ms;
}

/* Starts the Google Calendar fake on a free port (its log: log_name) and points the tools at it. */
static pid_t start_fake(const char *log_name)
{
    static char port_env[40], token_env[80], base[80];
    int port = vt_free_port();
    snprintf(port_env, sizeof(port_env), "GOOGLE_FAKE_PORT=%d", port);
    snprintf(token_env, sizeof(token_env), "GOOGLE_FAKE_TOKEN=%s", TOKEN);
    const char *env[] = {port_env, token_env, NULL};
    pid_t fake = vt_spawn("google_calendar", log_name, env);
    snprintf(G.fake_url, sizeof(G.fake_url), "http://127.0.0.1:%d", port);
    char ready[96];
    snprintf(ready, sizeof(ready), "%s/_fake/events", G.fake_url);
    VT_REQUIRE(vt_wait_http_ok(ready, 10000), "the Google Calendar fake did not start");
    snprintf(base, sizeof(base), "%s/calendar/v3/", G.fake_url);
    TR.config.google_calendar_base_url = base;
    return fake;
}

/* How many events the fake holds (cancelled ones included). */
static int fake_event_count(void)
{
    char url[128];
    snprintf(url, sizeof(url), "%s/_fake/events", G.fake_url);
    vt_response r = vt_http("GET", url, NULL, NULL, 0);
    cJSON *root = cJSON_Parse(r.body);
    vt_response_free(&r);
    VT_REQUIRE(root != NULL, "the fake's events are not JSON");
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(root, "items"));
    cJSON_Delete(root);
    return n;
}

/* The tool's answer must be exactly want (and not an error). */
static void says_exactly(const char *tool, const char *org, const char *args, const char *caller, const char *want)
{
    cal_said a = cal_run(tool, org, args, caller);
    if (strcmp(a.text, want) != 0)
        fail_msg("answer \"%s\", expected \"%s\"", a.text, want);
    assert_false(a.is_error);
    free(a.text);
}

static void test_google_calendar(void **state)
{
    pid_t fake = start_fake("google_calendar_fake");
    natsSubscription *vault = tr_stand_in(VAULT_GOOGLE_TOKEN_SUBJECT, vault_responder);

    char d[11], body[200], s[25], e[25], args[200];
    new_org(G.google_org, NY, 30, 0, 60);
    every_day(G.google_org);
    local_date(NY, 12, d);
    vx_time_format_iso(instant(d, "10:00", NY), s);
    vx_time_format_iso(instant(d, "11:00", NY), e);
    snprintf(body, sizeof(body), "{\"calendarId\":\"primary\",\"start\":\"%s\",\"end\":\"%s\"}", s, e);
    fake_post("/_fake/busy", body);
    availability_says(G.google_org, d, false, "9:00 AM, 9:30 AM, 11:00 AM and 1 more opening."); /* 10:00-11:00 is Google's */
    book_taken(G.google_org, "+15550107000", d, "10:00", "that time isn't available");

    /* A booking creates the event; moving and cancelling follow it. */
    book_ok(G.google_org, "Gail Gee", "+15550107001", d, "11:00");
    char *id = appointment_at(G.google_org, d, "11:00", NY);
    const char *p[1] = {id};
    char *event_id = vt_sql_value(TR.admin, "SELECT google_event_id FROM appointments WHERE id = $1", 1, p);
    cJSON *ev = fake_event();
    assert_non_null(event_id);
    assert_string_equal(cJSON_GetObjectItem(ev, "id")->valuestring, event_id);
    assert_string_equal(cJSON_GetObjectItem(ev, "status")->valuestring, "confirmed");
    assert_int_equal(event_start(ev), instant(d, "11:00", NY));
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "extendedProperties"), "private"), "voxanneAppointmentId")
            ->valuestring,
        id);
    cJSON_Delete(ev);
    availability_says(G.google_org, d, false, "I have 9:00 AM, 9:30 AM and 11:30 AM.");
    /* Onto a time overlapping its own event: that event must not block it. */
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT11:15\"}", id, d);
    expect(RESCHEDULE, G.google_org, args, "+15550107001", false, "11:15 AM"); /* Gail calls: only hers to change */
    ev = fake_event();
    assert_int_equal(event_start(ev), instant(d, "11:15", NY));
    cJSON_Delete(ev);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\"}", id);
    expect(CANCEL, G.google_org, args, "+15550107001", false, "is cancelled");
    ev = fake_event();
    assert_string_equal(cJSON_GetObjectItem(ev, "status")->valuestring, "cancelled");
    cJSON_Delete(ev);
    free(event_id);
    free(id);

    /* Google failing (503), a revoked token (401), a timeout: the internal calendar carries on. */
    fake_post("/_fake/fail", "{\"status\":503,\"count\":100}");
    availability_says(G.google_org, d, false, "9:00 AM, 9:30 AM, 10:00 AM and 3 more openings.");
    book_ok(G.google_org, "Sol Fail", "+15550107002", d, "09:00");
    fake_post("/_fake/fail", "{\"status\":0,\"count\":0}");
    const char *q[1] = {G.google_org};
    assert_int_equal(sql_long("SELECT count(*) FROM appointments WHERE org_id = $1 AND status = 'booked'"
                              " AND google_event_id IS NULL",
                              1, q),
                     1);
    new_org(G.bad_token_org, NY, 30, 0, 60);
    every_day(G.bad_token_org);
    availability_says(G.bad_token_org, d, false, "9:00 AM, 9:30 AM, 10:00 AM and 3 more openings.");
    /* Google answers only after the client's timeout: the busy time it would
     * report (10:00-11:00) must not be used — 10:00 and 10:30 are offered. */
    TR.config.google_timeout_ms = 300;
    fake_post("/_fake/fail", "{\"status\":0,\"count\":1,\"delay_ms\":2000}");
    availability_says(G.google_org, d, false, "9:30 AM, 10:00 AM, 10:30 AM and 2 more openings.");
    TR.config.google_timeout_ms = 2000;

    /* No credential vault at all (no responders): the internal calendar alone. */
    tr_stand_in_stop(vault);
    availability_says(G.google_org, d, false, "9:30 AM, 10:00 AM, 10:30 AM and 2 more openings.");
    assert_int_equal(vt_stop(fake, SIGTERM, 5000), 0);
}

static void test_google_needs_reconnecting(void **state)
{
    pid_t fake = start_fake("google_calendar_fake_reconnect");
    natsSubscription *vault = tr_stand_in(VAULT_GOOGLE_TOKEN_SUBJECT, vault_responder);
    /* A vault that stops answering would be remembered this long: an answer
     * saying "reconnect" must not be. */
    TR.config.vault_miss_ttl_ms = 600000;

    char d[11], label[40], body[200], s[25], e[25], args[200], want[300], plain_org[37];
    G.reconnected = false;
    new_org(G.reconnect_org, NY, 30, 0, 60);
    every_day(G.reconnect_org);
    new_org(plain_org, NY, 30, 0, 60); /* never connected Google: the vault says so */
    every_day(plain_org);
    local_date(NY, 13, d);
    label_of(d, label);
    /* Google's calendar is busy 10:00-11:00, and the next API call, whoever
     * makes it, fails once (503): both show whether Google was asked. */
    vx_time_format_iso(instant(d, "10:00", NY), s);
    vx_time_format_iso(instant(d, "11:00", NY), e);
    snprintf(body, sizeof(body), "{\"calendarId\":\"primary\",\"start\":\"%s\",\"end\":\"%s\"}", s, e);
    fake_post("/_fake/busy", body);
    fake_post("/_fake/fail", "{\"status\":503,\"count\":1}");

    /* Booked on the internal calendar (10:00, which Google holds), said without promising. */
    char *book = book_args("Rae Connor", "+15550107101", d, "10:00", NULL);
    snprintf(want, sizeof(want),
             "You're booked for an appointment on %s at 10:00 AM, Rae. The clinic will confirm the time with you shortly.", label);
    says_exactly(BOOK, G.reconnect_org, book, NULL, want);
    free(book);
    char *id = appointment_at(G.reconnect_org, d, "10:00", NY);
    assert_non_null(id);
    const char *p[1] = {id};
    assert_null(vt_sql_value(TR.admin, "SELECT google_event_id FROM appointments WHERE id = $1", 1, p));
    availability_says(G.reconnect_org, d, false, "9:00 AM, 9:30 AM, 10:30 AM and 2 more openings."); /* without Google's 10-11 */

    /* Moved likewise; cancelled as always, even with a Google event on record. */
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT10:30\"}", id, d);
    snprintf(want, sizeof(want),
             "Done: your appointment is now on %s at 10:30 AM. The clinic will confirm the new time with you shortly.", label);
    says_exactly(RESCHEDULE, G.reconnect_org, args, "+15550107101", want);
    sql("UPDATE appointments SET google_event_id = 'evtreconnect0001' WHERE id = $1", 1, p);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\"}", id);
    snprintf(want, sizeof(want), "Your appointment on %s at 10:30 AM is cancelled.", label);
    says_exactly(CANCEL, G.reconnect_org, args, "+15550107101", want);
    free(id);

    /* Never connected: the answers of old, word for word. */
    book = book_args("Pat Plain", "+15550107102", d, "10:00", NULL);
    snprintf(want, sizeof(want), "You're booked for an appointment on %s at 10:00 AM. We'll see you then, Pat!", label);
    says_exactly(BOOK, plain_org, book, NULL, want);
    free(book);
    id = appointment_at(plain_org, d, "10:00", NY);
    snprintf(args, sizeof(args), "{\"appointmentId\":\"%s\",\"newStart\":\"%sT10:30\"}", id, d);
    snprintf(want, sizeof(want), "Done: your appointment is now on %s at 10:30 AM.", label);
    says_exactly(RESCHEDULE, plain_org, args, "+15550107102", want);
    free(id);

    /* No Google call so far: no event, and the scripted failure is still
     * waiting. Reconnected, the next call asks the vault again (nothing was
     * remembered) and reaches Google — the failure: 10:00 offered — then
     * Google's busy time counts again. */
    assert_int_equal(fake_event_count(), 0);
    G.reconnected = true;
    availability_says(G.reconnect_org, d, false, "9:00 AM, 9:30 AM, 10:00 AM and 3 more openings.");
    availability_says(G.reconnect_org, d, false, "9:00 AM, 9:30 AM, 11:00 AM and 1 more opening.");

    TR.config.vault_miss_ttl_ms = 0;
    tr_stand_in_stop(vault);
    assert_int_equal(vt_stop(fake, SIGTERM, 5000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_google_calendar),
        cmocka_unit_test(test_google_needs_reconnecting),
    };
    return cmocka_run_group_tests_name("calendar/google_link", tests, setup, teardown);
}
