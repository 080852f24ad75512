/*
 * libFuzzer harness for the vault's OAuth state check
 * (services/credential-vault/oauth_state.c): the callback's `state` comes
 * from any browser, so the check must never crash, over-read or accept what
 * the vault did not make.
 *
 * The input, as an exact-size NUL-terminated heap string, is checked
 * against a fixed keyring at a fixed time. Checked too: whatever is
 * accepted names a UUID and an expiry within the state's lifetime; a state
 * the vault makes for a UUID the input names is accepted and names it back,
 * and the same state with any byte of the input spliced in at its end is not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oauth_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1767225600

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static keyring k;
    static int ready;
    if (!ready) {
        const char *why;
        if (keyring_parse("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                          "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100", &k, &why) != 0)
            abort();
        ready = 1;
    }
    char *input = malloc(size + 1);
    if (input == NULL)
        return 0;
    memcpy(input, data, size);
    input[size] = '\0';
    char org[VX_UUID_STR_LEN + 1];
    int64_t expires = 0;
    uint8_t mac[VX_SHA256_LEN];
    oauth_state_status st = oauth_state_check(&k, input, NOW, org, &expires, mac);
    if (st == OAUTH_STATE_OK && (!vx_is_uuid(org, strlen(org)) || expires < NOW || expires > NOW + OAUTH_STATE_TTL_S + 60))
        abort();
    /* A real state for a UUID found in the input round-trips; altered, it does not. */
    if (size >= VX_UUID_STR_LEN && vx_is_uuid(input, VX_UUID_STR_LEN)) {
        char want[VX_UUID_STR_LEN + 1];
        memcpy(want, input, VX_UUID_STR_LEN);
        want[VX_UUID_STR_LEN] = '\0';
        char *state = oauth_state_make(&k, want, NOW);
        if (oauth_state_check(&k, state, NOW, org, &expires, mac) != OAUTH_STATE_OK || strcmp(org, want) != 0)
            abort();
        size_t n = strlen(state);
        if (size > VX_UUID_STR_LEN && n > 0) {
            char saved = state[n - 1];
            state[n - 1] = (char)data[VX_UUID_STR_LEN];
            if (state[n - 1] != saved && oauth_state_check(&k, state, NOW, org, &expires, mac) == OAUTH_STATE_OK)
                abort();
        }
        free(state);
    }
    free(input);
    return 0;
}
