/*
 * loader: keeps this replica's registry equal to the database — every
 * org's documents loaded at start, and reloaded when they change.
 *
 * A listener (libcommon/vx_listen.h) hears voxanne_kb_changed, sent at the
 * commit of every upload, deletion and finished embedding (migration 0020);
 * the loader's thread then diffs each document's version against what it
 * holds and reloads only what moved: a new or re-embedded document is read
 * under its org's claims, a deleted one dropped, and the org's index rebuilt
 * from memory and swapped in. So an upload is searchable on every replica
 * within about a poll interval (100 ms) of its commit. A full diff also runs
 * every 30 s and after the listener reconnects, repairing anything missed.
 */
#ifndef RAG_SEARCH_LOADER_H
#define RAG_SEARCH_LOADER_H

#include <stdbool.h>

#include "index/registry.h"

typedef struct kb_loader_config {
    const char *database_url;
    kb_registry *registry; /* not owned */
    const char *model;     /* the vectors kept: this embedder's (NULL: none) */
    int dim;
} kb_loader_config;

typedef struct kb_loader kb_loader;

kb_loader *kb_loader_create(const kb_loader_config *cfg);
/* Starts the listener and the loading thread (its first pass loads everything). */
int kb_loader_start(kb_loader *l);
/* True once a first full load has completed (readiness). */
bool kb_loader_ready(const kb_loader *l);
/* Runs a diff now (tests, and after an upload on this replica). */
void kb_loader_wake(kb_loader *l);
void kb_loader_stop(kb_loader *l);
void kb_loader_destroy(kb_loader *l);

#endif
