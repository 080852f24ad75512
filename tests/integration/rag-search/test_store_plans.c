/*
 * The plan of the knowledge base's document list (services/rag-search/
 * store.c, STORE_DOCUMENT_LIST_SQL) on the real PostgreSQL, under row-level
 * security as the service runs it (DATABASE_URL, the org's claims), with
 * the generic plan a prepared statement settles on after five runs (forced).
 *
 * A list that scans or sorts the org's documents is fast in every
 * functional test and slow for an org with years of uploads, so one org
 * gets 20,000 documents spread over a year (in an order unlike their
 * insertion), another 2,000, the table is vacuumed and analyzed, and the
 * first page, a page after a cursor mid-year and the last page are run:
 * kb_documents must be read through kb_documents_org_created_idx
 * (migrations/0020) alone, never scanned, never sorted, and a page must
 * read the page and the one row that tells whether another follows — not
 * the documents newer than where it starts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "vt.h"
#include "vt_plans.h"
#include "vx_time.h"

#define STMT  "kb_list_plan"
#define INDEX "kb_documents_org_created_idx"
#define LIMIT 100

static PGconn *admin, *svc;
static char org[37], other[37];

static void load(const char *org_id, const char *rows)
{
    /* Over the past year by a multiplicative hash of g: the index order is not the insertion order. */
    const char *p[2] = {org_id, rows};
    vt_sql_exec(
        admin,
        "INSERT INTO kb_documents (org_id, title, content_type, byte_size, sha256, chunk_count, characters, created_at)"
        " SELECT $1::uuid, 'Plan document ' || g, 'text/plain', 100, encode(sha256(convert_to($1::text || g, 'UTF8')), 'hex'),"
        " 0, 0, now() - ((g::bigint * 7919) % $2::int) * (interval '365 days' / $2::int)"
        " FROM generate_series(1, $2::int) g",
        2, p);
}

static int setup(void **state)
{
    admin = vt_admin();
    vt_create_org(admin, "KB plans org", NULL, NULL, NULL, org);
    vt_create_org(admin, "KB plans other org", NULL, NULL, NULL, other);
    load(org, "20000");
    load(other, "2000");
    vt_sql_exec(admin, "VACUUM ANALYZE kb_documents", 0, NULL);
    svc = vt_service_conn();
    vt_prepare(svc, STMT, STORE_DOCUMENT_LIST_SQL);
    vt_plans_begin(svc, org);
    return 0;
}

static int teardown(void **state)
{
    vt_plans_end(svc);
    const char *p[2] = {org, other};
    vt_sql_exec(admin, "DELETE FROM organizations WHERE id IN ($1::uuid, $2::uuid)", 2, p);
    PQfinish(admin);
    return 0;
}

/* The problem with node and the nodes below it, or NULL: a read of
 * kb_documents other than an index scan of INDEX, or a sort of its rows.
 * *rows: the rows the index scans returned. */
static const char *check(const cJSON *node, int *scans, double *rows)
{
    const char *type = vt_plans_str(node, "Node Type");
    if (strcmp(vt_plans_str(node, "Relation Name"), "kb_documents") == 0) {
        if (strcmp(type, "Index Scan") != 0 || strcmp(vt_plans_str(node, "Index Name"), INDEX) != 0)
            return "kb_documents read otherwise than by an index scan of " INDEX;
        (*scans)++;
        *rows += cJSON_GetObjectItemCaseSensitive(node, "Actual Rows")->valuedouble;
    }
    if (strstr(type, "Sort") != NULL && vt_plans_reads(node, "kb_documents"))
        return "a sort of kb_documents' rows";
    const cJSON *child;
    cJSON_ArrayForEach(child, cJSON_GetObjectItemCaseSensitive(node, "Plans"))
    {
        const char *problem = check(child, scans, rows);
        if (problem != NULL)
            return problem;
    }
    return NULL;
}

/* Runs the page after (at, id) and fails unless its plan passes check and its
 * one index scan returns want rows (the page and the one after it). */
static void assert_page(const char *what, const char *at, const char *id, double want)
{
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", LIMIT);
    const char *params[4] = {org, limit, at, id};
    cJSON *plan = vt_plans_explain(svc, "ANALYZE", STMT, params, 4);
    int scans = 0;
    double rows = 0;
    const char *problem = check(vt_plans_top(plan), &scans, &rows);
    if (problem == NULL && scans != 1)
        problem = "not one index scan of " INDEX;
    if (problem == NULL && rows != want)
        problem = "the index scan read more than the page";
    if (problem != NULL)
        fail_msg("%s: %s (%.0f rows, want %.0f)\n%s", what, problem, rows, want, cJSON_Print(plan));
    cJSON_Delete(plan);
}

static void test_every_page_is_a_page_of_the_index(void **state)
{
    assert_page("the newest", "infinity", "ffffffff-ffff-ffff-ffff-ffffffffffff", LIMIT + 1);
    char mid[VX_TIME_US_LEN];
    vx_time_format_us((vx_now_ms() - 200LL * 86400000) * 1000 + 123456, mid);
    assert_page("after a cursor mid-year", mid, "7d9f3c1e-2b4a-4c6d-8e0f-1a2b3c4d5e6f", LIMIT + 1);
    /* The oldest few: the scan ends with the org's rows. */
    const char *p[1] = {org};
    char *last = vt_sql_value(admin,
                              "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || ' ' || id"
                              " FROM kb_documents WHERE org_id = $1 ORDER BY created_at, id OFFSET 9 LIMIT 1",
                              1, p);
    char *space = strchr(last, ' ');
    *space = '\0';
    assert_page("the last page", last, space + 1, 9);
    free(last);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_page_is_a_page_of_the_index),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
