/*
 * search: GET /api/knowledge-base/search?q=…[&limit=N] — the owner tries a
 * question and sees what the agent would be told: the same search and the
 * same context as a live call (search.h), with each chunk's scores.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "routes/routes.h"
#include "search.h"
#include "vx_query.h"
#include "vx_validate.h"

#define QUERY_MAX_BYTES 1000

void kb_search_try(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    char q[QUERY_MAX_BYTES + 1];
    vx_query_status qs = vx_query_get(req->query, "q", q, sizeof(q));
    if (qs == VX_QUERY_INVALID) {
        vx_rpc_reply_error(reply, 400, "invalid_query", "q must be a question of at most 1,000 bytes.");
        return;
    }
    const char *start;
    size_t len;
    vx_trim(q, qs == VX_QUERY_OK ? strlen(q) : 0, &start, &len);
    if (qs == VX_QUERY_ABSENT || len == 0) {
        vx_rpc_reply_error(reply, 400, "missing_query", "Ask a question: ?q=…");
        return;
    }
    long limit = 0;
    if (vx_query_long(req->query, "limit", 1, SEARCH_MAX_CHUNKS, &limit) == VX_QUERY_INVALID) {
        vx_rpc_reply_error(reply, 400, "invalid_limit", "limit must be a whole number from 1 to 20.");
        return;
    }
    char *question = strndup(start, len);
    if (question == NULL)
        abort();
    const search_config *cfg = &r->svc->settings->search;
    search_result res;
    search_run(r->svc->registry, r->analyzer, r->svc->embedder, cfg, req->auth->org_id, question, (int)limit, &res);
    vx_buf context = VX_BUF_INIT;
    search_context(&res, cfg->max_context, &context);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "query", question);
    cJSON_AddStringToObject(root, "context", context.data != NULL ? context.data : "");
    cJSON_AddStringToObject(root, "ranking", res.dense ? "keywords+meaning" : "keywords");
    cJSON *results = cJSON_AddArrayToObject(root, "results");
    for (size_t i = 0; i < res.n; i++) {
        const search_hit *h = &res.hits[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "chunk_id", h->chunk->id);
        cJSON_AddStringToObject(o, "document_id", h->chunk->document_id);
        cJSON_AddStringToObject(o, "heading", h->chunk->heading);
        cJSON_AddStringToObject(o, "content", h->chunk->content);
        cJSON_AddNumberToObject(o, "similarity", h->similarity);
        cJSON_AddNumberToObject(o, "keyword_score", h->bm25);
        cJSON_AddBoolToObject(o, "in_context", h->in_context);
        cJSON_AddItemToArray(results, o);
    }
    vx_rpc_reply_cjson(reply, 200, root);
    vx_buf_free(&context);
    search_result_free(&res);
    free(question);
}
