/*
 * gdpr: a contact's GDPR export (Art. 15/20) and erasure (Art. 17), the
 * owner's alone (router.c; contacts.c hands the erasure over).
 *
 *   GET    /api/contacts/{id}/export      everything stored about the contact, one JSON document
 *   DELETE /api/contacts/{id}?erase=true  the erasure (contacts.c: ?erase=false or no query is a plain delete)
 *
 * "The contact's calls" are the org's calls linked to the contact, and those
 * from or to the contact's number (migrations/0016_gdpr.sql,
 * gdpr_contact_calls).
 *
 * Export: 200 application/json with content-disposition: attachment
 * (filename "contact-<id>.json"):
 *   {"exported_at", "org_id", "contact_id",
 *    "contact":         the contact's row,
 *    "calls":           the contact's calls, every column (transcript,
 *                       summaries, analysis, recording references, metadata),
 *    "appointments":    the contact's appointments,
 *    "tool_calls":      the tool calls made in those calls (results included),
 *    "outbox_jobs":     background jobs naming the contact, a call of theirs,
 *                       their number or e-mail (payload in base64),
 *    "parked_messages": Vapi messages about them that could not be stored
 *                       (migration 0016's rule),
 *    "audit_log":       the audit entries about the contact}
 * Every row's columns are named here on purpose (a column added later is
 * exported once it is added here: tests/integration/dashboard-api/test_gdpr.c
 * fails until then). Audited "contact.gdpr_export" in the read's transaction.
 *
 * Erasure, one transaction: the contact's parked messages and outbox jobs
 * deleted; their tool calls' results replaced by "[erased]"; their calls
 * kept for the clinic's figures but without the caller's number, name,
 * transcript, summaries, evaluation, transfer reason, recording URLs or
 * anything of the metadata but its figures; their appointments kept,
 * without the contact or notes; the contact deleted. 200
 *   {"erased": true, "id", "calls_cleared", "tool_calls_cleared",
 *    "appointments_anonymised", "outbox_jobs_deleted", "parked_messages_deleted"}
 * audited "contact.gdpr_erase" with the same counts. Not ours to erase:
 * Vapi's own copy, the VAPI stream's until its max age, Google Calendar
 * events (SECURITY.md, "GDPR erasure").
 *
 * Refusals ({"error", "code"}): 400 invalid_id; 403 forbidden (a staff
 * token, nothing read or changed); 404 not_found, also for another org's id
 * and for a contact already erased (erasing twice finds nothing); 500
 * export_too_large (a document over 6 MiB, more than one NATS message
 * carries: nothing exported, nothing audited).
 * Logs and audit entries carry ids and counts only.
 */
#ifndef DASHBOARD_GDPR_H
#define DASHBOARD_GDPR_H

#include "vx_pg.h"
#include "vx_rpc.h"

/* What DELETE /api/contacts/{id}'s query asks for. */
typedef enum {
    DASHBOARD_GDPR_PLAIN_DELETE = 0, /* no query, or exactly erase=false */
    DASHBOARD_GDPR_ERASE = 1,        /* exactly erase=true */
    DASHBOARD_GDPR_BAD_QUERY = -1,   /* anything else */
} dashboard_gdpr_delete_kind;

dashboard_gdpr_delete_kind dashboard_gdpr_delete_query(const char *query);

/* Registers the statements this module uses on pg. */
void dashboard_gdpr_prepare(vx_pg *pg);
void dashboard_gdpr_export(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
/* DELETE /api/contacts/{id}?erase=true, for a request that passed the
 * route's checks for any member: refuses staff itself (403). */
void dashboard_gdpr_erase(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
