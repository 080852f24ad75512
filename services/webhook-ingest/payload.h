/*
 * payload: what a parked message keeps of the Vapi body, without secrets.
 *
 * A parked message waits in parked_messages for an operator, so it keeps the
 * body — but never a credential that Vapi echoes back
 * (message.phoneNumber.twilioAuthToken and friends, contracts/vapi.md §1.2).
 * The result is always valid, UTF-8-clean JSON that PostgreSQL's jsonb
 * accepts, bounded in size. Pure functions, no I/O.
 */
#ifndef INGEST_PAYLOAD_H
#define INGEST_PAYLOAD_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Largest payload text a parked row keeps. */
#define INGEST_MAX_PARKED (1024 * 1024)

/* The parked payload for a parsed body: scrubs root in place (vx_scrub) and prints it.
 * A body over INGEST_MAX_PARKED becomes {"truncated":true,"length":N}.
 * The caller frees the returned string; never NULL. */
char *ingest_payload_for_parking(cJSON *root);

/* The parked payload for a body that is not JSON:
 * {"malformed":true,"length":N,"raw":"<first bytes, credential values masked>"}.
 * The caller frees; never NULL. */
char *ingest_payload_malformed(const char *raw, size_t len);

#endif
