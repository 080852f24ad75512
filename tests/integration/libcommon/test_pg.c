/*
 * test_pg: libcommon/vx_pg's tenant scopes against the real PostgreSQL,
 * connected as the app role (no BYPASSRLS), so row-level security decides
 * what each statement sees.
 *
 * vx_pg_read_batch: many reads of many orgs in one round trip, each seeing
 * only its own org's rows, a failed read failing alone, a lost connection
 * failing the batch and healing for the next.
 *
 * Environment: DATABASE_URL (app role) and ADMIN_DATABASE_URL (superuser, to
 * seed two orgs and clean up), from deploy/local/infra.sh's env file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vt.h"
#include "vx_pg.h"

static struct {
    PGconn *admin;
    vx_pg *pg;
    char org_a[37], org_b[37];
} T;

#define STMT_COUNT   "test_pg_count"
#define STMT_CLAIMS  "test_pg_claims"
#define STMT_BY_ID   "test_pg_by_id"
#define STMT_TX_TIME "test_pg_xact"
#define STMT_PID     "test_pg_pid"

/* No WHERE org_id on purpose: only the claims can limit what it counts. */
static long count_contacts(void)
{
    PGresult *r = vx_pg_exec(T.pg, STMT_COUNT, 0, NULL);
    assert_non_null(r);
    long n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return n;
}

static char *claims_now(void)
{
    PGresult *r = vx_pg_exec(T.pg, STMT_CLAIMS, 0, NULL);
    assert_non_null(r);
    char *v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static void test_reads_scope_sees_only_its_org(void **state)
{
    (void)state;
    assert_int_equal(vx_pg_begin_org_reads(T.pg, T.org_a), 0);
    assert_int_equal(count_contacts(), 3);
    assert_int_equal(count_contacts(), 3); /* the claims go with every statement */
    assert_int_equal(vx_pg_commit(T.pg), 0);
    assert_int_equal(vx_pg_begin_org_reads(T.pg, T.org_b), 0);
    assert_int_equal(count_contacts(), 2);
    vx_pg_rollback(T.pg);
}

static void test_reads_scope_leaves_no_claims_behind(void **state)
{
    (void)state;
    assert_int_equal(vx_pg_begin_org_reads(T.pg, T.org_a), 0);
    char *inside = claims_now();
    assert_non_null(strstr(inside, T.org_a));
    free(inside);
    assert_int_equal(vx_pg_commit(T.pg), 0);
    /* Outside any scope the session has no claims (they were local to the
     * implicit transaction) and RLS shows nothing. */
    char *after = claims_now();
    assert_string_equal(after, "");
    free(after);
    assert_int_equal(count_contacts(), 0);
}

static void test_reads_scope_runs_no_open_transaction(void **state)
{
    (void)state;
    assert_int_equal(vx_pg_begin_org_reads(T.pg, T.org_a), 0);
    /* Two reads are two transactions: an explicit one would give both the same xact start. */
    PGresult *r1 = vx_pg_exec(T.pg, STMT_TX_TIME, 0, NULL);
    PGresult *r2 = vx_pg_exec(T.pg, STMT_TX_TIME, 0, NULL);
    assert_non_null(r1);
    assert_non_null(r2);
    assert_string_not_equal(PQgetvalue(r1, 0, 0), PQgetvalue(r2, 0, 0));
    PQclear(r1);
    PQclear(r2);
    vx_pg_rollback(T.pg);
}

static void test_reads_scope_survives_a_failed_statement(void **state)
{
    (void)state;
    assert_int_equal(vx_pg_begin_org_reads(T.pg, T.org_a), 0);
    const char *bad[1] = {"not-a-uuid"};
    assert_null(vx_pg_exec(T.pg, STMT_BY_ID, 1, bad));
    assert_string_equal(vx_pg_sqlstate(T.pg), "22P02");
    /* The failure ended its own implicit transaction only: the scope carries on. */
    assert_int_equal(count_contacts(), 3);
    vx_pg_rollback(T.pg);
}

static void test_other_orgs_rows_are_invisible_by_id(void **state)
{
    (void)state;
    char *id = vt_sql_value(T.admin, "SELECT id::text FROM contacts WHERE org_id = $1 LIMIT 1", 1, (const char *[]){T.org_b});
    assert_int_equal(vx_pg_begin_org_reads(T.pg, T.org_a), 0);
    const char *p[1] = {id};
    PGresult *r = vx_pg_exec(T.pg, STMT_BY_ID, 1, p);
    assert_non_null(r);
    assert_int_equal(PQntuples(r), 0);
    PQclear(r);
    vx_pg_rollback(T.pg);
    free(id);
}

static void test_transaction_scope_still_one_transaction(void **state)
{
    (void)state;
    assert_int_equal(vx_pg_begin_org(T.pg, T.org_a), 0);
    PGresult *r1 = vx_pg_exec(T.pg, STMT_TX_TIME, 0, NULL);
    PGresult *r2 = vx_pg_exec(T.pg, STMT_TX_TIME, 0, NULL);
    assert_non_null(r1);
    assert_non_null(r2);
    assert_string_equal(PQgetvalue(r1, 0, 0), PQgetvalue(r2, 0, 0));
    PQclear(r1);
    PQclear(r2);
    assert_int_equal(count_contacts(), 3);
    assert_int_equal(vx_pg_commit(T.pg), 0);
    char *after = claims_now();
    assert_string_equal(after, "");
    free(after);
}

static void test_bad_org_id_refused(void **state)
{
    (void)state;
    char longer[128];
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(vx_pg_begin_org_reads(T.pg, longer), -1);
    assert_int_equal(vx_pg_begin_org_reads(T.pg, NULL), -1);
    assert_int_equal(count_contacts(), 0);
}

static const char *expect_count(const char *org)
{
    return strcmp(org, T.org_a) == 0 ? "3" : "2";
}

static void test_read_batch_each_read_sees_its_own_org(void **state)
{
    (void)state;
    /* More than one round (64 reads), orgs interleaved: the batch regroups
     * them by org but every result lands on its own read. */
    enum { N = 150 };
    vx_pg_read reads[N];
    for (int i = 0; i < N; i++)
        reads[i] = (vx_pg_read){.org_id = i % 3 == 0 ? T.org_b : T.org_a, .stmt = STMT_COUNT};
    assert_int_equal(vx_pg_read_batch(T.pg, reads, N), 0);
    for (int i = 0; i < N; i++) {
        assert_non_null(reads[i].result);
        assert_string_equal(PQgetvalue(reads[i].result, 0, 0), expect_count(reads[i].org_id));
        PQclear(reads[i].result);
    }
    /* The claims were local to the batch's implicit transactions. */
    char *after = claims_now();
    assert_string_equal(after, "");
    free(after);
    assert_int_equal(vx_pg_read_batch(T.pg, reads, 0), 0);
}

static void test_read_batch_a_failed_read_fails_alone(void **state)
{
    (void)state;
    const char *bad[1] = {"not-a-uuid"};
    vx_pg_read reads[] = {
        {.org_id = T.org_a, .stmt = STMT_COUNT}, {.org_id = T.org_a, .stmt = STMT_BY_ID, .nparams = 1, .params = {bad[0]}},
        {.org_id = T.org_a, .stmt = STMT_COUNT}, /* skipped by the server after the failure, sent again */
        {.org_id = T.org_b, .stmt = STMT_COUNT}, {.org_id = "not-a-uuid", .stmt = STMT_COUNT}, /* its claims fail: only its group */
        {.org_id = T.org_a, .stmt = STMT_COUNT},
    };
    size_t n = sizeof(reads) / sizeof(reads[0]);
    assert_int_equal(vx_pg_read_batch(T.pg, reads, n), 2);
    const char *want[] = {"3", NULL, "3", "2", NULL, "3"};
    for (size_t i = 0; i < n; i++) {
        if (want[i] == NULL) {
            assert_null(reads[i].result);
            continue;
        }
        assert_non_null(reads[i].result);
        assert_string_equal(PQgetvalue(reads[i].result, 0, 0), want[i]);
        PQclear(reads[i].result);
    }
    assert_string_equal(vx_pg_sqlstate(T.pg), "22P02");
}

static void test_read_batch_after_a_lost_connection(void **state)
{
    (void)state;
    vx_pg_read pid = {.org_id = T.org_a, .stmt = STMT_PID};
    assert_int_equal(vx_pg_read_batch(T.pg, &pid, 1), 0);
    const char *p[1] = {PQgetvalue(pid.result, 0, 0)};
    vt_sql_exec(T.admin, "SELECT pg_terminate_backend($1::int)", 1, p);
    PQclear(pid.result);
    vx_pg_read reads[3];
    for (int i = 0; i < 3; i++)
        reads[i] = (vx_pg_read){.org_id = T.org_b, .stmt = STMT_COUNT};
    assert_int_equal(vx_pg_read_batch(T.pg, reads, 3), 3);
    for (int i = 0; i < 3; i++)
        assert_null(reads[i].result);
    assert_true(vx_pg_error_is_transient(T.pg));
    /* Reconnects once the backoff (100 ms) has passed. */
    size_t failed = 3;
    for (int attempt = 0; attempt < 50 && failed != 0; attempt++) {
        usleep(50 * 1000);
        failed = vx_pg_read_batch(T.pg, reads, 3);
    }
    assert_int_equal(failed, 0);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(PQgetvalue(reads[i].result, 0, 0), "2");
        PQclear(reads[i].result);
    }
}

static void seed(const char *org, int contacts)
{
    char name[64];
    snprintf(name, sizeof(name), "test_pg %.8s", org);
    const char *p[2] = {org, name};
    vt_sql_exec(T.admin, "INSERT INTO organizations (id, name) VALUES ($1, $2)", 2, p);
    for (int i = 0; i < contacts; i++) {
        char phone[16];
        snprintf(phone, sizeof(phone), "+1555%07d", rand() % 10000000);
        const char *c[2] = {org, phone};
        vt_sql_exec(T.admin, "INSERT INTO contacts (org_id, first_name, phone) VALUES ($1, 'Pat', $2)", 2, c);
    }
}

static int group_setup(void **state)
{
    (void)state;
    srand((unsigned)getpid());
    T.admin = vt_admin();
    vt_uuid(T.org_a);
    vt_uuid(T.org_b);
    seed(T.org_a, 3);
    seed(T.org_b, 2);
    T.pg = vx_pg_create(vt_env("DATABASE_URL"));
    vx_pg_prepare(T.pg, STMT_COUNT, "SELECT count(*) FROM contacts");
    vx_pg_prepare(T.pg, STMT_CLAIMS, "SELECT coalesce(current_setting('request.jwt.claims', true), '')");
    vx_pg_prepare(T.pg, STMT_BY_ID, "SELECT id FROM contacts WHERE id = $1::uuid");
    vx_pg_prepare(T.pg, STMT_TX_TIME, "SELECT transaction_timestamp()::text");
    vx_pg_prepare(T.pg, STMT_PID, "SELECT pg_backend_pid()");
    return vx_pg_ensure(T.pg);
}

static int group_teardown(void **state)
{
    (void)state;
    const char *p[2] = {T.org_a, T.org_b};
    vt_sql_exec(T.admin, "DELETE FROM organizations WHERE id IN ($1, $2)", 2, p);
    vx_pg_destroy(T.pg);
    PQfinish(T.admin);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_scope_sees_only_its_org),
        cmocka_unit_test(test_reads_scope_leaves_no_claims_behind),
        cmocka_unit_test(test_reads_scope_runs_no_open_transaction),
        cmocka_unit_test(test_reads_scope_survives_a_failed_statement),
        cmocka_unit_test(test_other_orgs_rows_are_invisible_by_id),
        cmocka_unit_test(test_transaction_scope_still_one_transaction),
        cmocka_unit_test(test_bad_org_id_refused),
        cmocka_unit_test(test_read_batch_each_read_sees_its_own_org),
        cmocka_unit_test(test_read_batch_a_failed_read_fails_alone),
        cmocka_unit_test(test_read_batch_after_a_lost_connection),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
