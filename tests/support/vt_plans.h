/*
 * vt_plans: what the plan tests (tests/integration/<service>/test_*_plans.c)
 * share — a connection as the services' role inside a transaction under an
 * org's claims with the generic plan forced (the one a prepared statement
 * settles on after five runs), and EXPLAIN's JSON plan, read node by node.
 */
#ifndef VT_PLANS_H
#define VT_PLANS_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>

/* Opens conn's transaction as org_id (row-level security applies, as in the
 * service) with plan_cache_mode = force_generic_plan. */
void vt_plans_begin(PGconn *conn, const char *org_id);
/* Rolls that transaction back and closes conn. */
void vt_plans_end(PGconn *conn);

/* EXPLAIN (options, FORMAT JSON) EXECUTE name(params…) — options "" or
 * "ANALYZE, BUFFERS" and such; a NULL param is SQL NULL. The plan (the
 * array EXPLAIN answers), parsed: cJSON_Delete it. Fails the test when
 * PostgreSQL refuses. */
cJSON *vt_plans_explain(PGconn *conn, const char *options, const char *name, const char *const *params, int n);
/* The top node of a plan vt_plans_explain gave. */
const cJSON *vt_plans_top(const cJSON *plan);
/* A node's text field, "" when it has none. */
const char *vt_plans_str(const cJSON *node, const char *key);
/* True when node or a node below it reads relation. */
bool vt_plans_reads(const cJSON *node, const char *relation);

#endif
