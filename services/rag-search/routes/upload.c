/*
 * upload: POST /api/knowledge-base/documents?title=… — the body is the
 * document itself, as its Content-Type says: text/plain, text/markdown or
 * application/pdf, up to 10 MiB (this route's own limit in the gateway).
 *
 * The document is read (a PDF by the pdf-text child process, ingest/pdf.h),
 * cut into chunks (ingest/chunker.h) and stored with its chunks in one
 * transaction, status "indexing": keyword search finds it on every replica
 * within a second, and the background embedding (indexer.h) makes it
 * "ready". The same bytes uploaded again are the same document (200 with
 * it, nothing stored twice). A document we cannot read is the uploader's
 * to fix: a clear 4xx, nothing stored. A stored document leaves its audit
 * entry (knowledge_base.document_added: name, kind, size) in the same
 * transaction.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indexer.h"
#include "ingest/chunker.h"
#include "ingest/markdown.h"
#include "ingest/pdf.h"
#include "ingest/text.h"
#include "routes/routes.h"
#include "store.h"
#include "vx_crypto.h"
#include "vx_log.h"
#include "vx_query.h"
#include "vx_routes.h"
#include "vx_validate.h"

#define TITLE_MAX_CHARS 200

typedef enum { DOC_TEXT, DOC_MARKDOWN, DOC_PDF, DOC_UNSUPPORTED } doc_kind;

/* The media type of a Content-Type value, and whether its charset (if any) is UTF-8. */
static doc_kind kind_of(const char *content_type, bool *charset_ok)
{
    *charset_ok = true;
    if (content_type == NULL)
        return DOC_UNSUPPORTED;
    char type[64];
    size_t n = 0;
    const char *p = content_type;
    while (*p == ' ')
        p++;
    while (*p != '\0' && *p != ';' && *p != ' ' && n + 1 < sizeof(type))
        type[n++] = (char)tolower((unsigned char)*p++);
    type[n] = '\0';
    const char *charset = strcasestr(p, "charset=");
    if (charset != NULL) {
        charset += strlen("charset=");
        if (*charset == '"')
            charset++;
        *charset_ok = strncasecmp(charset, "utf-8", 5) == 0 || strncasecmp(charset, "us-ascii", 8) == 0;
    }
    if (strcmp(type, "text/plain") == 0)
        return DOC_TEXT;
    if (strcmp(type, "text/markdown") == 0 || strcmp(type, "text/x-markdown") == 0)
        return DOC_MARKDOWN;
    if (strcmp(type, "application/pdf") == 0)
        return DOC_PDF;
    return DOC_UNSUPPORTED;
}

static const char *const CONTENT_TYPES[] = {"text/plain", "text/markdown", "application/pdf"};
/* What the audit entry calls each kind. */
static const char *const KIND_NAMES[] = {"text", "markdown", "pdf"};

/* The document's text (malloc'd) or NULL with reply set. */
static char *read_text(const route_ctx *r, const vx_gateway_request *req, doc_kind kind, size_t *len, vx_rpc_reply *reply)
{
    const char *body = (const char *)req->body.data;
    if (kind == DOC_MARKDOWN)
        return markdown_to_text(body, req->body.len, len);
    if (kind == DOC_TEXT)
        return text_clean(body, req->body.len, len);
    pdf_config cfg;
    pdf_config_default(&cfg);
    cfg.program = r->svc->settings->pdf_program;
    cfg.timeout_ms = r->svc->settings->pdf_timeout_ms;
    cfg.max_pages = r->svc->settings->pdf_max_pages;
    char *raw = NULL;
    size_t raw_len = 0;
    pdf_status st = pdf_extract(&cfg, body, req->body.len, &raw, &raw_len, req->request_id, req->auth->org_id);
    if (st != PDF_OK) {
        unsigned status = st == PDF_TOO_LARGE ? 413 : st > 0 ? 422 : 503;
        vx_rpc_reply_error(reply, status, pdf_status_code(st), pdf_status_reason(st));
        return NULL;
    }
    char *text = text_clean(raw, raw_len, len);
    free(raw);
    return text;
}

/* The ?title= parameter, cleaned, or NULL with reply set. */
static char *read_title(const vx_gateway_request *req, vx_rpc_reply *reply)
{
    char raw[4 * TITLE_MAX_CHARS + 64];
    vx_query_status qs = vx_query_get(req->query, "title", raw, sizeof(raw));
    char *title = qs == VX_QUERY_OK ? vx_clean_text(raw, 1, TITLE_MAX_CHARS) : NULL;
    if (title == NULL)
        vx_rpc_reply_error(reply, 400, qs == VX_QUERY_ABSENT ? "missing_title" : "invalid_title",
                           "Name the document: ?title=… (1 to 200 characters).");
    return title;
}

void kb_documents_create(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    bool charset_ok;
    doc_kind kind = kind_of(vx_rpc_header(req, VX_RPC_HEADER_CONTENT_TYPE), &charset_ok);
    if (kind == DOC_UNSUPPORTED) {
        vx_rpc_reply_error(reply, 415, "unsupported_media_type",
                           "Send the document as text/plain, text/markdown or application/pdf.");
        return;
    }
    if (!charset_ok && kind != DOC_PDF) {
        vx_rpc_reply_error(reply, 415, "unsupported_charset", "Text documents must be UTF-8.");
        return;
    }
    if (req->body.len == 0) {
        vx_rpc_reply_error(reply, 400, "empty_document", "The document is empty.");
        return;
    }
    if (req->body.len > VX_ROUTE_BODY_MAX) {
        vx_rpc_reply_error(reply, 413, "document_too_large", "A document may be at most 10 MiB.");
        return;
    }
    char *title = read_title(req, reply);
    if (title == NULL)
        return;
    size_t text_len = 0;
    char *text = read_text(r, req, kind, &text_len, reply);
    if (text == NULL) {
        free(title);
        return;
    }
    chunker_config ccfg;
    chunker_config_default(&ccfg);
    chunker_list chunks = {0};
    chunker_status cs = chunker_split(&ccfg, text, text_len, &chunks);
    if (cs == CHUNKER_TOO_MANY) {
        vx_rpc_reply_error(reply, 413, "too_much_text", "The document holds more text than one knowledge document may.");
    } else if (chunks.count == 0) {
        vx_rpc_reply_error(reply, 422, "no_text", "The document holds no text to search.");
    } else {
        store_chunk *sc = calloc(chunks.count, sizeof(store_chunk));
        if (sc == NULL)
            abort();
        for (size_t i = 0; i < chunks.count; i++) {
            /* The chunk's text starts with its heading path line: stored apart. */
            size_t path = strlen(chunks.items[i].heading_path);
            sc[i].heading = chunks.items[i].heading_path;
            sc[i].content =
                chunks.items[i].text + (path > 0 && strncmp(chunks.items[i].text, chunks.items[i].heading_path, path) == 0 &&
                                                chunks.items[i].text[path] == '\n'
                                            ? path + 1
                                            : 0);
        }
        uint8_t digest[VX_SHA256_LEN];
        char sha[2 * VX_SHA256_LEN + 1];
        vx_sha256(req->body.data, req->body.len, digest);
        vx_hex_encode(digest, sizeof(digest), sha);
        store_upload u = {
            .title = title,
            .content_type = CONTENT_TYPES[kind],
            .kind = KIND_NAMES[kind],
            .byte_size = req->body.len,
            .sha256 = sha,
            .characters = text_chars(text, text_len),
            .chunks = sc,
            .nchunks = chunks.count,
        };
        char *json = NULL;
        store_status st = store_document_create(r->pg, req, &u, &json);
        if (st == STORE_OK || st == STORE_EXISTS) {
            char count[24];
            snprintf(count, sizeof(count), "%zu", chunks.count);
            vx_log_info(req->request_id, req->auth->org_id,
                        st == STORE_OK ? "knowledge document stored" : "knowledge document known", "content_type", u.content_type,
                        "chunks", count);
            vx_rpc_reply_json(reply, st == STORE_OK ? 201 : 200, json);
            if (st == STORE_OK && r->svc->indexer != NULL)
                kb_indexer_wake(r->svc->indexer);
        } else {
            kb_reply_store_error(st, reply);
        }
        free(json);
        free(sc);
    }
    chunker_list_free(&chunks);
    free(text);
    free(title);
}
