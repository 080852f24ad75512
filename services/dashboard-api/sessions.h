/*
 * sessions: what a signed-in user is given — a short-lived access token (an
 * HS256 JWT with Supabase's claims, verified by the gateway like any
 * Supabase token) and a long-lived refresh token — and the settings of
 * built-in sign-in.
 *
 * A refresh token is 32 random bytes in base64url; only its SHA-256 is
 * stored (refresh_tokens.token_hash), so the table never holds a token that
 * could be used. Each sign-in starts a family; refreshing uses a token up
 * and issues its child (migrations/0015_auth.sql, auth_refresh_rotate).
 *
 * The answer has the shape of Supabase Auth's token endpoint, so a
 * dashboard written for Supabase reads it unchanged:
 *   {"access_token", "token_type": "bearer", "expires_in", "expires_at",
 *    "refresh_token", "user": {"id", "email", "role": "authenticated",
 *    "app_metadata": {"org_id", "role"}}}
 */
#ifndef DASHBOARD_SESSIONS_H
#define DASHBOARD_SESSIONS_H

#include <stdint.h>

#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_jwt.h"
#include "vx_pg.h"

typedef struct sessions_config {
    const char *jwt_secret;      /* NULL: built-in sign-in is off (an outside Supabase Auth signs the tokens) */
    const char *audience;        /* JWT_AUDIENCE, as the gateway checks it */
    const char *issuer;          /* JWT_ISSUER; NULL: none */
    long access_ttl_s;           /* AUTH_ACCESS_TOKEN_TTL_S: at most the gateway's JWT_MAX_LIFETIME_S */
    long refresh_ttl_s;          /* AUTH_REFRESH_TOKEN_TTL_S */
    long invitation_ttl_s;       /* AUTH_INVITATION_TTL_S */
    long max_failures_per_email; /* AUTH_LOGIN_MAX_FAILURES_PER_EMAIL within the window */
    long max_failures_per_ip;    /* AUTH_LOGIN_MAX_FAILURES_PER_IP */
    long failure_window_s;       /* AUTH_LOGIN_WINDOW_S */
    const char *dashboard_url;   /* DASHBOARD_URL, for invitation links; NULL: none */
} sessions_config;

/* Reads the settings from the environment (main, before the workers start;
 * read-only afterwards). Returns 0, or -1 (printed) when one is unusable —
 * a guessable JWT_SECRET above all. */
int sessions_configure_from_env(void);
const sessions_config *sessions_config_get(void);

/* A new opaque token (refresh or invitation): its text (base64url, 43
 * characters) and the bytea literal of its SHA-256 ("\x…" for a parameter). */
#define SESSIONS_TOKEN_LEN      43
#define SESSIONS_HASH_PARAM_LEN (2 + 2 * VX_SHA256_LEN)
void sessions_token_new(char token[SESSIONS_TOKEN_LEN + 1], char hash_param[SESSIONS_HASH_PARAM_LEN + 1]);
/* The bytea literal of the SHA-256 of text (a token given back, or a key). */
void sessions_hash_param(const char *text, char hash_param[SESSIONS_HASH_PARAM_LEN + 1]);

/* Registers the statements of this module on pg. */
void sessions_prepare(vx_pg *pg);

/* Starts a session for the user inside the caller's transaction, opened
 * under org_id's claims: stores a new refresh token (a new family) and
 * appends the answer above to out. Returns 0, or -1 when the write failed
 * (the caller rolls back). extra_members, when not NULL, are more members of
 * the answer's object (",\"organization\":{…}" — starting with a comma). */
int sessions_start(vx_pg *pg, const char *org_id, const char *user_id, const char *role, const char *email,
                   const char *extra_members, vx_buf *out);

/* Appends the answer for a rotated session: refresh_token is the child
 * auth_refresh_rotate stored. */
void sessions_answer(const char *org_id, const char *user_id, const char *role, const char *email, const char *refresh_token,
                     const char *extra_members, vx_buf *out);

#endif
