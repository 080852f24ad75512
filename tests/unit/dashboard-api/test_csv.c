/*
 * Unit tests of services/dashboard-api/csv.c: RFC 4180 reading (quotes,
 * doubled quotes, CRLF / LF / CR, line breaks inside quotes and the line
 * each record starts on, the byte order mark, blank lines, what is
 * malformed, the limits) and writing (quoting, formula neutralisation, and
 * every value read back as written).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "csv.h"

static const csv_limits LIMITS = {.max_fields = 8, .max_field_bytes = 64};

/* Reads the next record of r; fails unless it is a record on line with
 * exactly the fields given (NULL-terminated). */
static void expect_record(csv_reader *r, size_t line, ...)
{
    csv_record rec;
    csv_status st = csv_reader_next(r, &rec);
    if (st != CSV_RECORD)
        fail_msg("expected a record on line %zu, got status %d (%s)", line, st, r->error != NULL ? r->error : "");
    assert_int_equal(rec.line, line);
    va_list ap;
    va_start(ap, line);
    size_t i = 0;
    for (const char *want = va_arg(ap, const char *); want != NULL; want = va_arg(ap, const char *), i++) {
        if (i >= rec.nfields)
            fail_msg("line %zu: only %zu fields, expected \"%s\" next", line, rec.nfields, want);
        if (rec.fields[i].len != strlen(want) || memcmp(rec.fields[i].data, want, rec.fields[i].len) != 0)
            fail_msg("line %zu field %zu: expected \"%s\", got \"%.*s\"", line, i, want, (int)rec.fields[i].len,
                     rec.fields[i].data);
        assert_int_equal(rec.fields[i].data[rec.fields[i].len], '\0');
    }
    va_end(ap);
    assert_int_equal(rec.nfields, i);
}

static void expect_end(csv_reader *r)
{
    csv_record rec;
    assert_int_equal(csv_reader_next(r, &rec), CSV_END);
    assert_int_equal(csv_reader_next(r, &rec), CSV_END);
}

/* Reads text until it is refused; fails unless it is malformed on line. */
static void expect_malformed(const char *text, size_t len, size_t line)
{
    csv_reader r;
    csv_reader_init(&r, text, len, &LIMITS);
    csv_record rec;
    csv_status st;
    int records = 0;
    while ((st = csv_reader_next(&r, &rec)) == CSV_RECORD || st == CSV_OVERSIZED)
        assert_true(++records < 100);
    if (st != CSV_MALFORMED)
        fail_msg("accepted %.*s", (int)len, text);
    assert_non_null(r.error);
    if (r.error_line != line)
        fail_msg("%.*s: malformed on line %zu, expected %zu (%s)", (int)len, text, r.error_line, line, r.error);
    /* Once malformed, always malformed. */
    assert_int_equal(csv_reader_next(&r, &rec), CSV_MALFORMED);
    csv_reader_free(&r);
}

static void test_plain_records_and_line_ends(void **state)
{
    static const char text[] = "a,b,c\r\nd,e,f\ng,h,i\rj,,\r\n,k";
    csv_reader r;
    csv_reader_init(&r, text, strlen(text), &LIMITS);
    expect_record(&r, 1, "a", "b", "c", NULL);
    expect_record(&r, 2, "d", "e", "f", NULL);
    expect_record(&r, 3, "g", "h", "i", NULL);
    expect_record(&r, 4, "j", "", "", NULL);
    expect_record(&r, 5, "", "k", NULL); /* the last record needs no line break */
    expect_end(&r);
    csv_reader_free(&r);

    /* A final line break ends the last record; it starts no empty one. */
    csv_reader_init(&r, "x\r\n", 3, &LIMITS);
    expect_record(&r, 1, "x", NULL);
    expect_end(&r);
    csv_reader_free(&r);

    /* Spaces are part of a field (RFC 4180). */
    csv_reader_init(&r, " a , b ", 7, &LIMITS);
    expect_record(&r, 1, " a ", " b ", NULL);
    expect_end(&r);
    csv_reader_free(&r);
}

static void test_empty_input_and_blank_lines(void **state)
{
    csv_reader r;
    csv_reader_init(&r, "", 0, &LIMITS);
    expect_end(&r);
    csv_reader_free(&r);
    csv_reader_init(&r, NULL, 5, &LIMITS);
    expect_end(&r);
    csv_reader_free(&r);

    /* A blank line is one empty field, and it counts as a line. */
    static const char text[] = "h1,h2\n\r\n\nv1,v2\n\n";
    csv_reader_init(&r, text, strlen(text), &LIMITS);
    expect_record(&r, 1, "h1", "h2", NULL);
    expect_record(&r, 2, "", NULL);
    expect_record(&r, 3, "", NULL);
    expect_record(&r, 4, "v1", "v2", NULL);
    expect_record(&r, 5, "", NULL);
    expect_end(&r);
    csv_reader_free(&r);
}

static void test_quoted_fields(void **state)
{
    static const char text[] = "\"a,b\",\"say \"\"hi\"\"\",\"\",\"\"\"\"\r\n"
                               "\"multi\r\nline\",x\n"
                               "\"lf\nonly\nthree\",\"cr\ralone\"\n"
                               "after,\"end\"";
    csv_reader r;
    csv_reader_init(&r, text, strlen(text), &LIMITS);
    expect_record(&r, 1, "a,b", "say \"hi\"", "", "\"", NULL);
    /* Line breaks inside quotes are kept as written, and counted. */
    expect_record(&r, 2, "multi\r\nline", "x", NULL);
    expect_record(&r, 4, "lf\nonly\nthree", "cr\ralone", NULL);
    expect_record(&r, 8, "after", "end", NULL);
    expect_end(&r);
    csv_reader_free(&r);

    /* A quoted empty field at the end, and a quoted field then a separator then nothing. */
    csv_reader_init(&r, "\"\"\n\"a\",", 7, &LIMITS);
    expect_record(&r, 1, "", NULL);
    expect_record(&r, 2, "a", "", NULL);
    expect_end(&r);
    csv_reader_free(&r);
}

static void test_byte_order_mark(void **state)
{
    static const char text[] = "\xef\xbb\xbfphone,name\n+15551234567,\xef\xbb\xbfx\n";
    csv_reader r;
    csv_reader_init(&r, text, strlen(text), &LIMITS);
    expect_record(&r, 1, "phone", "name", NULL);
    /* Only at the very start: elsewhere it is text. */
    expect_record(&r, 2, "+15551234567", "\xef\xbb\xbfx", NULL);
    expect_end(&r);
    csv_reader_free(&r);

    csv_reader_init(&r, "\xef\xbb\xbf", 3, &LIMITS);
    expect_end(&r);
    csv_reader_free(&r);
}

static void test_utf8_text_is_kept(void **state)
{
    static const char text[] = "Zoë,Łukasz,日本,😀\n";
    csv_reader r;
    csv_reader_init(&r, text, strlen(text), &LIMITS);
    expect_record(&r, 1, "Zoë", "Łukasz", "日本", "😀", NULL);
    expect_end(&r);
    csv_reader_free(&r);
}

static void test_malformed_files(void **state)
{
    /* A quote never closed: the line it opened on. */
    expect_malformed("a,b\nc,\"open\nstill\nopen", 22, 2);
    expect_malformed("\"", 1, 1);
    expect_malformed("a\n\n\n\"x\"\"", 8, 4);
    /* Text after a closing quote. */
    expect_malformed("\"a\"b,c\n", 7, 1);
    expect_malformed("x\n\"a\" ,c\n", 9, 2);
    expect_malformed("\"two\nlines\"x\n", 13, 2);
    /* A quote inside an unquoted field. */
    expect_malformed("a,b\nab\"c,d\n", 11, 2);
    expect_malformed("a\"", 2, 1);
    /* Not UTF-8: a Latin-1 byte, a lone continuation, an overlong form, a
     * surrogate, a sequence cut by the end of the file; also inside quotes. */
    expect_malformed("ok\nZo\xeb\n", 7, 2);
    expect_malformed("\x80", 1, 1);
    expect_malformed("\xc0\xaf", 2, 1);
    expect_malformed("\xed\xa0\x80", 3, 1);
    expect_malformed("a,\xe6\x97", 4, 1);
    expect_malformed("\"a\nb\xff\"", 6, 2);
    /* A NUL byte, anywhere. */
    expect_malformed("a,b\0c\n", 6, 1);
    expect_malformed("\"x\n\0\"", 5, 2);
}

static void test_limits(void **state)
{
    const csv_limits small = {.max_fields = 3, .max_field_bytes = 5};
    static const char text[] = "12345,a,b\n"         /* at the limits: read */
                               "123456,a\n"          /* a field one byte too long */
                               "a,b,c,d\n"           /* one field too many */
                               "\"1234\n67\",x\n"    /* too long, with a line break inside */
                               "\"12\"\"45\",\"\"\n" /* 5 bytes once unquoted */
                               "last\n";
    csv_reader r;
    csv_reader_init(&r, text, strlen(text), &small);
    expect_record(&r, 1, "12345", "a", "b", NULL);
    csv_record rec;
    assert_int_equal(csv_reader_next(&r, &rec), CSV_OVERSIZED);
    assert_int_equal(rec.line, 2);
    assert_int_equal(rec.nfields, 0);
    assert_non_null(strstr(r.error, "longer"));
    assert_int_equal(csv_reader_next(&r, &rec), CSV_OVERSIZED);
    assert_int_equal(rec.line, 3);
    assert_non_null(strstr(r.error, "more fields"));
    assert_int_equal(csv_reader_next(&r, &rec), CSV_OVERSIZED);
    assert_int_equal(rec.line, 4);
    expect_record(&r, 6, "12\"45", "", NULL);
    expect_record(&r, 7, "last", NULL);
    expect_end(&r);
    csv_reader_free(&r);

    /* An oversized record is still checked: malformed after the limit is malformed. */
    csv_reader_init(&r, "123456\xff\n", 8, &small);
    assert_int_equal(csv_reader_next(&r, &rec), CSV_MALFORMED);
    csv_reader_free(&r);

    /* max_fields 0 is taken as 1. */
    const csv_limits zero = {.max_fields = 0, .max_field_bytes = 5};
    csv_reader_init(&r, "a\nb,c\n", 6, &zero);
    expect_record(&r, 1, "a", NULL);
    assert_int_equal(csv_reader_next(&r, &rec), CSV_OVERSIZED);
    expect_end(&r);
    csv_reader_free(&r);
}

/* What csv_write_field makes of s. */
static void expect_written(const char *s, const char *want)
{
    vx_buf out = VX_BUF_INIT;
    csv_write_field(&out, s, s != NULL ? strlen(s) : 0);
    if (strcmp(out.data != NULL ? out.data : "", want) != 0)
        fail_msg("wrote \"%s\" as [%s], expected [%s]", s != NULL ? s : "(null)", out.data, want);
    vx_buf_free(&out);
}

static void test_writer_quotes_when_needed(void **state)
{
    expect_written("plain", "plain");
    expect_written("", "");
    expect_written(NULL, "");
    expect_written("a,b", "\"a,b\"");
    expect_written("say \"hi\"", "\"say \"\"hi\"\"\"");
    expect_written("two\nlines", "\"two\nlines\"");
    expect_written("cr\r\nlf", "\"cr\r\nlf\"");
    expect_written(" spaced ", " spaced ");
    expect_written("Zoë", "Zoë");
    expect_written("\xef\xbb\xbfmark", "\"\xef\xbb\xbfmark\"");

    vx_buf out = VX_BUF_INIT;
    const char *fields[] = {"a", NULL, "b,c", ""};
    csv_write_record(&out, fields, 4);
    csv_write_record(&out, fields, 1);
    assert_string_equal(out.data, "a,,\"b,c\",\r\na\r\n");
    vx_buf_free(&out);
}

static void test_writer_neutralises_formulas(void **state)
{
    /* OWASP's list: = + - @, tab and CR. */
    expect_written("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"");
    expect_written("=1+1", "'=1+1");
    expect_written("+15551234567", "'+15551234567");
    expect_written("-2", "'-2");
    expect_written("@SUM(A1)", "'@SUM(A1)");
    expect_written("\tx", "'\tx");
    expect_written("\rx", "\"'\rx\"");
    expect_written("=1,2", "\"'=1,2\"");
    /* Inside a value they do nothing. */
    expect_written("a=b", "a=b");
    expect_written("x+1", "x+1");
    /* A value that already looks neutralised gets one more quote, so it reads back as it was. */
    expect_written("'=1", "''=1");
    expect_written("''+1", "'''+1");
    /* A single quote before anything else is plain text. */
    expect_written("'quoted'", "'quoted'");
    expect_written("'", "'");

    assert_int_equal(csv_formula_prefix("'=1", 3), 1);
    assert_int_equal(csv_formula_prefix("''=1", 4), 1);
    assert_int_equal(csv_formula_prefix("'+1555", 6), 1);
    assert_int_equal(csv_formula_prefix("'\t", 2), 1);
    assert_int_equal(csv_formula_prefix("=1", 2), 0);
    assert_int_equal(csv_formula_prefix("'abc", 4), 0);
    assert_int_equal(csv_formula_prefix("'", 1), 0);
    assert_int_equal(csv_formula_prefix("''", 2), 0);
    assert_int_equal(csv_formula_prefix("", 0), 0);
}

static void test_round_trip(void **state)
{
    /* The first starts the file: a byte order mark there must stay data. */
    static const char *const values[] = {
        "\xef\xbb\xbfmark",
        "plain",
        "",
        "a,b",
        "\"",
        "\"\"",
        "say \"hi\"",
        "two\r\nlines",
        "lf\nonly",
        "cr\ronly",
        "=1+1",
        "+15551234567",
        "-",
        "@x",
        "\tTab",
        "'",
        "'=1",
        "''=1",
        "'plain",
        "Zoë 日本 😀",
        ",",
        " lead and trail ",
        "\r",
        "\n\n",
    };
    const size_t n = sizeof(values) / sizeof(values[0]);
    const csv_limits limits = {.max_fields = 4, .max_field_bytes = 64};
    vx_buf out = VX_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        const char *record[3] = {values[i], values[(i + 1) % n], values[(i + 7) % n]};
        csv_write_record(&out, record, 3);
    }
    csv_reader r;
    csv_reader_init(&r, out.data, out.len, &limits);
    for (size_t i = 0; i < n; i++) {
        csv_record rec;
        assert_int_equal(csv_reader_next(&r, &rec), CSV_RECORD);
        assert_int_equal(rec.nfields, 3);
        const char *want[3] = {values[i], values[(i + 1) % n], values[(i + 7) % n]};
        for (size_t f = 0; f < 3; f++) {
            size_t skip = csv_formula_prefix(rec.fields[f].data, rec.fields[f].len);
            const char *got = rec.fields[f].data + skip;
            size_t got_len = rec.fields[f].len - skip;
            if (got_len != strlen(want[f]) || memcmp(got, want[f], got_len) != 0)
                fail_msg("record %zu field %zu: wrote [%s], read [%.*s]", i, f, want[f], (int)got_len, got);
        }
    }
    expect_end(&r);
    csv_reader_free(&r);
    vx_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_records_and_line_ends),
        cmocka_unit_test(test_empty_input_and_blank_lines),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_byte_order_mark),
        cmocka_unit_test(test_utf8_text_is_kept),
        cmocka_unit_test(test_malformed_files),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_writer_quotes_when_needed),
        cmocka_unit_test(test_writer_neutralises_formulas),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
