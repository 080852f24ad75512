/*
 * ledger: the two-statement protocol of ledger.h over table tool_calls
 * (migrations/0004_call_tools.sql).
 *
 * The replay is a separate statement on purpose: under READ COMMITTED each
 * statement takes a new snapshot, so the SELECT that follows a conflicting
 * INSERT sees the row the other transaction has just committed. (One
 * statement with a CTE would share the INSERT's older snapshot and find
 * nothing.) The owned path — the common one — costs one round trip.
 */
#include "ledger.h"

#include <string.h>

#include "vx_log.h"

#define STMT_CLAIM  "ledger_claim"
#define STMT_REPLAY "ledger_replay"
#define STMT_STORE  "ledger_store"

void ledger_prepare(vx_pg *pg)
{
    vx_pg_prepare(pg, STMT_CLAIM,
                  "INSERT INTO tool_calls (org_id, tool_call_id, tool_name, vapi_call_id)"
                  " VALUES ($1::uuid, $2::text, $3::text, $4::text)"
                  " ON CONFLICT (org_id, tool_call_id) DO NOTHING RETURNING true");
    vx_pg_prepare(pg, STMT_REPLAY,
                  "SELECT is_error, result_text, extra::text, tool_name FROM tool_calls"
                  " WHERE org_id = $1::uuid AND tool_call_id = $2::text");
    vx_pg_prepare(pg, STMT_STORE,
                  "UPDATE tool_calls SET is_error = $3::boolean, result_text = $4::text, extra = $5::jsonb"
                  " WHERE org_id = $1::uuid AND tool_call_id = $2::text");
}

ledger_claim_result ledger_claim(vx_pg *pg, const char *org_id, const char *tool_call_id, const char *tool_name,
                                 const char *vapi_call_id, tool_result *stored)
{
    const char *params[4] = {org_id, tool_call_id, tool_name, vapi_call_id};
    PGresult *res = vx_pg_exec(pg, STMT_CLAIM, 4, params);
    if (res == NULL)
        return LEDGER_ERROR;
    bool owned = PQntuples(res) == 1;
    PQclear(res);
    if (owned)
        return LEDGER_OWNED;

    res = vx_pg_exec(pg, STMT_REPLAY, 2, params);
    if (res == NULL)
        return LEDGER_ERROR;
    const char *text = PQntuples(res) == 1 ? vx_pg_value(res, 0, 1) : NULL;
    if (text == NULL) {
        /* Committed claims always hold an answer; this one does not: refuse to guess. */
        vx_log_error(NULL, org_id, "tool call ledger row without an answer", "tool_call_id", tool_call_id);
        PQclear(res);
        return LEDGER_ERROR;
    }
    const char *is_error = vx_pg_value(res, 0, 0);
    const char *extra = vx_pg_value(res, 0, 2);
    const char *first_tool = vx_pg_value(res, 0, 3);
    if (first_tool != NULL && strcmp(first_tool, tool_name) != 0)
        vx_log_warn(NULL, org_id, "repeated toolCallId names another tool; replaying the first answer", "tool_call_id",
                    tool_call_id, "first_tool", first_tool, "tool", tool_name);
    stored->is_error = is_error != NULL && is_error[0] == 't';
    vx_buf_reset(&stored->text);
    vx_buf_puts(&stored->text, text);
    cJSON_Delete(stored->extra);
    stored->extra = extra != NULL ? cJSON_Parse(extra) : NULL;
    PQclear(res);
    return LEDGER_REPLAY;
}

int ledger_store(vx_pg *pg, const char *org_id, const char *tool_call_id, const tool_result *r)
{
    char *extra = r->extra != NULL ? cJSON_PrintUnformatted(r->extra) : NULL;
    const char *params[5] = {org_id, tool_call_id, r->is_error ? "true" : "false", r->text.data != NULL ? r->text.data : "", extra};
    PGresult *res = vx_pg_exec(pg, STMT_STORE, 5, params);
    cJSON_free(extra);
    if (res == NULL)
        return -1;
    bool updated = strcmp(PQcmdTuples(res), "1") == 0;
    PQclear(res);
    return updated ? 0 : -1;
}
