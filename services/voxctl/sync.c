/*
 * sync: `voxctl sync all` and `voxctl sync cleanup-native` (see sync.h).
 */
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_errors.h"
#include "vx_secret.h"

#define PAGE          200
#define MAX_LINKED    64
#define STMT_PAGE     "voxctl_sync_orgs"
#define STMT_BUMP     "voxctl_sync_bump"
#define STMT_SYNC_ROW "voxctl_sync_row"

static void prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_PAGE, "SELECT organizations_active_page($1::uuid, $2::integer)");
    vx_pg_prepare(pg, STMT_BUMP,
                  "INSERT INTO agent_config (org_id, config_version) VALUES ($1::uuid, 1)"
                  " ON CONFLICT (org_id) DO UPDATE SET config_version = agent_config.config_version + 1"
                  " RETURNING config_version");
    vx_pg_prepare(pg, STMT_SYNC_ROW,
                  "INSERT INTO agent_sync (org_id, desired_version, state, next_attempt_at)"
                  " VALUES ($1::uuid, $2::bigint, 'pending', now() + make_interval(secs => $3::double precision / 1000))"
                  " ON CONFLICT (org_id) DO UPDATE SET desired_version = EXCLUDED.desired_version, state = 'pending',"
                  " detail = NULL, attempts = 0, next_attempt_at = EXCLUDED.next_attempt_at");
}

/* One org: its version bumped and its sync due after delay_ms. The new version into version. */
static int queue_org(vx_pg *pg, const char *org, long delay_ms, char version[24])
{
    if (vx_pg_begin_org(pg, org) != 0)
        return -1;
    const char *p1[1] = {org};
    PGresult *res = vx_pg_exec(pg, STMT_BUMP, 1, p1);
    if (!res)
        goto fail;
    snprintf(version, 24, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    char delay[24];
    snprintf(delay, sizeof delay, "%ld", delay_ms);
    const char *p2[3] = {org, version, delay};
    res = vx_pg_exec(pg, STMT_SYNC_ROW, 3, p2);
    if (!res)
        goto fail;
    PQclear(res);
    return vx_pg_commit(pg);
fail:
    vx_pg_rollback(pg);
    return -1;
}

vxctl_status vxctl_sync_all(vx_pg *pg, long pace_ms)
{
    prepare(pg);
    char after[40] = "";
    long queued = 0;
    for (;;) {
        char max[16];
        snprintf(max, sizeof max, "%d", PAGE);
        const char *params[2] = {after[0] ? after : NULL, max};
        PGresult *res = vx_pg_exec(pg, STMT_PAGE, 2, params);
        if (!res) {
            vxctl_report_pg(pg, "sync all: listing the organizations");
            return VXCTL_FAILED;
        }
        int n = PQntuples(res);
        for (int i = 0; i < n; i++) {
            const char *org = PQgetvalue(res, i, 0);
            char version[24];
            if (queue_org(pg, org, queued * pace_ms, version) != 0) {
                vxctl_report_pg(pg, "sync all: queueing an organization");
                fprintf(stderr, "voxctl: %ld organization(s) queued before the failure\n", queued);
                PQclear(res);
                return VXCTL_FAILED;
            }
            printf("queued %s version %s\n", org, version);
            queued++;
        }
        if (n > 0)
            snprintf(after, sizeof after, "%s", PQgetvalue(res, n - 1, 0));
        PQclear(res);
        if (n < PAGE)
            break;
    }
    fflush(stdout);
    fprintf(stderr, "voxctl: %ld organization(s) queued for tool-sync, %ld ms apart\n", queued, pace_ms);
    return VXCTL_OK;
}

/* The native tool ids linked to model, into drop (NULL-terminated; pointers into model). -1 when a look-up failed. */
static int linked_natives(const vx_vapi_api_config *vapi, const cJSON *model, const char **drop, size_t max)
{
    size_t n = 0;
    const cJSON *id;
    cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(model, "toolIds"))
    {
        if (!cJSON_IsString(id) || !vx_vapi_api_id_valid(id->valuestring) || n + 1 >= max)
            continue;
        cJSON *tool = NULL;
        vx_vapi_api_status st = vx_vapi_api_get_tool(vapi, id->valuestring, &tool, NULL, NULL, NULL);
        if (st == VX_VAPI_API_NOT_FOUND)
            continue;
        if (st != VX_VAPI_API_OK) {
            drop[n] = NULL;
            return -1;
        }
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(tool, "type");
        if (vx_vapi_api_tool_type_native(cJSON_IsString(type) ? type->valuestring : NULL))
            drop[n++] = id->valuestring;
        vx_secret_json_delete(tool);
    }
    drop[n] = NULL;
    return 0;
}

static size_t inline_natives(const cJSON *model)
{
    size_t n = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(model, "tools"))
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(t, "type");
        n += vx_vapi_api_tool_type_native(cJSON_IsString(type) ? type->valuestring : NULL);
    }
    return n;
}

vxctl_status vxctl_sync_cleanup_native(const vx_vapi_api_config *vapi, bool dry_run)
{
    cJSON *list = NULL;
    if (vx_vapi_api_list_assistants(vapi, VX_VAPI_API_LIST_MAX, &list, NULL, NULL) != VX_VAPI_API_OK) {
        vxctl_errorf("sync cleanup-native: Vapi did not list the assistants (see the log line above)");
        return VXCTL_FAILED;
    }
    long seen = 0, changed = 0, failed = 0;
    const cJSON *listed;
    cJSON_ArrayForEach(listed, list)
    {
        const cJSON *idj = cJSON_GetObjectItemCaseSensitive(listed, "id");
        if (!cJSON_IsString(idj) || !vx_vapi_api_id_valid(idj->valuestring))
            continue;
        const char *id = idj->valuestring;
        seen++;
        /* The assistant as it is now (fetch), not as listed. */
        cJSON *a = NULL;
        if (vx_vapi_api_get_assistant(vapi, id, &a, NULL, NULL, NULL) != VX_VAPI_API_OK) {
            fprintf(stderr, "voxctl: assistant %s: could not read it\n", id);
            failed++;
            continue;
        }
        const cJSON *model = cJSON_GetObjectItemCaseSensitive(a, "model");
        const char *drop[MAX_LINKED + 1];
        if (linked_natives(vapi, model, drop, MAX_LINKED + 1) != 0) {
            fprintf(stderr, "voxctl: assistant %s: could not look up its tools\n", id);
            failed++;
            vx_secret_json_delete(a);
            continue;
        }
        size_t linked = 0;
        while (drop[linked])
            linked++;
        size_t inl = inline_natives(model);
        if (linked + inl > 0) {
            printf("%s %s: %zu linked and %zu inline native tool(s)\n", dry_run ? "would clean" : "cleaned", id, linked, inl);
            if (!dry_run) {
                cJSON *changes = cJSON_CreateObject();
                cJSON_AddItemToObject(changes, "model", vx_vapi_api_model_merge(model, NULL, NULL, NULL, NULL, drop));
                vx_vapi_api_status st = vx_vapi_api_patch_assistant(vapi, id, changes, NULL, NULL, NULL, NULL);
                vx_secret_json_delete(changes);
                if (st != VX_VAPI_API_OK) {
                    fprintf(stderr, "voxctl: assistant %s: Vapi refused the change\n", id);
                    failed++;
                } else {
                    changed++;
                }
            } else {
                changed++;
            }
        }
        vx_secret_json_delete(a);
    }
    vx_secret_json_delete(list);
    fflush(stdout);
    fprintf(stderr, "voxctl: %ld assistant(s) seen, %ld %s, %ld failed\n", seen, changed, dry_run ? "to clean" : "cleaned", failed);
    return failed ? VXCTL_FAILED : VXCTL_OK;
}
