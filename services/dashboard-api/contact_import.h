/*
 * contact_import: a CSV file of contacts (POST /api/contacts/import) read
 * into the rows to store, the rows merged and the rows refused. Pure: no
 * database, no logging; what it refuses is the caller's input.
 *
 * The file (csv.h: RFC 4180, UTF-8, an optional byte order mark):
 *   - the first non-blank record is the header. Its names are matched
 *     without regard to case, surrounding spaces, or " " / "-" for "_":
 *       first_name, last_name,
 *       name or contact_name   "Ann Lee": split at the first space into
 *                              first and last name, used only in a row
 *                              whose first_name and last_name are blank,
 *       phone or phone_number  required (the column; a row without one is
 *                              a row error),
 *       email, notes, lead_status.
 *     Any other name, a name given twice (phone and phone_number too) or no
 *     phone column refuses the whole file: a typo never silently drops a
 *     column's data.
 *   - then at most CONTACT_IMPORT_MAX_ROWS data rows. Blank rows (every cell
 *     white space) are skipped and not counted.
 * Each row is checked as a contact created through the API would be
 * (contact_fields.h: E.164 phone, email, lengths, lead_status values); a
 * blank cell is "not given". A cell the export neutralised against formula
 * injection ('+15551234567, csv.h) is read back without its quote.
 *
 * Outcomes:
 *   - the whole file refused (-1, *ref): 400 malformed_csv (with the line),
 *     empty_file, invalid_header, unknown_column, duplicate_column,
 *     missing_column; 413 too_many_rows. Nothing is to be stored.
 *   - accepted (0): the valid rows, one per phone number: a later row with
 *     a number seen earlier is merged into the first (its non-blank cells
 *     win) and listed in merges; each invalid row is listed in errors with
 *     its line (the physical line it starts on, the header being line 1 in
 *     a file without blank lines before it) and a code: wrong_field_count,
 *     row_too_large, invalid_field, missing_field.
 */
#ifndef DASHBOARD_CONTACT_IMPORT_H
#define DASHBOARD_CONTACT_IMPORT_H

#include <stddef.h>

#include "contact_fields.h"
#include "vx_buf.h"

#define CONTACT_IMPORT_MAX_ROWS 10000
/* A cell's limit, in bytes: a note's 2000 characters of up to 4 bytes each. */
#define CONTACT_IMPORT_MAX_CELL_BYTES 8192
/* A header with more columns than this cannot be ours (it names a column twice or an unknown one). */
#define CONTACT_IMPORT_MAX_COLUMNS 64

typedef struct contact_import {
    contact_fields *rows; /* nrows valid rows, one per phone number, in the order first seen */
    size_t *lines;        /* the line of each row's first record */
    size_t nrows;
    size_t cap;
    size_t data_rows; /* records read below the header, blank ones not counted */
    size_t merged;    /* rows merged into an earlier one */
    size_t nerrors;
    vx_buf merges;   /* the JSON array's items: {"line":12,"into":3},… */
    vx_buf errors;   /* the JSON array's items: {"line":7,"code":"invalid_field","error":"…"},… */
    unsigned *slots; /* phone → row + 1: an open-addressing table */
} contact_import;

typedef struct contact_import_refusal {
    unsigned status;  /* 400 or 413 */
    const char *code; /* static */
    char message[400];
    size_t line; /* the line at fault, 0 when none */
} contact_import_refusal;

/* Reads the len bytes of csv into *out, which the caller frees with
 * contact_import_free whatever the outcome. Returns 0, or -1 with *ref filled. */
int contact_import_parse(const void *csv, size_t len, contact_import *out, contact_import_refusal *ref);
void contact_import_free(contact_import *imp);

/* Appends the rows as one JSON array of objects with the column names
 * (first_name, last_name, phone, email, notes, lead_status; a blank cell
 * null): the import statement's parameter. */
void contact_import_rows_json(const contact_import *imp, vx_buf *out);

#endif
