/*
 * store: tool-sync's SQL (see store.h).
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_log.h"

#define STMT_ORG_TRY_LOCK    "tsync_org_try_lock"
#define STMT_ORG_UNLOCK      "tsync_org_unlock"
#define STMT_PLATFORM_LOCK   "tsync_platform_lock"
#define STMT_PLATFORM_UNLOCK "tsync_platform_unlock"
#define STMT_VERSIONS        "tsync_versions"
#define STMT_LOAD            "tsync_load"
#define STMT_LINKED          "tsync_linked"
#define STMT_PLATFORM_READ   "tsync_platform_read"
#define STMT_PLATFORM_PUT    "tsync_platform_put"
#define STMT_ASSISTANT_SWAP  "tsync_assistant_swap"
#define STMT_ASSISTANT_NEW   "tsync_assistant_new"
#define STMT_LINKS_PUT       "tsync_links_put"
#define STMT_SYNCED          "tsync_synced"
#define STMT_FAILED          "tsync_failed"
#define STMT_DUE             "tsync_due"
#define STMT_STALE           "tsync_stale"

#define ORG_LOCK_KEY      "hashtextextended('voxanne-tool-sync:' || $1, 0)"
#define PLATFORM_LOCK_KEY "hashtextextended('voxanne-tool-sync:platform-tools', 0)"

void tsync_store_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_ORG_TRY_LOCK, "SELECT pg_try_advisory_lock(" ORG_LOCK_KEY ")");
    vx_pg_prepare(pg, STMT_ORG_UNLOCK, "SELECT pg_advisory_unlock(" ORG_LOCK_KEY ")");
    vx_pg_prepare(pg, STMT_PLATFORM_LOCK, "SELECT pg_advisory_lock(" PLATFORM_LOCK_KEY ")");
    vx_pg_prepare(pg, STMT_PLATFORM_UNLOCK, "SELECT pg_advisory_unlock(" PLATFORM_LOCK_KEY ")");
    vx_pg_prepare(pg, STMT_VERSIONS, "SELECT desired_version, synced_version FROM agent_sync WHERE org_id = $1::uuid");
    /* The business hours as dashboard-api's GET /api/agent shows them (weekday 0 is Sunday). */
    vx_pg_prepare(pg, STMT_LOAD,
                  "SELECT coalesce(c.config_version, 0), coalesce(c.name, 'Receptionist'), c.voice_provider, c.voice_id,"
                  " c.first_message, g.name,"
                  " json_build_object("
                  "  'business_name', g.name,"
                  "  'owner_text', coalesce(c.system_prompt, ''),"
                  "  'timezone', coalesce(s.timezone, 'America/New_York'),"
                  "  'hours', (SELECT json_object_agg(d.day, coalesce(h.list, '[]'::json) ORDER BY d.ord)"
                  "    FROM unnest(ARRAY['monday','tuesday','wednesday','thursday','friday','saturday','sunday'])"
                  "      WITH ORDINALITY AS d(day, ord)"
                  "    LEFT JOIN LATERAL (SELECT json_agg(json_build_object('opens', left(b.opens::text, 5),"
                  "        'closes', left(b.closes::text, 5)) ORDER BY b.opens) AS list"
                  "      FROM business_hours b WHERE b.org_id = o.org_id AND b.weekday = d.ord % 7) h ON true),"
                  "  'services', coalesce((SELECT json_agg(json_build_object('name', v.name, 'duration_minutes',"
                  "      v.duration_minutes, 'price', v.price::text) ORDER BY lower(v.name), v.id)"
                  "    FROM services v WHERE v.org_id = o.org_id AND v.active), '[]'::json),"
                  "  'departments', coalesce((SELECT json_agg(k ORDER BY lower(k), k)"
                  "    FROM jsonb_object_keys(coalesce(i.transfer_departments, '{}'::jsonb)) AS k), '[]'::json),"
                  "  'transfer', (i.transfer_phone_number IS NOT NULL OR i.transfer_sip_uri IS NOT NULL"
                  "    OR coalesce(i.transfer_departments, '{}'::jsonb) <> '{}'::jsonb))::text,"
                  " (SELECT coalesce(json_agg(a.vapi_assistant_id ORDER BY a.created_at, a.id), '[]'::json) FROM agents a"
                  "   WHERE a.org_id = o.org_id AND a.vapi_assistant_id IS NOT NULL)::text"
                  " FROM (SELECT $1::uuid AS org_id) o"
                  " LEFT JOIN organizations g ON g.id = o.org_id"
                  " LEFT JOIN agent_config c ON c.org_id = o.org_id"
                  " LEFT JOIN org_settings s ON s.org_id = o.org_id"
                  " LEFT JOIN integration_settings i ON i.org_id = o.org_id");
    vx_pg_prepare(pg, STMT_LINKED,
                  "SELECT tool_name, vapi_tool_id, definition_hash FROM org_tools WHERE org_id = $1::uuid ORDER BY tool_name");
    vx_pg_prepare(pg, STMT_PLATFORM_READ, "SELECT tool_name, vapi_tool_id, definition_hash FROM platform_tools ORDER BY tool_name");
    vx_pg_prepare(pg, STMT_PLATFORM_PUT,
                  "INSERT INTO platform_tools (tool_name, vapi_tool_id, definition_hash) VALUES ($1, $2, $3)"
                  " ON CONFLICT (tool_name) DO UPDATE SET vapi_tool_id = EXCLUDED.vapi_tool_id,"
                  " definition_hash = EXCLUDED.definition_hash, registered_at = now()");
    vx_pg_prepare(pg, STMT_ASSISTANT_SWAP,
                  "UPDATE agents SET vapi_assistant_id = $2, name = $4 WHERE org_id = $1::uuid AND vapi_assistant_id = $3");
    vx_pg_prepare(pg, STMT_ASSISTANT_NEW,
                  "WITH first AS (SELECT id FROM agents WHERE org_id = $1::uuid AND vapi_assistant_id IS NULL"
                  "   ORDER BY created_at, id LIMIT 1),"
                  " u AS (UPDATE agents SET vapi_assistant_id = $2, name = $3 WHERE id IN (SELECT id FROM first) RETURNING 1)"
                  " INSERT INTO agents (org_id, vapi_assistant_id, name) SELECT $1::uuid, $2, $3"
                  " WHERE NOT EXISTS (SELECT 1 FROM u)");
    vx_pg_prepare(pg, STMT_LINKS_PUT,
                  "WITH x AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(name text, id text, hash text)),"
                  " gone AS (DELETE FROM org_tools WHERE org_id = $1::uuid AND tool_name NOT IN (SELECT name FROM x))"
                  " INSERT INTO org_tools (org_id, tool_name, vapi_tool_id, definition_hash)"
                  " SELECT $1::uuid, name, id, hash FROM x"
                  " ON CONFLICT (org_id, tool_name) DO UPDATE SET vapi_tool_id = EXCLUDED.vapi_tool_id,"
                  " definition_hash = EXCLUDED.definition_hash, linked_at = now()"
                  " WHERE (org_tools.vapi_tool_id, org_tools.definition_hash) IS DISTINCT FROM"
                  " (EXCLUDED.vapi_tool_id, EXCLUDED.definition_hash)");
    /* Never above desired_version (the constraint), never lowered. */
    vx_pg_prepare(pg, STMT_SYNCED,
                  "UPDATE agent_sync SET synced_version = v.to_version,"
                  " state = CASE WHEN desired_version <= v.to_version THEN 'synced' ELSE 'pending' END,"
                  " detail = NULL, attempts = 0,"
                  " next_attempt_at = CASE WHEN desired_version <= v.to_version THEN NULL ELSE now() END"
                  " FROM (SELECT greatest(y.synced_version, least(y.desired_version, $2::bigint)) AS to_version"
                  "   FROM agent_sync y WHERE y.org_id = $1::uuid) v"
                  " WHERE agent_sync.org_id = $1::uuid");
    vx_pg_prepare(pg, STMT_FAILED,
                  "UPDATE agent_sync SET state = $2, detail = $3, attempts = attempts + 1,"
                  " next_attempt_at = now() + make_interval(secs => least($4::double precision * power(2, least(attempts, 12)),"
                  "   3600))"
                  " WHERE org_id = $1::uuid");
    vx_pg_prepare(pg, STMT_DUE, "SELECT agent_sync_orgs_due($1::integer)");
    vx_pg_prepare(pg, STMT_STALE, "SELECT org_tools_orgs_stale($1::integer)");
}

static tsync_store_result failed(vx_pg *pg, const char *org_id, const char *what)
{
    vx_log_error(NULL, org_id, "tool-sync database step failed", "step", what, "error", vx_pg_error(pg), "sqlstate",
                 vx_pg_sqlstate(pg));
    return TSYNC_STORE_ERROR;
}

/* Runs a statement whose answer is one boolean. */
static tsync_store_result bool_stmt(vx_pg *pg, const char *stmt, const char *org_id, bool *out)
{
    const char *params[1] = {org_id};
    PGresult *res = vx_pg_exec(pg, stmt, org_id ? 1 : 0, params);
    if (!res)
        return failed(pg, org_id, stmt);
    *out = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return TSYNC_STORE_OK;
}

tsync_store_result tsync_store_org_try_lock(vx_pg *pg, const char *org_id)
{
    bool got = false;
    if (vx_pg_ensure(pg) != 0 || bool_stmt(pg, STMT_ORG_TRY_LOCK, org_id, &got) != TSYNC_STORE_OK)
        return TSYNC_STORE_ERROR;
    return got ? TSYNC_STORE_OK : TSYNC_STORE_NONE;
}

void tsync_store_org_unlock(vx_pg *pg, const char *org_id)
{
    bool released;
    (void)bool_stmt(pg, STMT_ORG_UNLOCK, org_id, &released); /* a lost connection released it anyway */
}

tsync_store_result tsync_store_platform_lock(vx_pg *pg)
{
    PGresult *res = vx_pg_exec(pg, STMT_PLATFORM_LOCK, 0, NULL);
    if (!res)
        return failed(pg, NULL, STMT_PLATFORM_LOCK);
    PQclear(res);
    return TSYNC_STORE_OK;
}

void tsync_store_platform_unlock(vx_pg *pg)
{
    bool released;
    (void)bool_stmt(pg, STMT_PLATFORM_UNLOCK, NULL, &released);
}

tsync_store_result tsync_store_sync_versions(vx_pg *pg, const char *org_id, long long *desired, long long *synced)
{
    if (vx_pg_begin_org_reads(pg, org_id) != 0)
        return failed(pg, org_id, "begin");
    const char *params[1] = {org_id};
    PGresult *res = vx_pg_exec(pg, STMT_VERSIONS, 1, params);
    vx_pg_commit(pg);
    if (!res)
        return failed(pg, org_id, STMT_VERSIONS);
    tsync_store_result r = TSYNC_STORE_NONE;
    if (PQntuples(res) == 1) {
        *desired = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        *synced = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        r = TSYNC_STORE_OK;
    }
    PQclear(res);
    return r;
}

static char *dup_or_null(const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static void read_tools(PGresult *res, tsync_tool_row *rows, size_t *n)
{
    *n = 0;
    for (int i = 0; i < PQntuples(res) && *n < TSYNC_STORE_MAX_TOOLS; i++) {
        tsync_tool_row *r = &rows[(*n)++];
        copy(r->name, sizeof r->name, PQgetvalue(res, i, 0));
        copy(r->vapi_tool_id, sizeof r->vapi_tool_id, PQgetvalue(res, i, 1));
        copy(r->hash, sizeof r->hash, PQgetvalue(res, i, 2));
    }
}

/* The JSON array of the org's assistant ids into out (the first
 * TSYNC_STORE_MAX_ASSISTANTS; the rest logged, not synced). */
static void read_assistants(const char *org_id, const char *json, tsync_org_config *out)
{
    cJSON *ids = cJSON_Parse(json ? json : "[]");
    const cJSON *id;
    int skipped = 0;
    cJSON_ArrayForEach(id, ids)
    {
        if (!cJSON_IsString(id))
            continue;
        if (out->nassistants == TSYNC_STORE_MAX_ASSISTANTS) {
            skipped++;
            continue;
        }
        copy(out->assistant_ids[out->nassistants++], sizeof out->assistant_ids[0], id->valuestring);
    }
    cJSON_Delete(ids);
    if (skipped > 0) {
        char n[16];
        snprintf(n, sizeof n, "%d", skipped);
        vx_log_warn(NULL, org_id, "the org has more assistants than are synced", "not_synced", n);
    }
}

tsync_store_result tsync_store_load(vx_pg *pg, const char *org_id, tsync_org_config *out)
{
    memset(out, 0, sizeof *out);
    if (vx_pg_begin_org_reads(pg, org_id) != 0)
        return failed(pg, org_id, "begin");
    const char *params[1] = {org_id};
    PGresult *res = vx_pg_exec(pg, STMT_LOAD, 1, params);
    PGresult *linked = res ? vx_pg_exec(pg, STMT_LINKED, 1, params) : NULL;
    vx_pg_commit(pg);
    if (!res || !linked || PQntuples(res) != 1) {
        PQclear(res);
        PQclear(linked);
        return failed(pg, org_id, STMT_LOAD);
    }
    out->version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    out->name = dup_or_null(vx_pg_value(res, 0, 1));
    out->voice_provider = dup_or_null(vx_pg_value(res, 0, 2));
    out->voice_id = dup_or_null(vx_pg_value(res, 0, 3));
    out->first_message = dup_or_null(vx_pg_value(res, 0, 4));
    out->business_name = dup_or_null(vx_pg_value(res, 0, 5));
    out->facts_json = dup_or_null(vx_pg_value(res, 0, 6));
    read_assistants(org_id, vx_pg_value(res, 0, 7), out);
    read_tools(linked, out->linked, &out->nlinked);
    PQclear(res);
    PQclear(linked);
    return TSYNC_STORE_OK;
}

void tsync_org_config_free(tsync_org_config *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->voice_provider);
    free(c->voice_id);
    free(c->first_message);
    free(c->business_name);
    free(c->facts_json);
    memset(c, 0, sizeof *c);
}

tsync_store_result tsync_store_platform_read(vx_pg *pg, tsync_tool_row *rows, size_t *n)
{
    if (vx_pg_ensure(pg) != 0)
        return failed(pg, NULL, "connect");
    PGresult *res = vx_pg_exec(pg, STMT_PLATFORM_READ, 0, NULL);
    if (!res)
        return failed(pg, NULL, STMT_PLATFORM_READ);
    read_tools(res, rows, n);
    PQclear(res);
    return TSYNC_STORE_OK;
}

tsync_store_result tsync_store_platform_put(vx_pg *pg, const tsync_tool_row *row)
{
    const char *params[3] = {row->name, row->vapi_tool_id, row->hash};
    PGresult *res = vx_pg_exec(pg, STMT_PLATFORM_PUT, 3, params);
    if (!res)
        return failed(pg, NULL, STMT_PLATFORM_PUT);
    PQclear(res);
    return TSYNC_STORE_OK;
}

tsync_store_result tsync_store_set_assistant(vx_pg *pg, const char *org_id, const char *assistant_id, const char *old_id,
                                             const char *name)
{
    if (vx_pg_begin_org(pg, org_id) != 0)
        return failed(pg, org_id, "begin");
    bool done = false;
    if (old_id && old_id[0]) {
        const char *params[4] = {org_id, assistant_id, old_id, name};
        PGresult *res = vx_pg_exec(pg, STMT_ASSISTANT_SWAP, 4, params);
        if (!res)
            goto fail;
        done = strcmp(PQcmdTuples(res), "0") != 0;
        PQclear(res);
    }
    if (!done) {
        const char *params[3] = {org_id, assistant_id, name};
        PGresult *res = vx_pg_exec(pg, STMT_ASSISTANT_NEW, 3, params);
        if (!res)
            goto fail;
        PQclear(res);
    }
    if (vx_pg_commit(pg) != 0)
        return failed(pg, org_id, "commit");
    return TSYNC_STORE_OK;
fail:
    vx_pg_rollback(pg);
    return failed(pg, org_id, "agents");
}

tsync_store_result tsync_store_synced(vx_pg *pg, const char *org_id, long long version, const tsync_tool_row *rows, size_t n)
{
    cJSON *links = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", rows[i].name);
        cJSON_AddStringToObject(o, "id", rows[i].vapi_tool_id);
        cJSON_AddStringToObject(o, "hash", rows[i].hash);
        cJSON_AddItemToArray(links, o);
    }
    char *links_json = cJSON_PrintUnformatted(links);
    cJSON_Delete(links);
    if (!links_json)
        abort();
    char v[24];
    snprintf(v, sizeof v, "%lld", version);
    tsync_store_result r = TSYNC_STORE_ERROR;
    if (vx_pg_begin_org(pg, org_id) != 0) {
        failed(pg, org_id, "begin");
        goto out;
    }
    const char *lp[2] = {org_id, links_json};
    PGresult *res = vx_pg_exec(pg, STMT_LINKS_PUT, 2, lp);
    if (!res) {
        vx_pg_rollback(pg);
        failed(pg, org_id, STMT_LINKS_PUT);
        goto out;
    }
    PQclear(res);
    const char *sp[2] = {org_id, v};
    res = vx_pg_exec(pg, STMT_SYNCED, 2, sp);
    if (!res) {
        vx_pg_rollback(pg);
        failed(pg, org_id, STMT_SYNCED);
        goto out;
    }
    PQclear(res);
    if (vx_pg_commit(pg) != 0) {
        failed(pg, org_id, "commit");
        goto out;
    }
    r = TSYNC_STORE_OK;
out:
    free(links_json);
    return r;
}

tsync_store_result tsync_store_failed(vx_pg *pg, const char *org_id, const char *state, const char *detail, long later_s)
{
    char later[24];
    snprintf(later, sizeof later, "%ld", later_s);
    if (vx_pg_ensure(pg) != 0 || vx_pg_begin_org(pg, org_id) != 0)
        return failed(pg, org_id, "begin");
    const char *params[4] = {org_id, state, detail, later};
    PGresult *res = vx_pg_exec(pg, STMT_FAILED, 4, params);
    if (!res) {
        vx_pg_rollback(pg);
        return failed(pg, org_id, STMT_FAILED);
    }
    PQclear(res);
    if (vx_pg_commit(pg) != 0)
        return failed(pg, org_id, "commit");
    return TSYNC_STORE_OK;
}

/* Appends the ids a look-up answered that are not in the list yet. */
static tsync_store_result collect(vx_pg *pg, const char *stmt, const char *max, char ***orgs, int *n)
{
    const char *params[1] = {max};
    PGresult *res = vx_pg_exec(pg, stmt, 1, params);
    if (!res)
        return failed(pg, NULL, stmt);
    int rows = PQntuples(res);
    char **grown = realloc(*orgs, (size_t)(*n + rows + 1) * sizeof **orgs);
    if (!grown)
        abort();
    *orgs = grown;
    for (int i = 0; i < rows; i++) {
        const char *id = PQgetvalue(res, i, 0);
        bool seen = false;
        for (int k = 0; k < *n && !seen; k++)
            seen = strcmp((*orgs)[k], id) == 0;
        if (!seen)
            (*orgs)[(*n)++] = dup_or_null(id);
    }
    PQclear(res);
    return TSYNC_STORE_OK;
}

tsync_store_result tsync_store_orgs_to_sweep(vx_pg *pg, int max, char ***orgs, int *n)
{
    *orgs = NULL;
    *n = 0;
    char m[16];
    snprintf(m, sizeof m, "%d", max);
    if (vx_pg_ensure(pg) != 0)
        return failed(pg, NULL, "connect");
    if (collect(pg, STMT_DUE, m, orgs, n) != TSYNC_STORE_OK || collect(pg, STMT_STALE, m, orgs, n) != TSYNC_STORE_OK) {
        for (int i = 0; i < *n; i++)
            free((*orgs)[i]);
        free(*orgs);
        *orgs = NULL;
        *n = 0;
        return TSYNC_STORE_ERROR;
    }
    return TSYNC_STORE_OK;
}
