/*
 * appointment_fields: the JSON bodies of the appointments routes, read and
 * checked before any SQL runs. Pure: no database, no clock, no logging (what
 * it refuses is the caller's input, answered as a 400 with the error it
 * fills). Which fields a route takes:
 *
 *   POST /api/appointments                    (APPOINTMENT_FIELDS_CREATE)
 *     contact_id        required: the contact's id (a UUID)
 *     service_id        a UUID, or null / absent for none
 *     scheduled_time    required: the start, RFC 3339 with its offset
 *                       ("2027-03-10T14:30:00Z", "…T09:30:00-05:00"), on a
 *                       whole minute, before the year 9999
 *     duration_minutes  an integer 5..480, or absent
 *     notes             a string of at most 2000 characters, or null
 *   PATCH /api/appointments/{id}              (APPOINTMENT_FIELDS_UPDATE)
 *     notes             as above (null clears them)
 *     service_id        a UUID (not null: an appointment keeps a service name)
 *     status            booked, completed or no_show ("cancelled" has its
 *                       own route, which says so)
 *     at least one of them
 *   POST /api/appointments/{id}/reschedule    (APPOINTMENT_FIELDS_RESCHEDULE)
 *     scheduled_time    required, as above
 *     duration_minutes  as above
 *   POST /api/appointments/{id}/cancel        (APPOINTMENT_FIELDS_CANCEL)
 *     no field: an empty body or {}
 *
 * Any other key (or a field another route takes), a key given twice, or a
 * value of the wrong type is refused: a mistyped "scheduled_at" silently
 * ignored would book a time the desk never meant. Text is trimmed; an empty
 * string is null (a form's empty input).
 */
#ifndef DASHBOARD_APPOINTMENT_FIELDS_H
#define DASHBOARD_APPOINTMENT_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APPOINTMENT_FIELDS_NOTES_MAX    2000 /* characters (code points), as the table's CHECK counts them */
#define APPOINTMENT_FIELDS_DURATION_MIN 5
#define APPOINTMENT_FIELDS_DURATION_MAX 480

/* The fields a body named, as bits of appointment_fields.given. */
typedef enum {
    APPOINTMENT_FIELD_CONTACT_ID = 1u << 0,
    APPOINTMENT_FIELD_SERVICE_ID = 1u << 1,
    APPOINTMENT_FIELD_SCHEDULED_TIME = 1u << 2,
    APPOINTMENT_FIELD_DURATION = 1u << 3,
    APPOINTMENT_FIELD_NOTES = 1u << 4,
    APPOINTMENT_FIELD_STATUS = 1u << 5,
} appointment_field;

typedef enum {
    APPOINTMENT_FIELDS_CREATE,
    APPOINTMENT_FIELDS_UPDATE,
    APPOINTMENT_FIELDS_RESCHEDULE,
    APPOINTMENT_FIELDS_CANCEL,
} appointment_fields_mode;

/* A checked body; the strings are ready to be bound as SQL text parameters. */
typedef struct appointment_fields {
    unsigned given;       /* appointment_field bits of the keys the body named */
    char contact_id[37];  /* lower case; "" when not given */
    char service_id[37];  /* lower case; "" when not given or null */
    int64_t start_ms;     /* scheduled_time, unix ms; 0 when not given */
    int duration_minutes; /* 0 when not given */
    char *notes;          /* trimmed, malloc'd; NULL when null, blank or not given */
    char status[16];      /* "" when not given */
} appointment_fields;

typedef struct appointment_fields_error {
    /* Static: invalid_json, unknown_field, duplicate_field, invalid_field,
     * missing_field or empty_update. */
    const char *code;
    char message[200]; /* for the answer; names the field, never echoes a value */
} appointment_fields_error;

/* Reads body (len bytes, not NUL-terminated; NULL or empty is no body) for
 * mode into *out, which the caller frees with appointment_fields_free
 * whatever the outcome. Returns 0, or -1 with *err filled. */
int appointment_fields_parse(const void *body, size_t len, appointment_fields_mode mode, appointment_fields *out,
                             appointment_fields_error *err);
void appointment_fields_free(appointment_fields *f);

/* True for an appointments.status value: booked, cancelled, completed, no_show. */
bool appointment_fields_status_valid(const char *s);

/* The audit entry's details of an update: the names of the fields given,
 * {"fields":["notes","status"]}, never their values. Into out[128]. */
void appointment_fields_names_json(const appointment_fields *f, char out[128]);

#endif
