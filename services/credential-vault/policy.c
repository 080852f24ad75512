/*
 * policy: the caller × operation table (see policy.h).
 */
#include "policy.h"

#include <stddef.h>
#include <string.h>

#define OP(x) (1u << (x))

static const char *const OP_NAMES[] = {
    [VAULT_OP_GET] = "get",
    [VAULT_OP_EXISTS] = "exists",
    [VAULT_OP_LIST] = "list",
    [VAULT_OP_STORE] = "store",
    [VAULT_OP_DELETE] = "delete",
    [VAULT_OP_MARK] = "mark",
    [VAULT_OP_GOOGLE_TOKEN] = "google_token",
    [VAULT_OP_ROTATE] = "rotate",
};

static const struct {
    const char *caller;
    unsigned ops;
    const char *providers; /* comma-separated providers its get/mark/store/delete may name; NULL: any */
} POLICY[] = {
    /* Calendar tools during calls: an access token, never the refresh token. */
    {"tool-router", OP(VAULT_OP_GOOGLE_TOKEN), NULL},
    /* SMS through the clinic's own Twilio; reports whether it worked. */
    {"notifier", OP(VAULT_OP_GET) | OP(VAULT_OP_EXISTS) | OP(VAULT_OP_LIST) | OP(VAULT_OP_MARK), "twilio"},
    /* Caller-ID verification calls through the clinic's Twilio. */
    {"telephony-verify", OP(VAULT_OP_GET) | OP(VAULT_OP_EXISTS) | OP(VAULT_OP_MARK), "twilio"},
    /* Whether an org has connected something; no secret. */
    {"tool-sync", OP(VAULT_OP_EXISTS) | OP(VAULT_OP_LIST), NULL},
    /* Operators (voxctl): rotation, what exists, and writing or removing a
     * credential by hand (a migration from another system) — never reading one. */
    {"admin", OP(VAULT_OP_ROTATE) | OP(VAULT_OP_EXISTS) | OP(VAULT_OP_LIST) | OP(VAULT_OP_STORE) | OP(VAULT_OP_DELETE), NULL},
};

vault_op policy_op(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof(OP_NAMES) / sizeof(OP_NAMES[0]); i++)
        if (strcmp(name, OP_NAMES[i]) == 0)
            return (vault_op)i;
    return VAULT_OP_UNKNOWN;
}

/* True when provider is one of the comma-separated list. */
static bool listed(const char *list, const char *provider)
{
    size_t n = strlen(provider);
    for (const char *p = list; *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, provider, n) == 0)
            return true;
        p += len + (end != NULL);
    }
    return false;
}

bool policy_allows(const char *caller, vault_op op, const char *provider)
{
    if (caller == NULL || op == VAULT_OP_UNKNOWN)
        return false;
    for (size_t i = 0; i < sizeof(POLICY) / sizeof(POLICY[0]); i++) {
        if (strcmp(POLICY[i].caller, caller) != 0)
            continue;
        if ((POLICY[i].ops & OP(op)) == 0)
            return false;
        bool names_provider = op == VAULT_OP_GET || op == VAULT_OP_MARK || op == VAULT_OP_STORE || op == VAULT_OP_DELETE;
        return !names_provider || POLICY[i].providers == NULL || (provider != NULL && listed(POLICY[i].providers, provider));
    }
    return false;
}
