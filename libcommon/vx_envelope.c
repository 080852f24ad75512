/*
 * vx_envelope: HMAC-SHA256 signatures of gateway envelopes.
 */
#include "vx_envelope.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "vx_crypto.h"
#include "vx_routes.h"

#define KEY_LABEL   "voxanne-envelope-key-v1:"
#define MAC_LABEL   "voxanne-envelope-v1\n"
#define SIG_PREFIX  "v1="
#define SERVICE_MAX 32

int vx_envelope_key_parse(const char *hex, uint8_t key[VX_ENVELOPE_KEY_LEN])
{
    if (hex == NULL || strlen(hex) != 2 * VX_ENVELOPE_KEY_LEN)
        return -1;
    return vx_hex_decode(hex, 2 * VX_ENVELOPE_KEY_LEN, key, VX_ENVELOPE_KEY_LEN);
}

void vx_envelope_service_key(const uint8_t master[VX_ENVELOPE_KEY_LEN], const char *service, uint8_t out[VX_ENVELOPE_KEY_LEN])
{
    char label[sizeof(KEY_LABEL) + 64];
    size_t n = strlen(KEY_LABEL), s = strlen(service);
    if (s > 64)
        s = 64;
    memcpy(label, KEY_LABEL, n);
    memcpy(label + n, service, s);
    vx_hmac_sha256(master, VX_ENVELOPE_KEY_LEN, label, n + s, out);
}

int vx_envelope_subject_service(const char *subject, char *out, size_t out_len)
{
    if (subject == NULL || strncmp(subject, "rpc.", 4) != 0)
        return -1;
    const char *name = subject + 4;
    const char *dot = strchr(name, '.');
    size_t n = dot != NULL ? (size_t)(dot - name) : 0;
    if (n == 0 || n >= out_len || dot[1] == '\0')
        return -1;
    memcpy(out, name, n);
    out[n] = '\0';
    return 0;
}

const char *vx_envelope_program_service(const char *program)
{
    static const struct {
        const char *program, *service;
    } programs[] = {
        {"webhook-ingest", "ingest"},         {"dashboard-api", "dashboard"}, {"tool-router", "tools"},
        {"credential-vault", "integrations"}, {"rag-search", "kb"},
    };
    for (size_t i = 0; program != NULL && i < sizeof(programs) / sizeof(programs[0]); i++)
        if (strcmp(programs[i].program, program) == 0)
            return programs[i].service;
    return NULL;
}

void vx_envelope_mac(const uint8_t key[VX_ENVELOPE_KEY_LEN], const char *subject, const void *payload, size_t len, uint8_t mac[32])
{
    /* The subject, then the payload, without copying the payload: HMAC over
     * the parts. Deprecated in OpenSSL 3 but kept there; EVP_MAC costs about
     * twice as much per call for inputs this small. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    HMAC_CTX *ctx = HMAC_CTX_new();
    unsigned int out_len = 0;
    bool ok = ctx != NULL && HMAC_Init_ex(ctx, key, VX_ENVELOPE_KEY_LEN, EVP_sha256(), NULL) == 1 &&
              HMAC_Update(ctx, (const unsigned char *)MAC_LABEL, strlen(MAC_LABEL)) == 1 &&
              HMAC_Update(ctx, (const unsigned char *)subject, strlen(subject)) == 1 &&
              HMAC_Update(ctx, (const unsigned char *)"\n", 1) == 1 && (len == 0 || HMAC_Update(ctx, payload, len) == 1) &&
              HMAC_Final(ctx, mac, &out_len) == 1 && out_len == 32;
    HMAC_CTX_free(ctx);
#pragma GCC diagnostic pop
    if (!ok)
        abort(); /* out of memory inside OpenSSL: there is no safe answer */
}

void vx_envelope_sign(const uint8_t key[VX_ENVELOPE_KEY_LEN], const char *subject, const void *payload, size_t len,
                      char out[VX_ENVELOPE_SIG_SIZE])
{
    uint8_t mac[32];
    vx_envelope_mac(key, subject, payload, len, mac);
    memcpy(out, SIG_PREFIX, strlen(SIG_PREFIX));
    vx_hex_encode(mac, sizeof(mac), out + strlen(SIG_PREFIX));
}

bool vx_envelope_verify(const uint8_t key[VX_ENVELOPE_KEY_LEN], const char *subject, const void *payload, size_t len,
                        const char *signature, uint8_t mac[32])
{
    if (signature == NULL || subject == NULL || strlen(signature) != VX_ENVELOPE_SIG_SIZE - 1 ||
        strncmp(signature, SIG_PREFIX, strlen(SIG_PREFIX)) != 0)
        return false;
    uint8_t given[32];
    if (vx_hex_decode(signature + strlen(SIG_PREFIX), 64, given, sizeof(given)) != 0)
        return false;
    vx_envelope_mac(key, subject, payload, len, mac);
    return vx_ct_equal(mac, 32, given, sizeof(given));
}

/* ---- the gateway's signer ---- */

struct vx_envelope_signer {
    size_t n;
    struct {
        char service[SERVICE_MAX];
        uint8_t key[VX_ENVELOPE_KEY_LEN];
    } keys[];
};

vx_envelope_signer *vx_envelope_signer_create(const uint8_t master[VX_ENVELOPE_KEY_LEN], const char *const *services, size_t n)
{
    vx_envelope_signer *s = calloc(1, sizeof(*s) + n * sizeof(s->keys[0]));
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (strlen(services[i]) >= SERVICE_MAX) {
            free(s);
            return NULL;
        }
        /* The same service listed twice is kept once. */
        bool seen = false;
        for (size_t j = 0; j < s->n && !seen; j++)
            seen = strcmp(s->keys[j].service, services[i]) == 0;
        if (seen)
            continue;
        strcpy(s->keys[s->n].service, services[i]);
        vx_envelope_service_key(master, services[i], s->keys[s->n].key);
        s->n++;
    }
    return s;
}

int vx_envelope_signer_sign(const vx_envelope_signer *s, const char *subject, const void *payload, size_t len,
                            char out[VX_ENVELOPE_SIG_SIZE])
{
    char service[SERVICE_MAX];
    if (vx_envelope_subject_service(subject, service, sizeof(service)) != 0)
        return -1;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->keys[i].service, service) == 0) {
            vx_envelope_sign(s->keys[i].key, subject, payload, len, out);
            return 0;
        }
    return -1;
}

void vx_envelope_signer_destroy(vx_envelope_signer *s)
{
    if (s == NULL)
        return;
    OPENSSL_cleanse(s->keys, s->n * sizeof(s->keys[0]));
    free(s);
}

vx_envelope_signer *vx_envelope_signer_for_routes(const uint8_t master[VX_ENVELOPE_KEY_LEN])
{
    size_t nroutes = 0;
    const vx_route *routes = vx_routes_table(&nroutes);
    char names[64][SERVICE_MAX];
    const char *services[64];
    size_t n = 0;
    for (size_t i = 0; i < nroutes && n < 64; i++)
        if (vx_envelope_subject_service(routes[i].subject, names[n], SERVICE_MAX) == 0) {
            services[n] = names[n];
            n++;
        }
    return vx_envelope_signer_create(master, services, n);
}
