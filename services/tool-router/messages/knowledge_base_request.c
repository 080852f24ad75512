/*
 * knowledge_base_request: Vapi's knowledge-base-request message (contract
 * in messages.h) — the assistant's own knowledge-base lookup, answered with
 * {"documents":[…]} from rag-search.
 *
 * Design: the same rag-search question as the getKnowledgeBase tool
 * (clients/rag_search.h), its chunks handed over one document each with
 * rag-search's similarity (the cosine to the question, or the keyword score
 * relative to the best) and the chunk's id as uuid. rag-search already
 * kept only chunks above its threshold and within its context budget.
 * Anything short of an answer is an empty list: Vapi then carries on
 * without documents.
 */
#include "messages/messages.h"

#include "clients/rag_search.h"
#include "settings.h"

void knowledge_base_request_answer(const tool_ctx *ctx, const char *query, cJSON *answer)
{
    cJSON *docs = cJSON_AddArrayToObject(answer, "documents");
    if (query == NULL || query[0] == '\0')
        return;
    rag_search_query q = {
        .request_id = ctx->request_id,
        .org_id = ctx->org_id,
        .text = query,
        .max_chunks = ctx->settings->rag_max_chunks,
        .timeout_ms = ctx->settings->rag_timeout_ms,
        .max_context = ctx->settings->max_result_chars,
        .documents = docs,
    };
    vx_buf context = VX_BUF_INIT;
    rag_search_ask(ctx->nc, &q, &context);
    vx_buf_free(&context);
}
