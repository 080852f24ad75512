/*
 * sync: brings one org's Vapi assistant to its saved configuration
 * (SPEC "tool-sync", hard rules 1–4 and 10).
 *
 * One sync of an org:
 *  1. takes the org's sync lock (store.h; held elsewhere: BUSY, the caller
 *     tries later) and reads agent_sync: a job of version v is SKIPPED
 *     when v < desired_version (a newer save superseded it: its job or the
 *     sweep follows) or v <= synced_version (done); the sweep's passes
 *     (version 0) always sync;
 *  2. reads the configuration (whatever the latest save wrote: ten saves
 *     in a row make one sync of the last) and makes sure the platform's
 *     tools are registered: once for the platform, under the registration
 *     lock (store.h); a missing row is POST /tool, a changed definition
 *     hash PATCH /tool/{id}, a tool gone from Vapi is made again;
 *  3. builds the system prompt (prompt.h) and either creates the assistant
 *     (POST /assistant; its id into agents) or fetch-merge-patches it:
 *     GET /assistant/{id}, each linked tool id that is not ours looked up
 *     (GET /tool/{id}: a native integration, or one gone from Vapi, is
 *     dropped), vx_vapi_api_model_merge, PATCH {name, firstMessage, voice,
 *     model, server, serverMessages} — only what we own; everything else on
 *     the assistant stays. An assistant deleted at Vapi (404) is created
 *     again;
 *  4. records org_tools and agent_sync (synced_version, state synced).
 * A Vapi call that answers 5xx, nothing, or 429 is tried again after the
 * next of TOOL_SYNC_RETRY_DELAYS_MS (a larger Retry-After wins); once they
 * are spent the org is left "linking_pending" (tools registered, assistant
 * not linked) or "failed" (tools not registered), with a detail for the
 * owner and next_attempt_at for the sweep. A refusal (4xx) is "failed" at
 * once, with a detail that names what failed, never Vapi's raw answer.
 *
 * A tsync_sync is one worker's: one database connection, used by one thread.
 */
#ifndef TSYNC_SYNC_H
#define TSYNC_SYNC_H

#include <stdatomic.h>

#include "settings.h"

typedef enum {
    TSYNC_DONE = 0,    /* synced: ack */
    TSYNC_SKIPPED = 1, /* nothing to do (superseded, done, never saved): ack */
    TSYNC_BUSY = 2,    /* another worker syncs the org now: try later */
    TSYNC_STOPPED = 3, /* stopping: left as it was, the job comes back */
    TSYNC_FAILED = 4,  /* Vapi failed or refused; recorded in agent_sync for the sweep: ack */
    TSYNC_RETRY = -2,  /* the database failed: try later */
} tsync_outcome;

typedef struct tsync_sync tsync_sync;

/* Called (from the syncing thread) after the platform's tools were registered anew: the sweep re-links every org. */
typedef void (*tsync_reregistered_fn)(void *arg);

/* settings and stop must outlive it; on_reregistered may be NULL. */
tsync_sync *tsync_sync_create(const tsync_settings *settings, const atomic_bool *stop, tsync_reregistered_fn on_reregistered,
                              void *arg);
void tsync_sync_destroy(tsync_sync *s);

/* Syncs org_id (a UUID) for a job of version (0: the sweep). request_id may be NULL. */
tsync_outcome tsync_sync_org(tsync_sync *s, const char *org_id, long long version, const char *request_id);

/* True when the worker's database connection is up (a consumer fetches only then). */
int tsync_sync_db_ready(tsync_sync *s);

#endif
