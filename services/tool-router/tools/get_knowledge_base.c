/*
 * get_knowledge_base: the getKnowledgeBase tool (contract in tools.h).
 *
 * Design: one question to rag-search (clients/rag_search.h) with the org
 * already resolved; every outcome is a sentence — the context itself,
 * "nothing about that", or the settings' no-knowledge fallback when
 * rag-search is absent, late or failing — so the assistant always has
 * something to say and the call goes on. The tool needs no database: the
 * tool table marks it so and the framework opens no transaction for it
 * (ctx->pg is set but must not be used).
 */
#include "tools/tools.h"

#include "clients/rag_search.h"
#include "settings.h"

tool_status get_knowledge_base_run(const tool_ctx *ctx, tool_result *out)
{
    const char *query = tool_arg_str(ctx, VX_TOOL_ARG_QUERY);
    if (query == NULL) {
        tool_fail(out, "What would you like to know?");
        return TOOL_DONE;
    }
    rag_search_query q = {
        .request_id = ctx->request_id,
        .org_id = ctx->org_id,
        .text = query,
        .max_chunks = ctx->settings->rag_max_chunks,
        .timeout_ms = ctx->settings->rag_timeout_ms,
        .max_context = ctx->settings->max_result_chars,
    };
    vx_buf context = VX_BUF_INIT;
    switch (rag_search_ask(ctx->nc, &q, &context)) {
    case RAG_SEARCH_FOUND:
        tool_say(out, "%s", context.data);
        break;
    case RAG_SEARCH_NOTHING:
        tool_say(out, "I don't have any information about that, I'm afraid.");
        break;
    case RAG_SEARCH_UNAVAILABLE:
        tool_say(out, "%s", ctx->settings->say_no_knowledge);
        break;
    }
    vx_buf_free(&context);
    return TOOL_DONE;
}
