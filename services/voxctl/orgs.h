/*
 * orgs: create an organization, through the app role and under row-level
 * security, the way the services themselves write tenant rows.
 */
#ifndef VXCTL_ORGS_H
#define VXCTL_ORGS_H

#include "cli.h"
#include "vx_pg.h"
#include "vx_validate.h"

/* Checks an organization name (1–200 characters of text). Returns VXCTL_OK,
 * or VXCTL_USAGE after printing why. */
vxctl_status vxctl_org_validate_name(const char *name);

/* Inserts an organization called name (1–200 characters) with a new random
 * id, in a transaction whose claims name that id, and writes the id into
 * id_out. Returns VXCTL_OK; VXCTL_USAGE for an invalid name (nothing sent to
 * the database); VXCTL_FAILED after printing the database's reason. */
vxctl_status vxctl_org_create(vx_pg *pg, const char *name, char id_out[VX_UUID_STR_LEN + 1]);

#endif
