/*
 * vx_rpc: the service side of the gateway envelope.
 *
 * A service serves rpc.<service>.<operation> subjects in a queue group, so
 * replicas share the load. vx_rpc_serve decodes each GatewayRequest, calls the
 * handler, encodes the GatewayResponse and replies. A message that is not a
 * valid GatewayRequest gets a 400 answer; a handler that sets nothing answers 500.
 *
 * A handler dispatches on req->route, which vx_rpc sets to the subject the
 * request arrived on (the one key of libcommon/vx_routes.h), whatever the
 * sender put there.
 *
 * Every GatewayRequest must carry the gateway's signature (vx_envelope:
 * ENVELOPE_KEY in the environment is this service's key): one that is
 * unsigned, signed for another subject or service, expired (the gateway has
 * answered 504 already, so no work is done) or seen before is answered 401
 * with code envelope_unsigned / envelope_expired / envelope_deadline /
 * envelope_replayed and never reaches the handler. Health requests carry no
 * envelope and need no signature.
 *
 * Each vx_rpc_serve subscription is delivered on its own thread, serially, so
 * a handler may use per-subscription state (a vx_pg) without locks.
 */
#ifndef VX_RPC_H
#define VX_RPC_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include <nats/nats.h>
#include "vx_buf.h"
#include "vx_envelope.h"
#include "vx_nats.h"
#include "voxanne/v1/gateway.pb-c.h"

typedef Voxanne__V1__GatewayRequest vx_gateway_request;

typedef struct vx_rpc_deferred vx_rpc_deferred;

#define VX_RPC_MAX_HEADERS 8

typedef struct vx_rpc_reply {
    unsigned status;
    const char *content_type; /* static string; default application/json */
    vx_buf body;
    /* Response headers as "name\0value\0" pairs (vx_rpc_reply_header). */
    vx_buf headers;
    size_t nheaders;
    /* vx_rpc's own: the request this reply answers, for vx_rpc_defer. */
    struct {
        natsMsg *msg;
        vx_gateway_request *req;
        vx_rpc_deferred *deferred;
        struct reply_channel *channel; /* the worker's connection, for the deferred answer */
    } origin;
} vx_rpc_reply;

typedef void (*vx_rpc_handler)(void *state, const vx_gateway_request *req, vx_rpc_reply *reply);

/* Returns whether the service can work; may set *detail to a short static reason. */
typedef bool (*vx_health_check)(void *state, const char **detail);

/* Subscribes rpc.<service>.> in queue group <service>: GatewayRequests go to
 * handler; rpc.<service>.health is answered with a HealthReply from check(state)
 * (NULL check: always healthy) on the same thread, so a healthy answer also
 * proves the worker is not stuck. The subscription goes into out (its nc
 * set, tracked: vx_served_sub_end returns only once the handler has returned
 * for the last time, so the worker may then free state). Returns 0 or -1
 * (logged). */
int vx_rpc_serve(natsConnection *nc, const char *service, vx_rpc_handler handler, vx_health_check check, void *state,
                 vx_served_sub *out);

/* For services without request handlers (only background work): answers
 * rpc.<service>.health in queue group <service>. */
int vx_rpc_serve_health(natsConnection *nc, const char *service, vx_health_check check, void *state, natsSubscription **out);

/* A worker serving rpc.<service>.> in queue group <service> like
 * vx_rpc_serve, on a thread of its own with a connection of its own driven by
 * that thread (vx_natsloop): the socket is read, every request already
 * received is answered, and all their replies leave in one write — no
 * hand-off between threads per request. Health requests are answered by the
 * same thread, as with vx_rpc_serve. The handler must not make blocking NATS
 * requests on this worker's connection (it never sees it): use another.
 * Returns NULL (logged) when it cannot connect or subscribe. */
typedef struct vx_rpc_worker vx_rpc_worker;
vx_rpc_worker *vx_rpc_worker_start(const char *nats_url, const char *service, vx_rpc_handler handler, vx_health_check check,
                                   void *state);
/* Like vx_rpc_worker_start, with a handler that gets every request received
 * in one read of the socket at once (up to 256) and fills replies[i] for
 * reqs[i]: requests of different callers can share work, such as one
 * database round trip for all their reads. */
typedef void (*vx_rpc_batch_handler)(void *state, const vx_gateway_request *const *reqs, vx_rpc_reply *replies, size_t n);
vx_rpc_worker *vx_rpc_worker_start_batched(const char *nats_url, const char *service, vx_rpc_batch_handler handler,
                                           vx_health_check check, void *state);
/* In a batch handler: this reply's request will be answered later, from any
 * thread, with vx_rpc_deferred_answer (the worker sends nothing for it, so
 * its batch need not wait for slow work). The request stays valid until then. */
vx_rpc_deferred *vx_rpc_defer(vx_rpc_reply *reply);
const vx_gateway_request *vx_rpc_deferred_request(const vx_rpc_deferred *d);
/* Sends reply (500 when it has no status) and frees d, its request and
 * reply's body. It leaves on the worker's own connection, the one the
 * request arrived on: NATS lets a service reply only there (its user may
 * publish to no inbox but those of requests it received on that
 * connection). A worker being destroyed waits up to 5 s for its deferred
 * answers; one that comes later is dropped (logged). */
void vx_rpc_deferred_answer(vx_rpc_deferred *d, vx_rpc_reply *reply);
/* Asks the worker to stop taking requests (it answers those already sent to
 * it) and returns at once: drain many, then destroy each. */
void vx_rpc_worker_drain(vx_rpc_worker *w);
/* Drains (if not asked yet), waits for the worker to finish, frees it. NULL: nothing. */
void vx_rpc_worker_destroy(vx_rpc_worker *w);

/* The gateway's side: publishes a packed GatewayRequest on subject (replies
 * to reply) with the signer's signature in the VX_ENVELOPE_HEADER header.
 * NATS_OK, or the failure (NATS_INVALID_SUBJECT when the signer has no key
 * for the subject's service). */
natsStatus vx_rpc_publish_signed(natsConnection *nc, const vx_envelope_signer *s, const char *subject, const char *reply,
                                 const void *payload, size_t len);

/* Loads ENVELOPE_KEY now, exiting with status 2 and a clear line when it is
 * missing or malformed. vx_rpc_serve and vx_rpc_worker_start call it: a
 * service without its key stops at start, not at its first request. */
void vx_rpc_require_envelope_key(void);

/* Sets a JSON body. */
void vx_rpc_reply_json(vx_rpc_reply *reply, unsigned status, const char *json);
/* Sets root, printed, as the JSON body, and deletes root. */
void vx_rpc_reply_cjson(vx_rpc_reply *reply, unsigned status, cJSON *root);
/* Adds a response header (name in lower case). The gateway copies it into
 * the HTTP answer unless it is one the gateway owns (services/gateway/http.c
 * http_header_forwardable); a Location only on routes whose service
 * authenticates its callers itself (VX_AUTH_SERVICE), for a 302/303. */
void vx_rpc_reply_header(vx_rpc_reply *reply, const char *name, const char *value);
/* Sets {"error": message, "code": code} with status. */
void vx_rpc_reply_error(vx_rpc_reply *reply, unsigned status, const char *code, const char *message);

/* Builds {"error": message, "code": code} into out (shared with the gateway). */
void vx_error_json(vx_buf *out, const char *code, const char *message);

/* A path parameter by name, or NULL. */
const char *vx_rpc_path_param(const vx_gateway_request *req, const char *key);
/* The path's "id" when it is a UUID; else NULL, with reply set to 400
 * invalid_id. (The gateway checks {id:uuid} already: this is the service's
 * own check, for envelopes that did not come through it.) */
const char *vx_rpc_path_uuid(const vx_gateway_request *req, vx_rpc_reply *reply);

/* The request headers the gateway forwards (GatewayRequest.headers), by
 * their lower-case names: the body's content type, and the client's address
 * as the gateway's socket saw it (never a client-supplied X-Forwarded-For). */
#define VX_RPC_HEADER_CONTENT_TYPE "content-type"
#define VX_RPC_HEADER_CLIENT_IP    "x-voxanne-client-ip"
/* A forwarded header's value by lower-case name, or NULL. */
const char *vx_rpc_header(const vx_gateway_request *req, const char *name);

#endif
