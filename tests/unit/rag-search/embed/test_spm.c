/*
 * Unit tests for services/rag-search/embed/spm.c: the model's vocabulary
 * (USE_LITE_TEST_DIR, fetched by the Makefile) gives every text of the
 * reference fixture exactly the reference's token ids; ids past max_ids are
 * counted, not written; bytes that are not UTF-8, NUL and over-long texts are
 * tokenized within bounds, never splitting a sequence at the cut; a vocabulary
 * that is not [piece, score] pairs is refused with a reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed/spm.h"
#include "embed_reference.h"

static spm *load_vocab(void)
{
    char why[256] = "", path[1024];
    snprintf(path, sizeof path, "%s/vocab.json", USE_LITE_TEST_DIR);
    spm *s = spm_load(path, why, sizeof why);
    if (s == NULL)
        fail_msg("spm_load: %s", why);
    return s;
}

static size_t encode_str(const spm *s, const char *text, int32_t *ids, size_t max)
{
    return spm_encode(s, text, strlen(text), ids, max);
}

static void test_reference_ids(void **state)
{
    (void)state;
    spm *s = load_vocab();
    assert_int_equal(spm_size(s), 8000);
    size_t n;
    embed_reference_case *cases = embed_reference_load(&n);
    assert_non_null(cases);
    assert_true(n >= 60);
    int32_t ids[4096];
    size_t mismatches = 0;
    for (size_t i = 0; i < n; i++) {
        size_t count = encode_str(s, cases[i].text, ids, 4096);
        int same = count == cases[i].n_ids && memcmp(ids, cases[i].ids, count * sizeof *ids) == 0;
        if (!same) {
            mismatches++;
            print_message("ids differ for case %zu \"%.60s\": %zu tokens, reference %zu\n", i, cases[i].text, count,
                          cases[i].n_ids);
            for (size_t k = 0; k < count && k < cases[i].n_ids; k++)
                if (ids[k] != cases[i].ids[k]) {
                    print_message("  first difference at %zu: %d, reference %d\n", k, ids[k], cases[i].ids[k]);
                    break;
                }
        }
    }
    assert_int_equal(mismatches, 0);
    embed_reference_free(cases, n);
    spm_destroy(s);
}

static void test_max_ids_counts_all(void **state)
{
    (void)state;
    spm *s = load_vocab();
    int32_t all[64], few[3] = {-7, -7, -7};
    const char *text = "Do you take walk-ins today?";
    size_t count = encode_str(s, text, all, 64);
    assert_true(count > 3);
    assert_int_equal(encode_str(s, text, few, 2), count);
    assert_int_equal(few[0], all[0]);
    assert_int_equal(few[1], all[1]);
    assert_int_equal(few[2], -7); /* nothing past max_ids */
    assert_int_equal(encode_str(s, text, NULL, 0), count);
    assert_int_equal(encode_str(s, "", all, 64), 0);
    spm_destroy(s);
}

static void test_invalid_utf8_and_nul(void **state)
{
    (void)state;
    spm *s = load_vocab();
    int32_t ids[64];
    /* Each bad byte is U+FFFD, an unknown piece; a run of them is one id 0. */
    const char bad[] = {'\xff', '\xfe', '\xc0', '\x80', '\xed', '\xa0', '\x80'};
    size_t count = spm_encode(s, bad, sizeof bad, ids, 64);
    assert_int_equal(count, 2);
    assert_int_equal(ids[0], 30); /* "▁" */
    assert_int_equal(ids[1], SPM_UNK_ID);
    /* A truncated sequence at the very end is read within its bytes. */
    char *tail = malloc(3);
    memcpy(tail, "a\xe2\x82", 3);
    count = spm_encode(s, tail, 3, ids, 64);
    assert_true(count >= 2);
    assert_int_equal(ids[count - 1], SPM_UNK_ID);
    free(tail);
    /* NUL is a character (unknown), not the end. */
    count = spm_encode(s, "a\0a", 3, ids, 64);
    assert_int_equal(count, 3);
    assert_int_equal(ids[1], SPM_UNK_ID);
    spm_destroy(s);
}

static void test_long_text_is_bounded(void **state)
{
    (void)state;
    spm *s = load_vocab();
    /* 1 MiB of words: tokenized up to SPM_MAX_INPUT bytes, the first ids as for
     * a short text with the same start. */
    size_t len = 1 << 20;
    char *text = malloc(len);
    for (size_t i = 0; i < len; i++)
        text[i] = "hello clinic "[i % 13];
    int32_t head[16], ids[16];
    size_t short_count = spm_encode(s, text, 130, head, 16);
    size_t count = spm_encode(s, text, len, ids, 16);
    assert_true(count > short_count);
    assert_true(count <= SPM_MAX_SYMBOLS);
    assert_memory_equal(ids, head, 10 * sizeof *ids);
    free(text);

    /* A two-byte character across the cut is dropped whole, never half read:
     * the last token is a separator run, not an unknown piece. */
    len = SPM_MAX_INPUT + 1;
    text = malloc(len);
    memset(text, ' ', len);
    text[SPM_MAX_INPUT - 1] = '\xc3';
    text[SPM_MAX_INPUT] = '\xa9'; /* é */
    int32_t *all = malloc(SPM_MAX_SYMBOLS * sizeof *all);
    count = spm_encode(s, text, len, all, SPM_MAX_SYMBOLS);
    assert_true(count > 0 && count <= SPM_MAX_SYMBOLS);
    assert_int_not_equal(all[count - 1], SPM_UNK_ID);
    free(all);
    free(text);
    spm_destroy(s);
}

static void test_bad_vocabulary(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "not json",
        "{}",
        "[]",
        "[[\"a\",0]]",
        "[1,2,3,4,5,6,7]",
        "[[\"a\"],[\"b\"],[\"c\"],[\"d\"],[\"e\"],[\"f\"],[\"g\"]]",
        "[[\"a\",0],[\"b\",0],[\"c\",0],[\"d\",0],[\"e\",0],[\"f\",0],[\"g\",\"x\"]]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char why[128] = "";
        assert_null(spm_create(bad[i], strlen(bad[i]), why, sizeof why));
        assert_true(strlen(why) > 0);
    }
    char why[256] = "";
    assert_null(spm_load("/nonexistent/vocab.json", why, sizeof why));
    assert_non_null(strstr(why, "/nonexistent/vocab.json"));

    /* A tiny vocabulary: the longest-scoring split wins, unknowns merge. */
    const char *tiny = "[[\"\\ufffd\",0],[\"<s>\",0],[\"</s>\",0],[\"x1\",0],[\"x2\",0],[\"x3\",0],"
                       "[\"\\u2581\",-1],[\"\\u2581ab\",-1],[\"a\",-2],[\"b\",-2],[\"c\",-1]]";
    spm *s = spm_create(tiny, strlen(tiny), why, sizeof why);
    assert_non_null(s);
    int32_t ids[16];
    assert_int_equal(encode_str(s, "ab c", ids, 16), 3);
    assert_int_equal(ids[0], 7);  /* ▁ab */
    assert_int_equal(ids[1], 6);  /* ▁ */
    assert_int_equal(ids[2], 10); /* c */
    assert_int_equal(encode_str(s, "ZZZc", ids, 16), 3);
    assert_int_equal(ids[0], 6);
    assert_int_equal(ids[1], SPM_UNK_ID);
    assert_int_equal(ids[2], 10);
    spm_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_ids),        cmocka_unit_test(test_max_ids_counts_all),
        cmocka_unit_test(test_invalid_utf8_and_nul), cmocka_unit_test(test_long_text_is_bounded),
        cmocka_unit_test(test_bad_vocabulary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
