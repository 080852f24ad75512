/*
 * api: the vault's NATS API for the other services (proto/voxanne/v1/vault.proto).
 *
 * Each worker is one subscription on rpc.vault.> in queue group "vault"
 * (delivered on its own thread, so its vx_pg needs no lock) and answers
 * rpc.vault.<caller>.<operation> after policy.h says the caller may ask it.
 * Another subscription, on every replica, drops changed credentials from the
 * cache (vault.evict).
 */
#ifndef VAULT_API_H
#define VAULT_API_H

#include <nats/nats.h>

#include "credentials.h"

typedef struct api_worker api_worker;

/* Creates a worker with its database handle (connected lazily). Starts nothing. */
api_worker *api_worker_create(const vault_ctx *v);
/* Subscribes on nc. Returns 0 or -1 (logged). */
int api_worker_start(api_worker *w, natsConnection *nc);
/* Drains the subscription: requests in hand are answered (at once when NATS
 * is away). A second call is a no-op. */
void api_worker_stop(api_worker *w);
void api_worker_destroy(api_worker *w);

/* Subscribes vault.evict (no queue group: every replica hears it) into v's cache. */
int api_listen_evictions(const vault_ctx *v, natsConnection *nc, natsSubscription **out);

#endif
