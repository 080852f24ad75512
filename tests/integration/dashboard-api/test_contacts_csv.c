/*
 * dashboard-api's CSV import and export of contacts, the real process on
 * real NATS and PostgreSQL, spoken to as the gateway speaks (signed
 * GatewayRequests on rpc.dashboard.contacts.import / .export), checked
 * through the admin connection.
 *
 * Covered: a 10,000-row file with exactly 37 bad rows, 5 duplicate numbers
 * and 3 numbers the org has already: one answer, the counts exact, the 37
 * lines named, the rest stored (and the existing contacts updated, blank
 * cells keeping what was there); files refused whole — malformed, unknown /
 * duplicate / missing columns, more than 10,000 rows, empty, a form upload
 * (415) — change nothing; duplicates merged and existing contacts updated,
 * not doubled; importing the same file again changes nothing; a .csv file's
 * usual Content-Types are read as CSV; one org's import never
 * touches another org's contact with the same number and its export never
 * holds another org's rows; staff import, only owners export (403); an
 * export imported again changes nothing; an export of more than 10,000
 * contacts comes in parts through its cursor; audit entries for both; two
 * imports of the same new numbers at once store each number once.
 */
#include <nats/nats.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "voxanne/v1/gateway.pb-c.h"
#include "vt.h"
#include "vt_dashboard.h"
#include "vx_buf.h"
#include "vx_crypto.h"
#include "vx_routes.h"
#include "vx_time.h"

static natsConnection *nc;
static PGconn *admin;
static pid_t service;

#define HEADER "first_name,last_name,phone,email,notes,lead_status\r\n"

static vt_answer import_as(const char *org, const char *role, const char *csv, size_t len)
{
    return vt_dashboard_request(nc, VX_SUBJECT_CONTACTS_IMPORT, org, role, NULL, NULL, csv, len);
}

static vt_answer import_csv(const char *org, const char *csv)
{
    return import_as(org, "owner", csv, strlen(csv));
}

/* An owner's import with the Content-Type the gateway forwards (as
 * vt_dashboard_call, with the one header): the answer's status. */
static unsigned import_typed(const char *org, const char *type, const char *csv)
{
    Voxanne__V1__GatewayRequest req = VOXANNE__V1__GATEWAY_REQUEST__INIT;
    Voxanne__V1__AuthContext auth = VOXANNE__V1__AUTH_CONTEXT__INIT;
    Voxanne__V1__KeyValue header = VOXANNE__V1__KEY_VALUE__INIT;
    Voxanne__V1__KeyValue *headers[1] = {&header};
    req.request_id = "it-dashboard-csv";
    req.route = VX_SUBJECT_CONTACTS_IMPORT;
    auth.org_id = (char *)org;
    auth.user_id = "user-1";
    auth.role = "owner";
    req.auth = &auth;
    header.key = "content-type";
    header.value = (char *)type;
    req.headers = headers;
    req.n_headers = 1;
    req.body.data = (uint8_t *)csv;
    req.body.len = strlen(csv);
    req.deadline_unix_ms = vx_now_ms() + 10000;
    uint8_t nonce[16];
    vx_random_bytes(nonce, sizeof(nonce));
    req.nonce.data = nonce;
    req.nonce.len = sizeof(nonce);
    size_t len = voxanne__v1__gateway_request__get_packed_size(&req);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    voxanne__v1__gateway_request__pack(&req, buf);
    Voxanne__V1__GatewayResponse *r = vt_gateway_call(nc, VX_SUBJECT_CONTACTS_IMPORT, buf, len);
    free(buf);
    unsigned status = r->status;
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
    return status;
}

static long num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("%s is not a number", key);
    return (long)v->valuedouble;
}

/* Fails unless a is a 200 import answer with these counts. Frees a. */
static void expect_counts(vt_answer a, long rows, long imported, long updated, long unchanged, long merged, long errors)
{
    vt_expect_status(&a, 200);
    const cJSON *j = a.json;
    if (num(j, "rows") != rows || num(j, "imported") != imported || num(j, "updated") != updated ||
        num(j, "unchanged") != unchanged || num(j, "merged") != merged ||
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "errors")) != errors ||
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "merges")) != merged)
        fail_msg("expected rows %ld imported %ld updated %ld unchanged %ld merged %ld errors %ld, got %.600s", rows, imported,
                 updated, unchanged, merged, errors, a.body);
    vt_answer_free(&a);
}

static long contacts_of(const char *org)
{
    const char *p[1] = {org};
    return vt_sql_long(admin, "SELECT count(*) FROM contacts WHERE org_id = $1", 1, p);
}

/* Every contact row of org, as text: any change to any of them changes it. */
static char *digest_of(const char *org)
{
    const char *p[1] = {org};
    return vt_sql_value(admin, "SELECT coalesce(md5(string_agg(c::text, '|' ORDER BY c.id)), '') FROM contacts c WHERE org_id = $1",
                        1, p);
}

static long audited(const char *org, const char *action)
{
    const char *p[2] = {org, action};
    return vt_sql_long(admin, "SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = $2", 2, p);
}

/* The stored value of column col of org's contact with phone ("" for NULL). malloc'd. */
static char *stored(const char *org, const char *phone, const char *col)
{
    char sql[200];
    snprintf(sql, sizeof(sql), "SELECT coalesce(%s::text, '') FROM contacts WHERE org_id = $1 AND phone = $2", col);
    const char *p[2] = {org, phone};
    char *v = vt_sql_value(admin, sql, 2, p);
    assert_non_null(v);
    return v;
}

static void expect_stored(const char *org, const char *phone, const char *col, const char *want)
{
    char *got = stored(org, phone, col);
    if (strcmp(got, want) != 0)
        fail_msg("%s of %s: expected \"%s\", got \"%s\"", col, phone, want, got);
    free(got);
}

static void add_contact(const char *org, const char *phone, const char *first, const char *notes, const char *status)
{
    const char *p[5] = {org, phone, first, notes, status};
    vt_sql_exec(admin, "INSERT INTO contacts (org_id, phone, first_name, notes, lead_status) VALUES ($1, $2, $3, $4, $5)", 5, p);
}

/* Fails unless the whole-file refusal a has status and code (and line, when not 0); frees a. */
static void expect_refused(vt_answer a, unsigned status, const char *code, long line)
{
    if (line > 0 && (a.json == NULL || num(a.json, "line") != line))
        fail_msg("expected line %ld: %s", line, a.body);
    vt_expect_error(a, status, code);
}

static int setup(void **state)
{
    admin = vt_admin();
    service = vt_dashboard_start(&nc, "dashboard-api-contacts-csv");
    return 0;
}

static int teardown(void **state)
{
    vt_dashboard_stop(service, nc);
    PQfinish(admin);
    return 0;
}

/* The big file: 10,000 rows, the 37 bad ones at 13 + 270 j, the phone of row k +1555<k>. */
#define BIG_ROWS 10000
#define BIG_BAD  37
static const int DUP_ROWS[5] = {2001, 4001, 6001, 8001, 9998}; /* each repeats the number of row - 1500 */
static const int EXISTING_ROWS[3] = {100, 5000, 9000};         /* numbers the org has before the import */

static bool in(const int *set, size_t n, int k)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == k)
            return true;
    return false;
}

static void big_phone(int k, char out[16])
{
    snprintf(out, 16, "+1555%07d", in(DUP_ROWS, 5, k) ? k - 1500 : k);
}

typedef struct big_file {
    vx_buf csv;
    long bad_lines[BIG_BAD];
    const char *bad_codes[BIG_BAD];
    long line_of[BIG_ROWS];
} big_file;

static void make_big_file(big_file *f)
{
    static const char *const statuses[] = {"new", "contacted", "qualified", "booked", "lost", ""};
    memset(f, 0, sizeof(*f));
    vx_buf_puts(&f->csv, HEADER);
    long line = 2;
    int nbad = 0;
    for (int k = 0; k < BIG_ROWS; k++) {
        char phone[16], first[256], email[64] = "", notes[64] = "";
        big_phone(k, phone);
        snprintf(first, sizeof(first), "%s%d", in(DUP_ROWS, 5, k) ? "Dup" : "First", k);
        snprintf(email, sizeof(email), "user%d@example.com", k);
        const char *status = statuses[k % 6];
        if (k % 3 == 0)
            snprintf(notes, sizeof(notes), "Note %d", k);
        if (k % 1000 == 500) /* a note of two lines: the lines after it move down one */
            snprintf(notes, sizeof(notes), "\"line one\r\nline two %d\"", k);
        if (in(EXISTING_ROWS, 3, k)) { /* blank cells: what is stored stays */
            notes[0] = '\0';
            status = "";
        }
        const char *last = k % 97 == 0 ? "\"Smith, Jr.\"" : "Last";
        f->line_of[k] = line;
        if ((k - 13) % 270 == 0 && nbad < BIG_BAD) {
            const char *code = "invalid_field";
            switch (nbad % 7) {
            case 0:
                snprintf(phone, sizeof(phone), "555-0100");
                break;
            case 1:
                snprintf(email, sizeof(email), "no-at-sign.example");
                break;
            case 2: /* five fields */
                vx_buf_printf(&f->csv, "%s,%s,%s,%s,%s\r\n", first, last, phone, notes, status);
                f->bad_codes[nbad] = "wrong_field_count";
                f->bad_lines[nbad++] = line++;
                continue;
            case 3:
                status = "hot";
                break;
            case 4:
                memset(first, 'a', 201);
                first[201] = '\0';
                break;
            case 5:
                phone[0] = '\0';
                code = "missing_field";
                break;
            default: /* seven fields */
                vx_buf_printf(&f->csv, "%s,%s,%s,%s,%s,%s,extra\r\n", first, last, phone, email, notes, status);
                f->bad_codes[nbad] = "wrong_field_count";
                f->bad_lines[nbad++] = line++;
                continue;
            }
            f->bad_codes[nbad] = code;
            f->bad_lines[nbad++] = line;
        }
        vx_buf_printf(&f->csv, "%s,%s,%s,%s,%s,%s\r\n", first, last, phone, email, notes, status);
        line += k % 1000 == 500 ? 2 : 1;
    }
    assert_int_equal(nbad, BIG_BAD);
}

static void test_ten_thousand_rows_with_37_bad(void **state)
{
    char org[37];
    vt_create_org(admin, "CSV big", NULL, NULL, NULL, org);
    for (int i = 0; i < 3; i++) {
        char phone[16];
        big_phone(EXISTING_ROWS[i], phone);
        add_contact(org, phone, "Before", "kept note", "booked");
    }
    big_file f;
    make_big_file(&f);
    /* What the gateway must let through (GATEWAY_MAX_BODY_BYTES, 1 MiB by default). */
    print_message("10,000-row file: %zu bytes\n", f.csv.len);

    vt_answer a = import_csv(org, f.csv.data);
    vt_expect_status(&a, 200);
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(a.json, "errors");
    assert_int_equal(cJSON_GetArraySize(errors), BIG_BAD);
    for (int i = 0; i < BIG_BAD; i++) {
        const cJSON *e = cJSON_GetArrayItem(errors, i);
        if (num(e, "line") != f.bad_lines[i] ||
            strcmp(cJSON_GetObjectItemCaseSensitive(e, "code")->valuestring, f.bad_codes[i]) != 0)
            fail_msg("error %d: expected line %ld %s, got %s", i, f.bad_lines[i], f.bad_codes[i], cJSON_PrintUnformatted(e));
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "error")));
    }
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(a.json, "merges");
    assert_int_equal(cJSON_GetArraySize(merges), 5);
    for (int i = 0; i < 5; i++) {
        const cJSON *m = cJSON_GetArrayItem(merges, i);
        assert_int_equal(num(m, "line"), f.line_of[DUP_ROWS[i]]);
        assert_int_equal(num(m, "into"), f.line_of[DUP_ROWS[i] - 1500]);
    }
    /* No number, name or email of the file in the answer (its messages' example number aside). */
    assert_null(strstr(a.body, "+155500"));
    assert_null(strstr(a.body, "First"));
    assert_null(strstr(a.body, "user"));
    vt_answer_free(&a);
    const long imported = BIG_ROWS - BIG_BAD - 5 - 3;
    expect_counts(import_csv(org, f.csv.data), BIG_ROWS, 0, 0, imported + 3, 5, BIG_BAD); /* again: nothing changes */
    assert_int_equal(contacts_of(org), 3 + imported);

    /* The existing contacts updated, not doubled: the file's cells won, its blank ones kept. */
    char phone[16];
    big_phone(5000, phone);
    expect_stored(org, phone, "first_name", "First5000");
    expect_stored(org, phone, "notes", "kept note");
    expect_stored(org, phone, "lead_status", "booked");
    /* A duplicate's later cells won. */
    big_phone(2001, phone);
    expect_stored(org, phone, "first_name", "Dup2001");
    expect_stored(org, phone, "email", "user2001@example.com");
    /* Quoting and line breaks came through. */
    big_phone(1500, phone);
    expect_stored(org, phone, "notes", "line one\r\nline two 1500");
    big_phone(97, phone);
    expect_stored(org, phone, "last_name", "Smith, Jr.");
    expect_stored(org, phone, "lead_status", "contacted");
    big_phone(5, phone);
    expect_stored(org, phone, "lead_status", "new"); /* blank: the default */
    /* No bad row was stored. */
    const char *p[1] = {org};
    assert_int_equal(vt_sql_long(admin,
                                 "SELECT count(*) FROM contacts WHERE org_id = $1 AND (length(first_name) > 200 "
                                 "OR email = 'no-at-sign.example')",
                                 1, p),
                     0);

    /* One audit entry per import, counts only. */
    assert_int_equal(audited(org, "contacts.imported"), 2);
    char *details = vt_sql_value(admin,
                                 "SELECT details::text FROM audit_log WHERE org_id = $1 AND action = 'contacts.imported' "
                                 "ORDER BY id LIMIT 1",
                                 1, p);
    cJSON *d = cJSON_Parse(details);
    assert_int_equal(num(d, "rows"), BIG_ROWS);
    assert_int_equal(num(d, "imported"), imported);
    assert_int_equal(num(d, "updated"), 3);
    assert_int_equal(num(d, "merged"), 5);
    assert_int_equal(num(d, "errors"), BIG_BAD);
    assert_null(strstr(details, "+1555"));
    cJSON_Delete(d);
    free(details);
    vx_buf_free(&f.csv);
}

static void test_refused_files_change_nothing(void **state)
{
    char org[37];
    vt_create_org(admin, "CSV refused", NULL, NULL, NULL, org);
    add_contact(org, "+15550000001", "Kept", "note", "qualified");
    add_contact(org, "+15550000002", "Also", NULL, "new");
    char *before = digest_of(org);

    /* Malformed: a quote never closed on line 300, after 298 good rows that update a contact. */
    vx_buf csv = VX_BUF_INIT;
    vx_buf_puts(&csv, HEADER "Changed,,+15550000001,,,lost\r\n");
    for (int i = 3; i < 300; i++)
        vx_buf_printf(&csv, "Row%d,,+1555100%04d,,,\r\n", i, i);
    vx_buf_puts(&csv, "Open,,+15552000000,,\"never closed\r\n,,+15552000001,,,\r\n");
    expect_refused(import_csv(org, csv.data), 400, "malformed_csv", 300);
    vx_buf_free(&csv);
    expect_refused(import_csv(org, HEADER "A,,+15550000001,,,\r\nB\"ad,,+15550000003,,,\r\n"), 400, "malformed_csv", 3);
    expect_refused(import_csv(org, HEADER "Zo\xeb,,+15550000001,,,\r\n"), 400, "malformed_csv", 2);
    static const char nul[] = "phone\r\n+15550000001\r\n+1555\0\r\n";
    expect_refused(import_as(org, "owner", nul, sizeof(nul) - 1), 400, "malformed_csv", 3);

    /* Columns: unknown (a typo), duplicate, no phone; empty files; JSON. */
    expect_refused(import_csv(org, "fist_name,phone\r\nX,+15550000001\r\n"), 400, "unknown_column", 1);
    expect_refused(import_csv(org, "phone,lead_tier\r\n+15550000001,hot\r\n"), 400, "unknown_column", 1);
    expect_refused(import_csv(org, "phone,phone_number\r\n+15550000001,+15550000001\r\n"), 400, "duplicate_column", 1);
    expect_refused(import_csv(org, "first_name,email\r\nX,x@example.com\r\n"), 400, "missing_column", 1);
    expect_refused(import_csv(org, ""), 400, "empty_file", 0);
    expect_refused(import_as(org, "owner", NULL, 0), 400, "empty_file", 0);
    expect_refused(import_csv(org, "\r\n\r\n"), 400, "empty_file", 0);
    expect_refused(import_csv(org, "{\"phone\":\"+15550000001\"}"), 400, "malformed_csv", 1);

    /* More than 10,000 rows: refused before anything is stored. */
    vx_buf_puts(&csv, "phone,first_name\r\n+15550000001,Changed\r\n");
    for (int i = 1; i <= 10000; i++)
        vx_buf_printf(&csv, "+1555300%04d,Row\r\n", i);
    expect_refused(import_csv(org, csv.data), 413, "too_many_rows", 10002);
    vx_buf_free(&csv);

    /* A form upload: the file is not the body. */
    const char *form = "------x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nphone\r\n+15550000001\r\n------x--\r\n";
    assert_int_equal(import_typed(org, "multipart/form-data; boundary=----x", form), 415);
    assert_int_equal(import_typed(org, "application/x-www-form-urlencoded", "phone=%2B15550000001"), 415);

    char *after = digest_of(org);
    assert_string_equal(before, after);
    assert_int_equal(contacts_of(org), 2);
    assert_int_equal(audited(org, "contacts.imported"), 0);
    assert_true(vt_alive(service));
    free(before);
    free(after);
}

static void test_duplicates_merge_and_existing_contacts_update(void **state)
{
    char org[37];
    vt_create_org(admin, "CSV merge", NULL, NULL, NULL, org);
    const char *p[1] = {org};
    vt_sql_exec(admin,
                "INSERT INTO contacts (org_id, phone, first_name, last_name, email, notes, lead_status, lead_score, lead_tier) "
                "VALUES ($1, '+15550000001', 'Old', 'Name', 'old@example.com', 'keep me', 'qualified', 90, 'hot')",
                1, p);
    char *id = vt_sql_value(admin, "SELECT id::text FROM contacts WHERE org_id = $1", 1, p);

    vt_answer a = import_csv(org, "Contact Name,Phone Number,Email,Lead_Status\r\n"
                                  "New Person,+1 (555) 000-0001,new@example.com,\r\n" /* 2: the existing contact */
                                  "Bea Bee,+15550000002,,new\r\n"                     /* 3 */
                                  "Bea Later,+1-555-000-0002,bea@example.com,\r\n"    /* 4: merged into 3 */
                                  ",+15550000002,,booked\r\n"                         /* 5: merged into 3 */
                                  "Cy,+15550000003,,\r\n");                           /* 6 */
    vt_expect_status(&a, 200);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(a.json, "merges");
    assert_int_equal(cJSON_GetArraySize(m), 2);
    assert_int_equal(num(cJSON_GetArrayItem(m, 0), "line"), 4);
    assert_int_equal(num(cJSON_GetArrayItem(m, 0), "into"), 3);
    assert_int_equal(num(cJSON_GetArrayItem(m, 1), "line"), 5);
    assert_int_equal(num(cJSON_GetArrayItem(m, 1), "into"), 3);
    vt_answer_free(&a);
    assert_int_equal(contacts_of(org), 3);

    /* Updated in place: the same row, the file's cells written, blank ones and the analytics kept. */
    const char *q[2] = {org, "+15550000001"};
    char *same = vt_sql_value(admin, "SELECT id::text FROM contacts WHERE org_id = $1 AND phone = $2", 2, q);
    assert_string_equal(same, id);
    expect_stored(org, "+15550000001", "first_name", "New");
    expect_stored(org, "+15550000001", "last_name", "Person");
    expect_stored(org, "+15550000001", "email", "new@example.com");
    expect_stored(org, "+15550000001", "notes", "keep me");
    expect_stored(org, "+15550000001", "lead_status", "qualified");
    expect_stored(org, "+15550000001", "lead_score", "90");
    expect_stored(org, "+15550000001", "lead_tier", "hot");
    /* Merged: the later non-blank cells won. */
    expect_stored(org, "+15550000002", "first_name", "Bea");
    expect_stored(org, "+15550000002", "last_name", "Later");
    expect_stored(org, "+15550000002", "email", "bea@example.com");
    expect_stored(org, "+15550000002", "lead_status", "booked");

    /* The same file again: nothing changes, not even updated_at. */
    char *before = digest_of(org);
    expect_counts(import_csv(org, "contact_name,phone\r\nNew Person,+15550000001\r\nCy,+15550000003\r\n"), 2, 0, 0, 2, 0, 0);
    char *after = digest_of(org);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* A file of only errors stores nothing, and says so. */
    expect_counts(import_csv(org, "phone,email\r\n+1555,\r\n+15550000009,bad\r\n"), 2, 0, 0, 0, 0, 2);
    assert_int_equal(contacts_of(org), 3);
    assert_int_equal(audited(org, "contacts.imported"), 3);
    free(same);
    free(id);
}

/* The answer of GET /api/contacts/export for org as role (with query), raw. */
static Voxanne__V1__GatewayResponse *export_as(const char *org, const char *role, const char *query)
{
    return vt_dashboard_call(nc, VX_SUBJECT_CONTACTS_EXPORT, org, role, NULL, query, NULL, 0);
}

/* The value of the answer's header name, or NULL. */
static const char *header_of(const Voxanne__V1__GatewayResponse *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcmp(r->headers[i]->key, name) == 0)
            return r->headers[i]->value;
    return NULL;
}

/* The export's body (malloc'd); fails unless it is a 200 CSV download. */
static char *export_ok(const char *org, const char *query, char **next_cursor)
{
    Voxanne__V1__GatewayResponse *r = export_as(org, "owner", query);
    if (r->status != 200)
        fail_msg("export answered %u: %.*s", r->status, (int)r->body.len, (const char *)r->body.data);
    assert_string_equal(r->content_type, "text/csv; charset=utf-8");
    const char *disposition = header_of(r, "content-disposition");
    assert_non_null(disposition);
    assert_true(strncmp(disposition, "attachment; filename=\"contacts-", 31) == 0);
    const char *next = header_of(r, "x-next-cursor");
    if (next_cursor != NULL)
        *next_cursor = next != NULL ? strdup(next) : NULL;
    else
        assert_null(next);
    char *body = strndup((const char *)r->body.data, r->body.len);
    voxanne__v1__gateway_response__free_unpacked(r, NULL);
    return body;
}

static size_t count_of(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_export_round_trip(void **state)
{
    char org[37];
    vt_create_org(admin, "CSV export", NULL, NULL, NULL, org);
    /* Awkward values, each created a second apart: newest first is the reverse. */
    const char *p[1] = {org};
    vt_sql_exec(
        admin,
        "INSERT INTO contacts (org_id, phone, first_name, last_name, email, notes, lead_status, created_at) VALUES "
        "($1, '+15550000001', 'Ann', 'Lee, Jr.', 'ann@example.com', 'said \"hi\"', 'new', now() - interval '5 s'),"
        "($1, '+15550000002', '=HYPERLINK(\"http://x\")', NULL, NULL, 'two\r\nlines', 'booked', now() - interval '4 s'),"
        "($1, '+15550000003', '-Dash', '@at', NULL, '''=already quoted', 'lost', now() - interval '3 s'),"
        "($1, '+15550000004', 'Zoë', 'Łukasz', 'zoe@example.com', 'tab\tinside, comma', 'qualified', now() - interval '2 s'),"
        "($1, '+15550000005', NULL, NULL, NULL, NULL, 'contacted', now() - interval '1 s')",
        1, p);
    char *before = digest_of(org);
    char *csv = export_ok(org, NULL, NULL);
    /* The header, five rows newest first, formulas neutralised, numbers as text. */
    const char *start = "first_name,last_name,phone_number,email,notes,lead_status\r\n,,'+15550000005,,,contacted\r\n";
    assert_true(strncmp(csv, start, strlen(start)) == 0);
    assert_non_null(strstr(csv, "\"'=HYPERLINK(\"\"http://x\"\")\",,'+15550000002,,\"two\r\nlines\",booked\r\n"));
    assert_non_null(strstr(csv, "'-Dash,'@at,'+15550000003,,''=already quoted,lost\r\n"));
    assert_non_null(strstr(csv, "Ann,\"Lee, Jr.\",'+15550000001,ann@example.com,\"said \"\"hi\"\"\",new\r\n"));
    assert_true(strstr(csv, "+15550000005") < strstr(csv, "+15550000004") &&
                strstr(csv, "+15550000002") < strstr(csv, "+15550000001"));
    assert_int_equal(audited(org, "contacts.exported"), 1);

    /* Imported again, as it came: nothing changes. */
    expect_counts(import_csv(org, csv), 5, 0, 0, 5, 0, 0);
    char *after = digest_of(org);
    assert_string_equal(before, after);
    /* And into another org, it makes the same contacts. */
    char copy[37];
    vt_create_org(admin, "CSV export copy", NULL, NULL, NULL, copy);
    expect_counts(import_csv(copy, csv), 5, 5, 0, 0, 0, 0);
    const char *cols =
        "SELECT string_agg(concat_ws('|', phone, first_name, last_name, email, notes, lead_status), '#' ORDER BY phone) "
        "FROM contacts WHERE org_id = $1";
    const char *pc[1] = {copy};
    char *orig = vt_sql_value(admin, cols, 1, p), *copied = vt_sql_value(admin, cols, 1, pc);
    assert_string_equal(orig, copied);
    free(orig);
    free(copied);
    free(csv);
    free(before);
    free(after);
}

static void test_export_in_parts(void **state)
{
    char org[37];
    vt_create_org(admin, "CSV parts", NULL, NULL, NULL, org);
    const char *p[1] = {org};
    /* 10,005 contacts, some created at the same instant (the cursor's id breaks ties). */
    vt_sql_exec(admin,
                "INSERT INTO contacts (org_id, phone, first_name, created_at) SELECT $1, '+1555' || lpad(g::text, 7, '0'), "
                "'P' || g, now() - (g / 3) * interval '1 ms' FROM generate_series(1, 10005) g",
                1, p);
    char *next = NULL;
    char *first = export_ok(org, NULL, &next);
    assert_non_null(next);
    assert_int_equal(count_of(first, "\r\n"), 1 + 10000);
    vx_buf query = VX_BUF_INIT;
    vx_buf_printf(&query, "cursor=%s", next);
    char *next2 = NULL;
    char *second = export_ok(org, query.data, &next2);
    assert_null(next2);
    assert_int_equal(count_of(second, "\r\n"), 1 + 5);
    /* Together: every contact once. */
    for (int g = 1; g <= 10005; g++) {
        char phone[24];
        snprintf(phone, sizeof(phone), ",'+1555%07d,", g);
        if (count_of(first, phone) + count_of(second, phone) != 1)
            fail_msg("%s exported %zu times", phone + 2, count_of(first, phone) + count_of(second, phone));
    }
    assert_int_equal(audited(org, "contacts.exported"), 2);

    static const char *const bad[] = {
        "cursor=",   "cursor=abc", "cursor=123", "cursor=12_not-a-uuid", "cursor=1x_00000000-0000-0000-0000-000000000000",
        "cursor=%00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        vt_expect_error(vt_dashboard_request(nc, VX_SUBJECT_CONTACTS_EXPORT, org, "owner", NULL, bad[i], NULL, 0), 400,
                        "invalid_query");
    assert_int_equal(audited(org, "contacts.exported"), 2);
    vx_buf_free(&query);
    free(first);
    free(second);
    free(next);
}

static void test_orgs_are_isolated(void **state)
{
    char a[37], b[37];
    vt_create_org(admin, "CSV org A", NULL, NULL, NULL, a);
    vt_create_org(admin, "CSV org B", NULL, NULL, NULL, b);
    add_contact(a, "+15550000001", "Alice", "of A", "new");
    add_contact(b, "+15550000001", "Bob", "of B", "booked"); /* the same number in B */
    add_contact(b, "+15550000099", "Bonly", "only B", "lost");
    char *b_before = digest_of(b);

    expect_counts(import_csv(a, "first_name,phone,notes\r\nAlicia,+15550000001,\r\nNew,+15550000002,\r\n"), 2, 1, 1, 0, 0, 0);
    expect_stored(a, "+15550000001", "first_name", "Alicia");
    expect_stored(b, "+15550000001", "first_name", "Bob");
    char *b_after = digest_of(b);
    assert_string_equal(b_before, b_after);
    assert_int_equal(contacts_of(b), 2);
    assert_int_equal(audited(b, "contacts.imported"), 0);

    char *csv = export_ok(a, NULL, NULL);
    assert_int_equal(count_of(csv, "\r\n"), 3);
    assert_null(strstr(csv, "Bob"));
    assert_null(strstr(csv, "Bonly"));
    assert_null(strstr(csv, "+15550000099"));
    assert_int_equal(audited(b, "contacts.exported"), 0);
    free(csv);
    free(b_before);
    free(b_after);
}

static void test_staff_import_only_owners_export(void **state)
{
    char org[37];
    vt_create_org(admin, "CSV roles", NULL, NULL, NULL, org);
    const char *csv = "phone,first_name\r\n+15550000001,Staff Made\r\n";
    expect_counts(import_as(org, "staff", csv, strlen(csv)), 1, 1, 0, 0, 0, 0);
    vt_expect_error(vt_dashboard_request(nc, VX_SUBJECT_CONTACTS_EXPORT, org, "staff", NULL, NULL, NULL, 0), 403, "forbidden");
    assert_int_equal(audited(org, "contacts.exported"), 0);
    const char *p[1] = {org};
    assert_int_equal(vt_sql_long(admin,
                                 "SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'contacts.imported' "
                                 "AND actor_role = 'staff'",
                                 1, p),
                     1);
    /* What browsers call a .csv file is read as CSV. */
    assert_int_equal(import_typed(org, "text/csv; charset=utf-8", "phone\r\n+15550000002\r\n"), 200);
    assert_int_equal(import_typed(org, "application/vnd.ms-excel", "phone\r\n+15550000003\r\n"), 200);
    assert_int_equal(import_typed(org, "text/plain", "phone\r\n+15550000004\r\n"), 200);
    assert_int_equal(contacts_of(org), 4);
    /* No token's org, or a role that is none of the dashboard's: refused before anything is read. */
    vt_expect_error(import_as(NULL, "owner", csv, strlen(csv)), 401, "unauthorized");
    vt_expect_error(import_as(org, "authenticated", csv, strlen(csv)), 403, "unknown_role");
    assert_int_equal(contacts_of(org), 4);
}

typedef struct race {
    const char *org, *csv;
    vt_answer answer;
} race;

static void *race_import(void *arg)
{
    race *r = arg;
    r->answer = import_as(r->org, "owner", r->csv, strlen(r->csv));
    return NULL;
}

/* Imports of the same new numbers at once (the service runs two workers):
 * an insert that meets another's rows is run again and finds them — every
 * number once, every row counted once. */
static void test_racing_imports_store_each_number_once(void **state)
{
    char org[37];
    vt_create_org(admin, "CSV race", NULL, NULL, NULL, org);
    vx_buf csv = VX_BUF_INIT;
    vx_buf_puts(&csv, "phone,first_name\r\n");
    for (int i = 0; i < 3000; i++)
        vx_buf_printf(&csv, "+1555400%04d,Racer\r\n", i);
    enum { N = 4 };
    race r[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        r[i] = (race){.org = org, .csv = csv.data};
        assert_int_equal(pthread_create(&t[i], NULL, race_import, &r[i]), 0);
    }
    long imported = 0, unchanged = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        vt_expect_status(&r[i].answer, 200);
        imported += num(r[i].answer.json, "imported");
        unchanged += num(r[i].answer.json, "unchanged");
        assert_int_equal(num(r[i].answer.json, "updated"), 0);
        vt_answer_free(&r[i].answer);
    }
    assert_int_equal(imported, 3000);
    assert_int_equal(unchanged, (N - 1) * 3000);
    assert_int_equal(contacts_of(org), 3000);
    vx_buf_free(&csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ten_thousand_rows_with_37_bad),
        cmocka_unit_test(test_refused_files_change_nothing),
        cmocka_unit_test(test_duplicates_merge_and_existing_contacts_update),
        cmocka_unit_test(test_export_round_trip),
        cmocka_unit_test(test_export_in_parts),
        cmocka_unit_test(test_orgs_are_isolated),
        cmocka_unit_test(test_staff_import_only_owners_export),
        cmocka_unit_test(test_racing_imports_store_each_number_once),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    nats_Close();
    return rc;
}
