/*
 * Integration test of the plans of webhook-ingest's batch statements
 * (services/webhook-ingest/call_store.c) on the real PostgreSQL, under
 * row-level security as the service runs them (DATABASE_URL, voxanne_svc).
 *
 * A batch's statements must find their rows through an index however much
 * the org has stored: a scan of the org's calls, contacts or jobs makes each
 * batch slower than the one before, which no functional test notices and a
 * benchmark finds only as a drain that degrades with the table's size.
 * Two regressions this catches:
 *   - the report's contact look-up compared the phone through a domain cast,
 *     which is not leakproof, so under RLS it became a sequential scan of
 *     contacts (1 s a batch at 20,000 contacts);
 *   - the marks of published jobs ("id IN (SELECT …) AND published_at IS
 *     NULL") were planned over the unpublished-jobs index, which every mark
 *     fills with dead entries: 4.6 ms a batch at 50,000 jobs and growing.
 *     They must go through the primary key.
 *
 * The org gets 20,000 calls, contacts and published jobs, the tables are
 * analyzed, and every statement call_store registers is EXPLAINed with a
 * generic plan (what a prepared statement settles on after five runs).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_store.h"
#include "vt.h"
#include "vt_plans.h"

#define ROWS "20000"

static PGconn *admin;
static PGconn *svc;
static char org[37];

static char *explain(const char *name, const char *args)
{
    return vt_explain(svc, name, args);
}

/* Fails when plan scans one of the tables the org filled. */
static void assert_no_big_scan(const char *name, const char *plan)
{
    static const char *const tables[] = {"call_logs", "contacts", "work_outbox"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char scan[64];
        snprintf(scan, sizeof scan, "Seq Scan on %s", tables[i]);
        if (strstr(plan, scan) != NULL)
            fail_msg("%s scans %s:\n%s", name, tables[i], plan);
    }
}

static int setup(void **state)
{
    admin = vt_admin();
    vt_create_org(admin, "Ingest plans org", NULL, NULL, NULL, org);
    const char *p[2] = {org, ROWS};
    vt_sql_exec(admin,
                "INSERT INTO contacts (org_id, phone, first_name, lead_status)"
                " SELECT $1::uuid, ('+1415' || lpad(g::text, 7, '0'))::e164, 'Caller ' || g, 'contacted'"
                " FROM generate_series(1, $2::int) g",
                2, p);
    vt_sql_exec(admin,
                "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, status, phone_number)"
                " SELECT $1::uuid, 'plan-' || $1 || '-' || g, 'vapi-plan-' || $1 || '-' || g, 'completed',"
                " ('+1415' || lpad(g::text, 7, '0'))::e164 FROM generate_series(1, $2::int) g",
                2, p);
    vt_sql_exec(admin,
                "INSERT INTO work_outbox (org_id, job_key, subject, payload, published_at)"
                " SELECT $1::uuid, 'plan-' || $1 || '-' || g, 'work.notifier.hot_lead', '\\x00', now()"
                " FROM generate_series(1, $2::int) g",
                2, p);
    vt_sql_exec(admin, "ANALYZE contacts, call_logs, work_outbox", 0, NULL);

    svc = vt_service_conn();
    for (const call_store_statement *st = CALL_STORE_STATEMENTS; st->name != NULL; st++)
        vt_prepare(svc, st->name, st->sql);
    vt_plans_begin(svc, org);
    return 0;
}

static int teardown(void **state)
{
    vt_plans_end(svc);
    const char *p[1] = {org};
    vt_sql_exec(admin, "DELETE FROM work_outbox WHERE org_id = $1::uuid", 1, p);
    vt_sql_exec(admin, "DELETE FROM call_logs WHERE org_id = $1::uuid", 1, p);
    vt_sql_exec(admin, "DELETE FROM contacts WHERE org_id = $1::uuid", 1, p);
    PQfinish(admin);
    return 0;
}

static void test_marks_go_through_the_primary_key(void **state)
{
    char args[128];
    snprintf(args, sizeof args, "'%s', '[1, 2, 3]'", org);
    char *plan = explain("call_store_marks", args);
    if (strstr(plan, "work_outbox_pkey") == NULL)
        fail_msg("the marks do not use work_outbox's primary key:\n%s", plan);
    assert_no_big_scan("call_store_marks", plan);
    free(plan);
}

static void test_no_batch_statement_scans_the_orgs_tables(void **state)
{
    /* Each statement's arguments: the org, and one row of its JSON. */
    static const struct {
        const char *name, *row;
    } calls[] = {
        {"call_store_statuses", "[{\"vapi_call_id\": \"plan-x\", \"status\": \"ended\", \"caller\": \"+14150000001\"}]"},
        {"call_store_hangs", "[{\"vapi_call_id\": \"plan-x\", \"request_id\": \"plan-r\"}]"},
        {"call_store_contacts", "[{\"phone\": \"+14150000001\", \"lead_status\": \"contacted\"}]"},
        {"call_store_reports", "[{\"seq\": 0, \"vapi_call_id\": \"plan-x\", \"caller\": \"+14150000001\"}]"},
        {"call_store_jobs", "[{\"job_key\": \"plan-j\", \"subject\": \"work.notifier.hot_lead\", \"payload\": \"00\"}]"},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        char args[512];
        snprintf(args, sizeof args, "'%s', '%s'", org, calls[i].row);
        char *plan = explain(calls[i].name, args);
        assert_no_big_scan(calls[i].name, plan);
        free(plan);
    }
    /* The context takes the batch's call ids only. */
    char *plan = explain("call_store_context", "'[\"plan-x\"]'");
    assert_no_big_scan("call_store_context", plan);
    free(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marks_go_through_the_primary_key),
        cmocka_unit_test(test_no_batch_statement_scans_the_orgs_tables),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
