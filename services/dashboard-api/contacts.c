/*
 * contacts: as calls.c, PostgreSQL builds the JSON over named columns, so a
 * column added to contacts later reaches the dashboard only when it is added
 * here on purpose. Left out on purpose: org_id (the caller's own).
 *
 * Search: the matching ids come from contact_search_ids() (migrations/
 * 0011_contacts_search.sql): under row-level security PostgreSQL never uses
 * a trigram index for LIKE (not leakproof), so that function, scoped to the
 * transaction's org like the policies, finds the ids through the indexes,
 * and this module reads the rows under row-level security as every read.
 *
 * Writes run in a transaction under the org's claims (vx_pg_begin_org), each
 * statement also naming org_id, with their audit entry (vx_audit.h:
 * contact.created / .updated / .deleted, the fields changed by name). Logs
 * and audit entries carry ids only: never a name, number, email or note.
 */
#include "contacts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "contact_fields.h"
#include "gdpr.h"
#include "vx_access.h"
#include "vx_audit.h"
#include "vx_log.h"
#include "vx_query.h"
#include "vx_validate.h"

/* A contact as every answer shows it (list item, detail, create, update). */
#define CONTACT_COLUMNS                                                                                                            \
    "id, nullif(btrim(concat_ws(' ', first_name, last_name)), '') AS contact_name, first_name, last_name, "                        \
    "phone AS phone_number, email, lead_status, lead_score, lead_tier, notes, last_contacted_at, created_at, updated_at"

/* $1 org, $2 lead_tier, $3 lead_status (NULL: any), $4 limit, $5 offset. */
#define FILTERS "org_id = $1 AND ($2::text IS NULL OR lead_tier = $2::text) AND ($3::text IS NULL OR lead_status = $3::text)"
#define LIST_SQL                                                                                                                   \
    "SELECT coalesce(json_agg(c ORDER BY c.created_at DESC, c.id), '[]'::json)::text, "                                            \
    "(SELECT count(*) FROM contacts WHERE " FILTERS ") "                                                                           \
    "FROM (SELECT " CONTACT_COLUMNS " FROM contacts WHERE " FILTERS " ORDER BY created_at DESC, id LIMIT $4 OFFSET $5) c"
/* Searching, also $6 the text pattern and $7 the phone pattern or NULL
 * (contact_fields_search). The matches are found once (s), counted, and
 * only the page's rows are read whole. */
#define SEARCH_SQL                                                                                                                 \
    "WITH s AS MATERIALIZED (SELECT id, created_at FROM contacts WHERE " FILTERS                                                   \
    " AND id IN (SELECT contact_search_ids($6::text, $7::text))) "                                                                 \
    "SELECT coalesce(json_agg(c ORDER BY c.created_at DESC, c.id), '[]'::json)::text, (SELECT count(*) FROM s) "                   \
    "FROM (SELECT " CONTACT_COLUMNS " FROM contacts WHERE org_id = $1 AND id IN "                                                  \
    "(SELECT id FROM s ORDER BY created_at DESC, id LIMIT $4 OFFSET $5)) c"

#define STMT_LIST     "contacts_list"
#define STMT_SEARCH   "contacts_search"
#define STMT_STATS    "contacts_stats"
#define STMT_GET      "contacts_get"
#define STMT_CREATE   "contacts_create"
#define STMT_UPDATE   "contacts_update"
#define STMT_BY_PHONE "contacts_by_phone"
#define STMT_LOCK     "contacts_lock"
#define STMT_DELETE   "contacts_delete"

/* What the detail shows of a contact's history: the newest 50 of each. */
#define HISTORY_LIMIT "50"

/* The update's one parameter ($3) is contact_fields_patch_json's object: a
 * key present sets the column (null clears it), a key absent keeps it. */
#define PATCHED(col) col " = CASE WHEN $3::jsonb ? '" col "' THEN $3::jsonb ->> '" col "' ELSE " col " END, "
/* Not null, and E.164: checked again by the column's domain. */
#define PATCHED_PHONE "phone = CASE WHEN $3::jsonb ? 'phone' THEN ($3::jsonb ->> 'phone')::e164 ELSE phone END"
#define UPDATE_SET    PATCHED("first_name") PATCHED("last_name") PATCHED("email") PATCHED("notes") PATCHED("lead_status") PATCHED_PHONE
static const char UPDATE_SQL[] = "WITH k AS (UPDATE contacts SET " UPDATE_SET " WHERE org_id = $1 AND id = $2::uuid RETURNING *) "
                                 "SELECT row_to_json(c)::text, c.id FROM (SELECT " CONTACT_COLUMNS " FROM k) c";

void dashboard_contacts_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_LIST, LIST_SQL);
    vx_pg_prepare(pg, STMT_SEARCH, SEARCH_SQL);
    vx_pg_prepare(pg, STMT_STATS,
                  "SELECT json_build_object('total_leads', count(*), 'hot_leads', count(*) FILTER (WHERE lead_tier = 'hot'), "
                  "'warm_leads', count(*) FILTER (WHERE lead_tier = 'warm'), "
                  "'cold_leads', count(*) FILTER (WHERE lead_tier = 'cold'))::text FROM contacts WHERE org_id = $1");
    /* scheduled_time: the earlier dashboard's name for an appointment's start. */
    vx_pg_prepare(pg, STMT_GET,
                  "SELECT row_to_json(c)::text FROM (SELECT " CONTACT_COLUMNS ", "
                  "(SELECT coalesce(json_agg(l ORDER BY l.created_at DESC, l.id), '[]'::json) FROM ("
                  "   SELECT id, vapi_call_id, status, outcome, duration_seconds, sentiment, lead_score, lead_tier, started_at, "
                  "   created_at FROM call_logs WHERE org_id = $1 AND contact_id = $2::uuid "
                  "   ORDER BY created_at DESC, id LIMIT " HISTORY_LIMIT ") l) AS calls, "
                  "(SELECT coalesce(json_agg(a ORDER BY a.scheduled_time DESC, a.id), '[]'::json) FROM ("
                  "   SELECT id, service_name, starts_at AS scheduled_time, ends_at, status FROM appointments "
                  "   WHERE org_id = $1 AND contact_id = $2::uuid ORDER BY starts_at DESC, id LIMIT " HISTORY_LIMIT ") a) "
                  "AS appointments "
                  "FROM contacts WHERE org_id = $1 AND id = $2::uuid) c");
    /* A phone the org has already: nothing inserted, no row returned (the
     * handler then names the contact that has it). */
    vx_pg_prepare(pg, STMT_CREATE,
                  "WITH k AS (INSERT INTO contacts (org_id, first_name, last_name, phone, email, notes, lead_status) "
                  "VALUES ($1, $2::text, $3::text, $4::text, $5::text, $6::text, coalesce($7::text, 'new')) "
                  "ON CONFLICT (org_id, phone) DO NOTHING RETURNING *) "
                  "SELECT row_to_json(c)::text, c.id FROM (SELECT " CONTACT_COLUMNS " FROM k) c");
    vx_pg_prepare(pg, STMT_UPDATE, UPDATE_SQL);
    /* As text, not e164: a cast to the domain would hide the (org_id, phone) index. */
    vx_pg_prepare(pg, STMT_BY_PHONE, "SELECT id FROM contacts WHERE org_id = $1 AND phone = $2::text");
    vx_pg_prepare(pg, STMT_LOCK, "SELECT id FROM contacts WHERE org_id = $1 AND id = $2::uuid FOR UPDATE");
    /* appointments.contact_id cascades: deleting would erase the contact's
     * bookings with it, so a contact who has any is kept (409). Run after
     * STMT_LOCK, so its snapshot sees any booking committed while we waited
     * for the row, and no new one can reference the row until we commit. */
    vx_pg_prepare(pg, STMT_DELETE,
                  "DELETE FROM contacts WHERE org_id = $1 AND id = $2::uuid "
                  "AND NOT EXISTS (SELECT 1 FROM appointments WHERE org_id = $1 AND contact_id = $2::uuid) RETURNING id");
}

/* A write that failed: logged (statement and PostgreSQL's one-line message,
 * which holds no values), rolled back, answered. */
static void write_failed(vx_pg *pg, const vx_gateway_request *req, const char *stmt, vx_rpc_reply *reply)
{
    vx_log_error(req->request_id, req->auth->org_id, "contact write failed", "statement", stmt, "sqlstate", vx_pg_sqlstate(pg),
                 "error", vx_pg_error(pg));
    bool transient = vx_pg_error_is_transient(pg);
    vx_pg_rollback(pg);
    if (transient)
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
    else
        vx_rpc_reply_error(reply, 500, "internal", "The contact could not be saved.");
}

/* 409 for a phone number another contact of the org has; names that
 * contact when found (by_phone: STMT_BY_PHONE's rows, may be NULL). */
static void reply_phone_taken(vx_rpc_reply *reply, const PGresult *by_phone)
{
    cJSON *root = cJSON_CreateObject();
    if (root == NULL)
        abort();
    cJSON_AddStringToObject(root, "error", "A contact with this phone number already exists.");
    cJSON_AddStringToObject(root, "code", "contact_exists");
    if (by_phone != NULL && PQntuples(by_phone) == 1)
        cJSON_AddStringToObject(root, "contact_id", PQgetvalue(by_phone, 0, 0));
    vx_rpc_reply_cjson(reply, 409, root);
}

/* Reads an optional enum filter of the list; empty is the same as absent
 * (a dashboard's "all"). Returns false when it is present and invalid. */
static bool read_filter(const char *query, const char *key, bool (*valid)(const char *), char *out, size_t out_len,
                        const char **value)
{
    *value = NULL;
    vx_query_status st = vx_query_get(query, key, out, out_len);
    if (st == VX_QUERY_INVALID)
        return false;
    if (st == VX_QUERY_OK && out[0] != '\0') {
        if (!valid(out))
            return false;
        *value = out;
    }
    return true;
}

void dashboard_contacts_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *q = req->query;
    long page = 1, limit = 20;
    if (vx_query_long(q, "page", 1, 100000, &page) == VX_QUERY_INVALID ||
        vx_query_long(q, "limit", 1, 100, &limit) == VX_QUERY_INVALID) {
        vx_rpc_reply_error(reply, 400, "invalid_query", "page must be a positive integer and limit between 1 and 100.");
        return;
    }
    char tier_buf[16], status_buf[16];
    const char *tier, *status;
    if (!read_filter(q, "lead_tier", contact_fields_lead_tier_valid, tier_buf, sizeof(tier_buf), &tier)) {
        vx_rpc_reply_error(reply, 400, "invalid_query", "lead_tier must be one of hot, warm, cold.");
        return;
    }
    if (!read_filter(q, "lead_status", contact_fields_lead_status_valid, status_buf, sizeof(status_buf), &status)) {
        vx_rpc_reply_error(reply, 400, "invalid_query", "lead_status must be one of new, contacted, qualified, booked, lost.");
        return;
    }
    char search[4 * CONTACT_FIELDS_SEARCH_MAX];
    vx_buf text = VX_BUF_INIT, phone = VX_BUF_INIT;
    vx_query_status qs = vx_query_get(q, "q", search, sizeof(search));
    if (qs == VX_QUERY_INVALID || (qs == VX_QUERY_OK && contact_fields_search(search, &text, &phone) != 0)) {
        vx_buf_free(&text);
        vx_buf_free(&phone);
        vx_rpc_reply_error(reply, 400, "invalid_query", "q must be text of at most 200 characters.");
        return;
    }

    char limit_s[16], offset_s[24];
    snprintf(limit_s, sizeof(limit_s), "%ld", limit);
    snprintf(offset_s, sizeof(offset_s), "%ld", (page - 1) * limit);
    const char *params[7] = {req->auth->org_id, tier, status, limit_s, offset_s, text.data, phone.len > 0 ? phone.data : NULL};
    bool searching = text.len > 0;
    PGresult *res = vx_access_read_as_org(pg, req, searching ? STMT_SEARCH : STMT_LIST, searching ? 7 : 5, params, reply);
    vx_buf_free(&text);
    vx_buf_free(&phone);
    if (res == NULL)
        return;
    reply->status = 200;
    reply->content_type = "application/json";
    vx_buf_reset(&reply->body);
    vx_buf_printf(&reply->body, "{\"contacts\":%s,\"pagination\":{\"page\":%ld,\"limit\":%ld,\"total\":%s}}", PQgetvalue(res, 0, 0),
                  page, limit, PQgetvalue(res, 0, 1));
    PQclear(res);
}

void dashboard_contacts_stats(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *params[1] = {req->auth->org_id};
    PGresult *res = vx_access_read_as_org(pg, req, STMT_STATS, 1, params, reply);
    if (res == NULL)
        return;
    vx_rpc_reply_json(reply, 200, PQgetvalue(res, 0, 0));
    PQclear(res);
}

void dashboard_contacts_get(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_uuid(req, reply);
    if (id == NULL)
        return;
    const char *params[2] = {req->auth->org_id, id};
    PGresult *res = vx_access_read_as_org(pg, req, STMT_GET, 2, params, reply);
    if (res == NULL)
        return;
    /* Another org's id is not found either: its existence is not ours to tell. */
    if (PQntuples(res) == 0)
        vx_rpc_reply_error(reply, 404, "not_found", "No contact with this id.");
    else
        vx_rpc_reply_json(reply, 200, PQgetvalue(res, 0, 0));
    PQclear(res);
}

void dashboard_contacts_create(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    contact_fields f;
    contact_fields_error err;
    if (contact_fields_parse(req->body.data, req->body.len, CONTACT_FIELDS_CREATE, &f, &err) != 0) {
        vx_rpc_reply_error(reply, 400, err.code, err.message);
        contact_fields_free(&f);
        return;
    }
    const char *org = req->auth->org_id;
    const char *params[7] = {org,
                             f.value[CONTACT_FIELD_FIRST_NAME],
                             f.value[CONTACT_FIELD_LAST_NAME],
                             f.value[CONTACT_FIELD_PHONE],
                             f.value[CONTACT_FIELD_EMAIL],
                             f.value[CONTACT_FIELD_NOTES],
                             f.value[CONTACT_FIELD_LEAD_STATUS]};
    PGresult *res = NULL;
    if (vx_pg_begin_org(pg, org) != 0 || (res = vx_pg_exec(pg, STMT_CREATE, 7, params)) == NULL) {
        write_failed(pg, req, STMT_CREATE, reply);
    } else if (PQntuples(res) == 0) {
        const char *by[2] = {org, f.value[CONTACT_FIELD_PHONE]};
        PGresult *taken = vx_pg_exec(pg, STMT_BY_PHONE, 2, by);
        vx_pg_rollback(pg); /* nothing was written */
        reply_phone_taken(reply, taken);
        PQclear(taken);
    } else if (vx_audit_record(pg, req, "contact.created", "contact", PQgetvalue(res, 0, 1), NULL) != 0) {
        write_failed(pg, req, "audit_record", reply);
    } else if (vx_pg_commit(pg) != 0) {
        write_failed(pg, req, "COMMIT", reply);
    } else {
        vx_log_info(req->request_id, org, "contact created", "contact_id", PQgetvalue(res, 0, 1));
        vx_rpc_reply_json(reply, 201, PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    contact_fields_free(&f);
}

/* The audit entry's details of an update: the names of the fields given,
 * {"fields":["email","first_name"]}; never their values. Into out. */
static const char *changed_fields(const contact_fields *f, vx_buf *out)
{
    vx_buf_puts(out, "{\"fields\":[");
    for (int i = 0, n = 0; i < CONTACT_FIELD_COUNT; i++)
        if (f->given[i])
            vx_buf_printf(out, "%s\"%s\"", n++ > 0 ? "," : "", contact_fields_name(i));
    vx_buf_puts(out, "]}");
    return out->data;
}

void dashboard_contacts_update(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_uuid(req, reply);
    if (id == NULL)
        return;
    contact_fields f;
    contact_fields_error err;
    if (contact_fields_parse(req->body.data, req->body.len, CONTACT_FIELDS_UPDATE, &f, &err) != 0) {
        vx_rpc_reply_error(reply, 400, err.code, err.message);
        contact_fields_free(&f);
        return;
    }
    const char *org = req->auth->org_id;
    vx_buf patch = VX_BUF_INIT, details = VX_BUF_INIT;
    contact_fields_patch_json(&f, &patch);
    const char *params[3] = {org, id, patch.data};
    PGresult *res = NULL;
    if (vx_pg_begin_org(pg, org) != 0 || (res = vx_pg_exec(pg, STMT_UPDATE, 3, params)) == NULL) {
        if (strcmp(vx_pg_sqlstate(pg), "23505") == 0) { /* unique_violation: only (org_id, phone) can clash */
            vx_pg_rollback(pg);
            const char *by[2] = {org, f.value[CONTACT_FIELD_PHONE]};
            PGresult *taken = vx_access_read_as_org(pg, req, STMT_BY_PHONE, 2, by, reply);
            if (taken != NULL)
                reply_phone_taken(reply, taken);
            PQclear(taken);
        } else {
            write_failed(pg, req, STMT_UPDATE, reply);
        }
    } else if (PQntuples(res) == 0) {
        vx_pg_rollback(pg);
        vx_rpc_reply_error(reply, 404, "not_found", "No contact with this id.");
    } else if (vx_audit_record(pg, req, "contact.updated", "contact", id, changed_fields(&f, &details)) != 0) {
        write_failed(pg, req, "audit_record", reply);
    } else if (vx_pg_commit(pg) != 0) {
        write_failed(pg, req, "COMMIT", reply);
    } else {
        vx_log_info(req->request_id, org, "contact updated", "contact_id", id);
        vx_rpc_reply_json(reply, 200, PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    vx_buf_free(&patch);
    vx_buf_free(&details);
    contact_fields_free(&f);
}

void dashboard_contacts_delete(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_uuid(req, reply);
    if (id == NULL)
        return;
    /* ?erase=true is the GDPR erasure (gdpr.h, owners only); any other
     * parameter is refused, so nothing looks done that was not. */
    dashboard_gdpr_delete_kind kind = dashboard_gdpr_delete_query(req->query);
    if (kind == DASHBOARD_GDPR_BAD_QUERY) {
        vx_rpc_reply_error(reply, 400, "invalid_query", "The only query parameter is erase=true or erase=false.");
        return;
    }
    if (kind == DASHBOARD_GDPR_ERASE) {
        dashboard_gdpr_erase(pg, req, reply);
        return;
    }
    const char *org = req->auth->org_id;
    const char *params[2] = {org, id};
    PGresult *lock = NULL, *del = NULL;
    if (vx_pg_begin_org(pg, org) != 0 || (lock = vx_pg_exec(pg, STMT_LOCK, 2, params)) == NULL) {
        write_failed(pg, req, STMT_LOCK, reply);
    } else if (PQntuples(lock) == 0) {
        vx_pg_rollback(pg);
        vx_rpc_reply_error(reply, 404, "not_found", "No contact with this id.");
    } else if ((del = vx_pg_exec(pg, STMT_DELETE, 2, params)) == NULL) {
        write_failed(pg, req, STMT_DELETE, reply);
    } else if (PQntuples(del) == 0) {
        vx_pg_rollback(pg);
        vx_rpc_reply_error(reply, 409, "contact_has_appointments",
                           "This contact has appointments, which deleting the contact would erase too. Nothing was deleted.");
    } else if (vx_audit_record(pg, req, "contact.deleted", "contact", id, NULL) != 0) {
        write_failed(pg, req, "audit_record", reply);
    } else if (vx_pg_commit(pg) != 0) {
        write_failed(pg, req, "COMMIT", reply);
    } else {
        /* Their calls stay, no longer linked (call_logs.contact_id is set null). */
        vx_log_info(req->request_id, org, "contact deleted", "contact_id", id);
        vx_buf_reset(&reply->body);
        reply->status = 200;
        reply->content_type = "application/json";
        vx_buf_printf(&reply->body, "{\"deleted\":true,\"id\":\"%s\"}", id);
    }
    PQclear(lock);
    PQclear(del);
}
