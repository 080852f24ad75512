/*
 * sweep: the periodic pass (vx_periodic) that syncs every org left behind:
 * those whose agent_sync is behind and due (a lost job, a failed sync whose
 * next_attempt_at has come: agent_sync_orgs_due) and those whose links are
 * stale after a tool was registered again (org_tools_orgs_stale). Runs every
 * TOOL_SYNC_SWEEP_INTERVAL_S, at once when woken (tsync_sweep_wake: a tool
 * was registered again), and again soon while a pass found a full page.
 * A pass ends early when a sync finds Vapi failing: the rest wait for the
 * next pass instead of each spending the retry schedule.
 * Its own database connection and tsync_sync.
 */
#ifndef TSYNC_SWEEP_H
#define TSYNC_SWEEP_H

#include "settings.h"

typedef struct tsync_sweep tsync_sweep;

tsync_sweep *tsync_sweep_create(const tsync_settings *settings);
int tsync_sweep_start(tsync_sweep *w);
/* Asks for a pass now (any thread; a tsync_reregistered_fn). */
void tsync_sweep_wake(void *sweep);
void tsync_sweep_stop(tsync_sweep *w);
void tsync_sweep_destroy(tsync_sweep *w);

#endif
