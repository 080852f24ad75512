/*
 * contacts_csv: the org's contacts as a CSV file, in and out.
 *
 *   POST /api/contacts/import   owners and staff. The body is the CSV file
 *        (text/csv; contact_import.h says what it may hold: a header row,
 *        at most 10,000 rows). Every valid row is stored in one
 *        transaction: a number the org has already updates that contact
 *        (the file's non-blank cells overwrite, blank ones keep what is
 *        there), any other is a new contact. 200:
 *          {"rows": <data rows read>, "imported": <new contacts>,
 *           "updated": <existing contacts changed>, "unchanged": <existing
 *           contacts the file did not change>, "merged": <rows merged into
 *           an earlier row of the same number>,
 *           "merges": [{"line": 12, "into": 3}, …],
 *           "errors": [{"line": 7, "code": "invalid_field", "error": "…"}, …]}
 *        with rows = imported + updated + unchanged + merged + errors.
 *        Refused whole, nothing stored ({"error", "code"}, and "line" when
 *        one is at fault): 400 malformed_csv, empty_file, invalid_header,
 *        unknown_column, duplicate_column, missing_column; 413 too_many_rows;
 *        415 unsupported_media_type for a form upload (multipart/form-data
 *        or urlencoded: the file must be the body). Any other Content-Type,
 *        or none, is read as CSV.
 *
 *   GET /api/contacts/export[?cursor=…]   owners only. 200 text/csv
 *        (UTF-8, CRLF), with Content-Disposition: attachment;
 *        filename="contacts-<date>.csv": the header
 *        first_name,last_name,phone_number,email,notes,lead_status and the
 *        org's contacts newest first — the columns the import reads, so a
 *        file exported and imported again changes nothing (a contact
 *        without a number, which calls can create, is exported with an
 *        empty phone and would be a row error). Cells are neutralised
 *        against formula injection (csv.h). One answer holds at most
 *        10,000 contacts (an importable file) and about 4 MiB; when more
 *        remain, the X-Next-Cursor header holds the cursor of the next part
 *        (GET again with ?cursor=<it>; libcommon/vx_cursor.h, bound to the
 *        org and this export). 400 invalid_query for a cursor that is not
 *        one.
 *
 * Both write an audit entry in the transaction of what they did
 * (contacts.imported with the counts, contacts.exported with the number of
 * rows): never a number, name or email. Every statement runs under the
 * caller's org (row-level security) and also names org_id.
 */
#ifndef DASHBOARD_CONTACTS_CSV_H
#define DASHBOARD_CONTACTS_CSV_H

#include "vx_pg.h"
#include "vx_rpc.h"

void dashboard_contacts_csv_prepare(vx_pg *pg);
void dashboard_contacts_import(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_contacts_export(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
