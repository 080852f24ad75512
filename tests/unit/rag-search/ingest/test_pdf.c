/*
 * Unit tests for services/rag-search/ingest/pdf.c, which runs the real
 * pdf-text of the same build (build/<variant>/bin/pdf-text, found from this
 * test's own path, or $PDF_TEXT_BIN) on PDFs written here by hand: objects
 * at recorded offsets, an exact xref table, Flate streams through zlib.
 *
 *   - one page, and two pages: the known text comes back, pages split by \f;
 *   - a standard-security-handler /Encrypt with an unknown user password:
 *     encrypted;
 *   - a truncated PDF, random bytes, nothing at all: malformed;
 *   - a zip bomb (a 4 MB Flate stream that inflates to 4 GiB of content):
 *     killed by its CPU limit or the clock, and the next PDF reads fine;
 *   - 10,000 pages: too large (and input or text over the caps: too large);
 *   - a program that is missing: unavailable;
 *   - after many runs, as many descriptors open as before and no child left.
 *
 * Times are printed, never asserted (docs/conventions.md: no wall-clock
 * assertion; the limits are what is tested).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "ingest/pdf.h"
#include "vx_buf.h"
#include "vx_time.h"

/* ------------------------------------------------------------ writing PDFs */

typedef struct pdfw {
    vx_buf b;
    size_t *off; /* off[n]: where object n starts; 0 for none */
    int max_obj;
} pdfw;

static void pdfw_begin(pdfw *w, int max_obj)
{
    w->b = (vx_buf)VX_BUF_INIT;
    w->off = calloc((size_t)max_obj + 1, sizeof *w->off);
    assert_non_null(w->off);
    w->max_obj = max_obj;
    vx_buf_puts(&w->b, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
}

/* Object n with the given body (a dictionary, an array…). */
static void pdfw_obj(pdfw *w, int n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void pdfw_obj(pdfw *w, int n, const char *fmt, ...)
{
    assert_true(n >= 1 && n <= w->max_obj);
    w->off[n] = w->b.len;
    vx_buf_printf(&w->b, "%d 0 obj\n", n);
    va_list ap;
    va_start(ap, fmt);
    vx_buf_vprintf(&w->b, fmt, ap);
    va_end(ap);
    vx_buf_puts(&w->b, "\nendobj\n");
}

/* Stream object n: data[0..len) with `dict` (e.g. "/Filter /FlateDecode") added. */
static void pdfw_stream(pdfw *w, int n, const char *dict, const void *data, size_t len)
{
    w->off[n] = w->b.len;
    vx_buf_printf(&w->b, "%d 0 obj\n<< /Length %zu %s >>\nstream\n", n, len, dict);
    vx_buf_append(&w->b, data, len);
    vx_buf_puts(&w->b, "\nendstream\nendobj\n");
}

/* The xref table, the trailer (root object 1, `extra` added) and %%EOF; returns the file. */
static char *pdfw_end(pdfw *w, const char *extra, size_t *len)
{
    size_t xref = w->b.len;
    vx_buf_printf(&w->b, "xref\n0 %d\n0000000000 65535 f \n", w->max_obj + 1);
    for (int i = 1; i <= w->max_obj; i++) {
        assert_true(w->off[i] != 0); /* every object number is used */
        vx_buf_printf(&w->b, "%010zu 00000 n \n", w->off[i]);
    }
    vx_buf_printf(&w->b, "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%zu\n%%%%EOF\n", w->max_obj + 1, extra, xref);
    free(w->off);
    *len = w->b.len;
    return vx_buf_steal(&w->b);
}

static void *deflate_all(const char *text, size_t *out_len)
{
    uLong bound = compressBound((uLong)strlen(text));
    Bytef *z = malloc(bound);
    assert_non_null(z);
    uLongf zl = bound;
    assert_int_equal(compress2(z, &zl, (const Bytef *)text, (uLong)strlen(text), 9), Z_OK);
    *out_len = zl;
    return z;
}

/* A document of one page per text, each page's content a Flate stream
 * showing its text in Helvetica. */
static char *text_pdf(const char *const *pages, int n, const char *trailer_extra, size_t *len)
{
    /* 1 catalog, 2 page tree, 3 font, then a page and its content per page. */
    pdfw w;
    pdfw_begin(&w, 3 + 2 * n);
    pdfw_obj(&w, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    vx_buf kids = VX_BUF_INIT;
    vx_buf_puts(&kids, "");
    for (int i = 0; i < n; i++)
        vx_buf_printf(&kids, "%d 0 R ", 4 + 2 * i);
    pdfw_obj(&w, 2, "<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 612 792] >>", kids.data, n);
    vx_buf_free(&kids);
    pdfw_obj(&w, 3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
    for (int i = 0; i < n; i++) {
        pdfw_obj(&w, 4 + 2 * i, "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>",
                 5 + 2 * i);
        char content[512];
        snprintf(content, sizeof content, "BT /F1 18 Tf 72 700 Td (%s) Tj ET", pages[i]);
        size_t zl;
        void *z = deflate_all(content, &zl);
        pdfw_stream(&w, 5 + 2 * i, "/Filter /FlateDecode", z, zl);
        free(z);
    }
    return pdfw_end(&w, trailer_extra, len);
}

/* ------------------------------------------------------------ running it */

static char program[PATH_MAX];

/* build/<variant>/tests/unit/rag-search/ingest/test_pdf -> build/<variant>/bin/pdf-text */
static int find_program(void **state)
{
    (void)state;
    const char *env = getenv("PDF_TEXT_BIN");
    if (env != NULL && *env != '\0') {
        snprintf(program, sizeof program, "%s", env);
        return 0;
    }
    char exe[PATH_MAX - 16];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *at = strstr(exe, "/tests/unit/");
        if (at != NULL) {
            *at = '\0';
            snprintf(program, sizeof program, "%s/bin/pdf-text", exe);
            if (access(program, X_OK) == 0)
                return 0;
        }
    }
    const char *bin = getenv("BIN_DIR");
    if (bin != NULL) {
        snprintf(program, sizeof program, "%s/pdf-text", bin);
        if (access(program, X_OK) == 0)
            return 0;
    }
    fprintf(stderr, "test_pdf: no pdf-text found (build it, or set PDF_TEXT_BIN)\n");
    return -1;
}

static pdf_config config(void)
{
    pdf_config c;
    pdf_config_default(&c);
    c.program = program;
    return c;
}

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

static void assert_no_child(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

/* Runs pdf_extract and prints what it took. */
static pdf_status run(const char *what, const pdf_config *c, const void *pdf, size_t len, char **text)
{
    size_t tl = 0;
    char *t = NULL;
    int64_t t0 = vx_monotonic_us();
    pdf_status st = pdf_extract(c, pdf, len, &t, &tl, NULL, NULL);
    print_message("%-22s %8zu bytes -> %-24s in %lld ms\n", what, len, pdf_status_code(st),
                  (long long)((vx_monotonic_us() - t0) / 1000));
    if (st == PDF_OK) {
        assert_non_null(t);
        assert_int_equal(strlen(t), tl);
    } else {
        assert_null(t);
        assert_int_equal(tl, 0);
    }
    if (text != NULL)
        *text = t;
    else
        free(t);
    return st;
}

/* ------------------------------------------------------------ tests */

static void test_one_page(void **state)
{
    (void)state;
    const char *pages[] = {"Opening hours: Monday to Friday, 8 a.m. to 6 p.m."};
    size_t len;
    char *pdf = text_pdf(pages, 1, "", &len);
    pdf_config c = config();
    char *text;
    assert_int_equal(run("one page", &c, pdf, len, &text), PDF_OK);
    assert_non_null(strstr(text, "Opening hours: Monday to Friday, 8 a.m. to 6 p.m."));
    assert_null(strchr(text, '\f'));
    free(text);
    free(pdf);
}

static void test_no_text(void **state)
{
    (void)state;
    pdfw w;
    pdfw_begin(&w, 3);
    pdfw_obj(&w, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    pdfw_obj(&w, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    pdfw_obj(&w, 3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>");
    size_t len;
    char *pdf = pdfw_end(&w, "", &len);
    pdf_config c = config();
    char *text;
    assert_int_equal(run("a page without text", &c, pdf, len, &text), PDF_OK);
    assert_string_equal(text, "");
    free(text);
    free(pdf);
}

static void test_pages_are_split_by_form_feed(void **state)
{
    (void)state;
    const char *pages[] = {"Whitening costs 199 dollars.", "Implants start at 1500 dollars."};
    size_t len;
    char *pdf = text_pdf(pages, 2, "", &len);
    pdf_config c = config();
    char *text;
    assert_int_equal(run("two pages", &c, pdf, len, &text), PDF_OK);
    char *w = strstr(text, "Whitening costs 199 dollars.");
    char *ff = strchr(text, '\f');
    char *im = strstr(text, "Implants start at 1500 dollars.");
    assert_non_null(w);
    assert_non_null(ff);
    assert_non_null(im);
    assert_true(w < ff && ff < im);
    free(text);
    free(pdf);
}

static void test_encrypted(void **state)
{
    (void)state;
    /* Standard handler, RC4 40-bit (V 1, R 2). /O and /U are not those of an
     * empty password, so poppler cannot open it without the real one. */
    pdfw w;
    pdfw_begin(&w, 5);
    pdfw_obj(&w, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    pdfw_obj(&w, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    pdfw_obj(&w, 3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>");
    pdfw_stream(&w, 4, "", "0123456789abcdef", 16);
    pdfw_obj(&w, 5,
             "<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44"
             " /O <8A5C3E21F0B9D4477E6613A0C2D9F1E04B7A6C5D3E2F1A0B9C8D7E6F5A4B3C2D>"
             " /U <1F2E3D4C5B6A79880796A5B4C3D2E1F00F1E2D3C4B5A69788796A5B4C3D2E1F0> >>");
    size_t len;
    char *pdf = pdfw_end(&w, "/Encrypt 5 0 R /ID [<00112233445566778899AABBCCDDEEFF> <00112233445566778899AABBCCDDEEFF>]", &len);
    pdf_config c = config();
    assert_int_equal(run("encrypted", &c, pdf, len, NULL), PDF_ENCRYPTED);
    free(pdf);
}

static void test_malformed(void **state)
{
    (void)state;
    pdf_config c = config();
    const char *pages[] = {"Some text"};
    size_t len;
    char *pdf = text_pdf(pages, 1, "", &len);
    /* Cut inside the catalog: no page tree, no xref, no trailer. */
    assert_int_equal(run("truncated", &c, pdf, 40, NULL), PDF_MALFORMED);
    free(pdf);

    unsigned char noise[8192];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof noise; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise[i] = (unsigned char)x;
    }
    assert_int_equal(run("random bytes", &c, noise, sizeof noise, NULL), PDF_MALFORMED);
    assert_int_equal(run("empty", &c, "", 0, NULL), PDF_MALFORMED);
    assert_int_equal(run("text file", &c, "Opening hours: 9 to 5\n", 22, NULL), PDF_MALFORMED);
}

/* A Flate stream of `mib` MiB of zero bytes, about 1 KB per MiB: zlib's
 * output for 1 MiB of zeros after a full flush is the same every time, so
 * one block is compressed and repeated. */
static void *zero_bomb(unsigned mib, size_t *out_len)
{
    static unsigned char zeros[1 << 20];
    unsigned char first[4096], block[4096], again[4096];
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit(&z, 9), Z_OK);
    size_t lens[3];
    unsigned char *outs[3] = {first, block, again};
    for (int i = 0; i < 3; i++) {
        z.next_in = zeros;
        z.avail_in = sizeof zeros;
        z.next_out = outs[i];
        z.avail_out = sizeof first;
        assert_int_equal(deflate(&z, Z_FULL_FLUSH), Z_OK);
        assert_int_equal(z.avail_in, 0);
        lens[i] = sizeof first - z.avail_out;
    }
    deflateEnd(&z);
    assert_int_equal(lens[1], lens[2]);
    assert_memory_equal(block, again, lens[1]);

    vx_buf b = VX_BUF_INIT;
    vx_buf_append(&b, first, lens[0]);
    for (unsigned i = 1; i < mib; i++)
        vx_buf_append(&b, block, lens[1]);
    /* An empty final fixed-Huffman block, then Adler-32 of the zeros
     * (a = 1, b = the count, both mod 65521). */
    uint64_t count = (uint64_t)mib << 20;
    uint32_t adler = (uint32_t)((count % 65521) << 16 | 1);
    unsigned char tail[6] = {
        0x03, 0x00, (unsigned char)(adler >> 24), (unsigned char)(adler >> 16), (unsigned char)(adler >> 8), (unsigned char)adler};
    vx_buf_append(&b, tail, sizeof tail);
    *out_len = b.len;
    return vx_buf_steal(&b);
}

static void test_zip_bomb(void **state)
{
    (void)state;
    size_t zl;
    void *z = zero_bomb(4096, &zl); /* 4 GiB inflated */
    pdfw w;
    pdfw_begin(&w, 4);
    pdfw_obj(&w, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    pdfw_obj(&w, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    pdfw_obj(&w, 3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>");
    pdfw_stream(&w, 4, "/Filter /FlateDecode", z, zl);
    free(z);
    size_t len;
    char *pdf = pdfw_end(&w, "", &len);

    pdf_config c = config();
    c.cpu_seconds = 2;
    c.timeout_ms = 4000;
    int fds = open_fds();
    pdf_status st = run("zip bomb", &c, pdf, len, NULL);
    assert_true(st == PDF_RESOURCE_EXHAUSTED || st == PDF_TIMEOUT);
    free(pdf);
    /* Only the child suffered: the next document reads, nothing is left over. */
    assert_int_equal(open_fds(), fds);
    assert_no_child();
    const char *pages[] = {"Still here"};
    pdf = text_pdf(pages, 1, "", &len);
    char *text;
    assert_int_equal(run("after the bomb", &c, pdf, len, &text), PDF_OK);
    assert_non_null(strstr(text, "Still here"));
    free(text);
    free(pdf);
}

static void test_timeout(void **state)
{
    (void)state;
    /* The same bomb under a clock shorter than its CPU limit. */
    size_t zl;
    void *z = zero_bomb(4096, &zl);
    pdfw w;
    pdfw_begin(&w, 4);
    pdfw_obj(&w, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    pdfw_obj(&w, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    pdfw_obj(&w, 3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>");
    pdfw_stream(&w, 4, "/Filter /FlateDecode", z, zl);
    free(z);
    size_t len;
    char *pdf = pdfw_end(&w, "", &len);
    pdf_config c = config();
    c.cpu_seconds = 60;
    c.timeout_ms = 500;
    assert_int_equal(run("bomb, 0.5 s clock", &c, pdf, len, NULL), PDF_TIMEOUT);
    assert_no_child();
    free(pdf);
}

static void test_too_many_pages(void **state)
{
    (void)state;
    enum { PAGES = 10000 };
    pdfw w;
    pdfw_begin(&w, 2 + PAGES);
    pdfw_obj(&w, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    vx_buf kids = VX_BUF_INIT;
    vx_buf_puts(&kids, "");
    for (int i = 0; i < PAGES; i++)
        vx_buf_printf(&kids, "%d 0 R\n", 3 + i);
    pdfw_obj(&w, 2, "<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 612 792] >>", kids.data, PAGES);
    vx_buf_free(&kids);
    for (int i = 0; i < PAGES; i++)
        pdfw_obj(&w, 3 + i, "<< /Type /Page /Parent 2 0 R >>");
    size_t len;
    char *pdf = pdfw_end(&w, "", &len);
    pdf_config c = config();
    assert_int_equal(run("10,000 pages", &c, pdf, len, NULL), PDF_TOO_LARGE);
    /* The page limit is the caller's. */
    c.max_pages = PAGES;
    char *text;
    assert_int_equal(run("10,000 pages allowed", &c, pdf, len, &text), PDF_OK);
    size_t breaks = 0;
    for (char *p = text; *p != '\0'; p++)
        breaks += *p == '\f';
    assert_int_equal(breaks, PAGES - 1);
    free(text);
    free(pdf);
}

static void test_caps(void **state)
{
    (void)state;
    const char *pages[] = {"A sentence long enough to pass a tiny text cap."};
    size_t len;
    char *pdf = text_pdf(pages, 1, "", &len);
    pdf_config c = config();
    c.max_output = 10;
    assert_int_equal(run("text over the cap", &c, pdf, len, NULL), PDF_TOO_LARGE);
    c = config();
    c.max_input = len - 1;
    assert_int_equal(run("input over the cap", &c, pdf, len, NULL), PDF_TOO_LARGE);
    free(pdf);
}

static void test_missing_program(void **state)
{
    (void)state;
    pdf_config c = config();
    c.program = "/nonexistent/bin/pdf-text";
    assert_int_equal(run("missing program", &c, "%PDF-1.4\n", 9, NULL), PDF_UNAVAILABLE);
    c.program = "/dev/null"; /* there, but not a program */
    assert_int_equal(run("not a program", &c, "%PDF-1.4\n", 9, NULL), PDF_UNAVAILABLE);
    /* The default is pdf-text beside this test's binary, which is not there. */
    pdf_config_default(&c);
    assert_int_equal(run("default path", &c, "%PDF-1.4\n", 9, NULL), PDF_UNAVAILABLE);
    assert_string_equal(pdf_status_code(PDF_UNAVAILABLE), "pdf_unavailable");
    assert_non_null(strstr(pdf_status_reason(PDF_ENCRYPTED), "password"));
    assert_no_child();
}

static void test_no_leak_after_many_runs(void **state)
{
    (void)state;
    const char *pages[] = {"Parking is free for patients."};
    size_t len;
    char *pdf = text_pdf(pages, 1, "", &len);
    pdf_config c = config();
    pdf_config missing = c;
    missing.program = "/nonexistent/pdf-text";
    pdf_config tiny = c;
    tiny.max_output = 4;
    int before = open_fds();
    for (int i = 0; i < 30; i++) {
        char *text = NULL;
        size_t tl;
        assert_int_equal(pdf_extract(&c, pdf, len, &text, &tl, NULL, NULL), PDF_OK);
        free(text);
        assert_int_equal(pdf_extract(&c, pdf, len / 2, &text, &tl, NULL, NULL) > 0, 1);
        assert_int_equal(pdf_extract(&missing, pdf, len, &text, &tl, NULL, NULL), PDF_UNAVAILABLE);
        assert_int_equal(pdf_extract(&tiny, pdf, len, &text, &tl, NULL, NULL), PDF_TOO_LARGE);
    }
    assert_int_equal(open_fds(), before);
    assert_no_child();
    free(pdf);
}

/* rag-search extracts on several threads at once: each child gets only its
 * own pipes (all close-on-exec), each run sees only its own document. */
typedef struct worker {
    char *pdf;
    size_t len;
    const char *want;
    int ok;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    pdf_config c = config();
    for (int i = 0; i < 8; i++) {
        char *text = NULL;
        size_t tl;
        if (pdf_extract(&c, w->pdf, w->len, &text, &tl, NULL, NULL) == PDF_OK && strstr(text, w->want) != NULL)
            w->ok++;
        free(text);
    }
    return NULL;
}

static void test_concurrent_runs(void **state)
{
    (void)state;
    enum { THREADS = 4 };
    static const char *const wants[THREADS] = {"First clinic", "Second clinic", "Third clinic", "Fourth clinic"};
    worker w[THREADS];
    pthread_t th[THREADS];
    int before = open_fds();
    for (int i = 0; i < THREADS; i++) {
        const char *pages[] = {wants[i]};
        w[i] = (worker){NULL, 0, wants[i], 0};
        w[i].pdf = text_pdf(pages, 1, "", &w[i].len);
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].ok, 8);
        free(w[i].pdf);
    }
    assert_int_equal(open_fds(), before);
    assert_no_child();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_page),
        cmocka_unit_test(test_no_text),
        cmocka_unit_test(test_pages_are_split_by_form_feed),
        cmocka_unit_test(test_encrypted),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_zip_bomb),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_too_many_pages),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_missing_program),
        cmocka_unit_test(test_no_leak_after_many_runs),
        cmocka_unit_test(test_concurrent_runs),
    };
    return cmocka_run_group_tests(tests, find_program, NULL);
}
