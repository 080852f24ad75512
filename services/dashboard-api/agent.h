/*
 * agent: the owner's agent configuration and where its sync to Vapi stands.
 *
 *   GET /api/agent         (owners and staff) → 200, the whole configuration:
 *       {"name": "Receptionist",
 *        "voice": {"provider": "11labs", "voice_id": "…"} | null,
 *        "first_message": "…" | null, "system_prompt": "…",
 *        "timezone": "America/New_York", "slot_minutes": 30, "buffer_minutes": 0,
 *        "business_hours": {"monday": [{"opens": "09:00", "closes": "17:00"}], …,
 *                           "sunday": []},           (all seven days, Monday first)
 *        "transfer_phone_number": "+1…" | null, "transfer_sip_uri": "sip:…" | null,
 *        "transfer_departments": {"billing": "+1…"},
 *        "services_offered": ["<service id>", …],    (the org's active services)
 *        "version": 3,                               (0: never saved)
 *        "sync": <the sync object below>}
 *     An org that never saved gets the same defaults as its readers
 *     (tool-router) use: the tables' column defaults.
 *
 *   PUT /api/agent         (owners) any of the fields of agent_fields.h:
 *     what is given replaces that field, the rest is kept (so a dashboard
 *     page may save one section, and a GET's fields sent back as they are
 *     save the whole; "version" and "sync" are read-only: 400
 *     read_only_field). One transaction under the org's claims writes
 *     agent_config, org_settings, business_hours, integration_settings and
 *     services.active as the body needs, bumps agent_config.config_version
 *     (its row lock serializes concurrent saves of one org: the last to
 *     commit is the stored configuration and has the highest version), sets
 *     agent_sync to that version and 'pending', and adds the audit entry
 *     "agent.updated" {"fields": [the fields whose value changed],
 *     "version": n} — names, never the prompt or a number. After the
 *     commit it publishes ToolSyncJob on work.tool-sync.sync (Nats-Msg-Id
 *     "tool-sync:<org>:<version>") and answers 200 at once with what GET
 *     would answer, its "sync" carrying "queued": true, or false when NATS
 *     refused the job: the save stands all the same, and tool-sync's sweep
 *     finds agent_sync behind (the row is the truth, the job a wake-up).
 *     Never waits on Vapi (SPEC hard rule 10).
 *     Refusals, each changing nothing: 400 with the codes of agent_fields.h
 *     (invalid_json, unknown_field, read_only_field, duplicate_field,
 *     empty_update, invalid_<field>), 400 invalid_timezone for a zone the
 *     database does not know, 400 invalid_services_offered for an id that is
 *     not one of the org's services (another org's included), 400
 *     invalid_transfer_departments for two names the database's lower()
 *     makes equal, 403 for staff, 503 database_unavailable, 500
 *     internal_error.
 *
 *   GET /api/agent/sync    (owners and staff) → 200
 *       {"state": "not_saved" | "pending" | "synced" | "linking_pending" | "failed",
 *        "detail": "…" | null, "desired_version": 3, "synced_version": 2,
 *        "attempts": 1, "next_attempt_at": "…" | null, "updated_at": "…" | null,
 *        "summary": "synced" | "saved, sync with Vapi pending" |
 *                   "tools registered, linking pending; next try at 2026-03-02 10:15 Europe/London" |
 *                   "failed: <detail>; next try at …" | "not saved yet"}
 *     the time of the next try in the org's timezone.
 *
 * Logs carry ids, versions and field names: never the prompt, the first
 * message or a phone number.
 */
#ifndef DASHBOARD_AGENT_H
#define DASHBOARD_AGENT_H

#include <nats/nats.h>

#include "vx_pg.h"
#include "vx_rpc.h"

/* How long a save waits for JetStream's acknowledgement of its job (main.c
 * makes the context with it): the answer is not held longer by NATS. */
#define AGENT_JOB_PUBLISH_WAIT_MS 2000

/* The JetStream context the saves publish their jobs on (main.c, once,
 * before any worker starts; it must outlive the workers). NULL: no job is
 * published, every save answers "queued": false and the sweep syncs. */
void dashboard_agent_configure(jsCtx *js);

void dashboard_agent_prepare(vx_pg *pg);
void dashboard_agent_get(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_agent_put(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_agent_sync_get(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
