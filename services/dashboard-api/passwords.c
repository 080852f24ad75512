/*
 * passwords: see passwords.h. crypt_rn's work area (struct crypt_data,
 * 32 KiB) is allocated per call: handlers run on several worker threads,
 * and crypt() itself keeps its state in a static buffer.
 */
#include "passwords.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include "vx_crypto.h"
#include "vx_log.h"

static unsigned long hash_cost = PASSWORDS_DEFAULT_COST;
static char dummy_hash[PASSWORDS_HASH_MAX];

/* crypt_rn of password (a NUL-terminated copy) with setting; the result is
 * copied into out. Returns 0, or -1 when libcrypt refused. */
static int run_crypt(const char *password, size_t len, const char *setting, char out[PASSWORDS_HASH_MAX])
{
    if (memchr(password, '\0', len) != NULL)
        return -1;
    char *copy = malloc(len + 1);
    struct crypt_data *work = calloc(1, sizeof(*work));
    if (copy == NULL || work == NULL)
        abort();
    memcpy(copy, password, len);
    copy[len] = '\0';
    const char *h = crypt_rn(copy, setting, work, (int)sizeof(*work));
    int rc = -1;
    /* libxcrypt reports failure as NULL or as a string starting with '*'. */
    if (h != NULL && h[0] != '*' && strlen(h) < PASSWORDS_HASH_MAX) {
        strcpy(out, h);
        rc = 0;
    }
    explicit_bzero(copy, len);
    explicit_bzero(work, sizeof(*work));
    free(copy);
    free(work);
    return rc;
}

int passwords_hash(const char *password, size_t len, char out[PASSWORDS_HASH_MAX])
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    /* NULL entropy: libxcrypt draws the salt from the kernel itself. */
    if (crypt_gensalt_rn("$y$", hash_cost, NULL, 0, setting, (int)sizeof(setting)) == NULL) {
        vx_log_error(NULL, NULL, "crypt_gensalt_rn failed", "algorithm", "yescrypt");
        return -1;
    }
    if (run_crypt(password, len, setting, out) != 0) {
        vx_log_error(NULL, NULL, "crypt_rn failed", "algorithm", "yescrypt");
        return -1;
    }
    return 0;
}

int passwords_init(unsigned long cost)
{
    hash_cost = cost;
    uint8_t random[32];
    vx_random_bytes(random, sizeof(random));
    char secret[65];
    vx_hex_encode(random, sizeof(random), secret);
    int rc = passwords_hash(secret, 64, dummy_hash);
    explicit_bzero(secret, sizeof(secret));
    return rc;
}

bool passwords_check(const char *password, size_t len, const char *hash)
{
    char computed[PASSWORDS_HASH_MAX];
    if (hash == NULL || hash[0] != '$' || run_crypt(password, len, hash, computed) != 0)
        return false;
    bool same = vx_ct_equal(computed, strlen(computed), hash, strlen(hash));
    explicit_bzero(computed, sizeof(computed));
    return same;
}

bool passwords_check_dummy(const char *password, size_t len)
{
    (void)passwords_check(password, len, dummy_hash);
    return false;
}
