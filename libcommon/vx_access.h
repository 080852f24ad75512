/*
 * vx_access: who may use a dashboard route — the owner's routes that
 * dashboard-api serves and the integrations routes credential-vault serves.
 * Each service's router asks before every handler, so no route can forget
 * it; a refusal is answered here, as {"error", "code"}, and nothing is read.
 *
 * A request is served only when
 *   1. it carries a dashboard token's organization (401 "unauthorized");
 *   2. the token's role is one of the dashboard's, exactly as written:
 *      "owner" or "staff" (403 "unknown_role"). The gateway forwards
 *      app_metadata.role, else the top-level role (libcommon/vx_jwt.h), so a
 *      Supabase token that carries no app role arrives as "authenticated"
 *      and is refused: it says someone signed in, not what they may do;
 *   3. the route admits that role (403 "forbidden");
 *   4. the organization is active (403 "org_suspended"; "org_not_found" when
 *      no such organization exists). Read under the org's own claims on every
 *      request, never cached: a suspension applies to the next request.
 *
 * What each role may do (each service's router table): both read the call log — the
 * front desk works from it; anything that manages the organization (agent,
 * credentials, GDPR erasure) is the owner's.
 */
#ifndef VX_ACCESS_H
#define VX_ACCESS_H

#include <stdbool.h>

#include "vx_pg.h"
#include "vx_rpc.h"

/* The dashboard's roles, as bits so a route can admit several. */
typedef enum {
    VX_ROLE_OWNER = 1u << 0,
    VX_ROLE_STAFF = 1u << 1,
} vx_role;
#define VX_ROLE_MEMBERS (VX_ROLE_OWNER | VX_ROLE_STAFF)
/* A route no role is asked for: its caller has no token yet (sign-in), and
 * the handler authenticates what it is given (a password, a refresh token,
 * an invitation). Only a VX_AUTH_SERVICE route may be public, and every
 * such route must be (each service's start-up check). */
#define VX_ROLE_PUBLIC 0u

/* The role named by a token's role claim, or 0 when it is none of the dashboard's. */
unsigned vx_access_role(const char *role);

/* Checks 1–3 for a route that admits the roles in the mask roles (no
 * database). Returns true when the request may go on; otherwise reply holds
 * the refusal (logged). */
bool vx_access_token(const vx_gateway_request *req, unsigned roles, vx_rpc_reply *reply);

/* Registers the statement of vx_access_org on pg. */
void vx_access_prepare(vx_pg *pg);
/* Check 4, for a request that passed vx_access_token: one read under
 * the org's claims. Returns true when the org is active; otherwise reply
 * holds the refusal (403, or 503 when the database cannot be read). */
bool vx_access_org(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
/* Check 4 for org_id instead of the token's: for a route its service
 * authenticates otherwise (Google's callback names the org in its state). */
bool vx_access_org_active(vx_pg *pg, const vx_gateway_request *req, const char *org_id, vx_rpc_reply *reply);

/* Runs the prepared statement stmt with params as req's org, as every
 * dashboard read is made (vx_pg_begin_org_reads: the claims and the statement
 * in one round trip, so row-level security scopes it). The result (the
 * caller clears it), or NULL with reply set to 503 (logged) when the
 * database could not be read. */
PGresult *vx_access_read_as_org(vx_pg *pg, const vx_gateway_request *req, const char *stmt, int n, const char *const *params,
                                vx_rpc_reply *reply);

#endif
