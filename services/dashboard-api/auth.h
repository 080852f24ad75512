/*
 * auth: built-in sign-in, for a deployment without Supabase Auth. The
 * tokens it issues are Supabase's (sessions.h), so either can sign users in
 * and the rest of the suite cannot tell which did.
 *
 *   POST /api/auth/signup    {"email", "password", "organization_name",
 *                            "timezone"?} → 201 a session and
 *                            "organization": {"id", "name"}. One transaction
 *                            makes the organization (with its seven default
 *                            services, settings and hours: org_provision),
 *                            its owner and the session.
 *   POST /api/auth/login     {"email", "password"} → 200 a session
 *   POST /api/auth/refresh   {"refresh_token"} → 200 a session with the
 *                            token's child; the role is read anew
 *   POST /api/auth/logout    {"refresh_token"} → 200 {"signed_out": true},
 *                            whatever the token (the family is revoked)
 *   POST /api/auth/invitations/accept  {"token", "password"} → 201 a session
 *                            as the invited member
 *
 * Refusals ({"error", "code"}): 400 the body's codes (auth_fields.h);
 * 400 signup_refused: the email cannot sign up — worded the same whether
 * or not it has an account, and reached after the same work (the password
 * is hashed first), and each refusal counts against the address's sign-in
 * budget, so sign-up cannot be used to list who has an account;
 * 401 invalid_credentials: an unknown email and a wrong password, answered
 * alike and after the same password-hashing work (passwords.h);
 * 403 org_suspended, only after a right password; 401 invalid_refresh_token
 * (unknown, used, revoked or expired: alike); 404 invalid_invitation;
 * 409 email_taken (the invited email has an account); 429 too_many_attempts
 * with Retry-After, once an email or an address has
 * AUTH_LOGIN_MAX_FAILURES_PER_{EMAIL,IP} failures in AUTH_LOGIN_WINDOW_S —
 * counted in PostgreSQL, so every replica sees every failure;
 * 503 auth_disabled when dashboard-api has no JWT_SECRET (an outside
 * Supabase Auth signs users in).
 *
 * Audit entries: auth.signup, auth.login, auth.logout,
 * auth.refresh_reuse_detected (a used refresh token shown again: the family
 * is revoked, and the owner sees it), team.invitation_accepted.
 */
#ifndef DASHBOARD_AUTH_H
#define DASHBOARD_AUTH_H

#include "vx_pg.h"
#include "vx_rpc.h"

void dashboard_auth_prepare(vx_pg *pg);
void dashboard_auth_signup(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_auth_login(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_auth_refresh(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_auth_logout(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_auth_accept_invite(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
