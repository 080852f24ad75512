/*
 * vx_pg: one PostgreSQL connection with reconnect, prepared statements and
 * tenant-scoped transactions.
 *
 * A vx_pg is used by one thread at a time (one per worker). Statements are
 * registered once with vx_pg_prepare and prepared again automatically after
 * every reconnect, so callers never build SQL strings and never see a
 * "prepared statement does not exist" after the server restarted.
 *
 * Tenancy: vx_pg_begin_org() opens a transaction whose claims
 * (request.jwt.claims, read by auth_org_id() in the row-level security
 * policies) name the org. Every query inside sees only that org's rows, even
 * one that forgets "WHERE org_id = …".
 */
#ifndef VX_PG_H
#define VX_PG_H

#include <stdbool.h>
#include <libpq-fe.h>

typedef struct vx_pg vx_pg;

/* Creates a handle for conninfo (a URL or key=value string). Does not connect yet. */
vx_pg *vx_pg_create(const char *conninfo);
void vx_pg_destroy(vx_pg *pg);

/* Registers a statement to be prepared on every connection. name must be unique. */
void vx_pg_prepare(vx_pg *pg, const char *name, const char *sql);

/* Makes sure the connection is up (connecting and preparing if needed).
 * Returns 0, or -1 when the server cannot be reached; after a failure, further
 * attempts are skipped (returning -1 at once) for a backoff period that grows
 * from 100 ms to 5 s, so a worker loop can call this freely. */
int vx_pg_ensure(vx_pg *pg);

/* Runs a registered statement with text parameters (NULL = SQL NULL).
 * Returns the result (caller PQclear()s) when it is COMMAND_OK or TUPLES_OK,
 * else NULL with the error kept for vx_pg_error()/vx_pg_sqlstate(). */
PGresult *vx_pg_exec(vx_pg *pg, const char *name, int nparams, const char *const *params);

/* Begins a transaction whose claims make auth_org_id() = org_id. Nothing is
 * sent until the first vx_pg_exec, which carries BEGIN, the claims and the
 * statement in one round trip; errors of the BEGIN therefore surface there.
 * Returns 0, or -1 when the server cannot be reached or org_id is unusable. */
int vx_pg_begin_org(vx_pg *pg, const char *org_id);
/* Inside a transaction opened with vx_pg_begin_org (and its first
 * statement run), makes the following statements run under org_id's claims
 * instead: the claims are sent with the next vx_pg_exec, in the same round
 * trip. One transaction can so write the rows of several orgs, each
 * statement still checked by row-level security against its own org (a
 * batch of messages of different orgs committed at once). */
int vx_pg_switch_org(vx_pg *pg, const char *org_id);
/* Scopes the following statements to org_id for reading, without an explicit
 * transaction: each vx_pg_exec sends the claims and its statement together and
 * they commit as one implicit transaction at the pipeline's sync point — one
 * round trip and two statements instead of BEGIN … COMMIT. Under READ
 * COMMITTED every statement has its own snapshot anyway, so readers see
 * exactly what they would inside a transaction. vx_pg_commit or
 * vx_pg_rollback ends the scope. Only for statements that write nothing. */
int vx_pg_begin_org_reads(vx_pg *pg, const char *org_id);
/* One read for vx_pg_read_batch: a registered statement run under org_id's claims. */
#define VX_PG_READ_MAX_PARAMS 4
typedef struct vx_pg_read {
    const char *org_id;
    const char *stmt;
    int nparams;
    const char *params[VX_PG_READ_MAX_PARAMS];
    PGresult *result; /* set by vx_pg_read_batch: the rows (caller PQclear()s), or NULL when the read failed */
} vx_pg_read;
/* Runs many reads — typically of different requests — in as few round trips
 * as possible: pipelined, the reads of one org behind one claims statement in
 * one implicit transaction (as vx_pg_begin_org_reads, so each read has its own
 * snapshot and sees only its org's rows). A read that fails does not fail the
 * others: the ones the server skipped after it are sent again. Only for
 * statements that write nothing; not inside a scope or transaction. Returns
 * the number of failed reads (0 when all succeeded; the last error is kept for
 * vx_pg_error). */
size_t vx_pg_read_batch(vx_pg *pg, vx_pg_read *reads, size_t n);
/* BEGIN without tenant claims: only the SECURITY DEFINER look-ups return rows. */
int vx_pg_begin(vx_pg *pg);
int vx_pg_commit(vx_pg *pg);
/* Never fails from the caller's view; a broken connection is reset instead. */
void vx_pg_rollback(vx_pg *pg);

/* The last error's message (one line, no secrets: libpq messages hold none) and SQLSTATE ("" when none). */
const char *vx_pg_error(const vx_pg *pg);
const char *vx_pg_sqlstate(const vx_pg *pg);
/* True when the last error is worth retrying later: connection lost, server
 * shutting down, serialization failure, deadlock, too many connections. */
bool vx_pg_error_is_transient(const vx_pg *pg);

/* The value at (row, col) or NULL when it is SQL NULL. */
const char *vx_pg_value(const PGresult *res, int row, int col);

#endif
