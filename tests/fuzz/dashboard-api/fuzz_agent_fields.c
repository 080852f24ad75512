/*
 * libFuzzer harness for dashboard-api's agent bodies
 * (services/dashboard-api/agent_fields.c): arbitrary bytes as a PUT
 * /api/agent body. Nothing crashes, a refusal always says why, and what is
 * accepted holds exactly the keys its present bits say, each in the shape
 * the SQL reads: E.164 numbers, SIP URIs, sorted non-overlapping hours.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent_fields.h"
#include "vx_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const KEYS[] = {"name",
                                   "voice",
                                   "first_message",
                                   "system_prompt",
                                   "timezone",
                                   "slot_minutes",
                                   "buffer_minutes",
                                   "business_hours",
                                   "transfer_phone_number",
                                   "transfer_sip_uri",
                                   "transfer_departments",
                                   "services_offered"};

/* A "HH:MM" the harness trusts only after checking it. */
static int minutes(const cJSON *v)
{
    const char *s = cJSON_GetStringValue(v);
    if (s == NULL || strlen(s) != 5 || s[2] != ':')
        abort();
    return (s[0] - '0') * 600 + (s[1] - '0') * 60 + (s[3] - '0') * 10 + (s[4] - '0');
}

static void check_hours(const cJSON *week)
{
    const cJSON *day;
    cJSON_ArrayForEach(day, week)
    {
        int last_close = -1;
        const cJSON *iv;
        cJSON_ArrayForEach(iv, day)
        {
            int o = minutes(cJSON_GetObjectItemCaseSensitive(iv, "opens"));
            int c = minutes(cJSON_GetObjectItemCaseSensitive(iv, "closes"));
            if (o >= c || o < last_close || c >= 24 * 60)
                abort();
            last_close = c;
        }
    }
}

static void check_destination(const cJSON *v)
{
    const char *s = cJSON_GetStringValue(v);
    if (s == NULL || !(vx_is_e164(s) || agent_fields_is_sip_uri(s)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    agent_fields f;
    agent_fields_error err;
    if (agent_fields_parse((const char *)data, size, &f, &err) != 0) {
        if (err.code == NULL || err.message[0] == '\0' || f.values != NULL)
            abort();
        return 0;
    }
    if (f.present == 0 || !cJSON_IsObject(f.values))
        abort();
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
        if ((cJSON_GetObjectItemCaseSensitive(f.values, KEYS[i]) != NULL) != ((f.present & (1u << i)) != 0))
            abort();
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(f.values, "business_hours")) != NULL)
        check_hours(v);
    if ((v = cJSON_GetObjectItemCaseSensitive(f.values, "transfer_phone_number")) != NULL && !cJSON_IsNull(v) &&
        !vx_is_e164(cJSON_GetStringValue(v)))
        abort();
    if ((v = cJSON_GetObjectItemCaseSensitive(f.values, "transfer_sip_uri")) != NULL && !cJSON_IsNull(v) &&
        !agent_fields_is_sip_uri(cJSON_GetStringValue(v)))
        abort();
    if ((v = cJSON_GetObjectItemCaseSensitive(f.values, "transfer_departments")) != NULL) {
        const cJSON *d;
        cJSON_ArrayForEach(d, v) check_destination(d);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(f.values, "timezone")) != NULL &&
        !agent_fields_timezone_shape(cJSON_GetStringValue(v)))
        abort();
    agent_fields_clear(&f);
    return 0;
}
