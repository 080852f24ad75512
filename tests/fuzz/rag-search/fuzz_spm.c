/*
 * libFuzzer harness for rag-search's tokenizer (embed/spm.c) on arbitrary
 * bytes: with the model's vocabulary (USE_LITE_TEST_DIR) the input is a text;
 * when its first byte is odd the rest is also tried as a vocabulary (the JSON
 * parser) and, if accepted, tokenizes the input too. Nothing may crash or read
 * out of bounds; every id is a vocabulary index and never a reserved one but
 * the unknown piece, two unknowns never follow each other, nothing is written
 * past max_ids, only the empty text has no token, and the count is bounded.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed/spm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_IDS 128

static void check(const spm *s, const uint8_t *data, size_t size)
{
    int32_t ids[MAX_IDS + 1];
    ids[MAX_IDS] = -12345; /* a canary past max_ids */
    size_t count = spm_encode(s, (const char *)data, size, ids, MAX_IDS);
    if (count > SPM_MAX_SYMBOLS || ids[MAX_IDS] != -12345)
        abort();
    if ((size == 0) != (count == 0))
        abort();
    for (size_t i = 0; i < count && i < MAX_IDS; i++) {
        if (ids[i] < 0 || (size_t)ids[i] >= spm_size(s) || (ids[i] > SPM_UNK_ID && ids[i] < SPM_RESERVED))
            abort();
        if (i > 0 && ids[i] == SPM_UNK_ID && ids[i - 1] == SPM_UNK_ID)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static spm *vocab;
    if (vocab == NULL) {
        char why[512] = "";
        vocab = spm_load(USE_LITE_TEST_DIR "/vocab.json", why, sizeof why);
        if (vocab == NULL) {
            fprintf(stderr, "fuzz_spm: %s\n", why);
            abort();
        }
    }
    check(vocab, data, size);
    if (size > 0 && (data[0] & 1)) {
        char why[128];
        spm *own = spm_create((const char *)data + 1, size - 1, why, sizeof why);
        if (own != NULL) {
            check(own, data, size);
            spm_destroy(own);
        }
    }
    return 0;
}
