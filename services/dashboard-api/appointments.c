/*
 * appointments: the front desk's appointments (see appointments.h).
 *
 * Design. As contacts.c, PostgreSQL builds every answer over named columns
 * (COLUMNS), so a column added to appointments later reaches the dashboard
 * only when it is added here on purpose; left out: org_id (the caller's
 * own), blocks (buffer_minutes says it), the call and tool ids, the Google
 * event id.
 *
 * A write that can collide — a booking, a move, a status back to booked —
 * runs inside a SAVEPOINT, as tool-router's calendar/booking.c: the
 * appointments_no_overlap exclusion constraint is the only judge
 * (vx_calendar_lost_race: 23P01, or 40P01 when two inserts waited on each
 * other), never a read before the write. The loser is rolled back to the
 * savepoint and answered 409 with the openings libcommon's vx_calendar
 * finds, in the same transaction (which then rolls back: nothing written).
 * Every other outcome of a request is one transaction too, its audit entry
 * (libcommon/vx_audit.h) included.
 *
 * Google Calendar. tool-router mirrors its bookings into the org's Google
 * calendar after the commit (an event per appointment, google_event_id),
 * and reads Google's busy times before offering or booking a time. The
 * dashboard does neither: it would need the org's Google access token from
 * credential-vault (a policy row and a NATS grant dashboard-api does not
 * have: README, "credential-vault") and a Google client here, and is left
 * for its own change rather than half-built. So a time booked here is not
 * checked against Google's busy times, its alternatives do not leave them
 * out, and an event tool-router made is not moved or deleted when the desk
 * reschedules or cancels its appointment (google_event_id is kept, so a
 * later sync can find it).
 */
#include "appointments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "appointment_fields.h"
#include "call_filters.h"
#include "vx_access.h"
#include "vx_audit.h"
#include "vx_calendar.h"
#include "vx_log.h"
#include "vx_query.h"
#include "vx_time.h"
#include "vx_validate.h"

#define MS_PER_MINUTE 60000LL
#define MS_PER_DAY    86400000LL

#define LIST_DEFAULT_DAYS  30
#define LIST_MAX_DAYS      366
#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX     500
#define LIST_PAGE_MAX      100000

/* An appointment booked without a service is named as tool-router names it. */
#define NO_SERVICE_NAME "appointment"

/* An instant as UTC ISO 8601 with milliseconds, as vx_time_format_iso writes
 * the alternatives: the client can compare the two as strings. */
#define UTC_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* An appointment as every answer shows it, over a (appointments) and c (its contact). */
#define COLUMNS                                                                                                                    \
    "a.id, a.contact_id, nullif(btrim(concat_ws(' ', c.first_name, c.last_name)), '') AS contact_name, c.phone AS phone_number, "  \
    "a.service_id, a.service_name, " UTC_ISO("a.starts_at") " AS scheduled_time, " UTC_ISO(                                        \
        "a.ends_at") " AS ends_at, "                                                                                               \
                     "(extract(epoch FROM a.ends_at - a.starts_at) / 60)::integer AS duration_minutes, a.buffer_minutes, "         \
                     "a.status, a.notes, "                                                                                         \
                     "a.confirmation_sent, a.created_at, a.updated_at"
#define JOINED "appointments a JOIN contacts c ON c.org_id = a.org_id AND c.id = a.contact_id"

/* Appointments starting in [$2, $3): the range drives appointments_org_starts_idx (org_id, starts_at). */
#define FILTERS                                                                                                                    \
    "a.org_id = $1 AND a.starts_at >= $2::timestamptz AND a.starts_at < $3::timestamptz "                                          \
    "AND ($4::text IS NULL OR a.status = $4::text) AND ($5::uuid IS NULL OR a.contact_id = $5::uuid) "                             \
    "AND ($6::uuid IS NULL OR a.service_id = $6::uuid)"

const char DASHBOARD_APPOINTMENTS_LIST_SQL[] =
    "SELECT coalesce(json_agg(x ORDER BY x.scheduled_time, x.id), '[]'::json)::text, "
    "(SELECT count(*) FROM appointments a WHERE " FILTERS ") "
    "FROM (SELECT " COLUMNS " FROM " JOINED " WHERE " FILTERS " ORDER BY a.starts_at, a.id LIMIT $7::integer OFFSET $8::integer) x";

#define STMT_LIST        "appointments_list"
#define STMT_GET         "appointments_get"
#define STMT_REFS        "appointments_refs"
#define STMT_INSERT      "appointments_insert"
#define STMT_LOCK        "appointments_lock"
#define STMT_MOVE        "appointments_move"
#define STMT_PATCH       "appointments_patch"
#define STMT_CANCEL      "appointments_cancel"
#define STMT_SAVEPOINT   "appointments_savepoint"
#define STMT_ROLLBACK_TO "appointments_rollback_to_savepoint"
#define STMT_RELEASE     "appointments_release_savepoint"

void dashboard_appointments_prepare(vx_pg *pg)
{
    vx_calendar_prepare(pg);
    vx_pg_prepare(pg, STMT_LIST, DASHBOARD_APPOINTMENTS_LIST_SQL);
    vx_pg_prepare(pg, STMT_GET,
                  "SELECT row_to_json(x)::text FROM (SELECT " COLUMNS " FROM " JOINED
                  " WHERE a.org_id = $1 AND a.id = $2::uuid) x");
    /* Is $2 the org's contact, and $3 the org's service (its name, duration, whether it is offered)? */
    vx_pg_prepare(pg, STMT_REFS,
                  "SELECT EXISTS (SELECT 1 FROM contacts WHERE org_id = $1 AND id = $2::uuid), s.id IS NOT NULL, s.name, "
                  "s.duration_minutes, s.active FROM (SELECT 1) AS o LEFT JOIN services s ON s.org_id = $1 AND s.id = $3::uuid");
    vx_pg_prepare(
        pg, STMT_INSERT,
        "INSERT INTO appointments (org_id, contact_id, service_id, service_name, starts_at, ends_at, buffer_minutes, notes) "
        "VALUES ($1, $2::uuid, $3::uuid, $4::text, $5::timestamptz, $5::timestamptz + make_interval(mins => $6::integer), "
        "$7::integer, $8::text) RETURNING id");
    /* Held until the commit: two changes of one appointment run one after the other. */
    vx_pg_prepare(pg, STMT_LOCK,
                  "SELECT status, (extract(epoch FROM starts_at) * 1000)::bigint, (extract(epoch FROM ends_at) * 1000)::bigint "
                  "FROM appointments WHERE org_id = $1 AND id = $2::uuid FOR UPDATE");
    vx_pg_prepare(pg, STMT_MOVE,
                  "UPDATE appointments SET starts_at = $3::timestamptz, ends_at = $3::timestamptz + make_interval(mins => "
                  "$4::integer), buffer_minutes = $5::integer WHERE org_id = $1 AND id = $2::uuid AND status = 'booked'");
    /* NULL keeps a column; notes may be set to NULL, hence their own flag ($3). */
    vx_pg_prepare(pg, STMT_PATCH,
                  "UPDATE appointments SET notes = CASE WHEN $3::boolean THEN $4::text ELSE notes END, "
                  "service_id = coalesce($5::uuid, service_id), service_name = coalesce($6::text, service_name), "
                  "status = coalesce($7::text, status) WHERE org_id = $1 AND id = $2::uuid");
    vx_pg_prepare(pg, STMT_CANCEL,
                  "UPDATE appointments SET status = 'cancelled' WHERE org_id = $1 AND id = $2::uuid AND status = 'booked'");
    vx_pg_prepare(pg, STMT_SAVEPOINT, "SAVEPOINT appointment_write");
    vx_pg_prepare(pg, STMT_ROLLBACK_TO, "ROLLBACK TO SAVEPOINT appointment_write");
    vx_pg_prepare(pg, STMT_RELEASE, "RELEASE SAVEPOINT appointment_write");
}

/* ---- the list ---- */

/* An optional query value into out (NULL *value when absent or empty);
 * false when present and invalid by valid. */
static bool read_param(const char *query, const char *key, bool (*valid)(const char *), char *out, size_t out_len,
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

static bool uuid_ok(const char *s)
{
    return vx_is_uuid(s, strlen(s));
}

/* A time bound of the list into *ms: false when present and no date or time. */
static bool read_bound(const char *query, const char *key, bool end_of_day, int64_t *ms, bool *given)
{
    char value[64];
    vx_query_status st = vx_query_get(query, key, value, sizeof(value));
    *given = st == VX_QUERY_OK;
    return st == VX_QUERY_ABSENT || (st == VX_QUERY_OK && call_filters_time(value, end_of_day, ms));
}

/* The start of the org's local today, read as the org. */
static bool local_today(vx_pg *pg, const vx_gateway_request *req, int64_t *ms, vx_rpc_reply *reply)
{
    vx_calendar_source src = {.pg = pg, .request_id = req->request_id, .org_id = req->auth->org_id};
    vx_calendar_rules rules;
    if (vx_pg_begin_org_reads(pg, req->auth->org_id) != 0 || vx_calendar_rules_load(&src, &rules) != 0) {
        vx_pg_rollback(pg);
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
        return false;
    }
    vx_pg_commit(pg); /* ends the read scope */
    *ms = rules.today_start_ms;
    return true;
}

void dashboard_appointments_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *q = req->query;
    int64_t from = 0, to = 0;
    bool has_from, has_to;
    if (!read_bound(q, "from", false, &from, &has_from) || !read_bound(q, "to", true, &to, &has_to)) {
        vx_rpc_reply_error(reply, 400, "invalid_query",
                           "from and to must be dates (2027-03-10) or times with their offset (2027-03-10T09:30:00Z; send a '+' "
                           "as %2B), from 1970 on.");
        return;
    }
    char status_buf[16], contact_buf[40], service_buf[40];
    const char *status, *contact, *service;
    if (!read_param(q, "status", appointment_fields_status_valid, status_buf, sizeof(status_buf), &status)) {
        vx_rpc_reply_error(reply, 400, "invalid_query", "status must be one of booked, cancelled, completed, no_show.");
        return;
    }
    if (!read_param(q, "contact_id", uuid_ok, contact_buf, sizeof(contact_buf), &contact) ||
        !read_param(q, "service_id", uuid_ok, service_buf, sizeof(service_buf), &service)) {
        vx_rpc_reply_error(reply, 400, "invalid_query", "contact_id and service_id must be ids (UUIDs).");
        return;
    }
    long page = 1, limit = LIST_LIMIT_DEFAULT;
    if (vx_query_long(q, "page", 1, LIST_PAGE_MAX, &page) == VX_QUERY_INVALID ||
        vx_query_long(q, "limit", 1, LIST_LIMIT_MAX, &limit) == VX_QUERY_INVALID) {
        vx_rpc_reply_error(reply, 400, "invalid_query", "page must be 1 to 100000 and limit 1 to 500.");
        return;
    }
    if (!has_from && !local_today(pg, req, &from, reply))
        return;
    if (!has_to)
        to = from + LIST_DEFAULT_DAYS * MS_PER_DAY;
    if (to <= from || to - from > LIST_MAX_DAYS * MS_PER_DAY) {
        vx_rpc_reply_error(reply, 400, "invalid_query",
                           "to must be after from (which defaults to the start of today), at most 366 days later.");
        return;
    }
    char from_s[25], to_s[25], limit_s[16], offset_s[24];
    vx_time_format_iso(from, from_s);
    vx_time_format_iso(to, to_s);
    snprintf(limit_s, sizeof(limit_s), "%ld", limit);
    snprintf(offset_s, sizeof(offset_s), "%ld", (page - 1) * limit);
    const char *params[8] = {req->auth->org_id, from_s, to_s, status, contact, service, limit_s, offset_s};
    PGresult *res = vx_access_read_as_org(pg, req, STMT_LIST, 8, params, reply);
    if (res == NULL)
        return;
    reply->status = 200;
    reply->content_type = "application/json";
    vx_buf_reset(&reply->body);
    vx_buf_printf(&reply->body,
                  "{\"appointments\":%s,\"from\":\"%s\",\"to\":\"%s\",\"pagination\":{\"page\":%ld,\"limit\":%ld,"
                  "\"total\":%s}}",
                  PQgetvalue(res, 0, 0), from_s, to_s, page, limit, PQgetvalue(res, 0, 1));
    PQclear(res);
}

/* ---- writes ---- */

/* One write request: its transaction under the org's claims, and the org's
 * calendar rules once loaded. */
typedef struct write_ctx {
    vx_pg *pg;
    const vx_gateway_request *req;
    vx_rpc_reply *reply;
    vx_calendar_source src;
    vx_calendar_rules rules;
    bool has_rules;
} write_ctx;

/* The transaction failed: logged (unless stmt is NULL: its module logged
 * it), rolled back, answered 503 when worth retrying, else 500. */
static void failed(write_ctx *w, const char *stmt)
{
    if (stmt != NULL)
        vx_log_error(w->req->request_id, w->req->auth->org_id, "appointment write failed", "statement", stmt, "sqlstate",
                     vx_pg_sqlstate(w->pg), "error", vx_pg_error(w->pg));
    bool transient = vx_pg_error_is_transient(w->pg);
    vx_pg_rollback(w->pg);
    if (transient)
        vx_rpc_reply_error(w->reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
    else
        vx_rpc_reply_error(w->reply, 500, "internal", "The appointment could not be saved.");
}

/* Rolls back (nothing to keep) and answers a refusal. */
static void refuse(write_ctx *w, unsigned status, const char *code, const char *message)
{
    vx_pg_rollback(w->pg);
    vx_rpc_reply_error(w->reply, status, code, message);
}

static bool load_rules(write_ctx *w)
{
    if (w->has_rules)
        return true;
    if (vx_calendar_rules_load(&w->src, &w->rules) != 0)
        return false;
    w->has_rules = true;
    return true;
}

/* Opens the transaction (sent with its first statement: the rules, when
 * with_rules). False with the reply set when it failed. */
static bool begin(write_ctx *w, vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply, bool with_rules)
{
    memset(w, 0, sizeof(*w));
    w->pg = pg;
    w->req = req;
    w->reply = reply;
    w->src = (vx_calendar_source){.pg = pg, .request_id = req->request_id, .org_id = req->auth->org_id};
    if (vx_pg_begin_org(pg, req->auth->org_id) != 0) {
        failed(w, "BEGIN");
        return false;
    }
    if (with_rules && !load_rules(w)) {
        failed(w, NULL);
        return false;
    }
    return true;
}

/* Runs stmt, a write that can collide, inside the savepoint. Its result;
 * or NULL with *taken when another booking holds the time (rolled back to
 * the savepoint: the transaction goes on), or NULL with !*taken when the
 * database failed (not logged: the caller answers, with vx_pg_sqlstate). */
static PGresult *colliding(write_ctx *w, const char *stmt, int n, const char *const *params, bool *taken)
{
    *taken = false;
    PGresult *r = vx_pg_exec(w->pg, STMT_SAVEPOINT, 0, NULL);
    if (r == NULL)
        return NULL;
    PQclear(r);
    r = vx_pg_exec(w->pg, stmt, n, params);
    if (r == NULL) {
        if (vx_calendar_lost_race(w->pg)) {
            PGresult *back = vx_pg_exec(w->pg, STMT_ROLLBACK_TO, 0, NULL);
            *taken = back != NULL;
            PQclear(back);
        }
        return NULL;
    }
    PGresult *rel = vx_pg_exec(w->pg, STMT_RELEASE, 0, NULL);
    if (rel == NULL) {
        PQclear(r);
        return NULL;
    }
    PQclear(rel);
    return r;
}

/* 409 slot_taken with the openings nearest [start, start + length) (the
 * appointment exclude_id, or NULL, left out), then rolls back. */
static void reply_taken(write_ctx *w, int64_t start_ms, int64_t length_ms, const char *exclude_id)
{
    int64_t day;
    vx_calendar_openings o;
    if (!load_rules(w) || vx_calendar_local_day(&w->src, w->rules.timezone, start_ms, &day) != 0 ||
        vx_calendar_openings_find(&w->src, &w->rules, day, length_ms, start_ms, exclude_id, &o) != 0) {
        failed(w, NULL);
        return;
    }
    vx_pg_rollback(w->pg);
    cJSON *root = cJSON_CreateObject(), *alternatives = cJSON_CreateArray();
    if (root == NULL || alternatives == NULL)
        abort();
    cJSON_AddStringToObject(root, "error",
                            "That time is taken: another appointment (or the time kept free after it) overlaps it. "
                            "alternatives lists the nearest free times.");
    cJSON_AddStringToObject(root, "code", "slot_taken");
    for (size_t i = 0; i < o.nslots; i++) {
        char iso[25];
        vx_time_format_iso(o.slots[i], iso);
        cJSON_AddItemToArray(alternatives, cJSON_CreateString(iso));
    }
    cJSON_AddItemToObject(root, "alternatives", alternatives);
    vx_log_info(w->req->request_id, w->req->auth->org_id, "appointment time taken", "appointment_id", exclude_id);
    vx_rpc_reply_cjson(w->reply, 409, root);
}

/* A colliding write returned NULL: answers the clash, or the failure. */
static void collision_failed(write_ctx *w, bool taken, const char *stmt, int64_t start_ms, int64_t length_ms,
                             const char *exclude_id)
{
    if (taken) {
        reply_taken(w, start_ms, length_ms, exclude_id);
    } else if (strcmp(vx_pg_sqlstate(w->pg), "23503") == 0) {
        /* foreign_key_violation: the contact or the service was deleted after we looked */
        refuse(w, 404, "not_found", "The appointment's contact or service no longer exists.");
    } else {
        failed(w, stmt);
    }
}

/* Audits action on appointment id, reads it back, commits, answers status
 * with it. */
static void finish(write_ctx *w, const char *action, const char *id, const char *details, unsigned status, const char *what)
{
    const char *params[2] = {w->req->auth->org_id, id};
    PGresult *res = NULL;
    if (action != NULL && vx_audit_record(w->pg, w->req, action, "appointment", id, details) != 0) {
        failed(w, "audit_record");
    } else if ((res = vx_pg_exec(w->pg, STMT_GET, 2, params)) == NULL || PQntuples(res) != 1) {
        failed(w, STMT_GET);
    } else if (vx_pg_commit(w->pg) != 0) {
        failed(w, "COMMIT");
    } else {
        if (what != NULL)
            vx_log_info(w->req->request_id, w->req->auth->org_id, what, "appointment_id", id);
        vx_rpc_reply_json(w->reply, status, PQgetvalue(res, 0, 0));
    }
    PQclear(res);
}

/* The org's contact (when contact_id is given) and service (when service_id
 * is): false with the refusal answered. On success *refs holds the row
 * (the caller clears it): 2 name, 3 duration_minutes. */
static bool check_refs(write_ctx *w, const char *contact_id, const char *service_id, PGresult **refs)
{
    const char *params[3] = {w->req->auth->org_id, contact_id, service_id};
    PGresult *r = vx_pg_exec(w->pg, STMT_REFS, 3, params);
    *refs = r;
    if (r == NULL || PQntuples(r) != 1) {
        failed(w, STMT_REFS);
        return false;
    }
    /* Another org's id is not found either: its existence is not ours to tell. */
    if (contact_id != NULL && strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
        refuse(w, 404, "contact_not_found", "No contact with this contact_id.");
        return false;
    }
    if (service_id != NULL && strcmp(PQgetvalue(r, 0, 1), "t") != 0) {
        refuse(w, 404, "service_not_found", "No service with this service_id.");
        return false;
    }
    if (service_id != NULL && strcmp(PQgetvalue(r, 0, 4), "t") != 0) {
        refuse(w, 409, "service_inactive", "This service is deactivated: activate it in Services, or choose another.");
        return false;
    }
    return true;
}

/* The body for mode into *f; false with the 400 answered (f freed). */
static bool read_body(const vx_gateway_request *req, appointment_fields_mode mode, appointment_fields *f, vx_rpc_reply *reply)
{
    appointment_fields_error err;
    if (appointment_fields_parse(req->body.data, req->body.len, mode, f, &err) == 0)
        return true;
    vx_rpc_reply_error(reply, 400, err.code, err.message);
    appointment_fields_free(f);
    return false;
}

void dashboard_appointments_create(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    appointment_fields f;
    if (!read_body(req, APPOINTMENT_FIELDS_CREATE, &f, reply))
        return;
    write_ctx w;
    PGresult *refs = NULL, *ins = NULL;
    const char *service = f.service_id[0] != '\0' ? f.service_id : NULL;
    if (!begin(&w, pg, req, reply, true)) {
        /* answered */
    } else if (f.start_ms < w.rules.now_ms) {
        refuse(&w, 400, "time_in_past", "scheduled_time is in the past.");
    } else if (check_refs(&w, f.contact_id, service, &refs)) {
        int minutes = f.duration_minutes > 0 ? f.duration_minutes
                      : service != NULL      ? atoi(PQgetvalue(refs, 0, 3))
                                             : w.rules.slot_minutes;
        char start[25], duration[16], buffer[16];
        vx_time_format_iso(f.start_ms, start);
        snprintf(duration, sizeof(duration), "%d", minutes);
        snprintf(buffer, sizeof(buffer), "%d", w.rules.buffer_minutes);
        const char *params[8] = {
            req->auth->org_id, f.contact_id, service, service != NULL ? PQgetvalue(refs, 0, 2) : NO_SERVICE_NAME, start,
            duration,          buffer,       f.notes};
        bool taken;
        ins = colliding(&w, STMT_INSERT, 8, params, &taken);
        if (ins == NULL) {
            collision_failed(&w, taken, STMT_INSERT, f.start_ms, minutes * MS_PER_MINUTE, NULL);
        } else {
            char details[160];
            snprintf(details, sizeof(details), "{\"contact_id\":\"%s\",\"service_id\":%s%s%s}", f.contact_id,
                     service != NULL ? "\"" : "", service != NULL ? service : "null", service != NULL ? "\"" : "");
            finish(&w, "appointment.created", PQgetvalue(ins, 0, 0), details, 201, "appointment created");
        }
    }
    PQclear(refs);
    PQclear(ins);
    appointment_fields_free(&f);
}

/* Locks appointment id: true with its status (into status[16]) and times;
 * false with the reply answered (404, or the failure). */
static bool lock(write_ctx *w, const char *id, char status[16], int64_t *start_ms, int64_t *end_ms)
{
    const char *params[2] = {w->req->auth->org_id, id};
    PGresult *r = vx_pg_exec(w->pg, STMT_LOCK, 2, params);
    if (r == NULL) {
        failed(w, STMT_LOCK);
        return false;
    }
    bool found = PQntuples(r) == 1;
    if (found) {
        snprintf(status, 16, "%s", PQgetvalue(r, 0, 0));
        *start_ms = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
        *end_ms = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
    } else {
        refuse(w, 404, "not_found", "No appointment with this id.");
    }
    PQclear(r);
    return found;
}

void dashboard_appointments_update(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_uuid(req, reply);
    appointment_fields f;
    if (id == NULL || !read_body(req, APPOINTMENT_FIELDS_UPDATE, &f, reply))
        return;
    write_ctx w;
    char status[16];
    int64_t start = 0, end = 0;
    PGresult *refs = NULL, *res = NULL;
    const char *service = f.service_id[0] != '\0' ? f.service_id : NULL;
    if (!begin(&w, pg, req, reply, false) || !lock(&w, id, status, &start, &end)) {
        /* answered */
    } else if (f.status[0] != '\0' && strcmp(status, "cancelled") == 0) {
        refuse(&w, 409, "appointment_cancelled",
               "This appointment is cancelled and its time may be taken: book a new appointment instead.");
    } else if (service == NULL || check_refs(&w, NULL, service, &refs)) {
        bool notes = (f.given & APPOINTMENT_FIELD_NOTES) != 0;
        const char *params[7] = {req->auth->org_id,
                                 id,
                                 notes ? "true" : "false",
                                 f.notes,
                                 service,
                                 service != NULL ? PQgetvalue(refs, 0, 2) : NULL,
                                 f.status[0] != '\0' ? f.status : NULL};
        bool taken;
        /* Back to booked re-enters the no-overlap rule; anything else cannot clash. */
        res = colliding(&w, STMT_PATCH, 7, params, &taken);
        if (res == NULL) {
            collision_failed(&w, taken, STMT_PATCH, start, end - start, id);
        } else {
            char details[128];
            appointment_fields_names_json(&f, details);
            finish(&w, "appointment.updated", id, details, 200, "appointment updated");
        }
    }
    PQclear(refs);
    PQclear(res);
    appointment_fields_free(&f);
}

void dashboard_appointments_reschedule(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_uuid(req, reply);
    appointment_fields f;
    if (id == NULL || !read_body(req, APPOINTMENT_FIELDS_RESCHEDULE, &f, reply))
        return;
    write_ctx w;
    char status[16];
    int64_t start = 0, end = 0;
    PGresult *res = NULL;
    if (!begin(&w, pg, req, reply, true) || !lock(&w, id, status, &start, &end)) {
        /* answered */
    } else if (strcmp(status, "booked") != 0) {
        refuse(&w, 409, "not_booked", "Only a booked appointment can be rescheduled.");
    } else if (f.start_ms < w.rules.now_ms) {
        refuse(&w, 400, "time_in_past", "scheduled_time is in the past.");
    } else {
        int minutes = f.duration_minutes > 0 ? f.duration_minutes : (int)((end - start) / MS_PER_MINUTE);
        char at[25], duration[16], buffer[16];
        vx_time_format_iso(f.start_ms, at);
        snprintf(duration, sizeof(duration), "%d", minutes);
        snprintf(buffer, sizeof(buffer), "%d", w.rules.buffer_minutes);
        const char *params[5] = {req->auth->org_id, id, at, duration, buffer};
        bool taken;
        res = colliding(&w, STMT_MOVE, 5, params, &taken);
        if (res == NULL)
            collision_failed(&w, taken, STMT_MOVE, f.start_ms, minutes * MS_PER_MINUTE, id);
        else
            finish(&w, "appointment.rescheduled", id, NULL, 200, "appointment rescheduled");
    }
    PQclear(res);
    appointment_fields_free(&f);
}

void dashboard_appointments_cancel(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_uuid(req, reply);
    appointment_fields f;
    if (id == NULL || !read_body(req, APPOINTMENT_FIELDS_CANCEL, &f, reply))
        return;
    appointment_fields_free(&f);
    write_ctx w;
    char status[16];
    int64_t start = 0, end = 0;
    PGresult *res = NULL;
    const char *params[2] = {req->auth->org_id, id};
    if (!begin(&w, pg, req, reply, false) || !lock(&w, id, status, &start, &end)) {
        /* answered */
    } else if (strcmp(status, "cancelled") == 0) {
        finish(&w, NULL, id, NULL, 200, NULL); /* again: the same answer, nothing written */
    } else if (strcmp(status, "booked") != 0) {
        refuse(&w, 409, "not_booked", "Only a booked appointment can be cancelled: this one is marked completed or no-show.");
    } else if ((res = vx_pg_exec(pg, STMT_CANCEL, 2, params)) == NULL) {
        failed(&w, STMT_CANCEL);
    } else {
        /* Cancelled rows are outside the exclusion constraint: the time is free at once. */
        finish(&w, "appointment.cancelled", id, NULL, 200, "appointment cancelled");
    }
    PQclear(res);
}
