/*
 * csv: reading and writing RFC 4180 CSV. Pure: no database, no logging, no
 * global state (what it refuses is the caller's input).
 *
 * Reading (csv_reader): records separated by CRLF, LF or a lone CR; fields
 * by ","; a field may be quoted ("a, b"), a quote inside one doubled
 * ("say ""hi"""), and a quoted field may hold separators and line breaks,
 * kept as they are. A UTF-8 byte order mark at the very start is skipped.
 * Each record says the physical line it starts on (1-based; a line break
 * inside a quoted field counts), so an error can name the line a person
 * sees in their editor. RFC 4180 to the letter where readers differ: a
 * blank line is a record of one empty field (the caller decides to skip
 * it), spaces around a field are part of it, and a file ending with a line
 * break has no empty record after it.
 *
 * What stops the reading (CSV_MALFORMED, with the line and a reason): a
 * quoted field never closed, anything but a separator or line break right
 * after a closing quote, a quote inside an unquoted field, invalid UTF-8,
 * or a NUL byte. A record with more fields than csv_limits.max_fields, or a
 * field longer than max_field_bytes, is CSV_OVERSIZED: skipped whole (its
 * line is reported) and the reading goes on.
 *
 * Memory: csv_reader_init allocates the field table (max_fields entries);
 * the record's text grows to the largest record read, at most about
 * max_fields * (max_field_bytes + 1) bytes. Nothing else is allocated.
 *
 * Writing (csv_write_field, csv_write_record): a field is quoted when it
 * holds a comma, a quote, CR or LF, or starts with a byte order mark;
 * records end with CRLF. Formula
 * injection (OWASP "CSV injection"): a field a spreadsheet would run as a
 * formula, starting with = + - @, a tab or CR, gets a leading single quote
 * ('=1+1), which spreadsheets show as text. So that reading back gives the
 * exact value, a field made of single quotes followed by one of those
 * characters gets one more quote (''=1), and csv_formula_prefix tells a
 * reader how many leading bytes (0 or 1) to drop: written then read, every
 * value comes back as it was.
 */
#ifndef DASHBOARD_CSV_H
#define DASHBOARD_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "vx_buf.h"

typedef struct csv_limits {
    size_t max_fields;      /* per record, >= 1 */
    size_t max_field_bytes; /* per field, after unquoting */
} csv_limits;

typedef enum {
    CSV_RECORD = 0,     /* a record was read into *rec */
    CSV_END = 1,        /* no record left */
    CSV_OVERSIZED = 2,  /* a record over the limits was skipped; rec->line says where it starts, reader.error why */
    CSV_MALFORMED = -1, /* not CSV: reader.error and reader.error_line say why and where; reading is over */
} csv_status;

/* One field: data points into the reader and is NUL-terminated (a field
 * never holds NUL), valid until the next csv_reader_next or csv_reader_free. */
typedef struct csv_field {
    const char *data;
    size_t len;
} csv_field;

typedef struct csv_record {
    size_t line; /* the physical line the record starts on, 1-based */
    size_t nfields;
    const csv_field *fields; /* nfields entries, owned by the reader */
} csv_record;

/* The reader's state: read error and error_line, the rest is its own. */
typedef struct csv_reader {
    const unsigned char *data; /* the input, not copied: must outlive the reader */
    size_t len;
    size_t pos;
    size_t line; /* the line at pos */
    csv_limits limits;
    vx_buf text;       /* the current record's fields, each followed by a NUL */
    size_t *starts;    /* where each field starts in text */
    csv_field *fields; /* the record handed out */
    bool done;         /* CSV_END or CSV_MALFORMED was answered: it is answered again */
    bool malformed;    /* which of the two */
    const char *error; /* static, after CSV_MALFORMED or CSV_OVERSIZED: what is wrong ("a quoted field is never closed") */
    size_t error_line; /* the line it is on */
} csv_reader;

/* Prepares r to read the len bytes at data. */
void csv_reader_init(csv_reader *r, const void *data, size_t len, const csv_limits *limits);
/* Reads the next record. After CSV_END or CSV_MALFORMED it answers the same again. */
csv_status csv_reader_next(csv_reader *r, csv_record *rec);
void csv_reader_free(csv_reader *r);

/* Appends s (len bytes) as one field: neutralised, quoted when needed. */
void csv_write_field(vx_buf *out, const char *s, size_t len);
/* Appends a record of n fields (a NULL field is empty), ended by CRLF. */
void csv_write_record(vx_buf *out, const char *const *fields, size_t n);
/* How many leading bytes of a field read back are the writer's neutralising quote: 1 or 0. */
size_t csv_formula_prefix(const char *s, size_t len);

#endif
