/*
 * libFuzzer harness for vx_time_parse_iso on arbitrary NUL-terminated bytes,
 * and for the vx_json readers that sit on top of it.
 *   - Whatever parses must lie in years 0000..9999 (give or take the widest
 *     offset) and survive a round trip: formatting the instant and parsing
 *     that again gives the same value.
 *   - The same bytes as a JSON string member must give the same answer
 *     through vx_json_time_ms.
 *   - The bytes parsed as a JSON document are walked with the lenient
 *     readers (which must not crash on any shape).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vx_json.h"
#include "vx_time.h"

#define MIN_MS (-62167219200000LL)
#define MAX_MS 253402300799999LL
#define DAY_MS 86400000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_time(const char *s)
{
    int64_t ms = 0;
    bool ok = vx_time_parse_iso(s, &ms);
    if (ok) {
        if (ms < MIN_MS - DAY_MS || ms > MAX_MS + DAY_MS)
            abort();
        if (ms >= MIN_MS && ms <= MAX_MS) {
            char out[25];
            int64_t back;
            vx_time_format_iso(ms, out);
            if (!vx_time_parse_iso(out, &back) || back != ms)
                abort();
        }
    }
    cJSON *obj = cJSON_CreateObject();
    if (obj && cJSON_AddStringToObject(obj, "t", s)) {
        int64_t via_json = 0;
        if (vx_json_time_ms(obj, "t", &via_json) != ok || (ok && via_json != ms))
            abort();
    }
    cJSON_Delete(obj);
}

static void walk_json(const char *s)
{
    cJSON *doc = cJSON_Parse(s);
    if (!doc)
        return;
    int64_t ms;
    double d;
    cJSON *owned = NULL;
    (void)vx_json_time_ms(doc, "t", &ms);
    (void)vx_json_time_ms(doc, "a.b", &ms);
    (void)vx_json_num(doc, "a.b.c", &d);
    (void)vx_json_str_first(doc, "a", "a.b", "", (char *)NULL);
    const cJSON *o = vx_json_object_lenient(doc, "a", &owned);
    if (o)
        (void)vx_json_str(o, "b");
    cJSON_Delete(owned);
    cJSON_Delete(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_time(s);
    walk_json(s);
    free(s);
    return 0;
}
