/*
 * settings: the notification preferences live in org_settings (one row per
 * org; migrations/0009 and 0012), beside the scheduling columns that belong
 * to the agent's configuration — a PUT here changes only its own three.
 *
 * An org may have no row yet: readers (webhook-ingest's CONTEXT_SQL,
 * tool-router's schedule.c, the GET below) take the column defaults then, so
 * the GET names the same defaults as migrations 0009 and 0012. The PUT
 * creates the row with the table's own defaults first and then changes the
 * fields given, in one transaction, so those defaults are written nowhere
 * but in the migrations.
 *
 * The threshold is 1..100, as migrations/0009's CHECK has it: a lead scores
 * 0..100, so 0 would alert on every call, which is not a threshold. Turning
 * alerts off is lead_alerts.
 */
#include "settings.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "service_fields.h"
#include "vx_access.h"
#include "vx_audit.h"
#include "vx_json.h"
#include "vx_log.h"

#define COLUMNS "hot_lead_threshold, reminder_lead_minutes, lead_alerts"

#define STMT_GET    "settings_notifications_get"
#define STMT_ENSURE "settings_notifications_ensure"
#define STMT_PUT    "settings_notifications_put"

/* The preferences a PUT may set. */
static const struct {
    const char *key;
    long min, max; /* 0, 0: a boolean */
} FIELDS[] = {
    {"hot_lead_threshold", 1, 100},
    {"reminder_lead_minutes", 15, 10080},
    {"lead_alerts", 0, 0},
};
#define NFIELDS (sizeof(FIELDS) / sizeof(FIELDS[0]))

void dashboard_settings_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_GET,
                  "SELECT json_build_object('hot_lead_threshold', coalesce(s.hot_lead_threshold, 70), "
                  "'reminder_lead_minutes', coalesce(s.reminder_lead_minutes, 1440), "
                  "'lead_alerts', coalesce(s.lead_alerts, true))::text "
                  "FROM (SELECT $1::uuid AS org_id) o LEFT JOIN org_settings s ON s.org_id = o.org_id");
    vx_pg_prepare(pg, STMT_ENSURE, "INSERT INTO org_settings (org_id) VALUES ($1) ON CONFLICT (org_id) DO NOTHING");
    /* NULL keeps a column as it is. */
    vx_pg_prepare(pg, STMT_PUT,
                  "WITH s AS (UPDATE org_settings SET hot_lead_threshold = coalesce($2::integer, hot_lead_threshold), "
                  "           reminder_lead_minutes = coalesce($3::integer, reminder_lead_minutes), "
                  "           lead_alerts = coalesce($4::boolean, lead_alerts) "
                  "           WHERE org_id = $1 RETURNING " COLUMNS ") "
                  "SELECT row_to_json(s)::text FROM s");
}

void dashboard_settings_notifications_get(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *params[1] = {req->auth->org_id};
    PGresult *res = vx_access_read_as_org(pg, req, STMT_GET, 1, params, reply);
    if (res == NULL)
        return;
    vx_rpc_reply_json(reply, 200, PQgetvalue(res, 0, 0));
    PQclear(res);
}

/* One member's value as SQL text into out (FIELDS[i]'s type and range). */
static bool read_value(size_t i, const cJSON *v, char out[16])
{
    if (FIELDS[i].min == 0 && FIELDS[i].max == 0) {
        if (!cJSON_IsBool(v))
            return false;
        snprintf(out, 16, "%s", cJSON_IsTrue(v) ? "true" : "false");
        return true;
    }
    if (!cJSON_IsNumber(v))
        return false;
    double d = v->valuedouble;
    if (!(d >= (double)FIELDS[i].min && d <= (double)FIELDS[i].max && d == floor(d)))
        return false;
    snprintf(out, 16, "%ld", (long)d);
    return true;
}

/* Reads the body: given_out[i] points to values[i] for each field given and
 * stays NULL for the others. False with reply set to the 400. */
static bool read_body(const vx_gateway_request *req, char values[NFIELDS][16], const char *given_out[NFIELDS], vx_rpc_reply *reply)
{
    cJSON *doc = vx_json_object_strict((const char *)req->body.data, req->body.len);
    bool ok = doc != NULL;
    if (!ok)
        vx_rpc_reply_error(reply, 400, "invalid_json", "The body must be one JSON object.");
    size_t given = 0;
    const cJSON *member;
    for (member = ok ? doc->child : NULL; ok && member != NULL; member = member->next) {
        size_t i = 0;
        while (i < NFIELDS && strcmp(member->string, FIELDS[i].key) != 0)
            i++;
        char message[192];
        if (i == NFIELDS) {
            snprintf(message, sizeof(message),
                     "Unknown field \"%.48s\": the notification settings are hot_lead_threshold, reminder_lead_minutes and "
                     "lead_alerts.",
                     member->string);
            vx_rpc_reply_error(reply, 400, "unknown_field", message);
            ok = false;
        } else if (given_out[i] != NULL) {
            snprintf(message, sizeof(message), "\"%s\" is given more than once.", FIELDS[i].key);
            vx_rpc_reply_error(reply, 400, "duplicate_field", message);
            ok = false;
        } else if (!read_value(i, member, values[i])) {
            char code[48];
            snprintf(code, sizeof(code), "invalid_%s", FIELDS[i].key);
            if (FIELDS[i].max == 0)
                snprintf(message, sizeof(message), "%s must be true or false.", FIELDS[i].key);
            else
                snprintf(message, sizeof(message), "%s must be a whole number from %ld to %ld.", FIELDS[i].key, FIELDS[i].min,
                         FIELDS[i].max);
            vx_rpc_reply_error(reply, 400, code, message);
            ok = false;
        } else {
            given_out[i] = values[i];
            given++;
        }
    }
    if (ok && given == 0) {
        vx_rpc_reply_error(reply, 400, "empty_update",
                           "Give at least one of hot_lead_threshold, reminder_lead_minutes or lead_alerts.");
        ok = false;
    }
    cJSON_Delete(doc);
    return ok;
}

/* A statement of the open transaction failed (or its commit): rolls back, logs, answers. */
static void write_failed(vx_pg *pg, const vx_gateway_request *req, const char *stmt, vx_rpc_reply *reply)
{
    bool transient = vx_pg_error_is_transient(pg);
    vx_log_error(req->request_id, req->auth->org_id, "notification settings write failed", "statement", stmt, "sqlstate",
                 vx_pg_sqlstate(pg), "error", vx_pg_error(pg));
    vx_pg_rollback(pg);
    if (transient)
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
    else
        vx_rpc_reply_error(reply, 500, "internal_error", "The settings could not be saved.");
}

void dashboard_settings_notifications_put(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    char values[NFIELDS][16];
    const char *given[NFIELDS] = {NULL};
    if (!read_body(req, values, given, reply))
        return;
    const char *org = req->auth->org_id;
    if (vx_pg_begin_org(pg, org) != 0) {
        vx_log_error(req->request_id, org, "notification settings transaction could not begin", "error", vx_pg_error(pg));
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
        return;
    }
    const char *ensure[1] = {org};
    PGresult *res = vx_pg_exec(pg, STMT_ENSURE, 1, ensure);
    if (res == NULL) {
        write_failed(pg, req, STMT_ENSURE, reply);
        return;
    }
    PQclear(res);
    const char *params[1 + NFIELDS] = {org};
    for (size_t i = 0; i < NFIELDS; i++)
        params[1 + i] = given[i];
    res = vx_pg_exec(pg, STMT_PUT, 1 + NFIELDS, params);
    if (res == NULL) {
        write_failed(pg, req, STMT_PUT, reply);
        return;
    }
    if (PQntuples(res) != 1) { /* the row made just before is not there: row-level security disagrees with org_id */
        PQclear(res);
        vx_log_error(req->request_id, org, "notification settings row missing after its insert");
        vx_pg_rollback(pg);
        vx_rpc_reply_error(reply, 500, "internal_error", "The settings could not be saved.");
        return;
    }
    /* The entry names the fields changed, not only that something did. */
    char details[160] = "{\"fields\":[";
    for (size_t i = 0, n = 0; i < NFIELDS; i++)
        if (given[i] != NULL)
            snprintf(details + strlen(details), sizeof details - strlen(details), "%s\"%s\"", n++ ? "," : "", FIELDS[i].key);
    snprintf(details + strlen(details), sizeof details - strlen(details), "]}");
    if (vx_audit_record(pg, req, "settings.notifications.updated", "settings", NULL, details) != 0) {
        PQclear(res);
        write_failed(pg, req, "audit_record", reply);
        return;
    }
    if (vx_pg_commit(pg) != 0) {
        PQclear(res);
        write_failed(pg, req, "COMMIT", reply);
        return;
    }
    vx_log_info(req->request_id, org, "notification settings changed");
    vx_rpc_reply_json(reply, 200, PQgetvalue(res, 0, 0));
    PQclear(res);
}
