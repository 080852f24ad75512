/*
 * org_resolve: which organization a Vapi message belongs to (SPEC,
 * "Org resolution, three tiers"):
 *   1. the assistant id → org_for_assistant();
 *   2. else the org id we put in assistantOverrides.metadata / variableValues
 *      (or a legacy call.metadata.org_id), if org_exists();
 *   3. else the phone number id → org_for_phone_number_id(), else the called
 *      number → org_for_phone_number().
 * Nothing else: an unknown org is reported as not found and never guessed.
 *
 * The look-ups run in a transaction without tenant claims; the SECURITY
 * DEFINER functions are the only thing that can see across orgs there.
 * A resolver keeps a small cache of positive answers (bounded, 30 s TTL), so
 * a busy call does not pay the look-up on every message. One resolver per
 * worker thread, used with that worker's vx_pg: no locking.
 */
#ifndef INGEST_ORG_RESOLVE_H
#define INGEST_ORG_RESOLVE_H

#include "call_report.h"
#include "vx_listen.h"
#include "vx_pg.h"
#include "vx_validate.h"

typedef struct ingest_resolver ingest_resolver;

typedef enum {
    INGEST_ORG_FOUND = 0,
    INGEST_ORG_NOT_FOUND = 1,
    INGEST_ORG_DB_ERROR = -1, /* see vx_pg_error()/vx_pg_error_is_transient() */
} ingest_org_result;

/* Creates a resolver and registers its statement on pg (before first use). */
ingest_resolver *ingest_resolver_create(vx_pg *pg, const vx_listener *orgs_changed);
void ingest_resolver_destroy(ingest_resolver *r);

/* Resolves the org of c into org_id (a lower-case UUID) and sets *tier to a
 * static name ("assistant", "metadata", "phone_number_id", "phone_number",
 * or "cache" when a recent answer was reused) for logs. */
ingest_org_result ingest_org_resolve(ingest_resolver *r, const ingest_call *c, char org_id[VX_UUID_STR_LEN + 1], const char **tier);

#endif
