/*
 * libFuzzer harness for dashboard-api's sign-in bodies
 * (services/dashboard-api/auth_fields.c): arbitrary bytes as the body of
 * every kind. Nothing crashes or leaks, and what is accepted holds what the
 * handlers and the users table rely on: a lower-case printable email with
 * one "@", a password of the allowed length without NUL, a token of
 * base64url, a role of the two.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth_fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size, auth_body_kind kind)
{
    auth_body b;
    auth_fields_error err;
    if (auth_fields_parse(data, size, kind, &b, &err) != 0) {
        if (err.code == NULL || err.message[0] == '\0')
            abort();
        auth_body_free(&b);
        return;
    }
    if (b.email != NULL) {
        size_t n = strlen(b.email);
        if (n < 3 || n > 254 || strchr(b.email, '@') == NULL || strchr(b.email, '@') != strrchr(b.email, '@'))
            abort();
        for (size_t i = 0; i < n; i++)
            if (b.email[i] <= 0x20 || b.email[i] >= 0x7f || (b.email[i] >= 'A' && b.email[i] <= 'Z'))
                abort();
    }
    if (b.password != NULL && (b.password_len == 0 || strlen(b.password) != b.password_len))
        abort();
    if ((kind == AUTH_BODY_SIGNUP || kind == AUTH_BODY_ACCEPT_INVITE) &&
        (b.password_len < AUTH_FIELDS_PASSWORD_MIN || b.password_len > AUTH_FIELDS_PASSWORD_MAX))
        abort();
    if (b.token != NULL && strspn(b.token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(b.token))
        abort();
    if ((kind == AUTH_BODY_INVITE || kind == AUTH_BODY_ROLE) && strcmp(b.role, "staff") != 0 && strcmp(b.role, "owner") != 0)
        abort();
    if (kind == AUTH_BODY_SIGNUP && (b.organization_name == NULL || b.organization_name[0] == '\0'))
        abort();
    auth_body_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int kind = AUTH_BODY_SIGNUP; kind <= AUTH_BODY_ROLE; kind++)
        check(data, size, (auth_body_kind)kind);
    return 0;
}
