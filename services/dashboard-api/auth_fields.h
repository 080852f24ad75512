/*
 * auth_fields: the bodies of the sign-in routes, read and checked before
 * anything else runs. Pure: no database, no logging; a refusal is the
 * caller's input, answered 400 with the code and message filled here.
 *
 *   signup         {"email", "password", "organization_name", "timezone"?}
 *   login          {"email", "password"}
 *   refresh        {"refresh_token"}
 *   logout         {"refresh_token"}
 *   accept_invite  {"token", "password"}
 *   invite         {"email", "role"?}           (role "staff" unless "owner")
 *   role           {"role"}                     (a member's new role)
 *
 * email     3..254 bytes of printable ASCII, one "@", a dotted domain;
 *           lower-cased (the users table keeps it so)
 * password  a new one (signup, accept_invite): 10..256 bytes of UTF-8 with no
 *           control character, and not the email itself; at login any
 *           1..1024 bytes are checked against the hash (an old policy's
 *           password still signs in)
 * organization_name  1..200 characters after trimming, no control characters
 * timezone  an IANA name's characters (A-Z a-z 0-9 / _ + -), <= 64 bytes;
 *           whether PostgreSQL knows it is checked by the caller
 * tokens    1..256 bytes of base64url
 * Unknown fields are refused: a typo ("pasword") must not look accepted.
 */
#ifndef DASHBOARD_AUTH_FIELDS_H
#define DASHBOARD_AUTH_FIELDS_H

#include <stddef.h>

typedef enum {
    AUTH_BODY_SIGNUP,
    AUTH_BODY_LOGIN,
    AUTH_BODY_REFRESH, /* also logout */
    AUTH_BODY_ACCEPT_INVITE,
    AUTH_BODY_INVITE,
    AUTH_BODY_ROLE,
} auth_body_kind;

#define AUTH_FIELDS_PASSWORD_MIN 10
#define AUTH_FIELDS_PASSWORD_MAX 256

typedef struct auth_body {
    char *email;    /* lower-cased */
    char *password; /* zeroed when freed */
    size_t password_len;
    char *organization_name; /* trimmed */
    char *timezone;          /* NULL: not given */
    char *token;             /* refresh_token, or the invitation's token */
    char *role;              /* invite: "staff" or "owner" */
} auth_body;

typedef struct auth_fields_error {
    const char *code; /* static: invalid_json, unknown_field, missing_field, invalid_field, weak_password */
    char message[160];
} auth_fields_error;

/* Reads body (len bytes) as kind into *out, which the caller frees with
 * auth_body_free whatever the outcome. Returns 0, or -1 with *err filled. */
int auth_fields_parse(const void *body, size_t len, auth_body_kind kind, auth_body *out, auth_fields_error *err);
void auth_body_free(auth_body *b);

#endif
