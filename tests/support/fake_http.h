/*
 * fake_http: the HTTP/1.1 server under the wire-faithful fakes of outside
 * services (tests/fakes/): a fake is its route function plus its state.
 *
 * Design: blocking sockets on 127.0.0.1, keep-alive, Content-Length bodies,
 * one detached thread per connection; answers are JSON unless the route
 * says otherwise (Twilio's XML), and empty for 204. SIGTERM/SIGINT stop
 * accepting; open connections are given up to 5 s to finish, so a fake
 * exits cleanly (and leak-free under ASan).
 */
#ifndef FAKE_HTTP_H
#define FAKE_HTTP_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "vx_buf.h"

typedef struct fake_request {
    char method[16];
    char path[2048];        /* as sent, query included */
    const char *query;      /* points into path just past its '?' (stays valid if path is cut there), or "" */
    char auth[1024];        /* the Authorization header's value, or "" */
    char content_type[256]; /* the Content-Type header's value, or "" */
    bool close;
    char *body; /* NUL-terminated */
    size_t body_len;
} fake_request;

typedef struct fake_response {
    int status;
    const char *extra_headers; /* "Name: value\r\n"… or NULL */
    vx_buf body;
    const char *content_type; /* NULL: "application/json; charset=UTF-8" */
    vx_buf headers;           /* more "Name: value\r\n" lines built per answer (a Location); freed by the server */
} fake_response;

/* Answers one request (called on the connection's thread). */
typedef void (*fake_route)(fake_request *q, fake_response *r);

/* Serves 127.0.0.1:port until SIGTERM or SIGINT. Returns 0 after a clean
 * stop, 1 when it cannot listen (reported on stderr). */
int fake_http_serve(int port, fake_route route);

/* Sets the status and json as the body (and frees json). */
void fake_json_body(fake_response *r, int status, cJSON *json);

#endif
