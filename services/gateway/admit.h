/*
 * admit: a connection from accept(2) until h2o takes it.
 *
 * libh2o 2.2.5 calls a handler only once the whole request body is in memory
 * (it cannot stream a request body to a handler), so every check the handler
 * makes comes after the body's memory is spent. admit makes the checks that
 * need only the request head first:
 *   - at most cfg.max_connections connections are open at once (all loop
 *     threads together); one more is closed at once (a plain-text one is
 *     told 503 first, best effort);
 *   - a plain-text connection is read by admit itself — h2o watches the
 *     socket but does not read it — into a buffer of at most ADMIT_HEAD_MAX
 *     bytes until the request head is complete (cfg.head_timeout_ms from
 *     accept, else closed);
 *   - the head is judged like on_req would (http_check_head): a refusal
 *     (404, 405, 413 by Content-Length, 401, 400, 431) is answered in JSON at
 *     once and the connection closed, after a short lingering read that
 *     discards what the client still sends, so that it reads the answer
 *     instead of a reset;
 *   - a body whose credentials can only be checked once it has arrived (a
 *     Vapi HMAC signature, a public route) first reserves its size (the body
 *     limit when chunked) from cfg.unverified_body_bytes, shared by all
 *     threads: 503 when that is spent. The reservation is returned when the
 *     connection closes; such a connection never serves a second request
 *     (http.c);
 *   - otherwise the connection goes to h2o with the bytes read so far, as if
 *     h2o had read them itself, and h2o reads the body within its
 *     max_request_entity_size (the body limit).
 * With TLS the handshake comes first (within cfg.head_timeout_ms); ALPN
 * offers HTTP/1.1 only (server.c: h2o would read an HTTP/2 stream's body
 * before anything could judge its head), read by h2o (to decrypt it) and
 * judged the same way.
 *
 * Everything runs on the loop thread that accepted the connection.
 */
#ifndef GATEWAY_ADMIT_H
#define GATEWAY_ADMIT_H

#include <h2o.h>

#include "gateway.h"
#include "http.h"

/* The largest request head read before it is judged (431 beyond). */
#define ADMIT_HEAD_MAX 16384

/* Prepares the thread's admission state (on the loop thread, before it listens). */
void admit_init_thread(gw_thread *t);
/* Takes a connection h2o_evloop_socket_accept just returned. */
void admit_accept(gw_thread *t, h2o_socket_t *sock);
/* Closes the connections not yet handed to h2o (the thread is stopping). */
void admit_close_all(gw_thread *t);

/* Parses a request head at the start of buf (with h2o's own parser): its
 * length when complete (head filled, slices into buf), -2 when more is
 * needed, -1 when it is malformed (or has an unreadable Content-Length). */
int admit_parse_head(const char *buf, size_t len, http_head *head);

#endif
