/*
 * vault: the one client of credential-vault tool-router has — "the org's
 * Google Calendar token, please" (rpc.vault.tool-router.google_token,
 * GoogleTokenRequest / GoogleTokenReply of proto/voxanne/v1/vault.proto),
 * asked over NATS with a 300 ms timeout because a caller is waiting. The
 * subject names tool-router as the caller: NATS lets the tool-router user
 * publish only on its own rpc.vault.tool-router.> subjects, and that is how
 * the vault knows who asks.
 *
 * Not having Google is normal: the vault may not be deployed, may be down,
 * or the org never connected a calendar. Those all leave the calendar tools
 * on the internal calendar alone, logged at debug level (an unreadable or
 * refused reply at warn). One outcome is told apart: the org did connect
 * Google, but Google refused its refresh token (revoked, expired) — the
 * owner must connect again (VAULT_RECONNECT_NEEDED, logged at warn), and
 * the tools say so in their own way.
 *
 * When the vault does not answer at all (no responders, a timeout), each
 * thread stops asking it for miss_ttl_ms (VAULT_MISS_TTL_MS), so that a suite
 * without credential-vault does not pay a NATS round trip per calendar tool.
 * Any answer, "reconnect needed" included, is not remembered: the next tool
 * asks again (the owner may have reconnected meanwhile).
 *
 * Thread safety: any thread may call it; the "vault absent" memory is per
 * thread.
 */
#ifndef TOOL_ROUTER_CLIENTS_VAULT_H
#define TOOL_ROUTER_CLIENTS_VAULT_H

#include <nats/nats.h>

#define VAULT_GOOGLE_TOKEN_SUBJECT "rpc.vault.tool-router.google_token"

/* What asking for a Google token came to. */
typedef enum {
    VAULT_OK = 0,               /* a token: *access_token and *calendar_id are set */
    VAULT_NOT_CONNECTED = 1,    /* the org has not connected Google, or no vault is deployed (no responders) */
    VAULT_RECONNECT_NEEDED = 2, /* the org connected Google, but Google refused its refresh token: the owner must reconnect */
    VAULT_ERROR = -1,           /* no usable answer: a timeout, an unreadable reply, a refusal by the vault (logged) */
} vault_status;

/* Asks for org_id's Google token on nc (NULL: no vault, VAULT_NOT_CONNECTED
 * at once). On VAULT_OK *access_token and *calendar_id are set (malloc'd; the
 * caller owns them, and wipes the token before freeing it: it is a secret,
 * never logged; the calendar is "primary" when the vault names none);
 * otherwise both are NULL. request_id may be NULL. */
vault_status vault_google_token(natsConnection *nc, const char *request_id, const char *org_id, long miss_ttl_ms,
                                char **access_token, char **calendar_id);

#endif
