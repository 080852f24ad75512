/*
 * rag_rpc: the rpc.rag.search subscription (see rag_rpc.h).
 */
#include "rag_rpc.h"

#include <stdlib.h>
#include <string.h>

#include "voxanne/v1/rag.pb-c.h"
#include "vx_log.h"
#include "vx_sub_pool.h"
#include "vx_validate.h"

#define QUERY_MAX_BYTES 2000

/* One pool thread's own: the analyzer (not shared between threads). */
typedef struct searcher {
    kb_registry *reg;
    embedder *embedder;
    const search_config *cfg;
    analyzer *analyzer;
} searcher;

struct rag_rpc_server {
    vx_sub_pool *pool;
    size_t n;
    searcher searchers[];
};

static void pack_reply(Voxanne__V1__RagSearchReply *r, void **out, size_t *out_len)
{
    *out_len = voxanne__v1__rag_search_reply__get_packed_size(r);
    *out = malloc(*out_len > 0 ? *out_len : 1);
    if (*out == NULL)
        abort();
    voxanne__v1__rag_search_reply__pack(r, *out);
}

static void reply_error(const char *why, void **out, size_t *out_len)
{
    Voxanne__V1__RagSearchReply r = VOXANNE__V1__RAG_SEARCH_REPLY__INIT;
    r.error = (char *)why;
    pack_reply(&r, out, out_len);
}

void rag_rpc_answer(kb_registry *reg, analyzer *a, embedder *e, const search_config *cfg, const void *data, size_t len, void **out,
                    size_t *out_len)
{
    Voxanne__V1__RagSearchRequest *req = voxanne__v1__rag_search_request__unpack(NULL, len, data);
    if (req == NULL) {
        reply_error("unreadable request", out, out_len);
        return;
    }
    if (!vx_is_uuid(req->org_id, strlen(req->org_id)) || strlen(req->query) > QUERY_MAX_BYTES || req->max_chunks < 0) {
        vx_log_warn(req->request_id, NULL, "knowledge search refused: bad request");
        reply_error("bad request", out, out_len);
        voxanne__v1__rag_search_request__free_unpacked(req, NULL);
        return;
    }
    search_result res;
    search_run(reg, a, e, cfg, req->org_id, req->query, req->max_chunks, &res);
    vx_buf context = VX_BUF_INIT;
    size_t used = search_context(&res, cfg->max_context, &context);
    Voxanne__V1__RagSearchReply r = VOXANNE__V1__RAG_SEARCH_REPLY__INIT;
    r.context = context.data != NULL ? context.data : "";
    r.chunks = (int32_t)used;
    Voxanne__V1__RagHit hits[SEARCH_MAX_CHUNKS], *hit_ptrs[SEARCH_MAX_CHUNKS];
    vx_buf texts[SEARCH_MAX_CHUNKS];
    size_t n = 0;
    for (size_t i = 0; i < res.n; i++) {
        if (!res.hits[i].in_context)
            continue;
        const kb_chunk *c = res.hits[i].chunk;
        voxanne__v1__rag_hit__init(&hits[n]);
        texts[n] = (vx_buf)VX_BUF_INIT;
        if (c->heading[0] != '\0')
            vx_buf_printf(&texts[n], "%s: ", c->heading);
        vx_buf_puts(&texts[n], c->content);
        hits[n].chunk_id = (char *)c->id;
        hits[n].document_id = (char *)c->document_id;
        hits[n].content = texts[n].data;
        hits[n].similarity = res.hits[i].similarity;
        hit_ptrs[n] = &hits[n];
        n++;
    }
    r.n_hits = n;
    r.hits = hit_ptrs;
    pack_reply(&r, out, out_len);
    for (size_t i = 0; i < n; i++)
        vx_buf_free(&texts[i]);
    vx_buf_free(&context);
    search_result_free(&res);
    voxanne__v1__rag_search_request__free_unpacked(req, NULL);
}

static void on_request(void *state, natsConnection *nc, natsMsg *msg)
{
    searcher *w = state;
    const char *reply_to = natsMsg_GetReply(msg);
    if (reply_to != NULL && reply_to[0] != '\0') {
        void *out;
        size_t out_len;
        rag_rpc_answer(w->reg, w->analyzer, w->embedder, w->cfg, natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg), &out,
                       &out_len);
        natsStatus s = natsConnection_Publish(nc, reply_to, out, (int)out_len);
        if (s != NATS_OK)
            vx_log_warn(NULL, NULL, "knowledge search reply not sent", "error", natsStatus_GetText(s));
        free(out);
    }
    natsMsg_Destroy(msg);
}

rag_rpc_server *rag_rpc_server_start(kb_registry *reg, embedder *e, const search_config *cfg, natsConnection *nc, size_t threads)
{
    if (threads == 0 || threads > RAG_RPC_MAX_THREADS)
        return NULL;
    rag_rpc_server *srv = calloc(1, sizeof(*srv) + threads * sizeof(searcher));
    if (srv == NULL)
        abort();
    void *states[RAG_RPC_MAX_THREADS];
    for (size_t i = 0; i < threads; i++, srv->n++) {
        searcher *w = &srv->searchers[i];
        *w = (searcher){.reg = reg, .embedder = e, .cfg = cfg, .analyzer = analyzer_create()};
        if (w->analyzer == NULL) {
            rag_rpc_server_destroy(srv);
            return NULL;
        }
        states[i] = w;
    }
    srv->pool = vx_sub_pool_start(nc, RAG_RPC_SUBJECT, "rag", on_request, states, threads);
    if (srv->pool == NULL) {
        rag_rpc_server_destroy(srv);
        return NULL;
    }
    return srv;
}

void rag_rpc_server_stop(rag_rpc_server *srv)
{
    if (srv != NULL)
        vx_sub_pool_stop(srv->pool);
}

void rag_rpc_server_destroy(rag_rpc_server *srv)
{
    if (srv == NULL)
        return;
    vx_sub_pool_destroy(srv->pool);
    for (size_t i = 0; i < srv->n; i++)
        analyzer_destroy(srv->searchers[i].analyzer);
    free(srv);
}
