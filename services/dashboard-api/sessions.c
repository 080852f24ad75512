/*
 * sessions: see sessions.h.
 */
#include "sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vx_config.h"
#include "vx_log.h"

#define STMT_INSERT_REFRESH "sessions_insert_refresh"

static sessions_config config;

int sessions_configure_from_env(void)
{
    config.jwt_secret = vx_config_str("JWT_SECRET", NULL);
    if (config.jwt_secret != NULL && config.jwt_secret[0] == '\0')
        config.jwt_secret = NULL;
    if (config.jwt_secret != NULL) {
        const char *weak = vx_jwt_secret_problem(config.jwt_secret);
        if (weak != NULL) {
            fprintf(stderr, "dashboard-api: JWT_SECRET cannot be used: %s\n", weak);
            return -1;
        }
    }
    config.audience = vx_config_str("JWT_AUDIENCE", VX_JWT_DEFAULT_AUDIENCE);
    config.issuer = vx_config_str("JWT_ISSUER", NULL);
    /* Never longer than the gateway accepts: a token it refuses is no session. */
    long max_lifetime =
        vx_config_long("JWT_MAX_LIFETIME_S", VX_JWT_DEFAULT_MAX_LIFETIME_S, VX_JWT_MIN_MAX_LIFETIME_S, VX_JWT_MAX_MAX_LIFETIME_S);
    config.access_ttl_s = vx_config_long("AUTH_ACCESS_TOKEN_TTL_S", max_lifetime < 3600 ? max_lifetime : 3600, 60, max_lifetime);
    config.refresh_ttl_s = vx_config_long("AUTH_REFRESH_TOKEN_TTL_S", 30L * 24 * 3600, 3600, 365L * 24 * 3600);
    config.invitation_ttl_s = vx_config_long("AUTH_INVITATION_TTL_S", 7L * 24 * 3600, 600, 30L * 24 * 3600);
    config.max_failures_per_email = vx_config_long("AUTH_LOGIN_MAX_FAILURES_PER_EMAIL", 10, 1, 1000);
    config.max_failures_per_ip = vx_config_long("AUTH_LOGIN_MAX_FAILURES_PER_IP", 100, 1, 100000);
    config.failure_window_s = vx_config_long("AUTH_LOGIN_WINDOW_S", 900, 10, 86400);
    config.dashboard_url = vx_config_str("DASHBOARD_URL", NULL);
    return 0;
}

const sessions_config *sessions_config_get(void)
{
    return &config;
}

void sessions_hash_param(const char *text, char hash_param[SESSIONS_HASH_PARAM_LEN + 1])
{
    uint8_t digest[VX_SHA256_LEN];
    vx_sha256(text, strlen(text), digest);
    hash_param[0] = '\\';
    hash_param[1] = 'x';
    vx_hex_encode(digest, sizeof(digest), hash_param + 2);
}

void sessions_token_new(char token[SESSIONS_TOKEN_LEN + 1], char hash_param[SESSIONS_HASH_PARAM_LEN + 1])
{
    uint8_t random[32];
    vx_random_bytes(random, sizeof(random));
    char *text = vx_base64url_encode(random, sizeof(random));
    snprintf(token, SESSIONS_TOKEN_LEN + 1, "%s", text);
    free(text);
    explicit_bzero(random, sizeof(random));
    sessions_hash_param(token, hash_param);
}

void sessions_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_INSERT_REFRESH,
                  "INSERT INTO refresh_tokens (org_id, user_id, family_id, token_hash, expires_at)"
                  " VALUES ($1::uuid, $2::uuid, gen_random_uuid(), $3::bytea, now() + make_interval(secs => $4::int))");
}

void sessions_answer(const char *org_id, const char *user_id, const char *role, const char *email, const char *refresh_token,
                     const char *extra_members, vx_buf *out)
{
    int64_t now = (int64_t)time(NULL);
    vx_jwt_grant grant = {
        .org_id = org_id,
        .user_id = user_id,
        .role = role,
        .audience = config.audience,
        .issuer = config.issuer,
        .iat = now,
        .exp = now + config.access_ttl_s,
    };
    char *access = vx_jwt_sign(config.jwt_secret, &grant);
    if (access == NULL)
        abort(); /* only without a secret or org, which the handlers never send */
    vx_buf_printf(out, "{\"access_token\":\"%s\",\"token_type\":\"bearer\",\"expires_in\":%ld,\"expires_at\":%lld,", access,
                  config.access_ttl_s, (long long)grant.exp);
    vx_buf_printf(out, "\"refresh_token\":\"%s\",\"user\":{\"id\":\"%s\",\"email\":", refresh_token, user_id);
    vx_buf_json_string(out, email, strlen(email));
    vx_buf_printf(out, ",\"role\":\"authenticated\",\"app_metadata\":{\"org_id\":\"%s\",\"role\":\"%s\"}}%s}", org_id, role,
                  extra_members != NULL ? extra_members : "");
    explicit_bzero(access, strlen(access));
    free(access);
}

int sessions_start(vx_pg *pg, const char *org_id, const char *user_id, const char *role, const char *email,
                   const char *extra_members, vx_buf *out)
{
    char token[SESSIONS_TOKEN_LEN + 1], hash[SESSIONS_HASH_PARAM_LEN + 1], ttl[24];
    sessions_token_new(token, hash);
    snprintf(ttl, sizeof(ttl), "%ld", config.refresh_ttl_s);
    const char *params[4] = {org_id, user_id, hash, ttl};
    PGresult *res = vx_pg_exec(pg, STMT_INSERT_REFRESH, 4, params);
    if (res == NULL)
        return -1;
    PQclear(res);
    sessions_answer(org_id, user_id, role, email, token, extra_members, out);
    explicit_bzero(token, sizeof(token));
    return 0;
}
