/*
 * libFuzzer harness for the envelope signature's parsers (vx_envelope): the
 * input is split into a subject, a signature header value and a payload.
 * Nothing may crash; a signature the fuzzer made up must never verify (it
 * would be a forgery), and the real signature of whatever it sent must.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vx_envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* subject \0 signature \0 payload */
    const uint8_t *end = data + size;
    const uint8_t *z1 = memchr(data, '\0', size);
    if (z1 == NULL)
        return 0;
    const uint8_t *z2 = memchr(z1 + 1, '\0', (size_t)(end - z1 - 1));
    if (z2 == NULL)
        return 0;
    const char *subject = (const char *)data;
    const char *signature = (const char *)z1 + 1;
    const uint8_t *payload = z2 + 1;
    size_t len = (size_t)(end - payload);

    static const uint8_t master[VX_ENVELOPE_KEY_LEN] = {7, 7, 7};
    uint8_t key[VX_ENVELOPE_KEY_LEN], mac[32];
    char service[32];
    if (vx_envelope_subject_service(subject, service, sizeof(service)) == 0) {
        if (strlen(service) == 0 || strchr(service, '.') != NULL)
            abort();
    }
    vx_envelope_service_key(master, "tools", key);
    char real[VX_ENVELOPE_SIG_SIZE];
    vx_envelope_sign(key, subject, payload, len, real);
    if (!vx_envelope_verify(key, subject, payload, len, real, mac))
        abort();
    /* The fuzzer's own signature verifies only if it is, byte for byte, the
     * real one (up to the hex digits' case): 2^-256 otherwise. */
    if (vx_envelope_verify(key, subject, payload, len, signature, mac) && strcasecmp(signature, real) != 0)
        abort();
    uint8_t parsed[VX_ENVELOPE_KEY_LEN];
    vx_envelope_key_parse(signature, parsed);
    return 0;
}
