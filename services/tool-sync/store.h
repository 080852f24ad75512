/*
 * store: tool-sync's SQL (parameterized, prepared on every connection).
 *
 * Per org everything runs under the org's claims (vx_pg_begin_org /
 * vx_pg_begin_org_reads): agent_config, org_settings, business_hours,
 * services, integration_settings, agents, org_tools, agent_sync. The
 * cross-org look-ups of the sweep are SECURITY DEFINER functions that
 * reveal org ids only (agent_sync_orgs_due, 0017; org_tools_orgs_stale,
 * 0019). platform_tools is not a tenant table.
 *
 * Locks: one org is synced by one worker of one replica at a time
 * (tsync_store_org_try_lock: a session-level advisory lock, so no
 * transaction stays open across Vapi calls), and the platform's tools are
 * registered under another advisory lock (tsync_store_platform_lock), so
 * fifty orgs syncing at once on several replicas create each tool once.
 */
#ifndef TSYNC_STORE_H
#define TSYNC_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "vx_pg.h"
#include "vx_tool_catalog.h"
#include "vx_vapi_api.h"

typedef enum {
    TSYNC_STORE_OK = 0,
    TSYNC_STORE_NONE = 1,   /* nothing there (no row; a lock held elsewhere) */
    TSYNC_STORE_ERROR = -1, /* the database failed (logged) */
} tsync_store_result;

/* One of our tools as linked or registered. */
typedef struct tsync_tool_row {
    char name[65];
    char vapi_tool_id[VX_VAPI_API_ID_MAX + 1];
    char hash[VX_TOOL_CATALOG_HASH_SIZE];
} tsync_tool_row;

#define TSYNC_STORE_MAX_TOOLS 32
/* An org's assistants synced (one agents row per Vapi phone link; more is
 * an operator's mistake, logged). */
#define TSYNC_STORE_MAX_ASSISTANTS 16

/* What a sync of one org reads. */
typedef struct tsync_org_config {
    long long version; /* agent_config.config_version (0: never saved) */
    char *name;
    char *voice_provider; /* NULL: Vapi's default voice */
    char *voice_id;
    char *first_message; /* NULL: the default greeting */
    char *business_name;
    char *facts_json; /* prompt.h's facts */
    /* agents' assistants, oldest first (none: the org has no assistant yet) */
    char assistant_ids[TSYNC_STORE_MAX_ASSISTANTS][VX_VAPI_API_ID_MAX + 1];
    size_t nassistants;
    tsync_tool_row linked[TSYNC_STORE_MAX_TOOLS]; /* org_tools */
    size_t nlinked;
} tsync_org_config;

void tsync_store_prepare(vx_pg *pg);

/* Session-level advisory lock on the org's sync: OK (held), NONE (another holds it), ERROR. */
tsync_store_result tsync_store_org_try_lock(vx_pg *pg, const char *org_id);
void tsync_store_org_unlock(vx_pg *pg, const char *org_id);
/* The platform tools' registration lock (waits for it). */
tsync_store_result tsync_store_platform_lock(vx_pg *pg);
void tsync_store_platform_unlock(vx_pg *pg);

/* agent_sync's versions: OK, NONE (no row: never saved), ERROR. */
tsync_store_result tsync_store_sync_versions(vx_pg *pg, const char *org_id, long long *desired, long long *synced);

/* The org's configuration, facts, assistant and links. OK or ERROR; free with tsync_org_config_free. */
tsync_store_result tsync_store_load(vx_pg *pg, const char *org_id, tsync_org_config *out);
void tsync_org_config_free(tsync_org_config *c);

/* platform_tools, every row (at most TSYNC_STORE_MAX_TOOLS). */
tsync_store_result tsync_store_platform_read(vx_pg *pg, tsync_tool_row *rows, size_t *n);
/* Records a registration (insert or replace the tool's row). */
tsync_store_result tsync_store_platform_put(vx_pg *pg, const tsync_tool_row *row);

/* Records the org's assistant: the agents row that had old_id (a deleted
 * assistant re-made), else the org's first agent without one, else a new
 * agents row. name: the assistant's name. */
tsync_store_result tsync_store_set_assistant(vx_pg *pg, const char *org_id, const char *assistant_id, const char *old_id,
                                             const char *name);

/* After a successful sync at version: org_tools = rows (one transaction),
 * agent_sync synced_version raised to version, state synced (or pending
 * when a newer save is waiting), detail cleared. */
tsync_store_result tsync_store_synced(vx_pg *pg, const char *org_id, long long version, const tsync_tool_row *rows, size_t n);

/* After a failed sync: state ("linking_pending" or "failed"), detail (for
 * the owner: no secret), attempts + 1, next_attempt_at = now + later_s ×
 * 2^attempts, at most an hour. */
tsync_store_result tsync_store_failed(vx_pg *pg, const char *org_id, const char *state, const char *detail, long later_s);

/* The sweep: up to max orgs due (agent_sync_orgs_due) then up to max whose
 * links are stale (org_tools_orgs_stale), each once; *orgs malloc'd (free
 * each and the array). */
tsync_store_result tsync_store_orgs_to_sweep(vx_pg *pg, int max, char ***orgs, int *n);

#endif
