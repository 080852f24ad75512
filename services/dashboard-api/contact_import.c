/*
 * contact_import: header, rows, merges (see contact_import.h).
 *
 * Each row is checked by contact_fields_parse itself, fed the row's
 * non-blank cells as the JSON object a create request would send: one set
 * of rules for a contact, whichever way it arrives.
 */
#include "contact_import.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "vx_validate.h"

/* The header's columns. */
typedef enum { COL_FIRST_NAME, COL_LAST_NAME, COL_NAME, COL_PHONE, COL_EMAIL, COL_NOTES, COL_LEAD_STATUS, COL_COUNT } column;

static const struct {
    const char *name;
    column col;
} COLUMN_NAMES[] = {
    {"first_name", COL_FIRST_NAME}, {"last_name", COL_LAST_NAME}, {"name", COL_NAME},
    {"contact_name", COL_NAME},     {"phone", COL_PHONE},         {"phone_number", COL_PHONE},
    {"email", COL_EMAIL},           {"notes", COL_NOTES},         {"lead_status", COL_LEAD_STATUS},
};

/* The contact field each column fills (COL_NAME fills two: see split_name). */
static const contact_field FIELD_OF[COL_COUNT] = {
    [COL_FIRST_NAME] = CONTACT_FIELD_FIRST_NAME,
    [COL_LAST_NAME] = CONTACT_FIELD_LAST_NAME,
    [COL_NAME] = CONTACT_FIELD_COUNT,
    [COL_PHONE] = CONTACT_FIELD_PHONE,
    [COL_EMAIL] = CONTACT_FIELD_EMAIL,
    [COL_NOTES] = CONTACT_FIELD_NOTES,
    [COL_LEAD_STATUS] = CONTACT_FIELD_LEAD_STATUS,
};

#define COLUMNS_KNOWN "first_name, last_name, name (or contact_name), phone (or phone_number), email, notes, lead_status"

/* Twice the rows at most, a power of two: probes stay short. */
#define SLOTS 32768u

static int refuse(contact_import_refusal *ref, unsigned status, const char *code, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int refuse(contact_import_refusal *ref, unsigned status, const char *code, size_t line, const char *fmt, ...)
{
    ref->status = status;
    ref->code = code;
    ref->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ref->message, sizeof(ref->message), fmt, ap);
    va_end(ap);
    return -1;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!vx_is_space((unsigned char)s[i]))
            return false;
    return true;
}

static bool record_blank(const csv_record *rec)
{
    for (size_t i = 0; i < rec->nfields; i++)
        if (!blank(rec->fields[i].data, rec->fields[i].len))
            return false;
    return true;
}

/* A header cell as matched: trimmed, lower case, " " and "-" as "_";
 * "" when longer than any name could be. */
static void header_key(const csv_field *f, char out[32])
{
    const char *s;
    size_t n;
    vx_trim(f->data, f->len, &s, &n);
    if (n >= 32) {
        out[0] = '\0';
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        out[i] = c == ' ' || c == '-' ? '_' : c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    out[n] = '\0';
}

/* The cell as the answer may show it: printable ASCII, at most 64 bytes. */
static void printable(const csv_field *f, char out[68])
{
    size_t o = 0;
    for (size_t i = 0; i < f->len && o < 64; i++) {
        unsigned char c = (unsigned char)f->data[i];
        out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (f->len > 64) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* Reads the header into col_of (the column of each position). */
static int read_header(const csv_record *rec, column *col_of, contact_import_refusal *ref)
{
    int seen[COL_COUNT];
    for (int c = 0; c < COL_COUNT; c++)
        seen[c] = -1;
    for (size_t i = 0; i < rec->nfields; i++) {
        char key[32], shown[68];
        header_key(&rec->fields[i], key);
        int col = -1;
        for (size_t k = 0; k < sizeof(COLUMN_NAMES) / sizeof(COLUMN_NAMES[0]) && col < 0; k++)
            if (strcmp(key, COLUMN_NAMES[k].name) == 0)
                col = (int)COLUMN_NAMES[k].col;
        if (col < 0) {
            printable(&rec->fields[i], shown);
            if (blank(rec->fields[i].data, rec->fields[i].len))
                return refuse(ref, 400, "unknown_column", rec->line,
                              "Column %zu of the header has no name. The columns are " COLUMNS_KNOWN ". Nothing was imported.",
                              i + 1);
            return refuse(ref, 400, "unknown_column", rec->line,
                          "Unknown column \"%s\" (column %zu). The columns are " COLUMNS_KNOWN ". Nothing was imported.", shown,
                          i + 1);
        }
        if (seen[col] >= 0)
            return refuse(ref, 400, "duplicate_column", rec->line,
                          "Columns %d and %zu of the header are the same column (phone and phone_number, name and contact_name "
                          "count as one). Nothing was imported.",
                          seen[col] + 1, i + 1);
        seen[col] = (int)i;
        col_of[i] = (column)col;
    }
    if (seen[COL_PHONE] < 0)
        return refuse(
            ref, 400, "missing_column", rec->line,
            "The header has no phone column (phone or phone_number): every contact needs a number. Nothing was imported.");
    return 0;
}

static void add_error(contact_import *imp, size_t line, const char *code, const char *message)
{
    vx_buf_printf(&imp->errors, "%s{\"line\":%zu,\"code\":", imp->nerrors > 0 ? "," : "", line);
    vx_buf_json_string(&imp->errors, code, strlen(code));
    vx_buf_puts(&imp->errors, ",\"error\":");
    vx_buf_json_string(&imp->errors, message, strlen(message));
    vx_buf_putc(&imp->errors, '}');
    imp->nerrors++;
}

/* Appends "key":"value" to the row's JSON object. */
static void put_member(vx_buf *json, const char *key, const char *value, size_t len)
{
    vx_buf_putc(json, json->len == 0 ? '{' : ',');
    vx_buf_json_string(json, key, strlen(key));
    vx_buf_putc(json, ':');
    vx_buf_json_string(json, value, len);
}

/* A cell without the export's neutralising quote. */
static csv_field cell(const csv_field *f)
{
    size_t skip = csv_formula_prefix(f->data, f->len);
    return (csv_field){f->data + skip, f->len - skip};
}

/* "Ann Lee" → first "Ann", last "Lee" (the rest after the first white
 * space, "Mary Ann Lee" → "Mary", "Ann Lee"); a single word is a first name. */
static void split_name(const csv_field *name, vx_buf *json)
{
    const char *s = name->data;
    size_t n = name->len;
    while (n > 0 && vx_is_space((unsigned char)*s)) {
        s++;
        n--;
    }
    size_t first = 0;
    while (first < n && !vx_is_space((unsigned char)s[first]))
        first++;
    if (first > 0)
        put_member(json, "first_name", s, first);
    if (first < n && !blank(s + first, n - first))
        put_member(json, "last_name", s + first, n - first);
}

/* The row's JSON object, as a create request would send it: its non-blank cells. */
static void row_json(const csv_record *rec, const column *col_of, vx_buf *json)
{
    vx_buf_reset(json);
    const csv_field *name = NULL;
    bool has_name = false;
    for (size_t i = 0; i < rec->nfields; i++) {
        csv_field f = cell(&rec->fields[i]);
        if (blank(f.data, f.len))
            continue;
        column col = col_of[i];
        if (col == COL_NAME) {
            name = &rec->fields[i];
            continue;
        }
        has_name = has_name || col == COL_FIRST_NAME || col == COL_LAST_NAME;
        put_member(json, contact_fields_name(FIELD_OF[col]), f.data, f.len);
    }
    if (name != NULL && !has_name) {
        csv_field f = cell(name);
        split_name(&f, json);
    }
    if (json->len == 0)
        vx_buf_putc(json, '{');
    vx_buf_putc(json, '}');
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Adds the row f (taken over: *f is left empty), or merges it into the earlier row with its phone. */
static void add_row(contact_import *imp, contact_fields *f, size_t line)
{
    const char *phone = f->value[CONTACT_FIELD_PHONE];
    uint32_t at = hash(phone) & (SLOTS - 1);
    while (imp->slots[at] != 0) {
        contact_fields *earlier = &imp->rows[imp->slots[at] - 1];
        if (strcmp(earlier->value[CONTACT_FIELD_PHONE], phone) == 0) {
            for (int i = 0; i < CONTACT_FIELD_COUNT; i++) {
                if (f->value[i] == NULL)
                    continue;
                free(earlier->value[i]);
                earlier->value[i] = f->value[i];
                earlier->given[i] = true;
                f->value[i] = NULL;
            }
            contact_fields_free(f);
            vx_buf_printf(&imp->merges, "%s{\"line\":%zu,\"into\":%zu}", imp->merged > 0 ? "," : "", line,
                          imp->lines[imp->slots[at] - 1]);
            imp->merged++;
            return;
        }
        at = (at + 1) & (SLOTS - 1);
    }
    if (imp->nrows == imp->cap) {
        imp->cap = imp->cap == 0 ? 256 : imp->cap * 2;
        imp->rows = realloc(imp->rows, imp->cap * sizeof(*imp->rows));
        imp->lines = realloc(imp->lines, imp->cap * sizeof(*imp->lines));
        if (imp->rows == NULL || imp->lines == NULL)
            abort();
    }
    imp->rows[imp->nrows] = *f;
    imp->lines[imp->nrows] = line;
    imp->nrows++;
    imp->slots[at] = (unsigned)imp->nrows;
    memset(f, 0, sizeof(*f));
}

static void read_row(contact_import *imp, const csv_record *rec, const column *col_of, size_t ncolumns, vx_buf *json)
{
    if (rec->nfields != ncolumns) {
        char msg[120];
        snprintf(msg, sizeof(msg), "The row has %zu field%s; the header has %zu columns.", rec->nfields,
                 rec->nfields == 1 ? "" : "s", ncolumns);
        add_error(imp, rec->line, "wrong_field_count", msg);
        return;
    }
    row_json(rec, col_of, json);
    contact_fields f;
    contact_fields_error err;
    if (contact_fields_parse(json->data, json->len, CONTACT_FIELDS_CREATE, &f, &err) != 0) {
        add_error(imp, rec->line, err.code, err.message);
        contact_fields_free(&f);
        return;
    }
    add_row(imp, &f, rec->line);
}

int contact_import_parse(const void *csv, size_t len, contact_import *out, contact_import_refusal *ref)
{
    memset(out, 0, sizeof(*out));
    memset(ref, 0, sizeof(*ref));
    out->slots = calloc(SLOTS, sizeof(*out->slots));
    if (out->slots == NULL)
        abort();
    const csv_limits limits = {.max_fields = CONTACT_IMPORT_MAX_COLUMNS, .max_field_bytes = CONTACT_IMPORT_MAX_CELL_BYTES};
    csv_reader r;
    csv_reader_init(&r, csv, len, &limits);
    column col_of[CONTACT_IMPORT_MAX_COLUMNS];
    size_t ncolumns = 0;
    vx_buf json = VX_BUF_INIT;
    int rc = 0;
    for (;;) {
        csv_record rec;
        csv_status st = csv_reader_next(&r, &rec);
        if (st == CSV_END) {
            if (ncolumns == 0)
                rc = refuse(ref, 400, "empty_file", 0, "The file is empty: it needs a header row (" COLUMNS_KNOWN ") and rows.");
            break;
        }
        if (st == CSV_MALFORMED) {
            rc = refuse(ref, 400, "malformed_csv", r.error_line, "The file is not valid CSV: %s (line %zu). Nothing was imported.",
                        r.error, r.error_line);
            break;
        }
        if (ncolumns == 0) {
            if (st == CSV_OVERSIZED) {
                rc = refuse(ref, 400, "invalid_header", rec.line,
                            "The header row is too large: %s. The columns are " COLUMNS_KNOWN ". Nothing was imported.", r.error);
                break;
            }
            if (record_blank(&rec))
                continue;
            if ((rc = read_header(&rec, col_of, ref)) != 0)
                break;
            ncolumns = rec.nfields;
            continue;
        }
        if (st == CSV_RECORD && record_blank(&rec))
            continue;
        if (++out->data_rows > CONTACT_IMPORT_MAX_ROWS) {
            rc = refuse(ref, 413, "too_many_rows", rec.line,
                        "The file has more than %d rows: split it into files of at most %d rows. Nothing was imported.",
                        CONTACT_IMPORT_MAX_ROWS, CONTACT_IMPORT_MAX_ROWS);
            break;
        }
        if (st == CSV_OVERSIZED) {
            char msg[160];
            snprintf(msg, sizeof(msg), "The row is too large: %s (%d bytes a cell, %d cells).", r.error,
                     CONTACT_IMPORT_MAX_CELL_BYTES, CONTACT_IMPORT_MAX_COLUMNS);
            add_error(out, rec.line, "row_too_large", msg);
            continue;
        }
        read_row(out, &rec, col_of, ncolumns, &json);
    }
    vx_buf_free(&json);
    csv_reader_free(&r);
    return rc;
}

void contact_import_free(contact_import *imp)
{
    for (size_t i = 0; i < imp->nrows; i++)
        contact_fields_free(&imp->rows[i]);
    free(imp->rows);
    free(imp->lines);
    free(imp->slots);
    vx_buf_free(&imp->merges);
    vx_buf_free(&imp->errors);
    memset(imp, 0, sizeof(*imp));
}

void contact_import_rows_json(const contact_import *imp, vx_buf *out)
{
    vx_buf_putc(out, '[');
    for (size_t i = 0; i < imp->nrows; i++) {
        if (i > 0)
            vx_buf_putc(out, ',');
        contact_fields_patch_json(&imp->rows[i], out);
    }
    vx_buf_putc(out, ']');
}
