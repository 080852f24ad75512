/*
 * auth_fields: see auth_fields.h.
 */
#include "auth_fields.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>

#include "vx_json.h"
#include "vx_validate.h"

#define EMAIL_MAX        254
#define LOGIN_SECRET_MAX 1024
#define ORG_NAME_MAX     200
#define TIMEZONE_MAX     64
#define TOKEN_MAX        256

/* Which fields each kind takes; every one listed is required unless optional. */
typedef struct field_rule {
    const char *name;
    bool optional;
} field_rule;

static const field_rule SIGNUP[] = {{"email", false}, {"password", false}, {"organization_name", false}, {"timezone", true}};
static const field_rule LOGIN[] = {{"email", false}, {"password", false}};
static const field_rule REFRESH[] = {{"refresh_token", false}};
static const field_rule ACCEPT[] = {{"token", false}, {"password", false}};
static const field_rule INVITE[] = {{"email", false}, {"role", true}};
static const field_rule ROLE[] = {{"role", false}};

static int fail(auth_fields_error *err, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(auth_fields_error *err, const char *code, const char *fmt, ...)
{
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = strndup(s, n);
    if (d == NULL)
        abort();
    return d;
}

static int read_email(const char *s, auth_body *out, auth_fields_error *err)
{
    size_t n = strlen(s);
    if (n < 3 || n > EMAIL_MAX)
        return fail(err, "invalid_field", "email must be 3 to %d characters.", EMAIL_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return fail(err, "invalid_field", "email must be an address of printable ASCII without spaces.");
    if (!vx_email_plausible(s, n))
        return fail(err, "invalid_field", "email is not a valid email address.");
    out->email = dup_n(s, n);
    for (char *p = out->email; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return 0;
}

static int read_password(const char *s, bool is_new, auth_body *out, auth_fields_error *err)
{
    size_t n = strlen(s);
    if (!is_new) {
        if (n == 0 || n > LOGIN_SECRET_MAX)
            return fail(err, "invalid_field", "password must be 1 to %d bytes.", LOGIN_SECRET_MAX);
    } else {
        if (n < AUTH_FIELDS_PASSWORD_MIN || n > AUTH_FIELDS_PASSWORD_MAX)
            return fail(err, "weak_password", "password must be %d to %d bytes long.", AUTH_FIELDS_PASSWORD_MIN,
                        AUTH_FIELDS_PASSWORD_MAX);
        if (vx_text_chars(s, n, "") < 0)
            return fail(err, "invalid_field", "password must be UTF-8 text without control characters.");
    }
    out->password = dup_n(s, n);
    out->password_len = n;
    return 0;
}

static int read_org_name(const char *s, auth_body *out, auth_fields_error *err)
{
    size_t n = strlen(s);
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    long chars = vx_text_chars(s, n, "");
    if (chars < 1 || chars > ORG_NAME_MAX)
        return fail(err, "invalid_field", "organization_name must be 1 to %d characters of text.", ORG_NAME_MAX);
    out->organization_name = dup_n(s, n);
    return 0;
}

static int read_timezone(const char *s, auth_body *out, auth_fields_error *err)
{
    size_t n = strlen(s);
    bool ok = n >= 1 && n <= TIMEZONE_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char c = s[i];
        ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '+' ||
             c == '-';
    }
    if (!ok)
        return fail(err, "invalid_field", "timezone must be an IANA time zone name such as \"Europe/London\".");
    out->timezone = dup_n(s, n);
    return 0;
}

static int read_token(const char *name, const char *s, auth_body *out, auth_fields_error *err)
{
    size_t n = strlen(s);
    bool ok = n >= 1 && n <= TOKEN_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char c = s[i];
        ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }
    if (!ok)
        return fail(err, "invalid_field", "%s is not a token this service issued.", name);
    out->token = dup_n(s, n);
    return 0;
}

static int read_role(const char *s, auth_body *out, auth_fields_error *err)
{
    if (strcmp(s, "staff") != 0 && strcmp(s, "owner") != 0)
        return fail(err, "invalid_field", "role must be \"staff\" or \"owner\".");
    out->role = dup_n(s, strlen(s));
    return 0;
}

static int read_field(auth_body_kind kind, const char *name, const char *s, auth_body *out, auth_fields_error *err)
{
    if (strcmp(name, "email") == 0)
        return read_email(s, out, err);
    if (strcmp(name, "password") == 0)
        return read_password(s, kind != AUTH_BODY_LOGIN, out, err);
    if (strcmp(name, "organization_name") == 0)
        return read_org_name(s, out, err);
    if (strcmp(name, "timezone") == 0)
        return read_timezone(s, out, err);
    if (strcmp(name, "role") == 0)
        return read_role(s, out, err);
    return read_token(name, s, out, err);
}

int auth_fields_parse(const void *body, size_t len, auth_body_kind kind, auth_body *out, auth_fields_error *err)
{
    memset(out, 0, sizeof(*out));
    const field_rule *rules;
    size_t nrules;
    switch (kind) {
    case AUTH_BODY_SIGNUP:
        rules = SIGNUP, nrules = sizeof SIGNUP / sizeof SIGNUP[0];
        break;
    case AUTH_BODY_LOGIN:
        rules = LOGIN, nrules = sizeof LOGIN / sizeof LOGIN[0];
        break;
    case AUTH_BODY_REFRESH:
        rules = REFRESH, nrules = sizeof REFRESH / sizeof REFRESH[0];
        break;
    case AUTH_BODY_ACCEPT_INVITE:
        rules = ACCEPT, nrules = sizeof ACCEPT / sizeof ACCEPT[0];
        break;
    case AUTH_BODY_INVITE:
        rules = INVITE, nrules = sizeof INVITE / sizeof INVITE[0];
        break;
    default:
        rules = ROLE, nrules = sizeof ROLE / sizeof ROLE[0];
        break;
    }
    cJSON *root = vx_json_object_strict(body, len);
    if (root == NULL)
        return fail(err, "invalid_json", "The body must be one JSON object.");
    int rc = 0;
    /* Unknown and repeated names first: they say the client is not talking to this route. */
    for (const cJSON *item = root->child; item != NULL && rc == 0; item = item->next) {
        bool known = false;
        for (size_t i = 0; i < nrules; i++)
            known = known || strcmp(item->string, rules[i].name) == 0;
        if (!known)
            rc = fail(err, "unknown_field", "Unknown field \"%.60s\".", item->string);
        for (const cJSON *other = root->child; rc == 0 && known && other != item; other = other->next)
            if (strcmp(other->string, item->string) == 0)
                rc = fail(err, "invalid_json", "Field \"%s\" is given twice.", item->string);
    }
    for (size_t i = 0; i < nrules && rc == 0; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, rules[i].name);
        if (v == NULL || cJSON_IsNull(v)) {
            if (!rules[i].optional)
                rc = fail(err, "missing_field", "Field \"%s\" is required.", rules[i].name);
        } else if (!cJSON_IsString(v)) {
            rc = fail(err, "invalid_field", "Field \"%s\" must be a string.", rules[i].name);
        } else {
            rc = read_field(kind, rules[i].name, v->valuestring, out, err);
        }
    }
    if (rc == 0 && (kind == AUTH_BODY_SIGNUP) && strcasecmp(out->password, out->email) == 0)
        rc = fail(err, "weak_password", "The password must not be the email address.");
    if (rc == 0 && kind == AUTH_BODY_INVITE && out->role == NULL)
        out->role = dup_n("staff", 5);
    cJSON_Delete(root);
    return rc;
}

void auth_body_free(auth_body *b)
{
    if (b->password != NULL) {
        explicit_bzero(b->password, b->password_len);
        free(b->password);
    }
    free(b->email);
    free(b->organization_name);
    free(b->timezone);
    free(b->token);
    free(b->role);
    memset(b, 0, sizeof(*b));
}
