/*
 * dashboard-api's priced services (services/dashboard-api/services.c) as a
 * real process on real NATS and PostgreSQL, spoken to as the gateway speaks
 * to it: a signed GatewayRequest with the route's subject, path id, query
 * and JSON body.
 *
 * Covered: create, list (ordered, filtered), update and delete; what is
 * stored (checked through the admin connection, which bypasses row-level
 * security); org A never reads or changes org B's services; staff read but
 * never change; every bad input a 4xx JSON error that changes nothing; a
 * name clash 409; a service that appointments refer to is not deleted.
 */
#include <nats/nats.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "voxanne/v1/gateway.pb-c.h"
#include "vt.h"
#include "vt_dashboard.h"
#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_time.h"

#define LIST   "rpc.dashboard.services.list"
#define CREATE "rpc.dashboard.services.create"
#define UPDATE "rpc.dashboard.services.update"
#define DELETE "rpc.dashboard.services.delete"
#define AUDIT  "rpc.dashboard.audit.list"

static natsConnection *nc;
static PGconn *admin;
static pid_t service;

/* A request as the gateway forwards it for a dashboard token of org with
 * role: the route's subject, the {id} of the path (NULL: none), the query
 * and the body (NULL: none). Returns the answer (free_unpacked). */
static Voxanne__V1__GatewayResponse *send_as(const char *subject, const char *org, const char *role, const char *id,
                                             const char *query, const char *body)
{
    return vt_dashboard_call(nc, subject, org, role, id, query, body, body != NULL ? strlen(body) : 0);
}

static Voxanne__V1__GatewayResponse *send_owner(const char *subject, const char *org, const char *id, const char *query,
                                                const char *body)
{
    return send_as(subject, org, "owner", id, query, body);
}

/* The answer's JSON when it has status, else the test fails. Frees r. */
static cJSON *expect_json(Voxanne__V1__GatewayResponse *r, unsigned status)
{
    char *body = strndup((const char *)r->body.data, r->body.len);
    assert_non_null(body);
    if (r->status != status)
        fail_msg("expected %u, got %u: %s", status, r->status, body);
    cJSON *json = cJSON_Parse(body);
    if (json == NULL)
        fail_msg("not JSON: %s", body);
    free(body);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
    return json;
}

/* Fails unless r is status with {"error": …, "code": code}. Frees r. */
static void expect_error(Voxanne__V1__GatewayResponse *r, unsigned status, const char *code)
{
    cJSON *json = expect_json(r, status);
    const char *got = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "code"));
    if (got == NULL || strcmp(got, code) != 0 || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(json, "error")))
        fail_msg("expected code %s, got %s", code, got != NULL ? got : "(none)");
    cJSON_Delete(json);
}

static const char *str_of(const cJSON *o, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
    if (s == NULL)
        fail_msg("no string %s", key);
    return s;
}

/* A fresh organization: each test starts from a known, empty price list. */
static void new_org(const char *name, char org[37])
{
    vt_create_org(admin, name, NULL, NULL, NULL, org);
}

/* Creates a service through the API; its id into id. */
static void create(const char *org, const char *body, char id[37])
{
    cJSON *s = expect_json(send_owner(CREATE, org, NULL, NULL, body), 201);
    snprintf(id, 37, "%s", str_of(s, "id"));
    cJSON_Delete(s);
}

/* Every stored column of org's services, as admin sees them: any change changes it. */
static char *digest(const char *org)
{
    const char *p[1] = {org};
    char *d = vt_sql_value(
        admin, "SELECT md5(coalesce(string_agg(s::text, '|' ORDER BY s.id), '')) FROM services s WHERE org_id = $1", 1, p);
    assert_non_null(d);
    return d;
}

static long count_services(const char *org)
{
    const char *p[1] = {org};
    return vt_sql_long(admin, "SELECT count(*) FROM services WHERE org_id = $1", 1, p);
}

/* An appointment of a new contact of org for service_id, with status. */
static void book(const char *org, const char *service_id, const char *status, int days_ahead)
{
    const char *pc[1] = {org};
    char *contact = vt_sql_value(admin, "INSERT INTO contacts (org_id, first_name) VALUES ($1, 'Jane') RETURNING id::text", 1, pc);
    char days[16];
    snprintf(days, sizeof(days), "%d", days_ahead);
    const char *pa[5] = {org, contact, service_id, status, days};
    vt_sql_exec(admin,
                "INSERT INTO appointments (org_id, contact_id, service_id, service_name, starts_at, ends_at, status) "
                "VALUES ($1, $2, $3, 'Booked service', now() + make_interval(days => $5::int), "
                "now() + make_interval(days => $5::int, mins => 30), $4)",
                5, pa);
    free(contact);
}

static int setup(void **state)
{
    admin = vt_admin();
    service = vt_dashboard_start(&nc, "dashboard-api-services");
    return 0;
}

static int teardown(void **state)
{
    vt_dashboard_stop(service, nc);
    PQfinish(admin);
    return 0;
}

static void test_create_answers_what_was_stored(void **state)
{
    char org[37], id[37];
    new_org("Services create", org);
    cJSON *s = expect_json(send_owner(CREATE, org, NULL, NULL,
                                      "{\"name\":\"  Teeth Whitening \",\"price\":199.5,\"duration_minutes\":45,"
                                      "\"keywords\":[\"Whitening\",\" BLEACH \",\"whitening\"],\"active\":true}"),
                           201);
    snprintf(id, sizeof(id), "%s", str_of(s, "id"));
    assert_string_equal(str_of(s, "name"), "Teeth Whitening");
    assert_true(cJSON_GetObjectItemCaseSensitive(s, "price")->valuedouble == 199.5);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(s, "duration_minutes")->valueint, 45);
    const cJSON *kw = cJSON_GetObjectItemCaseSensitive(s, "keywords");
    assert_int_equal(cJSON_GetArraySize(kw), 2);
    assert_string_equal(cJSON_GetArrayItem(kw, 0)->valuestring, "whitening");
    assert_string_equal(cJSON_GetArrayItem(kw, 1)->valuestring, "bleach");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "active")));
    str_of(s, "created_at");
    str_of(s, "updated_at");
    /* The caller's own org is not repeated back. */
    assert_null(cJSON_GetObjectItemCaseSensitive(s, "org_id"));
    cJSON_Delete(s);

    const char *p[1] = {id};
    char *row = vt_sql_value(
        admin, "SELECT concat_ws('|', name, price, duration_minutes, keywords, active) FROM services WHERE id = $1", 1, p);
    assert_string_equal(row, "Teeth Whitening|199.50|45|{whitening,bleach}|t");
    free(row);

    /* Only the name is required; the rest takes the table's defaults. */
    s = expect_json(send_owner(CREATE, org, NULL, NULL, "{\"name\":\"Consultation\"}"), 201);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(s, "price")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(s, "duration_minutes")->valueint, 30);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "keywords")), 0);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "active")));
    cJSON_Delete(s);
}

static void test_list_is_ordered_by_name_and_filtered(void **state)
{
    char org[37], id[37];
    new_org("Services list", org);
    cJSON *empty = expect_json(send_owner(LIST, org, NULL, NULL, NULL), 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(empty, "services")), 0);
    cJSON_Delete(empty);
    create(org, "{\"name\":\"zeta\",\"price\":1}", id);
    create(org, "{\"name\":\"Alpha\",\"active\":false}", id);
    create(org, "{\"name\":\"beta\",\"price\":8000}", id);

    static const struct {
        const char *query;
        const char *names;
    } cases[] = {{NULL, "Alpha,beta,zeta"}, {"active=true", "beta,zeta"}, {"active=false", "Alpha"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *list = expect_json(send_owner(LIST, org, NULL, cases[i].query, NULL), 200);
        vx_buf names = VX_BUF_INIT;
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(list, "services"))
        {
            vx_buf_printf(&names, "%s%s", names.len > 0 ? "," : "", str_of(s, "name"));
            assert_null(cJSON_GetObjectItemCaseSensitive(s, "org_id"));
        }
        assert_string_equal(names.data, cases[i].names);
        vx_buf_free(&names);
        cJSON_Delete(list);
    }
}

static void test_update_changes_only_the_fields_given(void **state)
{
    char org[37], id[37];
    new_org("Services update", org);
    create(org, "{\"name\":\"Botox\",\"price\":400,\"duration_minutes\":30,\"keywords\":[\"botox\",\"wrinkle\"]}", id);
    const char *p[1] = {id};
    char *created = vt_sql_value(admin, "SELECT created_at::text FROM services WHERE id = $1", 1, p);

    cJSON *s = expect_json(send_owner(UPDATE, org, id, NULL, "{\"price\":450.25,\"active\":false}"), 200);
    assert_string_equal(str_of(s, "id"), id);
    assert_string_equal(str_of(s, "name"), "Botox");
    assert_true(cJSON_GetObjectItemCaseSensitive(s, "price")->valuedouble == 450.25);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "active")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "keywords")), 2);
    assert_string_not_equal(str_of(s, "updated_at"), str_of(s, "created_at"));
    cJSON_Delete(s);

    /* Price back to "no price"; the name's case may change on its own row. */
    s = expect_json(
        send_owner(UPDATE, org, id, NULL, "{\"price\":null,\"name\":\"BOTOX\",\"keywords\":[],\"duration_minutes\":60}"), 200);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(s, "price")));
    cJSON_Delete(s);
    char *row = vt_sql_value(admin,
                             "SELECT concat_ws('|', name, coalesce(price::text, 'null'), duration_minutes, keywords, active, "
                             "created_at) FROM services WHERE id = $1",
                             1, p);
    char want[160];
    snprintf(want, sizeof(want), "BOTOX|null|60|{}|f|%s", created);
    assert_string_equal(row, want);
    free(row);
    free(created);
}

static void test_names_are_unique_per_org_ignoring_case(void **state)
{
    char org[37], other[37], id[37], second[37];
    new_org("Services clash", org);
    new_org("Services clash other", other);
    create(org, "{\"name\":\"Botox\",\"price\":400}", id);
    create(org, "{\"name\":\"Fillers\",\"price\":500}", second);
    char *before = digest(org);
    expect_error(send_owner(CREATE, org, NULL, NULL, "{\"name\":\"  bOTOX \",\"price\":1}"), 409, "service_exists");
    expect_error(send_owner(UPDATE, org, second, NULL, "{\"name\":\"BOTOX\"}"), 409, "service_exists");
    char *after = digest(org);
    assert_string_equal(before, after);
    /* Another org's price list is its own. */
    create(other, "{\"name\":\"Botox\"}", id);
    free(before);
    free(after);
}

static void test_delete(void **state)
{
    char org[37], id[37], missing[37];
    new_org("Services delete", org);
    create(org, "{\"name\":\"Liposuction\",\"price\":5000}", id);
    cJSON *d = expect_json(send_owner(DELETE, org, id, NULL, NULL), 200);
    assert_string_equal(str_of(d, "id"), id);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "deleted")));
    cJSON_Delete(d);
    assert_int_equal(count_services(org), 0);
    expect_error(send_owner(DELETE, org, id, NULL, NULL), 404, "not_found");
    expect_error(send_owner(UPDATE, org, id, NULL, "{\"price\":1}"), 404, "not_found");
    vt_uuid(missing);
    expect_error(send_owner(DELETE, org, missing, NULL, NULL), 404, "not_found");
    expect_error(send_owner(UPDATE, org, missing, NULL, "{\"active\":true}"), 404, "not_found");
}

/* Appointments keep their link to the service they booked (its price and
 * duration, for the pipeline and per-service conversions): a delete is
 * refused with a pointer to deactivation, whatever the appointment's status. */
static void test_delete_of_a_booked_service_is_refused(void **state)
{
    char org[37], booked[37], past[37];
    new_org("Services booked", org);
    create(org, "{\"name\":\"Facelift\",\"price\":8000}", booked);
    create(org, "{\"name\":\"Rhinoplasty\",\"price\":6000}", past);
    book(org, booked, "booked", 3);
    book(org, past, "cancelled", 5);
    char *before = digest(org);
    expect_error(send_owner(DELETE, org, booked, NULL, NULL), 409, "service_in_use");
    expect_error(send_owner(DELETE, org, past, NULL, NULL), 409, "service_in_use");
    char *after = digest(org);
    assert_string_equal(before, after);
    const char *p[2] = {org, booked};
    assert_int_equal(vt_sql_long(admin, "SELECT count(*) FROM appointments WHERE org_id = $1 AND service_id = $2", 2, p), 1);

    /* What the refusal suggests works: the agent stops offering it, the appointment keeps it. */
    cJSON *s = expect_json(send_owner(UPDATE, org, booked, NULL, "{\"active\":false}"), 200);
    cJSON_Delete(s);
    cJSON *list = expect_json(send_owner(LIST, org, NULL, "active=true", NULL), 200);
    char *text = cJSON_PrintUnformatted(list);
    assert_null(strstr(text, booked));
    free(text);
    cJSON_Delete(list);
    assert_int_equal(vt_sql_long(admin, "SELECT count(*) FROM appointments WHERE org_id = $1 AND service_id = $2", 2, p), 1);
    free(before);
    free(after);
}

/* Org A's owner, aiming at org B's service by id, gets 404 exactly as for an
 * id that does not exist, and B's rows do not move. */
static void test_other_orgs_services_are_out_of_reach(void **state)
{
    char a[37], b[37], b_id[37], a_id[37];
    new_org("Services tenant A", a);
    new_org("Services tenant B", b);
    create(b, "{\"name\":\"B only\",\"price\":123,\"keywords\":[\"bee\"]}", b_id);
    create(a, "{\"name\":\"A only\"}", a_id);
    char *before = digest(b);

    static const char *const queries[] = {NULL, "active=true", "active=false"};
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        Voxanne__V1__GatewayResponse *r = send_owner(LIST, a, NULL, queries[i], NULL);
        assert_int_equal(r->status, 200);
        assert_null(memmem(r->body.data, r->body.len, b_id, strlen(b_id)));
        assert_null(memmem(r->body.data, r->body.len, "B only", 6));
        voxanne__v1__gateway_response__free_unpacked(r, NULL);
    }
    expect_error(send_owner(UPDATE, a, b_id, NULL, "{\"price\":1}"), 404, "not_found");
    expect_error(send_owner(UPDATE, a, b_id, NULL, "{\"name\":\"taken over\",\"active\":false}"), 404, "not_found");
    expect_error(send_owner(DELETE, a, b_id, NULL, NULL), 404, "not_found");
    /* B's name is free in A. */
    char same[37];
    create(a, "{\"name\":\"B only\"}", same);

    char *after = digest(b);
    assert_string_equal(before, after);
    assert_int_equal(count_services(b), 1);
    free(before);
    free(after);
}

/* Staff quote prices to callers: they read the list, and every change is refused before anything is read. */
static void test_staff_read_but_never_change(void **state)
{
    char org[37], id[37];
    new_org("Services staff", org);
    create(org, "{\"name\":\"Botox\",\"price\":400}", id);
    cJSON *list = expect_json(send_as(LIST, org, "staff", NULL, NULL, NULL), 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list, "services")), 1);
    cJSON_Delete(list);
    char *before = digest(org);
    expect_error(send_as(CREATE, org, "staff", NULL, NULL, "{\"name\":\"Staff made\"}"), 403, "forbidden");
    expect_error(send_as(UPDATE, org, "staff", id, NULL, "{\"price\":1}"), 403, "forbidden");
    expect_error(send_as(DELETE, org, "staff", id, NULL, NULL), 403, "forbidden");
    char *after = digest(org);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* Bodies refused on both routes, with the code each gets. */
static const struct {
    const char *body;
    const char *code;
} BAD_BODIES[] = {
    {"", "invalid_json"},
    {"not json", "invalid_json"},
    {"[]", "invalid_json"},
    {"[{\"name\":\"x\"}]", "invalid_json"},
    {"\"Botox\"", "invalid_json"},
    {"null", "invalid_json"},
    {"42", "invalid_json"},
    {"{\"name\":\"x\"", "invalid_json"},
    {"{\"name\":\"x\"}{}", "invalid_json"},
    {"{\"name\":\"x\\u0000y\"}", "invalid_json"},
    {"{\"name\":\"x\",\"prize\":10}", "unknown_field"},
    {"{\"name\":\"x\",\"org_id\":\"00000000-0000-0000-0000-000000000000\"}", "unknown_field"},
    {"{\"name\":\"x\",\"id\":\"00000000-0000-0000-0000-000000000000\"}", "unknown_field"},
    {"{\"name\":\"x\",\"name\":\"y\"}", "duplicate_field"},
    {"{\"name\":42}", "invalid_name"},
    {"{\"name\":\"   \"}", "invalid_name"},
    {"{\"name\":null}", "invalid_name"},
    {"{\"name\":\"x\",\"price\":-1}", "invalid_price"},
    {"{\"name\":\"x\",\"price\":\"400\"}", "invalid_price"},
    {"{\"name\":\"x\",\"price\":19.999}", "invalid_price"},
    {"{\"name\":\"x\",\"price\":100000000}", "invalid_price"},
    {"{\"name\":\"x\",\"price\":1e308}", "invalid_price"},
    {"{\"name\":\"x\",\"duration_minutes\":4}", "invalid_duration"},
    {"{\"name\":\"x\",\"duration_minutes\":481}", "invalid_duration"},
    {"{\"name\":\"x\",\"duration_minutes\":30.5}", "invalid_duration"},
    {"{\"name\":\"x\",\"duration_minutes\":\"30\"}", "invalid_duration"},
    {"{\"name\":\"x\",\"duration_minutes\":null}", "invalid_duration"},
    {"{\"name\":\"x\",\"keywords\":\"botox\"}", "invalid_keywords"},
    {"{\"name\":\"x\",\"keywords\":[1]}", "invalid_keywords"},
    {"{\"name\":\"x\",\"keywords\":[\"\"]}", "invalid_keywords"},
    {"{\"name\":\"x\",\"keywords\":null}", "invalid_keywords"},
    {"{\"name\":\"x\",\"active\":\"yes\"}", "invalid_active"},
    {"{\"name\":\"x\",\"active\":1}", "invalid_active"},
};

/* A body whose name (or a keyword) is built of n copies of unit. */
static char *big_body(const char *prefix, const char *unit, size_t n, const char *suffix)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, prefix);
    for (size_t i = 0; i < n; i++)
        vx_buf_puts(&b, unit);
    vx_buf_puts(&b, suffix);
    return vx_buf_steal(&b);
}

static void test_bad_input_changes_nothing(void **state)
{
    char org[37], id[37];
    new_org("Services bad input", org);
    create(org, "{\"name\":\"Botox\",\"price\":400}", id);
    char *before = digest(org);

    for (size_t i = 0; i < sizeof(BAD_BODIES) / sizeof(BAD_BODIES[0]); i++) {
        expect_error(send_owner(CREATE, org, NULL, NULL, BAD_BODIES[i].body), 400, BAD_BODIES[i].code);
        expect_error(send_owner(UPDATE, org, id, NULL, BAD_BODIES[i].body), 400, BAD_BODIES[i].code);
    }
    expect_error(send_owner(CREATE, org, NULL, NULL, NULL), 400, "invalid_json");
    expect_error(send_owner(UPDATE, org, id, NULL, NULL), 400, "invalid_json");
    expect_error(send_owner(CREATE, org, NULL, NULL, "{}"), 400, "missing_name");
    expect_error(send_owner(CREATE, org, NULL, NULL, "{\"price\":10}"), 400, "missing_name");
    expect_error(send_owner(UPDATE, org, id, NULL, "{}"), 400, "empty_update");

    /* Too many keywords, too long a keyword, a huge name. */
    char *many = big_body("{\"name\":\"x\",\"keywords\":[\"k\"", ",\"k\"", 50, "]}");
    char *long_kw = big_body("{\"name\":\"x\",\"keywords\":[\"", "k", 101, "\"]}");
    char *huge = big_body("{\"name\":\"", "n", 200000, "\"}");
    char *just_over = big_body("{\"name\":\"", "\xc3\xa9", 201, "\"}");
    const struct {
        const char *body, *code;
    } big[] = {{many, "invalid_keywords"}, {long_kw, "invalid_keywords"}, {huge, "invalid_name"}, {just_over, "invalid_name"}};
    for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
        expect_error(send_owner(CREATE, org, NULL, NULL, big[i].body), 400, big[i].code);
        expect_error(send_owner(UPDATE, org, id, NULL, big[i].body), 400, big[i].code);
    }
    free(many);
    free(long_kw);
    free(huge);
    free(just_over);

    /* The path's id and the list's query. */
    static const char *const bad_ids[] = {"not-a-uuid", "", "00000000-0000-0000-0000-00000000000", "'; DROP TABLE services; --",
                                          "00000000-0000-0000-0000-000000000000x"};
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        expect_error(send_owner(UPDATE, org, bad_ids[i], NULL, "{\"price\":1}"), 400, "invalid_id");
        expect_error(send_owner(DELETE, org, bad_ids[i], NULL, NULL), 400, "invalid_id");
    }
    expect_error(send_owner(UPDATE, org, NULL, NULL, "{\"price\":1}"), 400, "invalid_id");
    expect_error(send_owner(DELETE, org, NULL, NULL, NULL), 400, "invalid_id");
    static const char *const bad_queries[] = {"active=yes", "active=",    "active=TRUE",
                                              "active=1",   "active=%zz", "active=truetruetrue"};
    for (size_t i = 0; i < sizeof(bad_queries) / sizeof(bad_queries[0]); i++)
        expect_error(send_owner(LIST, org, NULL, bad_queries[i], NULL), 400, "invalid_query");

    char *after = digest(org);
    assert_string_equal(before, after);
    assert_int_equal(count_services(org), 1);
    assert_true(vt_alive(service));
    free(before);
    free(after);
}

/* Text the array literal and JSON must carry intact: quotes, backslashes, braces, commas, non-ASCII. */
static void test_awkward_text_round_trips(void **state)
{
    char org[37], id[37];
    new_org("Services text", org);
    cJSON *s = expect_json(send_owner(CREATE, org, NULL, NULL,
                                      "{\"name\":\"Dr. \\\"Smile\\\" {Deluxe}, \\\\ Caf\xc3\xa9\","
                                      "\"keywords\":[\"a,b\",\"{c}\",\"say \\\"hi\\\"\",\"back\\\\slash\",\"NULL\"]}"),
                           201);
    snprintf(id, sizeof(id), "%s", str_of(s, "id"));
    assert_string_equal(str_of(s, "name"), "Dr. \"Smile\" {Deluxe}, \\ Caf\xc3\xa9");
    const cJSON *kw = cJSON_GetObjectItemCaseSensitive(s, "keywords");
    assert_int_equal(cJSON_GetArraySize(kw), 5);
    assert_string_equal(cJSON_GetArrayItem(kw, 0)->valuestring, "a,b");
    assert_string_equal(cJSON_GetArrayItem(kw, 1)->valuestring, "{c}");
    assert_string_equal(cJSON_GetArrayItem(kw, 2)->valuestring, "say \"hi\"");
    assert_string_equal(cJSON_GetArrayItem(kw, 3)->valuestring, "back\\slash");
    assert_string_equal(cJSON_GetArrayItem(kw, 4)->valuestring, "null"); /* a word, not SQL NULL */
    cJSON_Delete(s);
    const char *p[1] = {id};
    assert_int_equal(vt_sql_long(admin, "SELECT cardinality(keywords) FROM services WHERE id = $1 AND keywords[5] = 'null'", 1, p),
                     5);
}

/* Every change of the price list leaves one audit entry (services/dashboard-api/audit.c),
 * written with the change; a refused change leaves none; the log is the owners' and
 * the org's own. */
static void test_changes_are_audited(void **state)
{
    char org[37], other[37], id[37], kept[37];
    new_org("Audited services", org);
    new_org("Audited elsewhere", other);
    create(org, "{\"name\":\"Polish\",\"price\":40}", id);
    create(org, "{\"name\":\"Kept\"}", kept);
    cJSON_Delete(expect_json(send_owner(UPDATE, org, id, NULL, "{\"price\":45}"), 200));
    cJSON_Delete(expect_json(send_owner(DELETE, org, id, NULL, NULL), 200));
    expect_error(send_owner(CREATE, org, NULL, NULL, "{\"name\":\"kept\"}"), 409, "service_exists");
    expect_error(send_owner(UPDATE, org, kept, NULL, "{\"price\":-1}"), 400, "invalid_price");
    char elsewhere[37];
    create(other, "{\"name\":\"Elsewhere\"}", elsewhere);

    cJSON *log = expect_json(send_owner(AUDIT, org, NULL, "limit=10", NULL), 200);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(log, "entries");
    assert_int_equal(cJSON_GetArraySize(entries), 4); /* newest first, nothing for the refusals */
    const char *want[][2] = {{"service.deleted", id}, {"service.updated", id}, {"service.created", kept}, {"service.created", id}};
    for (int i = 0; i < 4; i++) {
        const cJSON *e = cJSON_GetArrayItem(entries, i);
        assert_string_equal(str_of(e, "action"), want[i][0]);
        assert_string_equal(str_of(e, "target_type"), "service");
        assert_string_equal(str_of(e, "actor_role"), "owner");
        assert_string_equal(str_of(e, "actor_user_id"), "user-1");
        assert_string_equal(str_of(e, "target_id"), want[i][1]);
    }
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(log, "next_before")));
    cJSON_Delete(log);

    /* Paging: two entries, then the two before them, and no more. */
    log = expect_json(send_owner(AUDIT, org, NULL, "limit=2", NULL), 200);
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(log, "next_before");
    assert_true(cJSON_IsNumber(next));
    char query[64];
    snprintf(query, sizeof query, "limit=2&before=%.0f", next->valuedouble);
    cJSON_Delete(log);
    log = expect_json(send_owner(AUDIT, org, NULL, query, NULL), 200);
    entries = cJSON_GetObjectItemCaseSensitive(log, "entries");
    assert_int_equal(cJSON_GetArraySize(entries), 2);
    assert_string_equal(str_of(cJSON_GetArrayItem(entries, 0), "target_id"), kept);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(log, "next_before")));
    cJSON_Delete(log);
    log = expect_json(send_owner(AUDIT, org, NULL, "action=service.updated", NULL), 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(log, "entries")), 1);
    cJSON_Delete(log);

    /* The other org's entry is its own. */
    log = expect_json(send_owner(AUDIT, other, NULL, NULL, NULL), 200);
    entries = cJSON_GetObjectItemCaseSensitive(log, "entries");
    assert_int_equal(cJSON_GetArraySize(entries), 1);
    assert_string_equal(str_of(cJSON_GetArrayItem(entries, 0), "target_id"), elsewhere);
    cJSON_Delete(log);

    /* Owners only; bad queries are 400. */
    expect_error(send_as(AUDIT, org, "staff", NULL, NULL, NULL), 403, "forbidden");
    expect_error(send_owner(AUDIT, org, NULL, "limit=0", NULL), 400, "invalid_query");
    expect_error(send_owner(AUDIT, org, NULL, "before=x", NULL), 400, "invalid_query");
    expect_error(send_owner(AUDIT, org, NULL, "action=DROP%20TABLE", NULL), 400, "invalid_query");

    /* Append-only: the service's own role can neither change nor remove an entry. */
    PGconn *svc = PQconnectdb(vt_env("DATABASE_URL"));
    assert_int_equal(PQstatus(svc), CONNECTION_OK);
    char sqlstate[6];
    vt_begin_as(svc, org);
    vt_sql_sqlstate(svc, "UPDATE audit_log SET action = 'service.forged'", 0, NULL, sqlstate);
    assert_string_equal(sqlstate, "42501");
    vt_sql_exec(svc, "ROLLBACK", 0, NULL);
    vt_begin_as(svc, org);
    vt_sql_sqlstate(svc, "DELETE FROM audit_log", 0, NULL, sqlstate);
    assert_string_equal(sqlstate, "42501");
    vt_sql_exec(svc, "ROLLBACK", 0, NULL);
    PQfinish(svc);
    const char *p[1] = {org};
    char *n = vt_sql_value(admin, "SELECT count(*) FROM audit_log WHERE org_id = $1", 1, p);
    assert_string_equal(n, "4");
    free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_answers_what_was_stored),
        cmocka_unit_test(test_list_is_ordered_by_name_and_filtered),
        cmocka_unit_test(test_update_changes_only_the_fields_given),
        cmocka_unit_test(test_names_are_unique_per_org_ignoring_case),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_delete_of_a_booked_service_is_refused),
        cmocka_unit_test(test_other_orgs_services_are_out_of_reach),
        cmocka_unit_test(test_staff_read_but_never_change),
        cmocka_unit_test(test_bad_input_changes_nothing),
        cmocka_unit_test(test_awkward_text_round_trips),
        cmocka_unit_test(test_changes_are_audited),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    nats_Close();
    return rc;
}
