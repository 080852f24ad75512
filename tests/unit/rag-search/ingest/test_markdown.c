/*
 * Unit tests for services/rag-search/ingest/markdown.c (markdown_to_text):
 * what each Markdown construct becomes, that no line but a heading starts
 * with '#', and that any bytes — invalid UTF-8, NULs, a line of a million
 * unclosed openers — give valid UTF-8 text (a read past the input is an
 * ASan report in the asan build: inputs sit in exact-size heap blocks).
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

#include "ingest/markdown.h"
#include "vx_utf8.h"

/* markdown_to_text on an exact-size copy; checks the output's shape. */
static char *md(const char *in, size_t len)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, in, len);
    size_t n = 12345;
    char *out = markdown_to_text(copy, len, &n);
    free(copy);
    assert_non_null(out);
    assert_int_equal(strlen(out), n);
    for (size_t i = 0; i < n;) {
        size_t l = vx_utf8_seq_len((const unsigned char *)out + i, n - i);
        assert_true(l > 0);
        i += l;
    }
    return out;
}

static void expect(const char *in, const char *want)
{
    char *out = md(in, strlen(in));
    if (strcmp(out, want) != 0)
        print_message("input:\n%s\n--- got:\n%s\n--- want:\n%s\n", in, out, want);
    assert_string_equal(out, want);
    free(out);
}

static void test_empty(void **state)
{
    (void)state;
    expect("", "");
    expect("\n\n   \n", "");
}

static void test_headings(void **state)
{
    (void)state;
    expect("# Prices\nText.\n## Whitening ##\nMore.\n####### seven\n#nospace",
           "# Prices\n\nText.\n\n## Whitening\n\nMore.\n ####### seven\n #nospace");
    expect("Opening hours\n=============\n\nBooking\n---\nCall us.", "# Opening hours\n\n## Booking\n\nCall us.");
    expect("### **Bold** heading ###", "### Bold heading");
}

static void test_inline(void **state)
{
    (void)state;
    expect("This is **bold**, *it*, _em_, ~~old~~, `code`, [link](http://x.example/a_b \"t\") and ![alt text](img.png).",
           "This is bold, it, em, old, code, link and alt text.");
    expect("snake_case_name and 5 * 3 and 2*3", "snake_case_name and 5 * 3 and 2*3");
    expect("``code with ` inside`` then `unclosed", "code with ` inside then `unclosed");
    expect("\\*not emphasis\\* and \\[x\\]", "*not emphasis* and [x]");
    expect("Write to <mailto:desk@clinic.example> or see <https://clinic.example/faq>.",
           "Write to desk@clinic.example or see https://clinic.example/faq.");
}

static void test_code_fences(void **state)
{
    (void)state;
    expect("Install:\n```sh\n# a comment\nmake  *all*\n```\nDone.", "Install:\n\n    # a comment\n    make  *all*\n\nDone.");
    expect("~~~\nunclosed fence\n", "    unclosed fence");
}

static void test_lists(void **state)
{
    (void)state;
    expect("- one\n* two\n  - nested **x**\n1. first\n2) second\n- [x] done\n- [ ] todo",
           "- one\n- two\n- nested x\n1. first\n2. second\n- done\n- todo");
}

static void test_tables(void **state)
{
    (void)state;
    expect("Our prices:\n\n| Service | Price |\n|---|---:|\n| Whitening | $199 |\n| Cleaning | **$89** |\n\nAsk us.",
           "Our prices:\n\n- Service: Whitening; Price: $199\n- Service: Cleaning; Price: $89\n\nAsk us.");
    expect("a | b\n-- | --\n1 | 2 | 3", "- a: 1; b: 2; 3");
    /* A pipe without a delimiter row is only text. */
    expect("either | or", "either | or");
}

static void test_html(void **state)
{
    (void)state;
    expect("<p>Hello <b>world</b></p><!-- hidden -->tail", "Hello world tail");
    expect("Before <!-- a comment\nover lines\n--> after", "Before\nafter");
    expect("1 < 2 and a<b", "1 < 2 and a<b");
    expect("x <br> y", "x y");
    expect("Hi<script type=\"x\">var a = '<b>';</script> there", "Hi there");
    expect("<STYLE>\np { color: red }\n</Style>\nVisible <style>x</style>text", "Visible text");
    expect("<scripts>kept</scripts> <script>never closed\nstill hidden", "kept");
}

static void test_entities(void **state)
{
    (void)state;
    expect("Caf&eacute; &amp; Bar &lt;3 &#233; &#x41; &bogus; &#xD800; &#0; &",
           "Caf\xc3\xa9 & Bar <3 \xc3\xa9 A &bogus; \xef\xbf\xbd \xef\xbf\xbd &");
}

static void test_blockquotes_and_references(void **state)
{
    (void)state;
    expect("> Quote **here**\n> > nested", "Quote here\nnested");
    expect("[Book now][1] today.\n\n[1]: https://clinic.example/book", "Book now today.");
}

static void test_no_line_starts_with_hash(void **state)
{
    (void)state;
    expect("\\# not a heading", " # not a heading");
    static const char in[] = "# H\n\\## x\n```\n## y\n```\n- ## z\n";
    char *out = md(in, sizeof in - 1);
    for (char *p = out; p != NULL; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (*p == '#')
            assert_true(strncmp(p, "# H", 3) == 0);
    }
    free(out);
}

static void test_any_bytes(void **state)
{
    (void)state;
    static const char bad[] = "\xff\xfeHello\x80\x80 w\xc3\xa9\x00nul\r\nnext\rline\x01\x7f";
    char *out = md(bad, sizeof bad - 1);
    assert_string_equal(out, "\xef\xbf\xbdHello\xef\xbf\xbd w\xc3\xa9nul\nnext\nline");
    free(out);
    /* Every byte value, in every position. */
    unsigned char all[512];
    for (size_t i = 0; i < sizeof all; i++)
        all[i] = (unsigned char)(i * 7 + i / 256);
    free(md((const char *)all, sizeof all));
}

static void test_pathological_lines(void **state)
{
    (void)state;
    /* Lines of unclosed openers: each would be a forward search to the end. */
    const char *pieces[] = {"`", "``x", "](", "][", "<a", "<!--", "&", "**", "\\", "|", "> ", "[", "![", "~~"};
    size_t n = 1 << 20;
    char *in = malloc(n);
    assert_non_null(in);
    for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
        size_t pl = strlen(pieces[k]);
        for (size_t i = 0; i < n; i++)
            in[i] = pieces[k][i % pl];
        free(md(in, n));
    }
    /* Backtick runs of every length up to 40, none closed. */
    size_t at = 0;
    for (size_t len = 1; at < n; len = len % 40 + 1) {
        for (size_t i = 0; i < len && at < n; i++)
            in[at++] = '`';
        if (at < n)
            in[at++] = 'x';
    }
    free(md(in, n));
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_headings),
        cmocka_unit_test(test_inline),
        cmocka_unit_test(test_code_fences),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_entities),
        cmocka_unit_test(test_blockquotes_and_references),
        cmocka_unit_test(test_no_line_starts_with_hash),
        cmocka_unit_test(test_any_bytes),
        cmocka_unit_test(test_pathological_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
