/*
 * knowledge: answers from the org's own knowledge base, through rag-search.
 *
 * getKnowledgeBase(query) asks rpc.rag.search (RagSearchRequest /
 * RagSearchReply, proto/voxanne/v1/rag.proto) and waits at most
 * settings.rag_timeout_ms. The context text comes back as the result (one
 * line, capped). No responders, a timeout, an error or nothing found are
 * normal outcomes of a live call, not failures: the assistant hears "I don't
 * have that information in front of me right now." as a result and carries
 * on. Vapi's knowledge-base-request message gets {"documents":[…]} the same
 * way, or {"documents":[]}.
 *
 * This tool needs no database: the router runs it without opening a
 * transaction (ctx->pg is set but must not be used).
 */
#ifndef TOOL_ROUTER_KNOWLEDGE_H
#define TOOL_ROUTER_KNOWLEDGE_H

#include "tool.h"

#define KNOWLEDGE_SUBJECT   "rpc.rag.search"
#define KNOWLEDGE_MAX_QUERY 1000

tool_status tool_get_knowledge_base(const tool_ctx *ctx, tool_result *out);

/* Fills answer (an empty object) with {"documents":[{"content","similarity"}]} for query
 * (NULL or empty: no documents). */
void knowledge_base_answer(const tool_ctx *ctx, const char *query, cJSON *answer);

#endif
