/*
 * agent: GET and PUT /api/agent, GET /api/agent/sync (see agent.h).
 *
 * PostgreSQL builds every answer (json_build_object over named columns), so
 * the GET, the PUT's answer and the PUT's before/after comparison are one
 * statement, and an org without rows gets the defaults of migrations 0003
 * and 0017 in one place beside them.
 *
 * The body, checked and normalized by agent_fields.c, is handed to every
 * write as one jsonb parameter; each statement changes only the columns
 * whose key the body has ("$2 ? 'name'"), so a partial save cannot clear
 * what it did not name. Only the statements of the tables the body touches
 * are run.
 *
 * The order inside the transaction: the checks only the database can make
 * (the timezone in its tz data, the service ids among the org's), then the
 * version bump — an upsert whose row lock makes concurrent saves of one org
 * take turns from here on — then the "before" read, the writes, the "after"
 * read, the sync row and the audit entry. The job is published after the
 * commit (never before: tool-sync would read the old configuration), and a
 * failure to publish is not a failure of the save: agent_sync is what
 * tool-sync's sweep works from (the conventions' outbox, with the row
 * itself as the outbox entry).
 */
#include "agent.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_fields.h"
#include "voxanne/v1/work.pb-c.h"
#include "vx_access.h"
#include "vx_audit.h"
#include "vx_log.h"
#include "vx_time.h"
#include "vx_work.h"

#define STMT_GET             "agent_get"
#define STMT_SYNC            "agent_sync_get"
#define STMT_CHECK           "agent_check"
#define STMT_BUMP            "agent_bump"
#define STMT_AGENT           "agent_update"
#define STMT_SETTINGS_ENSURE "agent_settings_ensure"
#define STMT_SETTINGS        "agent_settings_update"
#define STMT_HOURS_DELETE    "agent_hours_delete"
#define STMT_HOURS_INSERT    "agent_hours_insert"
#define STMT_TRANSFER_ENSURE "agent_transfer_ensure"
#define STMT_TRANSFER        "agent_transfer_update"
#define STMT_SERVICES        "agent_services_update"
#define STMT_SYNC_SAVE       "agent_sync_save"

/* Set once by main.c before the workers start, read by them after. */
static jsCtx *job_js;

void dashboard_agent_configure(jsCtx *js)
{
    job_js = js;
}

/* The org's timezone, the settings row and the sync row: what the sync
 * object below needs (o is the org). */
#define SYNC_FROM                                                                                                                  \
    " LEFT JOIN org_settings s ON s.org_id = o.org_id"                                                                             \
    " LEFT JOIN agent_sync y ON y.org_id = o.org_id"                                                                               \
    " CROSS JOIN LATERAL (SELECT coalesce(s.timezone, 'America/New_York') AS name) tz"

/* The next try, when one is planned after a failed one, in the org's zone. */
#define NEXT_TRY                                                                                                                   \
    "CASE WHEN y.state <> 'synced' AND y.attempts > 0 AND y.next_attempt_at IS NOT NULL"                                           \
    " THEN '; next try at ' || to_char(y.next_attempt_at AT TIME ZONE tz.name, 'YYYY-MM-DD HH24:MI') || ' ' || tz.name"            \
    " ELSE '' END"

#define SYNC_OBJECT                                                                                                                \
    "json_build_object('state', coalesce(y.state, 'not_saved'), 'detail', y.detail,"                                               \
    " 'desired_version', coalesce(y.desired_version, 0), 'synced_version', coalesce(y.synced_version, 0),"                         \
    " 'attempts', coalesce(y.attempts, 0), 'next_attempt_at', y.next_attempt_at, 'updated_at', y.updated_at,"                      \
    " 'summary', CASE WHEN y.org_id IS NULL THEN 'not saved yet'"                                                                  \
    "   WHEN y.state = 'synced' THEN 'synced'"                                                                                     \
    "   WHEN y.state = 'pending' THEN 'saved, sync with Vapi pending' || " NEXT_TRY                                                \
    "   WHEN y.state = 'linking_pending' THEN 'tools registered, linking pending' || " NEXT_TRY                                    \
    "   ELSE 'failed: ' || coalesce(y.detail, 'no reason recorded') || " NEXT_TRY " END)"

/* The day names as business_hours.weekday numbers them (0 = Sunday). */
#define WEEKDAY_OF(name)                                                                                                           \
    "(array_position(ARRAY['sunday','monday','tuesday','wednesday','thursday','friday','saturday'], " name ") - 1)"

void dashboard_agent_prepare(vx_pg *pg)
{
    /* The defaults are those of agent_config (0017) and org_settings (0003). */
    vx_pg_prepare(pg, STMT_GET,
                  "SELECT json_build_object("
                  " 'name', coalesce(c.name, 'Receptionist'),"
                  " 'voice', CASE WHEN c.voice_provider IS NULL THEN NULL"
                  "   ELSE json_build_object('provider', c.voice_provider, 'voice_id', c.voice_id) END,"
                  " 'first_message', c.first_message,"
                  " 'system_prompt', coalesce(c.system_prompt, ''),"
                  " 'timezone', tz.name,"
                  " 'slot_minutes', coalesce(s.slot_minutes, 30),"
                  " 'buffer_minutes', coalesce(s.buffer_minutes, 0),"
                  " 'business_hours', (SELECT json_object_agg(d.day, coalesce(h.list, '[]'::json) ORDER BY d.ord)"
                  "   FROM unnest(ARRAY['monday','tuesday','wednesday','thursday','friday','saturday','sunday'])"
                  "     WITH ORDINALITY AS d(day, ord)"
                  "   LEFT JOIN LATERAL (SELECT json_agg(json_build_object('opens', left(b.opens::text, 5),"
                  "       'closes', left(b.closes::text, 5)) ORDER BY b.opens) AS list"
                  "     FROM business_hours b WHERE b.org_id = o.org_id AND b.weekday = d.ord % 7) h ON true),"
                  " 'transfer_phone_number', i.transfer_phone_number,"
                  " 'transfer_sip_uri', i.transfer_sip_uri,"
                  " 'transfer_departments', coalesce(i.transfer_departments, '{}'::jsonb),"
                  " 'services_offered', coalesce((SELECT json_agg(v.id ORDER BY lower(v.name), v.id) FROM services v"
                  "   WHERE v.org_id = o.org_id AND v.active), '[]'::json),"
                  " 'version', coalesce(c.config_version, 0),"
                  " 'sync', " SYNC_OBJECT ")::text"
                  " FROM (SELECT $1::uuid AS org_id) o"
                  " LEFT JOIN agent_config c ON c.org_id = o.org_id"
                  " LEFT JOIN integration_settings i ON i.org_id = o.org_id" SYNC_FROM);
    vx_pg_prepare(pg, STMT_SYNC, "SELECT " SYNC_OBJECT "::text FROM (SELECT $1::uuid AS org_id) o" SYNC_FROM);
    /* What only the database can tell: whether it knows the zone; how many
     * of the ids are not the org's services (row-level security hides
     * another org's, so they count as unknown too); whether the department
     * names are unique under its own lower(), as transfer_departments_valid()
     * (0004) and tool-router compare them — agent_fields.c folds ASCII only. */
    vx_pg_prepare(pg, STMT_CHECK,
                  "SELECT CASE WHEN $2::jsonb ? 'timezone' THEN is_iana_timezone($2::jsonb ->> 'timezone') ELSE true END,"
                  " (SELECT count(*) FROM jsonb_array_elements_text(coalesce($2::jsonb -> 'services_offered', '[]')) AS x(id)"
                  "   WHERE NOT EXISTS (SELECT 1 FROM services v WHERE v.org_id = $1::uuid AND v.id = x.id::uuid)),"
                  " (SELECT count(DISTINCT lower(k)) = count(*)"
                  "   FROM jsonb_object_keys(coalesce($2::jsonb -> 'transfer_departments', '{}')) AS k)");
    vx_pg_prepare(pg, STMT_BUMP,
                  "INSERT INTO agent_config (org_id, config_version) VALUES ($1::uuid, 1)"
                  " ON CONFLICT (org_id) DO UPDATE SET config_version = agent_config.config_version + 1"
                  " RETURNING config_version");
    vx_pg_prepare(
        pg, STMT_AGENT,
        "UPDATE agent_config SET"
        " name = CASE WHEN $2::jsonb ? 'name' THEN $2::jsonb ->> 'name' ELSE name END,"
        " voice_provider = CASE WHEN $2::jsonb ? 'voice' THEN $2::jsonb #>> '{voice,provider}' ELSE voice_provider END,"
        " voice_id = CASE WHEN $2::jsonb ? 'voice' THEN $2::jsonb #>> '{voice,voice_id}' ELSE voice_id END,"
        " first_message = CASE WHEN $2::jsonb ? 'first_message' THEN $2::jsonb ->> 'first_message' ELSE first_message END,"
        " system_prompt = CASE WHEN $2::jsonb ? 'system_prompt' THEN $2::jsonb ->> 'system_prompt' ELSE system_prompt END"
        " WHERE org_id = $1::uuid");
    vx_pg_prepare(pg, STMT_SETTINGS_ENSURE, "INSERT INTO org_settings (org_id) VALUES ($1::uuid) ON CONFLICT (org_id) DO NOTHING");
    vx_pg_prepare(pg, STMT_SETTINGS,
                  "UPDATE org_settings SET"
                  " timezone = CASE WHEN $2::jsonb ? 'timezone' THEN $2::jsonb ->> 'timezone' ELSE timezone END,"
                  " slot_minutes = CASE WHEN $2::jsonb ? 'slot_minutes' THEN ($2::jsonb ->> 'slot_minutes')::integer"
                  "   ELSE slot_minutes END,"
                  " buffer_minutes = CASE WHEN $2::jsonb ? 'buffer_minutes' THEN ($2::jsonb ->> 'buffer_minutes')::integer"
                  "   ELSE buffer_minutes END"
                  " WHERE org_id = $1::uuid");
    /* A day named is replaced whole: its rows go, its intervals come. */
    vx_pg_prepare(pg, STMT_HOURS_DELETE,
                  "DELETE FROM business_hours WHERE org_id = $1::uuid AND weekday IN"
                  " (SELECT " WEEKDAY_OF("k") " FROM jsonb_object_keys($2::jsonb -> 'business_hours') AS k)");
    vx_pg_prepare(pg, STMT_HOURS_INSERT,
                  "INSERT INTO business_hours (org_id, weekday, opens, closes)"
                  " SELECT $1::uuid, " WEEKDAY_OF(
                      "d.key") ", (h ->> 'opens')::time, (h ->> 'closes')::time"
                               " FROM jsonb_each($2::jsonb -> 'business_hours') AS d, jsonb_array_elements(d.value) AS h");
    vx_pg_prepare(pg, STMT_TRANSFER_ENSURE,
                  "INSERT INTO integration_settings (org_id) VALUES ($1::uuid) ON CONFLICT (org_id) DO NOTHING");
    vx_pg_prepare(pg, STMT_TRANSFER,
                  "UPDATE integration_settings SET"
                  " transfer_phone_number = CASE WHEN $2::jsonb ? 'transfer_phone_number'"
                  "   THEN ($2::jsonb ->> 'transfer_phone_number')::e164 ELSE transfer_phone_number END,"
                  " transfer_sip_uri = CASE WHEN $2::jsonb ? 'transfer_sip_uri' THEN $2::jsonb ->> 'transfer_sip_uri'"
                  "   ELSE transfer_sip_uri END,"
                  " transfer_departments = CASE WHEN $2::jsonb ? 'transfer_departments' THEN $2::jsonb -> 'transfer_departments'"
                  "   ELSE transfer_departments END"
                  " WHERE org_id = $1::uuid");
    /* The services offered are the active ones; only rows that change are written. */
    vx_pg_prepare(pg, STMT_SERVICES,
                  "WITH offered AS (SELECT x::uuid AS id FROM jsonb_array_elements_text($2::jsonb -> 'services_offered') AS x)"
                  " UPDATE services v SET active = EXISTS (SELECT 1 FROM offered WHERE offered.id = v.id)"
                  " WHERE v.org_id = $1::uuid AND v.active <> EXISTS (SELECT 1 FROM offered WHERE offered.id = v.id)");
    vx_pg_prepare(
        pg, STMT_SYNC_SAVE,
        "INSERT INTO agent_sync (org_id, desired_version, state, next_attempt_at) VALUES ($1::uuid, $2::bigint, 'pending', now())"
        " ON CONFLICT (org_id) DO UPDATE SET desired_version = EXCLUDED.desired_version, state = 'pending',"
        " detail = NULL, attempts = 0, next_attempt_at = now()");
}

static void read_one(vx_pg *pg, const vx_gateway_request *req, const char *stmt, vx_rpc_reply *reply)
{
    const char *params[1] = {req->auth->org_id};
    PGresult *res = vx_access_read_as_org(pg, req, stmt, 1, params, reply);
    if (res == NULL)
        return;
    vx_rpc_reply_json(reply, 200, PQgetvalue(res, 0, 0));
    PQclear(res);
}

void dashboard_agent_get(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    read_one(pg, req, STMT_GET, reply);
}

void dashboard_agent_sync_get(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    read_one(pg, req, STMT_SYNC, reply);
}

/* A statement of the open transaction failed (or its commit): rolls back, logs, answers. */
static void write_failed(vx_pg *pg, const vx_gateway_request *req, const char *stmt, vx_rpc_reply *reply)
{
    bool transient = vx_pg_error_is_transient(pg);
    vx_log_error(req->request_id, req->auth->org_id, "agent configuration write failed", "statement", stmt, "sqlstate",
                 vx_pg_sqlstate(pg), "error", vx_pg_error(pg));
    vx_pg_rollback(pg);
    if (transient)
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
    else
        vx_rpc_reply_error(reply, 500, "internal_error", "The agent configuration could not be saved.");
}

/* Runs stmt with (org, arg) in the open transaction; the result, or NULL with
 * reply set (and the transaction rolled back). */
static PGresult *run(vx_pg *pg, const vx_gateway_request *req, const char *stmt, const char *arg, vx_rpc_reply *reply)
{
    const char *params[2] = {req->auth->org_id, arg};
    PGresult *res = vx_pg_exec(pg, stmt, arg != NULL ? 2 : 1, params);
    if (res == NULL)
        write_failed(pg, req, stmt, reply);
    return res;
}

/* run() for a statement whose result is not needed: 0, or -1 with reply set. */
static int run_done(vx_pg *pg, const vx_gateway_request *req, const char *stmt, const char *arg, vx_rpc_reply *reply)
{
    PGresult *res = run(pg, req, stmt, arg, reply);
    PQclear(res);
    return res != NULL ? 0 : -1;
}

/* The checks of STMT_CHECK: 0, or -1 with reply set to the 400 (rolled back). */
static int check_in_database(vx_pg *pg, const vx_gateway_request *req, const char *values, vx_rpc_reply *reply)
{
    PGresult *res = run(pg, req, STMT_CHECK, values, reply);
    if (res == NULL)
        return -1;
    bool zone_known = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    bool services_known = strcmp(PQgetvalue(res, 0, 1), "0") == 0;
    bool departments_unique = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
    PQclear(res);
    if (zone_known && services_known && departments_unique)
        return 0;
    vx_pg_rollback(pg);
    if (!zone_known)
        vx_rpc_reply_error(reply, 400, "invalid_timezone",
                           "timezone is not a time zone this server knows: use an IANA name such as America/New_York.");
    else if (!services_known)
        vx_rpc_reply_error(reply, 400, "invalid_services_offered",
                           "services_offered names a service this organization does not have (see GET /api/services).");
    else
        vx_rpc_reply_error(reply, 400, "invalid_transfer_departments",
                           "transfer_departments: two department names are the same but for the case of their letters.");
    return -1;
}

/* The writes the body needs, in the open transaction: 0, or -1 with reply set. */
static int write_fields(vx_pg *pg, const vx_gateway_request *req, unsigned present, const char *values, vx_rpc_reply *reply)
{
    if ((present & AGENT_FIELDS_OF_AGENT) && run_done(pg, req, STMT_AGENT, values, reply) != 0)
        return -1;
    if ((present & AGENT_FIELDS_OF_SETTINGS) &&
        (run_done(pg, req, STMT_SETTINGS_ENSURE, NULL, reply) != 0 || run_done(pg, req, STMT_SETTINGS, values, reply) != 0))
        return -1;
    if ((present & AGENT_FIELD_BUSINESS_HOURS) &&
        (run_done(pg, req, STMT_HOURS_DELETE, values, reply) != 0 || run_done(pg, req, STMT_HOURS_INSERT, values, reply) != 0))
        return -1;
    if ((present & AGENT_FIELDS_OF_TRANSFER) &&
        (run_done(pg, req, STMT_TRANSFER_ENSURE, NULL, reply) != 0 || run_done(pg, req, STMT_TRANSFER, values, reply) != 0))
        return -1;
    if ((present & AGENT_FIELD_SERVICES_OFFERED) && run_done(pg, req, STMT_SERVICES, values, reply) != 0)
        return -1;
    return 0;
}

/* The audit details: the top-level fields whose value differs between the
 * configurations before and after (the version and sync excluded). */
static char *changed_fields(const char *before_json, const char *after_json, const char *version)
{
    cJSON *before = cJSON_Parse(before_json), *after = cJSON_Parse(after_json);
    cJSON *details = cJSON_CreateObject();
    cJSON *fields = cJSON_AddArrayToObject(details, "fields");
    if (before == NULL || after == NULL || details == NULL || fields == NULL)
        abort();
    const cJSON *a;
    cJSON_ArrayForEach(a, after)
    {
        if (strcmp(a->string, "version") == 0 || strcmp(a->string, "sync") == 0)
            continue;
        if (!cJSON_Compare(a, cJSON_GetObjectItemCaseSensitive(before, a->string), true))
            cJSON_AddItemToArray(fields, cJSON_CreateString(a->string));
    }
    cJSON_AddItemToObject(details, "version", cJSON_CreateRaw(version));
    char *out = cJSON_PrintUnformatted(details);
    if (out == NULL)
        abort();
    cJSON_Delete(before);
    cJSON_Delete(after);
    cJSON_Delete(details);
    return out;
}

/* Publishes the save's ToolSyncJob; true when JetStream took it. */
static bool queue_job(const vx_gateway_request *req, const char *version)
{
    if (job_js == NULL)
        return false;
    char job_id[96];
    snprintf(job_id, sizeof job_id, "tool-sync:%s:%s", req->auth->org_id, version);
    Voxanne__V1__ToolSyncJob job = VOXANNE__V1__TOOL_SYNC_JOB__INIT;
    job.job_id = job_id;
    job.org_id = req->auth->org_id;
    job.version = strtoll(version, NULL, 10);
    job.request_id = req->request_id;
    job.queued_at_ms = vx_now_ms();
    uint8_t buf[512];
    size_t len = voxanne__v1__tool_sync_job__get_packed_size(&job);
    if (len > sizeof buf) { /* two ids, the gateway's request id and two numbers: never near it */
        vx_log_error(req->request_id, req->auth->org_id, "tool-sync job too large to queue");
        return false;
    }
    voxanne__v1__tool_sync_job__pack(&job, buf);
    return vx_work_publish(job_js, VX_WORK_TOOL_SYNC, job_id, req->request_id, buf, len) == 0;
}

/* The answer: the saved configuration with "queued" in its sync object. */
static void answer_saved(const char *config_json, bool queued, vx_rpc_reply *reply)
{
    cJSON *config = cJSON_Parse(config_json);
    cJSON *sync = cJSON_GetObjectItemCaseSensitive(config, "sync");
    if (config == NULL || sync == NULL)
        abort();
    cJSON_AddBoolToObject(sync, "queued", queued);
    if (!queued)
        cJSON_ReplaceItemInObjectCaseSensitive(
            sync, "summary",
            cJSON_CreateString("saved; Vapi will be updated by the next periodic sync (the sync queue is unavailable)"));
    vx_rpc_reply_cjson(reply, 200, config);
}

/* The transaction of a save: 0 with *after_out (the saved configuration's
 * JSON, malloc'd) and version set, or -1 with reply set and nothing kept. */
static int save(vx_pg *pg, const vx_gateway_request *req, const agent_fields *f, const char *values, char **after_out,
                char version[24], vx_rpc_reply *reply)
{
    const char *org = req->auth->org_id;
    if (vx_pg_begin_org(pg, org) != 0) {
        vx_log_error(req->request_id, org, "agent configuration transaction could not begin", "error", vx_pg_error(pg));
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
        return -1;
    }
    if (check_in_database(pg, req, values, reply) != 0)
        return -1;
    PGresult *bumped = run(pg, req, STMT_BUMP, NULL, reply);
    if (bumped == NULL)
        return -1;
    snprintf(version, 24, "%s", PQgetvalue(bumped, 0, 0));
    PQclear(bumped);
    PGresult *before = run(pg, req, STMT_GET, NULL, reply);
    if (before == NULL)
        return -1;
    PGresult *after = NULL;
    char *details = NULL;
    int rc = -1;
    if (write_fields(pg, req, f->present, values, reply) != 0 || run_done(pg, req, STMT_SYNC_SAVE, version, reply) != 0 ||
        (after = run(pg, req, STMT_GET, NULL, reply)) == NULL)
        goto out;
    details = changed_fields(PQgetvalue(before, 0, 0), PQgetvalue(after, 0, 0), version);
    if (vx_audit_record(pg, req, "agent.updated", "agent", NULL, details) != 0) {
        write_failed(pg, req, "audit_record", reply);
        goto out;
    }
    if (vx_pg_commit(pg) != 0) {
        write_failed(pg, req, "COMMIT", reply);
        goto out;
    }
    *after_out = strdup(PQgetvalue(after, 0, 0));
    if (*after_out == NULL)
        abort();
    rc = 0;
out:
    PQclear(before);
    PQclear(after);
    free(details);
    return rc;
}

void dashboard_agent_put(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    agent_fields f;
    agent_fields_error err;
    if (agent_fields_parse((const char *)req->body.data, req->body.len, &f, &err) != 0) {
        vx_rpc_reply_error(reply, 400, err.code, err.message);
        return;
    }
    char *values = cJSON_PrintUnformatted(f.values);
    if (values == NULL)
        abort();
    char *saved = NULL, version[24];
    int rc = save(pg, req, &f, values, &saved, version, reply);
    free(values);
    agent_fields_clear(&f);
    if (rc != 0)
        return;
    bool queued = queue_job(req, version);
    if (queued)
        vx_log_info(req->request_id, req->auth->org_id, "agent configuration saved, sync queued", "version", version);
    else
        vx_log_warn(req->request_id, req->auth->org_id, "agent configuration saved, sync job not queued: the sweep will sync it",
                    "version", version);
    answer_saved(saved, queued, reply);
    free(saved);
}
