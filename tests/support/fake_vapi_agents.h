/*
 * fake_vapi_agents: the assistants and tools of tests/fakes/vapi_api
 * (contracts/vapi.md §4.1, §4.2): their validation, their store and their
 * routes. The wire API they answer is documented in vapi_api.c's header
 * comment, with the rest of the fake.
 *
 * Thread safety: none of its own. The store is the module's (one fake per
 * process); every function is called with the fake's one lock held.
 */
#ifndef FAKE_VAPI_AGENTS_H
#define FAKE_VAPI_AGENTS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "fake_http.h"

/* Starts with an empty store; org_id is put on every object made. */
void fake_vapi_agents_init(const char *org_id);
/* Forgets every assistant and tool and the counters. */
void fake_vapi_agents_reset(void);
void fake_vapi_agents_free(void);

/* Answers an authorized API call when path (its query cut off) is /assistant,
 * /assistant/{id}, /tool or /tool/{id}, and returns true; false for any other
 * path (nothing answered). */
bool fake_vapi_agents_route(const fake_request *q, const char *path, fake_response *r);

/* POST /_fake/assistants: stores assistant as given, unvalidated (as if made
 * with fields and tools this fake does not model), adding id (when absent),
 * orgId, createdAt and updatedAt; answers 201 with it, or 400 when it is not
 * an object. */
void fake_vapi_agents_seed_assistant(const cJSON *assistant, fake_response *r);

/* Adds "assistants" and "tools" (the live objects, as GET answers them) to
 * state, and the counts of successful calls to its "created", "patched" and
 * "deleted" objects (created if absent). */
void fake_vapi_agents_state(cJSON *state);

/* Checks a server object {url, credentialId?, headers?, timeoutSeconds?,
 * backoffPlan?}; NULL when valid, else the NestJS message (in buf, or a
 * static string). prefix names it in messages ("server"). */
const char *fake_vapi_invalid_server(const cJSON *server, const char *prefix, char *buf, size_t n);

#endif
