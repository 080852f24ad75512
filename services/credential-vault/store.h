/*
 * store: org_credentials and credential_access_log in PostgreSQL — the only
 * SQL of the vault's credentials. Every statement runs under the org's
 * claims (vx_pg_begin_org), so row-level security scopes it as well as its
 * WHERE clause; only key rotation looks across organizations, through the
 * narrow credentials_not_on_key() look-up (migrations/0008).
 *
 * A read of a secret and its access-log row are one statement: a secret is
 * never returned without its read being logged.
 *
 * A store is used by one thread at a time (its worker's vx_pg).
 */
#ifndef VAULT_STORE_H
#define VAULT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyring.h"
#include "vx_pg.h"

#define STORE_PROVIDER_MAX 40
#define STORE_LABEL_MAX    320
#define STORE_ERROR_MAX    500
#define STORE_SECRET_MAX   8192

/* One credential: its metadata and, when read, its decrypted secret. */
typedef struct credential {
    char provider[STORE_PROVIDER_MAX + 1];
    char status[24]; /* connected | verified | failed | reconnect_needed */
    char label[STORE_LABEL_MAX + 1];
    char last_verified_at[32]; /* ISO 8601 UTC, "" when never */
    char last_error[STORE_ERROR_MAX + 1];
    char updated_at[32];
    char *sync_state; /* JSON object text, malloc'd */
    uint8_t *secret;  /* decrypted, NUL-terminated, malloc'd; NULL when not read */
    size_t secret_len;
} credential;

/* Wipes the secret and frees what c holds; c is zeroed. */
void credential_clear(credential *c);
/* A deep copy of src into dst (dst's old content is not freed). */
void credential_copy(credential *dst, const credential *src);

typedef enum {
    STORE_OK = 0,
    STORE_NOT_FOUND = 1,
    STORE_UNREADABLE = 2, /* the ciphertext does not open for this org and provider (logged as an error) */
    STORE_ERROR = -1,     /* the database failed (logged) */
} store_status;

/* True for a provider name the table accepts: [a-z][a-z0-9_]{1,39}. */
bool store_provider_valid(const char *provider);

/* Registers the statements on pg. */
void store_prepare(vx_pg *pg);

/* Reads and decrypts org_id's credential for provider, logging the read as
 * (caller, operation) in credential_access_log in the same statement. */
store_status store_read(vx_pg *pg, const keyring *k, const char *request_id, const char *org_id, const char *provider,
                        const char *caller, const char *operation, credential *out);
/* Logs a read served from the cache: the access log has a row for every read. */
store_status store_log_read(vx_pg *pg, const char *request_id, const char *org_id, const char *provider, const char *caller,
                            const char *operation);
/* The metadata only (out->secret stays NULL). */
store_status store_info(vx_pg *pg, const char *request_id, const char *org_id, const char *provider, credential *out);
/* Every credential of the org, metadata only, by provider (*out malloc'd; credential_clear each, then free). */
store_status store_list(vx_pg *pg, const char *request_id, const char *org_id, credential **out, size_t *n);
/* Encrypts secret and writes it as org_id's credential for provider
 * (replacing one), status "connected", no error. sync_state NULL keeps the
 * row's sync state (an empty object for a new row). */
store_status store_write(vx_pg *pg, const keyring *k, const char *request_id, const char *org_id, const char *provider,
                         const uint8_t *secret, size_t len, const char *label, const char *sync_state);
/* Replaces the sync state (a JSON object). STORE_NOT_FOUND when the row is gone. */
store_status store_set_sync(vx_pg *pg, const char *request_id, const char *org_id, const char *provider, const char *sync_state);
/* Deletes the credential. STORE_NOT_FOUND when there was none. */
store_status store_delete(vx_pg *pg, const char *request_id, const char *org_id, const char *provider);
/* Records an owner's integration change in the organization's audit log (vx_audit.h)
 * (action "integration.<provider>_connected" …; user_id and role may be
 * NULL or "": the change was not a signed-in user's). Its own transaction,
 * after the change: a connect spans calls to the provider and to Vapi and
 * several writes, and the entry records the completed action. STORE_OK, or
 * STORE_ERROR (logged). */
store_status store_audit(vx_pg *pg, const char *request_id, const char *org_id, const char *user_id, const char *role,
                         const char *action, const char *provider);
/* Sets status ("verified" also stamps last_verified_at) and last_error (NULL or "": none). */
store_status store_mark(vx_pg *pg, const char *request_id, const char *org_id, const char *provider, const char *status,
                        const char *error);

/* Runs one registered statement as org_id (writes: in a transaction of its
 * own; else a read scope), for the integrations' statements on tables beside
 * org_credentials. The result (PQclear it), or NULL (logged) when the
 * database failed. */
PGresult *store_exec_as_org(vx_pg *pg, const char *request_id, const char *org_id, bool writes, const char *stmt, int n,
                            const char *const *params);

/* One rotation batch: re-seals up to limit rows not under the current key,
 * each in its own transaction under its org's claims (a row rewritten
 * meanwhile is re-read, never overwritten with stale data). */
typedef struct store_rotation {
    uint64_t rotated, failed, remaining;
} store_rotation;
store_status store_rotate(vx_pg *pg, const keyring *k, const char *request_id, size_t limit, store_rotation *out);

#endif
