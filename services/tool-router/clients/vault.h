/*
 * vault: the one client of credential-vault tool-router has — "the org's
 * Google Calendar token, please" (rpc.vault.google.token, GoogleTokenRequest
 * / GoogleTokenReply of proto/voxanne/v1/vault.proto), asked over NATS with a
 * 300 ms timeout because a caller is waiting.
 *
 * Not having Google is normal: the vault may not be deployed, may be down,
 * or the org never connected a calendar. All of those are one outcome, "no
 * token", logged at debug level (an unreadable reply at warn), and the
 * calendar tools carry on with the internal calendar alone.
 *
 * When the vault does not answer at all (no responders, a timeout), each
 * thread stops asking it for miss_ttl_ms (VAULT_MISS_TTL_MS), so that a suite
 * without credential-vault does not pay a NATS round trip per calendar tool.
 *
 * Thread safety: any thread may call it; the "vault absent" memory is per
 * thread.
 */
#ifndef TOOL_ROUTER_CLIENTS_VAULT_H
#define TOOL_ROUTER_CLIENTS_VAULT_H

#include <nats/nats.h>

#define VAULT_GOOGLE_TOKEN_SUBJECT "rpc.vault.google.token"

/* Asks for org_id's Google token on nc (NULL: no vault, -1 at once). Returns
 * 0 with *access_token and *calendar_id set (malloc'd; the caller owns them,
 * and wipes the token before freeing it: it is a secret, never logged; the
 * calendar is "primary" when the vault names none), or -1 with both NULL
 * when there is no usable token. request_id may be NULL. */
int vault_google_token(natsConnection *nc, const char *request_id, const char *org_id, long miss_ttl_ms, char **access_token,
                       char **calendar_id);

#endif
