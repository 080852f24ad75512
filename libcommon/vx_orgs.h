/*
 * vx_orgs: which organization a Vapi message belongs to, fast — the one
 * resolver of webhook-ingest and tool-router.
 *
 * The three tiers of SPEC ("Org resolution"), in order:
 *   1. the assistant id → org_for_assistant();
 *   2. the org id we put in assistantOverrides.metadata / variableValues (or
 *      a legacy call.metadata.org_id), if org_exists() (active);
 *   3. the phone number id → org_for_phone_number_id(), else the called
 *      number → org_for_phone_number().
 * Each tier answers active organizations only (migrations/0007): a
 * suspended org is "not found" like an unknown one. An unknown org is "not
 * found", never guessed.
 *
 * Speed: every tool call needs its org, and most calls of one conversation
 * ask the same question, so each worker keeps a cache of answers — found
 * for 60 s, not found for 5 s. A cache is only as good as its invalidation:
 * one listener thread per process LISTENs on voxanne_agents_changed (sent by
 * a trigger on agents and organizations, migrations/0004) and bumps a
 * generation counter; a worker that sees a new generation drops its whole
 * cache before answering. While the listener is not connected (start-up, a
 * database restart) nothing tells us about changes, so every entry lives
 * only 5 s.
 *
 * Threads: the vx_listener is shared (its state is atomic); an
 * vx_orgs_resolver belongs to one worker and is used with that worker's vx_pg.
 */
#ifndef VX_ORGS_H
#define VX_ORGS_H

#include <stdbool.h>
#include <stdint.h>

#include "vx_listen.h"
#include "vx_pg.h"
#include "vx_validate.h"

typedef struct vx_orgs_resolver vx_orgs_resolver;

/* What a message offers to resolve by; NULL members are absent. */
typedef struct vx_orgs_keys {
    const char *assistant_id;
    const char *metadata_org_id; /* a lower-case UUID, or NULL */
    const char *phone_number_id;
    const char *phone_number; /* the called number, E.164 */
} vx_orgs_keys;

typedef enum {
    VX_ORGS_FOUND = 0,
    VX_ORGS_NOT_FOUND = 1,
    VX_ORGS_DB_ERROR = -1, /* see vx_pg_error() */
} vx_orgs_result;

/* Creates a worker's resolver and registers its statement on pg. listener may
 * be NULL (no invalidation: every entry then lives 5 s). */
vx_orgs_resolver *vx_orgs_resolver_create(vx_pg *pg, const vx_listener *listener);
void vx_orgs_resolver_destroy(vx_orgs_resolver *r);

/* Resolves k into org_id (lower-case UUID; "" when not found) and sets *tier
 * to a static name for logs ("assistant", "metadata", "phone_number_id",
 * "phone_number", "none"; "cache" when a cached answer was used). Runs one
 * autocommit statement on a cache miss; must not be called inside an open
 * transaction of pg. */
vx_orgs_result vx_orgs_resolve(vx_orgs_resolver *r, const vx_orgs_keys *k, char org_id[VX_UUID_STR_LEN + 1], const char **tier);

#endif
