/*
 * service_fields: the JSON body of POST /api/services and PATCH
 * /api/services/{id}, read and checked before any SQL runs —
 *   name              string, trimmed, 1..200 characters, no control characters
 *   price             number >= 0 with at most 2 decimals, below 100,000,000
 *                     (numeric(10,2)), or null for "no price"
 *   duration_minutes  integer 5..480
 *   keywords          array of at most 50 strings of 1..100 characters each,
 *                     trimmed, lower-cased (ASCII letters) and deduplicated
 *   active            boolean
 * Any other key, a key given twice, or a value of the wrong type is refused:
 * a typo ("prize") that was silently ignored would leave the owner believing
 * the price was changed.
 *
 * Pure: no database, no logging. A refusal is the caller's input, not a
 * fault, so it is not logged here; err says what to answer.
 */
#ifndef DASHBOARD_SERVICE_FIELDS_H
#define DASHBOARD_SERVICE_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#define SERVICE_FIELDS_NAME_MAX         200
#define SERVICE_FIELDS_KEYWORDS_MAX     50
#define SERVICE_FIELDS_KEYWORD_MAX      100
#define SERVICE_FIELDS_DURATION_MIN     5
#define SERVICE_FIELDS_DURATION_MAX     480
#define SERVICE_FIELDS_DURATION_DEFAULT 30

/* The fields a body named, as bits of service_fields.present. */
typedef enum {
    SERVICE_FIELD_NAME = 1u << 0,
    SERVICE_FIELD_PRICE = 1u << 1,
    SERVICE_FIELD_DURATION = 1u << 2,
    SERVICE_FIELD_KEYWORDS = 1u << 3,
    SERVICE_FIELD_ACTIVE = 1u << 4,
} service_field;

/* POST needs a name and fills defaults; PATCH needs at least one field. */
typedef enum {
    SERVICE_FIELDS_CREATE,
    SERVICE_FIELDS_UPDATE,
} service_fields_mode;

/* A checked body. The values are ready to be bound as SQL text parameters. */
typedef struct service_fields {
    unsigned present; /* service_field bits of what the body set (defaults are not counted) */
    char *name;       /* trimmed; malloc'd; NULL when not given */
    bool has_price;   /* false: price is null */
    char price[16];   /* "1234.50": exact, two decimals */
    char duration[8]; /* "30" */
    char *keywords;   /* a PostgreSQL text[] literal ("{\"botox\",\"wrinkle\"}"); malloc'd; NULL when not given */
    bool active;
} service_fields;

/* Why a body was refused: code for {"code"}, message for {"error"}. */
typedef struct service_fields_error {
    const char *code; /* static: "invalid_json", "unknown_field", "invalid_price", … */
    char message[192];
} service_fields_error;

/* Reads body (len bytes, not NUL-terminated; NULL when empty). In
 * SERVICE_FIELDS_CREATE mode the fields not given get their defaults
 * (duration 30, price null, no keywords, active). Returns 0 with *out filled
 * (service_fields_clear frees it), or -1 with *err set and *out empty. */
int service_fields_parse(const char *body, size_t len, service_fields_mode mode, service_fields *out, service_fields_error *err);
/* Frees what a parse allocated and zeroes f. */
void service_fields_clear(service_fields *f);

#endif
