/*
 * documents: list, read and delete the org's knowledge documents. The
 * answers are built by PostgreSQL (store.c) over named columns; another
 * org's document id matches no row, so it is 404 like one that does not
 * exist and ids cannot be probed across orgs.
 */
#include "routes/routes.h"
#include "store.h"
#include "vx_log.h"
#include "vx_query.h"

#include <stdio.h>
#include <stdlib.h>

#define LIST_DEFAULT 100
#define LIST_MAX     500

void kb_documents_list(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    long limit = LIST_DEFAULT;
    if (vx_query_long(req->query, "limit", 1, LIST_MAX, &limit) == VX_QUERY_INVALID) {
        vx_rpc_reply_error(reply, 400, "invalid_limit", "limit must be a whole number from 1 to 500.");
        return;
    }
    char *json;
    store_status st = store_document_list(r->pg, req->auth->org_id, (int)limit, &json);
    if (st != STORE_OK) {
        kb_reply_store_error(st, reply);
        return;
    }
    vx_rpc_reply_json(reply, 200, json);
    free(json);
}

void kb_documents_get(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_uuid(req, reply);
    if (id == NULL)
        return;
    char *json;
    store_status st = store_document_get(r->pg, req->auth->org_id, id, &json);
    if (st != STORE_OK) {
        kb_reply_store_error(st, reply);
        return;
    }
    vx_rpc_reply_json(reply, 200, json);
    free(json);
}

void kb_documents_delete(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *id = vx_rpc_path_uuid(req, reply);
    if (id == NULL)
        return;
    store_status st = store_document_delete(r->pg, req->auth->org_id, id);
    if (st != STORE_OK) {
        kb_reply_store_error(st, reply);
        return;
    }
    vx_log_info(req->request_id, req->auth->org_id, "knowledge document deleted", "document_id", id);
    char body[80];
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"deleted\":true}", id);
    vx_rpc_reply_json(reply, 200, body);
}
