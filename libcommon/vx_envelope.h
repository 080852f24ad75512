/*
 * vx_envelope: the gateway's signature on every request it forwards.
 *
 * NATS permissions (deploy/nats/users.conf) decide who may publish where;
 * this is the defence behind them. The gateway signs each GatewayRequest it
 * publishes on rpc.<service>.<operation> with a key it shares with that one
 * service, and the service (libcommon/vx_rpc) refuses what does not verify,
 * has expired or was seen before. A compromised service holds only its own
 * key: it cannot forge a request to another, nor change a byte of one (the
 * org, user, role, route, request id, deadline and body are all in the
 * signed payload). The gateway puts a nonce in each envelope
 * (GatewayRequest.nonce), so two requests are never the same bytes and an
 * envelope seen twice is a replay.
 *
 * Keys: the gateway holds ENVELOPE_MASTER_KEY (64 hex digits); a service
 * holds ENVELOPE_KEY, its own key derived from the master for its service
 * name (`voxctl envelope-key <program>` prints it):
 *     key(service) = HMAC-SHA256(master, "voxanne-envelope-key-v1:" service)
 * The signature, in the NATS header VX_ENVELOPE_HEADER, is
 *     "v1=" hex(HMAC-SHA256(key(service), "voxanne-envelope-v1\n" subject "\n" payload))
 * so a signed envelope cannot be replayed on another subject either.
 * HMAC-SHA256, not Ed25519: a verify costs a few microseconds instead of
 * about as much as a whole lookup (docs/decisions.md).
 */
#ifndef VX_ENVELOPE_H
#define VX_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VX_ENVELOPE_KEY_LEN  32
#define VX_ENVELOPE_HEADER   "Vx-Signature"
#define VX_ENVELOPE_SIG_SIZE 68 /* "v1=" + 64 hex + NUL */
/* A signed request may not claim a deadline further ahead than this: it
 * bounds how long a service remembers signatures against replay. */
#define VX_ENVELOPE_MAX_AHEAD_MS 120000

/* Parses 64 hex digits. 0, or -1 when hex is NULL or not exactly that. */
int vx_envelope_key_parse(const char *hex, uint8_t key[VX_ENVELOPE_KEY_LEN]);
/* The key of one service ("tools", "dashboard", …), derived from the master key. */
void vx_envelope_service_key(const uint8_t master[VX_ENVELOPE_KEY_LEN], const char *service, uint8_t out[VX_ENVELOPE_KEY_LEN]);
/* The service of a subject "rpc.<service>.…" into out (NUL-terminated).
 * 0, or -1 when subject has no such shape or the name does not fit. */
int vx_envelope_subject_service(const char *subject, char *out, size_t out_len);
/* The service a program of the suite serves ("tool-router" -> "tools"), or
 * NULL for a program that serves no rpc.<service> subjects (the gateway). */
const char *vx_envelope_program_service(const char *program);

/* The raw MAC and its header value. */
void vx_envelope_mac(const uint8_t key[VX_ENVELOPE_KEY_LEN], const char *subject, const void *payload, size_t len, uint8_t mac[32]);
void vx_envelope_sign(const uint8_t key[VX_ENVELOPE_KEY_LEN], const char *subject, const void *payload, size_t len,
                      char out[VX_ENVELOPE_SIG_SIZE]);
/* True when signature is this payload's on this subject under key; compared
 * in constant time. On success the MAC is written to mac (for the replay
 * guard). */
bool vx_envelope_verify(const uint8_t key[VX_ENVELOPE_KEY_LEN], const char *subject, const void *payload, size_t len,
                        const char *signature, uint8_t mac[32]);

/* The gateway's keys: the master's derivation for each service it forwards
 * to, computed once. Read-only after creation, so shared by every thread. */
typedef struct vx_envelope_signer vx_envelope_signer;
/* services: the names of rpc.<service> subjects it will sign for. NULL when out of memory. */
vx_envelope_signer *vx_envelope_signer_create(const uint8_t master[VX_ENVELOPE_KEY_LEN], const char *const *services, size_t n);
/* The signature of payload on subject. 0, or -1 when the subject's service is not one of the signer's. */
int vx_envelope_signer_sign(const vx_envelope_signer *s, const char *subject, const void *payload, size_t len,
                            char out[VX_ENVELOPE_SIG_SIZE]);
void vx_envelope_signer_destroy(vx_envelope_signer *s);
/* A signer for every service of the suite's route table (libcommon/vx_routes). */
vx_envelope_signer *vx_envelope_signer_for_routes(const uint8_t master[VX_ENVELOPE_KEY_LEN]);
/* (vx_rpc_publish_signed sends a signed envelope: this module needs no NATS.) */

/* (Replays: vx_rpc remembers each accepted MAC until its envelope's
 * deadline in a libcommon/vx_replay cache.) */

#endif
