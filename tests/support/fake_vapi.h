/*
 * fake_vapi: what Vapi's API fakes (tests/fakes/vapi_api.c, vapi_control.c)
 * share — its NestJS error body and its refusal of unknown properties
 * (contracts/vapi.md §4.6).
 */
#ifndef FAKE_VAPI_H
#define FAKE_VAPI_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "fake_http.h"

/* {"message": message (or [message] when as_array),"error": <reason>,"statusCode": status}. */
void fake_vapi_error(fake_response *r, int status, const char *message, bool as_array);
/* The first member of obj not in allowed (NULL-terminated), or NULL. */
const char *fake_vapi_extra_property(const cJSON *obj, const char *const *allowed);

#endif
