/*
 * services: the price list. Bodies are checked by service_fields.c before
 * any SQL; PostgreSQL builds every answer (row_to_json over named columns,
 * as calls.c), so a column added to services later — internal bookkeeping —
 * reaches the dashboard only when it is added to COLUMNS on purpose. Left
 * out: org_id, the caller's own.
 *
 * Reads go through vx_access_read_as_org; writes are transactions under the
 * org's claims (vx_pg_begin_org), and every statement also names org_id.
 * Another org's id therefore matches no row: 404, exactly as an id that does
 * not exist, so ids cannot be probed across orgs.
 *
 * Deleting a service that appointments refer to is refused (409
 * service_in_use), not turned into a deactivation. The foreign key would
 * let the delete through (ON DELETE SET NULL): each appointment would keep
 * its service_name but lose its link to the service, and with it the
 * service's price and duration for pipeline value and per-service
 * conversions. Deactivating instead would answer "deleted" for a row still
 * there, whose name still blocks a new service of that name. So the owner is
 * told, and deactivates on purpose (PATCH {"active": false}): the agent stops
 * offering it and webhook-ingest stops pricing calls with it, while the
 * history keeps its link.
 */
#include "services.h"

#include <stdio.h>
#include <string.h>

#include "service_fields.h"
#include "vx_access.h"
#include "vx_audit.h"
#include "vx_log.h"
#include "vx_query.h"
#include "vx_validate.h"

#define COLUMNS "id, name, price, duration_minutes, keywords, active, created_at, updated_at"

#define STMT_LIST   "services_list"
#define STMT_CREATE "services_create"
#define STMT_UPDATE "services_update"
#define STMT_LOCK   "services_lock"
#define STMT_DELETE "services_delete"

void dashboard_services_prepare(vx_pg *pg)
{
    /* Names are unique per org case-insensitively, so lower(name) orders fully. */
    vx_pg_prepare(pg, STMT_LIST,
                  "SELECT coalesce(json_agg(s ORDER BY lower(s.name)), '[]'::json)::text "
                  "FROM (SELECT " COLUMNS " FROM services WHERE org_id = $1 AND ($2::boolean IS NULL OR active = $2)) s");
    vx_pg_prepare(pg, STMT_CREATE,
                  "WITH s AS (INSERT INTO services (org_id, name, price, duration_minutes, keywords, active) "
                  "           VALUES ($1, $2, $3::numeric, $4::integer, $5::text[], $6::boolean) RETURNING " COLUMNS ") "
                  "SELECT row_to_json(s)::text, s.id FROM s");
    /* NULL keeps a column as it is; price may be set to NULL, hence its own flag ($4). */
    vx_pg_prepare(pg, STMT_UPDATE,
                  "WITH s AS (UPDATE services SET name = coalesce($3, name), "
                  "           price = CASE WHEN $4::boolean THEN $5::numeric ELSE price END, "
                  "           duration_minutes = coalesce($6::integer, duration_minutes), "
                  "           keywords = coalesce($7::text[], keywords), active = coalesce($8::boolean, active) "
                  "           WHERE org_id = $1 AND id = $2 RETURNING " COLUMNS ") "
                  "SELECT row_to_json(s)::text FROM s");
    /* Held until the commit, and conflicting with the lock a booking's
     * foreign-key check takes on the service: a booking in flight is waited
     * for, and the delete's own snapshot (taken after) sees its appointment;
     * a later one waits for the delete and then fails its check. Without it,
     * an appointment committed while the delete ran would lose its link. */
    vx_pg_prepare(pg, STMT_LOCK, "SELECT 1 FROM services WHERE org_id = $1 AND id = $2 FOR UPDATE");
    vx_pg_prepare(pg, STMT_DELETE,
                  "DELETE FROM services WHERE org_id = $1 AND id = $2 "
                  "AND NOT EXISTS (SELECT 1 FROM appointments WHERE org_id = $1 AND service_id = $2) RETURNING id");
}

/* A statement of the open transaction failed: rolls back and answers. The
 * org's unique name is the caller's mistake (409); anything else is logged. */
static void write_failed(vx_pg *pg, const vx_gateway_request *req, const char *stmt, vx_rpc_reply *reply)
{
    char sqlstate[6];
    snprintf(sqlstate, sizeof(sqlstate), "%s", vx_pg_sqlstate(pg));
    bool transient = vx_pg_error_is_transient(pg);
    if (strcmp(sqlstate, "23505") != 0)
        vx_log_error(req->request_id, req->auth->org_id, "services write failed", "statement", stmt, "sqlstate", sqlstate, "error",
                     vx_pg_error(pg));
    vx_pg_rollback(pg);
    if (strcmp(sqlstate, "23505") == 0)
        vx_rpc_reply_error(reply, 409, "service_exists", "A service with this name already exists (names ignore case).");
    else if (transient)
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
    else
        vx_rpc_reply_error(reply, 500, "internal_error", "The service could not be saved.");
}

/* vx_pg_begin_org failed: nothing was sent, the database is out of reach. */
static void begin_failed(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    vx_log_error(req->request_id, req->auth->org_id, "services transaction could not begin", "error", vx_pg_error(pg));
    vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
}

/* Runs stmt as a transaction of its own under the caller's org, with the
 * audit entry action for the service it wrote (id, or the id column of its
 * result for a new one) when it wrote one. The result (the caller clears
 * it), or NULL with reply set. */
static PGresult *write_one(vx_pg *pg, const vx_gateway_request *req, const char *stmt, int n, const char *const *params,
                           const char *action, const char *id, vx_rpc_reply *reply)
{
    if (vx_pg_begin_org(pg, req->auth->org_id) != 0) {
        begin_failed(pg, req, reply);
        return NULL;
    }
    PGresult *res = vx_pg_exec(pg, stmt, n, params);
    if (res == NULL) {
        write_failed(pg, req, stmt, reply);
        return NULL;
    }
    if (PQntuples(res) > 0 && vx_audit_record(pg, req, action, "service", id != NULL ? id : vx_pg_value(res, 0, 1), NULL) != 0) {
        PQclear(res);
        write_failed(pg, req, "audit_record", reply);
        return NULL;
    }
    if (vx_pg_commit(pg) != 0) {
        PQclear(res);
        write_failed(pg, req, "COMMIT", reply);
        return NULL;
    }
    return res;
}

/* Reads the body; false with reply set to the 400. */
static bool read_body(const vx_gateway_request *req, service_fields_mode mode, service_fields *f, vx_rpc_reply *reply)
{
    service_fields_error err;
    if (service_fields_parse((const char *)req->body.data, req->body.len, mode, f, &err) == 0)
        return true;
    vx_rpc_reply_error(reply, 400, err.code, err.message);
    return false;
}

void dashboard_services_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    char active[8];
    vx_query_status st = vx_query_get(req->query, "active", active, sizeof(active));
    if (st == VX_QUERY_INVALID || (st == VX_QUERY_OK && strcmp(active, "true") != 0 && strcmp(active, "false") != 0)) {
        vx_rpc_reply_error(reply, 400, "invalid_query", "active must be true or false.");
        return;
    }
    const char *params[2] = {req->auth->org_id, st == VX_QUERY_OK ? active : NULL};
    PGresult *res = vx_access_read_as_org(pg, req, STMT_LIST, 2, params, reply);
    if (res == NULL)
        return;
    reply->status = 200;
    reply->content_type = "application/json";
    vx_buf_printf(&reply->body, "{\"services\":%s}", PQgetvalue(res, 0, 0));
    PQclear(res);
}

void dashboard_services_create(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    service_fields f;
    if (!read_body(req, SERVICE_FIELDS_CREATE, &f, reply))
        return;
    const char *params[6] = {req->auth->org_id, f.name,     f.has_price ? f.price : NULL,
                             f.duration,        f.keywords, f.active ? "true" : "false"};
    PGresult *res = write_one(pg, req, STMT_CREATE, 6, params, "service.created", NULL, reply);
    if (res != NULL) {
        vx_log_info(req->request_id, req->auth->org_id, "service created", "service_id", vx_pg_value(res, 0, 1));
        vx_rpc_reply_json(reply, 201, PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    service_fields_clear(&f);
}

void dashboard_services_update(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_uuid(req, reply);
    service_fields f;
    if (id == NULL || !read_body(req, SERVICE_FIELDS_UPDATE, &f, reply))
        return;
    bool price = f.present & SERVICE_FIELD_PRICE;
    const char *params[8] = {
        req->auth->org_id,
        id,
        f.name,
        price ? "true" : "false",
        price && f.has_price ? f.price : NULL,
        f.present & SERVICE_FIELD_DURATION ? f.duration : NULL,
        f.keywords,
        f.present & SERVICE_FIELD_ACTIVE ? (f.active ? "true" : "false") : NULL,
    };
    PGresult *res = write_one(pg, req, STMT_UPDATE, 8, params, "service.updated", id, reply);
    if (res != NULL) {
        if (PQntuples(res) == 0) {
            vx_rpc_reply_error(reply, 404, "not_found", "No service with this id.");
        } else {
            vx_log_info(req->request_id, req->auth->org_id, "service updated", "service_id", id);
            vx_rpc_reply_json(reply, 200, PQgetvalue(res, 0, 0));
        }
        PQclear(res);
    }
    service_fields_clear(&f);
}

void dashboard_services_delete(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_uuid(req, reply);
    if (id == NULL)
        return;
    const char *params[2] = {req->auth->org_id, id};
    if (vx_pg_begin_org(pg, req->auth->org_id) != 0) {
        begin_failed(pg, req, reply);
        return;
    }
    PGresult *res = vx_pg_exec(pg, STMT_LOCK, 2, params);
    if (res == NULL) {
        write_failed(pg, req, STMT_LOCK, reply);
        return;
    }
    bool found = PQntuples(res) == 1;
    PQclear(res);
    if (!found) {
        vx_pg_rollback(pg);
        vx_rpc_reply_error(reply, 404, "not_found", "No service with this id.");
        return;
    }
    res = vx_pg_exec(pg, STMT_DELETE, 2, params);
    if (res == NULL) {
        write_failed(pg, req, STMT_DELETE, reply);
        return;
    }
    bool deleted = PQntuples(res) == 1;
    PQclear(res);
    if (!deleted) {
        vx_pg_rollback(pg);
        vx_rpc_reply_error(reply, 409, "service_in_use",
                           "Appointments refer to this service, so it cannot be deleted. Deactivate it instead "
                           "(PATCH with {\"active\": false}): the agent stops offering it and the appointments keep it.");
        return;
    }
    if (vx_audit_record(pg, req, "service.deleted", "service", id, NULL) != 0) {
        write_failed(pg, req, "audit_record", reply);
        return;
    }
    if (vx_pg_commit(pg) != 0) {
        write_failed(pg, req, "COMMIT", reply);
        return;
    }
    vx_log_info(req->request_id, req->auth->org_id, "service deleted", "service_id", id);
    char body[80];
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"deleted\":true}", id);
    vx_rpc_reply_json(reply, 200, body);
}
