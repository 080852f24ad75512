/*
 * Unit tests for services/rag-search/ingest/chunker.c (chunker_split):
 * sentences kept whole (abbreviations, decimals and initials are not ends),
 * overlap between neighbours, heading paths carried, long sentences cut
 * between words, UTF-8 never split, huge inputs bounded, empty input, the
 * same output every time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/chunker.h"
#include "ingest/text.h"
#include "vx_buf.h"
#include "vx_utf8.h"

static chunker_config cfg(size_t target, size_t max, size_t overlap)
{
    chunker_config c;
    chunker_config_default(&c);
    c.target_chars = target;
    c.max_chars = max;
    c.overlap_chars = overlap;
    return c;
}

/* The body of a chunk: its text without the heading path line. */
static const char *body(const chunker_chunk *c)
{
    return c->heading_path[0] == '\0' ? c->text : c->text + strlen(c->heading_path) + 1;
}

static void assert_valid_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t l = vx_utf8_seq_len((const unsigned char *)s + i, n - i);
        assert_true(l > 0);
        i += l;
    }
}

/* Splits an exact-size copy and checks what holds for every result. */
static chunker_status split(const chunker_config *c, const char *text, size_t len, chunker_list *out)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    chunker_status st = chunker_split(c, copy, len, out);
    free(copy);
    for (size_t i = 0; i < out->count; i++) {
        const chunker_chunk *k = &out->items[i];
        assert_int_equal(k->ordinal, i);
        assert_int_equal(strlen(k->text), k->text_len);
        assert_valid_utf8(k->text, k->text_len);
        if (k->heading_path[0] != '\0') {
            assert_memory_equal(k->text, k->heading_path, strlen(k->heading_path));
            assert_int_equal(k->text[strlen(k->heading_path)], '\n');
        }
        const char *b = body(k);
        assert_true(*b != '\0');
        size_t max = c->max_chars > c->target_chars ? c->max_chars : c->target_chars;
        assert_true(text_chars(b, strlen(b)) <= (max > 0 ? max : 1));
    }
    return st;
}

static void test_empty(void **state)
{
    (void)state;
    chunker_config c;
    chunker_config_default(&c);
    chunker_list l;
    assert_int_equal(split(&c, "", 0, &l), CHUNKER_OK);
    assert_int_equal(l.count, 0);
    chunker_list_free(&l);
    assert_int_equal(split(&c, " \n\n\f  \n# Heading only\n## Another\n", 34, &l), CHUNKER_OK);
    assert_int_equal(l.count, 0);
    chunker_list_free(&l);
    chunker_list_free(NULL);
}

static void test_short_text_is_one_chunk(void **state)
{
    (void)state;
    chunker_config c;
    chunker_config_default(&c);
    chunker_list l;
    const char *t = "We are open Monday to Friday.\nParking is free.";
    assert_int_equal(split(&c, t, strlen(t), &l), CHUNKER_OK);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.items[0].heading_path, "");
    assert_string_equal(l.items[0].text, "We are open Monday to Friday. Parking is free.");
    chunker_list_free(&l);
}

static void test_headings_carried(void **state)
{
    (void)state;
    chunker_config c;
    chunker_config_default(&c);
    chunker_list l;
    const char *t = "Intro text.\n\n# Prices\n\n## Whitening\n\nWhitening costs $199.99 per session.\n\n## Cleaning\n\n"
                    "A cleaning is $89.\n\n# Hours\n\n### Late\n\nOpen late on Thursday.\n";
    assert_int_equal(split(&c, t, strlen(t), &l), CHUNKER_OK);
    assert_int_equal(l.count, 4);
    assert_string_equal(l.items[0].heading_path, "");
    assert_string_equal(l.items[0].text, "Intro text.");
    assert_string_equal(l.items[1].heading_path, "Prices > Whitening");
    assert_string_equal(l.items[1].text, "Prices > Whitening\nWhitening costs $199.99 per session.");
    assert_string_equal(l.items[2].heading_path, "Prices > Cleaning");
    assert_string_equal(l.items[3].heading_path, "Hours > Late");
    assert_string_equal(body(&l.items[3]), "Open late on Thursday.");
    chunker_list_free(&l);
}

/* Each sentence lands whole in some chunk, and every chunk is whole sentences. */
static void test_abbreviations_do_not_end_sentences(void **state)
{
    (void)state;
    const char *sentences[] = {
        "Dr. Smith sees patients on Tuesday.",
        "Bring your card, e.g. the blue one from Mr. Jones.",
        "We open at 9 a.m. Monday and close at 5 p.m. on Friday.",
        "A check-up is $49.99 for new patients.",
        "Our founder J. R. Miller trained in St. Louis.",
        "Is it covered? Ask us!",
        "The fee is 3.5 percent (approx. 12 dollars).",
        "She said \"Come back soon.\" Then she left.",
    };
    size_t n = sizeof sentences / sizeof sentences[0];
    vx_buf t = VX_BUF_INIT;
    for (size_t i = 0; i < n; i++)
        vx_buf_printf(&t, "%s ", sentences[i]);
    /* A target so small that every chunk is one sentence, no overlap. */
    chunker_config c = cfg(10, 200, 0);
    chunker_list l;
    assert_int_equal(split(&c, t.data, t.len, &l), CHUNKER_OK);
    /* "Is it covered? Ask us!" and the quote are two sentences each. */
    assert_int_equal(l.count, n + 2);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(l.items[i].text, sentences[i]);
    assert_string_equal(l.items[5].text, "Is it covered?");
    assert_string_equal(l.items[6].text, "Ask us!");
    assert_string_equal(l.items[7].text, sentences[6]);
    assert_string_equal(l.items[8].text, "She said \"Come back soon.\"");
    assert_string_equal(l.items[9].text, "Then she left.");
    chunker_list_free(&l);
    vx_buf_free(&t);
}

static void test_sentences_whole_and_overlap(void **state)
{
    (void)state;
    vx_buf t = VX_BUF_INIT;
    for (int i = 0; i < 60; i++)
        vx_buf_printf(&t, "Sentence number %02d is right here.%s", i, i % 7 == 6 ? "\n\n" : (i % 3 == 2 ? "\n" : " "));
    chunker_config c = cfg(200, 300, 70);
    chunker_list l;
    assert_int_equal(split(&c, t.data, t.len, &l), CHUNKER_OK);
    assert_true(l.count > 5);
    int seen[60] = {0};
    for (size_t i = 0; i < l.count; i++) {
        const char *b = l.items[i].text;
        size_t bl = strlen(b);
        /* Whole sentences only, none cut. */
        assert_true(strncmp(b, "Sentence number ", 16) == 0);
        assert_true(bl > 14 && strcmp(b + bl - 14, "is right here.") == 0);
        for (const char *p = b; (p = strstr(p, "Sentence number ")) != NULL; p += 16)
            seen[atoi(p + 16)]++;
        assert_true(text_chars(b, bl) <= 300);
        if (i > 0) {
            /* The overlap: this chunk starts with the previous one's last
             * whole sentences (two of these fit in 70 characters). */
            const char *prev = l.items[i - 1].text;
            const char *last = strrchr(prev, 'S');
            assert_non_null(last);
            const char *at = strstr(b, last);
            assert_non_null(at);
            assert_true(at > b && at + strlen(last) - b <= 70);
            size_t ov = (size_t)(at + strlen(last) - b);
            assert_memory_equal(prev + strlen(prev) - ov, b, ov);
        }
    }
    for (int i = 0; i < 60; i++)
        assert_true(seen[i] >= 1);
    chunker_list_free(&l);
    vx_buf_free(&t);
}

static void test_long_sentence_cut_between_words(void **state)
{
    (void)state;
    static const char *words[] = {"alpha", "beta", "gamma", "delta", "epsilon"};
    vx_buf t = VX_BUF_INIT;
    for (int i = 0; i < 700; i++)
        vx_buf_printf(&t, "%s%s", i ? " " : "", words[i % 5]);
    vx_buf_putc(&t, '.');
    chunker_config c = cfg(100, 150, 30);
    chunker_list l;
    assert_int_equal(split(&c, t.data, t.len, &l), CHUNKER_OK);
    assert_true(l.count >= 30);
    for (size_t i = 0; i < l.count; i++) {
        char *copy = strdup(l.items[i].text);
        for (char *save = NULL, *w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
            bool known = strcmp(w, "epsilon.") == 0;
            for (size_t k = 0; k < 5; k++)
                known = known || strcmp(w, words[k]) == 0;
            assert_true(known);
        }
        free(copy);
    }
    chunker_list_free(&l);
    vx_buf_free(&t);
}

static void test_utf8_never_split(void **state)
{
    (void)state;
    /* No space anywhere: cut between characters of 2, 3 and 4 bytes. */
    vx_buf t = VX_BUF_INIT;
    for (int i = 0; i < 3000; i++)
        vx_buf_puts(&t, i % 3 == 0 ? "\xc3\xa9" : (i % 3 == 1 ? "\xe2\x82\xac" : "\xf0\x9f\x98\x80"));
    chunker_config c = cfg(50, 64, 10);
    chunker_list l;
    assert_int_equal(split(&c, t.data, t.len, &l), CHUNKER_OK);
    size_t total = 0;
    for (size_t i = 0; i < l.count; i++) {
        assert_true(text_chars(l.items[i].text, l.items[i].text_len) <= 64);
        total += text_chars(l.items[i].text, l.items[i].text_len);
    }
    assert_int_equal(total, 3000); /* nothing lost, nothing doubled (no sentence to overlap) */
    chunker_list_free(&l);
    vx_buf_free(&t);

    /* Invalid bytes in, valid UTF-8 out. */
    static const char bad[] = "Caf\xc3 is \xff\xfe open.\x00 Fees \xe2\x82 apply.";
    assert_int_equal(split(&c, bad, sizeof bad - 1, &l), CHUNKER_OK);
    assert_true(l.count >= 1);
    chunker_list_free(&l);
}

static void test_huge_input_bounded(void **state)
{
    (void)state;
    size_t n = 4u << 20;
    char *t = malloc(n);
    assert_non_null(t);
    for (size_t i = 0; i < n; i++)
        t[i] = i % 9 == 8 ? ' ' : (char)('a' + i % 26);
    chunker_config c;
    chunker_config_default(&c);
    chunker_list l;
    assert_int_equal(split(&c, t, n, &l), CHUNKER_OK);
    assert_true(l.count >= n / c.max_chars && l.count <= n / (c.target_chars / 2));
    chunker_list_free(&l);
    /* Past max_chunks: refused, nothing returned. */
    c.max_chunks = 100;
    assert_int_equal(split(&c, t, n, &l), CHUNKER_TOO_MANY);
    assert_int_equal(l.count, 0);
    assert_null(l.items);
    chunker_list_free(&l);
    /* One line, no space at all. */
    memset(t, 'x', n);
    c.max_chunks = 100000;
    assert_int_equal(split(&c, t, n, &l), CHUNKER_OK);
    assert_int_equal(l.count, (n + c.max_chars - 1) / c.max_chars);
    chunker_list_free(&l);
    free(t);
}

static void test_lines_lists_and_pages(void **state)
{
    (void)state;
    chunker_config c;
    chunker_config_default(&c);
    chunker_list l;
    const char *t = "We offer:\n- whitening\n- cleaning and\n  polishing\n1. first\n\nThe treat-\nment takes an hour."
                    "\fPage two starts here.";
    assert_int_equal(split(&c, t, strlen(t), &l), CHUNKER_OK);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.items[0].text,
                        "We offer:\n- whitening\n- cleaning and polishing\n1. first\nThe treatment takes an hour.\n"
                        "Page two starts here.");
    chunker_list_free(&l);
}

static void test_deterministic(void **state)
{
    (void)state;
    vx_buf t = VX_BUF_INIT;
    for (int i = 0; i < 200; i++)
        vx_buf_printf(&t, "%sLine %d says Dr. No paid $%d.%02d today. ", i % 40 == 0 ? "\n## Part\n" : "", i, i, i);
    chunker_config c;
    chunker_config_default(&c);
    chunker_list a, b;
    assert_int_equal(split(&c, t.data, t.len, &a), CHUNKER_OK);
    assert_int_equal(split(&c, t.data, t.len, &b), CHUNKER_OK);
    assert_int_equal(a.count, b.count);
    for (size_t i = 0; i < a.count; i++) {
        assert_string_equal(a.items[i].text, b.items[i].text);
        assert_string_equal(a.items[i].heading_path, b.items[i].heading_path);
    }
    chunker_list_free(&a);
    chunker_list_free(&b);
    vx_buf_free(&t);
}

static void test_config_mended(void **state)
{
    (void)state;
    chunker_config c = cfg(0, 0, 1000);
    chunker_list l;
    /* Target 0 is 1, the maximum follows it, the overlap is at most half. */
    assert_int_equal(split(&c, "Two words.", 10, &l), CHUNKER_OK);
    assert_int_equal(l.count, 9);
    assert_string_equal(l.items[8].text, ".");
    chunker_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_short_text_is_one_chunk),
        cmocka_unit_test(test_headings_carried),
        cmocka_unit_test(test_abbreviations_do_not_end_sentences),
        cmocka_unit_test(test_sentences_whole_and_overlap),
        cmocka_unit_test(test_long_sentence_cut_between_words),
        cmocka_unit_test(test_utf8_never_split),
        cmocka_unit_test(test_huge_input_bounded),
        cmocka_unit_test(test_lines_lists_and_pages),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_config_mended),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
