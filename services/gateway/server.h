/*
 * server: starting and stopping the gateway — NATS inbox subscription, h2o
 * configuration, one event loop thread per core with its own listener.
 */
#ifndef GATEWAY_SERVER_H
#define GATEWAY_SERVER_H

#include "gateway.h"

/* Prepares gw (cfg, auth and nc already set). Returns 0 or -1 (logged). */
int server_start(gateway *gw);
/* Asks the loop threads to finish (they notice within 100 ms). */
void server_request_stop(gateway *gw);
/* Joins the loop threads after server_request_stop (none if server_start never created them). */
void server_wait(gateway *gw);
void server_dispose(gateway *gw);

#endif
