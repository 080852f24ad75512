/*
 * lookup: the lookupCaller tool — "who is this caller?" mid-call.
 *
 * Arguments: searchKey (a phone number, an email or a name) and searchType
 * ("phone" | "email" | "name"; when absent it is guessed from the key: an
 * '@' means email, mostly digits mean phone, else name).
 *   phone  normalized to E.164 when that is unambiguous (+ and digits, or a
 *          10-digit US number, or 1 + 10 digits), then an exact match;
 *   email  case-insensitive exact match;
 *   name   case-insensitive "first last", or a single word matching the start
 *          of the first name ("Jon" finds Jonathan).
 * Answers (the seed's three cases):
 *   none      result "I couldn't find …", extra {"found":false}
 *   one       result "Found you, John! …", extra {"found":true,"contact":{id,
 *             name,email,phone,lead_status,last_contacted_at}}
 *   several   result asking which one, told apart by a masked email
 *             ("j…@acme.com") or the last 4 digits of the phone — never
 *             another person's full number or address; extra
 *             {"found":false,"multipleMatches":true,"contacts":[…]}
 * Read-only; runs under the org's claims and filters by org_id too.
 */
#ifndef TOOL_ROUTER_LOOKUP_H
#define TOOL_ROUTER_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>

#include "tool.h"

void lookup_prepare(vx_pg *pg);
/* lookupCaller is a one-read tool (see tool_read in tool.h). */
void lookup_plan(const tool_ctx *ctx, tool_read *read, tool_result *out);
tool_status lookup_answer(const tool_ctx *ctx, const PGresult *rows, tool_result *out);

/* "+" and up to 15 digits, NUL included. */
#define LOOKUP_E164_SIZE 17

/* Normalizes a spoken/typed phone number to E.164 into out; false when it is
 * not unambiguously one ("555-1234", letters, too short or long). */
bool lookup_phone_e164(const char *in, char out[LOOKUP_E164_SIZE]);

#endif
