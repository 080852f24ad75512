/*
 * bench_envelope: what the gateway's signature costs per request — the
 * gateway's sign and a service's verify (libcommon/vx_envelope), on
 * envelopes of the sizes the suite sends (a lookupCaller tool call, ~1 KB;
 * an end-of-call report, ~6 KB). Prints figures; never fails on them.
 * Run by tests/bench/run.sh (`make bench`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_envelope.h"
#include "vx_time.h"

static double ns_per_op(size_t payload_len, int iterations, int verify)
{
    uint8_t master[VX_ENVELOPE_KEY_LEN] = {1, 2, 3}, key[VX_ENVELOPE_KEY_LEN], mac[32];
    vx_envelope_service_key(master, "tools", key);
    char *payload = malloc(payload_len);
    if (payload == NULL)
        abort();
    memset(payload, 'x', payload_len);
    char sig[VX_ENVELOPE_SIG_SIZE];
    vx_envelope_sign(key, "rpc.tools.webhook", payload, payload_len, sig);
    int ok = 0;
    int64_t start = vx_now_ms();
    for (int i = 0; i < iterations; i++) {
        if (verify) {
            ok += vx_envelope_verify(key, "rpc.tools.webhook", payload, payload_len, sig, mac);
        } else {
            payload[0] = (char)i; /* a new envelope each time */
            vx_envelope_sign(key, "rpc.tools.webhook", payload, payload_len, sig);
        }
    }
    int64_t elapsed = vx_now_ms() - start;
    free(payload);
    if (verify && ok != iterations)
        fprintf(stderr, "bench_envelope: a verify failed\n");
    return (double)elapsed * 1e6 / iterations;
}

int main(void)
{
    const size_t sizes[] = {1024, 6 * 1024};
    const int iterations = 200000;
    printf("envelope signatures (HMAC-SHA256, one core, %d each)\n", iterations);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        printf("  %5zu-byte envelope: sign %.2f us, verify %.2f us\n", sizes[i], ns_per_op(sizes[i], iterations, 0) / 1000.0,
               ns_per_op(sizes[i], iterations, 1) / 1000.0);
    return 0;
}
