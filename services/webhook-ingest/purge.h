/*
 * purge: parked messages are kept for a retention, then deleted.
 *
 * parked_messages holds whole Vapi messages (credentials masked, but
 * transcripts and callers' numbers in clear) for an operator to look at. They
 * are worth nothing after a while and a liability all along, so webhook-ingest
 * — the service that parks them — deletes those older than keep_days
 * (PARKED_RETENTION_DAYS) when it starts and every hour after, on a thread of
 * its own with its own database connection. It does so as the app role
 * through purge_parked_messages() (migrations/0007), which never keeps less
 * than a day. Every replica purges; replicas racing for the same rows only
 * wait for each other's row locks, and the second finds nothing to do.
 */
#ifndef INGEST_PURGE_H
#define INGEST_PURGE_H

typedef struct ingest_purge ingest_purge;

/* Creates the purger for the database at database_url (connected lazily),
 * keeping keep_days (>= 1) days of parked messages. Starts nothing. The
 * caller owns it (ingest_purge_destroy). */
ingest_purge *ingest_purge_create(const char *database_url, long keep_days);
/* Starts the thread: a purge at once, then every hour (a minute after a
 * failure, which is logged). Returns 0, or -1 (logged). */
int ingest_purge_start(ingest_purge *p);
/* Stops the thread (a purge in progress ends after its current batch) and
 * returns when it has ended. Frees nothing; a second call (or NULL) is a no-op. */
void ingest_purge_stop(ingest_purge *p);
/* Stops p if it runs, then frees it. NULL is a no-op. */
void ingest_purge_destroy(ingest_purge *p);

#endif
