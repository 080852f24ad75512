/*
 * twilio_setup: what a Twilio connect has set up so far, kept in the
 * credential's sync_state (no secret in it: ids and the account's number):
 *
 *   {"accountSid":"AC…","number":"+1…","vapiCredentialId":"…","vapiPhoneNumberId":"…","linked":true}
 *
 * A retried connect reads it and does only the steps still missing, so Vapi
 * never gets a second credential or number for the same account and number.
 */
#ifndef VAULT_INTEGRATIONS_TWILIO_SETUP_H
#define VAULT_INTEGRATIONS_TWILIO_SETUP_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "vx_vapi_api.h"

typedef struct twilio_setup {
    char account_sid[35];
    char number[17];
    char vapi_credential_id[VX_VAPI_API_ID_MAX + 1];
    char vapi_phone_number_id[VX_VAPI_API_ID_MAX + 1];
    bool linked;
} twilio_setup;

/* Reads json (NULL or malformed: an empty setup). */
void twilio_setup_parse(const char *json, twilio_setup *out);
/* The setup as a JSON object (malloc'd). */
char *twilio_setup_json(const twilio_setup *s);

/* The five steps of a connect, in order. */
typedef enum {
    TWILIO_STEP_VALIDATED,
    TWILIO_STEP_STORED,
    TWILIO_STEP_VAPI_CREDENTIAL,
    TWILIO_STEP_NUMBER_IMPORTED,
    TWILIO_STEP_LINKED,
    TWILIO_STEP_COUNT,
} twilio_step;

/* {"validated":…,"stored":…,"vapiCredential":…,"numberImported":…,"linked":…}
 * with "done", "pending" or "failed" each; failed names the step that
 * failed (TWILIO_STEP_COUNT: none), and the steps after it are "pending". */
cJSON *twilio_setup_steps(const twilio_setup *s, bool stored, twilio_step failed);
/* The steps of a stored credential's sync_state (for the integrations list). */
cJSON *twilio_setup_steps_json(const char *sync_state);

#endif
