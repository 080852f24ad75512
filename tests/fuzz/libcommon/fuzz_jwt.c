/*
 * libFuzzer harness for vx_jwt_verify: arbitrary bytes as a token (not
 * NUL-terminated, so reads past len are caught by ASan). A token that
 * verifies under the fixed policy must carry a UUID org and a future exp no
 * further than the longest lifetime from now plus the leeway — the harness
 * aborts otherwise, so a logic slip is a crash too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vx_jwt.h"
#include "vx_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Copy into an exact-size heap block so any overread is reported. */
    char *token = malloc(size ? size : 1);
    if (!token)
        return 0;
    if (size)
        memcpy(token, data, size);
    vx_jwt_claims c;
    const int64_t now = 1722000000;
    const vx_jwt_policy policy = {"fuzz-secret", VX_JWT_DEFAULT_AUDIENCE, NULL, 3600, 60};
    vx_jwt_status st = vx_jwt_verify(token, size, &policy, now, &c);
    if (st == VX_JWT_OK && (!vx_is_uuid(c.org_id, strlen(c.org_id)) || c.exp <= now || c.exp > now + 3600 + 60))
        abort();
    (void)vx_jwt_status_str(st);
    free(token);
    return 0;
}
