/*
 * Unit tests for libcommon/vx_redact.c. The corpus in tests/fixtures/redaction/
 * (read relative to the repository root; its README.md describes the format)
 * holds realistic receptionist calls: every case's output is checked exactly,
 * with the counts vx_redact reports, and the per-kind true and false positives,
 * false negatives, recall and precision over the corpus are printed. Then the
 * edges: the Luhn check, the caller's own number in every format, the empty
 * input, input without a NUL, a megabyte of ordinary and of pathological text,
 * markers left alone, and the kinds mask.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vx_buf.h"
#include "vx_redact.h"

#define CORPUS_DIR "tests/fixtures/redaction"
#define NKINDS     5

static const char *const KIND_NAMES[NKINDS] = {"card", "ssn", "dob", "email", "phone"};

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s (run the tests from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static unsigned stat_of(const vx_redact_stats *st, int kind)
{
    const unsigned v[NKINDS] = {st->card, st->ssn, st->dob, st->email, st->phone};
    return v[kind];
}

static int kind_of(const char *name, size_t len)
{
    for (int k = 0; k < NKINDS; k++)
        if (strlen(KIND_NAMES[k]) == len && memcmp(KIND_NAMES[k], name, len) == 0)
            return k;
    fail_msg("unknown kind '%.*s' in the corpus", (int)len, name);
    return -1;
}

/* ---- the corpus ---- */

typedef struct tally {
    unsigned tp[NKINDS], fp[NKINDS], fn[NKINDS];
    unsigned caller_kept, negatives, cases, failed;
} tally;

/* One case of the corpus, built from its annotated body. */
typedef struct corpus_case {
    char name[128];
    char caller[32];
    unsigned kinds;
    vx_buf input, expected;
    unsigned tp[NKINDS], fp[NKINDS], fn[NKINDS];
    unsigned callers, negatives;
} corpus_case;

/* Reads one annotation "{{...}}" (body points past the "{{"), adding it to c. Returns its length with the braces. */
static size_t annotation(corpus_case *c, const char *body)
{
    const char *close = strstr(body, "}}");
    if (close == NULL)
        fail_msg("case %s: an annotation is not closed", c->name);
    const char *colon = memchr(body, ':', (size_t)(close - body));
    if (colon == NULL)
        fail_msg("case %s: annotation without a kind", c->name);
    const char *tag = body, *text = colon + 1;
    size_t tag_len = (size_t)(colon - body);
    enum { TP, MISS, FP, CALLER, NEG } role = TP;
    if (tag_len == 4 && memcmp(tag, "miss", 4) == 0)
        role = MISS;
    else if (tag_len == 2 && memcmp(tag, "fp", 2) == 0)
        role = FP;
    else if (tag_len == 6 && memcmp(tag, "caller", 6) == 0)
        role = CALLER;
    else if (tag_len == 3 && memcmp(tag, "neg", 3) == 0)
        role = NEG;
    int kind = -1;
    if (role == MISS || role == FP) {
        const char *c2 = memchr(text, ':', (size_t)(close - text));
        if (c2 == NULL)
            fail_msg("case %s: %.*s needs a kind", c->name, (int)tag_len, tag);
        kind = kind_of(text, (size_t)(c2 - text));
        text = c2 + 1;
    } else if (role == TP) {
        kind = kind_of(tag, tag_len);
    }
    size_t text_len = (size_t)(close - text);
    vx_buf_append(&c->input, text, text_len);
    bool enabled = kind >= 0 && (c->kinds & (1u << kind)) != 0;
    if (role == CALLER && (c->kinds & VX_REDACT_PHONE) != 0)
        c->callers++;
    if (role == NEG)
        c->negatives++;
    if (enabled && (role == TP || role == FP)) {
        vx_buf_printf(&c->expected, "[%s]", KIND_NAMES[kind]);
        (role == TP ? c->tp : c->fp)[kind]++;
    } else {
        vx_buf_append(&c->expected, text, text_len);
        if (enabled && role == MISS)
            c->fn[kind]++;
    }
    return (size_t)(close + 2 - (body - 2));
}

/* Parses the header lines and the body of a case (the text after its "=== name" line, up to end). */
static void build_case(corpus_case *c, const char *p, const char *end)
{
    c->kinds = VX_REDACT_ALL;
    for (;;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t line = (size_t)((eol != NULL ? eol : end) - p);
        if (line > 8 && memcmp(p, "caller: ", 8) == 0) {
            snprintf(c->caller, sizeof c->caller, "%.*s", (int)(line - 8), p + 8);
        } else if (line > 7 && memcmp(p, "kinds: ", 7) == 0) {
            c->kinds = 0;
            for (const char *w = p + 7; w < p + line;) {
                size_t wl = strcspn(w, " \n");
                if (wl > (size_t)(p + line - w))
                    wl = (size_t)(p + line - w);
                if (wl > 0)
                    c->kinds |= 1u << kind_of(w, wl);
                w += wl + 1;
            }
        } else {
            break;
        }
        p = eol != NULL ? eol + 1 : end;
    }
    while (end > p && end[-1] == '\n')
        end--;
    vx_buf_append(&c->input, "", 0);
    vx_buf_append(&c->expected, "", 0);
    while (p < end) {
        if (end - p >= 2 && p[0] == '{' && p[1] == '{') {
            p += annotation(c, p + 2);
        } else {
            vx_buf_putc(&c->input, *p);
            vx_buf_putc(&c->expected, *p);
            p++;
        }
    }
}

/* Runs one case and adds it to the tally; prints the difference when it fails. */
static void run_case(corpus_case *c, tally *t)
{
    vx_redact_stats st;
    size_t out_len;
    char *out = vx_redact(c->input.data, c->input.len, c->kinds, c->caller[0] != '\0' ? c->caller : NULL, &st, &out_len);
    bool ok = out_len == c->expected.len && memcmp(out, c->expected.data, out_len) == 0;
    for (int k = 0; k < NKINDS; k++)
        if (stat_of(&st, k) != c->tp[k] + c->fp[k]) {
            printf("case %s: %s counted %u, expected %u\n", c->name, KIND_NAMES[k], stat_of(&st, k), c->tp[k] + c->fp[k]);
            ok = false;
        }
    if (st.caller_kept != c->callers) {
        printf("case %s: caller_kept %u, expected %u\n", c->name, st.caller_kept, c->callers);
        ok = false;
    }
    if (!ok) {
        printf("case %s FAILED\n--- expected\n%s\n--- got\n%s\n---\n", c->name, c->expected.data, out);
        t->failed++;
    }
    for (int k = 0; k < NKINDS; k++) {
        t->tp[k] += c->tp[k];
        t->fp[k] += c->fp[k];
        t->fn[k] += c->fn[k];
    }
    t->caller_kept += c->callers;
    t->negatives += c->negatives;
    t->cases++;
    free(out);
}

static void run_file(const char *path, tally *t)
{
    size_t len;
    char *text = read_file(path, &len);
    const char *end = text + len;
    const char *p = strstr(text, "=== ");
    while (p != NULL) {
        const char *name_end = strchr(p, '\n');
        if (name_end == NULL)
            break;
        const char *next = strstr(name_end, "\n=== ");
        const char *body_end = next != NULL ? next + 1 : end;
        corpus_case c;
        memset(&c, 0, sizeof c);
        c.input = (vx_buf)VX_BUF_INIT;
        c.expected = (vx_buf)VX_BUF_INIT;
        snprintf(c.name, sizeof c.name, "%.*s", (int)(name_end - p - 4), p + 4);
        build_case(&c, name_end + 1, body_end);
        run_case(&c, t);
        vx_buf_free(&c.input);
        vx_buf_free(&c.expected);
        p = next != NULL ? next + 1 : NULL;
    }
    free(text);
}

static int is_txt(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 4 && strcmp(e->d_name + n - 4, ".txt") == 0;
}

static void test_corpus(void **state)
{
    struct dirent **files;
    int nfiles = scandir(CORPUS_DIR, &files, is_txt, alphasort);
    if (nfiles <= 0)
        fail_msg("no corpus in %s (run the tests from the repository root)", CORPUS_DIR);
    tally t;
    memset(&t, 0, sizeof t);
    for (int f = 0; f < nfiles; f++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, files[f]->d_name);
        run_file(path, &t);
        free(files[f]);
    }
    free(files);
    printf("redaction corpus: %u cases, %u hard negatives, %u mentions of the caller's own number kept\n", t.cases, t.negatives,
           t.caller_kept);
    printf("%-6s %4s %4s %4s %8s %10s\n", "kind", "TP", "FP", "FN", "recall", "precision");
    unsigned all_tp = 0, all_fp = 0, all_fn = 0;
    for (int k = 0; k < NKINDS; k++) {
        unsigned tp = t.tp[k], fp = t.fp[k], fn = t.fn[k];
        printf("%-6s %4u %4u %4u %7.1f%% %9.1f%%\n", KIND_NAMES[k], tp, fp, fn, tp + fn ? 100.0 * tp / (tp + fn) : 100.0,
               tp + fp ? 100.0 * tp / (tp + fp) : 100.0);
        all_tp += tp, all_fp += fp, all_fn += fn;
    }
    printf("%-6s %4u %4u %4u %7.1f%% %9.1f%%\n", "all", all_tp, all_fp, all_fn, 100.0 * all_tp / (all_tp + all_fn),
           100.0 * all_tp / (all_tp + all_fp));
    if (t.failed != 0)
        printf("%u cases FAILED: the figures above are the corpus's annotations, not what vx_redact did\n", t.failed);
    assert_true(t.cases >= 40);
    assert_int_equal(t.failed, 0);
}

/* ---- focused tests ---- */

/* vx_redact on a C string with every kind; the caller frees. */
static char *redact(const char *text, unsigned kinds, const char *caller, vx_redact_stats *st)
{
    return vx_redact(text, strlen(text), kinds, caller, st, NULL);
}

static void expect_redacted(const char *text, const char *caller, const char *expected)
{
    char *out = redact(text, VX_REDACT_ALL, caller, NULL);
    assert_string_equal(out, expected);
    free(out);
}

static void test_luhn(void **state)
{
    assert_true(vx_redact_luhn_ok("4111111111111111", 16));
    assert_true(vx_redact_luhn_ok("4111 1111 1111 1111", 19));
    assert_true(vx_redact_luhn_ok("3782-822463-10005", 17));
    assert_true(vx_redact_luhn_ok("0", 1));
    assert_true(vx_redact_luhn_ok("79927398713", 11));
    assert_false(vx_redact_luhn_ok("4111111111111112", 16));
    assert_false(vx_redact_luhn_ok("79927398710", 11));
    assert_false(vx_redact_luhn_ok("", 0));
    assert_false(vx_redact_luhn_ok("--", 2));
    /* Only the first n bytes count. */
    assert_true(vx_redact_luhn_ok("41111111111111119", 16));
}

static void test_caller_number_kept_in_every_format(void **state)
{
    static const char *const formats[] = {"(415) 555-0134",    "(415)555-0134",   "415-555-0134",   "415.555.0134",
                                          "415 555 0134",      "4155550134",      "1-415-555-0134", "1 415 555 0134",
                                          "+1 415 555 0134",   "+1-415-555-0134", "+14155550134",   "14155550134",
                                          "+1 (415) 555-0134", "415 5550134"};
    static const char *const callers[] = {"+14155550134", "14155550134", "4155550134", "+1 (415) 555-0134"};
    for (size_t c = 0; c < sizeof callers / sizeof callers[0]; c++)
        for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
            char text[128];
            snprintf(text, sizeof text, "call me at %s, thanks", formats[f]);
            vx_redact_stats st;
            char *out = redact(text, VX_REDACT_ALL, callers[c], &st);
            assert_string_equal(out, text);
            assert_int_equal(st.caller_kept, 1);
            assert_int_equal(st.phone, 0);
            free(out);
            /* Anyone else's number, and any number when the caller is unknown, goes. */
            out = redact(text, VX_REDACT_ALL, "+16505550187", &st);
            assert_string_equal(out, "call me at [phone], thanks");
            free(out);
            out = redact(text, VX_REDACT_ALL, NULL, &st);
            assert_string_equal(out, "call me at [phone], thanks");
            free(out);
            out = redact(text, VX_REDACT_ALL, "", &st);
            assert_string_equal(out, "call me at [phone], thanks");
            free(out);
        }
    /* A number outside NANP, and a caller id that is no number at all. */
    expect_redacted("mine is +44 7700 900123", "+447700900123", "mine is +44 7700 900123");
    expect_redacted("mine is +44 7700 900123", "anonymous", "mine is [phone]");
    expect_redacted("mine is 415-555-0134", "+1415555013412345678", "mine is [phone]");
}

static void test_empty_and_null(void **state)
{
    vx_redact_stats st = {.card = 9};
    size_t len = 7;
    char *out = vx_redact("", 0, VX_REDACT_ALL, NULL, &st, &len);
    assert_string_equal(out, "");
    assert_int_equal(len, 0);
    assert_int_equal(st.card, 0);
    free(out);
    out = vx_redact(NULL, 0, VX_REDACT_ALL, "+14155550134", NULL, NULL);
    assert_string_equal(out, "");
    free(out);
}

/* Input in an exact-size heap block without a NUL, cut in the middle of every
 * kind of span: under ASan a read past the end is a report. */
static void test_no_nul_and_cut_spans(void **state)
{
    static const char *const texts[] = {
        "card 4111 1111 1111 1111",
        "card 4111 1111 1111 11",
        "ssn 123-45-6789",
        "ssn 123-45-67",
        "call 415-555-0134",
        "call 415-555-01",
        "call (415",
        "call +",
        "call +1 (",
        "jane.doe@example.com",
        "jane.doe@exam",
        "jane@",
        "jane dot doe at gmail dot",
        "email me at jane at",
        "born March 3rd, 1985",
        "born March 3rd, 19",
        "born March",
        "born 3rd of",
        "D.O",
        "D.O.B",
        "dob 03/14/1985",
        "dob 03/14/",
        "[dob",
        "[",
        "4",
        "+",
        "(",
        "a",
        "@",
    };
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        size_t n = strlen(texts[k]);
        char *exact = malloc(n);
        assert_non_null(exact);
        memcpy(exact, texts[k], n);
        size_t out_len;
        char *out = vx_redact(exact, n, VX_REDACT_ALL, NULL, NULL, &out_len);
        assert_int_equal(strlen(out), out_len);
        free(out);
        free(exact);
    }
    /* Bytes after len are not looked at: a card cut by len is not a card. */
    const char *longer = "card 4111 1111 1111 1111";
    char *out = vx_redact(longer, strlen(longer) - 1, VX_REDACT_ALL, NULL, NULL, NULL);
    assert_string_equal(out, "card 4111 1111 1111 111");
    free(out);
    /* A NUL inside the text is kept, and counted in out_len. */
    size_t out_len;
    out = vx_redact("a\0b 4111111111111111", 20, VX_REDACT_ALL, NULL, NULL, &out_len);
    assert_int_equal(out_len, 10);
    assert_memory_equal(out, "a\0b [card]", 10);
    free(out);
}

static void test_megabyte(void **state)
{
    const char *para = "AI: What's your date of birth?\nUser: March 3rd, 1985. Card 4111 1111 1111 1111, social "
                       "123-45-6789, jane.doe@example.com, my wife is at (650) 555-0187 and I'm at 415-555-0134. "
                       "Can I come March 5th at 10:30? It's $1,250.\n";
    vx_buf big = VX_BUF_INIT;
    unsigned reps = 0;
    while (big.len < (1u << 20)) {
        vx_buf_puts(&big, para);
        reps++;
    }
    vx_redact_stats st;
    size_t out_len;
    char *out = vx_redact(big.data, big.len, VX_REDACT_ALL, "+14155550134", &st, &out_len);
    assert_int_equal(st.card, reps);
    assert_int_equal(st.ssn, reps);
    assert_int_equal(st.dob, reps);
    assert_int_equal(st.email, reps);
    assert_int_equal(st.phone, reps);
    assert_int_equal(st.caller_kept, reps);
    assert_null(strstr(out, "4111"));
    free(out);
    vx_buf_free(&big);

    /* Pathological megabytes: each must simply finish (and not overrun). */
    static const char *const units[] = {"1",     "1 ",  "1-",    "4111 ", "a.",     "a",        "@",
                                        "a@",    "[",   "[dob",  "dot ",  "at ",    "march ",   "3rd ",
                                        "born ", "+1 ", "(415)", "a at ", "x dot ", "\xc3\xa9", "\xff"};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        vx_buf b = VX_BUF_INIT;
        while (b.len < (1u << 20))
            vx_buf_puts(&b, units[u]);
        out = vx_redact(b.data, b.len, VX_REDACT_ALL, "+14155550134", NULL, &out_len);
        assert_true(out_len > 0);
        free(out);
        vx_buf_free(&b);
    }
}

static void test_markers_not_redacted_again(void **state)
{
    const char *text = "DOB 03/14/1985, card 4111-1111-1111-1111, ssn 123-45-6789, jane@example.com, "
                       "jane dot doe at gmail dot com, 650-555-0187. Appointment on March 5th.";
    vx_redact_stats st;
    char *once = redact(text, VX_REDACT_ALL, NULL, &st);
    assert_string_equal(once, "DOB [dob], card [card], ssn [ssn], [email], [email], [phone]. Appointment on March 5th.");
    char *twice = redact(once, VX_REDACT_ALL, NULL, &st);
    assert_string_equal(twice, once);
    assert_int_equal(st.card + st.ssn + st.dob + st.email + st.phone, 0);
    free(once);
    free(twice);
    /* A marker in the text serves the birth cue before it: the appointment stays. */
    expect_redacted("my dob is [dob] and I'd like March 5th", NULL, "my dob is [dob] and I'd like March 5th");
}

static void test_kinds_mask(void **state)
{
    const char *text = "card 4111 1111 1111 1111 ssn 123-45-6789 born 03/14/1985 mail jane@example.com call 650-555-0187";
    static const char *const alone[NKINDS] = {
        "card [card] ssn 123-45-6789 born 03/14/1985 mail jane@example.com call 650-555-0187",
        "card 4111 1111 1111 1111 ssn [ssn] born 03/14/1985 mail jane@example.com call 650-555-0187",
        "card 4111 1111 1111 1111 ssn 123-45-6789 born [dob] mail jane@example.com call 650-555-0187",
        "card 4111 1111 1111 1111 ssn 123-45-6789 born 03/14/1985 mail [email] call 650-555-0187",
        "card 4111 1111 1111 1111 ssn 123-45-6789 born 03/14/1985 mail jane@example.com call [phone]",
    };
    for (int k = 0; k < NKINDS; k++) {
        vx_redact_stats st;
        char *out = redact(text, 1u << k, NULL, &st);
        assert_string_equal(out, alone[k]);
        for (int j = 0; j < NKINDS; j++)
            assert_int_equal(stat_of(&st, j), j == k ? 1 : 0);
        free(out);
    }
    char *out = redact(text, 0, NULL, NULL);
    assert_string_equal(out, text);
    free(out);
    out = redact(text, VX_REDACT_ALL, NULL, NULL);
    assert_string_equal(out, "card [card] ssn [ssn] born [dob] mail [email] call [phone]");
    free(out);
    /* A card's digits are never a phone number, even with cards disabled. */
    out = redact("4111 1111 1111 1111 and 5555555555554444", VX_REDACT_PHONE | VX_REDACT_SSN, NULL, NULL);
    assert_string_equal(out, "4111 1111 1111 1111 and 5555555555554444");
    free(out);
}

static void test_boundaries(void **state)
{
    /* Glued to letters, inside longer runs, or invalid: kept. */
    expect_redacted("id A4111111111111111 x", NULL, "id A4111111111111111 x");
    expect_redacted("ref 41111111111111111111", NULL, "ref 41111111111111111111");
    expect_redacted("ssn 000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000", NULL,
                    "ssn 000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000");
    expect_redacted("nine digits 123456789", NULL, "nine digits 123456789");
    expect_redacted("my social security number is 123456789", NULL, "my social security number is [ssn]");
    expect_redacted("area 015-555-0134 exchange 415-155-0134", NULL, "area 015-555-0134 exchange 415-155-0134");
    expect_redacted("at 10:30, $1,250.00, zip 94110, room 204, 1985", NULL, "at 10:30, $1,250.00, zip 94110, room 204, 1985");
    /* An address's trailing full stop stays outside it. */
    expect_redacted("write to jane@example.com.", NULL, "write to [email].");
    expect_redacted("written jane@localhost or a@b.c", NULL, "written jane@localhost or a@b.c");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_luhn),
        cmocka_unit_test(test_caller_number_kept_in_every_format),
        cmocka_unit_test(test_empty_and_null),
        cmocka_unit_test(test_no_nul_and_cut_spans),
        cmocka_unit_test(test_megabyte),
        cmocka_unit_test(test_markers_not_redacted_again),
        cmocka_unit_test(test_kinds_mask),
        cmocka_unit_test(test_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
