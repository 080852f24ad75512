/*
 * vx_json: lenient, NULL-safe readers over cJSON.
 *
 * Design: every reader goes through vx_json_at, which walks a dot-separated
 * path over objects without copying or modifying the path (segments are
 * compared by length, so no scratch buffer and no length limit). A missing
 * key, a JSON null, a non-object in the middle of the path or an empty
 * segment all mean "absent", and every reader then returns NULL/false, so
 * handlers can chain look-ups over payloads that drift from their schema
 * without checking each level. Keys match case-sensitively; with duplicate
 * keys the first one wins, as with cJSON_GetObjectItem.
 *
 * Timestamps: Vapi sends epoch milliseconds as JSON numbers, sometimes in
 * floating-point form (1.722115418016999E12), and ISO strings elsewhere.
 * Numbers are rounded to the nearest millisecond and must lie within years
 * 0000..9999; strings go through vx_time_parse_iso.
 */
#include "vx_json.h"

#include "vx_time.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z in unix ms. */
#define VX_JSON_MIN_MS (-62167219200000.0)
#define VX_JSON_MAX_MS 253402300799999.0

/* The member of object obj whose key is exactly key[0..len), or NULL. */
static const cJSON *json_member(const cJSON *obj, const char *key, size_t len)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    for (const cJSON *c = obj->child; c; c = c->next)
        if (c->string && strncmp(c->string, key, len) == 0 && c->string[len] == '\0')
            return c;
    return NULL;
}

/* Walks path from root. A NULL or empty path designates root itself. */
const cJSON *vx_json_at(const cJSON *root, const char *path)
{
    const cJSON *cur = root;
    if (cur && path && path[0]) {
        const char *seg = path;
        for (;;) {
            const char *dot = strchr(seg, '.');
            size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
            if (len == 0)
                return NULL;
            cur = json_member(cur, seg, len);
            if (!cur || !dot)
                break;
            seg = dot + 1;
        }
    }
    return cJSON_IsNull(cur) ? NULL : cur;
}

const char *vx_json_str(const cJSON *root, const char *path)
{
    const cJSON *item = vx_json_at(root, path);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Tries each path in order; the first non-empty string wins. */
const char *vx_json_str_first(const cJSON *root, ...)
{
    va_list ap;
    const char *found = NULL;
    va_start(ap, root);
    for (const char *path; !found && (path = va_arg(ap, const char *)) != NULL;) {
        const char *s = vx_json_str(root, path);
        if (s && s[0])
            found = s;
    }
    va_end(ap);
    return found;
}

bool vx_json_num(const cJSON *root, const char *path, double *out)
{
    const cJSON *item = vx_json_at(root, path);
    if (!cJSON_IsNumber(item))
        return false;
    if (out)
        *out = item->valuedouble;
    return true;
}

/* Epoch ms from a number (rounded, range-checked) or an RFC 3339 string.
 * *unix_ms is written only on success. */
bool vx_json_time_ms(const cJSON *root, const char *path, int64_t *unix_ms)
{
    const cJSON *item = vx_json_at(root, path);
    int64_t ms;
    if (cJSON_IsNumber(item)) {
        double d = item->valuedouble;
        if (!isfinite(d) || d < VX_JSON_MIN_MS || d > VX_JSON_MAX_MS)
            return false;
        ms = (int64_t)llround(d);
    } else if (cJSON_IsString(item)) {
        if (!vx_time_parse_iso(item->valuestring, &ms))
            return false;
    } else {
        return false;
    }
    if (unix_ms)
        *unix_ms = ms;
    return true;
}

/* The object at path; a string holding exactly one JSON object is parsed and
 * handed to the caller through *owned. *owned is set to NULL first, so the
 * caller can always cJSON_Delete(*owned) afterwards. */
const cJSON *vx_json_object_lenient(const cJSON *root, const char *path, cJSON **owned)
{
    if (owned)
        *owned = NULL;
    const cJSON *item = vx_json_at(root, path);
    if (cJSON_IsObject(item))
        return item;
    if (!cJSON_IsString(item) || !owned)
        return NULL;
    cJSON *parsed = cJSON_ParseWithOpts(item->valuestring, NULL, 1);
    if (!cJSON_IsObject(parsed)) {
        cJSON_Delete(parsed);
        return NULL;
    }
    *owned = parsed;
    return parsed;
}

/* True when a string of the JSON text holds the escape \u0000 (an escaped
 * backslash before "u0000" is text, not a NUL). */
static bool has_escaped_nul(const char *text, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"') {
            in_string = !in_string;
        } else if (in_string && text[i] == '\\' && i + 1 < len) {
            if (text[i + 1] == 'u' && i + 5 < len && memcmp(text + i + 2, "0000", 4) == 0)
                return true;
            i++; /* the escaped character: an escaped quote does not end the string */
        }
    }
    return false;
}

cJSON *vx_json_object_strict(const char *text, size_t len)
{
    if (text == NULL || len == 0 || memchr(text, '\0', len) != NULL || has_escaped_nul(text, len))
        return NULL;
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, false);
    while (doc != NULL && end < text + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++; /* JSON's whitespace */
    if (doc != NULL && (end != text + len || !cJSON_IsObject(doc))) {
        cJSON_Delete(doc);
        doc = NULL;
    }
    return doc;
}
