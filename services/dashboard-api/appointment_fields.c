/*
 * appointment_fields: the appointments routes' bodies (see
 * appointment_fields.h).
 *
 * Strict on purpose, as contact_fields.c: what passes here is bound to SQL
 * parameters and decides when a patient is expected, so a value cJSON would
 * read loosely (30.5 minutes, "30", a time without its offset) is an error
 * the desk sees, never a guess.
 */
#include "appointment_fields.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vx_json.h"
#include "vx_time.h"
#include "vx_utf8.h"
#include "vx_validate.h"

static const struct {
    const char *name;
    appointment_field bit;
} FIELDS[] = {
    {"contact_id", APPOINTMENT_FIELD_CONTACT_ID},
    {"service_id", APPOINTMENT_FIELD_SERVICE_ID},
    {"scheduled_time", APPOINTMENT_FIELD_SCHEDULED_TIME},
    {"duration_minutes", APPOINTMENT_FIELD_DURATION},
    {"notes", APPOINTMENT_FIELD_NOTES},
    {"status", APPOINTMENT_FIELD_STATUS},
};
#define NFIELDS (sizeof(FIELDS) / sizeof(FIELDS[0]))

/* What each mode takes, and what it requires. */
static const unsigned ACCEPTED[] = {
    [APPOINTMENT_FIELDS_CREATE] = APPOINTMENT_FIELD_CONTACT_ID | APPOINTMENT_FIELD_SERVICE_ID | APPOINTMENT_FIELD_SCHEDULED_TIME |
                                  APPOINTMENT_FIELD_DURATION | APPOINTMENT_FIELD_NOTES,
    [APPOINTMENT_FIELDS_UPDATE] = APPOINTMENT_FIELD_SERVICE_ID | APPOINTMENT_FIELD_NOTES | APPOINTMENT_FIELD_STATUS,
    [APPOINTMENT_FIELDS_RESCHEDULE] = APPOINTMENT_FIELD_SCHEDULED_TIME | APPOINTMENT_FIELD_DURATION,
    [APPOINTMENT_FIELDS_CANCEL] = 0,
};

static const char *const STATUSES[] = {"booked", "cancelled", "completed", "no_show"};

bool appointment_fields_status_valid(const char *s)
{
    for (size_t i = 0; s != NULL && i < sizeof(STATUSES) / sizeof(STATUSES[0]); i++)
        if (strcmp(s, STATUSES[i]) == 0)
            return true;
    return false;
}

void appointment_fields_free(appointment_fields *f)
{
    free(f->notes);
    memset(f, 0, sizeof(*f));
}

static int fail(appointment_fields_error *err, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(appointment_fields_error *err, const char *code, const char *fmt, ...)
{
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

/* The key as the answer may show it: printable ASCII, at most 64 bytes. */
static void printable_key(const char *key, char out[68])
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p != '\0' && o < 64; p++)
        out[o++] = *p >= 0x20 && *p < 0x7f ? (char)*p : '?';
    if (o == 64 && key[o] != '\0') {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* Reads a UUID string (either case) into out, lower-cased. */
static int read_uuid(const cJSON *item, const char *name, char out[37], appointment_fields_error *err)
{
    if (!cJSON_IsString(item) || item->valuestring == NULL)
        return fail(err, "invalid_field", "%s must be a string: an id (UUID).", name);
    const char *s = item->valuestring;
    if (!vx_is_uuid(s, strlen(s)))
        return fail(err, "invalid_field", "%s must be an id (UUID).", name);
    for (int i = 0; i < 36; i++)
        out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
    out[36] = '\0';
    return 0;
}

/* The first instant a start may not reach: 9999-01-01T00:00:00Z, so an end
 * (at most 8 hours later) still has a four-digit year. */
static int64_t latest_start_ms(void)
{
    return vx_days_from_civil(9999, 1, 1) * 86400000LL;
}

static int read_time(const cJSON *item, appointment_fields *f, appointment_fields_error *err)
{
    if (!cJSON_IsString(item) || item->valuestring == NULL)
        return fail(err, "invalid_field", "%s", "scheduled_time must be a string: an RFC 3339 time with its offset.");
    int64_t ms;
    if (!vx_time_parse_iso(item->valuestring, &ms))
        return fail(err, "invalid_field", "%s",
                    "scheduled_time must be an RFC 3339 time with its offset, e.g. 2027-03-10T14:30:00Z or "
                    "2027-03-10T09:30:00-05:00.");
    if (ms % 60000 != 0)
        return fail(err, "invalid_field", "%s", "scheduled_time must be on a whole minute (no seconds).");
    if (ms < 0 || ms >= latest_start_ms())
        return fail(err, "invalid_field", "%s", "scheduled_time must be between the years 1970 and 9998.");
    f->start_ms = ms;
    return 0;
}

static int read_duration(const cJSON *item, appointment_fields *f, appointment_fields_error *err)
{
    double v = cJSON_IsNumber(item) ? item->valuedouble : NAN;
    if (!(v >= APPOINTMENT_FIELDS_DURATION_MIN && v <= APPOINTMENT_FIELDS_DURATION_MAX) || v != floor(v))
        return fail(err, "invalid_field", "duration_minutes must be a whole number of minutes from %d to %d.",
                    APPOINTMENT_FIELDS_DURATION_MIN, APPOINTMENT_FIELDS_DURATION_MAX);
    f->duration_minutes = (int)v;
    return 0;
}

/* Notes: trimmed; at most APPOINTMENT_FIELDS_NOTES_MAX code points of UTF-8
 * with no control character but tab and new lines; blank is null. */
static int read_notes(const cJSON *item, appointment_fields *f, appointment_fields_error *err)
{
    if (cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsString(item) || item->valuestring == NULL)
        return fail(err, "invalid_field", "%s", "notes must be a string or null.");
    const char *s;
    size_t n;
    vx_trim(item->valuestring, strlen(item->valuestring), &s, &n);
    const unsigned char *p = (const unsigned char *)s;
    long chars = 0;
    for (size_t i = 0; i < n; chars++) {
        if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') || p[i] == 0x7f)
            return fail(err, "invalid_field", "%s", "notes hold characters that are not allowed (control characters).");
        size_t k = vx_utf8_seq_len(p + i, n - i);
        if (k == 0)
            return fail(err, "invalid_field", "%s", "notes are not valid UTF-8.");
        i += k;
    }
    if (chars > APPOINTMENT_FIELDS_NOTES_MAX)
        return fail(err, "invalid_field", "notes are too long: at most %d characters.", APPOINTMENT_FIELDS_NOTES_MAX);
    if (n > 0 && (f->notes = strndup(s, n)) == NULL)
        abort();
    return 0;
}

static int read_status(const cJSON *item, appointment_fields *f, appointment_fields_error *err)
{
    const char *s = cJSON_IsString(item) ? item->valuestring : NULL;
    if (s != NULL && strcmp(s, "cancelled") == 0)
        return fail(err, "invalid_field", "%s",
                    "status cannot be set to cancelled here: cancel with POST /api/appointments/{id}/cancel, which frees "
                    "the time.");
    if (s == NULL || (strcmp(s, "booked") != 0 && strcmp(s, "completed") != 0 && strcmp(s, "no_show") != 0))
        return fail(err, "invalid_field", "%s", "status must be one of booked, completed, no_show.");
    snprintf(f->status, sizeof(f->status), "%s", s);
    return 0;
}

static int read_item(const cJSON *item, appointment_fields_mode mode, appointment_fields *f, appointment_fields_error *err)
{
    size_t i = 0;
    while (i < NFIELDS && strcmp(item->string, FIELDS[i].name) != 0)
        i++;
    if (i == NFIELDS || (ACCEPTED[mode] & FIELDS[i].bit) == 0) {
        char key[68];
        printable_key(item->string, key);
        return fail(err, "unknown_field", i == NFIELDS ? "Unknown field \"%s\"." : "This route does not take \"%s\".", key);
    }
    const char *name = FIELDS[i].name;
    if (f->given & FIELDS[i].bit)
        return fail(err, "duplicate_field", "%s is given twice.", name);
    f->given |= FIELDS[i].bit;
    switch (FIELDS[i].bit) {
    case APPOINTMENT_FIELD_CONTACT_ID:
        return read_uuid(item, name, f->contact_id, err);
    case APPOINTMENT_FIELD_SERVICE_ID:
        if (cJSON_IsNull(item)) {
            if (mode == APPOINTMENT_FIELDS_UPDATE)
                return fail(err, "invalid_field", "%s",
                            "service_id cannot be removed: an appointment keeps its service; give another one.");
            return 0;
        }
        return read_uuid(item, name, f->service_id, err);
    case APPOINTMENT_FIELD_SCHEDULED_TIME:
        return read_time(item, f, err);
    case APPOINTMENT_FIELD_DURATION:
        return read_duration(item, f, err);
    case APPOINTMENT_FIELD_NOTES:
        return read_notes(item, f, err);
    case APPOINTMENT_FIELD_STATUS:
        return read_status(item, f, err);
    }
    return fail(err, "unknown_field", "%s", "Unknown field.");
}

int appointment_fields_parse(const void *body, size_t len, appointment_fields_mode mode, appointment_fields *out,
                             appointment_fields_error *err)
{
    memset(out, 0, sizeof(*out));
    const char *text = body;
    if (len == 0 || text == NULL) {
        if (mode == APPOINTMENT_FIELDS_CANCEL)
            return 0;
        return fail(err, "invalid_json", "%s", "The body must be a JSON object.");
    }
    /* No NUL, raw or escaped: cJSON would cut a string or a key short there. */
    cJSON *root = vx_json_object_strict(text, len);
    if (root == NULL)
        return fail(err, "invalid_json", "%s", "The body must be one JSON object, without NUL characters.");
    int rc = 0;
    for (const cJSON *item = root->child; item != NULL && rc == 0; item = item->next)
        rc = read_item(item, mode, out, err);
    cJSON_Delete(root);
    if (rc != 0)
        return -1;
    switch (mode) {
    case APPOINTMENT_FIELDS_CREATE:
        if (!(out->given & APPOINTMENT_FIELD_CONTACT_ID))
            return fail(err, "missing_field", "%s", "contact_id is required: the id of the contact the appointment is for.");
        /* fall through */
    case APPOINTMENT_FIELDS_RESCHEDULE:
        if (!(out->given & APPOINTMENT_FIELD_SCHEDULED_TIME))
            return fail(err, "missing_field", "%s",
                        "scheduled_time is required: the start, an RFC 3339 time with its offset, e.g. 2027-03-10T14:30:00Z.");
        return 0;
    case APPOINTMENT_FIELDS_UPDATE:
        if (out->given == 0)
            return fail(err, "empty_update", "%s", "Give at least one of notes, service_id, status to change.");
        return 0;
    case APPOINTMENT_FIELDS_CANCEL:
        return 0;
    }
    return 0;
}

void appointment_fields_names_json(const appointment_fields *f, char out[128])
{
    size_t o = (size_t)snprintf(out, 128, "{\"fields\":[");
    bool first = true;
    for (size_t i = 0; i < NFIELDS; i++) {
        if (!(f->given & FIELDS[i].bit))
            continue;
        o += (size_t)snprintf(out + o, 128 - o, "%s\"%s\"", first ? "" : ",", FIELDS[i].name);
        first = false;
    }
    snprintf(out + o, 128 - o, "]}");
}
