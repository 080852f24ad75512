/*
 * knowledge: one NATS request per question (see knowledge.h).
 *
 * The request goes out on the worker's connection with the org already
 * resolved, so rag-search trusts org_id as it trusts any internal caller and
 * searches only that org's documents. natsConnection_Request returns at once
 * with NATS_NO_RESPONDERS when rag-search is not running (NATS 2.2+ servers),
 * so a missing service costs microseconds, not the timeout.
 */
#include "knowledge.h"

#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "settings.h"
#include "voxanne/v1/rag.pb-c.h"
#include "vx_log.h"

typedef enum { RAG_OK, RAG_NOTHING, RAG_UNAVAILABLE } rag_outcome;

/* Asks rag-search; on RAG_OK, context holds the cleaned text. */
static rag_outcome rag_search(const tool_ctx *ctx, const char *query, vx_buf *context)
{
    vx_buf q = VX_BUF_INIT;
    answer_clean(&q, query, KNOWLEDGE_MAX_QUERY);
    Voxanne__V1__RagSearchRequest req = VOXANNE__V1__RAG_SEARCH_REQUEST__INIT;
    req.request_id = (char *)(ctx->request_id != NULL ? ctx->request_id : "");
    req.org_id = (char *)ctx->org_id;
    req.query = q.data;
    req.max_chunks = ctx->settings->rag_max_chunks;
    size_t len = voxanne__v1__rag_search_request__get_packed_size(&req);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    if (buf == NULL)
        abort();
    voxanne__v1__rag_search_request__pack(&req, buf);
    vx_buf_free(&q);

    natsMsg *reply = NULL;
    natsStatus s = natsConnection_Request(&reply, ctx->nc, KNOWLEDGE_SUBJECT, buf, (int)len, ctx->settings->rag_timeout_ms);
    free(buf);
    if (s != NATS_OK) {
        vx_log_warn(ctx->request_id, ctx->org_id, "knowledge search unavailable", "error", natsStatus_GetText(s));
        return RAG_UNAVAILABLE;
    }
    Voxanne__V1__RagSearchReply *r =
        voxanne__v1__rag_search_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(reply), (const uint8_t *)natsMsg_GetData(reply));
    natsMsg_Destroy(reply);
    if (r == NULL || r->error[0] != '\0') {
        vx_log_warn(ctx->request_id, ctx->org_id, "knowledge search failed", "error", r == NULL ? "unreadable reply" : r->error);
        if (r != NULL)
            voxanne__v1__rag_search_reply__free_unpacked(r, NULL);
        return RAG_UNAVAILABLE;
    }
    answer_clean(context, r->context, ctx->settings->max_result_chars);
    voxanne__v1__rag_search_reply__free_unpacked(r, NULL);
    return context->len > 0 ? RAG_OK : RAG_NOTHING;
}

tool_status tool_get_knowledge_base(const tool_ctx *ctx, tool_result *out)
{
    const char *query = tool_arg_str(ctx, "query");
    if (query == NULL) {
        tool_fail(out, "What would you like to know?");
        return TOOL_DONE;
    }
    vx_buf context = VX_BUF_INIT;
    switch (rag_search(ctx, query, &context)) {
    case RAG_OK:
        tool_say(out, "%s", context.data);
        break;
    case RAG_NOTHING:
        tool_say(out, "I don't have any information about that, I'm afraid.");
        break;
    case RAG_UNAVAILABLE:
        tool_say(out, "%s", ctx->settings->say_no_knowledge);
        break;
    }
    vx_buf_free(&context);
    return TOOL_DONE;
}

void knowledge_base_answer(const tool_ctx *ctx, const char *query, cJSON *answer)
{
    cJSON *docs = cJSON_AddArrayToObject(answer, "documents");
    if (query == NULL || query[0] == '\0')
        return;
    vx_buf context = VX_BUF_INIT;
    if (rag_search(ctx, query, &context) == RAG_OK) {
        /* rag-search already kept only chunks above its similarity threshold
         * and joined them; it reports no score, so the joined context is
         * handed over as one document of full relevance. */
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "content", context.data);
        cJSON_AddNumberToObject(doc, "similarity", 1);
        cJSON_AddItemToArray(docs, doc);
    }
    vx_buf_free(&context);
}
