/*
 * auth: see auth.h. The order of work in each handler is part of its
 * security: the body is checked, then the failure budget, then the password
 * is hashed or checked — always, whether or not the email has an account —
 * and only then is the database asked anything that depends on the answer.
 */
#include "auth.h"

#include <stdio.h>
#include <string.h>

#include "auth_fields.h"
#include "passwords.h"
#include "sessions.h"
#include "vx_audit.h"
#include "vx_log.h"
#include "vx_validate.h"

#define STMT_TIMEZONE       "auth_timezone_known"
#define STMT_PROVISION      "auth_org_provision"
#define STMT_USER_INSERT    "auth_user_insert"
#define STMT_THROTTLE_WAIT  "auth_throttle_wait"
#define STMT_THROTTLE_FAIL  "auth_throttle_fail"
#define STMT_LOGIN_USER     "auth_login_user"
#define STMT_SIGNED_IN      "auth_signed_in"
#define STMT_ROTATE         "auth_refresh_rotate"
#define STMT_REVOKE         "auth_refresh_revoke"
#define STMT_INVITATION_ORG "auth_invitation_org"
#define STMT_INVITATION     "auth_invitation_take"

void dashboard_auth_prepare(vx_pg *pg)
{
    sessions_prepare(pg);
    vx_pg_prepare(pg, STMT_TIMEZONE, "SELECT is_iana_timezone($1)");
    vx_pg_prepare(pg, STMT_PROVISION, "SELECT org_provision($1::uuid, $2, $3)");
    vx_pg_prepare(pg, STMT_USER_INSERT,
                  "INSERT INTO users (id, org_id, email, password_hash, role) VALUES ($1::uuid, $2::uuid, $3, $4, $5)");
    /* NULL keys (no client address, or no email) match no row. */
    vx_pg_prepare(pg, STMT_THROTTLE_WAIT,
                  "SELECT greatest(auth_throttle_wait(ARRAY[$1::bytea], $3::int, $5::int),"
                  " auth_throttle_wait(ARRAY[$2::bytea], $4::int, $5::int))");
    vx_pg_prepare(pg, STMT_THROTTLE_FAIL, "SELECT auth_throttle_fail(array_remove(ARRAY[$1::bytea, $2::bytea], NULL), $3::int)");
    vx_pg_prepare(pg, STMT_LOGIN_USER, "SELECT user_id, org_id, role, password_hash, org_active FROM auth_user_for_login($1)");
    vx_pg_prepare(pg, STMT_SIGNED_IN, "SELECT auth_signed_in($1::uuid, ARRAY[$2::bytea])");
    vx_pg_prepare(pg, STMT_ROTATE,
                  "SELECT status, user_id, org_id, role, email FROM auth_refresh_rotate($1::bytea, $2::bytea, $3::int)");
    vx_pg_prepare(pg, STMT_REVOKE, "SELECT org_id, user_id FROM auth_refresh_revoke($1::bytea)");
    vx_pg_prepare(pg, STMT_INVITATION_ORG, "SELECT auth_invitation_org($1::bytea)");
    vx_pg_prepare(pg, STMT_INVITATION, "SELECT invitation_id, org_id, email, role FROM auth_invitation_take($1::bytea)");
}

/* The database failed mid-way: rolls back (a no-op outside a transaction) and answers. */
static void db_failed(vx_pg *pg, const vx_gateway_request *req, const char *what, vx_rpc_reply *reply)
{
    bool transient = vx_pg_error_is_transient(pg);
    vx_log_error(req->request_id, NULL, "sign-in statement failed", "statement", what, "sqlstate", vx_pg_sqlstate(pg), "error",
                 vx_pg_error(pg));
    vx_pg_rollback(pg);
    if (transient)
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
    else
        vx_rpc_reply_error(reply, 500, "internal_error", "Signing in failed. Please retry.");
}

/* Built-in sign-in is on, and req's body reads as kind; otherwise answers. */
static bool read_body(const vx_gateway_request *req, auth_body_kind kind, auth_body *body, vx_rpc_reply *reply)
{
    if (sessions_config_get()->jwt_secret == NULL) {
        vx_rpc_reply_error(reply, 503, "auth_disabled",
                           "Built-in sign-in is not enabled here: this deployment signs users in with its own auth provider.");
        return false;
    }
    auth_fields_error err;
    if (auth_fields_parse(req->body.data, req->body.len, kind, body, &err) != 0) {
        vx_rpc_reply_error(reply, 400, err.code, err.message);
        return false;
    }
    return true;
}

/* The throttle keys: the email's and the client address's (either may stay
 * NULL), as bytea literals of a digest — the table holds no address. */
typedef struct throttle_keys {
    char email[SESSIONS_HASH_PARAM_LEN + 1];
    char ip[SESSIONS_HASH_PARAM_LEN + 1];
    const char *params[2];
} throttle_keys;

static void throttle_keys_make(const vx_gateway_request *req, const char *email, throttle_keys *k)
{
    char text[320];
    k->params[0] = k->params[1] = NULL;
    if (email != NULL) {
        snprintf(text, sizeof(text), "email:%s", email);
        sessions_hash_param(text, k->email);
        k->params[0] = k->email;
    }
    const char *ip = vx_rpc_header(req, VX_RPC_HEADER_CLIENT_IP);
    if (ip != NULL && ip[0] != '\0') {
        snprintf(text, sizeof(text), "ip:%.64s", ip);
        sessions_hash_param(text, k->ip);
        k->params[1] = k->ip;
    }
}

/* Seconds until the keys may try again (0: now), or -1 when the database failed (answered). */
static long throttle_wait(vx_pg *pg, const vx_gateway_request *req, const throttle_keys *k, vx_rpc_reply *reply)
{
    const sessions_config *c = sessions_config_get();
    char per_email[24], per_ip[24], window[24];
    snprintf(per_email, sizeof(per_email), "%ld", c->max_failures_per_email);
    snprintf(per_ip, sizeof(per_ip), "%ld", c->max_failures_per_ip);
    snprintf(window, sizeof(window), "%ld", c->failure_window_s);
    const char *params[5] = {k->params[0], k->params[1], per_email, per_ip, window};
    PGresult *res = vx_pg_exec(pg, STMT_THROTTLE_WAIT, 5, params);
    if (res == NULL) {
        db_failed(pg, req, STMT_THROTTLE_WAIT, reply);
        return -1;
    }
    long wait = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return wait;
}

static void answer_throttled(long wait_s, vx_rpc_reply *reply)
{
    char retry[24];
    snprintf(retry, sizeof(retry), "%ld", wait_s);
    vx_rpc_reply_header(reply, "retry-after", retry);
    vx_rpc_reply_error(reply, 429, "too_many_attempts", "Too many failed attempts. Wait and try again.");
}

/* Counts a failure against the keys. A failure to count is logged, not
 * answered: the caller's refusal stands either way. */
static void throttle_fail(vx_pg *pg, const vx_gateway_request *req, const throttle_keys *k)
{
    char window[24];
    snprintf(window, sizeof(window), "%ld", sessions_config_get()->failure_window_s);
    const char *params[3] = {k->params[0], k->params[1], window};
    PGresult *res = vx_pg_exec(pg, STMT_THROTTLE_FAIL, 3, params);
    if (res == NULL)
        vx_log_error(req->request_id, NULL, "sign-in failure not counted", "sqlstate", vx_pg_sqlstate(pg), "error",
                     vx_pg_error(pg));
    PQclear(res);
}

static void answer_session(vx_buf *session, unsigned status, vx_rpc_reply *reply)
{
    vx_rpc_reply_header(reply, "cache-control", "no-store");
    vx_rpc_reply_json(reply, status, session->data);
    explicit_bzero(session->data, session->len);
}

void dashboard_auth_signup(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    auth_body body;
    vx_buf session = {0};
    throttle_keys keys;
    char hash[PASSWORDS_HASH_MAX] = "";
    if (!read_body(req, AUTH_BODY_SIGNUP, &body, reply))
        goto out;
    throttle_keys_make(req, NULL, &keys);
    long wait = throttle_wait(pg, req, &keys, reply);
    if (wait != 0) {
        if (wait > 0)
            answer_throttled(wait, reply);
        goto out;
    }
    /* Hashed before anything is looked up: a taken email costs the same time as a free one. */
    if (passwords_hash(body.password, body.password_len, hash) != 0) {
        vx_rpc_reply_error(reply, 500, "internal_error", "The password could not be stored.");
        goto out;
    }
    if (body.timezone != NULL) {
        const char *tz[1] = {body.timezone};
        PGresult *res = vx_pg_exec(pg, STMT_TIMEZONE, 1, tz);
        if (res == NULL) {
            db_failed(pg, req, STMT_TIMEZONE, reply);
            goto out;
        }
        bool known = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
        PQclear(res);
        if (!known) {
            vx_rpc_reply_error(reply, 400, "invalid_field", "timezone is not an IANA time zone this server knows.");
            goto out;
        }
    }
    char org_id[VX_UUID_STR_LEN + 1], user_id[VX_UUID_STR_LEN + 1];
    vx_uuid_v4(org_id);
    vx_uuid_v4(user_id);
    if (vx_pg_begin_org(pg, org_id) != 0) {
        db_failed(pg, req, "begin", reply);
        goto out;
    }
    const char *org_params[3] = {org_id, body.organization_name, body.timezone};
    PGresult *res = vx_pg_exec(pg, STMT_PROVISION, 3, org_params);
    if (res == NULL) {
        db_failed(pg, req, STMT_PROVISION, reply);
        goto out;
    }
    PQclear(res);
    const char *user_params[5] = {user_id, org_id, body.email, hash, "owner"};
    res = vx_pg_exec(pg, STMT_USER_INSERT, 5, user_params);
    if (res == NULL) {
        if (strcmp(vx_pg_sqlstate(pg), "23505") != 0) {
            db_failed(pg, req, STMT_USER_INSERT, reply);
            goto out;
        }
        vx_pg_rollback(pg);
        throttle_fail(pg, req, &keys);
        vx_log_info(req->request_id, NULL, "sign-up refused", "reason", "email has an account");
        vx_rpc_reply_error(reply, 400, "signup_refused",
                           "This sign-up could not be completed. If you have an account already, sign in instead.");
        goto out;
    }
    PQclear(res);
    vx_buf organization = {0};
    vx_buf_printf(&organization, ",\"organization\":{\"id\":\"%s\",\"name\":", org_id);
    vx_buf_json_string(&organization, body.organization_name, strlen(body.organization_name));
    vx_buf_putc(&organization, '}');
    int rc = sessions_start(pg, org_id, user_id, "owner", body.email, organization.data, &session);
    vx_buf_free(&organization);
    if (rc != 0 || vx_audit_record_as(pg, req->request_id, org_id, user_id, "owner", "auth.signup", "user", user_id, NULL) != 0) {
        db_failed(pg, req, "signup session", reply);
        goto out;
    }
    if (vx_pg_commit(pg) != 0) {
        db_failed(pg, req, "commit", reply);
        goto out;
    }
    vx_log_info(req->request_id, org_id, "organization signed up", "user", user_id);
    answer_session(&session, 201, reply);
out:
    explicit_bzero(hash, sizeof(hash));
    auth_body_free(&body);
    vx_buf_free(&session);
}

void dashboard_auth_login(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    auth_body body;
    vx_buf session = {0};
    throttle_keys keys;
    PGresult *user = NULL;
    if (!read_body(req, AUTH_BODY_LOGIN, &body, reply))
        goto out;
    throttle_keys_make(req, body.email, &keys);
    long wait = throttle_wait(pg, req, &keys, reply);
    if (wait != 0) {
        if (wait > 0)
            answer_throttled(wait, reply);
        goto out;
    }
    const char *email[1] = {body.email};
    user = vx_pg_exec(pg, STMT_LOGIN_USER, 1, email);
    if (user == NULL) {
        db_failed(pg, req, STMT_LOGIN_USER, reply);
        goto out;
    }
    bool found = PQntuples(user) == 1;
    bool right = found ? passwords_check(body.password, body.password_len, PQgetvalue(user, 0, 3))
                       : passwords_check_dummy(body.password, body.password_len);
    if (!right) {
        throttle_fail(pg, req, &keys);
        vx_rpc_reply_error(reply, 401, "invalid_credentials", "Invalid email or password.");
        goto out;
    }
    const char *user_id = PQgetvalue(user, 0, 0), *org_id = PQgetvalue(user, 0, 1), *role = PQgetvalue(user, 0, 2);
    if (strcmp(PQgetvalue(user, 0, 4), "t") != 0) {
        vx_rpc_reply_error(reply, 403, "org_suspended", "This organization is suspended. Please contact support.");
        goto out;
    }
    const char *signed_in[2] = {user_id, keys.params[0]};
    PGresult *res = NULL;
    if (vx_pg_begin_org(pg, org_id) != 0 || sessions_start(pg, org_id, user_id, role, body.email, NULL, &session) != 0 ||
        vx_audit_record_as(pg, req->request_id, org_id, user_id, role, "auth.login", "user", user_id, NULL) != 0 ||
        (res = vx_pg_exec(pg, STMT_SIGNED_IN, 2, signed_in)) == NULL || vx_pg_commit(pg) != 0) {
        db_failed(pg, req, "login session", reply);
        goto out;
    }
    PQclear(res);
    answer_session(&session, 200, reply);
out:
    PQclear(user);
    auth_body_free(&body);
    vx_buf_free(&session);
}

void dashboard_auth_refresh(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    auth_body body;
    vx_buf session = {0};
    PGresult *res = NULL;
    char token[SESSIONS_TOKEN_LEN + 1] = "";
    if (!read_body(req, AUTH_BODY_REFRESH, &body, reply))
        goto out;
    char old_hash[SESSIONS_HASH_PARAM_LEN + 1], new_hash[SESSIONS_HASH_PARAM_LEN + 1], ttl[24];
    sessions_hash_param(body.token, old_hash);
    sessions_token_new(token, new_hash);
    snprintf(ttl, sizeof(ttl), "%ld", sessions_config_get()->refresh_ttl_s);
    const char *params[3] = {old_hash, new_hash, ttl};
    res = vx_pg_exec(pg, STMT_ROTATE, 3, params);
    if (res == NULL) {
        db_failed(pg, req, STMT_ROTATE, reply);
        goto out;
    }
    const char *status = PQgetvalue(res, 0, 0);
    if (strcmp(status, "ok") == 0) {
        sessions_answer(PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4), token, NULL,
                        &session);
        answer_session(&session, 200, reply);
        goto out;
    }
    if (strcmp(status, "reused") == 0) {
        /* Someone holds a copy of a token already exchanged: the family is
         * revoked (in the function), and the org's owners are told. */
        const char *org_id = PQgetvalue(res, 0, 2), *user_id = PQgetvalue(res, 0, 1);
        vx_log_warn(req->request_id, org_id, "refresh token reused: session family revoked", "user", user_id);
        if (vx_pg_begin_org(pg, org_id) != 0 ||
            vx_audit_record_as(pg, req->request_id, org_id, user_id, NULL, "auth.refresh_reuse_detected", "user", user_id, NULL) !=
                0 ||
            vx_pg_commit(pg) != 0) {
            vx_log_error(req->request_id, org_id, "reuse not audited", "error", vx_pg_error(pg));
            vx_pg_rollback(pg);
        }
    }
    vx_rpc_reply_error(reply, 401, "invalid_refresh_token", "This refresh token is not valid. Please sign in again.");
out:
    explicit_bzero(token, sizeof(token));
    PQclear(res);
    auth_body_free(&body);
    vx_buf_free(&session);
}

void dashboard_auth_logout(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    auth_body body;
    PGresult *res = NULL;
    if (!read_body(req, AUTH_BODY_REFRESH, &body, reply))
        goto out;
    char hash[SESSIONS_HASH_PARAM_LEN + 1];
    sessions_hash_param(body.token, hash);
    const char *params[1] = {hash};
    res = vx_pg_exec(pg, STMT_REVOKE, 1, params);
    if (res == NULL) {
        db_failed(pg, req, STMT_REVOKE, reply);
        goto out;
    }
    if (PQntuples(res) == 1) {
        const char *org_id = PQgetvalue(res, 0, 0), *user_id = PQgetvalue(res, 0, 1);
        if (vx_pg_begin_org(pg, org_id) != 0 ||
            vx_audit_record_as(pg, req->request_id, org_id, user_id, NULL, "auth.logout", "user", user_id, NULL) != 0 ||
            vx_pg_commit(pg) != 0) {
            vx_log_error(req->request_id, org_id, "sign-out not audited", "error", vx_pg_error(pg));
            vx_pg_rollback(pg);
        }
    }
    vx_rpc_reply_json(reply, 200, "{\"signed_out\":true}");
out:
    PQclear(res);
    auth_body_free(&body);
}

void dashboard_auth_accept_invite(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    auth_body body;
    vx_buf session = {0};
    PGresult *res = NULL;
    char hash[PASSWORDS_HASH_MAX] = "";
    if (!read_body(req, AUTH_BODY_ACCEPT_INVITE, &body, reply))
        goto out;
    if (passwords_hash(body.password, body.password_len, hash) != 0) {
        vx_rpc_reply_error(reply, 500, "internal_error", "The password could not be stored.");
        goto out;
    }
    char token_hash[SESSIONS_HASH_PARAM_LEN + 1];
    sessions_hash_param(body.token, token_hash);
    const char *params[1] = {token_hash};
    res = vx_pg_exec(pg, STMT_INVITATION_ORG, 1, params);
    if (res == NULL) {
        db_failed(pg, req, STMT_INVITATION_ORG, reply);
        goto out;
    }
    char org_id[VX_UUID_STR_LEN + 1];
    bool open = !PQgetisnull(res, 0, 0);
    snprintf(org_id, sizeof(org_id), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    res = NULL;
    if (!open) {
        vx_rpc_reply_error(reply, 404, "invalid_invitation", "This invitation is not valid: it may have expired or been used.");
        goto out;
    }
    /* Taken again inside the transaction: of two acceptances racing, one
     * gets the row and the other none. */
    if (vx_pg_begin_org(pg, org_id) != 0 || (res = vx_pg_exec(pg, STMT_INVITATION, 1, params)) == NULL) {
        db_failed(pg, req, STMT_INVITATION, reply);
        goto out;
    }
    if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 1), org_id) != 0) {
        vx_pg_rollback(pg);
        vx_rpc_reply_error(reply, 404, "invalid_invitation", "This invitation is not valid: it may have expired or been used.");
        goto out;
    }
    char user_id[VX_UUID_STR_LEN + 1];
    vx_uuid_v4(user_id);
    const char *invitation_id = PQgetvalue(res, 0, 0), *email = PQgetvalue(res, 0, 2), *role = PQgetvalue(res, 0, 3);
    const char *user_params[5] = {user_id, org_id, email, hash, role};
    PGresult *ins = vx_pg_exec(pg, STMT_USER_INSERT, 5, user_params);
    if (ins == NULL) {
        if (strcmp(vx_pg_sqlstate(pg), "23505") != 0) {
            db_failed(pg, req, STMT_USER_INSERT, reply);
            goto out;
        }
        vx_pg_rollback(pg);
        vx_rpc_reply_error(reply, 409, "email_taken",
                           "The invited email already has an account. Ask the owner to invite another address.");
        goto out;
    }
    PQclear(ins);
    char details[96];
    snprintf(details, sizeof(details), "{\"invitation_id\":\"%s\",\"role\":\"%s\"}", invitation_id, role);
    if (sessions_start(pg, org_id, user_id, role, email, NULL, &session) != 0 ||
        vx_audit_record_as(pg, req->request_id, org_id, user_id, role, "team.invitation_accepted", "user", user_id, details) != 0 ||
        vx_pg_commit(pg) != 0) {
        db_failed(pg, req, "invitation session", reply);
        goto out;
    }
    answer_session(&session, 201, reply);
out:
    explicit_bzero(hash, sizeof(hash));
    PQclear(res);
    auth_body_free(&body);
    vx_buf_free(&session);
}
