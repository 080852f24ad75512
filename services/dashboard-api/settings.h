/*
 * settings: the owner's notification preferences —
 *   GET /api/settings/notifications   (staff too)
 *   PUT /api/settings/notifications   (owners): any of
 *       hot_lead_threshold     1..100, the lead score that alerts the owner
 *                              (org_settings, read by webhook-ingest)
 *       reminder_lead_minutes  15..10080, how long before an appointment
 *                              its reminder goes out
 *       lead_alerts            whether hot leads alert the owner at all
 *   Both answer all three: {"hot_lead_threshold": 70,
 *   "reminder_lead_minutes": 1440, "lead_alerts": true} (the defaults, for
 *   an org that never set them).
 * Business hours, timezone, slot length, buffer and transfer numbers belong
 * to the agent's configuration (PUT /api/agent, issue 13).
 */
#ifndef DASHBOARD_SETTINGS_H
#define DASHBOARD_SETTINGS_H

#include "vx_pg.h"
#include "vx_rpc.h"

void dashboard_settings_prepare(vx_pg *pg);
void dashboard_settings_notifications_get(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_settings_notifications_put(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
