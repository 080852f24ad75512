/*
 * agents: create an org's agent (its Vapi assistant and phone number),
 * under that org's claims.
 */
#ifndef VXCTL_AGENTS_H
#define VXCTL_AGENTS_H

#include "cli.h"
#include "vx_pg.h"
#include "vx_validate.h"

/* What "voxctl agent create" was given; NULL means "not given". */
typedef struct vxctl_agent_spec {
    const char *org_id;          /* required, a UUID */
    const char *assistant_id;    /* required, the Vapi assistant id (1–100 characters) */
    const char *phone_number_id; /* the Vapi phone number id (1–100 characters) */
    const char *phone_number;    /* E.164 */
    const char *name;            /* 1–200 characters; the schema's default when NULL */
} vxctl_agent_spec;

/* Checks spec without touching the database. Returns VXCTL_OK, or VXCTL_USAGE
 * after printing which value is wrong. */
vxctl_status vxctl_agent_validate(const vxctl_agent_spec *spec);

/* Validates spec, then inserts the agent with a new random id in a transaction
 * under spec->org_id's claims and writes the id into id_out. Returns VXCTL_OK;
 * VXCTL_USAGE for invalid input (nothing sent to the database); VXCTL_FAILED
 * after printing the database's reason (unknown org, id or number taken, …). */
vxctl_status vxctl_agent_create(vx_pg *pg, const vxctl_agent_spec *spec, char id_out[VX_UUID_STR_LEN + 1]);

#endif
