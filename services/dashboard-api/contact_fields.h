/*
 * contact_fields: what the dashboard may write on a contact, read from a
 * request's JSON body, and how a search text becomes LIKE patterns. Pure:
 * no database, no logging (what it rejects is the caller's input, answered
 * as a 400 with the error it fills).
 *
 * A body is an object of these fields, each a string or null:
 *   first_name, last_name  <= 200 characters, no control characters
 *   phone                  E.164 ("+" then 7 to 15 digits); the separators
 *                          " -.()" typed in a form are dropped. Also accepted
 *                          as "phone_number" (the name the answers use);
 *                          giving both is refused.
 *   email                  <= 320 characters, one "@", a dot inside the domain
 *   notes                  <= 2000 characters; new lines and tabs allowed
 *   lead_status            new, contacted, qualified, booked or lost
 * Text is trimmed; an empty string is null (a form's empty input). lead_score
 * and lead_tier are the call analytics' (webhook-ingest), not the owner's to
 * set: like any other name they are unknown fields.
 */
#ifndef DASHBOARD_CONTACT_FIELDS_H
#define DASHBOARD_CONTACT_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "vx_buf.h"

typedef enum {
    CONTACT_FIELD_FIRST_NAME,
    CONTACT_FIELD_LAST_NAME,
    CONTACT_FIELD_PHONE,
    CONTACT_FIELD_EMAIL,
    CONTACT_FIELD_NOTES,
    CONTACT_FIELD_LEAD_STATUS,
    CONTACT_FIELD_COUNT
} contact_field;

/* In characters (code points), as the table's CHECKs count them. */
#define CONTACT_FIELDS_NAME_MAX  200
#define CONTACT_FIELDS_EMAIL_MAX 320
#define CONTACT_FIELDS_NOTES_MAX 2000
/* A search text longer than this is refused rather than cut. */
#define CONTACT_FIELDS_SEARCH_MAX 200

typedef enum {
    CONTACT_FIELDS_CREATE, /* phone required; null means "not given" */
    CONTACT_FIELDS_UPDATE, /* at least one field; null clears (phone excepted) */
} contact_fields_mode;

typedef struct contact_fields {
    bool given[CONTACT_FIELD_COUNT];
    char *value[CONTACT_FIELD_COUNT]; /* normalised, owned; NULL: null (cleared, or not given) */
} contact_fields;

typedef struct contact_fields_error {
    /* Static: invalid_json, unknown_field, duplicate_field, invalid_field,
     * missing_field or empty_update. */
    const char *code;
    char message[200]; /* for the answer; names the field, never echoes a value */
} contact_fields_error;

/* Reads body (len bytes, not NUL-terminated) into *out, which the caller
 * frees with contact_fields_free whatever the outcome. Returns 0, or -1
 * with *err filled. */
int contact_fields_parse(const void *body, size_t len, contact_fields_mode mode, contact_fields *out, contact_fields_error *err);
void contact_fields_free(contact_fields *f);

/* The field's column (and JSON) name: "first_name", "phone", … */
const char *contact_fields_name(contact_field f);

/* Appends the fields given, as one JSON object with the column names
 * ({"email":null,"first_name":"Ann"}): the update statement's one parameter. */
void contact_fields_patch_json(const contact_fields *f, vx_buf *out);

bool contact_fields_lead_status_valid(const char *s);
bool contact_fields_lead_tier_valid(const char *s);

/* Turns the search text q into LIKE patterns (backslash escapes):
 *   text: "%q%" with q trimmed, white space collapsed to one space and
 *         LIKE's metacharacters escaped; matched against lower-cased names
 *         and email, and lower-cased itself there (contact_search_ids, in
 *         SQL: the same lower() as the indexes);
 *   phone: "+<digits>%" when q looks like a phone number (digits, at most 15,
 *         an optional leading "+", the separators " -.()"), else left empty.
 * Both buffers are reset first. Returns 0 (text empty when q is blank: no
 * search), or -1 when q is too long, not UTF-8 or holds control characters. */
int contact_fields_search(const char *q, vx_buf *text, vx_buf *phone);

#endif
