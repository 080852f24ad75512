/*
 * fake_vapi: Vapi's error shape and property check (see fake_vapi.h).
 */
#include "fake_vapi.h"

#include <string.h>

static const char *reason(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 409:
        return "Conflict";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return status >= 500 ? "Internal Server Error" : "Error";
    }
}

void fake_vapi_error(fake_response *r, int status, const char *message, bool as_array)
{
    cJSON *e = cJSON_CreateObject();
    if (as_array)
        cJSON_AddItemToObject(e, "message", cJSON_CreateStringArray(&message, 1));
    else
        cJSON_AddStringToObject(e, "message", message);
    cJSON_AddStringToObject(e, "error", reason(status));
    cJSON_AddNumberToObject(e, "statusCode", status);
    fake_json_body(r, status, e);
}

const char *fake_vapi_extra_property(const cJSON *obj, const char *const *allowed)
{
    for (const cJSON *m = obj->child; m != NULL; m = m->next) {
        bool known = false;
        for (size_t i = 0; allowed[i] != NULL && !known; i++)
            known = strcmp(m->string, allowed[i]) == 0;
        if (!known)
            return m->string;
    }
    return NULL;
}
