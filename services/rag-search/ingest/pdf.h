/*
 * pdf: the text of an uploaded PDF, read by the pdf-text program in a child
 * process (services/pdf-text/main.c) so that a hostile document can only
 * ever hurt a throwaway process with lowered limits, never rag-search.
 *
 * The child gets the bytes on stdin, /dev/null for stderr and a scrubbed
 * environment (no secret of ours); its stdout is read with poll while its
 * stdin is written (neither side can block the other), and it is SIGKILLed
 * and reaped once the wall clock runs out. Its limits are set between fork
 * and exec (address space, CPU, no file written, no core). The exit code
 * tells all: nothing the child says reaches our logs. Every descriptor made is close-on-exec and closed
 * before pdf_extract returns; every child is reaped.
 *
 * Thread safety: pdf_extract may run on several threads at once.
 */
#ifndef RAG_SEARCH_INGEST_PDF_H
#define RAG_SEARCH_INGEST_PDF_H

#include <stddef.h>

typedef enum {
    PDF_OK = 0,
    /* The document's fault (a 4xx: pdf_status_code / pdf_status_reason). */
    PDF_ENCRYPTED = 1,          /* needs a password */
    PDF_MALFORMED = 2,          /* not a PDF, or damaged */
    PDF_TOO_LARGE = 3,          /* too many bytes, pages or characters */
    PDF_TIMEOUT = 4,            /* not read within the wall-clock limit: killed */
    PDF_RESOURCE_EXHAUSTED = 5, /* killed by a limit (memory, CPU) or a signal */
    /* Ours (a 5xx). */
    PDF_INTERNAL = -1,    /* pipes, fork, an exit code pdf-text does not use */
    PDF_UNAVAILABLE = -2, /* the pdf-text program is missing or cannot run */
} pdf_status;

typedef struct pdf_config {
    /* The pdf-text program; NULL: "pdf-text" beside the running executable
     * (/proc/self/exe), as the image and build/<variant>/bin lay them out. */
    const char *program;
    size_t max_input;     /* bytes of PDF (default 10 MiB: the upload limit) */
    size_t max_output;    /* bytes of text (default 4 MiB) */
    int max_pages;        /* default 2,000 */
    int timeout_ms;       /* wall clock, default 20,000 */
    int cpu_seconds;      /* RLIMIT_CPU, default 15 */
    size_t address_space; /* RLIMIT_AS bytes, default 1 GiB; 0: unlimited (the default
                           * in sanitizer builds, whose shadow memory needs terabytes) */
} pdf_config;

/* Fills cfg with the defaults above. */
void pdf_config_default(pdf_config *cfg);

/* Extracts the text of pdf[0..len). On PDF_OK *text (malloc'd, NUL-terminated,
 * the caller frees it) holds *text_len bytes of UTF-8 as poppler gave it,
 * pages separated by '\f'; otherwise *text is NULL and *text_len 0. The
 * outcome is logged (status, size, time; never content) with request_id and
 * org_id, which may be NULL. */
pdf_status pdf_extract(const pdf_config *cfg, const void *pdf, size_t len, char **text, size_t *text_len, const char *request_id,
                       const char *org_id);

/* A short English sentence for an error answer ("This PDF is protected by a
 * password."), and a stable machine code ("pdf_encrypted"). Never NULL. */
const char *pdf_status_reason(pdf_status st);
const char *pdf_status_code(pdf_status st);

#endif
