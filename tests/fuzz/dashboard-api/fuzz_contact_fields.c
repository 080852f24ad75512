/*
 * libFuzzer harness for dashboard-api's contact bodies and search text
 * (services/dashboard-api/contact_fields.c): arbitrary bytes as a POST or
 * PATCH body and as ?q=. Whatever comes in, nothing crashes, and what is
 * accepted is storable: a phone in E.164, texts within the table's limits,
 * the update's JSON an object, a search pattern wrapped in %…%.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "contact_fields.h"
#include "vx_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_body(const uint8_t *data, size_t size, contact_fields_mode mode)
{
    contact_fields f;
    contact_fields_error err;
    if (contact_fields_parse(data, size, mode, &f, &err) == 0) {
        const char *phone = f.value[CONTACT_FIELD_PHONE];
        if (phone != NULL && !vx_is_e164(phone))
            abort();
        if (f.value[CONTACT_FIELD_NOTES] != NULL && strlen(f.value[CONTACT_FIELD_NOTES]) > 4 * CONTACT_FIELDS_NOTES_MAX)
            abort();
        vx_buf json = VX_BUF_INIT;
        contact_fields_patch_json(&f, &json);
        cJSON *o = cJSON_ParseWithLength(json.data, json.len);
        if (!cJSON_IsObject(o))
            abort();
        cJSON_Delete(o);
        vx_buf_free(&json);
    } else if (err.code == NULL) {
        abort();
    }
    contact_fields_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_body(data, size, CONTACT_FIELDS_CREATE);
    check_body(data, size, CONTACT_FIELDS_UPDATE);
    char *q = malloc(size + 1);
    if (q == NULL)
        return 0;
    memcpy(q, data, size);
    q[size] = '\0';
    vx_buf text = VX_BUF_INIT, phone = VX_BUF_INIT;
    if (contact_fields_search(q, &text, &phone) == 0 && text.len > 0 &&
        (text.len < 2 || text.data[0] != '%' || text.data[text.len - 1] != '%'))
        abort();
    vx_buf_free(&text);
    vx_buf_free(&phone);
    free(q);
    return 0;
}
