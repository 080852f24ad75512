/*
 * extract: poppler-glib on a PDF in memory (see extract.h).
 */
#include "extract.h"

#include <poppler.h>
#include <string.h>

const char *extract_status_name(extract_status st)
{
    switch (st) {
    case EXTRACT_OK:
        return "ok";
    case EXTRACT_INTERNAL:
        return "internal error";
    case EXTRACT_USAGE:
        return "usage";
    case EXTRACT_ENCRYPTED:
        return "encrypted";
    case EXTRACT_MALFORMED:
        return "malformed";
    case EXTRACT_TOO_MANY_PAGES:
        return "too many pages";
    case EXTRACT_TOO_MUCH_TEXT:
        return "too much text";
    case EXTRACT_INPUT_TOO_LARGE:
        return "input too large";
    }
    return "unknown";
}

static extract_status open_error(const GError *err)
{
    if (err != NULL && err->domain == POPPLER_ERROR && err->code == POPPLER_ERROR_ENCRYPTED)
        return EXTRACT_ENCRYPTED;
    return EXTRACT_MALFORMED;
}

/* Passes text[0..len) on unless the total would pass the limit. */
static extract_status emit(const extract_limits *limits, size_t *total, extract_sink sink, void *ctx, const char *text, size_t len)
{
    if (len > limits->max_text - *total)
        return EXTRACT_TOO_MUCH_TEXT;
    *total += len;
    if (len > 0 && sink(ctx, text, len) != 0)
        return EXTRACT_INTERNAL;
    return EXTRACT_OK;
}

extract_status extract_text(const unsigned char *pdf, size_t len, const extract_limits *limits, extract_sink sink, void *ctx)
{
    /* poppler takes an int length; the caller's limit is far below it. */
    if (len == 0 || len > (size_t)G_MAXINT)
        return EXTRACT_MALFORMED;
    /* A static GBytes: poppler reads the caller's bytes without a copy. */
    GBytes *bytes = g_bytes_new_static(pdf, len);
    GError *err = NULL;
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &err);
    g_bytes_unref(bytes);
    if (doc == NULL) {
        extract_status st = open_error(err);
        g_clear_error(&err);
        return st;
    }

    extract_status st = EXTRACT_OK;
    int pages = poppler_document_get_n_pages(doc);
    if (pages < 0 || pages > limits->max_pages) {
        st = pages < 0 ? EXTRACT_MALFORMED : EXTRACT_TOO_MANY_PAGES;
        goto out;
    }
    size_t total = 0;
    for (int i = 0; i < pages && st == EXTRACT_OK; i++) {
        if (i > 0) {
            char brk = EXTRACT_PAGE_BREAK;
            st = emit(limits, &total, sink, ctx, &brk, 1);
            if (st != EXTRACT_OK)
                break;
        }
        PopplerPage *page = poppler_document_get_page(doc, i);
        if (page == NULL)
            continue; /* a page poppler cannot read has no text */
        char *text = poppler_page_get_text(page);
        g_object_unref(page);
        if (text != NULL) {
            st = emit(limits, &total, sink, ctx, text, strlen(text));
            g_free(text);
        }
    }
out:
    g_object_unref(doc);
    return st;
}
