/*
 * service_fields: cJSON reads the body; every value is then checked here
 * against what the services table accepts (migrations/0003), so a bad value
 * is a 400 that names the field instead of a constraint error from
 * PostgreSQL.
 *
 * Prices arrive as JSON numbers, i.e. doubles: "19.99" is the double nearest
 * to 19.99, not 19.99 itself. A price is accepted when printing it with two
 * decimals and reading that back gives the very same double — true exactly
 * for the numbers written with at most two decimals (every such number below
 * 10^8 has at most 10 significant digits, well inside a double's 15) — and
 * that printed text is what PostgreSQL stores, so no binary rounding reaches
 * the numeric column.
 *
 * Keywords are lower-cased for ASCII letters only: webhook-ingest matches
 * transcripts on ASCII words (analytics.c) and tool-router compares
 * lower(keyword) in SQL, so other letters are kept as typed.
 */
#include "service_fields.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_json.h"
#include "vx_validate.h"

static const struct {
    const char *key;
    service_field bit;
} FIELDS[] = {
    {"name", SERVICE_FIELD_NAME},         {"price", SERVICE_FIELD_PRICE},   {"duration_minutes", SERVICE_FIELD_DURATION},
    {"keywords", SERVICE_FIELD_KEYWORDS}, {"active", SERVICE_FIELD_ACTIVE},
};
#define NFIELDS (sizeof(FIELDS) / sizeof(FIELDS[0]))

static void refuse(service_fields_error *err, const char *code, const char *message)
{
    err->code = code;
    snprintf(err->message, sizeof(err->message), "%s", message);
}

static int read_name(const cJSON *v, service_fields *out, service_fields_error *err)
{
    if (cJSON_IsString(v))
        out->name = vx_clean_text(v->valuestring, 1, SERVICE_FIELDS_NAME_MAX);
    if (out->name != NULL)
        return 0;
    refuse(err, "invalid_name", "name must be text of 1 to 200 characters (no control characters).");
    return -1;
}

static int read_price(const cJSON *v, service_fields *out, service_fields_error *err)
{
    if (cJSON_IsNull(v)) {
        out->has_price = false;
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == 0)
            d = 0; /* -0 is 0: never store "-0.00" */
        if (isfinite(d) && d >= 0 && d < 100000000.0) {
            snprintf(out->price, sizeof(out->price), "%.2f", d);
            if (strtod(out->price, NULL) == d) {
                out->has_price = true;
                return 0;
            }
        }
    }
    out->price[0] = '\0';
    refuse(err, "invalid_price", "price must be a number from 0 to 99999999.99 with at most 2 decimals, or null.");
    return -1;
}

static int read_duration(const cJSON *v, service_fields *out, service_fields_error *err)
{
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d >= SERVICE_FIELDS_DURATION_MIN && d <= SERVICE_FIELDS_DURATION_MAX && d == floor(d)) {
            snprintf(out->duration, sizeof(out->duration), "%d", (int)d);
            return 0;
        }
    }
    refuse(err, "invalid_duration", "duration_minutes must be a whole number of minutes from 5 to 480.");
    return -1;
}

static int read_active(const cJSON *v, service_fields *out, service_fields_error *err)
{
    if (cJSON_IsBool(v)) {
        out->active = cJSON_IsTrue(v);
        return 0;
    }
    refuse(err, "invalid_active", "active must be true or false.");
    return -1;
}

/* Appends s as a quoted element of a PostgreSQL array literal: inside double
 * quotes only '"' and '\' need a backslash, and braces, commas and spaces
 * are plain characters. */
static void array_element(vx_buf *b, const char *s)
{
    vx_buf_putc(b, '"');
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            vx_buf_putc(b, '\\');
        vx_buf_putc(b, *s);
    }
    vx_buf_putc(b, '"');
}

static int read_keywords(const cJSON *v, service_fields *out, service_fields_error *err)
{
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > SERVICE_FIELDS_KEYWORDS_MAX) {
        refuse(err, "invalid_keywords", "keywords must be an array of at most 50 strings.");
        return -1;
    }
    char *kept[SERVICE_FIELDS_KEYWORDS_MAX];
    size_t n = 0;
    int rc = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, v)
    {
        char *k = cJSON_IsString(item) ? vx_clean_text(item->valuestring, 1, SERVICE_FIELDS_KEYWORD_MAX) : NULL;
        if (k == NULL) {
            refuse(err, "invalid_keywords", "Each keyword must be text of 1 to 100 characters (no control characters).");
            rc = -1;
            break;
        }
        for (char *c = k; *c != '\0'; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        bool seen = false;
        for (size_t i = 0; i < n && !seen; i++)
            seen = strcmp(kept[i], k) == 0;
        if (seen)
            free(k);
        else
            kept[n++] = k;
    }
    if (rc == 0) {
        vx_buf lit = VX_BUF_INIT;
        vx_buf_putc(&lit, '{');
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                vx_buf_putc(&lit, ',');
            array_element(&lit, kept[i]);
        }
        vx_buf_putc(&lit, '}');
        out->keywords = vx_buf_steal(&lit);
    }
    for (size_t i = 0; i < n; i++)
        free(kept[i]);
    return rc;
}

static int read_field(service_field bit, const cJSON *v, service_fields *out, service_fields_error *err)
{
    switch (bit) {
    case SERVICE_FIELD_NAME:
        return read_name(v, out, err);
    case SERVICE_FIELD_PRICE:
        return read_price(v, out, err);
    case SERVICE_FIELD_DURATION:
        return read_duration(v, out, err);
    case SERVICE_FIELD_KEYWORDS:
        return read_keywords(v, out, err);
    case SERVICE_FIELD_ACTIVE:
        return read_active(v, out, err);
    }
    return -1;
}

/* Reads every member of the object doc into out. */
static int read_members(const cJSON *doc, service_fields *out, service_fields_error *err)
{
    const cJSON *member;
    cJSON_ArrayForEach(member, doc)
    {
        size_t i = 0;
        while (i < NFIELDS && strcmp(member->string, FIELDS[i].key) != 0)
            i++;
        char key[VX_EXCERPT_SIZE];
        if (i == NFIELDS) {
            vx_excerpt(member->string, key);
            err->code = "unknown_field";
            snprintf(err->message, sizeof(err->message),
                     "Unknown field \"%s\": a service has name, price, duration_minutes, keywords and active.", key);
            return -1;
        }
        if (out->present & FIELDS[i].bit) {
            err->code = "duplicate_field";
            snprintf(err->message, sizeof(err->message), "\"%s\" is given more than once.", FIELDS[i].key);
            return -1;
        }
        out->present |= FIELDS[i].bit;
        if (read_field(FIELDS[i].bit, member, out, err) != 0)
            return -1;
    }
    return 0;
}

int service_fields_parse(const char *body, size_t len, service_fields_mode mode, service_fields *out, service_fields_error *err)
{
    memset(out, 0, sizeof(*out));
    err->code = NULL;
    err->message[0] = '\0';
    /* The defaults of migrations/0003, given here so that a created service
     * answers with what was stored without a second look. */
    if (mode == SERVICE_FIELDS_CREATE)
        snprintf(out->duration, sizeof(out->duration), "%d", SERVICE_FIELDS_DURATION_DEFAULT);
    out->active = true;
    cJSON *doc = vx_json_object_strict(body, len);
    int rc = -1;
    if (doc == NULL) {
        refuse(err, "invalid_json", "The body must be one JSON object.");
    } else if (read_members(doc, out, err) == 0) {
        if (mode == SERVICE_FIELDS_CREATE && !(out->present & SERVICE_FIELD_NAME))
            refuse(err, "missing_name", "name is required.");
        else if (mode == SERVICE_FIELDS_UPDATE && out->present == 0)
            refuse(err, "empty_update", "Give at least one of name, price, duration_minutes, keywords or active.");
        else
            rc = 0;
    }
    cJSON_Delete(doc);
    if (rc != 0) {
        service_fields_clear(out);
    } else if (mode == SERVICE_FIELDS_CREATE && out->keywords == NULL) {
        out->keywords = strdup("{}");
        if (out->keywords == NULL)
            abort();
    }
    return rc;
}

void service_fields_clear(service_fields *f)
{
    free(f->name);
    free(f->keywords);
    memset(f, 0, sizeof(*f));
}
