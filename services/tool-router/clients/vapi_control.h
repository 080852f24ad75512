/*
 * vapi_control: the one client of Vapi's Live Call Control
 * (contracts/vapi.md §2.4): mid-call commands POSTed as JSON to the call's
 * monitor.controlUrl. tool-router uses it for transferCall, because Vapi
 * ignores a destination in a custom function's result — without this the
 * assistant would say "transferring you" and nothing would happen.
 *
 *   POST <controlUrl>  {"type":"transfer","destination":{"type":"number","number":"+1…"}
 *                       | {"type":"sip","sipUri":"sip:…"},"content":"<said before the transfer>"}
 *
 * The URL itself is the credential (no header), so it is never logged, and
 * it is only called when it is Vapi's (https, a host under vapi.ai) or
 * starts with a prefix the operator trusts (VAPI_CONTROL_URL_ALLOW): a body
 * that slipped past authentication must not make us POST to any address.
 *
 * Thread safety: every function may be called from any thread at once.
 */
#ifndef TOOL_ROUTER_CLIENTS_VAPI_CONTROL_H
#define TOOL_ROUTER_CLIENTS_VAPI_CONTROL_H

#include <cjson/cJSON.h>
#include <stdbool.h>

/* True when url may be called: https://<host under vapi.ai>/…, or a URL
 * under one of the comma-separated entries in allow ("" or NULL: none) —
 * the entry's scheme, host and port exactly, and its path as a prefix that
 * ends at a '/' ("http://127.0.0.1:4010/calls" covers ".../calls/1/control").
 * Never a URL with userinfo, a dot segment ("..", "%2e"), a backslash or a
 * space, whatever the list says. */
bool vapi_control_url_allowed(const char *url, const char *allow);

/* Transfers the live call to destination ({"type":"number","number"} or
 * {"type":"sip","sipUri"}), saying content first (NULL: nothing). Returns 0
 * when Vapi accepted it (2xx), -1 otherwise (logged with the HTTP status or
 * network error; never the URL). */
int vapi_control_transfer(const char *control_url, const cJSON *destination, const char *content, long timeout_ms,
                          const char *request_id, const char *org_id);

#endif
