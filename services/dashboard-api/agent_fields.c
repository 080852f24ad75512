/*
 * agent_fields: cJSON reads the body; every value is then checked here
 * against what its table accepts (migrations 0003, 0004 and 0017), so a bad
 * value is a 400 that names the field and what is wrong with it, not a
 * constraint error from PostgreSQL. What passes is rebuilt as a new cJSON
 * object of normalized values, so nothing of the body but what was checked
 * reaches the SQL.
 */
#include "agent_fields.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vx_json.h"
#include "vx_validate.h"

static const char *const VOICE_PROVIDERS[] = {AGENT_FIELDS_VOICE_PROVIDERS};
#define NPROVIDERS (sizeof(VOICE_PROVIDERS) / sizeof(VOICE_PROVIDERS[0]))

/* Weekday names by PostgreSQL's extract(dow): 0 = Sunday (business_hours.weekday). */
static const char *const DAYS[7] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};

static void refuse(agent_fields_error *err, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void refuse(agent_fields_error *err, const char *code, const char *fmt, ...)
{
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
}

static void add_string(cJSON *obj, const char *key, const char *value)
{
    if (cJSON_AddStringToObject(obj, key, value) == NULL)
        abort();
}

/* Adds text (malloc'd, taken) under key; false when text is NULL. */
static bool add_taken(cJSON *obj, const char *key, char *text)
{
    if (text == NULL)
        return false;
    add_string(obj, key, text);
    free(text);
    return true;
}

static void add_null(cJSON *obj, const char *key)
{
    if (cJSON_AddNullToObject(obj, key) == NULL)
        abort();
}

/* ------------------------------------------------------------ shapes */

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3261 unreserved: alphanum / mark. */
static bool is_unreserved(unsigned char c)
{
    return is_alnum(c) || (c != '\0' && strchr("-_.!~*'()", c) != NULL);
}

/* Length of the run at p of characters that are unreserved, in extra, or
 * escaped (%HH); 0 at a malformed escape too. */
static size_t run_of(const char *p, const char *extra)
{
    size_t n = 0;
    for (;;) {
        unsigned char c = (unsigned char)p[n];
        if (c == '%') {
            if (!is_hex((unsigned char)p[n + 1]) || !is_hex((unsigned char)p[n + 2]))
                return 0;
            n += 3;
        } else if (is_unreserved(c) || (c != '\0' && strchr(extra, c) != NULL)) {
            n++;
        } else {
            return n;
        }
    }
}

/* Length of the host at p (a DNS name, IPv4 or [IPv6]), 0 when there is none. */
static size_t host_len(const char *p)
{
    size_t n = 0;
    if (p[0] == '[') {
        n = 1;
        bool colon = false;
        while (is_hex((unsigned char)p[n]) || p[n] == ':' || p[n] == '.')
            colon |= p[n++] == ':';
        return p[n] == ']' && n > 2 && colon ? n + 1 : 0;
    }
    for (;;) { /* labels: alphanumerics and inner hyphens, dot-separated, an optional final dot */
        size_t label = n;
        while (is_alnum((unsigned char)p[n]) || p[n] == '-')
            n++;
        if (n == label || p[label] == '-' || p[n - 1] == '-' || n - label > 63)
            return 0;
        if (p[n] != '.' || !is_alnum((unsigned char)p[n + 1]))
            return p[n] == '.' ? n + 1 : n;
        n++;
    }
}

bool agent_fields_is_sip_uri(const char *s)
{
    size_t len = strlen(s);
    if (len > AGENT_FIELDS_SIP_URI_MAX)
        return false;
    const char *p = s;
    if (strncmp(p, "sips:", 5) == 0)
        p += 5;
    else if (strncmp(p, "sip:", 4) == 0)
        p += 4;
    else
        return false;
    size_t user = run_of(p, "&=+$,;?/");
    if (user == 0 || p[user] != '@')
        return false;
    p += user + 1;
    size_t host = host_len(p);
    if (host == 0 || host > 253)
        return false;
    p += host;
    if (*p == ':') {
        p++;
        long port = 0;
        size_t digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 6) {
            port = port * 10 + (*p++ - '0');
            digits++;
        }
        if (digits == 0 || digits > 5 || port < 1 || port > 65535)
            return false;
    }
    while (*p == ';') { /* uri-parameters: ;name[=value] */
        p++;
        size_t name = run_of(p, "[]/:&+$");
        if (name == 0)
            return false;
        p += name;
        if (*p == '=') {
            p++;
            size_t value = run_of(p, "[]/:&+$");
            if (value == 0)
                return false;
            p += value;
        }
    }
    return *p == '\0';
}

bool agent_fields_timezone_shape(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > AGENT_FIELDS_TIMEZONE_MAX)
        return false;
    if (strcmp(s, "UTC") == 0)
        return true;
    /* [A-Z][A-Za-z_-]+(/[A-Za-z0-9_+-]+){1,2} */
    if (!(s[0] >= 'A' && s[0] <= 'Z'))
        return false;
    size_t i = 1;
    while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' || s[i] == '-')
        i++;
    if (i < 2)
        return false;
    int parts = 0;
    while (s[i] == '/') {
        size_t start = ++i;
        while (is_alnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '+' || s[i] == '-')
            i++;
        if (i == start)
            return false;
        parts++;
    }
    return s[i] == '\0' && parts >= 1 && parts <= 2;
}

/* ------------------------------------------------------------ fields */

static int read_name(const cJSON *v, cJSON *out, agent_fields_error *err)
{
    if (cJSON_IsString(v) && add_taken(out, "name", vx_clean_text(v->valuestring, 1, AGENT_FIELDS_NAME_MAX)))
        return 0;
    refuse(err, "invalid_name", "name must be text of 1 to %d characters (no control characters).", AGENT_FIELDS_NAME_MAX);
    return -1;
}

static int read_voice(const cJSON *v, cJSON *out, agent_fields_error *err)
{
    if (cJSON_IsNull(v)) {
        add_null(out, "voice");
        return 0;
    }
    const cJSON *provider = NULL, *id = NULL, *m;
    bool shape = cJSON_IsObject(v);
    const cJSON *members = shape ? v : NULL;
    cJSON_ArrayForEach(m, members)
    {
        const cJSON **slot = strcmp(m->string, "provider") == 0 ? &provider : strcmp(m->string, "voice_id") == 0 ? &id : NULL;
        if (slot == NULL || *slot != NULL)
            shape = false;
        else
            *slot = m;
    }
    if (!shape || !cJSON_IsString(provider) || !cJSON_IsString(id)) {
        refuse(err, "invalid_voice", "voice must be {\"provider\": …, \"voice_id\": …} and nothing else, or null.");
        return -1;
    }
    size_t i = 0;
    while (i < NPROVIDERS && strcmp(provider->valuestring, VOICE_PROVIDERS[i]) != 0)
        i++;
    if (i == NPROVIDERS) {
        char list[200] = "";
        for (size_t j = 0; j < NPROVIDERS; j++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", j ? ", " : "", VOICE_PROVIDERS[j]);
        refuse(err, "invalid_voice", "voice.provider must be one of Vapi's voice providers: %s.", list);
        return -1;
    }
    char *voice_id = vx_clean_text(id->valuestring, 1, AGENT_FIELDS_VOICE_ID_MAX);
    if (voice_id == NULL) {
        refuse(err, "invalid_voice", "voice.voice_id must be text of 1 to %d characters (no control characters).",
               AGENT_FIELDS_VOICE_ID_MAX);
        return -1;
    }
    cJSON *voice = cJSON_AddObjectToObject(out, "voice");
    if (voice == NULL)
        abort();
    add_string(voice, "provider", VOICE_PROVIDERS[i]);
    add_taken(voice, "voice_id", voice_id);
    return 0;
}

static int read_first_message(const cJSON *v, cJSON *out, agent_fields_error *err)
{
    if (cJSON_IsNull(v)) {
        add_null(out, "first_message");
        return 0;
    }
    if (cJSON_IsString(v) && add_taken(out, "first_message", vx_clean_text(v->valuestring, 1, AGENT_FIELDS_FIRST_MESSAGE_MAX)))
        return 0;
    refuse(err, "invalid_first_message", "first_message must be text of 1 to %d characters (no control characters), or null.",
           AGENT_FIELDS_FIRST_MESSAGE_MAX);
    return -1;
}

static int read_system_prompt(const cJSON *v, cJSON *out, agent_fields_error *err)
{
    if (cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring);
        long chars = n <= (size_t)AGENT_FIELDS_PROMPT_MAX * 4 ? vx_text_chars(v->valuestring, n, "\t\n\r") : -1;
        if (chars >= 0 && chars <= AGENT_FIELDS_PROMPT_MAX) {
            add_string(out, "system_prompt", v->valuestring);
            return 0;
        }
    }
    refuse(err, "invalid_system_prompt",
           "system_prompt must be text of at most %d characters (new lines and tabs allowed, no other control characters).",
           AGENT_FIELDS_PROMPT_MAX);
    return -1;
}

static int read_timezone(const cJSON *v, cJSON *out, agent_fields_error *err)
{
    if (cJSON_IsString(v) && agent_fields_timezone_shape(v->valuestring)) {
        add_string(out, "timezone", v->valuestring);
        return 0;
    }
    refuse(err, "invalid_timezone", "timezone must be an IANA time zone name such as America/New_York, Europe/London or UTC.");
    return -1;
}

/* A whole number in [min, max] under key, else err with code. */
static int read_minutes(const cJSON *v, const char *key, long min, long max, const char *code, cJSON *out, agent_fields_error *err)
{
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d >= (double)min && d <= (double)max && d == floor(d)) {
            if (cJSON_AddNumberToObject(out, key, d) == NULL)
                abort();
            return 0;
        }
    }
    refuse(err, code, "%s must be a whole number of minutes from %ld to %ld.", key, min, max);
    return -1;
}

static int read_slot(const cJSON *v, cJSON *out, agent_fields_error *err)
{
    return read_minutes(v, "slot_minutes", AGENT_FIELDS_SLOT_MIN, AGENT_FIELDS_SLOT_MAX, "invalid_slot_minutes", out, err);
}

static int read_buffer(const cJSON *v, cJSON *out, agent_fields_error *err)
{
    return read_minutes(v, "buffer_minutes", 0, AGENT_FIELDS_BUFFER_MAX, "invalid_buffer_minutes", out, err);
}

/* "HH:MM" from 00:00 to 23:59 as minutes after midnight, or -1. */
static int clock_minutes(const cJSON *v)
{
    const char *s = cJSON_GetStringValue(v);
    if (s == NULL || strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && !(s[i] >= '0' && s[i] <= '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

typedef struct interval {
    int opens, closes; /* minutes after midnight */
} interval;

static int by_opening(const void *a, const void *b)
{
    return ((const interval *)a)->opens - ((const interval *)b)->opens;
}

/* minutes (0..1439) as "HH:MM". */
static void clock_text(int minutes, char out[6])
{
    snprintf(out, 6, "%02u:%02u", (unsigned)minutes / 60u % 100u, (unsigned)minutes % 60u);
}

/* One day's list into day (a new array of out), sorted; -1 with err set. */
static int read_day(const cJSON *list, const char *name, cJSON *out, agent_fields_error *err)
{
    interval iv[AGENT_FIELDS_INTERVALS_MAX];
    int n = 0;
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > AGENT_FIELDS_INTERVALS_MAX) {
        refuse(err, "invalid_business_hours",
               "business_hours.%s must be a list of at most %d {\"opens\": \"HH:MM\", \"closes\": \"HH:MM\"} ([] when closed).",
               name, AGENT_FIELDS_INTERVALS_MAX);
        return -1;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        const cJSON *opens = NULL, *closes = NULL, *m;
        bool shape = cJSON_IsObject(item);
        const cJSON *members = shape ? item : NULL;
        cJSON_ArrayForEach(m, members)
        {
            const cJSON **slot = strcmp(m->string, "opens") == 0 ? &opens : strcmp(m->string, "closes") == 0 ? &closes : NULL;
            if (slot == NULL || *slot != NULL)
                shape = false;
            else
                *slot = m;
        }
        iv[n].opens = shape ? clock_minutes(opens) : -1;
        iv[n].closes = shape ? clock_minutes(closes) : -1;
        if (iv[n].opens < 0 || iv[n].closes < 0) {
            refuse(err, "invalid_business_hours",
                   "business_hours.%s[%d] must be {\"opens\": \"HH:MM\", \"closes\": \"HH:MM\"}, times from 00:00 to 23:59.", name,
                   n);
            return -1;
        }
        if (iv[n].opens >= iv[n].closes) {
            char o[6], c[6];
            clock_text(iv[n].opens, o);
            clock_text(iv[n].closes, c);
            refuse(err, "invalid_business_hours",
                   "business_hours.%s: %s-%s closes before it opens (closing must be after opening).", name, o, c);
            return -1;
        }
        n++;
    }
    qsort(iv, (size_t)n, sizeof iv[0], by_opening);
    for (int i = 1; i < n; i++) {
        if (iv[i].opens < iv[i - 1].closes) {
            char o1[6], c1[6], o2[6], c2[6];
            clock_text(iv[i - 1].opens, o1);
            clock_text(iv[i - 1].closes, c1);
            clock_text(iv[i].opens, o2);
            clock_text(iv[i].closes, c2);
            refuse(err, "invalid_business_hours", "business_hours.%s: %s-%s and %s-%s overlap.", name, o1, c1, o2, c2);
            return -1;
        }
    }
    cJSON *day = cJSON_AddArrayToObject(out, name);
    if (day == NULL)
        abort();
    for (int i = 0; i < n; i++) {
        char o[6], c[6];
        clock_text(iv[i].opens, o);
        clock_text(iv[i].closes, c);
        cJSON *h = cJSON_CreateObject();
        if (h == NULL)
            abort();
        add_string(h, "opens", o);
        add_string(h, "closes", c);
        cJSON_AddItemToArray(day, h);
    }
    return 0;
}

static int read_hours(const cJSON *v, cJSON *out, agent_fields_error *err)
{
    if (!cJSON_IsObject(v)) {
        refuse(err, "invalid_business_hours",
               "business_hours must be an object of days: {\"monday\": [{\"opens\": \"09:00\", \"closes\": \"17:00\"}], …}.");
        return -1;
    }
    cJSON *week = cJSON_AddObjectToObject(out, "business_hours");
    if (week == NULL)
        abort();
    bool seen[7] = {false};
    const cJSON *m;
    cJSON_ArrayForEach(m, v)
    {
        int d = 0;
        while (d < 7 && strcmp(m->string, DAYS[d]) != 0)
            d++;
        char key[VX_EXCERPT_SIZE];
        if (d == 7) {
            vx_excerpt(m->string, key);
            refuse(err, "invalid_business_hours", "business_hours: \"%s\" is not a day (monday, tuesday, … sunday, in lower case).",
                   key);
            return -1;
        }
        if (seen[d]) {
            refuse(err, "invalid_business_hours", "business_hours: %s is given more than once.", DAYS[d]);
            return -1;
        }
        seen[d] = true;
        if (read_day(m, DAYS[d], week, err) != 0)
            return -1;
    }
    return 0;
}

static int read_phone(const cJSON *v, cJSON *out, agent_fields_error *err)
{
    if (cJSON_IsNull(v)) {
        add_null(out, "transfer_phone_number");
        return 0;
    }
    if (cJSON_IsString(v) && vx_is_e164(v->valuestring)) {
        add_string(out, "transfer_phone_number", v->valuestring);
        return 0;
    }
    refuse(err, "invalid_transfer_phone_number",
           "transfer_phone_number must be an E.164 number (\"+\" then 7 to 15 digits, e.g. +15551234567), or null.");
    return -1;
}

static int read_sip(const cJSON *v, cJSON *out, agent_fields_error *err)
{
    if (cJSON_IsNull(v)) {
        add_null(out, "transfer_sip_uri");
        return 0;
    }
    if (cJSON_IsString(v) && agent_fields_is_sip_uri(v->valuestring)) {
        add_string(out, "transfer_sip_uri", v->valuestring);
        return 0;
    }
    refuse(err, "invalid_transfer_sip_uri",
           "transfer_sip_uri must be a SIP URI such as sip:desk@clinic.example (sip: or sips:, a user, @, a host; "
           "no password), or null.");
    return -1;
}

static int read_departments(const cJSON *v, cJSON *out, agent_fields_error *err)
{
    if (!cJSON_IsObject(v) || cJSON_GetArraySize(v) > AGENT_FIELDS_DEPARTMENTS_MAX) {
        refuse(err, "invalid_transfer_departments",
               "transfer_departments must be an object of at most %d departments: {\"billing\": \"+15551112222\"}.",
               AGENT_FIELDS_DEPARTMENTS_MAX);
        return -1;
    }
    cJSON *map = cJSON_AddObjectToObject(out, "transfer_departments");
    if (map == NULL)
        abort();
    const cJSON *m;
    cJSON_ArrayForEach(m, v)
    {
        char key[VX_EXCERPT_SIZE];
        vx_excerpt(m->string, key);
        char *name = vx_clean_text(m->string, 1, AGENT_FIELDS_DEPARTMENT_MAX);
        if (name == NULL) {
            refuse(err, "invalid_transfer_departments",
                   "transfer_departments: \"%s\" is not a department name (1 to %d characters, no control characters).", key,
                   AGENT_FIELDS_DEPARTMENT_MAX);
            return -1;
        }
        const cJSON *other;
        bool repeated = false;
        cJSON_ArrayForEach(other, map) repeated |= strcasecmp(other->string, name) == 0;
        const char *to = cJSON_GetStringValue(m);
        if (repeated || to == NULL || !(vx_is_e164(to) || agent_fields_is_sip_uri(to))) {
            if (repeated)
                refuse(err, "invalid_transfer_departments",
                       "transfer_departments: \"%s\" is given more than once (names ignore case).", key);
            else
                refuse(err, "invalid_transfer_departments",
                       "transfer_departments.%s must be an E.164 number (+15551234567) or a SIP URI (sip:desk@clinic.example).",
                       key);
            free(name);
            return -1;
        }
        add_string(map, name, to);
        free(name);
    }
    return 0;
}

static int read_services(const cJSON *v, cJSON *out, agent_fields_error *err)
{
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > AGENT_FIELDS_SERVICES_MAX) {
        refuse(err, "invalid_services_offered", "services_offered must be a list of at most %d service ids.",
               AGENT_FIELDS_SERVICES_MAX);
        return -1;
    }
    cJSON *ids = cJSON_AddArrayToObject(out, "services_offered");
    if (ids == NULL)
        abort();
    const cJSON *item;
    cJSON_ArrayForEach(item, v)
    {
        const char *s = cJSON_GetStringValue(item);
        if (s == NULL || !vx_is_uuid(s, strlen(s))) {
            refuse(err, "invalid_services_offered", "services_offered must hold service ids (UUIDs) only.");
            return -1;
        }
        char id[VX_UUID_STR_LEN + 1];
        for (size_t i = 0; i <= VX_UUID_STR_LEN; i++)
            id[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
        const cJSON *kept;
        bool repeated = false;
        cJSON_ArrayForEach(kept, ids) repeated |= strcmp(kept->valuestring, id) == 0;
        if (!repeated) {
            cJSON *e = cJSON_CreateString(id);
            if (e == NULL)
                abort();
            cJSON_AddItemToArray(ids, e);
        }
    }
    return 0;
}

typedef int (*field_reader)(const cJSON *v, cJSON *out, agent_fields_error *err);

static const struct {
    const char *key;
    agent_field bit;
    field_reader read;
} FIELDS[] = {
    {"name", AGENT_FIELD_NAME, read_name},
    {"voice", AGENT_FIELD_VOICE, read_voice},
    {"first_message", AGENT_FIELD_FIRST_MESSAGE, read_first_message},
    {"system_prompt", AGENT_FIELD_SYSTEM_PROMPT, read_system_prompt},
    {"timezone", AGENT_FIELD_TIMEZONE, read_timezone},
    {"slot_minutes", AGENT_FIELD_SLOT_MINUTES, read_slot},
    {"buffer_minutes", AGENT_FIELD_BUFFER_MINUTES, read_buffer},
    {"business_hours", AGENT_FIELD_BUSINESS_HOURS, read_hours},
    {"transfer_phone_number", AGENT_FIELD_TRANSFER_PHONE_NUMBER, read_phone},
    {"transfer_sip_uri", AGENT_FIELD_TRANSFER_SIP_URI, read_sip},
    {"transfer_departments", AGENT_FIELD_TRANSFER_DEPARTMENTS, read_departments},
    {"services_offered", AGENT_FIELD_SERVICES_OFFERED, read_services},
};
#define NFIELDS (sizeof(FIELDS) / sizeof(FIELDS[0]))

static int read_members(const cJSON *doc, agent_fields *out, agent_fields_error *err)
{
    const cJSON *member;
    cJSON_ArrayForEach(member, doc)
    {
        size_t i = 0;
        while (i < NFIELDS && strcmp(member->string, FIELDS[i].key) != 0)
            i++;
        if (i == NFIELDS) {
            char key[VX_EXCERPT_SIZE];
            vx_excerpt(member->string, key);
            if (strcmp(member->string, "version") == 0 || strcmp(member->string, "sync") == 0)
                refuse(err, "read_only_field", "\"%s\" is read-only: send only the fields to change.", key);
            else
                refuse(err, "unknown_field",
                       "Unknown field \"%s\": the agent has name, voice, first_message, system_prompt, timezone, slot_minutes, "
                       "buffer_minutes, business_hours, transfer_phone_number, transfer_sip_uri, transfer_departments and "
                       "services_offered.",
                       key);
            return -1;
        }
        if (out->present & FIELDS[i].bit) {
            refuse(err, "duplicate_field", "\"%s\" is given more than once.", FIELDS[i].key);
            return -1;
        }
        out->present |= FIELDS[i].bit;
        if (FIELDS[i].read(member, out->values, err) != 0)
            return -1;
    }
    return 0;
}

int agent_fields_parse(const char *body, size_t len, agent_fields *out, agent_fields_error *err)
{
    memset(out, 0, sizeof(*out));
    err->code = NULL;
    err->message[0] = '\0';
    out->values = cJSON_CreateObject();
    if (out->values == NULL)
        abort();
    cJSON *doc = vx_json_object_strict(body, len);
    int rc = -1;
    if (doc == NULL) {
        refuse(err, "invalid_json", "The body must be one JSON object.");
    } else if (read_members(doc, out, err) == 0) {
        if (out->present == 0)
            refuse(err, "empty_update", "Give at least one of the agent's fields (name, voice, business_hours, …).");
        else
            rc = 0;
    }
    cJSON_Delete(doc);
    if (rc != 0)
        agent_fields_clear(out);
    return rc;
}

void agent_fields_clear(agent_fields *f)
{
    cJSON_Delete(f->values);
    memset(f, 0, sizeof(*f));
}
