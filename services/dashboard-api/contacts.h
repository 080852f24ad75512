/*
 * contacts: the org's callers and leads in the dashboard —
 *   GET    /api/contacts            list: search (name, phone, email), lead tier / status filters, paging
 *   GET    /api/contacts/stats      total_leads, hot_leads, warm_leads, cold_leads
 *   GET    /api/contacts/{id}       one contact with their calls and appointments
 *   POST   /api/contacts            create
 *   PATCH  /api/contacts/{id}       update the fields given
 *   DELETE /api/contacts/{id}       delete (?erase=true: the GDPR erasure, gdpr.h)
 * Answers keep the earlier dashboard's field names (contact_name,
 * phone_number, …: see the seed's "DASHBOARD API FIXES").
 *
 * A contact, as every answer shows it: id, contact_name ("first last", null
 * without a name), first_name, last_name, phone_number, email, lead_status,
 * lead_score, lead_tier, notes, last_contacted_at, created_at, updated_at.
 *   list    ?q= (a substring of "first last" or the email, any case; a
 *           prefix of the number's digits), lead_tier, lead_status (empty:
 *           any), page >= 1, limit 1..100 (20); newest first →
 *           {"contacts": [...], "pagination": {"page", "limit", "total"}}
 *   get     the contact, "calls" (id, vapi_call_id, status, outcome,
 *           duration_seconds, sentiment, lead_score, lead_tier, started_at,
 *           created_at; newest first) and "appointments" (id, service_name,
 *           scheduled_time, ends_at, status; latest start first), 50 each
 *   create  201 with the contact; the body's fields: contact_fields.h
 *   update  200 with the contact; at least one field, null clears
 *   delete  200 {"deleted": true, "id"}; the contact's calls stay, unlinked
 * Refusals ({"error", "code"}): 400 invalid_query / invalid_id / the body's
 * codes (contact_fields.h); 404 not_found, also for another org's id (never
 * telling it exists); 409 contact_exists (the org has a contact with this
 * number: "contact_id" names it) and contact_has_appointments (deleting
 * would erase their appointments with them: the contact is kept). DELETE
 * takes one query parameter, erase: erase=true hands the request to the
 * GDPR erasure (gdpr.h: owners only, 403 forbidden for staff), erase=false
 * is the plain delete, anything else 400 invalid_query.
 *
 * Every statement runs under the caller's org (row-level security) and also
 * names org_id: defence in depth. The handlers serve requests that passed
 * access.h's checks (router.c makes sure).
 */
#ifndef DASHBOARD_CONTACTS_H
#define DASHBOARD_CONTACTS_H

#include "vx_pg.h"
#include "vx_rpc.h"

/* Registers the statements this module uses on pg. */
void dashboard_contacts_prepare(vx_pg *pg);
void dashboard_contacts_list(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_contacts_stats(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_contacts_get(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_contacts_create(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_contacts_update(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_contacts_delete(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
