/*
 * csv: one pass over the input, byte by byte, with the line counted as it
 * goes (see csv.h). A record's fields are copied, unquoted, into one buffer
 * one after the other, each followed by a NUL; the table of fields is
 * filled once the record is whole, as the buffer may move while it grows.
 */
#include "csv.h"

#include <stdlib.h>
#include <string.h>

#include "vx_utf8.h"

/* UTF-8's byte order mark, which spreadsheets write before the header. */
static const char BOM[3] = {'\xef', '\xbb', '\xbf'};

void csv_reader_init(csv_reader *r, const void *data, size_t len, const csv_limits *limits)
{
    memset(r, 0, sizeof(*r));
    r->data = data;
    r->len = data != NULL ? len : 0;
    r->line = 1;
    r->limits = *limits;
    if (r->limits.max_fields == 0)
        r->limits.max_fields = 1;
    r->starts = calloc(r->limits.max_fields, sizeof(*r->starts));
    r->fields = calloc(r->limits.max_fields, sizeof(*r->fields));
    if (r->starts == NULL || r->fields == NULL)
        abort();
    if (r->len >= 3 && memcmp(r->data, BOM, 3) == 0)
        r->pos = 3;
}

void csv_reader_free(csv_reader *r)
{
    vx_buf_free(&r->text);
    free(r->starts);
    free(r->fields);
    r->starts = NULL;
    r->fields = NULL;
}

static csv_status malformed(csv_reader *r, const char *why, size_t line)
{
    r->error = why;
    r->error_line = line;
    r->done = true;
    r->malformed = true;
    return CSV_MALFORMED;
}

/* The record being read: how many fields, how long the current one is, and
 * whether it went over a limit (then nothing more of it is kept). */
typedef struct record_state {
    size_t nfields;
    size_t field_len;
    bool oversized;
    const char *why; /* when oversized */
} record_state;

/* Keeps n bytes of the current field (unless the record is over a limit). */
static void keep(csv_reader *r, record_state *st, const void *bytes, size_t n)
{
    if (st->oversized)
        return;
    if (st->field_len + n > r->limits.max_field_bytes) {
        st->oversized = true;
        st->why = "a field is longer than the limit";
        return;
    }
    vx_buf_append(&r->text, bytes, n);
    st->field_len += n;
}

/* Takes the character at pos into the field: checks it is UTF-8 and no NUL.
 * Returns false (the error set) when it is neither. */
static bool take_char(csv_reader *r, record_state *st)
{
    const unsigned char *p = r->data + r->pos;
    if (*p == 0) {
        malformed(r, "the file holds a NUL byte", r->line);
        return false;
    }
    size_t k = *p < 0x80 ? 1 : vx_utf8_seq_len(p, r->len - r->pos);
    if (k == 0) {
        malformed(r, "the file is not UTF-8 text (save it as \"CSV UTF-8\")", r->line);
        return false;
    }
    keep(r, st, p, k);
    r->pos += k;
    return true;
}

/* Ends the current field: NUL-terminated, its start noted. */
static void end_field(csv_reader *r, record_state *st)
{
    if (!st->oversized) {
        if (st->nfields >= r->limits.max_fields) {
            st->oversized = true;
            st->why = "the row has more fields than the limit";
        } else {
            vx_buf_putc(&r->text, '\0');
            st->nfields++;
        }
    }
    st->field_len = 0;
}

/* Starts a field: where its text begins. */
static void begin_field(csv_reader *r, record_state *st)
{
    if (!st->oversized && st->nfields < r->limits.max_fields)
        r->starts[st->nfields] = r->text.len;
}

/* Past a line break at pos (CRLF, LF or CR): the line count follows. */
static void skip_line_break(csv_reader *r)
{
    if (r->data[r->pos] == '\r' && r->pos + 1 < r->len && r->data[r->pos + 1] == '\n')
        r->pos++;
    r->pos++;
    r->line++;
}

/* Reads a quoted field from pos (at its opening quote) to just after its closing quote. */
static bool read_quoted(csv_reader *r, record_state *st)
{
    size_t opened = r->line;
    r->pos++;
    for (;;) {
        if (r->pos >= r->len) {
            malformed(r, "a quoted field is never closed (a \" is missing)", opened);
            return false;
        }
        unsigned char c = r->data[r->pos];
        if (c == '"') {
            if (r->pos + 1 < r->len && r->data[r->pos + 1] == '"') {
                keep(r, st, "\"", 1);
                r->pos += 2;
                continue;
            }
            r->pos++;
            break;
        }
        if (c == '\r' || c == '\n') {
            /* Kept as written: CRLF stays CRLF. */
            size_t from = r->pos;
            skip_line_break(r);
            keep(r, st, r->data + from, r->pos - from);
            continue;
        }
        if (!take_char(r, st))
            return false;
    }
    if (r->pos < r->len && r->data[r->pos] != ',' && r->data[r->pos] != '\r' && r->data[r->pos] != '\n') {
        malformed(r, "text follows a closing quote (a quote inside a field must be doubled: \"\")", r->line);
        return false;
    }
    return true;
}

/* Reads an unquoted field from pos up to the separator, line break or end. */
static bool read_plain(csv_reader *r, record_state *st)
{
    while (r->pos < r->len) {
        unsigned char c = r->data[r->pos];
        if (c == ',' || c == '\r' || c == '\n')
            return true;
        if (c == '"') {
            malformed(r, "a quote inside an unquoted field (quote the whole field, and double the quote: \"\")", r->line);
            return false;
        }
        if (!take_char(r, st))
            return false;
    }
    return true;
}

csv_status csv_reader_next(csv_reader *r, csv_record *rec)
{
    memset(rec, 0, sizeof(*rec));
    if (r->done)
        return r->malformed ? CSV_MALFORMED : CSV_END;
    if (r->pos >= r->len) {
        r->done = true;
        return CSV_END;
    }
    vx_buf_reset(&r->text);
    record_state st = {0};
    rec->line = r->line;
    for (;;) {
        begin_field(r, &st);
        bool ok = r->pos < r->len && r->data[r->pos] == '"' ? read_quoted(r, &st) : read_plain(r, &st);
        if (!ok)
            return CSV_MALFORMED;
        end_field(r, &st);
        if (r->pos >= r->len)
            break;
        if (r->data[r->pos] == ',') {
            r->pos++;
            continue;
        }
        skip_line_break(r);
        break;
    }
    if (st.oversized) {
        r->error = st.why;
        r->error_line = rec->line;
        return CSV_OVERSIZED;
    }
    for (size_t i = 0; i < st.nfields; i++) {
        size_t end = i + 1 < st.nfields ? r->starts[i + 1] - 1 : r->text.len - 1;
        r->fields[i].data = r->text.data + r->starts[i];
        r->fields[i].len = end - r->starts[i];
    }
    rec->nfields = st.nfields;
    rec->fields = r->fields;
    return CSV_RECORD;
}

static bool formula_start(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

/* True when s is zero or more single quotes and then a formula's first character. */
static bool quotes_then_formula(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && s[i] == '\'')
        i++;
    return i < len && formula_start(s[i]);
}

size_t csv_formula_prefix(const char *s, size_t len)
{
    return len >= 2 && s[0] == '\'' && quotes_then_formula(s + 1, len - 1) ? 1 : 0;
}

void csv_write_field(vx_buf *out, const char *s, size_t len)
{
    if (s == NULL)
        len = 0;
    /* Quoted, a field starting with a byte order mark keeps it when it
     * starts the file (a reader skips only a mark at the very start). */
    bool quote = len >= 3 && memcmp(s, BOM, 3) == 0;
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (quote)
        vx_buf_putc(out, '"');
    if (quotes_then_formula(s, len))
        vx_buf_putc(out, '\'');
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') {
            vx_buf_append(out, s + from, i + 1 - from);
            vx_buf_putc(out, '"');
            from = i + 1;
        }
    }
    if (len > from)
        vx_buf_append(out, s + from, len - from);
    if (quote)
        vx_buf_putc(out, '"');
}

void csv_write_record(vx_buf *out, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            vx_buf_putc(out, ',');
        csv_write_field(out, fields[i], fields[i] != NULL ? strlen(fields[i]) : 0);
    }
    vx_buf_puts(out, "\r\n");
}
