/*
 * vt: support for integration, end-to-end tests and benchmarks — child
 * processes, HTTP over loopback (libcurl), admin SQL, waiting for conditions,
 * and the whole suite (gateway + services) started on a free port.
 *
 * The runner (tests/run-all.sh) provides DATABASE_URL, ADMIN_DATABASE_URL,
 * NATS_URL and BIN_DIR (the variant's bin folder) in the environment.
 */
#ifndef VT_H
#define VT_H

#include <cjson/cJSON.h>
#include <libpq-fe.h>
#include <nats/nats.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "voxanne/v1/gateway.pb-c.h"

struct cJSON;

/* Fails the test run with a message (usable outside cmocka assertions). */
#define VT_REQUIRE(cond, msg)                                                                                                      \
    do {                                                                                                                           \
        if (!(cond))                                                                                                               \
            vt_die(__FILE__, __LINE__, msg);                                                                                       \
    } while (0)
void vt_die(const char *file, int line, const char *msg) __attribute__((noreturn));

/* Environment value or die. */
const char *vt_env(const char *name);

/* Starts $BIN_DIR/<program> (or, for a fake, $FAKES_DIR/<program>) with the current environment plus extra "K=V"
 * entries (NULL-terminated, may be NULL); output goes to build/test-logs/<log_name>.log. A program of
 * the suite connects to NATS as its own user (deploy/nats/users.conf), as deployed, not as the tests'
 * admin; extra entries may override that (NATS_USER, NATS_PASSWORD, NATS_URL). */
pid_t vt_spawn(const char *program, const char *log_name, const char *const *extra_env);
/* The JWT secret of the tests' gateway and dashboard-api (built-in sign-in signs with it). */
#define VT_JWT_SECRET "test-jwt-secret-with-enough-entropy"
/* Sends sig and waits up to timeout_ms; returns the exit status (or 128+signal), -1 on timeout (then SIGKILLs). */
int vt_stop(pid_t pid, int sig, int timeout_ms);
bool vt_alive(pid_t pid);

/* HTTP */
typedef struct vt_response {
    long status;
    char *body;
    size_t body_len;
    char request_id[80];
    char location[2048];   /* the Location header of a redirect, "" when none */
    char next_cursor[128]; /* the X-Next-Cursor header of a list's part, "" when none */
} vt_response;
/* headers: NULL-terminated "Name: value" list, may be NULL. body may be NULL. A new connection each time. */
vt_response vt_http(const char *method, const char *url, const char *const *headers, const char *body, size_t body_len);
/* A client that keeps its connection alive between requests, as Vapi and wrk do. One thread each. */
typedef struct vt_client vt_client;
vt_client *vt_client_new(void);
vt_response vt_client_http(vt_client *c, const char *method, const char *url, const char *const *headers, const char *body,
                           size_t body_len);
void vt_client_free(vt_client *c);
void vt_response_free(vt_response *r);
/* Waits up to timeout_ms until GET url answers 200 (a fake or service that is starting). */
bool vt_wait_http_ok(const char *url, int timeout_ms);
/* POSTs body to url and fails the test unless the answer has status. */
void vt_http_post_expect(const char *url, const char *body, long status);
/* A fake's control endpoint (tests/fakes/): POSTs body to base + path and
 * requires a 2xx; GETs base + path and returns its JSON (cJSON_Delete it). */
void vt_fake_post(const char *base, const char *path, const char *body);
cJSON *vt_fake_get_json(const char *base, const char *path);

/* The envelope key of a service ("tools") under the run's ENVELOPE_MASTER_KEY, in hex. */
void vt_envelope_key_hex(const char *service, char out[65]);
/* A message on subject (an rpc.<service> subject) signed as the gateway signs
 * its envelopes (vx_envelope); the caller destroys it. */
natsMsg *vt_signed_msg(const char *subject, const char *reply, const void *data, size_t len);
/* The "org_sig" tool-router's assistant-request answer puts next to org_id
 * for call_id (vx_vapi_org_hint_sign under the run's org-hint key): what
 * makes a tier-2 org hint count. */
void vt_org_hint_sig(const char *org_id, const char *call_id, char out[65]);
/* The password of a NATS user of the run (VX_NATS_USERS_DIR), malloc'd. */
char *vt_nats_password(const char *user);

/* Admin SQL (superuser: bypasses RLS, for checking what is really stored). */
PGconn *vt_admin(void);
/* A connection as the services' role (DATABASE_URL): row-level security applies. */
PGconn *vt_service_conn(void);
/* Prepares sql as name on conn; stops the test when PostgreSQL refuses it. */
void vt_prepare(PGconn *conn, const char *name, const char *sql);
/* EXPLAIN EXECUTE name(args), args as SQL literals: the plan's lines, malloc'd. */
char *vt_explain(PGconn *conn, const char *name, const char *args);
/* First column of the first row as a malloc'd string, or NULL (SQL NULL or no row). */
char *vt_sql_value(PGconn *conn, const char *sql, int nparams, const char *const *params);
long vt_sql_long(PGconn *conn, const char *sql, int nparams, const char *const *params);
void vt_sql_exec(PGconn *conn, const char *sql, int nparams, const char *const *params);

/* Polls cond every 20 ms until true or timeout_ms passes. */
bool vt_wait_for(bool (*cond)(void *arg), void *arg, int timeout_ms);
/* Waits until the admin query's long value equals want; returns the last value seen. */
long vt_wait_sql_long(PGconn *conn, const char *sql, int nparams, const char *const *params, long want, int timeout_ms);

/* Reads a file (e.g. a fixture) into a malloc'd NUL-terminated buffer. */
char *vt_read_file(const char *path, size_t *len);
/* Replaces every occurrence of from with to; returns a malloc'd string. */
char *vt_replace(const char *s, const char *from, const char *to);
void vt_uuid(char out[37]);
int vt_free_port(void);
/* Runs deploy/local/infra.sh <verb> on the test run's infrastructure (VX_STATE_DIR):
 * pg-stop, pg-start, nats-stop, nats-start. Returns its exit status (0: done). */
int vt_infra(const char *verb);

/* Asks rpc.<service>.health once: true when a HealthReply says ok for that service. */
bool vt_service_healthy(natsConnection *nc, const char *service);
/* Waits up to timeout_ms for vt_service_healthy (a just-started service has no responders yet). */
bool vt_wait_service_healthy(natsConnection *nc, const char *service, int timeout_ms);
/* Starts program (vt_spawn) and waits up to 10 s until rpc.<service>.health says
 * it is healthy; fails the test run otherwise. */
pid_t vt_start_service(natsConnection *nc, const char *program, const char *service, const char *log_name,
                       const char *const *extra_env);

/* A GatewayRequest as the gateway sends it to a service: route, the per-tool
 * route's {tool} parameter (NULL: none), body, authenticated as Vapi or not,
 * and the gateway's deadline (unix ms; 0: 10 s from now). Packed into *buf (malloc'd). */
void vt_pack_gateway_request(const char *route, const char *path_tool, const char *body, bool vapi, int64_t deadline_ms,
                             uint8_t **buf, size_t *len);
/* Sends a packed GatewayRequest on subject, signed as the gateway signs it, and returns the service's answer
 * (caller frees it with voxanne__v1__gateway_response__free_unpacked). Fails
 * the test when none comes within 10 s or it cannot be decoded. */
Voxanne__V1__GatewayResponse *vt_gateway_call(natsConnection *nc, const char *subject, const uint8_t *buf, size_t len);

/* How the suite's gateway authenticates Vapi. */
typedef enum {
    VT_VAPI_SECRET = 0, /* VAPI_WEBHOOK_SECRET only: x-vapi-secret or a bearer secret (the default) */
    VT_VAPI_HMAC = 1,   /* VAPI_WEBHOOK_HMAC_SECRET and VAPI_WEBHOOK_SECRET both set: only signed requests pass */
} vt_vapi_auth;

/* The whole suite on loopback. */
typedef struct vt_suite {
    vt_vapi_auth vapi_auth;           /* chosen by the caller before vt_suite_start; all the rest is filled by it */
    const char *const *gateway_env;   /* also chosen by the caller: more of the gateway's environment, NULL-terminated */
    const char *const *dashboard_env; /* likewise for dashboard-api (at most 6) */
    int port;
    char base_url[64];
    pid_t gateway, ingest, dashboard, tools;
    char vapi_secret[64];
    char hmac_secret[64]; /* configured in VT_VAPI_HMAC mode only */
    char jwt_secret[64];
    char metrics_token[64]; /* the gateway's METRICS_TOKEN */
} vt_suite;
/* Starts gateway, webhook-ingest, dashboard-api and tool-router and waits until /ready says ready. */
void vt_suite_start(vt_suite *s);
void vt_suite_stop(vt_suite *s);
/* Creates an organization (and an agent when assistant_id is not NULL) through the admin
 * connection; writes the org id into org_id. */
void vt_create_org(PGconn *admin, const char *name, const char *assistant_id, const char *phone_number_id, const char *phone_number,
                   char org_id[37]);
/* The end-of-call-report fixture (tests/fixtures/vapi/) re-targeted at call_id
 * and assistant_id: a real Vapi payload for a fresh call of a known org. malloc'd. */
char *vt_vapi_report(const char *call_id, const char *assistant_id);
/* A dashboard JWT for org_id signed with the suite's secret, malloc'd: Supabase's
 * audience, issued now, valid ttl_s (negative: expired that long ago, issued
 * an hour before). */
char *vt_token(const vt_suite *s, const char *org_id, long ttl_s);
/* The same with another role claim ("staff", …). */
char *vt_token_as(const vt_suite *s, const char *org_id, const char *role, long ttl_s);
/* The headers of Vapi's HMAC credential for body (body_len bytes) sent at unix
 * second ts, signed with the suite's HMAC key: list is {"x-signature: …",
 * "x-timestamp: …", NULL}, ready for vt_http (it points into h). */
typedef struct vt_hmac_headers {
    char signature[96];
    char timestamp[48];
    const char *list[3];
} vt_hmac_headers;
void vt_hmac_sign(const vt_suite *s, const char *body, size_t body_len, int64_t ts, vt_hmac_headers *h);
/* GET path on the suite's gateway as the operator (Authorization: Bearer <metrics token>),
 * or anonymously when as_operator is false. */
vt_response vt_operator_get(const vt_suite *s, const char *path, bool as_operator);

/* Sleeps ms milliseconds. */
void vt_sleep_ms(int ms);
/* A random valid E.164 number, "+1" and ten digits: unique enough per run. */
void vt_random_e164(char out[16]);

/* A program run to completion by vt_run. */
typedef struct vt_run_result {
    int status; /* exit status, or 128 + signal */
    char *out;  /* what it wrote on stdout, malloc'd and NUL-terminated */
    char *err;  /* what it wrote on stderr, likewise */
} vt_run_result;
/* Runs the program at path with args (its argv[1..], NULL-terminated; may be NULL) and waits for
 * it. env (NULL-terminated, may be NULL) holds "NAME=value" to set and "NAME" to unset, in the
 * child only. Standard input is /dev/null. */
vt_run_result vt_run(const char *path, const char *const *args, const char *const *env);
void vt_run_free(vt_run_result *r);
/* Prints what a run wrote, and its status, on stderr: the log of a test that did not expect it. */
void vt_run_show(const char *what, const vt_run_result *r);

/* PostgreSQL as the services' role (DATABASE_URL: no BYPASSRLS, row-level security applies). */
PGconn *vt_app(void);
/* BEGIN on conn, then the claims the services set for org_id (Supabase's shape,
 * transaction-local): row-level security then shows that org's rows only. */
void vt_begin_as(PGconn *conn, const char *org_id);
/* Runs sql expecting it to fail and writes its SQLSTATE into sqlstate ("" when it
 * succeeded). An open transaction is then aborted: the caller rolls it back. */
void vt_sql_sqlstate(PGconn *conn, const char *sql, int nparams, const char *const *params, char sqlstate[6]);

/* Asks rpc.<service>.health once: true when a HealthReply for that service came
 * back with ok == want (false when none came). */
bool vt_service_health_is(natsConnection *nc, const char *service, bool want);

/* JetStream. Publishes data on subject with a fresh Nats-Msg-Id (as the gateway
 * does) and waits for the stream's PubAck; fails the test run otherwise. */
void vt_js_publish(jsCtx *js, const char *subject, const void *data, size_t len);
/* A Vapi message as the gateway makes it durable: a VapiMessageEvent (type,
 * call_id or NULL, the raw JSON of raw_len bytes) on vapi.msg.<type>. */
void vt_publish_vapi_event(jsCtx *js, const char *type, const char *call_id, const char *raw, size_t raw_len);
/* Waits up to timeout_ms until the durable consumer exists on stream. */
bool vt_wait_consumer(jsCtx *js, const char *stream, const char *consumer, int timeout_ms);
/* Waits up to timeout_ms until the durable consumer has delivered every message
 * of its stream and none awaits an ack (everything published was processed). */
bool vt_wait_consumer_drained(jsCtx *js, const char *stream, const char *consumer, int timeout_ms);

/* Server-Sent Events (tests/support/vt_sse.c): a raw HTTP/1.1 client of
 * the gateway's GET /api/events, reading the chunked stream itself so a test
 * controls how much it reads (or that it never reads). */
typedef struct vt_sse vt_sse;
typedef struct vt_sse_event {
    char id[32];    /* "" when the event had no id */
    char event[64]; /* the event: field */
    char *data;     /* the data: field, malloc'd (vt_sse_event_free) */
} vt_sse_event;
/* Connects to 127.0.0.1:port and sends GET path with headers ("Name: value",
 * NULL-terminated; may be NULL). rcvbuf > 0 sets a small receive buffer
 * first (a client that will not read). Does not read the answer. */
vt_sse *vt_sse_connect(int port, const char *path, const char *const *headers, int rcvbuf);
/* Reads the response head: its status (0 when none came within timeout_ms). */
long vt_sse_status(vt_sse *s, int timeout_ms);
/* The next event within timeout_ms: true and *ev filled, false when none
 * came (or the stream ended). Comments are counted (vt_sse_pings). */
bool vt_sse_next(vt_sse *s, int timeout_ms, vt_sse_event *ev);
/* ": ping" comments seen so far. */
int vt_sse_pings(const vt_sse *s);
/* Reads and discards until the server closes the connection: true when it
 * did within timeout_ms. *bytes (may be NULL): how many bytes came. */
bool vt_sse_wait_closed(vt_sse *s, int timeout_ms, size_t *bytes);
void vt_sse_event_free(vt_sse_event *ev);
void vt_sse_close(vt_sse *s);

#endif
