/*
 * The plan of the appointments list (services/dashboard-api/appointments.c,
 * DASHBOARD_APPOINTMENTS_LIST_SQL) on the real PostgreSQL, under row-level
 * security as the service runs it (DATABASE_URL, the org's claims), with the
 * generic plan a prepared statement settles on after five runs.
 *
 * A list that scans the org's appointments is fast in every functional
 * test and slow after years of bookings, so one org gets 50,000 of them
 * (one an hour, over five and a half years around now; every status),
 * another 5,000 at the same times, the table is vacuumed and analyzed, and
 * the list is EXPLAINed for a month with each filter. appointments must be
 * read through one of its (org_id, …) indexes — the range through
 * appointments_org_starts_idx (migrations/0003), a contact's through
 * appointments_org_contact_idx — never by a sequential scan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appointments.h"
#include "vt.h"
#include "vt_plans.h"
#include "vx_time.h"

#define STMT "appointments_list_plan"

static PGconn *admin, *svc;
static char org[37], other[37], contact[37], service[37];

/* rows appointments of org_id's contact, one an hour from 3 years ago; returns the contact's id into out. */
static void load(const char *org_id, const char *rows, char out[37])
{
    char phone[16];
    vt_random_e164(phone);
    const char *pc[2] = {org_id, phone};
    char *c = vt_sql_value(admin, "INSERT INTO contacts (org_id, phone) VALUES ($1::uuid, $2) RETURNING id", 2, pc);
    snprintf(out, 37, "%s", c);
    const char *p[3] = {org_id, c, rows};
    vt_sql_exec(admin,
                "INSERT INTO appointments (org_id, contact_id, service_name, starts_at, ends_at, status)"
                " SELECT $1::uuid, $2::uuid, 'Plan', t, t + interval '30 minutes',"
                " (ARRAY['booked', 'booked', 'completed', 'cancelled', 'no_show'])[1 + g % 5]"
                " FROM generate_series(1, $3::int) g, LATERAL (SELECT date_trunc('hour', now()) - interval '3 years'"
                " + g * interval '1 hour' AS t) s",
                3, p);
    free(c);
}

static int setup(void **state)
{
    admin = vt_admin();
    vt_create_org(admin, "Appointments plans", NULL, NULL, NULL, org);
    vt_create_org(admin, "Appointments plans other", NULL, NULL, NULL, other);
    load(org, "50000", contact);
    char other_contact[37];
    load(other, "5000", other_contact);
    const char *p[1] = {org};
    char *s = vt_sql_value(admin, "INSERT INTO services (org_id, name) VALUES ($1::uuid, 'Plan service') RETURNING id", 1, p);
    snprintf(service, sizeof(service), "%s", s);
    free(s);
    vt_sql_exec(admin, "VACUUM ANALYZE appointments", 0, NULL);
    svc = vt_service_conn();
    vt_prepare(svc, STMT, DASHBOARD_APPOINTMENTS_LIST_SQL);
    vt_plans_begin(svc, org);
    return 0;
}

static int teardown(void **state)
{
    vt_plans_end(svc);
    const char *p[2] = {org, other};
    vt_sql_exec(admin, "DELETE FROM appointments WHERE org_id IN ($1::uuid, $2::uuid)", 2, p);
    PQfinish(admin);
    return 0;
}

/* The problem with node and the nodes below it, or NULL: a read of
 * appointments other than through one of its (org_id, …) indexes. Counts
 * the index reads. */
static const char *check(const cJSON *node, int *indexed)
{
    if (strcmp(vt_plans_str(node, "Relation Name"), "appointments") == 0 ||
        strstr(vt_plans_str(node, "Index Name"), "appointments") != NULL) {
        const char *type = vt_plans_str(node, "Node Type");
        if (strcmp(type, "Seq Scan") == 0)
            return "Seq Scan on appointments";
        if (strstr(type, "Index") != NULL) {
            if (strncmp(vt_plans_str(node, "Index Name"), "appointments_org_", 17) != 0)
                return "appointments read through an index that does not start with org_id";
            (*indexed)++;
        }
    }
    const cJSON *child;
    cJSON_ArrayForEach(child, cJSON_GetObjectItemCaseSensitive(node, "Plans"))
    {
        const char *problem = check(child, indexed);
        if (problem != NULL)
            return problem;
    }
    return NULL;
}

/* Fails unless the list's plan for a month from now, with the filters given (NULL: none), reads appointments by index. */
static void assert_indexed(const char *what, const char *status, const char *contact_id, const char *service_id)
{
    char from[25], to[25];
    vx_time_format_iso(vx_now_ms(), from);
    vx_time_format_iso(vx_now_ms() + 30LL * 86400000, to);
    const char *params[8] = {org, from, to, status, contact_id, service_id, "100", "0"};
    cJSON *plan = vt_plans_explain(svc, "", STMT, params, 8);
    int indexed = 0;
    const char *problem = check(vt_plans_top(plan), &indexed);
    if (problem == NULL && indexed < 2) /* the page and the count */
        problem = "appointments not read by index";
    if (problem != NULL)
        fail_msg("%s: %s\n%s", what, problem, cJSON_Print(plan));
    cJSON_Delete(plan);
}

static void test_the_list_reads_appointments_by_index(void **state)
{
    assert_indexed("a month", NULL, NULL, NULL);
    assert_indexed("a month, booked", "booked", NULL, NULL);
    assert_indexed("a month, one contact", NULL, contact, NULL);
    assert_indexed("a month, one service", NULL, NULL, service);
    assert_indexed("a month, every filter", "cancelled", contact, service);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_list_reads_appointments_by_index),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
