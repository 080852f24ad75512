/*
 * sync: the operator's side of tool-sync (issue 13; SPEC "tool-sync": "a
 * sync-all command for existing organizations, and a cleanup that removes
 * native interceptor tools from every assistant").
 *
 * `voxctl sync all` asks tool-sync to sync every active organization: for
 * each (organizations_active_page, migration 0019), under the org's claims
 * and in one transaction, what a save with no change does — agent_config's
 * config_version bumped (the row made with its defaults when the org never
 * saved: it then gets an assistant), agent_sync set to that version,
 * 'pending' — except that next_attempt_at is spread pace_ms apart, org
 * after org. No job is queued: tool-sync's sweep takes the orgs as they come
 * due, one at a time per replica, so Vapi sees them paced (and a running
 * tool-sync is all it needs). Prints one line per org, a summary on stderr.
 *
 * `voxctl sync cleanup-native` removes Vapi's native interceptor tools
 * (google.calendar.*, …: vx_vapi_api_tool_type_native; SPEC hard rule 4)
 * from every assistant of the platform's Vapi account — ours and any made
 * elsewhere — directly with the platform key: GET /assistant (up to 1000),
 * each linked tool id looked up (GET /tool/{id}), and for an assistant that
 * has one, inline or linked, a PATCH of its model with only those taken out
 * (fetch-merge-patch: vx_vapi_api_model_merge; everything else kept). With
 * --dry-run it only says which it would change. A sync does the same for
 * the assistants of our orgs; this also reaches the others.
 */
#ifndef VXCTL_SYNC_H
#define VXCTL_SYNC_H

#include <stdbool.h>

#include "cli.h"
#include "vx_pg.h"
#include "vx_vapi_api.h"

#define VXCTL_SYNC_PACE_MS_DEFAULT 500
#define VXCTL_SYNC_PACE_MS_MAX     600000

/* Queues every active org's sync as above, pace_ms apart. pg: DATABASE_URL (the application role). */
vxctl_status vxctl_sync_all(vx_pg *pg, long pace_ms);

/* Removes the native tools from every assistant (or, dry_run, lists them). */
vxctl_status vxctl_sync_cleanup_native(const vx_vapi_api_config *vapi, bool dry_run);

#endif
