/*
 * store: the vault's SQL (see store.h).
 *
 * Ciphertexts travel as bytea in text form ("\x" and hex), like every other
 * parameter here; a credential is a few hundred bytes, so binary transfer
 * would save nothing worth a second code path.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_audit.h"
#include "vx_crypto.h"
#include "vx_log.h"

#define ISO_UTC(col) "coalesce(to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')"
/* The metadata columns every read returns, in this order (read_meta). */
#define META_COLUMNS                                                                                                               \
    "c.provider, c.status, coalesce(c.label, ''), " ISO_UTC("c.last_verified_at") ", coalesce(c.last_error, ''), " ISO_UTC(        \
        "c.updated_at") ", c.sync_state::text"
#define META_NCOLS 7

void credential_clear(credential *c)
{
    if (c->secret != NULL)
        explicit_bzero(c->secret, c->secret_len);
    free(c->secret);
    free(c->sync_state);
    memset(c, 0, sizeof(*c));
}

static char *dup_or_abort(const char *s)
{
    char *d = strdup(s != NULL ? s : "");
    if (d == NULL)
        abort();
    return d;
}

void credential_copy(credential *dst, const credential *src)
{
    *dst = *src;
    dst->sync_state = dup_or_abort(src->sync_state);
    dst->secret = NULL;
    if (src->secret != NULL) {
        dst->secret = malloc(src->secret_len + 1);
        if (dst->secret == NULL)
            abort();
        memcpy(dst->secret, src->secret, src->secret_len + 1);
    }
}

bool store_provider_valid(const char *provider)
{
    size_t n = provider != NULL ? strlen(provider) : 0;
    if (n < 2 || n > STORE_PROVIDER_MAX || provider[0] < 'a' || provider[0] > 'z')
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = provider[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

void store_prepare(vx_pg *pg)
{
    vx_audit_prepare(pg);
    vx_pg_prepare(pg, "vault_read",
                  "WITH c AS (SELECT * FROM org_credentials WHERE org_id = $1::uuid AND provider = $2), "
                  "l AS (INSERT INTO credential_access_log (org_id, provider, caller, operation) "
                  "      SELECT $1::uuid, $2, $3, $4 FROM c) "
                  "SELECT " META_COLUMNS ", c.ciphertext, c.key_id FROM c");
    vx_pg_prepare(pg, "vault_log_read",
                  "INSERT INTO credential_access_log (org_id, provider, caller, operation) VALUES ($1::uuid, $2, $3, $4)");
    vx_pg_prepare(pg, "vault_info", "SELECT " META_COLUMNS " FROM org_credentials c WHERE c.org_id = $1::uuid AND c.provider = $2");
    vx_pg_prepare(pg, "vault_list", "SELECT " META_COLUMNS " FROM org_credentials c WHERE c.org_id = $1::uuid ORDER BY c.provider");
    vx_pg_prepare(pg, "vault_write",
                  "INSERT INTO org_credentials (org_id, provider, ciphertext, key_id, label, sync_state) "
                  "VALUES ($1::uuid, $2, $3::bytea, $4, NULLIF($5, ''), coalesce($6::jsonb, '{}'::jsonb)) "
                  "ON CONFLICT (org_id, provider) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, key_id = EXCLUDED.key_id, "
                  "label = EXCLUDED.label, status = 'connected', last_error = NULL, "
                  "sync_state = coalesce($6::jsonb, org_credentials.sync_state)");
    vx_pg_prepare(pg, "vault_set_sync",
                  "UPDATE org_credentials SET sync_state = $3::jsonb WHERE org_id = $1::uuid AND provider = $2");
    vx_pg_prepare(pg, "vault_delete", "DELETE FROM org_credentials WHERE org_id = $1::uuid AND provider = $2");
    vx_pg_prepare(pg, "vault_mark",
                  "UPDATE org_credentials SET status = $3, last_error = NULLIF($4, ''), "
                  "last_verified_at = CASE WHEN $3 = 'verified' THEN now() ELSE last_verified_at END "
                  "WHERE org_id = $1::uuid AND provider = $2");
    vx_pg_prepare(pg, "vault_not_on_key", "SELECT org_id, provider, remaining FROM credentials_not_on_key($1, $2)");
    vx_pg_prepare(pg, "vault_remaining", "SELECT credentials_not_on_key_count($1)");
    vx_pg_prepare(pg, "vault_lock_row",
                  "SELECT ciphertext, key_id FROM org_credentials WHERE org_id = $1::uuid AND provider = $2 FOR UPDATE");
    vx_pg_prepare(pg, "vault_reseal",
                  "UPDATE org_credentials SET ciphertext = $3::bytea, key_id = $4 WHERE org_id = $1::uuid AND provider = $2");
}

static void copy_field(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* Fills c's metadata from row of res (META_COLUMNS first). */
static void read_meta(const PGresult *res, int row, credential *c)
{
    copy_field(c->provider, sizeof(c->provider), vx_pg_value(res, row, 0));
    copy_field(c->status, sizeof(c->status), vx_pg_value(res, row, 1));
    copy_field(c->label, sizeof(c->label), vx_pg_value(res, row, 2));
    copy_field(c->last_verified_at, sizeof(c->last_verified_at), vx_pg_value(res, row, 3));
    copy_field(c->last_error, sizeof(c->last_error), vx_pg_value(res, row, 4));
    copy_field(c->updated_at, sizeof(c->updated_at), vx_pg_value(res, row, 5));
    c->sync_state = dup_or_abort(vx_pg_value(res, row, 6));
}

PGresult *store_exec_as_org(vx_pg *pg, const char *request_id, const char *org_id, bool writes, const char *stmt, int n,
                            const char *const *params)
{
    int rc = writes ? vx_pg_begin_org(pg, org_id) : vx_pg_begin_org_reads(pg, org_id);
    PGresult *res = rc == 0 ? vx_pg_exec(pg, stmt, n, params) : NULL;
    if (res != NULL && vx_pg_commit(pg) != 0) {
        PQclear(res);
        res = NULL;
    }
    if (res == NULL) {
        if (rc == 0)
            vx_pg_rollback(pg);
        vx_log_error(request_id, org_id, "vault database statement failed", "statement", stmt, "error", vx_pg_error(pg));
    }
    return res;
}

/* "\x…" (bytea's text form) → bytes. */
static int bytea_decode(const char *text, uint8_t **out, size_t *len)
{
    size_t n = text != NULL ? strlen(text) : 0;
    if (n < 2 || text[0] != '\\' || text[1] != 'x' || (n - 2) % 2 != 0)
        return -1;
    *len = (n - 2) / 2;
    *out = malloc(*len > 0 ? *len : 1);
    if (*out == NULL)
        abort();
    if (vx_hex_decode(text + 2, n - 2, *out, *len) != 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static char *bytea_encode(const uint8_t *data, size_t len)
{
    char *text = malloc(2 * len + 3);
    if (text == NULL)
        abort();
    text[0] = '\\';
    text[1] = 'x';
    vx_hex_encode(data, len, text + 2);
    text[2 * len + 2] = '\0';
    return text;
}

/* Opens row's ciphertext (columns cipher_col, cipher_col + 1 = key id) into c. */
static store_status open_row(const keyring *k, const char *request_id, const char *org_id, const char *provider,
                             const PGresult *res, int cipher_col, credential *c)
{
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    const char *key_id = vx_pg_value(res, 0, cipher_col + 1);
    keyring_status ks = KEYRING_UNREADABLE;
    if (bytea_decode(vx_pg_value(res, 0, cipher_col), &sealed, &sealed_len) == 0)
        ks = keyring_open(k, org_id, provider, key_id, sealed, sealed_len, &c->secret, &c->secret_len);
    free(sealed);
    if (ks == KEYRING_OK)
        return STORE_OK;
    /* Never expected: a row copied from another org or provider, a key the
     * vault was not given, or tampering. Said plainly for the operator. */
    vx_log_error(request_id, org_id, "credential cannot be decrypted", "provider", provider, "key_id", key_id, "reason",
                 ks == KEYRING_UNKNOWN_KEY ? "sealed under a key this vault does not hold (set ENCRYPTION_KEY_PREVIOUS?)"
                                           : "the ciphertext does not belong to this organization and provider, or was altered");
    return STORE_UNREADABLE;
}

store_status store_read(vx_pg *pg, const keyring *k, const char *request_id, const char *org_id, const char *provider,
                        const char *caller, const char *operation, credential *out)
{
    memset(out, 0, sizeof(*out));
    const char *params[4] = {org_id, provider, caller, operation};
    PGresult *res = store_exec_as_org(pg, request_id, org_id, true, "vault_read", 4, params);
    if (res == NULL)
        return STORE_ERROR;
    store_status st = STORE_NOT_FOUND;
    if (PQntuples(res) == 1) {
        read_meta(res, 0, out);
        st = open_row(k, request_id, org_id, provider, res, META_NCOLS, out);
        if (st != STORE_OK)
            credential_clear(out);
    }
    PQclear(res);
    return st;
}

store_status store_log_read(vx_pg *pg, const char *request_id, const char *org_id, const char *provider, const char *caller,
                            const char *operation)
{
    const char *params[4] = {org_id, provider, caller, operation};
    PGresult *res = store_exec_as_org(pg, request_id, org_id, true, "vault_log_read", 4, params);
    if (res == NULL)
        return STORE_ERROR;
    PQclear(res);
    return STORE_OK;
}

store_status store_info(vx_pg *pg, const char *request_id, const char *org_id, const char *provider, credential *out)
{
    memset(out, 0, sizeof(*out));
    const char *params[2] = {org_id, provider};
    PGresult *res = store_exec_as_org(pg, request_id, org_id, false, "vault_info", 2, params);
    if (res == NULL)
        return STORE_ERROR;
    store_status st = PQntuples(res) == 1 ? STORE_OK : STORE_NOT_FOUND;
    if (st == STORE_OK)
        read_meta(res, 0, out);
    PQclear(res);
    return st;
}

store_status store_list(vx_pg *pg, const char *request_id, const char *org_id, credential **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const char *params[1] = {org_id};
    PGresult *res = store_exec_as_org(pg, request_id, org_id, false, "vault_list", 1, params);
    if (res == NULL)
        return STORE_ERROR;
    int rows = PQntuples(res);
    *out = calloc(rows > 0 ? (size_t)rows : 1, sizeof(**out));
    if (*out == NULL)
        abort();
    for (int i = 0; i < rows; i++)
        read_meta(res, i, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(res);
    return STORE_OK;
}

/* Runs a one-statement write as org_id; STORE_NOT_FOUND when it touched no row. */
static store_status write_as_org(vx_pg *pg, const char *request_id, const char *org_id, const char *stmt, int n,
                                 const char *const *params)
{
    PGresult *res = store_exec_as_org(pg, request_id, org_id, true, stmt, n, params);
    if (res == NULL)
        return STORE_ERROR;
    const char *affected = PQcmdTuples(res);
    store_status st = affected != NULL && strcmp(affected, "0") == 0 ? STORE_NOT_FOUND : STORE_OK;
    PQclear(res);
    return st;
}

store_status store_write(vx_pg *pg, const keyring *k, const char *request_id, const char *org_id, const char *provider,
                         const uint8_t *secret, size_t len, const char *label, const char *sync_state)
{
    vx_buf sealed = VX_BUF_INIT;
    keyring_seal(k, org_id, provider, secret, len, &sealed);
    char *cipher = bytea_encode((const uint8_t *)sealed.data, sealed.len);
    vx_buf_free(&sealed);
    const char *params[6] = {org_id, provider, cipher, k->current.id, label != NULL ? label : "", sync_state};
    store_status st = write_as_org(pg, request_id, org_id, "vault_write", 6, params);
    free(cipher);
    return st;
}

store_status store_set_sync(vx_pg *pg, const char *request_id, const char *org_id, const char *provider, const char *sync_state)
{
    const char *params[3] = {org_id, provider, sync_state};
    return write_as_org(pg, request_id, org_id, "vault_set_sync", 3, params);
}

store_status store_delete(vx_pg *pg, const char *request_id, const char *org_id, const char *provider)
{
    const char *params[2] = {org_id, provider};
    return write_as_org(pg, request_id, org_id, "vault_delete", 2, params);
}

store_status store_audit(vx_pg *pg, const char *request_id, const char *org_id, const char *user_id, const char *role,
                         const char *action, const char *provider)
{
    int begun = vx_pg_begin_org(pg, org_id);
    if (begun == 0 && vx_audit_record_as(pg, request_id, org_id, user_id, role, action, "integration", provider, NULL) == 0 &&
        vx_pg_commit(pg) == 0)
        return STORE_OK;
    vx_log_error(request_id, org_id, "integration change not audited", "action", action, "error", vx_pg_error(pg));
    if (begun == 0)
        vx_pg_rollback(pg);
    return STORE_ERROR;
}

store_status store_mark(vx_pg *pg, const char *request_id, const char *org_id, const char *provider, const char *status,
                        const char *error)
{
    const char *params[4] = {org_id, provider, status, error != NULL ? error : ""};
    return write_as_org(pg, request_id, org_id, "vault_mark", 4, params);
}

/* Re-seals one row under the current key in a transaction of its own.
 * Returns STORE_OK (re-sealed), STORE_NOT_FOUND (gone, or already on the
 * current key: stored meanwhile), STORE_UNREADABLE or STORE_ERROR. */
static store_status reseal_one(vx_pg *pg, const keyring *k, const char *request_id, const char *org_id, const char *provider)
{
    if (vx_pg_begin_org(pg, org_id) != 0)
        return STORE_ERROR;
    const char *params[4] = {org_id, provider, NULL, NULL};
    PGresult *res = vx_pg_exec(pg, "vault_lock_row", 2, params);
    if (res == NULL) {
        vx_log_error(request_id, org_id, "rotation: reading a credential failed", "provider", provider, "error", vx_pg_error(pg));
        vx_pg_rollback(pg);
        return STORE_ERROR;
    }
    store_status st = STORE_NOT_FOUND;
    if (PQntuples(res) == 1 && strcmp(vx_pg_value(res, 0, 1), k->current.id) != 0) {
        credential c = {0};
        st = open_row(k, request_id, org_id, provider, res, 0, &c);
        if (st == STORE_OK) {
            vx_buf sealed = VX_BUF_INIT;
            keyring_seal(k, org_id, provider, c.secret, c.secret_len, &sealed);
            char *cipher = bytea_encode((const uint8_t *)sealed.data, sealed.len);
            vx_buf_free(&sealed);
            params[2] = cipher;
            params[3] = k->current.id;
            PGresult *up = vx_pg_exec(pg, "vault_reseal", 4, params);
            free(cipher);
            if (up == NULL) {
                vx_log_error(request_id, org_id, "rotation: rewriting a credential failed", "provider", provider, "error",
                             vx_pg_error(pg));
                st = STORE_ERROR;
            }
            PQclear(up);
        }
        credential_clear(&c);
    }
    PQclear(res);
    if ((st == STORE_OK || st == STORE_NOT_FOUND) && vx_pg_commit(pg) == 0)
        return st;
    vx_pg_rollback(pg);
    return st == STORE_OK || st == STORE_NOT_FOUND ? STORE_ERROR : st;
}

store_status store_rotate(vx_pg *pg, const keyring *k, const char *request_id, size_t limit, store_rotation *out)
{
    memset(out, 0, sizeof(*out));
    char limit_text[24];
    snprintf(limit_text, sizeof(limit_text), "%zu", limit);
    const char *params[2] = {k->current.id, limit_text};
    PGresult *res = vx_pg_exec(pg, "vault_not_on_key", 2, params);
    if (res == NULL) {
        vx_log_error(request_id, NULL, "rotation: listing credentials failed", "error", vx_pg_error(pg));
        return STORE_ERROR;
    }
    store_status st = STORE_OK;
    for (int i = 0; i < PQntuples(res) && st == STORE_OK; i++) {
        store_status one = reseal_one(pg, k, request_id, vx_pg_value(res, i, 0), vx_pg_value(res, i, 1));
        if (one == STORE_OK)
            out->rotated++;
        else if (one == STORE_UNREADABLE)
            out->failed++;
        else if (one == STORE_ERROR)
            st = STORE_ERROR;
    }
    PQclear(res);
    if (st != STORE_OK)
        return st;
    res = vx_pg_exec(pg, "vault_remaining", 1, params);
    if (res == NULL) {
        vx_log_error(request_id, NULL, "rotation: counting credentials failed", "error", vx_pg_error(pg));
        return STORE_ERROR;
    }
    out->remaining = strtoull(vx_pg_value(res, 0, 0) != NULL ? vx_pg_value(res, 0, 0) : "0", NULL, 10);
    PQclear(res);
    return STORE_OK;
}
