/*
 * libFuzzer harness for libcommon/vx_redact.c. The first byte picks the kinds
 * mask and the caller's number, the rest is the text, copied into an
 * exact-size heap block (a read past len is an ASan report). On any input:
 * with no kind enabled the copy is the text; otherwise each marker occurs in
 * the copy exactly as many times more than in the text as the stats say it
 * was put in (so nothing outside a redacted span was lost or mangled, and no
 * marker already there was touched), out_len is the copy's length, and the
 * same holds when the copy is redacted again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vx_redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const MARKERS[] = {"[card]", "[ssn]", "[dob]", "[email]", "[phone]"};

static size_t occurrences(const char *s, size_t n, const char *marker)
{
    size_t count = 0, m = strlen(marker);
    for (const char *p = s; n >= m && (p = memmem(p, n - (size_t)(p - s), marker, m)) != NULL; p += m)
        count++;
    return count;
}

/* Redacts text and checks the copy against it; returns the copy. */
static char *check(const char *text, size_t len, unsigned kinds, const char *caller, size_t *out_len)
{
    vx_redact_stats st;
    char *out = vx_redact(text, len, kinds, caller, &st, out_len);
    if (out[*out_len] != '\0')
        abort();
    const unsigned counts[] = {st.card, st.ssn, st.dob, st.email, st.phone};
    for (int k = 0; k < 5; k++) {
        if (counts[k] != 0 && !(kinds & (1u << k)))
            abort();
        if (occurrences(out, *out_len, MARKERS[k]) != occurrences(text, len, MARKERS[k]) + counts[k])
            abort();
    }
    if (kinds == 0 && (*out_len != len || memcmp(out, text, len) != 0))
        abort();
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const callers[] = {NULL, "+14155550134", "+447700900123", ""};
    if (size == 0)
        return 0;
    unsigned kinds = data[0] & VX_REDACT_ALL;
    const char *caller = callers[(data[0] >> 5) & 3];
    size_t len = size - 1;
    char *text = malloc(len > 0 ? len : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, len);
    size_t out_len, again_len;
    char *out = check(text, len, kinds, caller, &out_len);
    char *again = check(out, out_len, kinds, caller, &again_len);
    free(again);
    free(out);
    free(text);
    return 0;
}
