/*
 * contacts_csv: CSV import and export of the org's contacts (in progress).
 */
#ifndef DASHBOARD_CONTACTS_CSV_H
#define DASHBOARD_CONTACTS_CSV_H

#include "vx_pg.h"
#include "vx_rpc.h"

void dashboard_contacts_csv_prepare(vx_pg *pg);
void dashboard_contacts_import(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);
void dashboard_contacts_export(vx_pg *pg, const vx_gateway_request *req, vx_rpc_reply *reply);

#endif
