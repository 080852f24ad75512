/*
 * webhook: POST /api/vapi/webhook, Vapi's server URL.
 *
 * Messages that need an answer during the call (the call-time kinds of
 * vx_vapi_message_kind: tool-calls, function-call, assistant-request, …) go
 * to the route's subject (tool-router) synchronously. Everything else (status-update,
 * end-of-call-report, hang, transcript, …) is made durable on JetStream stream
 * VAPI and answered 200 only after the stream's PubAck: a report acknowledged
 * to Vapi is never lost, whatever is down afterwards.
 */
#ifndef GATEWAY_WEBHOOK_H
#define GATEWAY_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

void webhook_handle(request_ctx *ctx);
/* POST /api/vapi/tools/{tool}: forwarded to tool-router as is; if it cannot
 * answer, Vapi still gets a sayable result in both formats. */
void webhook_tool(request_ctx *ctx);

/* Writes the subject token for type ("call.endpointing.request" → "call_endpointing_request")
 * into out; false when type is empty, too long or has characters outside [A-Za-z0-9._-]. */
bool webhook_subject_token(const char *type, char *out, size_t out_len);
/* Writes the JetStream de-duplication id for a message: one per call for a report,
 * one per (call, status) for a status update, else the body's SHA-256. */
void webhook_dedup_id(const char *type, const char *call_id, const char *status, const char *body, size_t body_len, char *out,
                      size_t out_len);
/* The answer Vapi gets for a call-time message when tool-router cannot answer:
 * something the assistant can say, never silence. legacy adds the per-tool
 * route's {"toolResult": …} beside "results". Returns a malloc'd JSON string. */
char *webhook_fallback_answer(const char *body, size_t body_len, const char *type, bool legacy);

#endif
