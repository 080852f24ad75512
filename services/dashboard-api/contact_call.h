/*
 * contact_call: an owner's or staff member's call-back to a contact — a Vapi
 * outbound call (contracts/vapi.md §4.5) from the org's number with the
 * org's assistant, placed with the platform's one Vapi key (SPEC rule 1).
 *
 *   POST /api/contacts/{id}/call    no body (or {})
 *     → 201 {"call_id", "vapi_call_id", "status", "contact_id"}: the call is
 *       placed and recorded — a call_logs row (call_type outbound, the
 *       status Vapi answered, normally "queued", linked to the contact)
 *       that webhook-ingest's upsert on vapi_call_id completes when Vapi's
 *       status updates and end-of-call report arrive, and an audit entry
 *       "contact.called" (ids only).
 *     → 202 {"call_id": null, "vapi_call_id", "status", "recorded": false}:
 *       Vapi placed the call but the database refused the record (logged
 *       with the Vapi call id); webhook-ingest records the call from Vapi's
 *       own messages, so the client must not dial again.
 *
 * Refusals ({"error", "code"}), in the order checked:
 *   400 invalid_id        the path's id is not a UUID
 *   400 invalid_json / unknown_field   a body that is not {} (the route takes no fields)
 *   404 not_found         no such contact in the caller's org (another org's too)
 *   400 no_phone          the contact has no phone number
 *   409 agent_not_ready   the org has no Vapi assistant or no Vapi number yet
 *   503 vapi_not_configured   VAPI_PRIVATE_KEY is not set on this server
 *   409 call_in_progress  double-dial guard: an outbound call to this contact
 *                         made less than CONTACT_CALL_GUARD_S seconds ago has
 *                         not ended yet (queued, ringing, in progress,
 *                         forwarding); concurrent requests for one contact are
 *                         serialized on the contact's row, so two clicks give
 *                         one call and one 409
 *   502 vapi_rejected     Vapi refused the call (a 4xx other than 429: a
 *                         wrong number id, the platform key, billing); Vapi's
 *                         message is logged, never returned
 *   503 vapi_rate_limited Vapi answered 429; Retry-After passed on when given
 *   502 vapi_unavailable  Vapi answered 5xx or something unreadable
 *   504 vapi_unavailable  no answer from Vapi in time
 *   503 database_unavailable / 500 internal   the database
 * No refusal leaves a call_logs row or an audit entry, and none after the
 * 404 / no_phone / agent / configuration / guard checks reaches Vapi.
 *
 * Logs carry ids only: never the contact's number or name, nor the key.
 */
#ifndef DASHBOARD_CONTACT_CALL_H
#define DASHBOARD_CONTACT_CALL_H

#include "vx_pg.h"
#include "vx_rpc.h"
#include "vx_vapi_api.h"

/* How long after an outbound call to a contact that has not ended another is refused (409 call_in_progress). */
#define CONTACT_CALL_GUARD_S 60

/* Keeps the Vapi client's configuration for the handler (main.c, once,
 * before any worker starts; the strings must outlive the service). A NULL
 * or empty private key leaves the route answering 503 vapi_not_configured. */
void dashboard_contact_call_configure(const vx_vapi_api_config *vapi);

void dashboard_contact_call_prepare(vx_pg *pg);
void dashboard_contacts_call(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
