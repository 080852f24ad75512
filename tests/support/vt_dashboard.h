/*
 * vt_dashboard: speaking to dashboard-api as the gateway does — a signed
 * GatewayRequest on a route's subject for a dashboard token's org and role,
 * with the path's {id}, the query and a body — and reading its answer.
 * For the tests of the dashboard's services (dashboard-api, rag-search's
 * knowledge base), which run the real process on real NATS and PostgreSQL
 * without the gateway.
 */
#ifndef VT_DASHBOARD_H
#define VT_DASHBOARD_H

#include <stddef.h>
#include <sys/types.h>
#include <cjson/cJSON.h>
#include <nats/nats.h>

#include "voxanne/v1/gateway.pb-c.h"

/* Starts dashboard-api (two workers, built-in sign-in with VT_JWT_SECRET, its
 * log build/test-logs/<log_name>.log),
 * connects *nc to NATS and waits until the service answers its health
 * requests; fails the test otherwise. Its pid, for vt_dashboard_stop. */
pid_t vt_dashboard_start(natsConnection **nc, const char *log_name);
/* The same with more environment (NULL-terminated "NAME=value"; at most 8). */
pid_t vt_dashboard_start_with(natsConnection **nc, const char *log_name, const char *const *extra_env);
/* SIGTERM, and the test fails unless it stopped cleanly; closes nc. */
void vt_dashboard_stop(pid_t service, natsConnection *nc);

/* The request (id, query and body may be NULL); the answer as it came
 * (voxanne__v1__gateway_response__free_unpacked). Fails the test when
 * nothing answers. */
Voxanne__V1__GatewayResponse *vt_dashboard_call(natsConnection *nc, const char *subject, const char *org, const char *role,
                                                const char *id, const char *query, const char *body, size_t body_len);

/* The same with the request's Content-Type header (NULL: none), for a body
 * that is a file as sent (a knowledge document, a CSV). */
Voxanne__V1__GatewayResponse *vt_dashboard_call_typed(natsConnection *nc, const char *subject, const char *org, const char *role,
                                                      const char *id, const char *query, const char *content_type, const char *body,
                                                      size_t body_len);

typedef struct vt_answer {
    unsigned status;
    char *body;  /* malloc'd, NUL-terminated */
    cJSON *json; /* the body parsed, or NULL */
} vt_answer;

/* The same request; the answer's status, body and parsed JSON (vt_answer_free). */
vt_answer vt_dashboard_request(natsConnection *nc, const char *subject, const char *org, const char *role, const char *id,
                               const char *query, const char *body, size_t body_len);
void vt_answer_free(vt_answer *a);
/* Fails unless a has status and a JSON body. */
void vt_expect_status(const vt_answer *a, unsigned status);
/* Fails unless a is status with {"error": …, "code": code}. Frees a. */
void vt_expect_error(vt_answer a, unsigned status, const char *code);

#endif
