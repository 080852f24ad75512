/*
 * agents: "voxctl agent create".
 *
 * Everything is validated before the database is contacted, so bad input
 * exits with a usage error and changes nothing. The insert runs under the
 * org's claims through the app role: a wrong org id cannot place the agent
 * elsewhere (the policy's WITH CHECK), and an id that names no organization
 * fails on the foreign key. Uniqueness of the assistant id, phone number id
 * and phone number across all orgs is the schema's job.
 */
#include "agents.h"

#include <string.h>

#include "pg_errors.h"

#define AGENT_NAME_MAX 200
#define VAPI_ID_MAX    100

/* Checks an optional text value's length in characters; prints and returns false when wrong. */
static bool check_text(const char *opt, const char *value, long max)
{
    if (value == NULL)
        return true;
    long chars = vxctl_text_chars(value);
    if (chars < 1 || chars > max) {
        vxctl_errorf("agent create: --%s must be 1 to %ld characters of text (no control characters)", opt, max);
        return false;
    }
    return true;
}

vxctl_status vxctl_agent_validate(const vxctl_agent_spec *spec)
{
    if (spec->org_id == NULL || !vx_is_uuid(spec->org_id, strlen(spec->org_id))) {
        vxctl_errorf("agent create: --org must be an organization id (a UUID)");
        return VXCTL_USAGE;
    }
    if (spec->assistant_id == NULL) {
        vxctl_errorf("agent create: --assistant-id is required");
        return VXCTL_USAGE;
    }
    if (!check_text("assistant-id", spec->assistant_id, VAPI_ID_MAX) ||
        !check_text("phone-number-id", spec->phone_number_id, VAPI_ID_MAX) || !check_text("name", spec->name, AGENT_NAME_MAX))
        return VXCTL_USAGE;
    if (spec->phone_number != NULL && !vx_is_e164(spec->phone_number)) {
        vxctl_errorf("agent create: --phone-number must be in E.164 form, e.g. +14155550123");
        return VXCTL_USAGE;
    }
    return VXCTL_OK;
}

vxctl_status vxctl_agent_create(vx_pg *pg, const vxctl_agent_spec *spec, char id_out[VX_UUID_STR_LEN + 1])
{
    vxctl_status st = vxctl_agent_validate(spec);
    if (st != VXCTL_OK)
        return st;
    char id[VX_UUID_STR_LEN + 1];
    vx_uuid_v4(id);
    vx_pg_prepare(pg, "voxctl_agent_insert",
                  "INSERT INTO agents (id, org_id, name, vapi_assistant_id, vapi_phone_number_id, phone_number) "
                  "VALUES ($1, $2, coalesce($3, 'Receptionist'), $4, $5, $6)");
    if (vx_pg_begin_org(pg, spec->org_id) != 0) {
        vxctl_report_pg(pg, "agent create");
        return VXCTL_FAILED;
    }
    const char *params[6] = {id, spec->org_id, spec->name, spec->assistant_id, spec->phone_number_id, spec->phone_number};
    PGresult *res = vx_pg_exec(pg, "voxctl_agent_insert", 6, params);
    if (res == NULL) {
        vxctl_report_pg(pg, "agent create");
        vx_pg_rollback(pg);
        return VXCTL_FAILED;
    }
    PQclear(res);
    if (vx_pg_commit(pg) != 0) {
        vxctl_report_pg(pg, "agent create");
        vx_pg_rollback(pg);
        return VXCTL_FAILED;
    }
    memcpy(id_out, id, sizeof(id));
    return VXCTL_OK;
}
