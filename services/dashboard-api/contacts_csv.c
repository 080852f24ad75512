/*
 * contacts_csv: the import's one transaction and the export's pages (see
 * contacts_csv.h; the file's rules are contact_import.h's, CSV's csv.h's).
 *
 * Import: the file is read and checked whole before the database is asked
 * anything, so a file refused changes nothing. The valid rows (one per
 * number: contact_import merged the rest) go to PostgreSQL as one JSON
 * parameter, set-based — two statements whatever the number of rows:
 *   1. the org's contacts with the file's numbers are locked (in id order,
 *      so two imports of overlapping files wait instead of deadlocking):
 *      none can be deleted under us between the two statements;
 *   2. one statement updates those whose values the file changes (and only
 *      those: an unchanged contact keeps its updated_at, so importing an
 *      export changes nothing) and inserts the others.
 * A contact created with one of the numbers by someone else between the
 * statements makes the insert fail on (org_id, phone): the transaction is
 * rolled back and run again (up to three times), and then updates it.
 * The audit entry is written in the same transaction.
 */
#include "contacts_csv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "contact_import.h"
#include "csv.h"
#include "vx_audit.h"
#include "vx_cursor.h"
#include "vx_log.h"

#define STMT_IMPORT_LOCK   "contacts_import_lock"
#define STMT_IMPORT_UPSERT "contacts_import_upsert"
#define STMT_EXPORT        "contacts_export"

#define IMPORT_ATTEMPTS 3

/* One answer of the export: an importable file, and well below NATS's
 * payload limit (8 MB) whatever the notes hold. */
#define EXPORT_MAX_ROWS  CONTACT_IMPORT_MAX_ROWS
#define EXPORT_MAX_BYTES (4u * 1024 * 1024)
#define STR_(x)          #x
#define STR(x)           STR_(x)
/* The export's name in its cursors (vx_cursor.h): bound to the org and to this list. */
#define EXPORT_CURSOR_LIST "contacts export"

/* The export's columns, in the import's names (contact_import.h). */
static const char *const EXPORT_HEADER[] = {"first_name", "last_name", "phone_number", "email", "notes", "lead_status"};
#define EXPORT_COLUMNS (sizeof(EXPORT_HEADER) / sizeof(EXPORT_HEADER[0]))

/* A column's value after the import: the file's when given, else the stored one. */
#define KEPT(col) "coalesce(i." col ", c." col ")"
/* The rows, from the one JSON parameter ($2). */
#define IMPORT_ROWS                                                                                                                \
    "jsonb_to_recordset($2::jsonb) AS r(first_name text, last_name text, phone text, email text, notes text, lead_status text)"
#define IMPORT_SET                                                                                                                 \
    "first_name = " KEPT("first_name") ", last_name = " KEPT("last_name") ", email = " KEPT("email") ", notes = " KEPT(            \
        "notes") ", lead_status = " KEPT("lead_status")
/* Only a contact the file changes is written (and gets a new updated_at). */
#define IMPORT_CHANGES                                                                                                             \
    "(c.first_name, c.last_name, c.email, c.notes, c.lead_status) IS DISTINCT FROM (" KEPT("first_name") ", " KEPT(                \
        "last_name") ", " KEPT("email") ", " KEPT("notes") ", " KEPT("lead_status") ")"
static const char IMPORT_UPSERT_SQL[] =
    "WITH i AS (SELECT * FROM " IMPORT_ROWS "), "
    "u AS (UPDATE contacts c SET " IMPORT_SET " FROM i WHERE c.org_id = $1::uuid AND c.phone = i.phone AND " IMPORT_CHANGES
    " RETURNING c.id), "
    "n AS (INSERT INTO contacts (org_id, first_name, last_name, phone, email, notes, lead_status) "
    "SELECT $1::uuid, i.first_name, i.last_name, i.phone, i.email, i.notes, coalesce(i.lead_status, 'new') FROM i "
    "WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.org_id = $1::uuid AND c.phone = i.phone) RETURNING id) "
    "SELECT (SELECT count(*) FROM n), (SELECT count(*) FROM u)";

void dashboard_contacts_csv_prepare(vx_pg *pg)
{
    /* $1 org, $2 the rows (contact_import_rows_json). */
    vx_pg_prepare(pg, STMT_IMPORT_LOCK,
                  "SELECT count(*) FROM (SELECT c.id FROM contacts c JOIN jsonb_to_recordset($2::jsonb) AS i(phone text) "
                  "ON c.phone = i.phone WHERE c.org_id = $1::uuid ORDER BY c.id FOR UPDATE OF c) l");
    vx_pg_prepare(pg, STMT_IMPORT_UPSERT, IMPORT_UPSERT_SQL);
    /* $1 org; the cursor: $2 created_at in microseconds since 1970 (NULL:
     * from the newest), $3 the id. In two intervals, each exact in a double. */
    vx_pg_prepare(
        pg, STMT_EXPORT,
        "SELECT first_name, last_name, phone, email, notes, lead_status, id, "
        "(extract(epoch FROM created_at) * 1000000)::bigint FROM contacts WHERE org_id = $1::uuid "
        "AND ($2::bigint IS NULL OR (created_at, id) < (timestamptz 'epoch' + ($2::bigint / 1000000) * interval '1 second' "
        "+ ($2::bigint % 1000000) * interval '1 microsecond', $3::uuid)) "
        "ORDER BY created_at DESC, id DESC LIMIT " STR(EXPORT_MAX_ROWS) " + 1");
}

/* A write that failed: logged (statement and PostgreSQL's one-line message,
 * which holds no values), rolled back, answered. */
static void write_failed(vx_pg *pg, const vx_gateway_request *req, const char *stmt, vx_rpc_reply *reply)
{
    vx_log_error(req->request_id, req->auth->org_id, "contacts csv write failed", "statement", stmt, "sqlstate", vx_pg_sqlstate(pg),
                 "error", vx_pg_error(pg));
    bool transient = vx_pg_error_is_transient(pg);
    vx_pg_rollback(pg);
    if (transient)
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
    else
        vx_rpc_reply_error(reply, 500, "internal", "The contacts could not be saved.");
}

static void reply_refusal(vx_rpc_reply *reply, const contact_import_refusal *ref)
{
    cJSON *root = cJSON_CreateObject();
    if (root == NULL)
        abort();
    cJSON_AddStringToObject(root, "error", ref->message);
    cJSON_AddStringToObject(root, "code", ref->code);
    if (ref->line > 0)
        cJSON_AddNumberToObject(root, "line", (double)ref->line);
    vx_rpc_reply_cjson(reply, ref->status, root);
}

typedef struct import_counts {
    long imported, updated, unchanged;
} import_counts;

/* Stores imp's rows (rows_json) for req's org with the audit entry: 0 with
 * *counts, or -1 with reply set. */
static int import_store(vx_pg *pg, const vx_gateway_request *req, const contact_import *imp, const char *rows_json,
                        import_counts *counts, vx_rpc_reply *reply)
{
    const char *org = req->auth->org_id;
    const char *params[2] = {org, rows_json};
    for (int attempt = 1;; attempt++) {
        PGresult *lock = NULL, *res = NULL;
        long imported = 0, updated = 0;
        if (vx_pg_begin_org(pg, org) != 0) {
            write_failed(pg, req, "BEGIN", reply);
            return -1;
        }
        if (imp->nrows > 0) {
            if ((lock = vx_pg_exec(pg, STMT_IMPORT_LOCK, 2, params)) == NULL) {
                write_failed(pg, req, STMT_IMPORT_LOCK, reply);
                return -1;
            }
            PQclear(lock);
            if ((res = vx_pg_exec(pg, STMT_IMPORT_UPSERT, 2, params)) == NULL) {
                /* unique_violation: only (org_id, phone) can clash, with a contact created meanwhile. */
                if (strcmp(vx_pg_sqlstate(pg), "23505") == 0 && attempt < IMPORT_ATTEMPTS) {
                    vx_log_warn(req->request_id, org, "contacts import raced a new contact: again", "attempt",
                                attempt == 1 ? "1" : "2");
                    vx_pg_rollback(pg);
                    continue;
                }
                write_failed(pg, req, STMT_IMPORT_UPSERT, reply);
                return -1;
            }
            imported = strtol(PQgetvalue(res, 0, 0), NULL, 10);
            updated = strtol(PQgetvalue(res, 0, 1), NULL, 10);
            PQclear(res);
        }
        counts->imported = imported;
        counts->updated = updated;
        counts->unchanged = (long)imp->nrows - imported - updated;
        char details[256];
        snprintf(details, sizeof(details),
                 "{\"rows\":%zu,\"imported\":%ld,\"updated\":%ld,\"unchanged\":%ld,\"merged\":%zu,\"errors\":%zu}", imp->data_rows,
                 counts->imported, counts->updated, counts->unchanged, imp->merged, imp->nerrors);
        if (vx_audit_record(pg, req, "contacts.imported", NULL, NULL, details) != 0) {
            write_failed(pg, req, "audit_record", reply);
            return -1;
        }
        if (vx_pg_commit(pg) != 0) {
            write_failed(pg, req, "COMMIT", reply);
            return -1;
        }
        return 0;
    }
}

/* True when the body is a form (the gateway forwards the request's
 * Content-Type): a browser's form upload wraps the file in parts, which
 * would otherwise be read as a CSV of odd columns. Any other type, or none,
 * is read as CSV: text/csv is the one documented, but browsers label a .csv
 * file text/plain, application/vnd.ms-excel or application/octet-stream,
 * and a body that is not CSV (JSON) is refused as CSV anyway (malformed). */
static bool form_upload(const vx_gateway_request *req)
{
    const char *type = vx_rpc_header(req, VX_RPC_HEADER_CONTENT_TYPE);
    return type != NULL &&
           (strncasecmp(type, "multipart/", 10) == 0 || strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0);
}

void dashboard_contacts_import(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    if (form_upload(req)) {
        vx_rpc_reply_error(reply, 415, "unsupported_media_type",
                           "Send the CSV file itself as the body (Content-Type: text/csv), not a form. Nothing was imported.");
        return;
    }
    contact_import imp;
    contact_import_refusal ref;
    if (contact_import_parse(req->body.data, req->body.len, &imp, &ref) != 0) {
        reply_refusal(reply, &ref);
        contact_import_free(&imp);
        return;
    }
    vx_buf rows = VX_BUF_INIT;
    contact_import_rows_json(&imp, &rows);
    import_counts counts;
    if (import_store(pg, req, &imp, rows.data, &counts, reply) == 0) {
        char n_rows[24], n_new[24], n_upd[24], n_err[24];
        snprintf(n_rows, sizeof(n_rows), "%zu", imp.data_rows);
        snprintf(n_new, sizeof(n_new), "%ld", counts.imported);
        snprintf(n_upd, sizeof(n_upd), "%ld", counts.updated);
        snprintf(n_err, sizeof(n_err), "%zu", imp.nerrors);
        vx_log_info(req->request_id, req->auth->org_id, "contacts imported", "rows", n_rows, "imported", n_new, "updated", n_upd,
                    "errors", n_err);
        reply->status = 200;
        reply->content_type = "application/json";
        vx_buf *b = &reply->body;
        vx_buf_reset(b);
        vx_buf_printf(b, "{\"rows\":%zu,\"imported\":%ld,\"updated\":%ld,\"unchanged\":%ld,\"merged\":%zu,\"merges\":[",
                      imp.data_rows, counts.imported, counts.updated, counts.unchanged, imp.merged);
        if (imp.merges.len > 0)
            vx_buf_append(b, imp.merges.data, imp.merges.len);
        vx_buf_puts(b, "],\"errors\":[");
        if (imp.errors.len > 0)
            vx_buf_append(b, imp.errors.data, imp.errors.len);
        vx_buf_puts(b, "]}");
    }
    vx_buf_free(&rows);
    contact_import_free(&imp);
}

/* Appends the rows of res to csv (after its header) until the limits:
 * how many were written. */
static int export_rows(const PGresult *res, vx_buf *csv)
{
    int n = PQntuples(res), written = 0;
    for (; written < n && written < EXPORT_MAX_ROWS; written++) {
        size_t before = csv->len;
        const char *cells[EXPORT_COLUMNS];
        for (size_t c = 0; c < EXPORT_COLUMNS; c++)
            cells[c] = vx_pg_value(res, written, (int)c);
        csv_write_record(csv, cells, EXPORT_COLUMNS);
        if (csv->len > EXPORT_MAX_BYTES && written > 0) {
            csv->len = before;
            csv->data[before] = '\0';
            break;
        }
    }
    return written;
}

void dashboard_contacts_export(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *org = req->auth->org_id;
    int64_t after_us = 0;
    char us[24], id[37];
    vx_query_status cur = vx_cursor_from_query(req->query, EXPORT_CURSOR_LIST, org, &after_us, id);
    if (cur == VX_QUERY_INVALID) {
        vx_rpc_reply_error(reply, 400, "invalid_query", "cursor must be the X-Next-Cursor value of the previous part.");
        return;
    }
    snprintf(us, sizeof(us), "%" PRId64, after_us);
    const char *params[3] = {org, cur == VX_QUERY_OK ? us : NULL, cur == VX_QUERY_OK ? id : NULL};
    PGresult *res = NULL;
    if (vx_pg_begin_org(pg, org) != 0 || (res = vx_pg_exec(pg, STMT_EXPORT, 3, params)) == NULL) {
        write_failed(pg, req, STMT_EXPORT, reply);
        return;
    }
    vx_buf csv = VX_BUF_INIT;
    csv_write_record(&csv, EXPORT_HEADER, EXPORT_COLUMNS);
    int written = export_rows(res, &csv);
    bool more = written < PQntuples(res);
    char details[96], *next = NULL;
    snprintf(details, sizeof(details), "{\"rows\":%d,\"more\":%s}", written, more ? "true" : "false");
    if (more) /* the last row written: the next part starts after it */
        next = vx_cursor_encode(EXPORT_CURSOR_LIST, org, strtoll(PQgetvalue(res, written - 1, 7), NULL, 10),
                                PQgetvalue(res, written - 1, 6));
    PQclear(res);
    if (vx_audit_record(pg, req, "contacts.exported", NULL, NULL, details) != 0) {
        write_failed(pg, req, "audit_record", reply);
    } else if (vx_pg_commit(pg) != 0) {
        write_failed(pg, req, "COMMIT", reply);
    } else {
        char n_rows[24], disposition[80], date[16];
        snprintf(n_rows, sizeof(n_rows), "%d", written);
        vx_log_info(req->request_id, org, "contacts exported", "rows", n_rows, "more", more ? "true" : "false");
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d", &tm);
        snprintf(disposition, sizeof(disposition), "attachment; filename=\"contacts-%s.csv\"", date);
        reply->status = 200;
        reply->content_type = "text/csv; charset=utf-8";
        vx_buf_free(&reply->body);
        reply->body = csv;
        csv = (vx_buf)VX_BUF_INIT;
        vx_rpc_reply_header(reply, "content-disposition", disposition);
        if (more)
            vx_rpc_reply_header(reply, "x-next-cursor", next);
    }
    free(next);
    vx_buf_free(&csv);
}
