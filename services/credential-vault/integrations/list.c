/*
 * GET /api/integrations: every provider the dashboard knows, connected or
 * not, with its status and label — never a secret (the secret is not even
 * read: store_list returns metadata only).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "integrations/routes.h"
#include "integrations/twilio_setup.h"
#include "vx_log.h"

static const char *const KNOWN[] = {PROVIDER_TWILIO, PROVIDER_GOOGLE};

static void add_nullable(cJSON *o, const char *key, const char *value)
{
    if (value != NULL && value[0] != '\0')
        cJSON_AddStringToObject(o, key, value);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *describe(const credential *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "provider", c->provider);
    cJSON_AddBoolToObject(o, "connected", true);
    cJSON_AddStringToObject(o, "status", c->status);
    add_nullable(o, "label", c->label);
    add_nullable(o, "lastVerifiedAt", c->last_verified_at);
    add_nullable(o, "lastError", c->last_error);
    add_nullable(o, "updatedAt", c->updated_at);
    if (strcmp(c->provider, PROVIDER_TWILIO) == 0)
        cJSON_AddItemToObject(o, "steps", twilio_setup_steps_json(c->sync_state));
    return o;
}

void integrations_list(const route_ctx *r, const vx_gateway_request *req, vx_rpc_reply *reply)
{
    const char *org = req->auth->org_id;
    credential *list = NULL;
    size_t n = 0;
    if (store_list(r->pg, req->request_id, org, &list, &n) != STORE_OK) {
        vx_rpc_reply_error(reply, 503, "database_unavailable", "The database is not available right now. Please retry.");
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(root, "integrations");
    for (size_t k = 0; k < sizeof(KNOWN) / sizeof(KNOWN[0]); k++) {
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = strcmp(list[i].provider, KNOWN[k]) == 0;
        if (!found) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "provider", KNOWN[k]);
            cJSON_AddBoolToObject(o, "connected", false);
            cJSON_AddStringToObject(o, "status", "not_connected");
            cJSON_AddItemToArray(items, o);
        }
    }
    for (size_t i = 0; i < n; i++) {
        cJSON_AddItemToArray(items, describe(&list[i]));
        credential_clear(&list[i]);
    }
    free(list);
    vx_rpc_reply_cjson(reply, 200, root);
}
