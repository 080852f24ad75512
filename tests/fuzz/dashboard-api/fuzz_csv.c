/*
 * libFuzzer harness for dashboard-api's CSV reader and writer
 * (services/dashboard-api/csv.c) and the contacts import that reads through
 * them (contact_import.c): arbitrary bytes as an uploaded file. Whatever
 * comes in, nothing crashes, leaks or reads out of bounds, and
 *   - every record starts on a line that grows and is within the file's,
 *     its fields NUL-terminated, without NUL, within the limits;
 *   - what was read, written again and read back, is the same records
 *     (formula neutralisation undone by csv_formula_prefix);
 *   - an import either is refused with a code, or its counts add up
 *     (rows = valid + merged + errors), every row has an E.164 number and
 *     one number is one row, and its JSON (merges, errors, rows) parses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "contact_import.h"
#include "csv.h"
#include "vx_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const csv_limits LIMITS = {.max_fields = 16, .max_field_bytes = 256};

/* The line breaks in data (CRLF, LF, CR each one): the last line is this + 1. */
static size_t line_breaks(const uint8_t *data, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < size; i++)
        if (data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n')))
            n++;
    return n;
}

/* Reads data; checks each record; writes the records into *out. Returns the number read. */
static size_t read_and_write(const uint8_t *data, size_t size, vx_buf *out)
{
    csv_reader r;
    csv_reader_init(&r, data, size, &LIMITS);
    size_t last_line = 0, records = 0, max_line = line_breaks(data, size) + 1;
    csv_record rec;
    csv_status st;
    while ((st = csv_reader_next(&r, &rec)) == CSV_RECORD || st == CSV_OVERSIZED) {
        if (rec.line <= last_line || rec.line > max_line)
            abort();
        last_line = rec.line;
        if (st == CSV_OVERSIZED)
            continue;
        if (rec.nfields == 0 || rec.nfields > LIMITS.max_fields)
            abort();
        const char *fields[16];
        for (size_t i = 0; i < rec.nfields; i++) {
            const csv_field *f = &rec.fields[i];
            if (f->len > LIMITS.max_field_bytes || f->data[f->len] != '\0' || memchr(f->data, '\0', f->len) != NULL)
                abort();
            fields[i] = f->data;
        }
        csv_write_record(out, fields, rec.nfields);
        records++;
    }
    if (st == CSV_MALFORMED && (r.error == NULL || r.error_line == 0 || r.error_line > max_line))
        abort();
    csv_reader_free(&r);
    return records;
}

/* Reads what the writer wrote: the same records as first read, once the
 * writer's neutralising quotes are dropped. */
static void check_round_trip(const uint8_t *data, size_t size, const vx_buf *written, size_t records)
{
    const csv_limits wider = {.max_fields = LIMITS.max_fields, .max_field_bytes = LIMITS.max_field_bytes + 1};
    csv_reader first, again;
    csv_reader_init(&first, data, size, &LIMITS);
    csv_reader_init(&again, written->data, written->len, &wider);
    for (size_t n = 0; n < records;) {
        csv_record a, b;
        csv_status st = csv_reader_next(&first, &a);
        if (st == CSV_OVERSIZED)
            continue;
        if (st != CSV_RECORD || csv_reader_next(&again, &b) != CSV_RECORD || a.nfields != b.nfields)
            abort();
        for (size_t i = 0; i < a.nfields; i++) {
            size_t skip = csv_formula_prefix(b.fields[i].data, b.fields[i].len);
            if (b.fields[i].len - skip != a.fields[i].len ||
                memcmp(b.fields[i].data + skip, a.fields[i].data, a.fields[i].len) != 0)
                abort();
        }
        n++;
    }
    csv_record end;
    if (csv_reader_next(&again, &end) != CSV_END)
        abort();
    csv_reader_free(&first);
    csv_reader_free(&again);
}

static void check_json_array(const vx_buf *items)
{
    vx_buf text = VX_BUF_INIT;
    vx_buf_putc(&text, '[');
    if (items->len > 0)
        vx_buf_append(&text, items->data, items->len);
    vx_buf_putc(&text, ']');
    cJSON *a = cJSON_ParseWithLength(text.data, text.len);
    if (!cJSON_IsArray(a))
        abort();
    cJSON_Delete(a);
    vx_buf_free(&text);
}

static void check_import(const uint8_t *data, size_t size)
{
    contact_import imp;
    contact_import_refusal ref;
    if (contact_import_parse(data, size, &imp, &ref) != 0) {
        if (ref.code == NULL || (ref.status != 400 && ref.status != 413) || ref.message[0] == '\0')
            abort();
        contact_import_free(&imp);
        return;
    }
    if (imp.data_rows != imp.nrows + imp.merged + imp.nerrors || imp.data_rows > CONTACT_IMPORT_MAX_ROWS)
        abort();
    for (size_t i = 0; i < imp.nrows; i++) {
        const char *phone = imp.rows[i].value[CONTACT_FIELD_PHONE];
        if (phone == NULL || !vx_is_e164(phone))
            abort();
        for (size_t j = 0; j < i; j++)
            if (strcmp(imp.rows[j].value[CONTACT_FIELD_PHONE], phone) == 0)
                abort();
    }
    check_json_array(&imp.merges);
    check_json_array(&imp.errors);
    vx_buf rows = VX_BUF_INIT;
    contact_import_rows_json(&imp, &rows);
    cJSON *a = cJSON_ParseWithLength(rows.data, rows.len);
    if (!cJSON_IsArray(a) || (size_t)cJSON_GetArraySize(a) != imp.nrows)
        abort();
    cJSON_Delete(a);
    vx_buf_free(&rows);
    contact_import_free(&imp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vx_buf written = VX_BUF_INIT;
    size_t records = read_and_write(data, size, &written);
    check_round_trip(data, size, &written, records);
    vx_buf_free(&written);
    check_import(data, size);
    return 0;
}
