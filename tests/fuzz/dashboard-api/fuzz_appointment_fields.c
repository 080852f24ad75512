/*
 * libFuzzer harness for dashboard-api's appointment bodies
 * (services/dashboard-api/appointment_fields.c): arbitrary bytes as the body
 * of each appointments route (create, update, reschedule, cancel). Whatever
 * comes in, nothing crashes or leaks, and what is accepted is storable: ids
 * are canonical lower-case UUIDs, a start a whole minute of a four-digit
 * year, a length within 5..480 minutes, notes within the table's limit, a
 * status the table allows and no field the route does not take.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appointment_fields.h"
#include "vx_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_uuid(const char *s)
{
    if (s[0] == '\0')
        return;
    if (!vx_is_uuid(s, strlen(s)))
        abort();
    for (const char *p = s; *p != '\0'; p++)
        if (*p >= 'A' && *p <= 'F')
            abort();
}

static void check_body(const uint8_t *data, size_t size, appointment_fields_mode mode, unsigned accepted)
{
    appointment_fields f;
    appointment_fields_error err;
    if (appointment_fields_parse(data, size, mode, &f, &err) == 0) {
        if ((f.given & ~accepted) != 0)
            abort();
        check_uuid(f.contact_id);
        check_uuid(f.service_id);
        if (f.start_ms < 0 || f.start_ms % 60000 != 0 || f.start_ms >= 253370764800000LL) /* 9999-01-01 */
            abort();
        if (f.duration_minutes != 0 &&
            (f.duration_minutes < APPOINTMENT_FIELDS_DURATION_MIN || f.duration_minutes > APPOINTMENT_FIELDS_DURATION_MAX))
            abort();
        if (f.notes != NULL && (f.notes[0] == '\0' || strlen(f.notes) > 4 * APPOINTMENT_FIELDS_NOTES_MAX))
            abort();
        if (f.status[0] != '\0' && (!appointment_fields_status_valid(f.status) || strcmp(f.status, "cancelled") == 0))
            abort();
        char names[128];
        appointment_fields_names_json(&f, names);
        if (names[0] != '{' || names[strlen(names) - 1] != '}')
            abort();
    } else if (err.code == NULL || err.message[0] == '\0') {
        abort();
    }
    appointment_fields_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_body(data, size, APPOINTMENT_FIELDS_CREATE,
               APPOINTMENT_FIELD_CONTACT_ID | APPOINTMENT_FIELD_SERVICE_ID | APPOINTMENT_FIELD_SCHEDULED_TIME |
                   APPOINTMENT_FIELD_DURATION | APPOINTMENT_FIELD_NOTES);
    check_body(data, size, APPOINTMENT_FIELDS_UPDATE,
               APPOINTMENT_FIELD_SERVICE_ID | APPOINTMENT_FIELD_NOTES | APPOINTMENT_FIELD_STATUS);
    check_body(data, size, APPOINTMENT_FIELDS_RESCHEDULE, APPOINTMENT_FIELD_SCHEDULED_TIME | APPOINTMENT_FIELD_DURATION);
    check_body(data, size, APPOINTMENT_FIELDS_CANCEL, 0);
    return 0;
}
