/*
 * dashboard-api's built-in sign-in and team (services/dashboard-api/auth.c,
 * team.c) as a real process on real NATS and PostgreSQL, spoken to as the
 * gateway speaks to it.
 *
 * Covered: sign-up makes exactly one organization with its seven services,
 * settings and hours, and a session whose access token the gateway's policy
 * accepts; a second sign-up with the same email is refused in words that do
 * not tell it exists; an unknown email and a wrong password get the same
 * answer byte for byte; failures are throttled per email; refresh tokens
 * rotate, a reused one revokes its family, sign-out revokes; invitations
 * make staff members; an organization keeps an owner; org A's owner never
 * reaches org B's team; bad bodies change nothing; only digests of tokens
 * and hashes of passwords are stored.
 */
#include <nats/nats.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "voxanne/v1/gateway.pb-c.h"
#include "vt.h"
#include "vt_dashboard.h"
#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_jwt.h"

#define SIGNUP   "rpc.dashboard.auth.signup"
#define LOGIN    "rpc.dashboard.auth.login"
#define REFRESH  "rpc.dashboard.auth.refresh"
#define LOGOUT   "rpc.dashboard.auth.logout"
#define ACCEPT   "rpc.dashboard.auth.accept_invite"
#define VALIDATE "rpc.dashboard.orgs.validate"
#define TEAM     "rpc.dashboard.team.list"
#define INVITE   "rpc.dashboard.team.invite"
#define UNINVITE "rpc.dashboard.team.invite_revoke"
#define ROLE     "rpc.dashboard.team.update"
#define REMOVE   "rpc.dashboard.team.remove"
#define AUDIT    "rpc.dashboard.audit.list"

#define PASSWORD           "correct horse battery staple"
#define FAILURES_PER_EMAIL 3

static natsConnection *nc;
static PGconn *admin;
static pid_t service;

/* A request without a token (the sign-in routes). */
static vt_answer post(const char *subject, const char *body)
{
    return vt_dashboard_request(nc, subject, NULL, NULL, NULL, NULL, body, strlen(body));
}

/* A request with a dashboard token of org, role and user. */
static vt_answer as_user(const char *subject, const char *org, const char *role, const char *id, const char *body)
{
    return vt_dashboard_request(nc, subject, org, role, id, NULL, body, body != NULL ? strlen(body) : 0);
}

static const char *str_of(const cJSON *o, const char *name)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
    if (s == NULL)
        fail_msg("no string \"%s\"", name);
    return s;
}

static long count(const char *sql, const char *param)
{
    const char *p[1] = {param};
    return vt_sql_long(admin, sql, param != NULL ? 1 : 0, param != NULL ? p : NULL);
}

/* A session answer's claims, verified with the gateway's policy. */
static vx_jwt_claims verify_session(const cJSON *session)
{
    const char *token = str_of(session, "access_token");
    vx_jwt_policy policy = {.secret = VT_JWT_SECRET,
                            .audience = VX_JWT_DEFAULT_AUDIENCE,
                            .max_lifetime_s = VX_JWT_DEFAULT_MAX_LIFETIME_S,
                            .leeway_s = VX_JWT_DEFAULT_LEEWAY_S};
    vx_jwt_claims claims;
    vx_jwt_status st = vx_jwt_verify(token, strlen(token), &policy, (int64_t)time(NULL), &claims);
    if (st != VX_JWT_OK)
        fail_msg("the access token does not verify: %s", vx_jwt_status_str(st));
    assert_string_equal(str_of(session, "token_type"), "bearer");
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(session, "user");
    assert_string_equal(str_of(user, "id"), claims.sub);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(user, "app_metadata");
    assert_string_equal(str_of(meta, "org_id"), claims.org_id);
    assert_string_equal(str_of(meta, "role"), claims.role);
    return claims;
}

/* Signs up email with an organization called name; the session (cJSON_Delete). */
static cJSON *signup(const char *email, const char *name)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\",\"organization_name\":\"%s\"}", email, PASSWORD, name);
    vt_answer a = post(SIGNUP, body);
    vt_expect_status(&a, 201);
    cJSON *session = a.json;
    a.json = NULL;
    vt_answer_free(&a);
    return session;
}

static vt_answer login(const char *email, const char *password)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
    return post(LOGIN, body);
}

static vt_answer refresh(const char *token)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", token);
    return post(REFRESH, body);
}

/* The audit actions of org, newest first, joined by spaces. */
static char *audit_actions(const char *org)
{
    const char *p[1] = {org};
    return vt_sql_value(admin, "SELECT string_agg(action, ' ' ORDER BY id DESC) FROM audit_log WHERE org_id = $1", 1, p);
}

static int setup(void **state)
{
    (void)state;
    admin = vt_admin();
    /* The suite runs once per build variant on one database: the accounts
     * of an earlier run (this test owns @example.test) go first, with their
     * organizations. */
    vt_sql_exec(admin, "DELETE FROM organizations WHERE id IN (SELECT org_id FROM users WHERE email LIKE '%@example.test')", 0,
                NULL);
    vt_sql_exec(admin, "DELETE FROM auth_throttle", 0, NULL);
    static const char *env[] = {"AUTH_LOGIN_MAX_FAILURES_PER_EMAIL=3", "AUTH_PASSWORD_COST=1",
                                "DASHBOARD_URL=https://app.example.test/", NULL};
    service = vt_dashboard_start_with(&nc, "dashboard-api-auth", env);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vt_dashboard_stop(service, nc);
    PQfinish(admin);
    return 0;
}

static void test_signup_makes_one_org_with_its_defaults(void **state)
{
    (void)state;
    cJSON *s = signup("Ann.Owner@Example.test", "Bright Smiles Dental");
    vx_jwt_claims c = verify_session(s);
    assert_string_equal(c.role, "owner");
    const cJSON *org = cJSON_GetObjectItemCaseSensitive(s, "organization");
    assert_string_equal(str_of(org, "id"), c.org_id);
    assert_string_equal(str_of(org, "name"), "Bright Smiles Dental");
    assert_string_equal(str_of(cJSON_GetObjectItemCaseSensitive(s, "user"), "email"), "ann.owner@example.test");

    assert_int_equal(count("SELECT count(*) FROM organizations WHERE name = $1", "Bright Smiles Dental"), 1);
    assert_int_equal(count("SELECT count(*) FROM services WHERE org_id = $1", c.org_id), 7);
    assert_int_equal(count("SELECT count(*) FROM services WHERE org_id = $1 AND name IN ('Botox', 'Facelift', 'Rhinoplasty',"
                           " 'Breast Augmentation', 'Liposuction', 'Fillers', 'Consultation') AND price > 0",
                           c.org_id),
                     7);
    assert_int_equal(count("SELECT count(*) FROM org_settings WHERE org_id = $1", c.org_id), 1);
    assert_int_equal(count("SELECT count(*) FROM business_hours WHERE org_id = $1", c.org_id), 5);
    assert_int_equal(count("SELECT count(*) FROM users WHERE org_id = $1 AND role = 'owner' AND email = 'ann.owner@example.test'"
                           " AND password_hash LIKE '$y$%' AND position('" PASSWORD "' IN password_hash) = 0",
                           c.org_id),
                     1);
    /* Only the digest of the refresh token is stored. */
    const char *refresh_token = str_of(s, "refresh_token");
    uint8_t digest[VX_SHA256_LEN];
    char hex[2 * VX_SHA256_LEN + 1];
    vx_sha256(refresh_token, strlen(refresh_token), digest);
    vx_hex_encode(digest, sizeof digest, hex);
    assert_int_equal(count("SELECT count(*) FROM refresh_tokens WHERE encode(token_hash, 'hex') = $1", hex), 1);
    const char *p[1] = {refresh_token};
    assert_int_equal(
        vt_sql_long(admin, "SELECT count(*) FROM refresh_tokens WHERE position(convert_to($1, 'UTF8') IN token_hash) > 0", 1, p),
        0);
    char *actions = audit_actions(c.org_id);
    assert_string_equal(actions, "auth.signup");
    free(actions);

    /* The new owner reaches the dashboard with the token's claims. */
    vt_answer v = as_user(VALIDATE, c.org_id, c.role, NULL, NULL);
    vt_expect_status(&v, 200);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v.json, "valid")));
    assert_string_equal(str_of(cJSON_GetObjectItemCaseSensitive(v.json, "organization"), "name"), "Bright Smiles Dental");
    vt_answer_free(&v);
    cJSON_Delete(s);
}

static void test_second_signup_with_an_email_is_refused_without_saying_why(void **state)
{
    (void)state;
    cJSON *s = signup("twice@example.test", "First Clinic");
    long orgs = count("SELECT count(*) FROM organizations", NULL);
    vt_answer a = post(SIGNUP, "{\"email\":\"TWICE@example.test\",\"password\":\"another long password\","
                               "\"organization_name\":\"Second Clinic\"}");
    assert_int_equal(a.status, 400);
    assert_string_equal(str_of(a.json, "code"), "signup_refused");
    /* The words never say that an account exists. */
    assert_null(strstr(a.body, "exist"));
    assert_null(strstr(a.body, "taken"));
    assert_null(strstr(a.body, "twice"));
    vt_answer_free(&a);
    assert_int_equal(count("SELECT count(*) FROM organizations", NULL), orgs);
    assert_int_equal(count("SELECT count(*) FROM organizations WHERE name = $1", "Second Clinic"), 0);
    assert_int_equal(
        count("SELECT count(*) FROM services s JOIN organizations o ON o.id = s.org_id WHERE o.name = $1", "Second Clinic"), 0);
    cJSON_Delete(s);
}

static void test_login_answers_unknown_and_wrong_alike(void **state)
{
    (void)state;
    cJSON *s = signup("login@example.test", "Login Clinic");
    vx_jwt_claims owner = verify_session(s);

    vt_answer ok = login("LOGIN@example.test", PASSWORD);
    vt_expect_status(&ok, 200);
    vx_jwt_claims c = verify_session(ok.json);
    assert_string_equal(c.org_id, owner.org_id);
    assert_string_equal(c.sub, owner.sub);
    assert_string_equal(c.role, "owner");
    vt_answer_free(&ok);
    assert_int_equal(count("SELECT count(*) FROM users WHERE id = $1 AND last_sign_in_at IS NOT NULL", owner.sub), 1);

    vt_answer wrong = login("login@example.test", "not the password");
    vt_answer unknown = login("nobody-here@example.test", "not the password");
    assert_int_equal(wrong.status, 401);
    assert_int_equal(unknown.status, 401);
    assert_string_equal(wrong.body, unknown.body);
    assert_string_equal(str_of(wrong.json, "code"), "invalid_credentials");
    vt_answer_free(&wrong);
    vt_answer_free(&unknown);

    char *actions = audit_actions(owner.org_id);
    assert_string_equal(actions, "auth.login auth.signup");
    free(actions);
    cJSON_Delete(s);
}

static void test_failures_are_throttled_per_email(void **state)
{
    (void)state;
    cJSON *s = signup("throttled@example.test", "Throttle Clinic");
    for (int i = 0; i < FAILURES_PER_EMAIL; i++) {
        vt_answer a = login("throttled@example.test", "wrong password");
        assert_int_equal(a.status, 401);
        vt_answer_free(&a);
    }
    /* Spent: even the right password waits, and says how long. */
    Voxanne__V1__GatewayResponse *r =
        vt_dashboard_call(nc, LOGIN, NULL, NULL, NULL, NULL, "{\"email\":\"throttled@example.test\",\"password\":\"" PASSWORD "\"}",
                          strlen("{\"email\":\"throttled@example.test\",\"password\":\"" PASSWORD "\"}"));
    assert_int_equal(r->status, 429);
    bool retry_after = false;
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcmp(r->headers[i]->key, "retry-after") == 0 && atol(r->headers[i]->value) > 0)
            retry_after = true;
    assert_true(retry_after);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);

    /* An email nobody has is throttled alike: the limit tells nothing. */
    for (int i = 0; i < FAILURES_PER_EMAIL; i++) {
        vt_answer a = login("ghost@example.test", "wrong password");
        assert_int_equal(a.status, 401);
        vt_answer_free(&a);
    }
    vt_expect_error(login("ghost@example.test", "wrong password"), 429, "too_many_attempts");

    /* Other emails are not held back; the table holds no address. */
    vt_answer other = login("login@example.test", PASSWORD);
    vt_expect_status(&other, 200);
    vt_answer_free(&other);
    assert_int_equal(count("SELECT count(*) FROM auth_throttle WHERE position('throttled' IN encode(key, 'escape')) > 0", NULL), 0);

    /* Once the window is over (moved back here), the right password signs in and clears the count. */
    vt_sql_exec(admin, "UPDATE auth_throttle SET window_start = window_start - interval '1 hour'", 0, NULL);
    vt_answer later = login("throttled@example.test", PASSWORD);
    vt_expect_status(&later, 200);
    vt_answer_free(&later);
    cJSON_Delete(s);
}

static void test_refresh_rotates_and_a_reused_token_revokes_its_family(void **state)
{
    (void)state;
    cJSON *s = signup("rotate@example.test", "Rotate Clinic");
    vx_jwt_claims owner = verify_session(s);
    char *r1 = strdup(str_of(s, "refresh_token"));

    vt_answer a = refresh(r1);
    vt_expect_status(&a, 200);
    vx_jwt_claims c = verify_session(a.json);
    assert_string_equal(c.org_id, owner.org_id);
    char *r2 = strdup(str_of(a.json, "refresh_token"));
    assert_string_not_equal(r1, r2);
    vt_answer_free(&a);

    a = refresh(r2);
    vt_expect_status(&a, 200);
    char *r3 = strdup(str_of(a.json, "refresh_token"));
    vt_answer_free(&a);

    /* A second sign-in is a family of its own. */
    vt_answer other = login("rotate@example.test", PASSWORD);
    vt_expect_status(&other, 200);
    char *o1 = strdup(str_of(other.json, "refresh_token"));
    vt_answer_free(&other);

    /* r1 was used: showing it again revokes r3, its descendant, too. */
    vt_expect_error(refresh(r1), 401, "invalid_refresh_token");
    vt_expect_error(refresh(r3), 401, "invalid_refresh_token");
    vt_expect_error(refresh(r2), 401, "invalid_refresh_token");
    a = refresh(o1);
    vt_expect_status(&a, 200);
    vt_answer_free(&a);
    char *actions = audit_actions(owner.org_id);
    assert_non_null(strstr(actions, "auth.refresh_reuse_detected"));
    free(actions);

    /* Unknown and malformed tokens. */
    vt_expect_error(refresh("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 401, "invalid_refresh_token");
    vt_expect_error(refresh("not a token!"), 400, "invalid_field");
    free(r1);
    free(r2);
    free(r3);
    free(o1);
    cJSON_Delete(s);
}

static void test_logout_revokes_the_session(void **state)
{
    (void)state;
    cJSON *s = signup("logout@example.test", "Logout Clinic");
    char body[256];
    snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", str_of(s, "refresh_token"));
    vt_answer a = post(LOGOUT, body);
    vt_expect_status(&a, 200);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a.json, "signed_out")));
    vt_answer_free(&a);
    vt_expect_error(refresh(str_of(s, "refresh_token")), 401, "invalid_refresh_token");
    /* Signing out twice, or with a token nobody issued, is the same answer. */
    a = post(LOGOUT, body);
    vt_expect_status(&a, 200);
    vt_answer_free(&a);
    a = post(LOGOUT, "{\"refresh_token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}");
    vt_expect_status(&a, 200);
    vt_answer_free(&a);
    vx_jwt_claims c = verify_session(s);
    char *actions = audit_actions(c.org_id);
    assert_string_equal(actions, "auth.logout auth.signup");
    free(actions);
    cJSON_Delete(s);
}

/* Invites email as role into org (as its owner); the token (free). */
static char *invite(const char *org, const char *email, const char *role)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"%s\"}", email, role);
    vt_answer a = as_user(INVITE, org, "owner", NULL, body);
    vt_expect_status(&a, 201);
    char *token = strdup(str_of(a.json, "token"));
    const char *url = str_of(a.json, "accept_url");
    assert_true(strncmp(url, "https://app.example.test/accept-invite?token=", 45) == 0);
    assert_string_equal(str_of(cJSON_GetObjectItemCaseSensitive(a.json, "invitation"), "role"), role);
    vt_answer_free(&a);
    return token;
}

static vt_answer accept(const char *token)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"a staff password\"}", token);
    return post(ACCEPT, body);
}

static void test_invitations_make_members(void **state)
{
    (void)state;
    cJSON *s = signup("inviter@example.test", "Invite Clinic");
    vx_jwt_claims owner = verify_session(s);
    char *stale = invite(owner.org_id, "Front.Desk@example.test", "staff");
    char *token = invite(owner.org_id, "front.desk@example.test", "staff"); /* replaces the first */
    assert_int_equal(count("SELECT count(*) FROM invitations WHERE org_id = $1", owner.org_id), 1);

    vt_answer team = as_user(TEAM, owner.org_id, "owner", NULL, NULL);
    vt_expect_status(&team, 200);
    const cJSON *invitations = cJSON_GetObjectItemCaseSensitive(team.json, "invitations");
    assert_int_equal(cJSON_GetArraySize(invitations), 1);
    assert_null(strstr(team.body, token));
    assert_null(strstr(team.body, "token"));
    vt_answer_free(&team);

    vt_expect_error(accept(stale), 404, "invalid_invitation");
    vt_answer a = accept(token);
    vt_expect_status(&a, 201);
    vx_jwt_claims staff = verify_session(a.json);
    assert_string_equal(staff.org_id, owner.org_id);
    assert_string_equal(staff.role, "staff");
    vt_answer_free(&a);
    vt_expect_error(accept(token), 404, "invalid_invitation");

    /* The member signs in, and shows in the team instead of the invitation. */
    vt_answer l = login("front.desk@example.test", "a staff password");
    vt_expect_status(&l, 200);
    vt_answer_free(&l);
    team = as_user(TEAM, owner.org_id, "owner", NULL, NULL);
    vt_expect_status(&team, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(team.json, "members")), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(team.json, "invitations")), 0);
    assert_null(strstr(team.body, "password"));
    assert_null(strstr(team.body, "$y$"));
    vt_answer_free(&team);

    /* Staff do not manage the team; a member is not invited twice. */
    vt_expect_error(as_user(TEAM, owner.org_id, "staff", NULL, NULL), 403, "forbidden");
    vt_expect_error(as_user(INVITE, owner.org_id, "staff", NULL, "{\"email\":\"x@example.test\"}"), 403, "forbidden");
    vt_expect_error(as_user(INVITE, owner.org_id, "owner", NULL, "{\"email\":\"front.desk@example.test\"}"), 409, "already_member");

    /* An email with an account elsewhere cannot accept (and nothing is made). */
    cJSON *elsewhere = signup("elsewhere@example.test", "Elsewhere Clinic");
    char *taken = invite(owner.org_id, "elsewhere@example.test", "staff");
    vt_expect_error(accept(taken), 409, "email_taken");
    assert_int_equal(count("SELECT count(*) FROM users WHERE email = $1", "elsewhere@example.test"), 1);

    /* Withdrawn invitations cannot be accepted. */
    char *withdrawn = invite(owner.org_id, "later@example.test", "staff");
    const char *p[2] = {owner.org_id, "later@example.test"};
    char *id = vt_sql_value(admin, "SELECT id FROM invitations WHERE org_id = $1 AND email = $2", 2, p);
    vt_answer w = as_user(UNINVITE, owner.org_id, "owner", id, NULL);
    vt_expect_status(&w, 200);
    vt_answer_free(&w);
    vt_expect_error(accept(withdrawn), 404, "invalid_invitation");
    vt_expect_error(as_user(UNINVITE, owner.org_id, "owner", id, NULL), 404, "not_found");

    char *actions = audit_actions(owner.org_id);
    assert_non_null(strstr(actions, "team.invitation_accepted"));
    assert_non_null(strstr(actions, "team.invitation_revoked"));
    assert_non_null(strstr(actions, "team.invited"));
    /* Entries name ids, never emails. */
    const char *o[1] = {owner.org_id};
    assert_int_equal(vt_sql_long(admin, "SELECT count(*) FROM audit_log WHERE org_id = $1 AND details::text LIKE '%@%'", 1, o), 0);
    free(actions);
    free(id);
    free(withdrawn);
    free(taken);
    free(stale);
    free(token);
    cJSON_Delete(elsewhere);
    cJSON_Delete(s);
}

static void test_an_organization_keeps_an_owner(void **state)
{
    (void)state;
    cJSON *s = signup("keeper@example.test", "Keeper Clinic");
    vx_jwt_claims owner = verify_session(s);
    vt_expect_error(as_user(ROLE, owner.org_id, "owner", owner.sub, "{\"role\":\"staff\"}"), 409, "last_owner");
    vt_expect_error(as_user(REMOVE, owner.org_id, "owner", owner.sub, NULL), 409, "last_owner");

    char *token = invite(owner.org_id, "second@example.test", "staff");
    vt_answer a = accept(token);
    vt_expect_status(&a, 201);
    vx_jwt_claims second = verify_session(a.json);
    char *second_refresh = strdup(str_of(a.json, "refresh_token"));
    vt_answer_free(&a);

    /* Promoted, the member's next refresh carries the new role. */
    vt_answer r = as_user(ROLE, owner.org_id, "owner", second.sub, "{\"role\":\"owner\"}");
    vt_expect_status(&r, 200);
    assert_string_equal(str_of(r.json, "role"), "owner");
    vt_answer_free(&r);
    a = refresh(second_refresh);
    vt_expect_status(&a, 200);
    vx_jwt_claims promoted = verify_session(a.json);
    assert_string_equal(promoted.role, "owner");
    free(second_refresh);
    second_refresh = strdup(str_of(a.json, "refresh_token"));
    vt_answer_free(&a);

    /* With two owners, one may step down; then the other is the last. */
    r = as_user(ROLE, owner.org_id, "owner", owner.sub, "{\"role\":\"staff\"}");
    vt_expect_status(&r, 200);
    vt_answer_free(&r);
    vt_expect_error(as_user(REMOVE, owner.org_id, "owner", second.sub, NULL), 409, "last_owner");

    /* A removed member's sessions end. */
    r = as_user(ROLE, owner.org_id, "owner", owner.sub, "{\"role\":\"owner\"}");
    vt_expect_status(&r, 200);
    vt_answer_free(&r);
    r = as_user(REMOVE, owner.org_id, "owner", second.sub, NULL);
    vt_expect_status(&r, 200);
    vt_answer_free(&r);
    vt_expect_error(refresh(second_refresh), 401, "invalid_refresh_token");
    vt_expect_error(login("second@example.test", "a staff password"), 401, "invalid_credentials");
    vt_expect_error(as_user(REMOVE, owner.org_id, "owner", second.sub, NULL), 404, "not_found");
    char *actions = audit_actions(owner.org_id);
    assert_non_null(strstr(actions, "team.member_removed"));
    assert_non_null(strstr(actions, "team.role_changed"));
    free(actions);
    free(second_refresh);
    free(token);
    cJSON_Delete(s);
}

static void test_another_orgs_team_is_out_of_reach(void **state)
{
    (void)state;
    cJSON *sa = signup("a-owner@example.test", "Team A");
    cJSON *sb = signup("b-owner@example.test", "Team B");
    vx_jwt_claims a = verify_session(sa), b = verify_session(sb);
    char *token = invite(a.org_id, "a-staff@example.test", "staff");
    const char *p[1] = {a.org_id};
    char *invitation = vt_sql_value(admin, "SELECT id FROM invitations WHERE org_id = $1", 1, p);
    char *before = vt_sql_value(admin,
                                "SELECT md5(string_agg(u::text, '' ORDER BY u.id)) || md5(coalesce((SELECT string_agg(i::text, '')"
                                " FROM invitations i WHERE i.org_id = $1), '')) FROM users u WHERE u.org_id = $1",
                                1, p);

    vt_expect_error(as_user(ROLE, b.org_id, "owner", a.sub, "{\"role\":\"staff\"}"), 404, "not_found");
    vt_expect_error(as_user(REMOVE, b.org_id, "owner", a.sub, NULL), 404, "not_found");
    vt_expect_error(as_user(UNINVITE, b.org_id, "owner", invitation, NULL), 404, "not_found");
    vt_answer team = as_user(TEAM, b.org_id, "owner", NULL, NULL);
    vt_expect_status(&team, 200);
    assert_null(strstr(team.body, a.sub));
    assert_null(strstr(team.body, "a-owner"));
    assert_null(strstr(team.body, "a-staff"));
    vt_answer_free(&team);
    /* Inviting A's owner into B is possible, but accepting cannot move them. */
    char *poach = invite(b.org_id, "a-owner@example.test", "owner");
    vt_expect_error(accept(poach), 409, "email_taken");

    char *after = vt_sql_value(admin,
                               "SELECT md5(string_agg(u::text, '' ORDER BY u.id)) || md5(coalesce((SELECT string_agg(i::text, '')"
                               " FROM invitations i WHERE i.org_id = $1), '')) FROM users u WHERE u.org_id = $1",
                               1, p);
    assert_string_equal(before, after);
    free(before);
    free(after);
    free(poach);
    free(invitation);
    free(token);
    cJSON_Delete(sa);
    cJSON_Delete(sb);
}

static void test_bad_input_changes_nothing(void **state)
{
    (void)state;
    cJSON *s = signup("careful@example.test", "Careful Clinic");
    vx_jwt_claims owner = verify_session(s);
    long users = count("SELECT count(*) FROM users", NULL), orgs = count("SELECT count(*) FROM organizations", NULL);
    static const struct {
        const char *subject, *body, *code;
    } CASES[] = {
        {SIGNUP, "", "invalid_json"},
        {SIGNUP, "[]", "invalid_json"},
        {SIGNUP, "{\"email\":\"x@example.test\",\"password\":\"long enough pw\",\"organization_name\":\"X\"} trailing",
         "invalid_json"},
        {SIGNUP, "{\"email\":\"x@example.test\",\"password\":\"long enough pw\"}", "missing_field"},
        {SIGNUP, "{\"email\":\"x@example.test\",\"pasword\":\"long enough pw\",\"organization_name\":\"X\"}", "unknown_field"},
        {SIGNUP, "{\"email\":\"x@example.test\",\"password\":\"short\",\"organization_name\":\"X\"}", "weak_password"},
        {SIGNUP, "{\"email\":\"x@example.test\",\"password\":\"x@example.test\",\"organization_name\":\"X\"}", "weak_password"},
        {SIGNUP, "{\"email\":\"not-an-email\",\"password\":\"long enough pw\",\"organization_name\":\"X\"}", "invalid_field"},
        {SIGNUP, "{\"email\":\"x y@example.test\",\"password\":\"long enough pw\",\"organization_name\":\"X\"}", "invalid_field"},
        {SIGNUP, "{\"email\":42,\"password\":\"long enough pw\",\"organization_name\":\"X\"}", "invalid_field"},
        {SIGNUP, "{\"email\":\"x@example.test\",\"password\":\"long enough pw\",\"organization_name\":\"  \"}", "invalid_field"},
        {SIGNUP,
         "{\"email\":\"x@example.test\",\"password\":\"long enough pw\",\"organization_name\":\"X\",\"timezone\":\"Mars/Base\"}",
         "invalid_field"},
        {SIGNUP,
         "{\"email\":\"x@example.test\",\"password\":\"long enough pw\",\"organization_name\":\"X\",\"timezone\":\"'; --\"}",
         "invalid_field"},
        {SIGNUP, "{\"email\":\"x@example.test\",\"password\":\"long\\u0000enough pw\",\"organization_name\":\"X\"}",
         "invalid_json"},
        {LOGIN, "{\"email\":\"x@example.test\"}", "missing_field"},
        {LOGIN, "{\"email\":\"x@example.test\",\"password\":\"\"}", "invalid_field"},
        {LOGIN, "{\"email\":\"x@example.test\",\"password\":\"p\",\"remember\":true}", "unknown_field"},
        {REFRESH, "{}", "missing_field"},
        {REFRESH, "{\"refresh_token\":null}", "missing_field"},
        {LOGOUT, "{\"refresh_token\":[]}", "invalid_field"},
        {ACCEPT, "{\"token\":\"abc\",\"password\":\"short\"}", "weak_password"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        vt_answer a = post(CASES[i].subject, CASES[i].body);
        if (a.status != 400 || a.json == NULL || strcmp(str_of(a.json, "code"), CASES[i].code) != 0)
            fail_msg("case %zu (%s): expected 400 %s, got %u %s", i, CASES[i].body, CASES[i].code, a.status, a.body);
        vt_answer_free(&a);
    }
    /* An oversized password and organization name. */
    char big[1400];
    memset(big, 'p', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char body[1600];
    snprintf(body, sizeof body, "{\"email\":\"x@example.test\",\"password\":\"%s\",\"organization_name\":\"X\"}", big);
    vt_expect_error(post(SIGNUP, body), 400, "weak_password");
    snprintf(body, sizeof body, "{\"email\":\"x@example.test\",\"password\":\"%s\"}", big);
    vt_expect_error(post(LOGIN, body), 400, "invalid_field");
    big[300] = '\0';
    snprintf(body, sizeof body, "{\"email\":\"x@example.test\",\"password\":\"long enough pw\",\"organization_name\":\"%s\"}", big);
    vt_expect_error(post(SIGNUP, body), 400, "invalid_field");

    /* The team routes. */
    vt_expect_error(as_user(INVITE, owner.org_id, "owner", NULL, "{\"email\":\"x@example.test\",\"role\":\"admin\"}"), 400,
                    "invalid_field");
    vt_expect_error(as_user(INVITE, owner.org_id, "owner", NULL, "{\"role\":\"staff\"}"), 400, "missing_field");
    vt_expect_error(as_user(ROLE, owner.org_id, "owner", owner.sub, "{\"role\":\"root\"}"), 400, "invalid_field");
    vt_expect_error(as_user(ROLE, owner.org_id, "owner", owner.sub, "{}"), 400, "missing_field");
    vt_expect_error(as_user(ROLE, owner.org_id, "owner", "not-a-uuid", "{\"role\":\"staff\"}"), 400, "invalid_id");
    vt_expect_error(as_user(REMOVE, owner.org_id, "owner", "not-a-uuid", NULL), 400, "invalid_id");

    assert_int_equal(count("SELECT count(*) FROM users", NULL), users);
    assert_int_equal(count("SELECT count(*) FROM organizations", NULL), orgs);
    assert_int_equal(count("SELECT count(*) FROM invitations WHERE org_id = $1", owner.org_id), 0);
    cJSON_Delete(s);
}

/* Sign-up names its time zone; a suspended organization's users are refused after their password. */
static void test_timezone_and_suspension(void **state)
{
    (void)state;
    vt_answer a = post(SIGNUP, "{\"email\":\"tz@example.test\",\"password\":\"" PASSWORD "\","
                               "\"organization_name\":\"London Clinic\",\"timezone\":\"Europe/London\"}");
    vt_expect_status(&a, 201);
    vx_jwt_claims c = verify_session(a.json);
    char *refresh_token = strdup(str_of(a.json, "refresh_token"));
    vt_answer_free(&a);
    const char *p[1] = {c.org_id};
    char *tz = vt_sql_value(admin, "SELECT timezone FROM org_settings WHERE org_id = $1", 1, p);
    assert_string_equal(tz, "Europe/London");
    free(tz);

    vt_sql_exec(admin, "UPDATE organizations SET status = 'suspended' WHERE id = $1", 1, p);
    vt_expect_error(login("tz@example.test", "wrong password here"), 401, "invalid_credentials");
    vt_expect_error(login("tz@example.test", PASSWORD), 403, "org_suspended");
    vt_expect_error(refresh(refresh_token), 401, "invalid_refresh_token");
    vt_sql_exec(admin, "UPDATE organizations SET status = 'active' WHERE id = $1", 1, p);
    free(refresh_token);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signup_makes_one_org_with_its_defaults),
        cmocka_unit_test(test_second_signup_with_an_email_is_refused_without_saying_why),
        cmocka_unit_test(test_login_answers_unknown_and_wrong_alike),
        cmocka_unit_test(test_failures_are_throttled_per_email),
        cmocka_unit_test(test_refresh_rotates_and_a_reused_token_revokes_its_family),
        cmocka_unit_test(test_logout_revokes_the_session),
        cmocka_unit_test(test_invitations_make_members),
        cmocka_unit_test(test_an_organization_keeps_an_owner),
        cmocka_unit_test(test_another_orgs_team_is_out_of_reach),
        cmocka_unit_test(test_bad_input_changes_nothing),
        cmocka_unit_test(test_timezone_and_suspension),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    nats_Close();
    return rc;
}
