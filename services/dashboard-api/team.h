/*
 * team: the organization's members and invitations, and the signed-in
 * user's view of their organization.
 *
 *   GET    /api/orgs/validate              members: {"valid": true, "org_id",
 *                                          "role", "user_id", "organization":
 *                                          {"id", "name", "status"}} — the
 *                                          earlier dashboard's check that a
 *                                          token's org exists (router.c has
 *                                          refused inactive ones already)
 *   GET    /api/team                       owners: {"members": [{id, email,
 *                                          role, last_sign_in_at, created_at}],
 *                                          "invitations": [{id, email, role,
 *                                          invited_by, expires_at, created_at}]}
 *   POST   /api/team/invitations           owners: {"email", "role"?} → 201
 *                                          {"invitation": {id, email, role,
 *                                          expires_at}, "token", "accept_url"}
 *                                          The token is shown this once (only
 *                                          its digest is kept); the owner
 *                                          passes it on. Inviting the same
 *                                          email again replaces the open
 *                                          invitation (the old token dies).
 *   DELETE /api/team/invitations/{id}      owners: withdraw an open invitation
 *   PATCH  /api/team/{id}                  owners: {"role"} → 200 the member
 *   DELETE /api/team/{id}                  owners: remove a member; their
 *                                          refresh tokens go with them
 *
 * An organization always keeps an owner: demoting or removing the last
 * one is 409 last_owner (the owners' rows are locked first, so two owners
 * demoting each other at once cannot both succeed). A role change or
 * removal reaches the member's access token when it next refreshes (at most
 * AUTH_ACCESS_TOKEN_TTL_S later). Other refusals: 400 the body's codes
 * (auth_fields.h) and invalid_id; 404 not_found (also for another org's
 * ids); 409 already_member. Every change writes an audit entry
 * (team.invited, team.invitation_revoked, team.role_changed,
 * team.member_removed) naming ids, never emails.
 */
#ifndef DASHBOARD_TEAM_H
#define DASHBOARD_TEAM_H

#include "vx_pg.h"
#include "vx_rpc.h"

void dashboard_team_prepare(vx_pg *pg);
void dashboard_orgs_validate(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_team_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_team_invite(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_team_invite_revoke(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_team_update(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_team_remove(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
