/*
 * extract: the text of a PDF held in memory, page by page, through
 * poppler-glib. The one module of pdf-text that touches poppler; main.c reads
 * stdin, lowers the process's limits and writes what this hands it.
 *
 * Nothing of the document is ever logged or returned except through the sink:
 * poppler's own diagnostics go to stderr, which main.c points at /dev/null
 * before any byte of the document is parsed.
 */
#ifndef PDF_TEXT_EXTRACT_H
#define PDF_TEXT_EXTRACT_H

#include <stddef.h>

/* pdf-text's exit codes, which rag-search's ingest/pdf.c maps to its own
 * statuses (it keeps a copy of these numbers: keep the two in step). */
typedef enum {
    EXTRACT_OK = 0,             /* every page's text was written */
    EXTRACT_INTERNAL = 1,       /* out of memory, a write that failed, a bug */
    EXTRACT_USAGE = 2,          /* bad arguments */
    EXTRACT_ENCRYPTED = 3,      /* a password is needed to open the document */
    EXTRACT_MALFORMED = 4,      /* not a PDF, or damaged beyond repair */
    EXTRACT_TOO_MANY_PAGES = 5, /* more pages than the limit */
    EXTRACT_TOO_MUCH_TEXT = 6,  /* more text than the limit */
    EXTRACT_INPUT_TOO_LARGE = 7 /* more bytes on stdin than the limit */
} extract_status;

/* The page break written between two pages' text. */
#define EXTRACT_PAGE_BREAK '\f'

typedef struct extract_limits {
    int max_pages;   /* more than this many pages: EXTRACT_TOO_MANY_PAGES */
    size_t max_text; /* bytes of UTF-8 text, page breaks included */
} extract_limits;

/* Receives the text in pieces, in order; returns 0, or -1 to stop
 * (extract_text then returns EXTRACT_INTERNAL). */
typedef int (*extract_sink)(void *ctx, const char *text, size_t len);

/* Extracts the text of every page of the PDF in pdf[0..len) as UTF-8, pages
 * separated by EXTRACT_PAGE_BREAK, into sink. Nothing is passed to the sink
 * before the page count is checked; on EXTRACT_TOO_MUCH_TEXT the sink has had
 * at most max_text bytes. Never reads outside pdf[0..len). */
extract_status extract_text(const unsigned char *pdf, size_t len, const extract_limits *limits, extract_sink sink, void *ctx);

/* A short English phrase for a status (no document content). */
const char *extract_status_name(extract_status st);

#endif
