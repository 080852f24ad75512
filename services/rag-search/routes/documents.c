/*
 * documents: list (by pages), read and delete the org's knowledge
 * documents. The answers are built by PostgreSQL (store.c) over named
 * columns; another org's document id matches no row, so it is 404 like one
 * that does not exist and ids cannot be probed across orgs. A deletion and
 * its audit entry are one transaction (store.h).
 */
#include "routes/routes.h"
#include "store.h"
#include "vx_cursor.h"
#include "vx_log.h"
#include "vx_query.h"
#include "vx_time.h"

#include <stdio.h>
#include <stdlib.h>

#define LIST_DEFAULT 100
#define LIST_MAX     500
/* The list's name in its cursors (vx_cursor.h): another list's cursor is refused. */
#define CURSOR_LIST "knowledge documents"

/* GET /api/knowledge-base/documents[?limit=1..500][&cursor=…]: a JSON
 * array of the org's documents, newest first. When more follow, the
 * X-Next-Cursor header holds the cursor of the next page (as the contacts
 * export's parts: the body stays the array it always was). The cursor is
 * bound to the org and this list, so another org's, or a mangled one, is
 * 400 invalid_cursor before anything is read: it reveals nothing. Paging is
 * by keyset (created_at, id), not offset: a document added or deleted
 * meanwhile neither shifts what the later pages hold nor shows one twice. */
void kb_documents_list(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    long limit = LIST_DEFAULT;
    if (vx_query_long(req->query, "limit", 1, LIST_MAX, &limit) == VX_QUERY_INVALID) {
        vx_rpc_reply_error(reply, 400, "invalid_limit", "limit must be a whole number from 1 to 500.");
        return;
    }
    int64_t after_us = 0;
    char after_id[37], after_at[VX_TIME_US_LEN];
    vx_query_status cs = vx_cursor_from_query(req->query, CURSOR_LIST, req->auth->org_id, &after_us, after_id);
    if (cs == VX_QUERY_INVALID) {
        vx_rpc_reply_error(reply, 400, "invalid_cursor", "cursor is not an X-Next-Cursor this list gave: start again without it.");
        return;
    }
    if (cs == VX_QUERY_OK)
        vx_time_format_us(after_us, after_at);
    store_page page;
    store_status st = store_document_list(r->pg, req->auth->org_id, (int)limit, cs == VX_QUERY_OK ? after_at : NULL,
                                          cs == VX_QUERY_OK ? after_id : NULL, &page);
    if (st != STORE_OK) {
        kb_reply_store_error(st, reply);
        return;
    }
    vx_rpc_reply_json(reply, 200, page.json);
    if (page.more) {
        char *next = vx_cursor_encode(CURSOR_LIST, req->auth->org_id, page.last_us, page.last_id);
        vx_rpc_reply_header(reply, "x-next-cursor", next);
        free(next);
    }
    free(page.json);
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
    store_status st = store_document_delete(r->pg, req, id);
    if (st != STORE_OK) {
        kb_reply_store_error(st, reply);
        return;
    }
    vx_log_info(req->request_id, req->auth->org_id, "knowledge document deleted", "document_id", id);
    char body[80];
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"deleted\":true}", id);
    vx_rpc_reply_json(reply, 200, body);
}
