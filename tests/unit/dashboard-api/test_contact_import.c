/*
 * Unit tests of services/dashboard-api/contact_import.c: the header's
 * names, files refused whole and with which code and line, per-row errors
 * with their lines, rows merged by phone, names split, the row limit, and
 * the rows' JSON parameter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "contact_import.h"

/* Parses text; fails unless it is accepted. The caller frees *imp. */
static void accept(const char *text, contact_import *imp)
{
    contact_import_refusal ref;
    if (contact_import_parse(text, strlen(text), imp, &ref) != 0)
        fail_msg("refused: %u %s line %zu: %s", ref.status, ref.code, ref.line, ref.message);
}

/* Fails unless text (len bytes) is refused with status, code and line. */
static void refuse_n(const char *text, size_t len, unsigned status, const char *code, size_t line)
{
    contact_import imp;
    contact_import_refusal ref;
    int rc = contact_import_parse(text, len, &imp, &ref);
    contact_import_free(&imp);
    if (rc == 0)
        fail_msg("accepted %.*s", (int)(len > 200 ? 200 : len), text);
    if (ref.status != status || strcmp(ref.code, code) != 0 || ref.line != line)
        fail_msg("%.*s: expected %u %s line %zu, got %u %s line %zu (%s)", (int)(len > 200 ? 200 : len), text, status, code, line,
                 ref.status, ref.code, ref.line, ref.message);
    assert_true(ref.message[0] != '\0');
}

static void refuse(const char *text, unsigned status, const char *code, size_t line)
{
    refuse_n(text, strlen(text), status, code, line);
}

/* The JSON array of items (merges or errors), parsed. */
static cJSON *items(const vx_buf *b)
{
    char *text = malloc(b->len + 3);
    assert_non_null(text);
    snprintf(text, b->len + 3, "[%s]", b->len > 0 ? b->data : "");
    cJSON *a = cJSON_Parse(text);
    free(text);
    assert_true(cJSON_IsArray(a));
    return a;
}

/* Fails unless the errors are exactly these lines with these codes ("7:invalid_field,9:wrong_field_count"). */
static void expect_errors(const contact_import *imp, const char *want)
{
    cJSON *a = items(&imp->errors);
    vx_buf got = VX_BUF_INIT;
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "error");
        assert_true(cJSON_IsString(msg) && msg->valuestring[0] != '\0');
        vx_buf_printf(&got, "%s%d:%s", got.len > 0 ? "," : "", cJSON_GetObjectItemCaseSensitive(e, "line")->valueint,
                      cJSON_GetObjectItemCaseSensitive(e, "code")->valuestring);
    }
    if (strcmp(got.data != NULL ? got.data : "", want) != 0)
        fail_msg("errors: expected [%s], got [%s]", want, got.data != NULL ? got.data : "");
    assert_int_equal((size_t)cJSON_GetArraySize(a), imp->nerrors);
    vx_buf_free(&got);
    cJSON_Delete(a);
}

/* The value of field f in row i ("" for NULL). */
static const char *val(const contact_import *imp, size_t i, contact_field f)
{
    assert_true(i < imp->nrows);
    return imp->rows[i].value[f] != NULL ? imp->rows[i].value[f] : "";
}

static void test_header_names_and_aliases(void **state)
{
    contact_import imp;
    refuse("First Name,phone,E-mail\n", 400, "unknown_column", 1); /* e_mail is no column */
    accept("first_name,last_name,phone_number,email,notes,lead_status\n"
           "Ann,Lee,+1 (555) 123-4567,ann@example.com,likes mornings,qualified\n",
           &imp);
    assert_int_equal(imp.nrows, 1);
    assert_int_equal(imp.data_rows, 1);
    assert_string_equal(val(&imp, 0, CONTACT_FIELD_FIRST_NAME), "Ann");
    assert_string_equal(val(&imp, 0, CONTACT_FIELD_LAST_NAME), "Lee");
    assert_string_equal(val(&imp, 0, CONTACT_FIELD_PHONE), "+15551234567");
    assert_string_equal(val(&imp, 0, CONTACT_FIELD_EMAIL), "ann@example.com");
    assert_string_equal(val(&imp, 0, CONTACT_FIELD_NOTES), "likes mornings");
    assert_string_equal(val(&imp, 0, CONTACT_FIELD_LEAD_STATUS), "qualified");
    assert_int_equal(imp.lines[0], 2);
    contact_import_free(&imp);

    /* Case, spaces and dashes do not matter, nor a byte order mark; phone alone is enough. */
    accept("\xef\xbb\xbf PHONE \r\n+15551234567\r\n", &imp);
    assert_int_equal(imp.nrows, 1);
    contact_import_free(&imp);
    accept("Phone Number,First-Name\n+15551234567,Jo\n", &imp);
    assert_string_equal(val(&imp, 0, CONTACT_FIELD_FIRST_NAME), "Jo");
    contact_import_free(&imp);
}

static void test_files_refused_whole(void **state)
{
    refuse("", 400, "empty_file", 0);
    refuse("\n\r\n , \n", 400, "empty_file", 0);
    refuse("\xef\xbb\xbf", 400, "empty_file", 0);
    refuse("phone,fist_name\n+15551234567,Jo\n", 400, "unknown_column", 1);
    refuse("\n\nphone,lead_tier\n", 400, "unknown_column", 3);
    refuse("phone,first_name,\n+15551234567,Jo,\n", 400, "unknown_column", 1); /* a column without a name */
    refuse("phone,phone_number\n", 400, "duplicate_column", 1);
    refuse("name,first_name,contact_name,phone\n", 400, "duplicate_column", 1);
    refuse("first_name,email\nJo,jo@example.com\n", 400, "missing_column", 1);
    refuse("phone,notes\n+15551234567,\"never closed\n", 400, "malformed_csv", 2);
    refuse("phone,notes\n+15551234567,ok\n+15551234568,bad\"quote\n", 400, "malformed_csv", 3);
    refuse("phone,notes\n+15551234567,Zo\xeb\n", 400, "malformed_csv", 2);
    refuse_n("phone\n+1555\0\n", 12, 400, "malformed_csv", 2);
    /* A header of more columns than any file of ours. */
    vx_buf wide = VX_BUF_INIT;
    vx_buf_puts(&wide, "phone");
    for (int i = 0; i < CONTACT_IMPORT_MAX_COLUMNS; i++)
        vx_buf_puts(&wide, ",x");
    refuse(wide.data, 400, "invalid_header", 1);
    vx_buf_free(&wide);
    /* A JSON body is not CSV. */
    refuse("{\"phone\":\"+15551234567\"}", 400, "malformed_csv", 1);
}

static void test_row_errors_name_their_lines(void **state)
{
    contact_import imp;
    accept("first_name,phone,email,lead_status\n"
           "Ann,+15550000001,ann@example.com,new\n" /* 2: ok */
           "Bob,5550000002,,\n"                     /* 3: not E.164 */
           "Cy,+15550000003,cy@nowhere,\n"          /* 4: bad email */
           "Di,+15550000004\n"                      /* 5: too few fields */
           "Ed,+15550000005,,new,extra\n"           /* 6: too many */
           "Flo,+15550000006,,hot\n"                /* 7: no such status */
           "Gus,,gus@example.com,\n"                /* 8: no phone */
           "\"Multi\nLine\",+15550000009,,\n"       /* 9-10: a line break in a name */
           "\"Bad\nName\x01\",+15550000011,,\n"     /* 11-12: control character */
           "Hal,+15550000013,,contacted\n",         /* 13: ok */
           &imp);
    expect_errors(&imp, "3:invalid_field,4:invalid_field,5:wrong_field_count,6:wrong_field_count,7:invalid_field,"
                        "8:missing_field,9:invalid_field,11:invalid_field");
    assert_int_equal(imp.data_rows, 10);
    assert_int_equal(imp.nrows, 2);
    assert_int_equal(imp.lines[0], 2);
    assert_int_equal(imp.lines[1], 13);
    assert_string_equal(val(&imp, 1, CONTACT_FIELD_FIRST_NAME), "Hal");
    /* The messages never echo a value. */
    assert_null(strstr(imp.errors.data, "5550000002"));
    assert_null(strstr(imp.errors.data, "nowhere"));
    contact_import_free(&imp);

    /* A cell over the limit: a row error, the others read. */
    vx_buf text = VX_BUF_INIT;
    vx_buf_puts(&text, "phone,notes\n+15550000001,");
    for (int i = 0; i <= CONTACT_IMPORT_MAX_CELL_BYTES; i++)
        vx_buf_putc(&text, 'n');
    vx_buf_puts(&text, "\n+15550000002,short\n");
    accept(text.data, &imp);
    expect_errors(&imp, "2:row_too_large");
    assert_int_equal(imp.nrows, 1);
    contact_import_free(&imp);
    vx_buf_free(&text);

    /* Notes at 2001 characters are too long for a contact. */
    vx_buf_puts(&text, "phone,notes\n+15550000001,");
    for (int i = 0; i < 2001; i++)
        vx_buf_putc(&text, 'n');
    accept(text.data, &imp);
    expect_errors(&imp, "2:invalid_field");
    contact_import_free(&imp);
    vx_buf_free(&text);
}

static void test_duplicates_merge_later_values_win(void **state)
{
    contact_import imp;
    accept("first_name,last_name,phone,email,notes,lead_status\n"
           "Ann,Lee,+15550000001,ann@example.com,first,new\n" /* 2 */
           "Bob,,+15550000002,,,\n"                           /* 3 */
           "Anne,,+1 555 000 0001,,second,\n"                 /* 4: same number, typed otherwise */
           "bad,,+1555,,,\n"                                  /* 5: an error merges into nothing */
           ",,+15550000001,,,booked\n",                       /* 6 */
           &imp);
    assert_int_equal(imp.data_rows, 5);
    assert_int_equal(imp.nrows, 2);
    assert_int_equal(imp.merged, 2);
    expect_errors(&imp, "5:invalid_field");
    assert_string_equal(val(&imp, 0, CONTACT_FIELD_FIRST_NAME), "Anne");
    assert_string_equal(val(&imp, 0, CONTACT_FIELD_LAST_NAME), "Lee"); /* blank cells keep */
    assert_string_equal(val(&imp, 0, CONTACT_FIELD_EMAIL), "ann@example.com");
    assert_string_equal(val(&imp, 0, CONTACT_FIELD_NOTES), "second");
    assert_string_equal(val(&imp, 0, CONTACT_FIELD_LEAD_STATUS), "booked");
    assert_string_equal(val(&imp, 1, CONTACT_FIELD_FIRST_NAME), "Bob");
    assert_string_equal(val(&imp, 1, CONTACT_FIELD_LEAD_STATUS), "");
    cJSON *m = items(&imp.merges);
    assert_int_equal(cJSON_GetArraySize(m), 2);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(m, 0), "line")->valueint, 4);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(m, 0), "into")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(m, 1), "line")->valueint, 6);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(m, 1), "into")->valueint, 2);
    cJSON_Delete(m);

    /* The statement's parameter: one object per number, blank cells null. */
    vx_buf json = VX_BUF_INIT;
    contact_import_rows_json(&imp, &json);
    cJSON *rows = cJSON_Parse(json.data);
    assert_int_equal(cJSON_GetArraySize(rows), 2);
    const cJSON *bob = cJSON_GetArrayItem(rows, 1);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(bob, "phone")->valuestring, "+15550000002");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(bob, "lead_status");
    assert_true(status == NULL || cJSON_IsNull(status));
    cJSON_Delete(rows);
    vx_buf_free(&json);
    contact_import_free(&imp);
}

static void test_names_split_and_formulas_undone(void **state)
{
    contact_import imp;
    accept("contact_name,phone,first_name,notes\n"
           "Ann Lee,+15550000001,,\n"
           "  Mary Ann  Smith ,+15550000002,,\n"
           "Cher,+15550000003,,\n"
           "Ignored Name,+15550000004,Given,\n"
           "'=Evil Name,'+15550000005,,'-minus\n"
           "x,'''+15550000006,,\n"
           "Note Row,+15550000007,,\"two\r\nlines, kept\"\n"
           "Last Row,+15550000008,,\n",
           &imp);
    expect_errors(&imp, "7:invalid_field"); /* one quote removed, two left: no number */
    assert_int_equal(imp.nrows, 7);
    assert_string_equal(val(&imp, 5, CONTACT_FIELD_NOTES), "two\r\nlines, kept");
    assert_int_equal(imp.lines[5], 8);
    assert_int_equal(imp.lines[6], 10);
    assert_string_equal(val(&imp, 0, CONTACT_FIELD_FIRST_NAME), "Ann");
    assert_string_equal(val(&imp, 0, CONTACT_FIELD_LAST_NAME), "Lee");
    assert_string_equal(val(&imp, 1, CONTACT_FIELD_FIRST_NAME), "Mary");
    assert_string_equal(val(&imp, 1, CONTACT_FIELD_LAST_NAME), "Ann  Smith");
    assert_string_equal(val(&imp, 2, CONTACT_FIELD_FIRST_NAME), "Cher");
    assert_string_equal(val(&imp, 2, CONTACT_FIELD_LAST_NAME), "");
    assert_string_equal(val(&imp, 3, CONTACT_FIELD_FIRST_NAME), "Given");
    assert_string_equal(val(&imp, 3, CONTACT_FIELD_LAST_NAME), "");
    assert_string_equal(val(&imp, 4, CONTACT_FIELD_FIRST_NAME), "=Evil");
    assert_string_equal(val(&imp, 4, CONTACT_FIELD_PHONE), "+15550000005");
    assert_string_equal(val(&imp, 4, CONTACT_FIELD_NOTES), "-minus");
    contact_import_free(&imp);
}

/* A file of rows numbered rows with valid numbers, and blank lines between. */
static char *many_rows(int rows)
{
    vx_buf b = VX_BUF_INIT;
    vx_buf_puts(&b, "phone,first_name\r\n");
    for (int i = 0; i < rows; i++) {
        vx_buf_printf(&b, "+1555%07d,Row\r\n", i);
        if (i % 1000 == 0)
            vx_buf_puts(&b, ",\r\n\r\n");
    }
    return vx_buf_steal(&b);
}

static void test_row_limit(void **state)
{
    contact_import imp;
    char *ok = many_rows(CONTACT_IMPORT_MAX_ROWS);
    accept(ok, &imp);
    assert_int_equal(imp.data_rows, CONTACT_IMPORT_MAX_ROWS);
    assert_int_equal(imp.nrows, CONTACT_IMPORT_MAX_ROWS);
    assert_int_equal(imp.nerrors, 0);
    contact_import_free(&imp);
    free(ok);

    char *over = many_rows(CONTACT_IMPORT_MAX_ROWS + 1);
    contact_import_refusal ref;
    assert_int_equal(contact_import_parse(over, strlen(over), &imp, &ref), -1);
    assert_int_equal(ref.status, 413);
    assert_string_equal(ref.code, "too_many_rows");
    /* Line of row 10,001: the header, 10,000 rows and two blank lines for every thousand. */
    assert_int_equal(ref.line, 1 + CONTACT_IMPORT_MAX_ROWS + 2 * (CONTACT_IMPORT_MAX_ROWS / 1000) + 1);
    contact_import_free(&imp);
    free(over);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_names_and_aliases),        cmocka_unit_test(test_files_refused_whole),
        cmocka_unit_test(test_row_errors_name_their_lines),     cmocka_unit_test(test_duplicates_merge_later_values_win),
        cmocka_unit_test(test_names_split_and_formulas_undone), cmocka_unit_test(test_row_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
