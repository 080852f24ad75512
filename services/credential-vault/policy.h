/*
 * policy: which program may ask the vault what. The subject a request
 * arrives on, rpc.vault.<caller>.<operation>, names the caller — NATS lets a
 * user publish only on its own rpc.vault.<user>.> (deploy/nats/users.conf) —
 * and this table says what each caller may ask, for which providers. The two
 * agree by design; the table is the second lock, and the only one if a NATS
 * permission is ever widened by mistake.
 *
 * Secrets leave only for get (to the services that act with them) and never
 * for the gateway or dashboard-api, which are not in the table at all.
 */
#ifndef VAULT_POLICY_H
#define VAULT_POLICY_H

#include <stdbool.h>

typedef enum {
    VAULT_OP_GET,
    VAULT_OP_EXISTS,
    VAULT_OP_LIST,
    VAULT_OP_STORE,
    VAULT_OP_DELETE,
    VAULT_OP_MARK,
    VAULT_OP_GOOGLE_TOKEN,
    VAULT_OP_ROTATE,
    VAULT_OP_UNKNOWN,
} vault_op;

/* The operation named by a subject's last token, or VAULT_OP_UNKNOWN. */
vault_op policy_op(const char *name);
/* True when caller may ask op (for provider; NULL for operations without one). */
bool policy_allows(const char *caller, vault_op op, const char *provider);

#endif
