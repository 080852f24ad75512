/*
 * ingest_store: parked messages, the outbox's relay side and the janitor's
 * purges (see ingest_store.h); the calls themselves are call_store.c's.
 *
 * Errors are sorted into "retry later" and "never going to work": connection
 * problems, SQLSTATE classes 08/40/53/57/58 and lock timeouts are transient;
 * constraint and data errors are permanent and the message gets parked.
 */
#include "ingest_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_store.h"
#include "vx_crypto.h"

#define STMT_PARK         "ingest_park"
#define STMT_PURGE        "ingest_purge_parked"
#define STMT_ORGS_PENDING "ingest_orgs_pending"
#define STMT_PENDING_JOBS "ingest_pending_jobs"
#define STMT_PURGE_JOBS   "ingest_purge_jobs"

static const char PARK_SQL[] = "INSERT INTO parked_messages (reason, message_type, vapi_call_id, request_id, payload)"
                               " VALUES ($1::text, $2::text, $3::text, $4::text, $5::jsonb) ON CONFLICT DO NOTHING";
static const char PURGE_SQL[] = "SELECT purge_parked_messages($1::integer, $2::integer)";
static const char ORGS_PENDING_SQL[] = "SELECT work_outbox_orgs_pending($1::integer, $2::integer)";
static const char PENDING_JOBS_SQL[] = "SELECT id, job_key, subject, encode(payload, 'hex') FROM work_outbox"
                                       " WHERE published_at IS NULL ORDER BY id LIMIT $1::integer";
static const char PURGE_JOBS_SQL[] = "SELECT purge_ingest_bookkeeping($1::integer, $2::integer)";

void ingest_store_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_PARK, PARK_SQL);
    vx_pg_prepare(pg, STMT_PURGE, PURGE_SQL);
    vx_pg_prepare(pg, STMT_ORGS_PENDING, ORGS_PENDING_SQL);
    vx_pg_prepare(pg, STMT_PENDING_JOBS, PENDING_JOBS_SQL);
    vx_pg_prepare(pg, STMT_PURGE_JOBS, PURGE_JOBS_SQL);
    call_store_prepare(pg);
}

ingest_store_result ingest_store_classify(const vx_pg *pg)
{
    return vx_pg_error_is_transient(pg) ? INGEST_STORE_TRANSIENT : INGEST_STORE_PERMANENT;
}

ingest_store_result ingest_store_jobs_published(vx_pg *pg, const char *org_id, const long long *ids, size_t n)
{
    ingest_store_result r =
        vx_pg_begin_org(pg, org_id) != 0 ? ingest_store_classify(pg) : call_store_jobs_published(pg, org_id, ids, n);
    if (r == INGEST_STORE_OK && vx_pg_commit(pg) != 0)
        r = ingest_store_classify(pg);
    if (r != INGEST_STORE_OK)
        vx_pg_rollback(pg);
    return r;
}

ingest_store_result ingest_store_orgs_with_pending_jobs(vx_pg *pg, long older_than_ms, int max_orgs, char ***orgs, int *n)
{
    char ms[24], max[24];
    snprintf(ms, sizeof ms, "%ld", older_than_ms);
    snprintf(max, sizeof max, "%d", max_orgs);
    const char *params[2] = {ms, max};
    *orgs = NULL;
    *n = 0;
    PGresult *res = vx_pg_exec(pg, STMT_ORGS_PENDING, 2, params);
    if (!res)
        return ingest_store_classify(pg);
    int rows = PQntuples(res);
    if (rows > 0) {
        *orgs = calloc((size_t)rows, sizeof **orgs);
        if (!*orgs)
            abort();
        for (int i = 0; i < rows; i++) {
            (*orgs)[i] = strdup(vx_pg_value(res, i, 0));
            if (!(*orgs)[i])
                abort();
        }
        *n = rows;
    }
    PQclear(res);
    return INGEST_STORE_OK;
}

/* The payload of a pending job from its hex text (the server wrote it: well formed). */
static unsigned char *unhex(const char *h, size_t *len)
{
    size_t n = strlen(h) / 2;
    unsigned char *out = malloc(n ? n : 1);
    if (!out)
        abort();
    if (vx_hex_decode(h, 2 * n, out, n) != 0)
        n = 0;
    *len = n;
    return out;
}

ingest_store_result ingest_store_pending_jobs(vx_pg *pg, const char *org_id, int max, ingest_pending_job **jobs, int *n)
{
    *jobs = NULL;
    *n = 0;
    char limit[24];
    snprintf(limit, sizeof limit, "%d", max);
    const char *params[1] = {limit};
    if (vx_pg_begin_org_reads(pg, org_id) != 0) {
        ingest_store_result r = ingest_store_classify(pg);
        vx_pg_rollback(pg);
        return r;
    }
    PGresult *res = vx_pg_exec(pg, STMT_PENDING_JOBS, 1, params);
    if (!res) {
        ingest_store_result r = ingest_store_classify(pg);
        vx_pg_rollback(pg);
        return r;
    }
    int rows = PQntuples(res);
    if (rows > 0) {
        *jobs = calloc((size_t)rows, sizeof **jobs);
        if (!*jobs)
            abort();
        for (int i = 0; i < rows; i++) {
            ingest_pending_job *j = &(*jobs)[i];
            j->id = strtoll(vx_pg_value(res, i, 0), NULL, 10);
            j->job_key = strdup(vx_pg_value(res, i, 1));
            j->subject = strdup(vx_pg_value(res, i, 2));
            if (!j->job_key || !j->subject)
                abort();
            j->payload = unhex(vx_pg_value(res, i, 3), &j->len);
        }
        *n = rows;
    }
    PQclear(res);
    vx_pg_rollback(pg); /* read only */
    return INGEST_STORE_OK;
}

void ingest_pending_jobs_free(ingest_pending_job *jobs, int n)
{
    for (int i = 0; i < n; i++) {
        free(jobs[i].job_key);
        free(jobs[i].subject);
        free(jobs[i].payload);
    }
    free(jobs);
}

ingest_store_result ingest_store_park(vx_pg *pg, const char *reason, const char *message_type, const char *vapi_call_id,
                                      const char *request_id, const char *payload_json)
{
    const char *params[5] = {reason, message_type, vapi_call_id, request_id, payload_json};
    PGresult *res = vx_pg_exec(pg, STMT_PARK, 5, params);
    if (!res)
        return ingest_store_classify(pg);
    PQclear(res);
    return INGEST_STORE_OK;
}

/* Runs a janitor function (keep_days, max_rows) → rows deleted. */
static ingest_store_result purge(vx_pg *pg, const char *stmt, long keep_days, long max_rows, long *deleted)
{
    char days[24], rows[24];
    snprintf(days, sizeof days, "%ld", keep_days);
    snprintf(rows, sizeof rows, "%ld", max_rows);
    const char *params[2] = {days, rows};
    *deleted = 0;
    PGresult *res = vx_pg_exec(pg, stmt, 2, params);
    if (!res)
        return ingest_store_classify(pg);
    const char *n = PQntuples(res) == 1 ? vx_pg_value(res, 0, 0) : NULL;
    *deleted = n ? strtol(n, NULL, 10) : 0;
    PQclear(res);
    return INGEST_STORE_OK;
}

ingest_store_result ingest_store_purge_parked(vx_pg *pg, long keep_days, long max_rows, long *deleted)
{
    return purge(pg, STMT_PURGE, keep_days, max_rows, deleted);
}

ingest_store_result ingest_store_purge_jobs(vx_pg *pg, long keep_days, long max_rows, long *deleted)
{
    return purge(pg, STMT_PURGE_JOBS, keep_days, max_rows, deleted);
}
