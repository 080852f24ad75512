/*
 * test_tenancy: the tenancy guarantees of the schema that voxctl migrate
 * installs (migrations/0001_tenancy.sql and the tables after it), proved
 * against the real PostgreSQL as the services' own role:
 *   - that role is neither superuser nor BYPASSRLS, and every tenant table
 *     has row-level security enabled and forced;
 *   - under org A's claims each table shows exactly A's rows, under none or a
 *     stranger's claims nothing; every table with an org_id column (found in
 *     the catalog, so later migrations are covered) has the tenant_isolation
 *     policy and the org_id guard and shows a stranger nothing;
 *   - rows for another org cannot be inserted, and a row's org cannot be
 *     changed, not even by the superuser (the trigger holds);
 *   - another org's rows cannot be deleted or updated: the statements succeed
 *     and touch nothing;
 *   - the cross-org look-ups answer active organizations only, and
 *     parked_messages (no org to scope it) is write-only for the app role,
 *     purged through purge_parked_messages() with a retention of a day or more.
 *
 * Environment: DATABASE_URL (the app role: every proof runs as it) and
 * ADMIN_DATABASE_URL (the superuser: used to check), as deploy/local/infra.sh
 * writes them; the schema migrated (tests/run-all.sh does it first). Every
 * run uses fresh random ids and numbers; the organizations it creates are
 * deleted at the end (cascading to their rows).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "vt.h"
#include "vx_validate.h"

#define MAX_ORGS 8

static struct {
    PGconn *admin; /* superuser: checks only */
    PGconn *app;   /* the services' role: subject to row-level security */
    char orgs[MAX_ORGS][VX_UUID_STR_LEN + 1];
    size_t norgs; /* organizations to delete at the end */
} g;

/* ------------------------------------------------------------------ helpers */

static void remember_org(const char *id)
{
    assert_true(g.norgs < MAX_ORGS);
    snprintf(g.orgs[g.norgs++], sizeof(g.orgs[0]), "%s", id);
}

static PGresult *query(PGconn *conn, const char *sql, int n, const char *const *params)
{
    return PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
}

/* The single value sql returns, malloc'd; fails the test on SQL NULL or no row. */
static char *value_of(PGconn *conn, const char *sql, int n, const char *const *params)
{
    char *v = vt_sql_value(conn, sql, n, params);
    if (v == NULL)
        fail_msg("no value: %s", sql);
    return v;
}

/* The SQLSTATE of sql, which is expected to fail ("" when it succeeded; static buffer).
 * The surrounding transaction, if any, is then aborted: the caller rolls back. */
static const char *sqlstate_of(PGconn *conn, const char *sql, int n, const char *const *params)
{
    static char state[6];
    vt_sql_sqlstate(conn, sql, n, params, state);
    return state;
}

static void rollback(PGconn *conn)
{
    PQclear(PQexec(conn, "ROLLBACK"));
}

/* ------------------------------------------------------------------ row-level security */

static const char *const tenant_tables[] = {"organizations", "agents", "contacts", "call_logs"};
#define N_TENANT_TABLES (sizeof(tenant_tables) / sizeof(tenant_tables[0]))

static struct {
    char a[VX_UUID_STR_LEN + 1], b[VX_UUID_STR_LEN + 1];
    char a_contact[VX_UUID_STR_LEN + 1];
    long a_counts[N_TENANT_TABLES], b_counts[N_TENANT_TABLES];
} t;

/* Inserts org (under its own claims, as the app role) with one agent, one
 * contact and ncalls call logs. */
static void seed_org(const char *org, int ncalls, char contact_out[VX_UUID_STR_LEN + 1])
{
    char tag[VX_UUID_STR_LEN + 1], assistant[64], phone[16], contact[VX_UUID_STR_LEN + 1];
    vt_uuid(tag);
    vt_uuid(contact);
    snprintf(assistant, sizeof(assistant), "asst-rls-%s", tag);
    vt_random_e164(phone);
    vt_begin_as(g.app, org);
    const char *po[2] = {org, "RLS test org"};
    vt_sql_exec(g.app, "INSERT INTO organizations (id, name) VALUES ($1, $2)", 2, po);
    remember_org(org);
    const char *pa[2] = {org, assistant};
    vt_sql_exec(g.app, "INSERT INTO agents (org_id, vapi_assistant_id) VALUES ($1, $2)", 2, pa);
    const char *pc[3] = {contact, org, phone};
    vt_sql_exec(g.app, "INSERT INTO contacts (id, org_id, phone, first_name) VALUES ($1, $2, $3, 'Test')", 3, pc);
    for (int i = 0; i < ncalls; i++) {
        char call[VX_UUID_STR_LEN + 1], call_id[64];
        vt_uuid(call);
        snprintf(call_id, sizeof(call_id), "call-%s", call);
        const char *pl[4] = {org, call_id, contact, phone};
        vt_sql_exec(g.app,
                    "INSERT INTO call_logs (org_id, vapi_call_id, call_sid, contact_id, phone_number) "
                    "VALUES ($1, $2, 'CA' || md5($2), $3, $4)",
                    4, pl);
    }
    vt_sql_exec(g.app, "COMMIT", 0, NULL);
    if (contact_out != NULL)
        snprintf(contact_out, VX_UUID_STR_LEN + 1, "%s", contact);
}

/* Seeds orgs A and B once, for whichever RLS test runs first. */
static void ensure_tenants(void)
{
    static bool seeded;
    if (seeded)
        return;
    seeded = true;
    vt_uuid(t.a);
    vt_uuid(t.b);
    seed_org(t.a, 1, t.a_contact);
    seed_org(t.b, 2, NULL);
    const long a[N_TENANT_TABLES] = {1, 1, 1, 1}, b[N_TENANT_TABLES] = {1, 1, 1, 2};
    memcpy(t.a_counts, a, sizeof(a));
    memcpy(t.b_counts, b, sizeof(b));
}

static long count_table(PGconn *conn, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table); /* a name from tenant_tables, never input */
    return vt_sql_long(conn, sql, 0, NULL);
}

static void test_app_role_cannot_bypass(void **state)
{
    ensure_tenants();
    char *flags =
        value_of(g.app, "SELECT rolbypassrls::text || ' ' || rolsuper::text FROM pg_roles WHERE rolname = current_user", 0, NULL);
    assert_string_equal(flags, "false false");
    free(flags);
    for (size_t i = 0; i < N_TENANT_TABLES; i++) {
        const char *p[1] = {tenant_tables[i]};
        char *rls = value_of(g.app,
                             "SELECT (relrowsecurity AND relforcerowsecurity)::text FROM pg_class "
                             "WHERE oid = to_regclass($1)",
                             1, p);
        assert_string_equal(rls, "true");
        free(rls);
    }
}

static void test_claims_scope_every_count(void **state)
{
    ensure_tenants();
    for (size_t i = 0; i < N_TENANT_TABLES; i++) {
        vt_begin_as(g.app, t.a);
        long a = count_table(g.app, tenant_tables[i]);
        rollback(g.app);
        vt_begin_as(g.app, t.b);
        long b = count_table(g.app, tenant_tables[i]);
        rollback(g.app);
        if (a != t.a_counts[i] || b != t.b_counts[i])
            fail_msg("%s: org A sees %ld rows (want %ld), org B sees %ld (want %ld)", tenant_tables[i], a, t.a_counts[i], b,
                     t.b_counts[i]);
        /* The admin, who bypasses RLS, sees both orgs' rows: the filter is real. */
        assert_true(count_table(g.admin, tenant_tables[i]) >= a + b);
    }
    vt_begin_as(g.app, t.a);
    const char *pb[1] = {t.b};
    assert_int_equal(vt_sql_long(g.app, "SELECT count(*) FROM call_logs WHERE org_id = $1", 1, pb), 0);
    assert_int_equal(vt_sql_long(g.app, "SELECT count(*) FROM organizations WHERE id = $1", 1, pb), 0);
    rollback(g.app);
}

static void test_no_claims_sees_nothing(void **state)
{
    ensure_tenants();
    char stranger[VX_UUID_STR_LEN + 1];
    vt_uuid(stranger);
    for (size_t i = 0; i < N_TENANT_TABLES; i++) {
        assert_int_equal(count_table(g.app, tenant_tables[i]), 0); /* outside any transaction */
        vt_sql_exec(g.app, "BEGIN", 0, NULL);
        assert_int_equal(count_table(g.app, tenant_tables[i]), 0);
        rollback(g.app);
        vt_begin_as(g.app, stranger);
        assert_int_equal(count_table(g.app, tenant_tables[i]), 0);
        rollback(g.app);
    }
}

/* Every table with an org_id column — found in the catalog, so tables added by
 * later migrations are covered without touching this test — is a tenant table:
 * RLS enabled and forced, the tenant_isolation policy, the org_id guard, and
 * under a stranger's claims the app role sees none of its rows even where the
 * admin sees some. */
static void test_every_table_with_org_id_is_isolated(void **state)
{
    ensure_tenants();
    PGresult *tables =
        query(g.admin,
              "SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity,"
              " EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation'),"
              " EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = c.relname || '_org_id_immutable')"
              " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
              " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped"
              " WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1",
              0, NULL);
    assert_true(PQntuples(tables) >= 9);
    char stranger[VX_UUID_STR_LEN + 1];
    vt_uuid(stranger);
    for (int i = 0; i < PQntuples(tables); i++) {
        const char *name = PQgetvalue(tables, i, 0);
        if (strcmp(PQgetvalue(tables, i, 1), "t") != 0 || strcmp(PQgetvalue(tables, i, 2), "t") != 0 ||
            strcmp(PQgetvalue(tables, i, 3), "t") != 0)
            fail_msg("%s: RLS forced %s, tenant_isolation policy %s, org_id guard %s", name, PQgetvalue(tables, i, 1),
                     PQgetvalue(tables, i, 2), PQgetvalue(tables, i, 3));
        char sql[160];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM public.%s", name); /* a catalog name, not input */
        vt_begin_as(g.app, stranger);
        long seen = vt_sql_long(g.app, sql, 0, NULL);
        rollback(g.app);
        if (seen != 0)
            fail_msg("%s: a stranger's claims see %ld rows", name, seen);
    }
    PQclear(tables);
}

static void test_insert_for_other_org_refused(void **state)
{
    ensure_tenants();
    char tag[VX_UUID_STR_LEN + 1], text[64], phone[16];
    vt_uuid(tag);
    vt_random_e164(phone);
    snprintf(text, sizeof(text), "x-%s", tag);

    struct {
        const char *sql;
        int n;
    } inserts[] = {
        {"INSERT INTO organizations (id, name) VALUES ($1, $2)", 2},
        {"INSERT INTO agents (org_id, vapi_assistant_id) VALUES ($1, $2)", 2},
        {"INSERT INTO contacts (org_id, phone, first_name) VALUES ($1, $3, $2)", 3},
        {"INSERT INTO call_logs (org_id, vapi_call_id, call_sid) VALUES ($1, $2, $2)", 2},
    };
    char other[VX_UUID_STR_LEN + 1];
    vt_uuid(other);
    for (size_t i = 0; i < sizeof(inserts) / sizeof(inserts[0]); i++) {
        /* organizations: a new org other than the claims' one; others: a row for org B. */
        const char *target = i == 0 ? other : t.b;
        const char *p[3] = {target, text, phone};
        vt_begin_as(g.app, t.a);
        assert_string_equal(sqlstate_of(g.app, inserts[i].sql, inserts[i].n, p), "42501");
        rollback(g.app);
    }
    const char *p[1] = {text};
    assert_int_equal(vt_sql_long(g.admin, "SELECT count(*) FROM agents WHERE vapi_assistant_id = $1", 1, p), 0);
    assert_int_equal(vt_sql_long(g.admin, "SELECT count(*) FROM call_logs WHERE vapi_call_id = $1", 1, p), 0);
}

static void test_org_id_cannot_change(void **state)
{
    ensure_tenants();
    const char *const tables[] = {"agents", "contacts", "call_logs"};
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        char sql[160];
        snprintf(sql, sizeof(sql), "UPDATE %s SET org_id = $1 WHERE org_id = $2", tables[i]);
        const char *p[2] = {t.b, t.a};
        /* The app role, under A's claims: refused (trigger, and the policy's WITH CHECK). */
        vt_begin_as(g.app, t.a);
        assert_string_equal(sqlstate_of(g.app, sql, 2, p), "42501");
        rollback(g.app);
        /* Even the superuser, who bypasses RLS, cannot move a row: the trigger holds. */
        vt_sql_exec(g.admin, "BEGIN", 0, NULL);
        assert_string_equal(sqlstate_of(g.admin, sql, 2, p), "42501");
        rollback(g.admin);
    }
    char other[VX_UUID_STR_LEN + 1];
    vt_uuid(other);
    const char *p[2] = {other, t.a};
    vt_begin_as(g.app, t.a);
    assert_string_equal(sqlstate_of(g.app, "UPDATE organizations SET id = $1 WHERE id = $2", 2, p), "42501");
    rollback(g.app);
    vt_sql_exec(g.admin, "BEGIN", 0, NULL);
    assert_string_equal(sqlstate_of(g.admin, "UPDATE organizations SET id = $1 WHERE id = $2", 2, p), "42501");
    rollback(g.admin);
    const char *pc[1] = {t.a_contact};
    char *owner = value_of(g.admin, "SELECT org_id::text FROM contacts WHERE id = $1", 1, pc);
    assert_string_equal(owner, t.a);
    free(owner);
}

/* Regression (issue 9, migration 0006): the app role could delete its own
 * organization (and every tenant row with it) or lift its own suspension.
 * It may rename it, nothing more; the owner may still do everything. */
static void test_org_row_rights(void **state)
{
    ensure_tenants();
    const char *pa[1] = {t.a};
    vt_begin_as(g.app, t.a);
    assert_string_equal(sqlstate_of(g.app, "DELETE FROM organizations WHERE id = $1", 1, pa), "42501");
    rollback(g.app);
    vt_begin_as(g.app, t.a);
    assert_string_equal(sqlstate_of(g.app, "UPDATE organizations SET status = 'active' WHERE id = $1", 1, pa), "42501");
    rollback(g.app);
    vt_begin_as(g.app, t.a);
    assert_string_equal(sqlstate_of(g.app, "UPDATE organizations SET name = 'Renamed Clinic' WHERE id = $1", 1, pa), "");
    rollback(g.app);
    vt_sql_exec(g.admin, "BEGIN", 0, NULL);
    assert_string_equal(sqlstate_of(g.admin, "UPDATE organizations SET status = 'suspended' WHERE id = $1", 1, pa), "");
    rollback(g.admin);
}

/* Regression (issue 9, migration 0007): the look-ups that place a Vapi
 * message checked only that the key existed, so a suspended organization
 * kept getting its calls served and stored. Each look-up now answers an
 * active organization only, and again once it is reactivated. */
static void test_lookups_answer_active_orgs_only(void **state)
{
    char org[VX_UUID_STR_LEN + 1], tag[VX_UUID_STR_LEN + 1], assistant[64], phone_id[64], phone[16];
    vt_uuid(org);
    vt_uuid(tag);
    snprintf(assistant, sizeof(assistant), "asst-susp-%s", tag);
    snprintf(phone_id, sizeof(phone_id), "pn-susp-%s", tag);
    vt_random_e164(phone);
    const char *po[2] = {org, "Suspension test org"};
    vt_sql_exec(g.admin, "INSERT INTO organizations (id, name) VALUES ($1, $2)", 2, po);
    remember_org(org);
    const char *pa[4] = {org, assistant, phone_id, phone};
    vt_sql_exec(g.admin,
                "INSERT INTO agents (org_id, vapi_assistant_id, vapi_phone_number_id, phone_number) VALUES ($1, $2, $3, $4)", 4,
                pa);

    static const char *const lookups[] = {"SELECT org_for_assistant($1)::text", "SELECT org_for_phone_number_id($1)::text",
                                          "SELECT org_for_phone_number($1)::text",
                                          "SELECT CASE WHEN org_exists($1::uuid) THEN $1::text END"};
    const char *keys[4] = {assistant, phone_id, phone, org};
    static const char *const states[] = {"active", "suspended", "active"};
    for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
        const char *ps[2] = {org, states[s]};
        vt_sql_exec(g.admin, "UPDATE organizations SET status = $2 WHERE id = $1", 2, ps);
        bool active = strcmp(states[s], "active") == 0;
        for (size_t i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
            char *found = vt_sql_value(g.app, lookups[i], 1, &keys[i]);
            if (active && (found == NULL || strcmp(found, org) != 0))
                fail_msg("%s: an active org is not found (got %s)", lookups[i], found != NULL ? found : "NULL");
            if (!active && found != NULL)
                fail_msg("%s: a suspended org is still found", lookups[i]);
            free(found);
        }
    }
}

/* Inserts a parked message received days_ago days ago, as the superuser; the
 * request id tells the rows of this run apart. */
static void park_as_admin(const char *request_id, int days_ago)
{
    char days[16];
    snprintf(days, sizeof(days), "%d", days_ago);
    const char *p[2] = {request_id, days};
    vt_sql_exec(g.admin,
                "INSERT INTO parked_messages (received_at, reason, request_id, payload)"
                " VALUES (now() - make_interval(days => $2::int), 'org-not-resolved', $1, '{}')",
                2, p);
}

static long parked_with_request(const char *request_id)
{
    const char *p[1] = {request_id};
    return vt_sql_long(g.admin, "SELECT count(*) FROM parked_messages WHERE request_id = $1", 1, p);
}

/* Regression (issue 9, migration 0007): parked_messages holds whole Vapi
 * messages of every org (transcripts, callers' numbers) without an org to
 * scope them, and the app role could read them all and they were kept for
 * ever. The app role may now only add to it, and purge what is older than a
 * retention of at least a day through purge_parked_messages(). */
static void test_parked_messages_are_write_only(void **state)
{
    char tag[VX_UUID_STR_LEN + 1], fresh[64], old[64], recent[64], mine[64];
    vt_uuid(tag);
    snprintf(fresh, sizeof(fresh), "it-parked-fresh-%s", tag);
    snprintf(old, sizeof(old), "it-parked-old-%s", tag);
    snprintf(recent, sizeof(recent), "it-parked-recent-%s", tag);
    snprintf(mine, sizeof(mine), "it-parked-app-%s", tag);

    /* Adding is what webhook-ingest does: allowed, redeliveries included. */
    const char *pm[1] = {mine};
    const char *park_sql = "INSERT INTO parked_messages (reason, request_id, payload) VALUES ('org-not-resolved', $1, '{}')"
                           " ON CONFLICT DO NOTHING";
    assert_string_equal(sqlstate_of(g.app, park_sql, 1, pm), "");
    assert_string_equal(sqlstate_of(g.app, park_sql, 1, pm), "");
    assert_int_equal(parked_with_request(mine), 1);

    /* Reading, changing or deleting it is not. */
    assert_string_equal(sqlstate_of(g.app, "SELECT count(*) FROM parked_messages", 0, NULL), "42501");
    assert_string_equal(sqlstate_of(g.app, "SELECT payload FROM parked_messages WHERE request_id = $1", 1, pm), "42501");
    assert_string_equal(sqlstate_of(g.app, "UPDATE parked_messages SET reason = 'x' WHERE request_id = $1", 1, pm), "42501");
    assert_string_equal(sqlstate_of(g.app, "DELETE FROM parked_messages WHERE request_id = $1", 1, pm), "42501");
    assert_string_equal(sqlstate_of(g.app, "TRUNCATE parked_messages", 0, NULL), "42501");

    /* The purge deletes what is older than the retention, nothing younger … */
    park_as_admin(old, 31);
    park_as_admin(recent, 29);
    park_as_admin(fresh, 0);
    char *purged = vt_sql_value(g.app, "SELECT purge_parked_messages(30, 1000)::text", 0, NULL);
    assert_non_null(purged);
    assert_true(atol(purged) >= 1);
    free(purged);
    assert_int_equal(parked_with_request(old), 0);
    assert_int_equal(parked_with_request(recent), 1);
    assert_int_equal(parked_with_request(fresh), 1);
    /* … and never keeps less than a day, whatever the app role asks. */
    assert_string_equal(sqlstate_of(g.app, "SELECT purge_parked_messages(0, 1000)", 0, NULL), "22023");
    assert_string_equal(sqlstate_of(g.app, "SELECT purge_parked_messages(-5, 1000)", 0, NULL), "22023");
    assert_string_equal(sqlstate_of(g.app, "SELECT purge_parked_messages(NULL, 1000)", 0, NULL), "22023");
    assert_int_equal(parked_with_request(fresh), 1);

    const char *pr[4] = {fresh, old, recent, mine};
    vt_sql_exec(g.admin, "DELETE FROM parked_messages WHERE request_id IN ($1, $2, $3, $4)", 4, pr);
}

static void test_other_org_rows_untouchable(void **state)
{
    ensure_tenants();
    const char *pb[1] = {t.b};
    vt_begin_as(g.app, t.a);
    PGresult *res = query(g.app, "DELETE FROM contacts WHERE org_id = $1", 1, pb);
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    assert_string_equal(PQcmdTuples(res), "0");
    PQclear(res);
    res = query(g.app, "UPDATE call_logs SET outcome = 'tampered' WHERE org_id = $1", 1, pb);
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    assert_string_equal(PQcmdTuples(res), "0");
    PQclear(res);
    vt_sql_exec(g.app, "COMMIT", 0, NULL);
    assert_int_equal(vt_sql_long(g.admin, "SELECT count(*) FROM contacts WHERE org_id = $1", 1, pb), 1);
    assert_int_equal(
        vt_sql_long(g.admin, "SELECT count(*) FROM call_logs WHERE org_id = $1 AND outcome IS NOT DISTINCT FROM 'tampered'", 1, pb),
        0);
}

/* ------------------------------------------------------------------ fixture */

/* After a failed assertion a transaction may be left open, holding locks the
 * next test (or the cleanup) would wait for: end it. */
static int end_transactions(void **state)
{
    PGconn *conns[2] = {g.app, g.admin};
    for (size_t i = 0; i < 2; i++) {
        if (conns[i] != NULL && PQtransactionStatus(conns[i]) != PQTRANS_IDLE)
            rollback(conns[i]);
    }
    return 0;
}

static int group_setup(void **state)
{
    g.admin = vt_admin();
    g.app = vt_app();
    /* A broken guarantee must fail the test, never hang it on a lock. */
    PQclear(PQexec(g.admin, "SET lock_timeout = '10s'"));
    PQclear(PQexec(g.app, "SET lock_timeout = '10s'"));
    return 0;
}

static int group_teardown(void **state)
{
    end_transactions(state);
    for (size_t i = 0; i < g.norgs; i++) {
        const char *p[1] = {g.orgs[i]};
        PQclear(query(g.admin, "DELETE FROM organizations WHERE id = $1", 1, p));
    }
    PQfinish(g.app);
    PQfinish(g.admin);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_app_role_cannot_bypass, end_transactions),
        cmocka_unit_test_teardown(test_claims_scope_every_count, end_transactions),
        cmocka_unit_test_teardown(test_no_claims_sees_nothing, end_transactions),
        cmocka_unit_test_teardown(test_every_table_with_org_id_is_isolated, end_transactions),
        cmocka_unit_test_teardown(test_insert_for_other_org_refused, end_transactions),
        cmocka_unit_test_teardown(test_org_id_cannot_change, end_transactions),
        cmocka_unit_test_teardown(test_org_row_rights, end_transactions),
        cmocka_unit_test_teardown(test_other_org_rows_untouchable, end_transactions),
        cmocka_unit_test_teardown(test_lookups_answer_active_orgs_only, end_transactions),
        cmocka_unit_test_teardown(test_parked_messages_are_write_only, end_transactions),
    };
    return cmocka_run_group_tests_name("tenancy (row-level security)", tests, group_setup, group_teardown);
}
