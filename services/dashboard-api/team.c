/*
 * team: see team.h. Reads go through vx_access_read_as_org; writes are
 * transactions under the org's claims that also name org_id, so another
 * org's ids match no row (404, as ids that do not exist).
 */
#include "team.h"

#include <stdio.h>
#include <string.h>

#include "auth_fields.h"
#include "sessions.h"
#include "vx_access.h"
#include "vx_audit.h"
#include "vx_log.h"
#include "vx_validate.h"

#define MEMBER_JSON                                                                                                                \
    "json_build_object('id', id, 'email', email, 'role', role, 'last_sign_in_at', last_sign_in_at, 'created_at', created_at)"

#define STMT_VALIDATE      "team_validate"
#define STMT_LIST          "team_list"
#define STMT_IS_MEMBER     "team_is_member"
#define STMT_INVITE_CLEAR  "team_invite_clear"
#define STMT_INVITE_INSERT "team_invite_insert"
#define STMT_INVITE_REVOKE "team_invite_revoke"
#define STMT_OWNERS_LOCK   "team_owners_lock"
#define STMT_MEMBER_ROLE   "team_member_role"
#define STMT_ROLE_UPDATE   "team_role_update"
#define STMT_MEMBER_DELETE "team_member_delete"

void dashboard_team_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_VALIDATE,
                  "SELECT json_build_object('valid', true, 'org_id', o.id, 'role', $2::text, 'user_id', NULLIF($3, ''),"
                  " 'organization', json_build_object('id', o.id, 'name', o.name, 'status', o.status))::text"
                  " FROM organizations o WHERE o.id = $1::uuid");
    vx_pg_prepare(
        pg, STMT_LIST,
        "SELECT json_build_object("
        " 'members', (SELECT coalesce(json_agg(" MEMBER_JSON " ORDER BY created_at, id), '[]')"
        "             FROM users WHERE org_id = $1::uuid),"
        " 'invitations', (SELECT coalesce(json_agg(json_build_object('id', id, 'email', email, 'role', role,"
        "                 'invited_by', invited_by, 'expires_at', expires_at, 'created_at', created_at)"
        "                 ORDER BY created_at, id), '[]')"
        "                 FROM invitations WHERE org_id = $1::uuid AND accepted_at IS NULL AND expires_at > now()))::text");
    vx_pg_prepare(pg, STMT_IS_MEMBER, "SELECT 1 FROM users WHERE org_id = $1::uuid AND email = $2");
    vx_pg_prepare(pg, STMT_INVITE_CLEAR, "DELETE FROM invitations WHERE org_id = $1::uuid AND email = $2 AND accepted_at IS NULL");
    vx_pg_prepare(pg, STMT_INVITE_INSERT,
                  "INSERT INTO invitations (org_id, email, role, token_hash, invited_by, expires_at)"
                  " VALUES ($1::uuid, $2, $3, $4::bytea, $5::uuid, now() + make_interval(secs => $6::int))"
                  " RETURNING json_build_object('id', id, 'email', email, 'role', role, 'expires_at', expires_at)::text, id");
    vx_pg_prepare(pg, STMT_INVITE_REVOKE,
                  "DELETE FROM invitations WHERE org_id = $1::uuid AND id = $2::uuid AND accepted_at IS NULL RETURNING id");
    /* Every owner row locked: whoever changes owners next waits, and then counts anew. */
    vx_pg_prepare(pg, STMT_OWNERS_LOCK,
                  "SELECT count(*) FROM (SELECT id FROM users WHERE org_id = $1::uuid AND role = 'owner' FOR UPDATE) o");
    vx_pg_prepare(pg, STMT_MEMBER_ROLE, "SELECT role FROM users WHERE org_id = $1::uuid AND id = $2::uuid FOR UPDATE");
    vx_pg_prepare(pg, STMT_ROLE_UPDATE,
                  "UPDATE users SET role = $3 WHERE org_id = $1::uuid AND id = $2::uuid RETURNING " MEMBER_JSON "::text");
    vx_pg_prepare(pg, STMT_MEMBER_DELETE, "DELETE FROM users WHERE org_id = $1::uuid AND id = $2::uuid RETURNING id");
}

static void read_one(vx_pg *pg, const vx_gateway_request *req, const char *stmt, int n, const char *const *params,
                     vx_rpc_reply *reply)
{
    PGresult *res = vx_access_read_as_org(pg, req, stmt, n, params, reply);
    if (res == NULL)
        return;
    if (PQntuples(res) == 1)
        vx_rpc_reply_json(reply, 200, PQgetvalue(res, 0, 0));
    else
        vx_rpc_reply_error(reply, 404, "not_found", "No such organization.");
    PQclear(res);
}

void dashboard_orgs_validate(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *params[3] = {req->auth->org_id, req->auth->role, req->auth->user_id};
    read_one(pg, req, STMT_VALIDATE, 3, params, reply);
}

void dashboard_team_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *params[1] = {req->auth->org_id};
    read_one(pg, req, STMT_LIST, 1, params, reply);
}

/* A statement of the open transaction failed: rolls back and answers. */
static void write_failed(vx_pg *pg, const vx_gateway_request *req, const char *stmt, vx_rpc_reply *reply)
{
    bool transient = vx_pg_error_is_transient(pg);
    vx_log_error(req->request_id, req->auth->org_id, "team write failed", "statement", stmt, "sqlstate", vx_pg_sqlstate(pg),
                 "error", vx_pg_error(pg));
    vx_pg_rollback(pg);
    if (transient)
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
    else
        vx_rpc_reply_error(reply, 500, "internal_error", "The team could not be changed.");
}

/* Runs stmt in the open transaction; the result, or NULL after write_failed. */
static PGresult *step(vx_pg *pg, const vx_gateway_request *req, const char *stmt, int n, const char *const *params,
                      vx_rpc_reply *reply)
{
    PGresult *res = vx_pg_exec(pg, stmt, n, params);
    if (res == NULL)
        write_failed(pg, req, stmt, reply);
    return res;
}

static bool begin(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    if (vx_pg_begin_org(pg, req->auth->org_id) == 0)
        return true;
    vx_log_error(req->request_id, req->auth->org_id, "team transaction could not begin", "error", vx_pg_error(pg));
    vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
    return false;
}

/* Audits and commits; answers status with json on success. */
static void finish(vx_pg *pg, const vx_gateway_request *req, const char *action, const char *target_type, const char *target_id,
                   const char *details, unsigned status, const char *json, vx_rpc_reply *reply)
{
    if (vx_audit_record(pg, req, action, target_type, target_id, details) != 0) {
        write_failed(pg, req, "audit", reply);
        return;
    }
    if (vx_pg_commit(pg) != 0) {
        write_failed(pg, req, "commit", reply);
        return;
    }
    vx_rpc_reply_json(reply, status, json);
}

static bool read_body(const vx_gateway_request *req, auth_body_kind kind, auth_body *body, vx_rpc_reply *reply)
{
    auth_fields_error err;
    if (auth_fields_parse(req->body.data, req->body.len, kind, body, &err) == 0)
        return true;
    vx_rpc_reply_error(reply, 400, err.code, err.message);
    return false;
}

void dashboard_team_invite(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    auth_body body;
    PGresult *res = NULL;
    vx_buf answer = {0};
    if (!read_body(req, AUTH_BODY_INVITE, &body, reply) || !begin(pg, req, reply))
        goto out;
    const char *member[2] = {req->auth->org_id, body.email};
    if ((res = step(pg, req, STMT_IS_MEMBER, 2, member, reply)) == NULL)
        goto out;
    if (PQntuples(res) > 0) {
        vx_pg_rollback(pg);
        vx_rpc_reply_error(reply, 409, "already_member", "This email is already a member of the organization.");
        goto out;
    }
    PQclear(res);
    if ((res = step(pg, req, STMT_INVITE_CLEAR, 2, member, reply)) == NULL)
        goto out;
    PQclear(res);
    char token[SESSIONS_TOKEN_LEN + 1], hash[SESSIONS_HASH_PARAM_LEN + 1], ttl[24];
    sessions_token_new(token, hash);
    snprintf(ttl, sizeof(ttl), "%ld", sessions_config_get()->invitation_ttl_s);
    /* A token minted by an operator (voxctl token) may name no user. */
    const char *by = vx_is_uuid(req->auth->user_id, strlen(req->auth->user_id)) ? req->auth->user_id : NULL;
    const char *params[6] = {req->auth->org_id, body.email, body.role, hash, by, ttl};
    if ((res = step(pg, req, STMT_INVITE_INSERT, 6, params, reply)) == NULL)
        goto out;
    vx_buf_printf(&answer, "{\"invitation\":%s,\"token\":\"%s\",\"accept_url\":", PQgetvalue(res, 0, 0), token);
    const char *base = sessions_config_get()->dashboard_url;
    if (base != NULL && base[0] != '\0') {
        size_t n = strlen(base);
        vx_buf url = {0};
        vx_buf_printf(&url, "%.*s/accept-invite?token=%s", (int)(base[n - 1] == '/' ? n - 1 : n), base, token);
        vx_buf_json_string(&answer, url.data, url.len);
        vx_buf_free(&url);
    } else {
        vx_buf_puts(&answer, "null");
    }
    vx_buf_putc(&answer, '}');
    explicit_bzero(token, sizeof(token));
    char details[48];
    snprintf(details, sizeof(details), "{\"role\":\"%s\"}", body.role);
    vx_rpc_reply_header(reply, "cache-control", "no-store");
    finish(pg, req, "team.invited", "invitation", PQgetvalue(res, 0, 1), details, 201, answer.data, reply);
out:
    if (answer.data != NULL)
        explicit_bzero(answer.data, answer.len);
    vx_buf_free(&answer);
    PQclear(res);
    auth_body_free(&body);
}

void dashboard_team_invite_revoke(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_uuid(req, reply);
    if (id == NULL || !begin(pg, req, reply))
        return;
    const char *params[2] = {req->auth->org_id, id};
    PGresult *res = step(pg, req, STMT_INVITE_REVOKE, 2, params, reply);
    if (res == NULL)
        return;
    if (PQntuples(res) == 0) {
        vx_pg_rollback(pg);
        vx_rpc_reply_error(reply, 404, "not_found", "No such open invitation.");
    } else {
        char json[96];
        snprintf(json, sizeof(json), "{\"revoked\":true,\"id\":\"%s\"}", id);
        finish(pg, req, "team.invitation_revoked", "invitation", id, NULL, 200, json, reply);
    }
    PQclear(res);
}

/* Locks the org's owners and the member; fills the member's role. Returns 1
 * when the member exists, 0 when not (answered 404), -1 when the database
 * failed (answered). *owners is the number of owners. */
static int lock_member(vx_pg *pg, const vx_gateway_request *req, const char *id, char role[16], long *owners, vx_rpc_reply *reply)
{
    const char *org[1] = {req->auth->org_id};
    PGresult *res = step(pg, req, STMT_OWNERS_LOCK, 1, org, reply);
    if (res == NULL)
        return -1;
    *owners = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    const char *params[2] = {req->auth->org_id, id};
    if ((res = step(pg, req, STMT_MEMBER_ROLE, 2, params, reply)) == NULL)
        return -1;
    int found = PQntuples(res) == 1;
    if (found)
        snprintf(role, 16, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    if (!found) {
        vx_pg_rollback(pg);
        vx_rpc_reply_error(reply, 404, "not_found", "No such member.");
    }
    return found;
}

static void refuse_last_owner(vx_pg *pg, vx_rpc_reply *reply)
{
    vx_pg_rollback(pg);
    vx_rpc_reply_error(reply, 409, "last_owner", "The organization must keep an owner: make another member owner first.");
}

void dashboard_team_update(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    auth_body body;
    memset(&body, 0, sizeof(body));
    const char *id = vx_rpc_path_uuid(req, reply);
    char role[16];
    long owners;
    if (id == NULL || !read_body(req, AUTH_BODY_ROLE, &body, reply) || !begin(pg, req, reply) ||
        lock_member(pg, req, id, role, &owners, reply) != 1)
        goto out;
    if (strcmp(role, "owner") == 0 && strcmp(body.role, "owner") != 0 && owners <= 1) {
        refuse_last_owner(pg, reply);
        goto out;
    }
    const char *params[3] = {req->auth->org_id, id, body.role};
    PGresult *res = step(pg, req, STMT_ROLE_UPDATE, 3, params, reply);
    if (res == NULL)
        goto out;
    char details[64];
    snprintf(details, sizeof(details), "{\"from\":\"%s\",\"to\":\"%s\"}", role, body.role);
    finish(pg, req, "team.role_changed", "user", id, details, 200, PQgetvalue(res, 0, 0), reply);
    PQclear(res);
out:
    auth_body_free(&body);
}

void dashboard_team_remove(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_uuid(req, reply);
    char role[16];
    long owners;
    if (id == NULL || !begin(pg, req, reply) || lock_member(pg, req, id, role, &owners, reply) != 1)
        return;
    if (strcmp(role, "owner") == 0 && owners <= 1) {
        refuse_last_owner(pg, reply);
        return;
    }
    const char *params[2] = {req->auth->org_id, id};
    PGresult *res = step(pg, req, STMT_MEMBER_DELETE, 2, params, reply);
    if (res == NULL)
        return;
    PQclear(res);
    char json[96], details[48];
    snprintf(json, sizeof(json), "{\"removed\":true,\"id\":\"%s\"}", id);
    snprintf(details, sizeof(details), "{\"role\":\"%s\"}", role);
    finish(pg, req, "team.member_removed", "user", id, details, 200, json, reply);
}
