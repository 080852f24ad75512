/*
 * nats_admin: voxctl's NATS connection, for the commands that talk to the
 * running suite (vault rotate, parked replay) as the admin NATS user.
 */
#ifndef VXCTL_NATS_ADMIN_H
#define VXCTL_NATS_ADMIN_H

#include <nats/nats.h>

/* Connects to the NATS server(s) at url as this process's NATS user
 * (vx_nats: NATS_USER, NATS_PASSWORD, NATS_TLS_*), failing at once when no
 * server answers. Returns the connection (the caller closes it with
 * vx_nats_close), or NULL after printing why. */
natsConnection *vxctl_nats_connect(const char *url);

#endif
