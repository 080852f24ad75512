/*
 * rag_search: one NATS request per question (see rag_search.h).
 *
 * Design: natsConnection_Request returns at once with NATS_NO_RESPONDERS
 * when rag-search is not running (NATS 2.2+ servers), so a missing service
 * costs microseconds, not the timeout. The question and the context are
 * cleaned with answer_clean, the one cleaning every spoken string gets, so
 * what rag-search returns can be said as it is.
 */
#include "clients/rag_search.h"

#include <stdint.h>
#include <stdlib.h>

#include "answer.h"
#include "voxanne/v1/rag.pb-c.h"
#include "vx_log.h"

rag_search_status rag_search_ask(natsConnection *nc, const rag_search_query *q, vx_buf *context)
{
    vx_buf query = VX_BUF_INIT;
    answer_clean(&query, q->text, RAG_SEARCH_MAX_QUERY);
    Voxanne__V1__RagSearchRequest req = VOXANNE__V1__RAG_SEARCH_REQUEST__INIT;
    req.request_id = (char *)(q->request_id != NULL ? q->request_id : "");
    req.org_id = (char *)q->org_id;
    req.query = query.data;
    req.max_chunks = q->max_chunks;
    size_t len = voxanne__v1__rag_search_request__get_packed_size(&req);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    if (buf == NULL)
        abort();
    voxanne__v1__rag_search_request__pack(&req, buf);
    vx_buf_free(&query);

    natsMsg *reply = NULL;
    natsStatus s = natsConnection_Request(&reply, nc, RAG_SEARCH_SUBJECT, buf, (int)len, q->timeout_ms);
    free(buf);
    if (s != NATS_OK) {
        vx_log_warn(q->request_id, q->org_id, "knowledge search unavailable", "error", natsStatus_GetText(s));
        return RAG_SEARCH_UNAVAILABLE;
    }
    Voxanne__V1__RagSearchReply *r =
        voxanne__v1__rag_search_reply__unpack(NULL, (size_t)natsMsg_GetDataLength(reply), (const uint8_t *)natsMsg_GetData(reply));
    natsMsg_Destroy(reply);
    if (r == NULL || r->error[0] != '\0') {
        vx_log_warn(q->request_id, q->org_id, "knowledge search failed", "error", r == NULL ? "unreadable reply" : r->error);
        if (r != NULL)
            voxanne__v1__rag_search_reply__free_unpacked(r, NULL);
        return RAG_SEARCH_UNAVAILABLE;
    }
    answer_clean(context, r->context, q->max_context);
    for (size_t i = 0; q->documents != NULL && i < r->n_hits; i++) {
        cJSON *doc = cJSON_CreateObject();
        answer_add_clean(doc, "content", r->hits[i]->content, q->max_context);
        cJSON_AddNumberToObject(doc, "similarity", r->hits[i]->similarity);
        cJSON_AddStringToObject(doc, "uuid", r->hits[i]->chunk_id);
        cJSON_AddItemToArray(q->documents, doc);
    }
    voxanne__v1__rag_search_reply__free_unpacked(r, NULL);
    return context->len > 0 ? RAG_SEARCH_FOUND : RAG_SEARCH_NOTHING;
}
