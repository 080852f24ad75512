/*
 * services/rag-search/index/analyzer.c: the terms BM25 sees.
 *
 * Proves: a word and its inflections meet (cleaning, cleanings; whitening,
 * whiten); case and Latin-1 accents fold (Müller, MULLER); stop words go
 * but words a question turns on stay (not, open); numbers keep their inner
 * marks ($49.99 is "49.99", 1,200 one term) and lose a final period; a
 * possessive 's goes (Smith's is smith) while o'brien joins; other scripts
 * are words; invalid UTF-8 and punctuation separate; an overlong run is
 * cut, not dropped; the count is what was emitted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "index/analyzer.h"

typedef struct terms {
    uint64_t t[64];
    size_t n;
} terms;

static void collect(uint64_t term, void *arg)
{
    terms *ts = arg;
    if (ts->n < 64)
        ts->t[ts->n++] = term;
}

static analyzer *a;

static terms of(const char *text)
{
    terms ts = {.n = 0};
    size_t n = analyzer_terms(a, text, strlen(text), collect, &ts);
    assert_int_equal(n, ts.n);
    return ts;
}

/* The one term text makes. */
static uint64_t one(const char *text)
{
    terms ts = of(text);
    assert_int_equal(ts.n, 1);
    return ts.t[0];
}

static void test_inflections_meet(void **state)
{
    assert_true(one("cleaning") == one("cleanings"));
    assert_true(one("whitening") == one("whiten"));
    assert_true(one("appointments") == one("appointment"));
    assert_true(one("cleaning") != one("whitening"));
}

static void test_case_and_accents_fold(void **state)
{
    assert_true(one("Müller") == one("muller"));
    assert_true(one("MULLER") == one("muller"));
    assert_true(one("José") == one("jose"));
}

static void test_stop_words_go_question_words_stay(void **state)
{
    assert_int_equal(of("the of and to a is").n, 0);
    terms ts = of("are you open on Sunday, or not?");
    assert_int_equal(ts.n, 3); /* open, sunday, not */
    assert_true(ts.t[0] == one("open"));
    assert_true(ts.t[2] == one("not"));
}

static void test_numbers_keep_their_marks(void **state)
{
    assert_true(one("$49.99") == one("49.99"));
    assert_true(one("49.99") != one("49"));
    assert_true(one("1,200") == one("1,200"));
    assert_true(of("costs 49.").t[1] == one("49")); /* a sentence's period is not part of it */
    terms ts = of("Call 555-0100 today");
    assert_int_equal(ts.n, 4); /* call, 555, 0100, today */
}

static void test_apostrophes(void **state)
{
    assert_true(one("Smith's") == one("smith"));
    assert_true(one("Smith\xe2\x80\x99s") == one("smith")); /* U+2019 */
    assert_true(one("O'Brien") == one("obrien"));
}

static void test_other_scripts_and_bad_bytes(void **state)
{
    assert_int_equal(of("\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 world").n, 2); /* привет world */
    assert_int_equal(of("tooth\xff\xfe"
                        "ache")
                         .n,
                     2); /* bad bytes split */
    assert_int_equal(of("emoji\xf0\x9f\x98\x80"
                        "smile")
                         .n,
                     2); /* an emoji separates */
    assert_int_equal(of("").n, 0);
    assert_int_equal(of("!!! ... ,,, ???").n, 0);
}

static void test_long_runs_are_cut(void **state)
{
    char big[300];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(of(big).n, 1);
}

static void test_hash_is_stable(void **state)
{
    assert_true(analyzer_hash("abc", 3) == analyzer_hash("abc", 3));
    assert_true(analyzer_hash("abc", 3) != analyzer_hash("abd", 3));
}

static int setup(void **state)
{
    a = analyzer_create();
    return a != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    analyzer_destroy(a);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inflections_meet),
        cmocka_unit_test(test_case_and_accents_fold),
        cmocka_unit_test(test_stop_words_go_question_words_stay),
        cmocka_unit_test(test_numbers_keep_their_marks),
        cmocka_unit_test(test_apostrophes),
        cmocka_unit_test(test_other_scripts_and_bad_bytes),
        cmocka_unit_test(test_long_runs_are_cut),
        cmocka_unit_test(test_hash_is_stable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
