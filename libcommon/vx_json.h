/*
 * vx_json: lenient readers over cJSON for payloads that drift from their
 * schema (Vapi's do). Paths are dot-separated object keys ("call.customer.number").
 * A JSON null is treated exactly like an absent field.
 */
#ifndef VX_JSON_H
#define VX_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* The item at path, or NULL when absent or null. */
const cJSON *vx_json_at(const cJSON *root, const char *path);
/* The string at path, or NULL when absent, null, or not a string. Empty strings are returned as "". */
const char *vx_json_str(const cJSON *root, const char *path);
/* The first non-empty string among the paths (NULL-terminated list), or NULL. */
const char *vx_json_str_first(const cJSON *root, ...) __attribute__((sentinel));
/* The number at path into *out; false when absent, null or not a number. */
bool vx_json_num(const cJSON *root, const char *path, double *out);
/* A timestamp at path given as epoch milliseconds (number) or an ISO string; false otherwise. */
bool vx_json_time_ms(const cJSON *root, const char *path, int64_t *unix_ms);
/* The object at path, or NULL. A string holding a JSON object is parsed into *owned
 * (which the caller must cJSON_Delete) and returned — Vapi sends tool arguments both ways.
 * *owned is always set: NULL unless a string was parsed. */
const cJSON *vx_json_object_lenient(const cJSON *root, const char *path, cJSON **owned);

/* The strict reader of request bodies: exactly one JSON object in the len
 * bytes of text (not NUL-terminated), nothing after it but JSON's
 * whitespace, and no NUL — raw or escaped as \u0000, which cJSON would hand
 * over as a string (or key) cut short: "Ann\u0000x" stored as "Ann". The
 * object (the caller cJSON_Delete()s it), or NULL for anything else. */
cJSON *vx_json_object_strict(const char *text, size_t len);

#endif
