/*
 * twilio_setup: a Twilio connect's progress (see twilio_setup.h).
 */
#include "integrations/twilio_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_str(const cJSON *doc, const char *key, char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    snprintf(out, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

void twilio_setup_parse(const char *json, twilio_setup *out)
{
    memset(out, 0, sizeof(*out));
    cJSON *doc = json != NULL ? cJSON_Parse(json) : NULL;
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return;
    }
    copy_str(doc, "accountSid", out->account_sid, sizeof(out->account_sid));
    copy_str(doc, "number", out->number, sizeof(out->number));
    copy_str(doc, "vapiCredentialId", out->vapi_credential_id, sizeof(out->vapi_credential_id));
    copy_str(doc, "vapiPhoneNumberId", out->vapi_phone_number_id, sizeof(out->vapi_phone_number_id));
    out->linked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "linked"));
    cJSON_Delete(doc);
}

char *twilio_setup_json(const twilio_setup *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "accountSid", s->account_sid);
    cJSON_AddStringToObject(o, "number", s->number);
    if (s->vapi_credential_id[0] != '\0')
        cJSON_AddStringToObject(o, "vapiCredentialId", s->vapi_credential_id);
    if (s->vapi_phone_number_id[0] != '\0')
        cJSON_AddStringToObject(o, "vapiPhoneNumberId", s->vapi_phone_number_id);
    cJSON_AddBoolToObject(o, "linked", s->linked);
    char *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (json == NULL)
        abort();
    return json;
}

cJSON *twilio_setup_steps(const twilio_setup *s, bool stored, twilio_step failed)
{
    static const char *const NAMES[TWILIO_STEP_COUNT] = {"validated", "stored", "vapiCredential", "numberImported", "linked"};
    bool done[TWILIO_STEP_COUNT] = {stored, stored, s->vapi_credential_id[0] != '\0', s->vapi_phone_number_id[0] != '\0',
                                    s->linked};
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < TWILIO_STEP_COUNT; i++) {
        const char *state = done[i] ? "done" : "pending";
        if ((twilio_step)i == failed)
            state = "failed";
        cJSON_AddStringToObject(o, NAMES[i], state);
    }
    return o;
}

cJSON *twilio_setup_steps_json(const char *sync_state)
{
    twilio_setup s;
    twilio_setup_parse(sync_state, &s);
    return twilio_setup_steps(&s, true, TWILIO_STEP_COUNT);
}
