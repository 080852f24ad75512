/*
 * libFuzzer harness for dashboard-api's service bodies
 * (services/dashboard-api/service_fields.c): arbitrary bytes as a POST or
 * PATCH body. Nothing crashes, and what is accepted binds as SQL text the
 * table takes: a price of digits and two decimals, a duration in range, a
 * keywords array literal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service_fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size, service_fields_mode mode)
{
    service_fields f;
    service_fields_error err;
    if (service_fields_parse((const char *)data, size, mode, &f, &err) != 0) {
        if (err.code == NULL)
            abort();
        return;
    }
    if (f.has_price) {
        const char *dot = strchr(f.price, '.');
        if (dot == NULL || strlen(dot) != 3 || strspn(f.price, "0123456789") != (size_t)(dot - f.price))
            abort();
    }
    if (mode == SERVICE_FIELDS_CREATE || (f.present & SERVICE_FIELD_DURATION)) {
        long d = strtol(f.duration, NULL, 10);
        if (d < 5 || d > 480)
            abort();
    }
    if (f.keywords != NULL) {
        size_t n = strlen(f.keywords);
        if (n < 2 || f.keywords[0] != '{' || f.keywords[n - 1] != '}')
            abort();
    }
    if (mode == SERVICE_FIELDS_CREATE && (f.name == NULL || f.name[0] == '\0'))
        abort();
    service_fields_clear(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size, SERVICE_FIELDS_CREATE);
    check(data, size, SERVICE_FIELDS_UPDATE);
    return 0;
}
