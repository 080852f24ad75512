/*
 * Every dashboard route, through the gateway, against the tenancy rules
 * (SPEC hard rules 7-9, issue 12): org A's token never reads or changes
 * org B's rows, and a staff token is refused where only owners may act.
 *
 * The test is driven by the suite's route table (libcommon/vx_routes.c):
 * every route a dashboard token may call must have a row in CASES below, or
 * the test fails naming it — a route added later is covered, or CI says it
 * is not. A row says how to aim the route at org B's rows (a path holding
 * B's id, or a body naming B's values) and whether staff may call it.
 *
 * What counts as a leak: an answer to A that holds any of B's ids, or any
 * change to any of B's rows (a digest of every table's rows of org B, taken
 * before and compared after every request). Staff rows are run against A's
 * own resources: 403 where the route is owners-only (and A's rows unchanged),
 * anything but 403 where staff may act.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vt.h"
#include "vx_buf.h"
#include "vx_routes.h"

/* The ids a case's path and body may name; each filled for A and for B. */
typedef struct org_fixture {
    char org[37];
    char contact[37], call[37], service[37], vapi_call[64], phone[16];
    char appointment[37];                              /* the contact's, booked for tomorrow */
    char member[37], member_email[80], invitation[37]; /* a staff member and an open invitation */
} org_fixture;

typedef enum {
    AIM_PATH,      /* the path names B's resource: A must get 404 */
    AIM_LIST,      /* A reads its own collection: B's rows must not appear */
    AIM_BODY,      /* A writes its own rows with B's values: B must not change, nothing of B's answered */
    AIM_ELSEWHERE, /* proved by another test (named in why): the row only keeps the route classified */
} aim;

typedef struct tenancy_case {
    const char *method, *pattern; /* exactly as in the route table */
    aim aim;
    /* with the aimed-at org's {contact} {call} {service} {vapi_call} {phone} {member} {member_email} {invitation} {appointment} */
    const char *path;
    const char *body; /* the same placeholders, or NULL */
    bool owner_only;
    const char *why; /* for AIM_ELSEWHERE: the test that proves it */
} tenancy_case;

static const tenancy_case CASES[] = {
    {"GET", "/api/events", AIM_ELSEWHERE, NULL, NULL, false,
     "tests/e2e/test_events_sse.c: a client of org A sees A's call.ended and never B's"},
    {"GET", "/api/calls", AIM_LIST, "/api/calls?limit=100", NULL, false, NULL},
    {"GET", "/api/calls/stats", AIM_LIST, "/api/calls/stats", NULL, false, NULL},
    {"GET", "/api/calls/{id:uuid}", AIM_PATH, "/api/calls/{call}", NULL, false, NULL},
    {"GET", "/api/contacts", AIM_LIST, "/api/contacts?limit=100&q=Tenancy", NULL, false, NULL},
    {"POST", "/api/contacts", AIM_BODY, "/api/contacts", "{\"first_name\":\"Same\",\"phone\":\"{phone}\"}", false, NULL},
    {"GET", "/api/contacts/stats", AIM_LIST, "/api/contacts/stats", NULL, false, NULL},
    {"GET", "/api/contacts/{id:uuid}", AIM_PATH, "/api/contacts/{contact}", NULL, false, NULL},
    {"PATCH", "/api/contacts/{id:uuid}", AIM_PATH, "/api/contacts/{contact}", "{\"notes\":\"changed by another org\"}", false,
     NULL},
    {"DELETE", "/api/contacts/{id:uuid}", AIM_PATH, "/api/contacts/{contact}", NULL, false, NULL},
    /* The body is the CSV file itself (the gateway forwards it as sent). */
    {"POST", "/api/contacts/import", AIM_BODY, "/api/contacts/import", "first_name,phone\r\nSame,{phone}\r\n", false, NULL},
    {"GET", "/api/contacts/export", AIM_LIST, "/api/contacts/export", NULL, true, NULL},
    {"GET", "/api/contacts/{id:uuid}/export", AIM_PATH, "/api/contacts/{contact}/export", NULL, true, NULL},
    /* The suite has no Vapi: B's contact is 404 before Vapi would be asked, and
     * staff on A's (no agent) get 409. tests/integration/dashboard-api/
     * test_contact_call.c proves no request reaches Vapi for another org's contact. */
    {"POST", "/api/contacts/{id:uuid}/call", AIM_PATH, "/api/contacts/{contact}/call", NULL, false, NULL},
    {"GET", "/api/appointments", AIM_LIST, "/api/appointments?limit=500", NULL, false, NULL},
    /* Far ahead, so it never lies in the past (the desk may book beyond the horizon). */
    {"POST", "/api/appointments", AIM_BODY, "/api/appointments",
     "{\"contact_id\":\"{contact}\",\"service_id\":\"{service}\",\"scheduled_time\":\"2099-01-07T10:00:00Z\"}", false, NULL},
    {"PATCH", "/api/appointments/{id:uuid}", AIM_PATH, "/api/appointments/{appointment}", "{\"notes\":\"changed by another org\"}",
     false, NULL},
    {"POST", "/api/appointments/{id:uuid}/reschedule", AIM_PATH, "/api/appointments/{appointment}/reschedule",
     "{\"scheduled_time\":\"2099-01-08T10:00:00Z\"}", false, NULL},
    {"POST", "/api/appointments/{id:uuid}/cancel", AIM_PATH, "/api/appointments/{appointment}/cancel", NULL, false, NULL},
    {"GET", "/api/orgs/validate", AIM_LIST, "/api/orgs/validate", NULL, false, NULL},
    {"GET", "/api/team", AIM_LIST, "/api/team", NULL, true, NULL},
    {"POST", "/api/team/invitations", AIM_BODY, "/api/team/invitations", "{\"email\":\"{member_email}\"}", true, NULL},
    {"DELETE", "/api/team/invitations/{id:uuid}", AIM_PATH, "/api/team/invitations/{invitation}", NULL, true, NULL},
    {"PATCH", "/api/team/{id:uuid}", AIM_PATH, "/api/team/{member}", "{\"role\":\"owner\"}", true, NULL},
    {"DELETE", "/api/team/{id:uuid}", AIM_PATH, "/api/team/{member}", NULL, true, NULL},
    {"GET", "/api/services", AIM_LIST, "/api/services", NULL, false, NULL},
    {"POST", "/api/services", AIM_BODY, "/api/services", "{\"name\":\"Tenancy Whitening\",\"price\":10}", true, NULL},
    {"PATCH", "/api/services/{id:uuid}", AIM_PATH, "/api/services/{service}", "{\"price\":1}", true, NULL},
    {"DELETE", "/api/services/{id:uuid}", AIM_PATH, "/api/services/{service}", NULL, true, NULL},
    {"GET", "/api/settings/notifications", AIM_LIST, "/api/settings/notifications", NULL, false, NULL},
    {"PUT", "/api/settings/notifications", AIM_BODY, "/api/settings/notifications", "{\"hot_lead_threshold\":55}", true, NULL},
    {"GET", "/api/audit", AIM_LIST, "/api/audit?limit=200", NULL, true, NULL},
    {"GET", "/api/agent", AIM_LIST, "/api/agent", NULL, false, NULL},
    /* B's service offered by A: refused (400), as another org's rows are invisible to A. */
    {"PUT", "/api/agent", AIM_BODY, "/api/agent", "{\"name\":\"Tenancy Desk\",\"services_offered\":[\"{service}\"]}", true, NULL},
    {"GET", "/api/agent/sync", AIM_LIST, "/api/agent/sync", NULL, false, NULL},
    {"GET", "/api/integrations", AIM_ELSEWHERE, NULL, NULL, false,
     "tests/e2e/test_integrations.c: another org's token never sees, reads or deletes org A's integrations"},
    {"POST", "/api/integrations/twilio", AIM_ELSEWHERE, NULL, NULL, true, "tests/e2e/test_integrations.c (as above)"},
    {"DELETE", "/api/integrations/twilio", AIM_ELSEWHERE, NULL, NULL, true, "tests/e2e/test_integrations.c (as above)"},
    {"GET", "/api/integrations/google/authorize", AIM_ELSEWHERE, NULL, NULL, true,
     "tests/e2e/test_integrations.c: another org's state is refused and stores nothing"},
    {"GET", "/api/knowledge-base/documents", AIM_ELSEWHERE, NULL, NULL, false,
     "tests/e2e/test_knowledge_base.c: org B never lists, reads, finds or deletes org A's document, and its list's cursor is "
     "refused to A (and A's to B) revealing nothing; staff read, never write"},
    {"POST", "/api/knowledge-base/documents", AIM_ELSEWHERE, NULL, NULL, true, "tests/e2e/test_knowledge_base.c (as above)"},
    {"GET", "/api/knowledge-base/documents/{id:uuid}", AIM_ELSEWHERE, NULL, NULL, false,
     "tests/e2e/test_knowledge_base.c (as above)"},
    {"DELETE", "/api/knowledge-base/documents/{id:uuid}", AIM_ELSEWHERE, NULL, NULL, true,
     "tests/e2e/test_knowledge_base.c (as above)"},
    {"GET", "/api/knowledge-base/search", AIM_ELSEWHERE, NULL, NULL, false, "tests/e2e/test_knowledge_base.c (as above)"},
};
#define NCASES (sizeof CASES / sizeof CASES[0])

/* Every table with org rows a dashboard route may read or write. */
static const char *const ORG_TABLES[] = {"contacts",     "call_logs",      "services",   "org_settings",
                                         "appointments", "business_hours", "agents",     "users",
                                         "invitations",  "agent_config",   "agent_sync", "integration_settings"};

static vt_suite suite;
static PGconn *admin;
static org_fixture A, B;
static char *owner_a, *staff_a;

/* text with each placeholder replaced by f's value (malloc'd). */
static char *aimed(const char *text, const org_fixture *f)
{
    const struct {
        const char *key, *value;
    } subs[] = {{"{contact}", f->contact},
                {"{call}", f->call},
                {"{service}", f->service},
                {"{vapi_call}", f->vapi_call},
                {"{phone}", f->phone},
                {"{member_email}", f->member_email},
                {"{member}", f->member},
                {"{invitation}", f->invitation},
                {"{appointment}", f->appointment}};
    char *out = strdup(text);
    assert_non_null(out);
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        char *next = vt_replace(out, subs[i].key, subs[i].value);
        free(out);
        out = next;
    }
    return out;
}

/* One digest of every row of org in ORG_TABLES: any change to any of them changes it. */
static char *org_digest(const char *org)
{
    vx_buf sql = VX_BUF_INIT;
    vx_buf_puts(&sql, "SELECT md5(concat(");
    for (size_t i = 0; i < sizeof ORG_TABLES / sizeof ORG_TABLES[0]; i++)
        vx_buf_printf(&sql, "%s(SELECT string_agg(t::text, '|' ORDER BY t::text) FROM %s t WHERE org_id = $1::uuid)",
                      i > 0 ? ", " : "", ORG_TABLES[i]);
    vx_buf_puts(&sql, "))");
    const char *p[1] = {org};
    char *digest = vt_sql_value(admin, sql.data, 1, p);
    vx_buf_free(&sql);
    return digest;
}

static vt_response api(const char *method, const char *path, const char *token, const char *body)
{
    char url[512], auth[1200];
    snprintf(url, sizeof url, "%s%s", suite.base_url, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    return vt_http(method, url, headers, body, body != NULL ? strlen(body) : 0);
}

/* Gives org f a contact, a call of that contact, a service and the contact's appointment. */
static void fill(org_fixture *f, const char *name)
{
    vt_create_org(admin, name, NULL, NULL, NULL, f->org);
    vt_random_e164(f->phone);
    char u[37];
    vt_uuid(u);
    snprintf(f->vapi_call, sizeof f->vapi_call, "tenancy-%s", u);
    const char *pc[2] = {f->org, f->phone};
    char *id = vt_sql_value(admin,
                            "INSERT INTO contacts (org_id, phone, first_name, last_name) VALUES ($1::uuid, $2, 'Tenancy', 'Caller')"
                            " RETURNING id",
                            2, pc);
    snprintf(f->contact, sizeof f->contact, "%s", id);
    free(id);
    const char *pl[4] = {f->org, f->vapi_call, f->contact, f->phone};
    id = vt_sql_value(admin,
                      "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status, contact_id, phone_number, caller_name,"
                      " lead_tier, lead_score) VALUES ($1::uuid, $2, 'vapi-' || $2, 'completed', $3::uuid, $4, 'Tenancy Caller',"
                      " 'hot', 80) RETURNING id",
                      4, pl);
    snprintf(f->call, sizeof f->call, "%s", id);
    free(id);
    const char *ps[2] = {f->org, f->vapi_call};
    id = vt_sql_value(admin,
                      "INSERT INTO services (org_id, name, price, keywords) VALUES ($1::uuid, 'Cleaning ' || $2, 120, '{clean}')"
                      " RETURNING id",
                      2, ps);
    snprintf(f->service, sizeof f->service, "%s", id);
    free(id);
    const char *pa[3] = {f->org, f->contact, f->service};
    id = vt_sql_value(admin,
                      "INSERT INTO appointments (org_id, contact_id, service_id, service_name, starts_at, ends_at)"
                      " VALUES ($1::uuid, $2::uuid, $3::uuid, 'Cleaning', date_trunc('hour', now()) + interval '1 day',"
                      " date_trunc('hour', now()) + interval '1 day 30 minutes') RETURNING id",
                      3, pa);
    snprintf(f->appointment, sizeof f->appointment, "%s", id);
    free(id);
    const char *po[1] = {f->org};
    vt_sql_exec(admin, "INSERT INTO org_settings (org_id, hot_lead_threshold) VALUES ($1::uuid, 75)", 1, po);
    /* Not naming the org: A may invite this address, and its answer will say it. */
    vt_uuid(u);
    snprintf(f->member_email, sizeof f->member_email, "member-%s@tenancy.test", u);
    const char *pm[2] = {f->org, f->member_email};
    id = vt_sql_value(admin,
                      "INSERT INTO users (org_id, email, password_hash, role) VALUES ($1::uuid, $2, '$y$not-a-real-hash', 'staff')"
                      " RETURNING id",
                      2, pm);
    snprintf(f->member, sizeof f->member, "%s", id);
    free(id);
    id = vt_sql_value(admin,
                      "INSERT INTO invitations (org_id, email, token_hash, expires_at) VALUES ($1::uuid, 'invited-' || $2,"
                      " sha256(convert_to($2, 'UTF8')), now() + interval '1 day') RETURNING id",
                      2, pm);
    snprintf(f->invitation, sizeof f->invitation, "%s", id);
    free(id);
}

static int setup(void **state)
{
    vt_suite_start(&suite);
    admin = vt_admin();
    fill(&A, "Tenancy A");
    fill(&B, "Tenancy B");
    owner_a = vt_token(&suite, A.org, 600);
    staff_a = vt_token_as(&suite, A.org, "staff", 600);
    return 0;
}

static int teardown(void **state)
{
    free(owner_a);
    free(staff_a);
    PQfinish(admin);
    vt_suite_stop(&suite);
    return 0;
}

static const tenancy_case *case_for(const vx_route *r)
{
    for (size_t i = 0; i < NCASES; i++)
        if (strcmp(CASES[i].method, r->method) == 0 && strcmp(CASES[i].pattern, r->pattern) == 0)
            return &CASES[i];
    return NULL;
}

static void test_every_dashboard_route_has_a_case(void **state)
{
    size_t n;
    const vx_route *routes = vx_routes_table(&n);
    bool missing = false;
    for (size_t i = 0; i < n; i++) {
        if (routes[i].auth != VX_AUTH_DASHBOARD || case_for(&routes[i]) != NULL)
            continue;
        fprintf(stderr, "no tenancy case for %s %s: add one to CASES\n", routes[i].method, routes[i].pattern);
        missing = true;
    }
    /* And no case for a route that is gone or no longer a dashboard route. */
    for (size_t i = 0; i < NCASES; i++) {
        bool found = false;
        for (size_t j = 0; j < n && !found; j++)
            found = routes[j].auth == VX_AUTH_DASHBOARD && strcmp(routes[j].method, CASES[i].method) == 0 &&
                    strcmp(routes[j].pattern, CASES[i].pattern) == 0;
        if (!found) {
            fprintf(stderr, "tenancy case %s %s matches no dashboard route\n", CASES[i].method, CASES[i].pattern);
            missing = true;
        }
        if (CASES[i].aim == AIM_ELSEWHERE && (CASES[i].why == NULL || strstr(CASES[i].why, "tests/") == NULL)) {
            fprintf(stderr, "tenancy case %s %s: say which test proves it\n", CASES[i].method, CASES[i].pattern);
            missing = true;
        }
    }
    assert_false(missing);
}

/* Fails when body holds any of f's ids. */
static void assert_holds_nothing_of(const char *what, const char *body, const org_fixture *f)
{
    const char *ids[] = {f->org, f->contact, f->call, f->service, f->vapi_call, f->appointment};
    for (size_t i = 0; body != NULL && i < sizeof ids / sizeof ids[0]; i++)
        if (strstr(body, ids[i]) != NULL)
            fail_msg("%s answered another org's id %s: %s", what, ids[i], body);
}

static void test_org_a_never_reads_or_changes_org_b(void **state)
{
    char *before = org_digest(B.org);
    for (size_t i = 0; i < NCASES; i++) {
        const tenancy_case *c = &CASES[i];
        if (c->aim == AIM_ELSEWHERE)
            continue;
        char what[160];
        snprintf(what, sizeof what, "%s %s", c->method, c->pattern);
        char *path = aimed(c->path, &B);
        char *body = c->body != NULL ? aimed(c->body, &B) : NULL;
        vt_response r = api(c->method, path, owner_a, body);
        if (r.status >= 500)
            fail_msg("%s: %ld %s", what, r.status, r.body != NULL ? r.body : "");
        if (c->aim == AIM_PATH && r.status != 404)
            fail_msg("%s aimed at org B's row answered %ld, not 404: %s", what, r.status, r.body != NULL ? r.body : "");
        assert_holds_nothing_of(what, r.body, &B);
        char *after = org_digest(B.org);
        if (strcmp(before, after) != 0)
            fail_msg("%s by org A changed org B's rows", what);
        free(after);
        vt_response_free(&r);
        free(path);
        free(body);
    }
    free(before);
}

static void test_staff_are_refused_where_only_owners_act(void **state)
{
    for (size_t i = 0; i < NCASES; i++) {
        const tenancy_case *c = &CASES[i];
        if (c->aim == AIM_ELSEWHERE)
            continue;
        char what[160];
        snprintf(what, sizeof what, "%s %s", c->method, c->pattern);
        char *before = org_digest(A.org);
        char *path = aimed(c->path, &A);
        char *body = c->body != NULL ? aimed(c->body, &A) : NULL;
        vt_response r = api(c->method, path, staff_a, body);
        if (c->owner_only) {
            if (r.status != 403)
                fail_msg("%s by staff answered %ld, not 403: %s", what, r.status, r.body != NULL ? r.body : "");
            char *after = org_digest(A.org);
            if (strcmp(before, after) != 0)
                fail_msg("%s refused to staff still changed the org's rows", what);
            free(after);
        } else if (r.status == 403 || r.status >= 500) {
            fail_msg("%s by staff answered %ld: %s", what, r.status, r.body != NULL ? r.body : "");
        }
        vt_response_free(&r);
        free(path);
        free(body);
        free(before);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_dashboard_route_has_a_case),
        cmocka_unit_test(test_org_a_never_reads_or_changes_org_b),
        cmocka_unit_test(test_staff_are_refused_where_only_owners_act),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
