/*
 * vx_pg: one libpq connection, owned by one thread, that heals itself.
 *
 * Design: the handle remembers every statement registered with vx_pg_prepare
 * and prepares them all right after each (re)connect. When a call fails and the
 * connection is no longer CONNECTION_OK, the handle drops it; the next
 * vx_pg_ensure reconnects, but not sooner than the current backoff (100 ms
 * doubling to 5 s) so a worker loop polling a dead server costs nothing.
 */
#include "vx_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_log.h"
#include "vx_time.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

/* The claims Supabase would set, built by the server from the bound org id. */
static const char SET_CLAIMS_SQL[] =
    "SELECT set_config('request.jwt.claims', "
    "json_build_object('role', 'authenticated', 'app_metadata', json_build_object('org_id', $1::uuid))::text, true)";

#define CLAIMS_STMT "vx_pg_claims"

typedef struct statement {
    char *name;
    char *sql;
} statement;

struct vx_pg {
    char *conninfo;
    PGconn *conn;
    statement *stmts;
    size_t nstmts;
    int64_t next_attempt_ms;
    int backoff_ms;
    char error[512];
    char sqlstate[6];
    /* The tenant scope whose claims have not been sent yet (see
     * vx_pg_begin_org and vx_pg_begin_org_reads) and its org. */
    enum { SCOPE_NONE, SCOPE_TX_PENDING, SCOPE_READS, SCOPE_SWITCH_PENDING } scope;
    char scope_org[64];
};

static PGresult *exec_with_claims(vx_pg *pg, bool begin, const char *name, int nparams, const char *const *params);

vx_pg *vx_pg_create(const char *conninfo)
{
    vx_pg *pg = calloc(1, sizeof(*pg));
    if (pg == NULL || (pg->conninfo = strdup(conninfo)) == NULL)
        abort();
    pg->backoff_ms = BACKOFF_MIN_MS;
    return pg;
}

void vx_pg_destroy(vx_pg *pg)
{
    if (pg == NULL)
        return;
    if (pg->conn != NULL)
        PQfinish(pg->conn);
    for (size_t i = 0; i < pg->nstmts; i++) {
        free(pg->stmts[i].name);
        free(pg->stmts[i].sql);
    }
    free(pg->stmts);
    free(pg->conninfo);
    free(pg);
}

void vx_pg_prepare(vx_pg *pg, const char *name, const char *sql)
{
    statement *grown = realloc(pg->stmts, (pg->nstmts + 1) * sizeof(*grown));
    if (grown == NULL)
        abort();
    pg->stmts = grown;
    pg->stmts[pg->nstmts].name = strdup(name);
    pg->stmts[pg->nstmts].sql = strdup(sql);
    if (pg->stmts[pg->nstmts].name == NULL || pg->stmts[pg->nstmts].sql == NULL)
        abort();
    pg->nstmts++;
    /* Registered after connecting: prepare it now so the next exec finds it. */
    if (pg->conn != NULL) {
        PGresult *res = PQprepare(pg->conn, name, sql, 0, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            vx_log_error(NULL, NULL, "prepare failed", "statement", name, "error", PQresultErrorMessage(res));
        PQclear(res);
    }
}

/* Keeps the first line of a libpq message, without its trailing newline. */
static void set_error(vx_pg *pg, const char *msg, const char *sqlstate)
{
    snprintf(pg->error, sizeof(pg->error), "%s", msg != NULL ? msg : "unknown error");
    char *nl = strchr(pg->error, '\n');
    if (nl != NULL)
        *nl = '\0';
    snprintf(pg->sqlstate, sizeof(pg->sqlstate), "%s", sqlstate != NULL ? sqlstate : "");
}

static void drop_connection(vx_pg *pg)
{
    if (pg->conn != NULL) {
        PQfinish(pg->conn);
        pg->conn = NULL;
    }
}

static void schedule_retry(vx_pg *pg)
{
    pg->next_attempt_ms = vx_now_ms() + pg->backoff_ms;
    pg->backoff_ms = pg->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : pg->backoff_ms * 2;
}

int vx_pg_ensure(vx_pg *pg)
{
    if (pg->conn != NULL && PQstatus(pg->conn) == CONNECTION_OK)
        return 0;
    drop_connection(pg);
    if (vx_now_ms() < pg->next_attempt_ms) {
        set_error(pg, "database unavailable (waiting before reconnecting)", "08006");
        return -1;
    }
    pg->conn = PQconnectdb(pg->conninfo);
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        set_error(pg, PQerrorMessage(pg->conn), "08006");
        vx_log_warn(NULL, NULL, "database connection failed", "error", pg->error);
        drop_connection(pg);
        schedule_retry(pg);
        return -1;
    }
    for (size_t i = 0; i < pg->nstmts; i++) {
        PGresult *res = PQprepare(pg->conn, pg->stmts[i].name, pg->stmts[i].sql, 0, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            set_error(pg, PQresultErrorMessage(res), PQresultErrorField(res, PG_DIAG_SQLSTATE));
            vx_log_error(NULL, NULL, "prepare failed", "statement", pg->stmts[i].name, "error", pg->error);
            PQclear(res);
            drop_connection(pg);
            schedule_retry(pg);
            return -1;
        }
        PQclear(res);
    }
    PGresult *claims = PQprepare(pg->conn, CLAIMS_STMT, SET_CLAIMS_SQL, 0, NULL);
    bool claims_ok = PQresultStatus(claims) == PGRES_COMMAND_OK;
    PQclear(claims);
    if (!claims_ok) {
        set_error(pg, PQerrorMessage(pg->conn), "08006");
        drop_connection(pg);
        schedule_retry(pg);
        return -1;
    }
    pg->backoff_ms = BACKOFF_MIN_MS;
    pg->error[0] = '\0';
    pg->sqlstate[0] = '\0';
    return 0;
}

/* Checks a result; on failure records the error and drops a broken connection. */
static PGresult *check_result(vx_pg *pg, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    if (res != NULL)
        set_error(pg, PQresultErrorMessage(res), PQresultErrorField(res, PG_DIAG_SQLSTATE));
    else
        set_error(pg, PQerrorMessage(pg->conn), NULL);
    if (pg->sqlstate[0] == '\0' && PQstatus(pg->conn) != CONNECTION_OK)
        snprintf(pg->sqlstate, sizeof(pg->sqlstate), "08006");
    PQclear(res);
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        drop_connection(pg);
        schedule_retry(pg);
    }
    return NULL;
}

PGresult *vx_pg_exec(vx_pg *pg, const char *name, int nparams, const char *const *params)
{
    if (vx_pg_ensure(pg) != 0) {
        pg->scope = SCOPE_NONE;
        return NULL;
    }
    if (pg->scope == SCOPE_TX_PENDING) {
        pg->scope = SCOPE_NONE; /* from here on the transaction is open on the server */
        return exec_with_claims(pg, true, name, nparams, params);
    }
    if (pg->scope == SCOPE_READS)
        return exec_with_claims(pg, false, name, nparams, params);
    if (pg->scope == SCOPE_SWITCH_PENDING) {
        pg->scope = SCOPE_NONE; /* the claims travel with this statement, inside the open transaction */
        return exec_with_claims(pg, false, name, nparams, params);
    }
    return check_result(pg, PQexecPrepared(pg->conn, name, nparams, params, NULL, NULL, 0));
}

static int exec_simple(vx_pg *pg, const char *sql, int nparams, const char *const *params)
{
    if (vx_pg_ensure(pg) != 0)
        return -1;
    PGresult *res = check_result(pg, PQexecParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0));
    if (res == NULL)
        return -1;
    PQclear(res);
    return 0;
}

int vx_pg_begin(vx_pg *pg)
{
    return exec_simple(pg, "BEGIN", 0, NULL);
}

/* Reads every result of a pipeline up to its sync point. The result of the
 * keep-th query (0-based; -1 for none) is handed to *kept when it succeeded.
 * Returns 0 when every query succeeded; otherwise the first error is recorded. */
static int drain_pipeline(vx_pg *pg, int keep, PGresult **kept)
{
    int rc = 0, empty = 0, index = 0;
    for (;;) {
        PGresult *res = PQgetResult(pg->conn);
        if (res == NULL) {
            /* NULL ends one query's results; many in a row means the sync will never come. */
            if (PQstatus(pg->conn) != CONNECTION_OK || ++empty > 8) {
                set_error(pg, PQerrorMessage(pg->conn), "08006");
                return -1;
            }
            index++;
            continue;
        }
        empty = 0;
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            return rc;
        }
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            if (index == keep && kept != NULL) {
                *kept = res;
                continue;
            }
        } else if (rc == 0) {
            if (st == PGRES_FATAL_ERROR)
                set_error(pg, PQresultErrorMessage(res), PQresultErrorField(res, PG_DIAG_SQLSTATE));
            else
                set_error(pg, "statement aborted in pipeline", "");
            rc = -1;
        }
        PQclear(res);
    }
}

/* Sends (BEGIN,) the scope's claims and one prepared statement in one round
 * trip and returns the statement's result (NULL on any failure, error
 * recorded). Without BEGIN the claims and the statement form one implicit
 * transaction that ends at the pipeline's sync point, claims included. */
static PGresult *exec_with_claims(vx_pg *pg, bool begin, const char *name, int nparams, const char *const *params)
{
    const char *claims[1] = {pg->scope_org};
    PGresult *kept = NULL;
    int rc = -1;
    if (PQenterPipelineMode(pg->conn) == 1) {
        if ((!begin || PQsendQueryParams(pg->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) == 1) &&
            PQsendQueryPrepared(pg->conn, CLAIMS_STMT, 1, claims, NULL, NULL, 0) == 1 &&
            PQsendQueryPrepared(pg->conn, name, nparams, params, NULL, NULL, 0) == 1 && PQpipelineSync(pg->conn) == 1)
            rc = drain_pipeline(pg, begin ? 2 : 1, &kept);
        else
            set_error(pg, PQerrorMessage(pg->conn), NULL);
        /* Fails when results are still pending: then the connection cannot be trusted. */
        if (PQexitPipelineMode(pg->conn) != 1) {
            set_error(pg, "pipeline left unfinished", "08006");
            rc = -1;
            drop_connection(pg);
            schedule_retry(pg);
        }
    } else {
        set_error(pg, PQerrorMessage(pg->conn), NULL);
    }
    if (rc != 0) {
        PQclear(kept);
        kept = NULL;
        if (pg->conn != NULL && PQstatus(pg->conn) != CONNECTION_OK) {
            if (pg->sqlstate[0] == '\0')
                snprintf(pg->sqlstate, sizeof(pg->sqlstate), "08006");
            drop_connection(pg);
            schedule_retry(pg);
        }
    }
    return kept;
}

/* ---- batched reads (see vx_pg_read_batch) ---- */

/* Reads per round trip. Bounded so that neither side can fill its socket
 * buffer while the other is still writing (libpq sends the whole pipeline
 * before it reads): a lookup's rows are well under 1 KB. */
#define READ_ROUND_MAX 64

enum { READ_TODO, READ_SENT, READ_DONE, READ_FAILED };

/* The next result of a pipeline, skipping the NULL that ends each query's
 * results; NULL when the connection is gone. */
static PGresult *next_pipeline_result(vx_pg *pg)
{
    for (int empty = 0; empty < 8; empty++) {
        PGresult *res = PQgetResult(pg->conn);
        if (res != NULL)
            return res;
        if (PQstatus(pg->conn) != CONNECTION_OK)
            break;
    }
    set_error(pg, PQerrorMessage(pg->conn), "08006");
    return NULL;
}

static void read_failed(vx_pg *pg, vx_pg_read *read, unsigned char *state, const PGresult *res)
{
    *state = READ_FAILED;
    read->result = NULL;
    if (res != NULL)
        set_error(pg, PQresultErrorMessage(res), PQresultErrorField(res, PG_DIAG_SQLSTATE));
}

/* Sends up to READ_ROUND_MAX reads still to do, grouped by org (claims, the
 * org's statements, a sync point), into order[]; group_end[g] is one past
 * the last order[] index of group g. Returns the number of groups, or -1
 * when libpq refused to queue (the connection is broken). */
static int send_read_round(vx_pg *pg, vx_pg_read *reads, size_t n, unsigned char *state, size_t *order, size_t *sent,
                           size_t *group_end)
{
    int groups = 0;
    *sent = 0;
    for (size_t i = 0; i < n && *sent < READ_ROUND_MAX; i++) {
        if (state[i] != READ_TODO)
            continue;
        const char *claims[1] = {reads[i].org_id};
        if (PQsendQueryPrepared(pg->conn, CLAIMS_STMT, 1, claims, NULL, NULL, 0) != 1)
            return -1;
        for (size_t j = i; j < n && *sent < READ_ROUND_MAX; j++) {
            if (state[j] != READ_TODO || strcmp(reads[j].org_id, reads[i].org_id) != 0)
                continue;
            if (PQsendQueryPrepared(pg->conn, reads[j].stmt, reads[j].nparams, reads[j].params, NULL, NULL, 0) != 1)
                return -1;
            state[j] = READ_SENT;
            order[(*sent)++] = j;
        }
        if (PQpipelineSync(pg->conn) != 1)
            return -1;
        group_end[groups++] = *sent;
    }
    return groups;
}

/* Collects the results of one round. A read the server skipped because an
 * earlier one of its group failed goes back to READ_TODO. Returns -1 when the
 * connection broke. */
static int receive_read_round(vx_pg *pg, vx_pg_read *reads, unsigned char *state, const size_t *order, int groups,
                              const size_t *group_end)
{
    size_t k = 0;
    for (int g = 0; g < groups; g++) {
        PGresult *res = next_pipeline_result(pg);
        if (res == NULL)
            return -1;
        /* Claims refused (an org id that is not a UUID): every read of the group fails. */
        bool claims_ok = PQresultStatus(res) == PGRES_TUPLES_OK;
        if (!claims_ok)
            set_error(pg, PQresultErrorMessage(res), PQresultErrorField(res, PG_DIAG_SQLSTATE));
        PQclear(res);
        for (; k < group_end[g]; k++) {
            size_t i = order[k];
            if ((res = next_pipeline_result(pg)) == NULL)
                return -1;
            ExecStatusType st = PQresultStatus(res);
            if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
                reads[i].result = res;
                state[i] = READ_DONE;
                continue;
            }
            if (st == PGRES_PIPELINE_ABORTED && claims_ok)
                state[i] = READ_TODO;
            else
                read_failed(pg, &reads[i], &state[i], st == PGRES_FATAL_ERROR ? res : NULL);
            PQclear(res);
        }
        if ((res = next_pipeline_result(pg)) == NULL)
            return -1;
        bool synced = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
        PQclear(res);
        if (!synced) {
            set_error(pg, "pipeline out of step", "08006");
            return -1;
        }
    }
    return 0;
}

size_t vx_pg_read_batch(vx_pg *pg, vx_pg_read *reads, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char *state = calloc(n, 1);
    size_t *order = malloc(READ_ROUND_MAX * sizeof(*order)), *group_end = malloc(READ_ROUND_MAX * sizeof(*group_end));
    if (state == NULL || order == NULL || group_end == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        reads[i].result = NULL;
        if (reads[i].org_id == NULL || strlen(reads[i].org_id) >= sizeof(pg->scope_org) || reads[i].nparams < 0 ||
            reads[i].nparams > VX_PG_READ_MAX_PARAMS) {
            set_error(pg, "invalid read", "22023");
            state[i] = READ_FAILED;
        }
    }
    /* Every round settles at least the first read of each group (its claims
     * were fine, so it was not skipped), so this ends. */
    bool broken = vx_pg_ensure(pg) != 0;
    for (;;) {
        bool todo = false;
        for (size_t i = 0; i < n && !todo; i++)
            todo = state[i] == READ_TODO;
        if (!todo || broken)
            break;
        size_t sent = 0;
        int groups = -1;
        if (PQenterPipelineMode(pg->conn) == 1) {
            groups = send_read_round(pg, reads, n, state, order, &sent, group_end);
            if (groups < 0 || receive_read_round(pg, reads, state, order, groups, group_end) != 0)
                groups = -1;
            if (PQexitPipelineMode(pg->conn) != 1)
                groups = -1;
        }
        if (groups < 0) {
            if (PQstatus(pg->conn) != CONNECTION_OK)
                set_error(pg, PQerrorMessage(pg->conn), "08006");
            drop_connection(pg);
            schedule_retry(pg);
            broken = true;
        }
    }
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (state[i] != READ_DONE) {
            PQclear(reads[i].result);
            reads[i].result = NULL;
            failed++;
        }
    }
    free(state);
    free(order);
    free(group_end);
    return failed;
}

static int begin_scope(vx_pg *pg, const char *org_id, int scope)
{
    if (vx_pg_ensure(pg) != 0)
        return -1;
    if (org_id == NULL || strlen(org_id) >= sizeof(pg->scope_org)) {
        set_error(pg, "invalid org id", "22P02");
        return -1;
    }
    snprintf(pg->scope_org, sizeof(pg->scope_org), "%s", org_id);
    pg->scope = scope;
    return 0;
}

int vx_pg_begin_org(vx_pg *pg, const char *org_id)
{
    /* Nothing is sent yet: BEGIN and the claims travel with the transaction's
     * first statement, so a one-statement transaction costs two round trips
     * (that statement, then COMMIT) instead of four. */
    return begin_scope(pg, org_id, SCOPE_TX_PENDING);
}

int vx_pg_switch_org(vx_pg *pg, const char *org_id)
{
    return begin_scope(pg, org_id, SCOPE_SWITCH_PENDING);
}

int vx_pg_begin_org_reads(vx_pg *pg, const char *org_id)
{
    return begin_scope(pg, org_id, SCOPE_READS);
}

int vx_pg_commit(vx_pg *pg)
{
    if (pg->scope == SCOPE_SWITCH_PENDING) /* switched, nothing run since: the transaction is open */
        pg->scope = SCOPE_NONE;
    if (pg->scope != SCOPE_NONE) {
        /* Reads (each committed at its sync point), or begun and nothing run. */
        pg->scope = SCOPE_NONE;
        return 0;
    }
    return exec_simple(pg, "COMMIT", 0, NULL);
}

void vx_pg_rollback(vx_pg *pg)
{
    if (pg->scope == SCOPE_SWITCH_PENDING)
        pg->scope = SCOPE_NONE;
    if (pg->scope != SCOPE_NONE) {
        pg->scope = SCOPE_NONE;
        return;
    }
    if (pg->conn == NULL)
        return;
    PGresult *res = PQexec(pg->conn, "ROLLBACK");
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQstatus(pg->conn) != CONNECTION_OK) {
        drop_connection(pg);
        schedule_retry(pg);
    }
    PQclear(res);
}

const char *vx_pg_error(const vx_pg *pg)
{
    return pg->error;
}

const char *vx_pg_sqlstate(const vx_pg *pg)
{
    return pg->sqlstate;
}

bool vx_pg_error_is_transient(const vx_pg *pg)
{
    const char *s = pg->sqlstate;
    if (s[0] == '\0')
        return pg->conn == NULL || PQstatus(pg->conn) != CONNECTION_OK;
    /* 08 connection exception, 40 transaction rollback (serialization, deadlock),
     * 53 insufficient resources, 55P03 lock not available, 57014 statement
     * timeout, 57P shutdown / cannot connect now, 58 system error (I/O). */
    return strncmp(s, "08", 2) == 0 || strncmp(s, "40", 2) == 0 || strncmp(s, "53", 2) == 0 || strcmp(s, "55P03") == 0 ||
           strcmp(s, "57014") == 0 || strncmp(s, "57P", 3) == 0 || strncmp(s, "58", 2) == 0;
}

const char *vx_pg_value(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return NULL;
    return PQgetvalue(res, row, col);
}
