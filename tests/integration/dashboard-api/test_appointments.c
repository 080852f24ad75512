/*
 * dashboard-api's appointments routes, the real process on real NATS and
 * PostgreSQL, spoken to as the gateway speaks (signed GatewayRequests on
 * rpc.dashboard.appointments.*), checked through the admin connection.
 *
 * Every org here keeps the same calendar: UTC, open 09:00-17:00 every day,
 * 30-minute slots, no minimum notice (buffer as each test sets), so the
 * times and the alternatives a test expects are plain arithmetic on "the
 * day after tomorrow".
 *
 * Covered: create / list by range and filters / update / reschedule /
 * cancel; a clash is 409 slot_taken whose alternatives are free (each is
 * then booked); the buffer counts in a clash; racing creates for one slot
 * make exactly one booking; a cancelled (or completed) slot can be booked
 * again; a reschedule onto a taken time changes nothing and never clashes
 * with the appointment's own old time; cancel is idempotent; org A never
 * sees, changes or books with org B's contact, service or appointment (404,
 * B unchanged); bad input on every route is a 4xx JSON error that changes
 * nothing; staff use every route; every write leaves its audit entry, with
 * ids and field names only.
 */
#include <nats/nats.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "vt.h"
#include "vt_dashboard.h"
#include "vx_routes.h"
#include "vx_time.h"

#define MIN_MS  60000LL
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS  (24 * HOUR_MS)

static natsConnection *nc;
static PGconn *admin;
static pid_t service;

typedef vt_answer answer;

static answer send_as(const char *subject, const char *org, const char *role, const char *id, const char *query, const char *body)
{
    return vt_dashboard_request(nc, subject, org, role, id, query, body, body != NULL ? strlen(body) : 0);
}

static answer send_req(const char *subject, const char *org, const char *id, const char *query, const char *body)
{
    return send_as(subject, org, "owner", id, query, body);
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : cJSON_IsNull(v) ? "null" : "";
}

static int num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("%s is not a number", key);
    return v->valueint;
}

/* The instant h:m UTC of the day d days after today, as the answers write it. */
static void at(int d, int h, int m, char out[25])
{
    int64_t today = vx_now_ms() / DAY_MS * DAY_MS;
    vx_time_format_iso(today + d * DAY_MS + h * HOUR_MS + m * MIN_MS, out);
}

/* A new org with the tests' calendar and the buffer given. */
static void new_org(const char *name, int buffer, char org[37])
{
    vt_create_org(admin, name, NULL, NULL, NULL, org);
    char b[8];
    snprintf(b, sizeof(b), "%d", buffer);
    const char *p[2] = {org, b};
    vt_sql_exec(
        admin,
        "INSERT INTO org_settings (org_id, timezone, slot_minutes, buffer_minutes, booking_horizon_days, min_notice_minutes)"
        " VALUES ($1::uuid, 'UTC', 30, $2::integer, 60, 0)",
        2, p);
    vt_sql_exec(admin,
                "INSERT INTO business_hours (org_id, weekday, opens, closes)"
                " SELECT $1::uuid, d, '09:00', '17:00' FROM generate_series(0, 6) d",
                1, p);
}

/* A contact of org (first name first), its id written into id. */
static void new_contact(const char *org, const char *first, char id[37])
{
    char phone[16];
    vt_random_e164(phone);
    const char *p[3] = {org, phone, first};
    char *v = vt_sql_value(admin,
                           "INSERT INTO contacts (org_id, phone, first_name, last_name) VALUES ($1::uuid, $2, $3, 'Patient')"
                           " RETURNING id",
                           3, p);
    snprintf(id, 37, "%s", v);
    free(v);
}

/* A service of org lasting minutes, its id written into id. */
static void new_service(const char *org, const char *name, int minutes, bool active, char id[37])
{
    char m[8];
    snprintf(m, sizeof(m), "%d", minutes);
    const char *p[4] = {org, name, m, active ? "true" : "false"};
    char *v =
        vt_sql_value(admin,
                     "INSERT INTO services (org_id, name, duration_minutes, active) VALUES ($1::uuid, $2, $3::integer, $4::boolean)"
                     " RETURNING id",
                     4, p);
    snprintf(id, 37, "%s", v);
    free(v);
}

/* POSTs an appointment of contact at start (service and minutes optional: NULL, 0). */
static answer book(const char *org, const char *contact, const char *service_id, const char *start, int minutes)
{
    char body[512], extra[96] = "";
    if (minutes > 0)
        snprintf(extra, sizeof(extra), ",\"duration_minutes\":%d", minutes);
    snprintf(body, sizeof(body), "{\"contact_id\":\"%s\",\"scheduled_time\":\"%s\"%s%s%s%s}", contact, start, extra,
             service_id != NULL ? ",\"service_id\":\"" : "", service_id != NULL ? service_id : "", service_id != NULL ? "\"" : "");
    return send_req(VX_SUBJECT_APPOINTMENTS_CREATE, org, NULL, NULL, body);
}

/* book(), which must answer 201; the new appointment's id into id. */
static void book_ok(const char *org, const char *contact, const char *service_id, const char *start, int minutes, char id[37])
{
    answer a = book(org, contact, service_id, start, minutes);
    vt_expect_status(&a, 201);
    snprintf(id, 37, "%s", str(a.json, "id"));
    vt_answer_free(&a);
}

/* The whole stored row, as text: to prove a refused request changed nothing. */
static char *row_of(const char *id)
{
    const char *p[1] = {id};
    return vt_sql_value(admin, "SELECT a::text FROM appointments a WHERE id = $1::uuid", 1, p);
}

static void expect_row(const char *id, const char *before)
{
    char *now = row_of(id);
    assert_non_null(now);
    assert_string_equal(now, before);
    free(now);
}

static long count_of(const char *sql, const char *a, const char *b)
{
    const char *p[2] = {a, b};
    return vt_sql_long(admin, sql, b != NULL ? 2 : 1, p);
}

/* Audit entries of action on appointment id. */
static long audited(const char *action, const char *id)
{
    return count_of("SELECT count(*) FROM audit_log WHERE action = $1 AND target_type = 'appointment' AND target_id = $2", action,
                    id);
}

/* Fails unless a is 409 slot_taken with exactly the alternatives want (n of them). Frees a. */
static void expect_taken(answer a, const char *const *want, size_t n)
{
    vt_expect_status(&a, 409);
    assert_string_equal(str(a.json, "code"), "slot_taken");
    assert_true(strlen(str(a.json, "error")) > 0);
    const cJSON *alt = cJSON_GetObjectItemCaseSensitive(a.json, "alternatives");
    assert_true(cJSON_IsArray(alt));
    if ((size_t)cJSON_GetArraySize(alt) != n)
        fail_msg("expected %zu alternatives: %s", n, a.body);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(cJSON_GetArrayItem(alt, (int)i)->valuestring, want[i]);
    vt_answer_free(&a);
}

static int setup(void **state)
{
    admin = vt_admin();
    service = vt_dashboard_start(&nc, "dashboard-api-appointments");
    return 0;
}

static int teardown(void **state)
{
    vt_dashboard_stop(service, nc);
    PQfinish(admin);
    return 0;
}

static void test_create_and_read_back(void **state)
{
    char org[37], contact[37], svc[37], start[25], end[25], body[512];
    new_org("Appointments create", 10, org);
    new_contact(org, "Ann", contact);
    new_service(org, "Whitening", 45, true, svc);
    at(2, 10, 0, start);
    at(2, 10, 45, end);
    /* Any offset names the instant: 12:00+02:00 is 10:00Z. */
    char local[32];
    snprintf(local, sizeof(local), "%.10sT12:00:00+02:00", start);
    snprintf(body, sizeof(body),
             "{\"contact_id\":\"%s\",\"service_id\":\"%s\",\"scheduled_time\":\"%s\",\"notes\":\" needs forms \"}", contact, svc,
             local);
    answer a = send_req(VX_SUBJECT_APPOINTMENTS_CREATE, org, NULL, NULL, body);
    vt_expect_status(&a, 201);
    char id[37];
    snprintf(id, sizeof(id), "%s", str(a.json, "id"));
    assert_string_equal(str(a.json, "contact_id"), contact);
    assert_string_equal(str(a.json, "contact_name"), "Ann Patient");
    assert_true(str(a.json, "phone_number")[0] == '+');
    assert_string_equal(str(a.json, "service_id"), svc);
    assert_string_equal(str(a.json, "service_name"), "Whitening");
    assert_string_equal(str(a.json, "scheduled_time"), start);
    assert_string_equal(str(a.json, "ends_at"), end);
    assert_int_equal(num(a.json, "duration_minutes"), 45); /* the service's */
    assert_int_equal(num(a.json, "buffer_minutes"), 10);   /* the org's */
    assert_string_equal(str(a.json, "status"), "booked");
    assert_string_equal(str(a.json, "notes"), "needs forms");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a.json, "confirmation_sent")));
    assert_true(strlen(str(a.json, "created_at")) > 0 && strlen(str(a.json, "updated_at")) > 0);
    assert_null(cJSON_GetObjectItemCaseSensitive(a.json, "org_id"));
    vt_answer_free(&a);
    assert_int_equal(count_of("SELECT count(*) FROM appointments WHERE id = $1::uuid AND org_id = $2::uuid AND status = 'booked'"
                              " AND upper(blocks) = ends_at + interval '10 minutes'",
                              id, org),
                     1);
    /* The audit entry names ids, never the patient's name or number. */
    assert_int_equal(audited("appointment.created", id), 1);
    char *details = vt_sql_value(admin, "SELECT details::text FROM audit_log WHERE target_id = $1", 1, (const char *[]){id});
    assert_non_null(strstr(details, contact));
    assert_null(strstr(details, "Ann"));
    free(details);

    /* Without a service or a length: the org's slot length, named as tool-router names it. */
    at(2, 14, 0, start);
    a = book(org, contact, NULL, start, 0);
    vt_expect_status(&a, 201);
    assert_int_equal(num(a.json, "duration_minutes"), 30);
    assert_string_equal(str(a.json, "service_name"), "appointment");
    assert_string_equal(str(a.json, "service_id"), "null");
    assert_string_equal(str(a.json, "notes"), "null");
    vt_answer_free(&a);
    /* A length given wins over the service's; the desk may book outside hours (7:00) but not in the past. */
    at(3, 7, 0, start);
    a = book(org, contact, svc, start, 90);
    vt_expect_status(&a, 201);
    assert_int_equal(num(a.json, "duration_minutes"), 90);
    vt_answer_free(&a);
    at(-1, 10, 0, start);
    vt_expect_error(book(org, contact, NULL, start, 0), 400, "time_in_past");
}

/* GET /api/appointments?query for org: fails unless it answers the ids
 * want (in order, comma-joined) and the total total. */
static void expect_list(const char *org, const char *query, const char *want, long total)
{
    answer a = send_req(VX_SUBJECT_APPOINTMENTS_LIST, org, NULL, query, NULL);
    vt_expect_status(&a, 200);
    long got_total = num(cJSON_GetObjectItemCaseSensitive(a.json, "pagination"), "total");
    char got[512] = "";
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(a.json, "appointments"))
    {
        size_t n = strlen(got);
        snprintf(got + n, sizeof(got) - n, "%s%s", n > 0 ? "," : "", str(item, "id"));
    }
    if (strcmp(got, want) != 0 || got_total != total)
        fail_msg("%s: expected [%s] (%ld), got [%s] (%ld)", query != NULL ? query : "", want, total, got, got_total);
    vt_answer_free(&a);
}

static void test_list_by_range_and_filters(void **state)
{
    char org[37], other[37], ann[37], bob[37], svc[37], xena[37];
    new_org("Appointments list", 0, org);
    new_org("Appointments list other", 0, other);
    new_contact(org, "Ann", ann);
    new_contact(org, "Bob", bob);
    new_contact(other, "Xena", xena);
    new_service(org, "Cleaning", 30, true, svc);
    char t1[25], t2[25], t3[25], far[25], a1[37], a2[37], a3[37], a4[37], x[37];
    at(2, 11, 0, t1);
    at(1, 9, 0, t2);
    at(2, 9, 0, t3);
    at(40, 9, 0, far);
    book_ok(org, ann, svc, t1, 0, a1);
    book_ok(org, bob, NULL, t2, 0, a2);
    book_ok(org, ann, NULL, t3, 0, a3);
    book_ok(org, bob, NULL, far, 0, a4);
    book_ok(other, xena, NULL, t3, 0, x); /* the same time in another org: no clash, never listed here */

    char want[200], q[160], day0[11], day2[11], day45[25];
    snprintf(want, sizeof(want), "%s,%s,%s", a2, a3, a1);
    expect_list(org, NULL, want, 3); /* today .. +30 days, by start */
    snprintf(want, sizeof(want), "%s,%s,%s,%s", a2, a3, a1, a4);
    at(0, 0, 0, day45);
    snprintf(day0, sizeof(day0), "%.10s", day45);
    at(2, 0, 0, day45);
    snprintf(day2, sizeof(day2), "%.10s", day45);
    at(45, 0, 0, day45);
    snprintf(q, sizeof(q), "from=%s&to=%s", day0, day45);
    expect_list(org, q, want, 4);
    snprintf(q, sizeof(q), "from=%s&to=%s", day2, day2); /* a date as to: the end of that day */
    snprintf(want, sizeof(want), "%s,%s", a3, a1);
    expect_list(org, q, want, 2);
    snprintf(q, sizeof(q), "from=%.10sT10:00:00Z", t1); /* to: from + 30 days */
    expect_list(org, q, a1, 1);

    /* The range used is in the answer. */
    snprintf(q, sizeof(q), "from=%s", day2);
    answer a = send_req(VX_SUBJECT_APPOINTMENTS_LIST, org, NULL, q, NULL);
    vt_expect_status(&a, 200);
    assert_int_equal(strncmp(str(a.json, "from"), day2, 10), 0);
    assert_int_equal(strlen(str(a.json, "to")), 24);
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a.json, "appointments"), 0);
    assert_string_equal(str(first, "scheduled_time"), t3);
    assert_string_equal(str(first, "contact_name"), "Ann Patient");
    vt_answer_free(&a);

    answer c = send_req(VX_SUBJECT_APPOINTMENTS_CANCEL, org, a3, NULL, NULL);
    vt_expect_status(&c, 200);
    vt_answer_free(&c);
    expect_list(org, "status=cancelled", a3, 1);
    snprintf(want, sizeof(want), "%s,%s", a2, a1);
    expect_list(org, "status=booked", want, 2);
    snprintf(q, sizeof(q), "contact_id=%s", ann);
    snprintf(want, sizeof(want), "%s,%s", a3, a1);
    expect_list(org, q, want, 2);
    snprintf(q, sizeof(q), "service_id=%s", svc);
    expect_list(org, q, a1, 1);
    expect_list(org, "limit=1&page=2", a3, 3);
    expect_list(org, "limit=1&page=9", "", 3);
    snprintf(q, sizeof(q), "contact_id=%s", xena); /* another org's contact: nothing */
    expect_list(org, q, "", 0);
    expect_list(other, NULL, x, 1);
}

/* The alternatives of a clash are the openings tool-router would offer a
 * caller, and really free: each is booked afterwards. */
static void test_a_clash_offers_free_alternatives(void **state)
{
    char org[37], ann[37], bob[37], id[37], got[37];
    new_org("Appointments clash", 0, org);
    new_contact(org, "Ann", ann);
    new_contact(org, "Bob", bob);
    char ten[25], nine[25], nine30[25], ten30[25], ten15[25], t1115[25], t12[25], t1245[25];
    at(2, 10, 0, ten);
    at(2, 9, 0, nine);
    at(2, 9, 30, nine30);
    at(2, 10, 30, ten30);
    at(2, 10, 15, ten15);
    at(2, 11, 15, t1115);
    at(2, 12, 0, t12);
    at(2, 12, 45, t1245);
    book_ok(org, ann, NULL, ten, 30, id);
    char *before = row_of(id);

    /* 10:00 again: the nearest free 30-minute slots, the earlier winning a tie. */
    const char *const want[] = {nine, nine30, ten30};
    expect_taken(book(org, bob, NULL, ten, 30), want, 3);
    assert_int_equal(count_of("SELECT count(*) FROM appointments WHERE org_id = $1::uuid", org, NULL), 1);
    expect_row(id, before);
    for (int i = 0; i < 3; i++)
        book_ok(org, bob, NULL, want[i], 30, got);
    /* 9:00-11:00 is now taken: 45 minutes from 10:15 gets 45-minute openings (the slot grid steps by the length). */
    const char *const want45[] = {t1115, t12, t1245};
    expect_taken(book(org, bob, NULL, ten15, 45), want45, 3);
    for (int i = 0; i < 3; i++)
        book_ok(org, ann, NULL, want45[i], 45, got);
    assert_int_equal(count_of("SELECT count(*) FROM appointments WHERE org_id = $1::uuid AND status = 'booked'", org, NULL), 7);
    free(before);
}

/* What an appointment keeps free after itself counts in a clash. */
static void test_the_buffer_counts(void **state)
{
    char org[37], ann[37], id[37], ten[25], ten30[25], ten45[25], nine[25], eleven[25], t1130[25];
    new_org("Appointments buffer", 15, org);
    new_contact(org, "Ann", ann);
    at(2, 10, 0, ten);
    at(2, 10, 30, ten30);
    at(2, 10, 45, ten45);
    at(2, 9, 0, nine);
    at(2, 11, 0, eleven);
    at(2, 11, 30, t1130);
    book_ok(org, ann, NULL, ten, 30, id); /* blocks 10:00-10:45 */
    const char *const want[] = {nine, eleven, t1130};
    expect_taken(book(org, ann, NULL, ten30, 30), want, 3);
    book_ok(org, ann, NULL, ten45, 30, id);
}

typedef struct race {
    const char *org, *contact, *start;
    unsigned status;
    char code[32];
} race;

static void *race_book(void *arg)
{
    race *r = arg;
    answer a = book(r->org, r->contact, NULL, r->start, 30);
    r->status = a.status;
    snprintf(r->code, sizeof(r->code), "%s", a.json != NULL ? str(a.json, "code") : "");
    vt_answer_free(&a);
    return NULL;
}

/* Both workers serve at once: the exclusion constraint decides, exactly one wins. */
static void test_racing_creates_make_one_booking(void **state)
{
    char org[37], start[25];
    new_org("Appointments race", 0, org);
    at(3, 13, 0, start);
    enum { N = 8 };
    char contacts[N][37];
    race r[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        new_contact(org, "Racer", contacts[i]);
        r[i] = (race){.org = org, .contact = contacts[i], .start = start};
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&t[i], NULL, race_book, &r[i]), 0);
    int created = 0, taken = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        created += r[i].status == 201;
        taken += r[i].status == 409 && strcmp(r[i].code, "slot_taken") == 0;
    }
    assert_int_equal(created, 1);
    assert_int_equal(taken, N - 1);
    assert_int_equal(
        count_of("SELECT count(*) FROM appointments WHERE org_id = $1::uuid AND starts_at = $2::timestamptz", org, start), 1);
}

static void test_cancel_frees_the_time_and_is_idempotent(void **state)
{
    char org[37], ann[37], bob[37], id[37], again[37], start[25];
    new_org("Appointments cancel", 5, org);
    new_contact(org, "Ann", ann);
    new_contact(org, "Bob", bob);
    at(2, 15, 0, start);
    book_ok(org, ann, NULL, start, 30, id);
    answer a = send_req(VX_SUBJECT_APPOINTMENTS_CANCEL, org, id, NULL, NULL);
    vt_expect_status(&a, 200);
    assert_string_equal(str(a.json, "status"), "cancelled");
    assert_string_equal(str(a.json, "scheduled_time"), start);
    char *first = strdup(a.body);
    vt_answer_free(&a);
    assert_int_equal(audited("appointment.cancelled", id), 1);
    char *before = row_of(id);
    /* Again (a retried click, "{}" as a body): the same answer, nothing written. */
    a = send_req(VX_SUBJECT_APPOINTMENTS_CANCEL, org, id, NULL, "{}");
    vt_expect_status(&a, 200);
    assert_string_equal(a.body, first);
    vt_answer_free(&a);
    expect_row(id, before);
    assert_int_equal(audited("appointment.cancelled", id), 1);
    /* The time is free again. */
    book_ok(org, bob, NULL, start, 30, again);
    /* A completed appointment is not cancelled. */
    const char *p[1] = {again};
    vt_sql_exec(admin, "UPDATE appointments SET status = 'completed' WHERE id = $1::uuid", 1, p);
    vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_CANCEL, org, again, NULL, NULL), 409, "not_booked");
    free(first);
    free(before);
}

static void test_reschedule(void **state)
{
    char org[37], ann[37], bob[37], a_id[37], b_id[37], cancelled[37];
    new_org("Appointments reschedule", 0, org);
    new_contact(org, "Ann", ann);
    new_contact(org, "Bob", bob);
    char ten[25], eleven[25], two[25], two15[25], two15_end[25], body[160], past[25];
    at(2, 10, 0, ten);
    at(2, 11, 0, eleven);
    at(2, 14, 0, two);
    at(2, 14, 15, two15);
    at(2, 15, 15, two15_end);
    book_ok(org, ann, NULL, ten, 30, a_id);
    book_ok(org, bob, NULL, eleven, 60, b_id);

    snprintf(body, sizeof(body), "{\"scheduled_time\":\"%s\"}", two);
    answer a = send_req(VX_SUBJECT_APPOINTMENTS_RESCHEDULE, org, a_id, NULL, body);
    vt_expect_status(&a, 200);
    assert_string_equal(str(a.json, "scheduled_time"), two);
    assert_int_equal(num(a.json, "duration_minutes"), 30); /* its length, kept */
    vt_answer_free(&a);
    assert_int_equal(audited("appointment.rescheduled", a_id), 1);
    /* Overlapping its own old time is no clash; a new length may be given. */
    snprintf(body, sizeof(body), "{\"scheduled_time\":\"%s\",\"duration_minutes\":60}", two15);
    a = send_req(VX_SUBJECT_APPOINTMENTS_RESCHEDULE, org, a_id, NULL, body);
    vt_expect_status(&a, 200);
    assert_string_equal(str(a.json, "ends_at"), two15_end);
    vt_answer_free(&a);

    /* Onto Bob's time: 409, A unchanged; the alternatives leave A's own time out of the busy ones. */
    char *before = row_of(a_id);
    snprintf(body, sizeof(body), "{\"scheduled_time\":\"%s\"}", eleven);
    a = send_req(VX_SUBJECT_APPOINTMENTS_RESCHEDULE, org, a_id, NULL, body);
    vt_expect_status(&a, 409);
    assert_string_equal(str(a.json, "code"), "slot_taken");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a.json, "alternatives")), 3);
    vt_answer_free(&a);
    expect_row(a_id, before);
    at(-1, 10, 0, past);
    snprintf(body, sizeof(body), "{\"scheduled_time\":\"%s\"}", past);
    vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_RESCHEDULE, org, a_id, NULL, body), 400, "time_in_past");
    expect_row(a_id, before);
    assert_int_equal(audited("appointment.rescheduled", a_id), 2);

    /* A cancelled appointment is booked again, not moved. */
    book_ok(org, ann, NULL, ten, 30, cancelled);
    answer c = send_req(VX_SUBJECT_APPOINTMENTS_CANCEL, org, cancelled, NULL, NULL);
    vt_answer_free(&c);
    snprintf(body, sizeof(body), "{\"scheduled_time\":\"%s\"}", ten);
    vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_RESCHEDULE, org, cancelled, NULL, body), 409, "not_booked");
    free(before);
}

static void test_update(void **state)
{
    char org[37], ann[37], bob[37], svc[37], off[37], id[37], other[37], start[25];
    new_org("Appointments update", 0, org);
    new_contact(org, "Ann", ann);
    new_contact(org, "Bob", bob);
    new_service(org, "Check-up", 20, true, svc);
    new_service(org, "Retired", 20, false, off);
    at(2, 16, 0, start);
    book_ok(org, ann, NULL, start, 30, id);
    char body[160];
    snprintf(body, sizeof(body), "{\"notes\":\"bring x-rays\",\"service_id\":\"%s\"}", svc);
    answer a = send_req(VX_SUBJECT_APPOINTMENTS_UPDATE, org, id, NULL, body);
    vt_expect_status(&a, 200);
    assert_string_equal(str(a.json, "notes"), "bring x-rays");
    assert_string_equal(str(a.json, "service_id"), svc);
    assert_string_equal(str(a.json, "service_name"), "Check-up");
    assert_int_equal(num(a.json, "duration_minutes"), 30); /* the times stay: reschedule moves them */
    vt_answer_free(&a);
    char *details =
        vt_sql_value(admin, "SELECT details::text FROM audit_log WHERE action = 'appointment.updated' AND target_id = $1", 1,
                     (const char *[]){id});
    assert_string_equal(details, "{\"fields\": [\"service_id\", \"notes\"]}");
    free(details);
    a = send_req(VX_SUBJECT_APPOINTMENTS_UPDATE, org, id, NULL, "{\"notes\":null}");
    vt_expect_status(&a, 200);
    assert_string_equal(str(a.json, "notes"), "null");
    vt_answer_free(&a);
    snprintf(body, sizeof(body), "{\"service_id\":\"%s\"}", off);
    vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_UPDATE, org, id, NULL, body), 409, "service_inactive");

    /* Completed frees the time; back to booked while someone else holds it is a clash. */
    a = send_req(VX_SUBJECT_APPOINTMENTS_UPDATE, org, id, NULL, "{\"status\":\"completed\"}");
    vt_expect_status(&a, 200);
    assert_string_equal(str(a.json, "status"), "completed");
    vt_answer_free(&a);
    book_ok(org, bob, NULL, start, 30, other);
    char *before = row_of(id);
    a = send_req(VX_SUBJECT_APPOINTMENTS_UPDATE, org, id, NULL, "{\"status\":\"booked\"}");
    vt_expect_status(&a, 409);
    assert_string_equal(str(a.json, "code"), "slot_taken");
    vt_answer_free(&a);
    expect_row(id, before);
    answer c = send_req(VX_SUBJECT_APPOINTMENTS_CANCEL, org, other, NULL, NULL);
    vt_answer_free(&c);
    a = send_req(VX_SUBJECT_APPOINTMENTS_UPDATE, org, id, NULL, "{\"status\":\"booked\"}");
    vt_expect_status(&a, 200);
    vt_answer_free(&a);
    /* A cancelled appointment keeps its status. */
    vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_UPDATE, org, other, NULL, "{\"status\":\"no_show\"}"), 409,
                    "appointment_cancelled");
    a = send_req(VX_SUBJECT_APPOINTMENTS_UPDATE, org, other, NULL, "{\"notes\":\"called to say sorry\"}");
    vt_expect_status(&a, 200);
    vt_answer_free(&a);
    assert_int_equal(audited("appointment.updated", id), 4);
    free(before);
}

/* Every row of org's appointments, as text: to prove another org changed nothing. */
static char *appointments_digest(const char *org)
{
    const char *p[1] = {org};
    return vt_sql_value(admin,
                        "SELECT md5(coalesce(string_agg(a::text, '|' ORDER BY a.id), '')) FROM appointments a"
                        " WHERE org_id = $1::uuid",
                        1, p);
}

static void test_another_orgs_ids_are_out_of_reach(void **state)
{
    char org_a[37], org_b[37], a_contact[37], a_svc[37], a_id[37], b_contact[37], b_svc[37], b_id[37];
    new_org("Appointments tenancy A", 0, org_a);
    new_org("Appointments tenancy B", 0, org_b);
    new_contact(org_a, "Ann", a_contact);
    new_service(org_a, "A service", 30, true, a_svc);
    new_contact(org_b, "Bea", b_contact);
    new_service(org_b, "B service", 30, true, b_svc);
    char t[25], t2[25], body[256];
    at(2, 9, 0, t);
    at(2, 13, 0, t2);
    book_ok(org_a, a_contact, NULL, t, 30, a_id);
    book_ok(org_b, b_contact, b_svc, t2, 30, b_id);
    char *b_before = appointments_digest(org_b);
    long a_rows = count_of("SELECT count(*) FROM appointments WHERE org_id = $1::uuid", org_a, NULL);

    vt_expect_error(book(org_a, b_contact, NULL, t2, 30), 404, "contact_not_found");
    vt_expect_error(book(org_a, a_contact, b_svc, t2, 30), 404, "service_not_found");
    vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_UPDATE, org_a, b_id, NULL, "{\"notes\":\"mine now\"}"), 404, "not_found");
    snprintf(body, sizeof(body), "{\"scheduled_time\":\"%s\"}", t);
    vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_RESCHEDULE, org_a, b_id, NULL, body), 404, "not_found");
    vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_CANCEL, org_a, b_id, NULL, NULL), 404, "not_found");
    snprintf(body, sizeof(body), "{\"service_id\":\"%s\"}", b_svc);
    vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_UPDATE, org_a, a_id, NULL, body), 404, "service_not_found");
    char q[80];
    snprintf(q, sizeof(q), "service_id=%s", b_svc);
    expect_list(org_a, q, "", 0);
    /* A's list never holds B's rows, even at the same times. */
    answer a = send_req(VX_SUBJECT_APPOINTMENTS_LIST, org_a, NULL, NULL, NULL);
    vt_expect_status(&a, 200);
    assert_null(strstr(a.body, b_id));
    assert_null(strstr(a.body, b_contact));
    vt_answer_free(&a);
    /* And B's booking does not block A's time. */
    char same[37];
    book_ok(org_a, a_contact, a_svc, t2, 30, same);

    char *b_after = appointments_digest(org_b);
    assert_string_equal(b_before, b_after);
    assert_int_equal(count_of("SELECT count(*) FROM appointments WHERE org_id = $1::uuid", org_a, NULL), a_rows + 1);
    assert_int_equal(count_of("SELECT count(*) FROM audit_log WHERE org_id = $1::uuid AND target_id = $2", org_b, b_id), 1);
    free(b_before);
    free(b_after);
}

/* The front desk books: staff may use every route. */
static void test_staff_use_every_route(void **state)
{
    char org[37], ann[37], start[25], later[25], body[256];
    new_org("Appointments staff", 0, org);
    new_contact(org, "Ann", ann);
    at(2, 9, 0, start);
    at(2, 12, 0, later);
    snprintf(body, sizeof(body), "{\"contact_id\":\"%s\",\"scheduled_time\":\"%s\"}", ann, start);
    answer a = send_as(VX_SUBJECT_APPOINTMENTS_CREATE, org, "staff", NULL, NULL, body);
    vt_expect_status(&a, 201);
    char id[37];
    snprintf(id, sizeof(id), "%s", str(a.json, "id"));
    vt_answer_free(&a);
    snprintf(body, sizeof(body), "{\"scheduled_time\":\"%s\"}", later);
    const struct {
        const char *subject, *id, *body;
    } steps[] = {
        {VX_SUBJECT_APPOINTMENTS_LIST, NULL, NULL},
        {VX_SUBJECT_APPOINTMENTS_UPDATE, id, "{\"notes\":\"front desk\"}"},
        {VX_SUBJECT_APPOINTMENTS_RESCHEDULE, id, body},
        {VX_SUBJECT_APPOINTMENTS_CANCEL, id, NULL},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        a = send_as(steps[i].subject, org, "staff", steps[i].id, NULL, steps[i].body);
        vt_expect_status(&a, 200);
        vt_answer_free(&a);
    }
    const char *p[2] = {id, org};
    assert_int_equal(
        vt_sql_long(admin, "SELECT count(*) FROM audit_log WHERE target_id = $1 AND org_id = $2::uuid AND actor_role = 'staff'", 2,
                    p),
        4);
    vt_expect_error(send_as(VX_SUBJECT_APPOINTMENTS_LIST, org, "authenticated", NULL, NULL, NULL), 403, "unknown_role");
}

static void test_bad_input_changes_nothing(void **state)
{
    char org[37], ann[37], off[37], id[37], start[25], body[512];
    new_org("Appointments bad", 0, org);
    new_contact(org, "Ann", ann);
    new_service(org, "Retired", 30, false, off);
    at(2, 9, 0, start);
    book_ok(org, ann, NULL, start, 30, id);
    char *before = row_of(id);
    long rows = count_of("SELECT count(*) FROM appointments WHERE org_id = $1::uuid", org, NULL);
    long audits = count_of("SELECT count(*) FROM audit_log WHERE org_id = $1::uuid", org, NULL);

    char day0[11], day400[25], q[128];
    at(0, 0, 0, day400);
    snprintf(day0, sizeof(day0), "%.10s", day400);
    at(400, 0, 0, day400);
    const char *queries[] = {"from=yesterday",
                             "to=2027-13-01",
                             "from=2027-03-10T09:30:00",
                             "from=%zz",
                             "status=BOOKED",
                             "status=pending",
                             "contact_id=42",
                             "service_id=' OR 1=1 --",
                             "limit=0",
                             "limit=501",
                             "page=0",
                             "page=x",
                             "from=2027-03-10&to=2027-03-09",
                             "from=2027-03-10T10:00:00Z&to=2027-03-10T10:00:00Z",
                             "from=2027-01-01&to=2028-01-03",
                             q};
    snprintf(q, sizeof(q), "from=%s&to=%.10s", day0, day400); /* 400 days */
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
        vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_LIST, org, NULL, queries[i], NULL), 400, "invalid_query");

    static const char *const bad_ids[] = {"not-a-uuid", "", "12345678-1234-1234-1234-12345678901", "' OR 1=1 --"};
    snprintf(body, sizeof(body), "{\"scheduled_time\":\"%s\"}", start);
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_UPDATE, org, bad_ids[i], NULL, "{\"notes\":\"x\"}"), 400, "invalid_id");
        vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_RESCHEDULE, org, bad_ids[i], NULL, body), 400, "invalid_id");
        vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_CANCEL, org, bad_ids[i], NULL, NULL), 400, "invalid_id");
    }
    char missing[37];
    vt_uuid(missing);
    vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_CANCEL, org, missing, NULL, NULL), 404, "not_found");
    vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_UPDATE, org, missing, NULL, "{\"notes\":\"x\"}"), 404, "not_found");

    /* id "I": the org's appointment. */
    static const struct {
        const char *subject, *id, *body, *code;
        unsigned status;
    } cases[] = {
        {VX_SUBJECT_APPOINTMENTS_CREATE, NULL, "{\"contact_id\":42,\"scheduled_time\":\"S\"}", "invalid_field", 400},
        {VX_SUBJECT_APPOINTMENTS_CREATE, NULL, "{\"contact_id\":\"C\",\"scheduled_time\":\"S\",\"duration_minutes\":\"30\"}",
         "invalid_field", 400},
        {VX_SUBJECT_APPOINTMENTS_CREATE, NULL, "{\"contact_id\":\"C\",\"scheduled_time\":\"S\",\"duration_minutes\":481}",
         "invalid_field", 400},
        {VX_SUBJECT_APPOINTMENTS_CREATE, NULL, "{\"contact_id\":\"C\",\"scheduled_time\":\"2027-03-10 09:00\"}", "invalid_field",
         400},
        {VX_SUBJECT_APPOINTMENTS_CREATE, NULL, "{\"contact_id\":\"C\",\"scheduled_time\":\"S\",\"scheduled_at\":\"S\"}",
         "unknown_field", 400},
        {VX_SUBJECT_APPOINTMENTS_CREATE, NULL, "{\"contact_id\":\"C\",\"scheduled_time\":\"S\",\"status\":\"booked\"}",
         "unknown_field", 400},
        {VX_SUBJECT_APPOINTMENTS_CREATE, NULL, "{\"contact_id\":\"C\",\"contact_id\":\"C\",\"scheduled_time\":\"S\"}",
         "duplicate_field", 400},
        {VX_SUBJECT_APPOINTMENTS_CREATE, NULL, "{\"scheduled_time\":\"S\"}", "missing_field", 400},
        {VX_SUBJECT_APPOINTMENTS_CREATE, NULL, "{\"contact_id\":\"C\",\"scheduled_time\":\"S\",\"service_id\":\"V\"}",
         "service_inactive", 409},
        {VX_SUBJECT_APPOINTMENTS_CREATE, NULL, "[1]", "invalid_json", 400},
        {VX_SUBJECT_APPOINTMENTS_CREATE, NULL, "{\"contact_id\":\"C\\u0000\"}", "invalid_json", 400},
        {VX_SUBJECT_APPOINTMENTS_UPDATE, "I", "{}", "empty_update", 400},
        {VX_SUBJECT_APPOINTMENTS_UPDATE, "I", "{\"status\":\"cancelled\"}", "invalid_field", 400},
        {VX_SUBJECT_APPOINTMENTS_UPDATE, "I", "{\"status\":true}", "invalid_field", 400},
        {VX_SUBJECT_APPOINTMENTS_UPDATE, "I", "{\"notes\":[\"a\"]}", "invalid_field", 400},
        {VX_SUBJECT_APPOINTMENTS_UPDATE, "I", "{\"service_id\":null}", "invalid_field", 400},
        {VX_SUBJECT_APPOINTMENTS_UPDATE, "I", "{\"scheduled_time\":\"S\"}", "unknown_field", 400},
        {VX_SUBJECT_APPOINTMENTS_UPDATE, "I", "{\"service_id\":\"V\"}", "service_inactive", 409},
        {VX_SUBJECT_APPOINTMENTS_RESCHEDULE, "I", "{}", "missing_field", 400},
        {VX_SUBJECT_APPOINTMENTS_RESCHEDULE, "I", "{\"scheduled_time\":\"S\",\"notes\":\"x\"}", "unknown_field", 400},
        {VX_SUBJECT_APPOINTMENTS_RESCHEDULE, "I", "{\"scheduled_time\":12}", "invalid_field", 400},
        {VX_SUBJECT_APPOINTMENTS_RESCHEDULE, "I", "{\"scheduled_time\":\"S\",\"duration_minutes\":0}", "invalid_field", 400},
        {VX_SUBJECT_APPOINTMENTS_RESCHEDULE, "I", "{\"scheduled_time\":\"1999-01-01T00:00:00Z\"}", "time_in_past", 400},
        {VX_SUBJECT_APPOINTMENTS_CANCEL, "I", "{\"reason\":\"sick\"}", "unknown_field", 400},
        {VX_SUBJECT_APPOINTMENTS_CANCEL, "I", "[", "invalid_json", 400},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* Placeholders: "C" the contact, "S" the start, "V" the deactivated service. */
        char cq[40], sq[32], vq[40];
        snprintf(cq, sizeof(cq), "\"%s\"", ann);
        snprintf(sq, sizeof(sq), "\"%s\"", start);
        snprintf(vq, sizeof(vq), "\"%s\"", off);
        char *b1 = vt_replace(cases[i].body, "\"C\"", cq), *b2 = vt_replace(b1, "\"S\"", sq);
        free(b1);
        b1 = vt_replace(b2, "\"V\"", vq);
        free(b2);
        vt_expect_error(send_req(cases[i].subject, org, cases[i].id != NULL ? id : NULL, NULL, b1), cases[i].status, cases[i].code);
        free(b1);
    }
    vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_CREATE, org, NULL, NULL, NULL), 400, "invalid_json");
    vt_expect_error(send_req(VX_SUBJECT_APPOINTMENTS_UPDATE, org, id, NULL, NULL), 400, "invalid_json");

    assert_int_equal(count_of("SELECT count(*) FROM appointments WHERE org_id = $1::uuid", org, NULL), rows);
    assert_int_equal(count_of("SELECT count(*) FROM audit_log WHERE org_id = $1::uuid", org, NULL), audits);
    expect_row(id, before);
    assert_true(vt_alive(service));
    free(before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_read_back),
        cmocka_unit_test(test_list_by_range_and_filters),
        cmocka_unit_test(test_a_clash_offers_free_alternatives),
        cmocka_unit_test(test_the_buffer_counts),
        cmocka_unit_test(test_racing_creates_make_one_booking),
        cmocka_unit_test(test_cancel_frees_the_time_and_is_idempotent),
        cmocka_unit_test(test_reschedule),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_another_orgs_ids_are_out_of_reach),
        cmocka_unit_test(test_staff_use_every_route),
        cmocka_unit_test(test_bad_input_changes_nothing),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    nats_Close();
    return rc;
}
