/*
 * libFuzzer harness for vx_jwt_verify: arbitrary bytes as a token (not
 * NUL-terminated, so reads past len are caught by ASan). A token that
 * verifies under the fixed secret must carry a UUID org and a future exp —
 * the harness aborts otherwise, so a logic slip is a crash too.
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
    vx_jwt_status st = vx_jwt_verify(token, size, "fuzz-secret", now, &c);
    if (st == VX_JWT_OK && (!vx_is_uuid(c.org_id, strlen(c.org_id)) || c.exp <= now))
        abort();
    (void)vx_jwt_status_str(st);
    free(token);
    return 0;
}
