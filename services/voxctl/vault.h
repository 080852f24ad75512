/*
 * vault: the operator's requests to the running credential-vault, over NATS
 * as the admin NATS user — so far `voxctl vault rotate`, which has the vault
 * re-encrypt every credential still under an older key with its current one
 * (RotateRequest / RotateReply of proto/voxanne/v1/vault.proto, on
 * rpc.vault.admin.rotate: NATS lets only the admin user publish there, and
 * the vault's policy lets only admin rotate).
 *
 * The vault rotates at most one batch per request, so voxctl asks again
 * while the vault answers VAULT_OK, some credentials remain and the last
 * request rotated something. Each batch prints one line on stdout, the end
 * one summary ("rotated 12 credentials to key k2; 0 remaining"); every
 * failure is one sentence on stderr. Asking again is always safe: what was
 * rotated stays rotated.
 */
#ifndef VXCTL_VAULT_H
#define VXCTL_VAULT_H

#include <nats/nats.h>

#include "cli.h"

#define VXCTL_VAULT_ROTATE_SUBJECT "rpc.vault.admin.rotate"

/* Each request's timeout: the default and the range --timeout-s accepts. */
#define VXCTL_VAULT_TIMEOUT_S_DEFAULT 60
#define VXCTL_VAULT_TIMEOUT_S_MAX     3600

/* What `vault rotate` was asked. */
typedef struct vxctl_vault_rotate_spec {
    long timeout_s; /* how long each request waits for the vault's answer */
} vxctl_vault_rotate_spec;

/* Parses the options of `vault rotate` (argv[0..argc): what follows
 * "rotate") into *spec: [--timeout-s N], N from 1 to
 * VXCTL_VAULT_TIMEOUT_S_MAX, default VXCTL_VAULT_TIMEOUT_S_DEFAULT. Returns
 * VXCTL_OK, or VXCTL_USAGE after printing why. */
vxctl_status vxctl_vault_rotate_args(int argc, char **argv, vxctl_vault_rotate_spec *spec);

/* Rotates batch after batch on nc until the vault is done (see above).
 * Returns VXCTL_OK when nothing remains under an older key and nothing
 * failed to decrypt; VXCTL_FAILED after printing why otherwise: the vault
 * does not run or does not answer in time, refuses, answers another status,
 * could not decrypt some credentials, or stopped making progress. */
vxctl_status vxctl_vault_rotate(natsConnection *nc, const vxctl_vault_rotate_spec *spec);

#endif
