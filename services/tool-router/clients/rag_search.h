/*
 * rag_search: the one client of rag-search — "what does this org's knowledge
 * base say about <question>?" (rpc.rag.search, RagSearchRequest /
 * RagSearchReply of proto/voxanne/v1/rag.proto).
 *
 * The org is resolved before the question is asked, so rag-search trusts
 * org_id as it trusts any internal caller and searches only that org's
 * documents. No responders, a timeout, an error or nothing found are normal
 * outcomes of a live call, not failures: the caller of this module decides
 * what the assistant says then.
 *
 * Thread safety: any thread may call it (on a connection that is not driven
 * by the calling thread's own event loop: the request blocks).
 */
#ifndef TOOL_ROUTER_CLIENTS_RAG_SEARCH_H
#define TOOL_ROUTER_CLIENTS_RAG_SEARCH_H

#include <cjson/cJSON.h>
#include <nats/nats.h>
#include <stddef.h>

#include "vx_buf.h"

#define RAG_SEARCH_SUBJECT   "rpc.rag.search"
#define RAG_SEARCH_MAX_QUERY 1000 /* bytes of the question sent, cleaned (see answer_clean) */

typedef enum {
    RAG_SEARCH_FOUND = 0,        /* context holds the text: one clean line, at most max_context bytes */
    RAG_SEARCH_NOTHING = 1,      /* rag-search answered, with nothing relevant */
    RAG_SEARCH_UNAVAILABLE = -1, /* no rag-search, a timeout, an error or an unreadable reply (logged) */
} rag_search_status;

typedef struct rag_search_query {
    const char *request_id; /* may be NULL */
    const char *org_id;
    const char *text; /* the question as asked: cleaned and cut to RAG_SEARCH_MAX_QUERY here */
    int max_chunks;
    long timeout_ms;
    size_t max_context; /* cap of the context returned, in bytes */
    /* When not NULL: each chunk of the answer is appended to this JSON array
     * as Vapi's knowledge-base-request wants it, {"content", "similarity",
     * "uuid"} (content cleaned as the context is). */
    cJSON *documents;
} rag_search_query;

/* Asks rag-search on nc and waits at most q->timeout_ms. context (the
 * caller's, replaced) is only meaningful on RAG_SEARCH_FOUND. */
rag_search_status rag_search_ask(natsConnection *nc, const rag_search_query *q, vx_buf *context);

#endif
