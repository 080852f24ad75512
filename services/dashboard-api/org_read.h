/*
 * org_read: one read statement under the org's claims, as every dashboard
 * read is made (vx_pg_begin_org_reads: the claims and the statement in one
 * round trip, no BEGIN/COMMIT, so row-level security scopes it).
 */
#ifndef DASHBOARD_ORG_READ_H
#define DASHBOARD_ORG_READ_H

#include <libpq-fe.h>

#include "vx_pg.h"
#include "vx_rpc.h"

/* Runs the prepared statement stmt with params as req's org. The result
 * (the caller clears it), or NULL with reply set to 503 (logged) when the
 * database could not be read. */
PGresult *dashboard_read_as_org(vx_pg *pg, const vx_gateway_request *req, const char *stmt, int n, const char *const *params,
                                vx_rpc_reply *reply);

#endif
