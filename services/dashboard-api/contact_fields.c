/*
 * contact_fields: a contact body's fields and the search patterns (see
 * contact_fields.h).
 *
 * Strict on purpose: what passes here goes into SQL parameters and back to
 * every dashboard user of the org, and a field the owner mistyped ("fist_name")
 * or a value cJSON would quietly cut short must be an error they see, not a
 * contact saved without it.
 */
#include "contact_fields.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vx_json.h"
#include "vx_validate.h"

static const char *const NAMES[CONTACT_FIELD_COUNT] = {
    [CONTACT_FIELD_FIRST_NAME] = "first_name", [CONTACT_FIELD_LAST_NAME] = "last_name", [CONTACT_FIELD_PHONE] = "phone",
    [CONTACT_FIELD_EMAIL] = "email",           [CONTACT_FIELD_NOTES] = "notes",         [CONTACT_FIELD_LEAD_STATUS] = "lead_status",
};

static const char *const LEAD_STATUSES[] = {"new", "contacted", "qualified", "booked", "lost"};
static const char *const LEAD_TIERS[] = {"hot", "warm", "cold"};

/* The answers call it phone_number (the earlier dashboard's name), so a
 * dashboard that sends back what it read must be understood. */
#define PHONE_ALIAS "phone_number"

#define PHONE_SEPARATORS " -.()"

const char *contact_fields_name(contact_field f)
{
    return f >= 0 && f < CONTACT_FIELD_COUNT ? NAMES[f] : "";
}

static bool one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

bool contact_fields_lead_status_valid(const char *s)
{
    return one_of(s, LEAD_STATUSES, sizeof(LEAD_STATUSES) / sizeof(LEAD_STATUSES[0]));
}

bool contact_fields_lead_tier_valid(const char *s)
{
    return one_of(s, LEAD_TIERS, sizeof(LEAD_TIERS) / sizeof(LEAD_TIERS[0]));
}

void contact_fields_free(contact_fields *f)
{
    for (int i = 0; i < CONTACT_FIELD_COUNT; i++)
        free(f->value[i]);
    memset(f, 0, sizeof(*f));
}

static int fail(contact_fields_error *err, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(contact_fields_error *err, const char *code, const char *fmt, ...)
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

/* "+1 (555) 123-4567" → "+15551234567"; NULL when it is no E.164 number. */
static char *normalize_phone(const char *s, size_t n)
{
    char out[32];
    size_t o = 0;
    if (n == 0 || s[0] != '+')
        return NULL;
    out[o++] = '+';
    for (size_t i = 1; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (o + 1 >= sizeof(out))
                return NULL;
            out[o++] = s[i];
        } else if (strchr(PHONE_SEPARATORS, s[i]) == NULL || s[i] == '\0') {
            return NULL;
        }
    }
    out[o] = '\0';
    return vx_is_e164(out) ? dup_n(out, o) : NULL;
}

/* Reads one present, non-null string field into f->value[field] (NULL when blank). */
static int read_value(contact_field field, const char *raw, contact_fields *f, contact_fields_error *err)
{
    const char *name = NAMES[field];
    const char *s;
    size_t n;
    vx_trim(raw, strlen(raw), &s, &n);
    long max = field == CONTACT_FIELD_EMAIL   ? CONTACT_FIELDS_EMAIL_MAX
               : field == CONTACT_FIELD_NOTES ? CONTACT_FIELDS_NOTES_MAX
                                              : CONTACT_FIELDS_NAME_MAX;
    long chars = vx_text_chars(s, n, field == CONTACT_FIELD_NOTES ? "\t\n\r" : "");
    if (chars < 0)
        return fail(err, "invalid_field", "%s holds characters that are not allowed (control characters or invalid UTF-8).", name);
    if (chars > max)
        return fail(err, "invalid_field", "%s is too long: at most %ld characters.", name, max);
    if (n == 0)
        return 0; /* a form's empty input: null */
    switch (field) {
    case CONTACT_FIELD_PHONE:
        if ((f->value[field] = normalize_phone(s, n)) == NULL)
            return fail(err, "invalid_field",
                        "%s must be an E.164 number: \"+\", the country code and the number, e.g. +15551234567.", name);
        return 0;
    case CONTACT_FIELD_EMAIL:
        if (!vx_email_plausible(s, n))
            return fail(err, "invalid_field", "%s is not a valid email address.", name);
        break;
    case CONTACT_FIELD_LEAD_STATUS:
        f->value[field] = dup_n(s, n);
        if (!contact_fields_lead_status_valid(f->value[field]))
            return fail(err, "invalid_field", "%s must be one of new, contacted, qualified, booked, lost.", name);
        return 0;
    default:
        break;
    }
    f->value[field] = dup_n(s, n);
    return 0;
}

/* The field a key names, or -1. */
static int field_of(const char *key)
{
    if (strcmp(key, PHONE_ALIAS) == 0)
        return CONTACT_FIELD_PHONE;
    for (int i = 0; i < CONTACT_FIELD_COUNT; i++)
        if (strcmp(key, NAMES[i]) == 0)
            return i;
    return -1;
}

/* The key as the answer may show it: printable ASCII, at most 64 bytes. */
static void printable_key(const char *key, char out[68])
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p != '\0' && o < 64; p++)
        out[o++] = *p >= 0x20 && *p < 0x7f ? (char)*p : '?';
    if (key[o] != '\0' && o == 64) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static int read_item(const cJSON *item, contact_fields_mode mode, contact_fields *f, contact_fields_error *err)
{
    int field = field_of(item->string);
    if (field < 0) {
        char key[68];
        printable_key(item->string, key);
        return fail(err, "unknown_field", "Unknown field \"%s\".", key);
    }
    if (f->given[field])
        return fail(err, "duplicate_field",
                    field == CONTACT_FIELD_PHONE ? "Give %s once (as phone or phone_number, not both)." : "%s is given twice.",
                    NAMES[field]);
    f->given[field] = true;
    if (cJSON_IsNull(item)) {
        if (mode == CONTACT_FIELDS_UPDATE && (field == CONTACT_FIELD_PHONE || field == CONTACT_FIELD_LEAD_STATUS))
            return fail(err, "invalid_field", "%s cannot be removed.", NAMES[field]);
        return 0;
    }
    if (!cJSON_IsString(item) || item->valuestring == NULL)
        return fail(err, "invalid_field", "%s must be a string or null.", NAMES[field]);
    if (read_value(field, item->valuestring, f, err) != 0)
        return -1;
    /* A blank phone or status is no value: the same as null. */
    if (mode == CONTACT_FIELDS_UPDATE && f->value[field] == NULL &&
        (field == CONTACT_FIELD_PHONE || field == CONTACT_FIELD_LEAD_STATUS))
        return fail(err, "invalid_field", "%s cannot be removed.", NAMES[field]);
    return 0;
}

int contact_fields_parse(const void *body, size_t len, contact_fields_mode mode, contact_fields *out, contact_fields_error *err)
{
    memset(out, 0, sizeof(*out));
    const char *text = body;
    if (len == 0 || text == NULL)
        return fail(err, "invalid_json", "%s", "The body must be a JSON object.");
    /* No NUL, raw or escaped: cJSON would cut "Ann\u0000x" to "Ann", or read a
     * key "phone\u0000x" as "phone". */
    cJSON *root = vx_json_object_strict(text, len);
    if (root == NULL)
        return fail(err, "invalid_json", "%s", "The body must be one JSON object, without NUL characters.");
    int rc = 0;
    bool any = false;
    for (const cJSON *item = root->child; item != NULL && rc == 0; item = item->next) {
        rc = read_item(item, mode, out, err);
        any = true;
    }
    cJSON_Delete(root);
    if (rc != 0)
        return -1;
    if (mode == CONTACT_FIELDS_CREATE && out->value[CONTACT_FIELD_PHONE] == NULL)
        return fail(err, "missing_field", "%s",
                    "phone is required: an E.164 number, \"+\", the country code and the number, e.g. +15551234567.");
    if (mode == CONTACT_FIELDS_UPDATE && !any)
        return fail(err, "empty_update", "%s",
                    "Give at least one of first_name, last_name, phone, email, notes, lead_status to change.");
    return 0;
}

void contact_fields_patch_json(const contact_fields *f, vx_buf *out)
{
    vx_buf_putc(out, '{');
    bool first = true;
    for (int i = 0; i < CONTACT_FIELD_COUNT; i++) {
        if (!f->given[i])
            continue;
        if (!first)
            vx_buf_putc(out, ',');
        first = false;
        vx_buf_json_string(out, NAMES[i], strlen(NAMES[i]));
        vx_buf_putc(out, ':');
        if (f->value[i] == NULL)
            vx_buf_puts(out, "null");
        else
            vx_buf_json_string(out, f->value[i], strlen(f->value[i]));
    }
    vx_buf_putc(out, '}');
}

/* True when s (n bytes, trimmed) reads as the start of a phone number; its
 * digits are appended to digits. */
static bool phone_digits(const char *s, size_t n, vx_buf *digits)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            vx_buf_putc(digits, s[i]);
            count++;
        } else if (!(s[i] == '+' && i == 0) && strchr(PHONE_SEPARATORS, s[i]) == NULL) {
            return false;
        }
    }
    return count >= 1 && count <= 15;
}

int contact_fields_search(const char *q, vx_buf *text, vx_buf *phone)
{
    vx_buf_reset(text);
    vx_buf_reset(phone);
    const char *s;
    size_t n;
    vx_trim(q != NULL ? q : "", q != NULL ? strlen(q) : 0, &s, &n);
    if (n > CONTACT_FIELDS_SEARCH_MAX || vx_text_chars(s, n, "\t") < 0)
        return -1;
    if (n == 0)
        return 0;
    vx_buf_putc(text, '%');
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t') {
            if (text->data[text->len - 1] != ' ')
                vx_buf_putc(text, ' ');
            continue;
        }
        if (c == '%' || c == '_' || c == '\\')
            vx_buf_putc(text, '\\');
        vx_buf_putc(text, c);
    }
    vx_buf_putc(text, '%');

    vx_buf digits = VX_BUF_INIT;
    if (phone_digits(s, n, &digits))
        vx_buf_printf(phone, "+%s%%", digits.data);
    vx_buf_free(&digits);
    return 0;
}
