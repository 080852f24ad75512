/*
 * orgs: "voxctl org create".
 *
 * The id is generated here (vx_uuid_v4) rather than by the database's
 * default, because the insert must run under claims that already name the
 * new org: the organizations policy only lets a transaction see and create
 * the row whose id is auth_org_id(). Using the app role, not the admin URL,
 * proves the same path the services take.
 */
#include "orgs.h"

#include <string.h>

#include "pg_errors.h"

#define ORG_NAME_MAX 200

vxctl_status vxctl_org_validate_name(const char *name)
{
    long chars = vxctl_text_chars(name);
    if (chars < 1 || chars > ORG_NAME_MAX) {
        vxctl_errorf("org create: --name must be 1 to %d characters of text (no control characters)", ORG_NAME_MAX);
        return VXCTL_USAGE;
    }
    return VXCTL_OK;
}

vxctl_status vxctl_org_create(vx_pg *pg, const char *name, char id_out[VX_UUID_STR_LEN + 1])
{
    vxctl_status st = vxctl_org_validate_name(name);
    if (st != VXCTL_OK)
        return st;
    char id[VX_UUID_STR_LEN + 1];
    vx_uuid_v4(id);
    vx_pg_prepare(pg, "voxctl_org_insert", "INSERT INTO organizations (id, name) VALUES ($1, $2)");
    if (vx_pg_begin_org(pg, id) != 0) {
        vxctl_report_pg(pg, "org create");
        return VXCTL_FAILED;
    }
    const char *params[2] = {id, name};
    PGresult *res = vx_pg_exec(pg, "voxctl_org_insert", 2, params);
    if (res == NULL) {
        vxctl_report_pg(pg, "org create");
        vx_pg_rollback(pg);
        return VXCTL_FAILED;
    }
    PQclear(res);
    if (vx_pg_commit(pg) != 0) {
        vxctl_report_pg(pg, "org create");
        vx_pg_rollback(pg);
        return VXCTL_FAILED;
    }
    memcpy(id_out, id, sizeof(id));
    return VXCTL_OK;
}
