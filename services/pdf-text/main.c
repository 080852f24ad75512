/*
 * pdf-text: the text of one PDF, for rag-search, which runs it as a child
 * process so that poppler never parses a hostile document inside a service.
 *
 *   pdf-text [--max-pages N] [--max-text BYTES] [--max-input BYTES] < doc.pdf > doc.txt
 *
 * Reads the PDF from stdin (at most --max-input bytes, default 10 MiB),
 * writes the UTF-8 text of every page to stdout, pages separated by a form
 * feed (\f), at most --max-text bytes in all (default 8 MiB), and refuses a
 * document of more than --max-pages pages (default 2,000). Exit codes
 * (extract.h):
 *
 *   0 ok   1 internal   2 usage   3 encrypted (a password is needed)
 *   4 malformed / not a PDF   5 too many pages   6 too much text
 *   7 input too large
 *
 * On any code but 0 stdout may hold part of the text: the caller drops it.
 *
 * Defence in depth: before reading a byte it lowers its own limits (address
 * space 1 GiB, CPU 30 s, no core file, files no larger than the text limit,
 * 64 descriptors) — the
 * caller usually sets tighter ones, which win: a limit is only ever lowered.
 * Sanitizer builds keep their address space (ASan and TSan reserve terabytes
 * of shadow memory). stderr is pointed at /dev/null before the document is
 * parsed, so poppler's diagnostics (which can quote the document) go nowhere;
 * pdf-text's own line there names a status, never content (rag-search gives
 * it /dev/null for stderr anyway: the exit code says everything).
 */
#include "extract.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PDF_TEXT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define PDF_TEXT_SANITIZED 1
#endif
#endif
#ifndef PDF_TEXT_SANITIZED
#define PDF_TEXT_SANITIZED 0
#endif

#define PDF_TEXT_MAX_PAGES 2000
#define PDF_TEXT_MAX_TEXT  (8u << 20)
#define PDF_TEXT_MAX_INPUT (10u << 20)
#define PDF_TEXT_AS_BYTES  (1ull << 30)
#define PDF_TEXT_CPU_SECS  30
#define PDF_TEXT_NOFILE    64

/* The fd our own status lines go to (stderr as it was at start). */
static int diag_fd = -1;

static void diag(const char *what)
{
    if (diag_fd < 0)
        return;
    char line[128];
    int n = snprintf(line, sizeof line, "pdf-text: %s\n", what);
    if (n > 0 && write(diag_fd, line, (size_t)n) < 0)
        diag_fd = -1;
}

/* Lowers one limit to at most v (soft and hard); never raises one. */
static void lower_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit cur;
    if (getrlimit(resource, &cur) != 0)
        return;
    if (cur.rlim_max != RLIM_INFINITY && cur.rlim_max < hard)
        hard = cur.rlim_max;
    if (soft > hard)
        soft = hard;
    if (cur.rlim_cur != RLIM_INFINITY && cur.rlim_cur < soft)
        soft = cur.rlim_cur;
    struct rlimit want = {soft, hard};
    (void)setrlimit(resource, &want);
}

static void lower_limits(size_t max_text)
{
    if (!PDF_TEXT_SANITIZED)
        lower_limit(RLIMIT_AS, PDF_TEXT_AS_BYTES, PDF_TEXT_AS_BYTES);
    lower_limit(RLIMIT_CPU, PDF_TEXT_CPU_SECS, PDF_TEXT_CPU_SECS + 1);
    lower_limit(RLIMIT_CORE, 0, 0);
    /* stdout may be a file (a pipe knows no such limit): room for the text only. */
    lower_limit(RLIMIT_FSIZE, (rlim_t)max_text + 1, (rlim_t)max_text + 1);
    lower_limit(RLIMIT_NOFILE, PDF_TEXT_NOFILE, PDF_TEXT_NOFILE);
}

/* A positive number from an argument, at most max; -1 when it is not one. */
static long long parse_count(const char *s, long long max)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v <= 0 || v > max)
        return -1;
    return v;
}

/* Reads all of fd into *out (malloc'd); EXTRACT_INPUT_TOO_LARGE past max. */
static extract_status read_all(int fd, size_t max, unsigned char **out, size_t *len)
{
    size_t cap = 64 * 1024, n = 0;
    unsigned char *buf = malloc(cap);
    if (buf == NULL)
        return EXTRACT_INTERNAL;
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                free(buf);
                return EXTRACT_INPUT_TOO_LARGE;
            }
            /* One byte more than the limit tells "exactly max" from "more". */
            size_t next = cap * 2 > max + 1 ? max + 1 : cap * 2;
            unsigned char *grown = realloc(buf, next);
            if (grown == NULL) {
                free(buf);
                return EXTRACT_INTERNAL;
            }
            buf = grown;
            cap = next;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            free(buf);
            return EXTRACT_INTERNAL;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n > max) {
            free(buf);
            return EXTRACT_INPUT_TOO_LARGE;
        }
    }
    *out = buf;
    *len = n;
    return EXTRACT_OK;
}

static int write_sink(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    while (len > 0) {
        ssize_t put = write(STDOUT_FILENO, text, len);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return -1;
        text += put;
        len -= (size_t)put;
    }
    return 0;
}

static int usage(void)
{
    diag("usage: pdf-text [--max-pages N] [--max-text BYTES] [--max-input BYTES] < doc.pdf");
    return EXTRACT_USAGE;
}

int main(int argc, char **argv)
{
    diag_fd = dup(STDERR_FILENO);
    if (diag_fd >= 0)
        (void)fcntl(diag_fd, F_SETFD, FD_CLOEXEC);

    extract_limits limits = {PDF_TEXT_MAX_PAGES, PDF_TEXT_MAX_TEXT};
    size_t max_input = PDF_TEXT_MAX_INPUT;
    for (int i = 1; i < argc; i++) {
        long long v = i + 1 < argc ? parse_count(argv[i + 1], INT_MAX) : -1;
        if (v < 0)
            return usage();
        if (strcmp(argv[i], "--max-pages") == 0)
            limits.max_pages = (int)v;
        else if (strcmp(argv[i], "--max-text") == 0)
            limits.max_text = (size_t)v;
        else if (strcmp(argv[i], "--max-input") == 0)
            max_input = (size_t)v;
        else
            return usage();
        i++;
    }

    lower_limits(limits.max_text);

    /* From here on nothing but our own lines may reach the real stderr. */
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull < 0 || dup2(devnull, STDERR_FILENO) < 0) {
        diag(extract_status_name(EXTRACT_INTERNAL));
        return EXTRACT_INTERNAL;
    }
    close(devnull);

    unsigned char *pdf = NULL;
    size_t len = 0;
    extract_status st = read_all(STDIN_FILENO, max_input, &pdf, &len);
    if (st == EXTRACT_OK) {
        st = extract_text(pdf, len, &limits, write_sink, NULL);
        free(pdf);
    }
    if (st != EXTRACT_OK)
        diag(extract_status_name(st));
    return (int)st;
}
