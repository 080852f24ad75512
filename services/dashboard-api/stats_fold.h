/*
 * stats_fold: folds the calls dashboard's pending deltas into its daily
 * sums (migrations/0018: call_stats_delta → call_stats_daily).
 *
 * Writers of call_logs only append deltas, so they never wait on each
 * other; the stats read both tables and are exact either way. Folding keeps
 * the delta table short, so a stats read stays a few hundred rows. It runs
 * on a thread of its own with its own database connection, every
 * STATS_FOLD_INTERVAL_MS, a batch of STATS_FOLD_BATCH rows at a time until
 * none is left; every replica folds, and call_stats_fold() skips the rows
 * another holds.
 */
#ifndef DASHBOARD_STATS_FOLD_H
#define DASHBOARD_STATS_FOLD_H

#define STATS_FOLD_INTERVAL_MS 2000
#define STATS_FOLD_BATCH       5000

typedef struct stats_fold stats_fold;

/* Creates the folder for the database at database_url (connected lazily). Starts nothing. */
stats_fold *stats_fold_create(const char *database_url);
/* Starts the thread: a fold at once, then every STATS_FOLD_INTERVAL_MS. 0, or -1 (logged). */
int stats_fold_start(stats_fold *f);
/* Stops the thread after its current batch; a second call, or NULL, is a no-op. */
void stats_fold_stop(stats_fold *f);
/* Stops f if it runs, then frees it. NULL is a no-op. */
void stats_fold_destroy(stats_fold *f);

#endif
